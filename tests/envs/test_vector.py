"""The batched vector env: same dialogues as single envs, same-step autoreset, SB3 adapter."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import VectorEnv
from sb3_contrib import MaskablePPO

import dialogym  # noqa: F401
from dialogym.envs.sb3 import SB3VecEnv
from dialogym.envs.vector import DialogueVectorEnv, merge_infos


def first_allowed(masks: np.ndarray, step: int) -> list[int]:
    """A deterministic, varied choice among each row's allowed actions."""
    return [int(np.flatnonzero(m)[(step * 7 + i) % int(m.sum())]) for i, m in enumerate(masks)]


@pytest.mark.parametrize("channel", ["semantic", "text"])
def test_vector_plays_the_dialogues_of_single_envs(channel: str) -> None:
    kwargs = {"domain": "restaurant", "channel": channel}
    venv = DialogueVectorEnv("dialogym/PyDialEnv3-v0", num_envs=3, **kwargs)
    singles = [gym.make("dialogym/PyDialEnv3-v0", **kwargs).unwrapped for _ in range(3)]
    observations, _ = venv.reset(seed=10)
    for i, env in enumerate(singles):
        single_obs, _ = env.reset(seed=10 + i)
        np.testing.assert_array_equal(observations[i], single_obs)
    ended = 0
    for step in range(60):
        actions = first_allowed(venv.action_masks(), step)
        observations, rewards, terminated, truncated, infos = venv.step(actions)
        for i, env in enumerate(singles):
            single_obs, reward, term, trunc, info = env.step(actions[i])
            assert reward == rewards[i] and term == terminated[i] and trunc == truncated[i]
            if term or trunc:
                ended += 1
                np.testing.assert_array_equal(infos["final_obs"][i], single_obs)
                assert venv.envs[i].transcript[0].turn == 0
                single_obs, _ = env.reset()
            else:
                assert venv.envs[i].transcript_text() == env.transcript_text()
            np.testing.assert_array_equal(observations[i], single_obs)
    assert ended >= 3


def test_sb3_adapter_reports_terminal_observations_and_masks() -> None:
    vec = SB3VecEnv(DialogueVectorEnv("dialogym/PyDialEnv1-v0", num_envs=4))
    vec.seed(0)
    observations = vec.reset()
    assert observations.shape == (4, *vec.observation_space.shape)
    finals = 0
    for step in range(40):
        masks = np.stack(vec.env_method("action_masks"))
        observations, rewards, dones, infos = vec.step(np.array(first_allowed(masks, step)))
        for done, info in zip(dones, infos, strict=True):
            if done:
                finals += 1
                assert info["terminal_observation"].shape == observations.shape[1:]
                assert "success" in info and "TimeLimit.truncated" in info
    assert finals > 0
    assert vec.get_attr("max_turns") == [25] * 4
    assert vec.env_is_wrapped(gym.Wrapper) == [False] * 4


def test_maskable_ppo_trains_on_the_adapter() -> None:
    vec = SB3VecEnv(DialogueVectorEnv("dialogym/PyDialEnv1-v0", num_envs=4, channel="text"))
    model = MaskablePPO("MlpPolicy", vec, n_steps=32, batch_size=64, n_epochs=1, seed=0)
    model.learn(256)
    assert model.num_timesteps >= 256


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="num_envs"):
        DialogueVectorEnv("dialogym/PyDialEnv1-v0", num_envs=0)
    venv = DialogueVectorEnv("dialogym/PyDialEnv1-v0", num_envs=2)
    with pytest.raises(ValueError, match="seed"):
        venv.reset(seed=[1, 2, 3])
    venv.reset(seed=0)
    with pytest.raises(ValueError, match="actions"):
        venv.step([0])


def assert_same_infos(ours: object, gymnasiums: object, where: str = "infos") -> None:
    """Equal dicts, arrays (value and dtype) and values, recursively."""
    if isinstance(gymnasiums, dict):
        assert isinstance(ours, dict) and list(ours) == list(gymnasiums), where
        for key in gymnasiums:
            assert_same_infos(ours[key], gymnasiums[key], f"{where}[{key!r}]")
    elif isinstance(gymnasiums, np.ndarray):
        assert isinstance(ours, np.ndarray) and ours.dtype == gymnasiums.dtype, where
        assert ours.shape == gymnasiums.shape, where
        for mine, theirs in zip(ours, gymnasiums, strict=True):
            assert_same_infos(mine, theirs, where)
    else:
        assert type(ours) is type(gymnasiums) and ours == gymnasiums, where


@pytest.mark.parametrize("channel", ["semantic", "text"])
def test_infos_are_merged_as_gymnasium_merges_them(channel: str) -> None:
    venv = DialogueVectorEnv("dialogym/PyDialEnv1-v0", num_envs=4, channel=channel)
    venv.reset(seed=3)
    ended = 0
    for step in range(40):
        lists = venv.step_lists(first_allowed(venv.action_masks(), step))
        infos = lists[-1]
        ended += int(np.sum(lists[2] | lists[3]))
        gymnasiums: dict = {}
        for i, info in enumerate(infos):
            gymnasiums = VectorEnv._add_info(venv, gymnasiums, info, i)
        assert_same_infos(merge_infos(infos, venv.num_envs), gymnasiums)
    assert ended > 0  # final_info and final_obs were merged too
