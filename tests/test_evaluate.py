"""``dialogym evaluate``: its transcripts are corpus lines, its figures do not depend on
``--num-envs``, Ctrl-C keeps the dialogues played."""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path

import pytest

from dialogym.agents.warm_start import replay_corpus
from dialogym.cli import Interrupted
from dialogym.dialogues import kept_on_interrupt, play
from dialogym.evaluate import main as evaluate_main
from dialogym.simulate import main as simulate_main

ENV = ["--env", "dialogym/PyDialEnv3-v0", "--env-kwarg", "channel=semantic", "--no-progress"]


def test_transcripts_are_the_corpus_simulate_writes(tmp_path: Path) -> None:
    transcripts, corpus = tmp_path / "evaluate.jsonl", tmp_path / "simulate.jsonl"
    common = [*ENV, "--policy", "random", "--episodes", "7", "--seed", "5"]
    assert evaluate_main([*common, "--transcripts", str(transcripts)]) == 0
    assert simulate_main([*common, "--num-envs", "3", "--out", str(corpus)]) == 0
    assert transcripts.read_bytes() == corpus.read_bytes()
    first = json.loads(transcripts.read_text().splitlines()[0])
    assert first["env"] == "dialogym/PyDialEnv3-v0" and first["seed"] == 5
    assert "belief" in first["transcript"][0]
    # ...so it replays: it can feed finetune and train --warm-start.
    replayed = replay_corpus(transcripts, "dialogym/PyDialEnv3-v0", {"channel": "semantic"}, 1.0)
    assert replayed.dialogues == 7


def test_figures_do_not_depend_on_num_envs(tmp_path: Path) -> None:
    reports = []
    for num_envs in ("1", "4"):
        report = tmp_path / f"{num_envs}.json"
        args = [*ENV, "--episodes", "9", "--seed", "2", "--num-envs", num_envs]
        assert evaluate_main([*args, "--json", str(report)]) == 0
        reports.append(json.loads(report.read_text()))
    assert reports[0] == reports[1]


def test_show_prints_the_first_dialogues(capsys: pytest.CaptureFixture[str]) -> None:
    assert evaluate_main([*ENV, "--episodes", "4", "--num-envs", "2", "--show", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("goal:") == 2 and out.count("SYS (start)") == 2


def interrupt_soon(seconds: float) -> threading.Timer:
    """Send this process SIGINT (Ctrl-C) in ``seconds``."""
    timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    return timer


@pytest.mark.parametrize(
    ("command", "flag"), [("evaluate", "--transcripts"), ("simulate", "--out")]
)
def test_ctrl_c_writes_the_dialogues_finished(
    command: str, flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main = {"evaluate": evaluate_main, "simulate": simulate_main}[command]
    out = tmp_path / "dialogues.jsonl"
    args = [*ENV, "--episodes", "10000000", "--num-envs", "3", flag, str(out)]
    timer = interrupt_soon(2.0)  # the dialogues never end before it
    try:
        assert main(args) == 130
    finally:
        timer.cancel()
    lines = out.read_text().splitlines()
    numbers = [json.loads(line)["episode"] for line in lines]
    assert lines and numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"dialogym {command}: interrupted; wrote the {len(lines)} dialogues finished of"
        f" 10000000 to {out}"
    )


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_ctrl_c_python_drops_still_stops_at_the_next_dialogue(tmp_path: Path) -> None:
    # Python drops an exception raised in a finaliser ("Exception ignored in ..."); a Ctrl-C
    # that lands there (likelier in a long loop freeing many objects) must not be lost.
    class SendsCtrlCWhenFreed:
        def __del__(self) -> None:
            os.kill(os.getpid(), signal.SIGINT)

    played = play("dialogym/PyDialEnv3-v0", {"channel": "semantic"}, "random", 3, 0, 1)
    out = tmp_path / "dialogues.jsonl"
    with pytest.raises(Interrupted, match="wrote the 2 dialogues finished of 3"):
        with kept_on_interrupt(str(out), 3) as kept:
            kept.keep(played[0])
            SendsCtrlCWhenFreed()  # freed at once: its KeyboardInterrupt is dropped
            assert kept.ctrl_c.pressed  # ...and the block goes on
            kept.keep(played[1])
            kept.keep(played[2])  # never reached
    assert [json.loads(line)["episode"] for line in out.read_text().splitlines()] == [0, 1]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored
