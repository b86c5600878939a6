"""``dialogym simulate``: the corpus's schema, same seed same file, replay reproduces rewards."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import pytest

import dialogym  # noqa: F401
from dialogym.acts import format_acts
from dialogym.simulate import main

TURN_KEYS = {
    "turn", "action", "system_acts", "system_text", "user_acts", "user_text",
    "hypotheses", "belief", "reward",
}  # fmt: skip
DIALOGUE_KEYS = {
    "episode", "goal", "success", "success_parts", "turns", "return", "hung_up", "truncated",
    "generator_fallbacks", "transcript",
}  # fmt: skip


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus") / "dialogues.jsonl"
    args = ["--env", "dialogym/PyDialEnv3-v0", "--episodes", "60", "--seed", "3"]
    assert main([*args, "--out", str(out), "--no-progress"]) == 0
    return out


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_schema(corpus: Path) -> None:
    dialogues = read(corpus)
    assert len(dialogues) == 60
    for number, dialogue in enumerate(dialogues):
        assert set(dialogue) == DIALOGUE_KEYS and dialogue["episode"] == number
        assert dialogue["generator_fallbacks"] == 0  # the template generator needs no fallback
        last = dialogue["transcript"][-1]
        closing = last["user_acts"] == "bye()" and last["system_acts"] != "bye()"
        assert len(dialogue["transcript"]) == dialogue["turns"] + 1 - closing  # PyDial's count
        for turn in dialogue["transcript"]:
            assert set(turn) == TURN_KEYS
            assert turn["system_text"] and turn["user_text"]
            assert all(set(h) == {"acts", "confidence"} for h in turn["hypotheses"])
            assert all(len(pair) == 2 for pair in turn["belief"].values())
        assert sum(t["reward"] for t in dialogue["transcript"]) == dialogue["return"]


def test_replaying_the_actions_reproduces_acts_and_rewards(corpus: Path) -> None:
    env = gym.make("dialogym/PyDialEnv3-v0", channel="text").unwrapped
    for number, dialogue in enumerate(read(corpus)):
        _, info = env.reset(seed=3 if number == 0 else None)
        assert format_acts(info["user_acts"]) == dialogue["transcript"][0]["user_acts"]
        for turn in dialogue["transcript"][1:]:
            _, reward, _, _, info = env.step(env.action_names.index(turn["action"]))
            assert reward == turn["reward"]
            assert format_acts(info["user_acts"]) == turn["user_acts"]
            assert info["user_text"] == turn["user_text"]


def test_same_seed_same_file(corpus: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.jsonl"
    args = ["--env", "dialogym/PyDialEnv3-v0", "--episodes", "60", "--seed", "3", "--no-progress"]
    assert main([*args, "--out", str(again)]) == 0
    assert again.read_bytes() == corpus.read_bytes()


def test_command_line(tmp_path: Path) -> None:
    out = tmp_path / "c.jsonl"
    command = [
        sys.executable,
        "-m",
        "dialogym.cli",
        "simulate",
        "--episodes",
        "3",
        "--out",
        str(out),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "wrote 3 dialogues" in done.stdout and len(read(out)) == 3
    bad = subprocess.run(
        [*command[:4], "--episodes", "0", "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--episodes" in bad.stderr
