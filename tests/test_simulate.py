"""``dialogym simulate``: the corpus's schema, same seed same file whatever ``--num-envs``, a line
replays its dialogue."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import gymnasium as gym
import pytest

import dialogym  # noqa: F401
from dialogym.acts import format_acts
from dialogym.envs.dialogue import Turn
from dialogym.simulate import main

TURN_KEYS = {
    "turn", "action", "system_acts", "system_text", "user_acts", "user_text",
    "hypotheses", "belief", "reward",
}  # fmt: skip
DIALOGUE_KEYS = {
    "episode", "env", "env_kwargs", "seed", "goal", "success", "success_parts", "turns", "return", "hung_up", "truncated",
    "generator_fallbacks", "transcript",
}  # fmt: skip


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus") / "dialogues.jsonl"
    args = ["--env", "dialogym/PyDialEnv3-v0", "--episodes", "60", "--seed", "3"]
    assert main([*args, "--out", str(out), "--no-progress"]) == 0
    return out


def as_json(turn: Turn) -> dict[str, Any]:
    """A transcript turn as the corpus writes it (without the belief)."""
    return {
        **turn._asdict(),
        "system_acts": format_acts(turn.system_acts),
        "user_acts": format_acts(turn.user_acts),
        "hypotheses": [
            {"acts": format_acts(h.acts), "confidence": h.confidence} for h in turn.hypotheses
        ],
    }


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


def test_a_line_replays_its_dialogue(corpus: Path) -> None:
    for line in read(corpus)[::7]:
        assert line["env"] == "dialogym/PyDialEnv3-v0" and line["env_kwargs"] == {"channel": "text"}
        assert line["seed"] == 3 + line["episode"]
        env = gym.make(line["env"], **line["env_kwargs"]).unwrapped
        env.reset(seed=line["seed"])
        for turn in line["transcript"][1:]:
            env.step(env.action_names.index(turn["action"]))
        replayed = [as_json(turn) for turn in env.transcript]
        assert replayed == [
            {k: v for k, v in t.items() if k != "belief"} for t in line["transcript"]
        ]


@pytest.mark.parametrize("num_envs", ["1", "7"])
def test_same_seed_same_file_whatever_the_number_of_envs(
    corpus: Path, tmp_path: Path, num_envs: str
) -> None:
    again = tmp_path / "again.jsonl"
    args = ["--env", "dialogym/PyDialEnv3-v0", "--episodes", "60", "--seed", "3", "--no-progress"]
    assert main([*args, "--num-envs", num_envs, "--out", str(again)]) == 0
    assert again.read_bytes() == corpus.read_bytes()


def test_random_policy_is_seeded_per_dialogue(tmp_path: Path) -> None:
    def simulate(name: str, episodes: int, seed: int, *more: str) -> list[dict]:
        out = tmp_path / name
        arguments = ["--policy", "random", "--episodes", str(episodes), "--seed", str(seed)]
        assert main([*arguments, *more, "--no-progress", "--out", str(out)]) == 0
        return read(out)

    one = simulate("one.jsonl", 6, 8)
    assert simulate("many.jsonl", 6, 8, "--num-envs", "4") == one
    later = simulate("later.jsonl", 3, 11)  # dialogues 3, 4, 5 of seed 8 are 0, 1, 2 of seed 11
    assert [d["transcript"] for d in later] == [d["transcript"] for d in one[3:]]


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


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["--num-envs", "0"], "--num-envs: must be >= 1"),
        (["--env-kwarg", "when=2024-01-01"], "--env-kwarg: a value cannot be written"),
        (["--env-kwarg", "generator=llm:/no/such/model.gguf"], "--env-kwarg: model:"),
        (["--env-kwarg", "generator=poetry"], "generator: unknown generator 'poetry'"),
    ],
)
def test_bad_arguments_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], named: str
) -> None:
    out = tmp_path / "c.jsonl"
    assert main([*arguments, "--episodes", "1", "--no-progress", "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert named in error and error.count("\n") == 1 and not out.exists()


def test_an_llm_policy_writes_a_corpus_in_batches(tmp_path: Path) -> None:
    """A policy that is not built in is one policy for every dialogue, bound to the vector env."""
    out = tmp_path / "llm.jsonl"
    arguments = ["--env", "dialogym/PyDialEnv1-v0", "--env-kwarg", "channel=semantic"]
    arguments += ["--policy", "llm", "--episodes", "2", "--num-envs", "2", "--no-progress"]
    assert main([*arguments, "--out", str(out)]) == 0
    lines = read(out)
    assert [line["seed"] for line in lines] == [0, 1] and all(line["transcript"] for line in lines)
