"""Warm start by behaviour cloning: corpus replay, its checks, cloning, and ``train --warm-start``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch

from dialogym import simulate
from dialogym.acts import format_acts
from dialogym.agents import (
    ALGORITHMS,
    BehaviourCloning,
    CorpusLimits,
    build_agent,
    make_vec_env,
    replay_corpus,
    warm_start,
)
from dialogym.agents.warm_start import agreement, behaviour_clone
from dialogym.policies import make_policy

ENV = "dialogym/PyDialEnv3-v0"
KWARGS: dict[str, Any] = {"domain": "restaurant", "channel": "semantic"}


GAMMA = 0.9


def write_corpus(
    path: Path, episodes: int, first_seed: int, env_kwargs: dict[str, Any] = KWARGS
) -> tuple[np.ndarray, np.ndarray]:
    """Handcrafted dialogues as ``dialogym simulate`` writes them (the fields a replay reads:
    env, env_kwargs, seed + k, per turn action and user_acts); the observations it acted on and
    the discounted returns (`GAMMA`) from each."""
    env = gym.make(ENV, **env_kwargs)
    unwrapped = env.unwrapped
    policy = make_policy("handcrafted", unwrapped)
    observations = []
    returns: list[float] = []
    with path.open("w", encoding="utf-8") as stream:
        for k in range(episodes):
            observation, _ = env.reset(seed=first_seed + k)
            ended = False
            rewards = []
            while not ended:
                observations.append(observation)
                mask = unwrapped.action_masks()  # type: ignore[attr-defined]
                action, _ = policy.predict(observation, action_masks=mask)
                observation, reward, terminated, truncated, _ = env.step(action)
                rewards.append(float(reward))
                ended = terminated or truncated
            returns.extend(sum(GAMMA**i * r for i, r in enumerate(rewards[t:]))
                           for t in range(len(rewards)))  # fmt: skip
            transcript = [
                {"turn": turn.turn, "action": turn.action, "user_acts": format_acts(turn.user_acts)}
                for turn in unwrapped.transcript  # type: ignore[attr-defined]
            ]
            record = {"episode": k, "env": ENV, "env_kwargs": env_kwargs,
                      "seed": first_seed + k, "transcript": transcript}  # fmt: skip
            stream.write(json.dumps(record) + "\n")
    return np.asarray(observations, dtype=np.float32), np.asarray(returns, dtype=np.float32)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray, np.ndarray]:
    path = tmp_path_factory.mktemp("corpus") / "handcrafted.jsonl"
    return path, *write_corpus(path, 80, 100)


@pytest.fixture(scope="module")
def held_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "held-out.jsonl"
    write_corpus(path, 40, 5000)
    return path


def fresh_agent(algo: str, seed: int = 0) -> Any:
    algorithm = ALGORITHMS[algo]
    kwargs = {**KWARGS, **algorithm.env_kwargs}
    env = make_vec_env(ENV, kwargs, algorithm.n_envs, seed, reward_scale=algorithm.reward_scale)
    return build_agent(algorithm, env, seed), algorithm


def test_replay_rebuilds_the_observations_the_teacher_acted_on(
    corpus: tuple[Path, np.ndarray, np.ndarray],
) -> None:
    path, observations, returns = corpus
    demonstrations = replay_corpus(path, ENV, KWARGS, gamma=GAMMA, reward_scale=0.5)
    assert demonstrations.dialogues == 80 and len(demonstrations) == len(observations)
    np.testing.assert_array_equal(demonstrations.observations, observations)
    rows = np.arange(len(demonstrations))
    assert demonstrations.masks[rows, demonstrations.actions].all()  # the teacher's were allowed
    np.testing.assert_allclose(demonstrations.returns, 0.5 * returns, rtol=1e-5)
    assert demonstrations.turn_cost == 0.5


@pytest.mark.parametrize("policy", ["handcrafted", "random"])
def test_a_corpus_from_dialogym_simulate_replays(policy: str, tmp_path: Path) -> None:
    path = tmp_path / "simulated.jsonl"
    flags = [f"--env-kwarg={key}={value}" for key, value in KWARGS.items()]
    assert simulate.main(["--env", ENV, *flags, "--policy", policy, "--episodes", "12",
                          "--seed", "7", "--out", str(path), "--no-progress"]) == 0  # fmt: skip
    demonstrations = replay_corpus(path, ENV, {"channel": "semantic"}, gamma=0.99)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert demonstrations.dialogues == 12
    assert len(demonstrations) == sum(len(line["transcript"]) - 1 for line in lines)


@pytest.mark.parametrize("algo", sorted(ALGORITHMS))
def test_warm_start_moves_predictions_toward_the_teachers_actions(
    algo: str, corpus: tuple[Path, np.ndarray, np.ndarray], held_out: Path
) -> None:
    model, algorithm = fresh_agent(algo)
    kwargs = {**KWARGS, **algorithm.env_kwargs}  # a corpus replays on any layout
    unseen = replay_corpus(held_out, ENV, kwargs, gamma=0.99)
    before = agreement(model, algorithm, unseen)
    report = warm_start(model, algorithm, corpus[0], ENV, kwargs,
                        reward_scale=algorithm.reward_scale)  # fmt: skip
    after = agreement(model, algorithm, unseen)
    assert report.agreement_after > report.agreement_before + 0.3
    assert after > before + 0.3 and after >= 0.6, (before, after)  # dialogues it never saw
    if algo == "dqn":  # the target network starts from the cloned Q-values
        for online, target in zip(model.q_net.parameters(), model.q_net_target.parameters(),
                                  strict=True):  # fmt: skip
            assert torch.equal(online, target)


def test_value_head_learns_the_returns_and_can_be_left_alone(
    corpus: tuple[Path, np.ndarray, np.ndarray],
) -> None:
    demonstrations = replay_corpus(corpus[0], ENV, KWARGS, gamma=0.99)
    observations = torch.as_tensor(demonstrations.observations)

    def value_error(model: Any) -> float:
        with torch.no_grad():
            values = model.policy.predict_values(observations).flatten().numpy()
        return float(np.mean((values - demonstrations.returns) ** 2))

    model, algorithm = fresh_agent("maskable_ppo")
    untrained = value_error(model)
    behaviour_clone(model, algorithm, demonstrations, BehaviourCloning(epochs=10))
    assert value_error(model) < untrained / 2
    model, algorithm = fresh_agent("maskable_ppo")
    value_net = [p.clone() for p in model.policy.value_net.parameters()]
    behaviour_clone(model, algorithm, demonstrations, BehaviourCloning(epochs=2, value_weight=0))
    for before, after in zip(value_net, model.policy.value_net.parameters(), strict=True):
        assert torch.equal(before, after)


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        ({"epochs": 0}, "epochs: must be a positive integer, got 0"),
        ({"batch_size": True}, "batch_size: must be a positive integer"),
        ({"learning_rate": 0.0}, "learning_rate: must be a finite number > 0"),
        ({"learning_rate": float("inf")}, "learning_rate: must be a finite number > 0"),
        ({"value_weight": -1.0}, "value_weight: must be a finite number >= 0"),
        ({"value_weight": float("nan")}, "value_weight: must be a finite number >= 0"),
    ],
)
def test_bad_cloning_settings_are_refused(settings: dict[str, Any], needle: str) -> None:
    with pytest.raises(ValueError, match=re.escape(needle)):
        BehaviourCloning(**settings)
    assert BehaviourCloning(value_weight=0).value_weight == 0


def test_same_seed_same_cloned_agent(corpus: tuple[Path, np.ndarray, np.ndarray]) -> None:
    settings = BehaviourCloning(epochs=3)
    agents = []
    for _ in range(2):
        model, algorithm = fresh_agent("maskable_ppo", seed=4)
        warm_start(model, algorithm, corpus[0], ENV, KWARGS, settings, seed=4)
        agents.append(model)
    for first, second in zip(*(a.policy.parameters() for a in agents), strict=True):
        assert torch.equal(first, second)


def edited(source: Path, target: Path, line: int, change: Any) -> Path:
    """A copy of ``source`` whose ``line`` (1-based) is ``change(record)`` (or raw text)."""
    lines = source.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[line - 1])
    replaced = change(record)
    lines[line - 1] = replaced if isinstance(replaced, str) else json.dumps(replaced)
    target.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    return target


def _user_says(record: dict[str, Any]) -> dict[str, Any]:
    record["transcript"][1]["user_acts"] = "bye()"
    return record


@pytest.mark.parametrize(
    ("line", "change", "needle"),
    [
        (2, lambda r: {**r, "seed": r["seed"] + 1}, "line 2: the dialogue does not replay"),
        (3, _user_says, "line 3: the dialogue does not replay as recorded: turn 1 the user says"),
        (
            1,
            lambda r: {**r, "env_kwargs": {**r["env_kwargs"], "ser": 0.3}},
            "line 1: the corpus was made in another world",
        ),  # fmt: skip
        (1, lambda r: {**r, "env": "dialogym/PyDialEnv1-v0"}, "ser=0.0 (training: 0.15)"),
        (
            1,
            lambda r: {**r, "env_kwargs": {**r["env_kwargs"], "channel": "text"}},
            'channel="text" (training: "semantic")',
        ),  # fmt: skip
        (1, lambda r: {**r, "env": "CartPole-v1"}, "line 1: env: 'CartPole-v1' is not a dialogym"),
        (2, lambda r: {k: v for k, v in r.items() if k != "seed"}, "line 2: no 'seed' field"),
        (2, lambda r: {**r, "seed": True}, "line 2: field 'seed' must be int, got bool"),
        (2, lambda r: {**r, "seed": -1}, "line 2: field 'seed' must be >= 0"),
        (2, lambda r: {**r, "transcript": []}, "line 2: the transcript is empty"),
        (2, lambda r: {**r, "transcript": r["transcript"][:1]}, "line 2: the transcript holds no"),
        (
            2,
            lambda r: {**r, "transcript": r["transcript"][:-1]},
            "line 2: the dialogue does not replay as recorded: it goes on after turn",
        ),  # fmt: skip
        (
            3,
            lambda r: {**r, "transcript": [{**r["transcript"][0], "action": "request:area"}]},
            "line 3: turn 0 must be the opening",
        ),  # fmt: skip
        (
            2,
            lambda r: (
                r | {"transcript": [r["transcript"][0], {**r["transcript"][1], "action": "rm -rf"}]}
            ),
            "line 2: turn 1: unknown action 'rm -rf'",
        ),  # fmt: skip
        (
            2,
            lambda r: (
                r | {"transcript": [r["transcript"][0], {**r["transcript"][1], "action": "inform"}]}
            ),
            "line 2: turn 1: action 'inform' is not allowed there",
        ),  # fmt: skip
        (2, lambda r: "{not json", "line 2: not JSON"),
        (2, lambda r: "[1, 2]", "line 2: expected a JSON object, got list"),
        (2, lambda r: "[" * 100_000, "line 2: not JSON"),
    ],
)
def test_a_corpus_that_does_not_fit_is_refused_in_one_line(
    corpus: tuple[Path, np.ndarray, np.ndarray], tmp_path: Path, line: int, change: Any, needle: str
) -> None:
    bad = edited(corpus[0], tmp_path / "bad.jsonl", line, change)
    with pytest.raises(ValueError) as caught:
        replay_corpus(bad, ENV, KWARGS, gamma=0.99)
    message = str(caught.value)
    assert needle in message and str(bad) in message and "\n" not in message, message


def test_arguments_that_change_no_observation_may_differ(
    corpus: tuple[Path, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    """The corpus's reward or render mode are not the training env's: the replay's rewards are."""
    kwargs = {**KWARGS, "reward": {"success": 30, "turn": -2}, "render_mode": "ansi"}
    demonstrations = replay_corpus(corpus[0], ENV, kwargs, gamma=GAMMA)
    np.testing.assert_array_equal(demonstrations.observations, corpus[1])
    assert demonstrations.turn_cost == 2.0
    assert demonstrations.returns.max() > corpus[2].max() + 5  # a success is worth 10 more


