"""dialogym ids as the ecosystem's own tools use them: SB3's make_vec_env, Monitor and
EvalCallback, Gymnasium's TimeLimit and make_vec."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import pytest
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import EvalCallback
from stable_baselines3.common.env_util import make_vec_env

import dialogym  # noqa: F401  (registers the ids)
from dialogym.envs import ENV_IDS
from dialogym.envs.vector import DialogueVectorEnv

ENV = "dialogym/PyDialEnv1-v0"


def test_sb3_make_vec_env_and_its_success_rates(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="rgb_array"):  # SB3 asks for frames; none, no error
        venv = make_vec_env(ENV, n_envs=2, seed=0)
    eval_env = make_vec_env(ENV, n_envs=1, seed=1, env_kwargs={"render_mode": None})
    callback = EvalCallback(eval_env, n_eval_episodes=2, eval_freq=32, log_path=str(tmp_path))
    model = PPO("MlpPolicy", venv, n_steps=64, batch_size=64, n_epochs=1, seed=0)
    model.learn(total_timesteps=128, callback=callback)
    assert len(model.ep_success_buffer) > 0  # Monitor read info["is_success"]
    assert [len(successes) for successes in callback.evaluations_successes] == [2, 2]


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_max_episode_steps_is_the_envs_max_turns(env_id: str) -> None:
    assert gym.make(env_id).spec.max_episode_steps == 25
    assert gym.make(env_id, max_turns=40).spec.max_episode_steps == 40


def test_a_long_dialogue_ends_at_max_turns_with_its_verdict() -> None:
    patient = {"base": "standard", "patience": [100, 100]}  # only the turn limit ends it
    env = gym.make(ENV, user=patient, max_turns=30)
    assert type(env) is type(env.unwrapped)  # no TimeLimit cuts it short of its verdict
    env.reset(seed=3)
    terminated = truncated = False
    while not (terminated or truncated):  # "anything else?" again and again: the user stays
        *_, terminated, truncated, info = env.step(env.unwrapped.action_names.index("reqmore"))
    assert (info["turns"], truncated, info["success"], info["is_success"]) == (
        30,
        True,
        False,
        False,
    )


def test_make_vec_builds_one_batched_vector_env() -> None:
    venv = gym.make_vec("dialogym/PyDialEnv6-v0", num_envs=3, max_episode_steps=10)
    assert isinstance(venv, DialogueVectorEnv) and venv.num_envs == 3
    assert [(env.ser, env.max_turns) for env in venv.envs] == [(0.30, 10)] * 3
    observations, _ = venv.reset(seed=0)
    assert observations.shape == (3, *venv.single_observation_space.shape)
