"""Agents: config parsing and its errors, builders, a trained agent as a policy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dialogym.agents import ALGORITHMS, AgentPolicy, TrainConfig, get_algorithm
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
        ({"colour": "red"}, "unknown key 'colour'"),
        ({"dialogues": 0}, "dialogues: must be a positive integer"),
        ({"target_success": 2.0}, "target_success"),
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
    with pytest.raises(ValueError, match="maskable_ppo, ppo, a2c, dqn"):
        get_algorithm("sarsa")


@pytest.mark.slow
@pytest.mark.parametrize("algo", sorted(ALGORITHMS))
def test_train_save_load_evaluate_round_trip(algo: str, tmp_path: Path) -> None:
    config = TrainConfig(
        algo=algo, dialogues=60, n_envs=2, eval_every=30, eval_episodes=5, test_episodes=10,
        algo_kwargs={"learning_starts": 50} if algo == "dqn" else {"n_steps": 16} | ({} if algo == "a2c" else {"batch_size": 32}),
    )  # fmt: skip
    metrics = train(config, tmp_path, progress=False)
    assert metrics["dialogues"] >= 60 and metrics["episodes"] == 10
    for name in ("model.zip", "config.yaml", "evaluations.json", "evaluations.csv",
                 "checkpoint.zip", "metrics.json", "curves.png"):  # fmt: skip
        assert (tmp_path / name).is_file(), name
    assert any((tmp_path / "tb").rglob("events.out.tfevents.*"))
    env = make_env(config.env, {})
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
