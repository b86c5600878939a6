"""dialogym improve: rounds recorded (rounds.json, curve.png), the corpus grows by kept dialogues
in simulate's format (of several attempts, the best), an interrupted run resumes from its last
finished round, one-line errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dialogym.envs.rollout import EpisodeResult
from dialogym.finetune import main as finetune_main
from dialogym.improve import ImproveConfig, best_attempt
from dialogym.improve import main as improve_main
from dialogym.models import where
from dialogym.simulate import main as simulate_main

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ENV = ["--env", "dialogym/PyDialEnv1-v0", "--env-kwarg", "channel=semantic"]
pytestmark = pytest.mark.skipif(where("smollm2") is None, reason="smollm2 is not on this machine")


@pytest.fixture(scope="module")
def start(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("start")
    corpus = folder / "hdc.jsonl"
    assert (
        simulate_main(
            [*ENV, "--episodes", "2", "--seed", "3", "--out", str(corpus), "--no-progress"]
        )
        == 0
    )
    policy = folder / "policy"
    args = [
        "--corpus",
        str(corpus),
        "--out",
        str(policy),
        "--max-examples",
        "4",
        "--batch",
        "4",
        "--layers",
        "1",
        "--no-progress",
    ]
    assert finetune_main(args) == 0
    return corpus, policy


@pytest.mark.slow
def test_rounds_grow_the_corpus_and_resume(start: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, policy = start
    run = tmp_path / "run"
    args = [
        *ENV, "--start", str(policy), "--corpus", str(corpus), "--rounds", "1", "--dialogues", "2",
        "--eval-episodes", "2", "--num-envs", "2", "--max-examples", "4", "--keep", "return",
        "--min-return", "-100", "--attempts", "2", "--out", str(run),
    ]  # fmt: skip
    assert improve_main(args) == 0
    rounds = json.loads((run / "rounds.json").read_text())
    assert [r["round"] for r in rounds] == [0, 1]
    assert [r["dialogues"] for r in rounds] == [0, 4]  # 2 dialogues, 2 attempts each
    assert rounds[0]["corpus_dialogues"] == 2 and rounds[1]["corpus_dialogues"] == 4  # both kept
    assert rounds[1]["kept"] == 2  # one attempt of each dialogue
    assert (run / "curve.png").read_bytes().startswith(b"\x89PNG")
    lines = [json.loads(line) for line in (run / "corpus.jsonl").read_text().splitlines()]
    assert {"env", "env_kwargs", "seed", "transcript", "success"} <= lines[-1].keys()
    assert (run / "round-1" / "dialogym-llm.json").is_file()

    # Interrupted with a half-written round 2 in the corpus: resume (extended to 2 rounds) cuts
    # the corpus back to round 1's and plays round 2.
    with (run / "corpus.jsonl").open("a") as stream:
        stream.write(json.dumps(lines[-1]) + "\n")
    assert improve_main(["--resume", str(run), "--rounds", "2"]) == 0
    assert json.loads((run / "improve.json").read_text())["rounds"] == 2
    rounds = json.loads((run / "rounds.json").read_text())
    assert [r["round"] for r in rounds] == [0, 1, 2]
    assert rounds[2]["corpus_dialogues"] == 6

    assert improve_main(args) == 2  # a run is there already: --resume it


def _tried(success: bool, turns: int) -> tuple[EpisodeResult, str]:
    result = EpisodeResult(success, turns, 20.0 * success - turns, False, False, "food=thai")
    return result, f"{success}-{turns}"


def test_the_best_qualifying_attempt_is_kept() -> None:
    by_success = ImproveConfig("dialogym/PyDialEnv1-v0", {}, "smollm2", 1, 1, attempts=3)
    tries = [_tried(True, 9), _tried(False, 2), _tried(True, 5), _tried(True, 5)]
    assert best_attempt(by_success, tries) == "True-5"  # the shortest success, the first of equals
    assert best_attempt(by_success, [_tried(False, 3), _tried(False, 4)]) is None
    by_return = ImproveConfig(
        "dialogym/PyDialEnv1-v0", {}, "smollm2", 1, 1, keep="return", min_return=-3.5
    )
    assert best_attempt(by_return, [_tried(False, 4), _tried(False, 3)]) == "False-3"
    assert best_attempt(by_return, [_tried(False, 4)]) is None
    with pytest.raises(ValueError, match="--attempts"):
        ImproveConfig("dialogym/PyDialEnv1-v0", {}, "smollm2", 1, 1, attempts=0)


def test_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert improve_main([*ENV, "--out", str(tmp_path / "r")]) == 2
    assert "--start" in capsys.readouterr().err
    assert improve_main([*ENV, "--start", "x", "--rounds", "0", "--out", str(tmp_path / "r")]) == 2
    assert "--rounds: must be >= 1" in capsys.readouterr().err
