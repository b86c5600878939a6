"""Agents: config parsing and its errors, builders, a trained agent as a policy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dialogym.agents import (
    ALGORITHMS,
    AgentPolicy,
    DialogueSchedule,
    TrainConfig,
    build_agent,
    get_algorithm,
    learning_rate_schedule,
    make_vec_env,
)
from dialogym.cli import make_env
from dialogym.envs.rollout import evaluate
from dialogym.policies import make_policy
from dialogym.train import train


def test_config_defaults_and_yaml_round_trip(tmp_path: Path) -> None:
    config = TrainConfig(algo="dqn", env_kwargs={"domain": "laptop"}, dialogues=10)
    assert config.parallel_envs == ALGORITHMS["dqn"].n_envs
    assert TrainConfig().budget_dialogues == 5000
    path = tmp_path / "c.yaml"
    path.write_text(config.to_yaml())
    assert TrainConfig.load(path) == config


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"algo": "sarsa"}, "unknown algorithm 'sarsa'"),
        ({"algo_kwargs": {"learning_rat": 0.1}}, "takes no argument 'learning_rat'"),
        ({"algo_kwargs": {"policy_kwargs": {"widht": 8}}}, "policy_kwargs: .* no argument 'widht'"),
        ({"algo": "maskable_ppo", "algo_kwargs": {"policy_kwargs": [64]}}, "must be a mapping"),
        ({"colour": "red"}, "unknown key 'colour'"),
        ({"dialogues": 0}, "dialogues: must be a positive integer"),
        ({"target_success": 2.0}, "target_success"),
        ({"algo": "dqn", "n_envs": 2}, "n_envs: DQN trains every 2 dialogues"),
        ({"reward_scale": -1.0}, "reward_scale"),
    ],
)
def test_config_errors_are_one_line(data: dict, needle: str) -> None:
    with pytest.raises(ValueError, match=needle) as error:
        TrainConfig.from_mapping(data, source="c.yaml")
    assert "\n" not in str(error.value) and str(error.value).startswith("c.yaml: ")


def test_config_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such config file"):
        TrainConfig.load(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("algo: [unclosed\n")
    with pytest.raises(ValueError, match="bad.yaml: cannot read config") as error:
        TrainConfig.load(bad)
    assert "\n" not in str(error.value)
    bad.write_text("- a list\n")
    with pytest.raises(ValueError, match="expected a mapping"):
        TrainConfig.load(bad)


def test_unknown_algorithm_lists_the_known() -> None:
    with pytest.raises(ValueError, match="structured_ppo, maskable_ppo, ppo, a2c, dqn"):
        get_algorithm("sarsa")


@pytest.mark.slow
@pytest.mark.parametrize("algo", sorted(ALGORITHMS))
def test_train_save_load_evaluate_round_trip(algo: str, tmp_path: Path) -> None:
    config = TrainConfig(
        algo=algo, dialogues=60, n_envs=1 if algo == "dqn" else 2, eval_every=30,
        eval_episodes=5, test_episodes=10,
        algo_kwargs={"learning_starts": 50} if algo == "dqn" else {"n_steps": 16} | ({} if algo == "a2c" else {"batch_size": 32}),
    )  # fmt: skip
    metrics = train(config, tmp_path, progress=False)
    assert metrics["dialogues"] >= 60 and metrics["episodes"] == 10
    for name in ("model.zip", "config.yaml", "evaluations.json", "evaluations.csv",
                 "checkpoint.zip", "metrics.json", "curves.png"):  # fmt: skip
        assert (tmp_path / name).is_file(), name
    assert any((tmp_path / "tb").rglob("events.out.tfevents.*"))
    env = make_env(config.env, config.env_arguments)
    policy = AgentPolicy.load(tmp_path / "model.zip").check_env(env)
    assert policy.algorithm.name == algo
    again, _ = evaluate(env, policy, 10, 20_000 + config.seed)
    assert again["success_rate"] == metrics["success_rate"]  # same agent, same dialogues
    mask = env.unwrapped.action_masks()
    obs, _ = env.reset(seed=0)
    action, _ = policy.predict(obs, action_masks=env.unwrapped.action_masks())
    assert env.unwrapped.action_masks()[int(action)] == 1
    batch, _ = policy.predict(np.stack([obs, obs]), action_masks=np.stack([mask, mask]))
    assert batch.shape == (2,)


def test_agent_on_another_domain_is_refused(tmp_path: Path) -> None:
    train(TrainConfig(dialogues=8, n_envs=2, eval_every=100, test_episodes=2,
                      algo_kwargs={"n_steps": 8, "batch_size": 16}), tmp_path, progress=False)  # fmt: skip
    with pytest.raises(ValueError, match="another domain"):
        AgentPolicy.load(tmp_path / "model.zip").check_env(
            make_env("dialogym/Dialogue-v0", {"domain": "laptop"})
        )
    with pytest.raises(ValueError, match="no such model file"):
        AgentPolicy.load(tmp_path / "nope.zip")
    (tmp_path / "junk.zip").write_text("not a zip")
    with pytest.raises(ValueError, match="not a saved agent"):
        AgentPolicy.load(tmp_path / "junk.zip")


@pytest.mark.slow
def test_trained_agent_beats_random(tmp_path: Path) -> None:
    config = TrainConfig(env="dialogym/PyDialEnv3-v0", dialogues=1500, eval_every=1500,
                         eval_episodes=10, test_episodes=200)  # fmt: skip
    metrics = train(config, tmp_path, progress=False)
    env = make_env(config.env, {})
    random, _ = evaluate(env, make_policy("random", env, seed=0), 200, 20_000)
    assert metrics["success_rate"] >= 0.8
    assert metrics["success_rate"] > random["success_rate"] + 0.3


def test_dqn_defaults_are_pydials_dqn_settings() -> None:
    """PyDial's [dqnpolicy] of its benchmark configs, where SB3's DQN has the same knob."""
    env = make_vec_env("dialogym/PyDialEnv3-v0", {}, 1, seed=0)
    model = build_agent(ALGORITHMS["dqn"], env, seed=0)
    assert (model.gamma, model.learning_rate, model.batch_size, model.buffer_size) == (
        0.99, 1e-3, 64, 6000
    )  # fmt: skip
    assert (model.tau, model.learning_starts, model.gradient_steps) == (0.02, 640, 1)
    assert (model.train_freq.frequency, model.train_freq.unit.value) == (2, "episode")
    assert (model.exploration_initial_eps, model.exploration_final_eps) == (0.3, 0.0)
    assert model.policy.net_arch == [300, 100]
    assert TrainConfig(algo="dqn").learning_reward_scale == pytest.approx(1 / 20)
    assert TrainConfig(algo="ppo").learning_reward_scale == 1.0
    assert TrainConfig(algo="dqn", reward_scale=0.5).learning_reward_scale == 0.5
    with pytest.raises(ValueError, match="reward_scale: must be a positive number"):
        TrainConfig(reward_scale=0.0)


def test_dqn_epsilon_falls_per_dialogue_to_its_end_value(tmp_path: Path) -> None:
    """PyDial lowers epsilon once per dialogue over the run; SB3 alone would count steps."""
    config = TrainConfig(algo="dqn", dialogues=30, eval_every=30, eval_episodes=2,
                         test_episodes=2, algo_kwargs={"learning_starts": 20})  # fmt: skip
    train(config, tmp_path, progress=False)
    model = ALGORITHMS["dqn"].cls.load(tmp_path / "model.zip")
    # The last dialogue (the 30th) is played with epsilon 0.3 * (1 - 29/30), as in PyDial;
    # SB3's own schedule counts steps towards 30 x max_turns and would still be near 0.27.
    assert model.exploration_rate == pytest.approx(0.01)
    schedule = DialogueSchedule(0.3, 0.0, 30)
    rates = []
    for seen in (0, 15, 30, 45):
        schedule.seen = seen
        rates.append(schedule(1.0))
    assert rates == pytest.approx([0.3, 0.15, 0.0, 0.0])


def test_scaled_rewards_leave_the_monitored_returns_alone() -> None:
    plain = make_vec_env("dialogym/PyDialEnv1-v0", {}, 1, seed=3)
    scaled = make_vec_env("dialogym/PyDialEnv1-v0", {}, 1, seed=3, reward_scale=0.05)
    plain.reset()
    scaled.reset()
    for _ in range(60):
        action = np.array([plain.action_space.sample()])
        _, reward, done, info = plain.step(action)
        _, scaled_reward, scaled_done, scaled_info = scaled.step(action)
        assert scaled_reward[0] == pytest.approx(0.05 * reward[0]) and done[0] == scaled_done[0]
        if done[0]:
            assert scaled_info[0]["episode"]["r"] == info[0]["episode"]["r"]  # unscaled


def test_the_learning_rate_falls_per_dialogue_to_final_learning_rate(tmp_path: Path) -> None:
    """The rate falls to final_learning_rate over the dialogue budget, not over the steps."""
    config = TrainConfig(algo="maskable_ppo", dialogues=40, eval_every=40, eval_episodes=2,
                         test_episodes=2, algo_kwargs={"n_steps": 16, "batch_size": 32,
                         "final_learning_rate": 1e-4})  # fmt: skip
    train(config, tmp_path, progress=False)
    model = ALGORITHMS["maskable_ppo"].cls.load(tmp_path / "model.zip", device="cpu")
    # The last update ran after nearly all 40 dialogues: near 1e-4; SB3's step-based schedule
    # would count towards 40 x max_turns steps and still be near 1e-3.
    assert model.policy.optimizer.param_groups[0]["lr"] < 3e-4
    structured = get_algorithm("structured_ppo")
    schedule = learning_rate_schedule(structured, {}, 4000)  # the structured default falls
    assert isinstance(schedule, DialogueSchedule)
    assert (schedule.start, schedule.end) == (1e-3, 3e-4)
    assert learning_rate_schedule(structured, {"learning_rate": 5e-4}, 4000) is None  # as given
    assert learning_rate_schedule(get_algorithm("maskable_ppo"), {}, 4000) is None  # constant
    by_steps = learning_rate_schedule(structured, {"final_learning_rate": 1e-4}, None)
    assert by_steps is not None and by_steps(0.0) == pytest.approx(1e-4)
    assert by_steps(1.0) == pytest.approx(1e-3)


@pytest.mark.parametrize("value", [0, -1e-3, "fast", True, float("nan")])
def test_a_bad_final_learning_rate_is_one_line(value: object) -> None:
    with pytest.raises(ValueError, match="^algo_kwargs: final_learning_rate must be a number > 0"):
        TrainConfig(algo="ppo", algo_kwargs={"final_learning_rate": value})