def test_corpus_size_bounds(corpus: tuple[Path, np.ndarray, np.ndarray], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="line 1: longer than 100 bytes"):
        replay_corpus(corpus[0], ENV, KWARGS, 0.99, limits=CorpusLimits(max_line_bytes=100))
    with pytest.raises(ValueError, match="bytes, more than the 1000 allowed"):
        replay_corpus(corpus[0], ENV, KWARGS, 0.99, limits=CorpusLimits(max_file_bytes=1000))
    with pytest.raises(ValueError, match="more than 5 dialogues"):
        replay_corpus(corpus[0], ENV, KWARGS, 0.99, limits=CorpusLimits(max_dialogues=5))
    lines = corpus[0].read_text().splitlines()
    two = sum(len(json.loads(line)["transcript"]) - 1 for line in lines[:2])  # lines 1 and 2 fit
    with pytest.raises(ValueError, match=f"line 3: more than {two} decisions"):
        replay_corpus(corpus[0], ENV, KWARGS, 0.99, limits=CorpusLimits(max_decisions=two))
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(ValueError, match="holds no dialogue"):
        replay_corpus(tmp_path / "empty.jsonl", ENV, KWARGS, 0.99)
    with pytest.raises(ValueError, match="cannot read the corpus"):
        replay_corpus(tmp_path / "missing.jsonl", ENV, KWARGS, 0.99)


def dialogym(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dialogym.cli", *args], capture_output=True, text=True, timeout=300
    )


TINY = ["--env", ENV, "--env-kwarg", "channel=semantic", "--dialogues", "30", "--n-envs", "2",
        "--algo-kwarg", "n_steps=16", "--algo-kwarg", "batch_size=32", "--eval-every", "20",
        "--eval-episodes", "20", "--test-episodes", "10", "--no-progress"]  # fmt: skip


@pytest.mark.slow
def test_train_warm_start_clones_once_and_resume_does_not_repeat_it(
    corpus: tuple[Path, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = dialogym("train", *TINY, "--out", str(out), "--warm-start", str(corpus[0]))
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "warm_start.json").read_text())
    assert report["dialogues"] == 80 and report["agreement_after"] > report["agreement_before"]
    evaluations = json.loads((out / "evaluations.json").read_text())
    assert evaluations[0]["dialogues"] == 0 and evaluations[0]["timesteps"] == 0
    # Interrupted after its first checkpoint: resume continues it, cloning nothing again.
    written = (out / "warm_start.json").stat().st_mtime_ns
    for name in ("metrics.json", "model.zip"):
        (out / name).unlink()
    other = tmp_path / "other.jsonl"
    other.write_bytes(corpus[0].read_bytes())
    refused = dialogym("train", "--resume", str(out), "--warm-start", str(other))
    assert refused.returncode != 0 and "--warm-start" in refused.stderr
    resumed = dialogym("train", "--resume", str(out), "--warm-start", str(corpus[0]),
                       "--no-progress")  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert (out / "warm_start.json").stat().st_mtime_ns == written
    assert (out / "metrics.json").is_file()
    # A fresh run replacing it (--force), without warm start, leaves no stale record of one.
    again = dialogym("train", *TINY, "--out", str(out), "--force")
    assert again.returncode == 0, again.stderr
    assert not (out / "warm_start.json").exists()
    assert json.loads((out / "evaluations.json").read_text())[0]["dialogues"] > 0


def test_train_refuses_a_corpus_of_another_world_in_one_line(
    corpus: tuple[Path, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    result = dialogym("train", *TINY, "--env-kwarg", "ser=0.3", "--out", str(tmp_path / "run"),
                      "--warm-start", str(corpus[0]))  # fmt: skip
    assert result.returncode != 0
    assert "--warm-start:" in result.stderr and "another world" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    missing = dialogym("train", *TINY, "--out", str(tmp_path / "run2"), "--warm-start", "nope")
    assert missing.returncode != 0 and "--warm-start: nope is not a file" in missing.stderr
