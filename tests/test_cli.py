"""The ``dialogym`` command, run as a subprocess like a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import CAMRESTAURANTS, requires_shared


def dialogym(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dialogym.cli", *args], capture_output=True, text=True, timeout=300
    )


@requires_shared(CAMRESTAURANTS)
def test_evaluate_prints_a_table_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "metrics.json"
    result = dialogym(
        "evaluate", "--env", "dialogym/PyDialEnv3-v0", "--env-kwarg", f"domain={CAMRESTAURANTS}",
        "--policy", "handcrafted", "--episodes", "50", "--seed", "1", "--json", str(out), "--no-progress",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "| handcrafted | dialogym/PyDialEnv3-v0 | 50 |" in result.stdout
    metrics = json.loads(out.read_text())
    for key in ("success_rate", "success_ci95", "avg_turns", "avg_return", "episodes"):
        assert key in metrics
    low, high = metrics["success_ci95"]
    assert low <= metrics["success_rate"] <= high
    assert metrics["episodes"] == 50
    assert not list(out.parent.glob(".metrics.json.*"))  # no temporary file left


def test_same_seed_same_metrics(tmp_path: Path) -> None:
    runs = []
    for name in ("a.json", "b.json"):
        dialogym("evaluate", "--policy", "random", "--episodes", "30", "--seed", "4",
                 "--json", str(tmp_path / name), "--no-progress")  # fmt: skip
        runs.append((tmp_path / name).read_text())
    assert runs[0] == runs[1]


def test_show_prints_dialogues() -> None:
    result = dialogym("evaluate", "--episodes", "2", "--show", "1", "--no-progress")
    assert result.returncode == 0
    assert result.stdout.count("goal:") == 1 and "SYS (start)" in result.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--env", "dialogym/Nope-v0"], "--env"),
        (["--env-kwarg", "ser"], "--env-kwarg"),
        (["--env-kwarg", "colour=red"], "colour"),
        (["--env-kwarg", "domain=/no/such/file.yaml"], "file.yaml"),
        (["--policy", "clever"], "policy"),
        (["--episodes", "0"], "--episodes"),
    ],
)
def test_bad_input_is_one_line(args: list[str], needle: str) -> None:
    result = dialogym("evaluate", "--episodes", "5", "--no-progress", *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in result.stderr


def test_unknown_command_is_one_line() -> None:
    result = dialogym("dance")
    assert result.returncode == 2 and "unknown command" in result.stderr


@pytest.mark.parametrize(
    ("command", "args", "needle"),
    [
        ("improve", ["--start", "smollm2", "--out", "r", "--min-return", "3"], "--min-return"),
        ("improve", ["--resume", "r", "--dialogues", "5", "--seed", "2"], "--dialogues, --seed"),
        ("finetune", ["--corpus", "c.jsonl", "--out", "o", "--device", "cuda:99"], "--device"),
    ],
)
def test_contradictory_or_impossible_flags_are_one_line(
    command: str, args: list[str], needle: str, tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dialogym.cli", command, *args],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and needle in lines[0], result.stderr
    assert not list(tmp_path.iterdir())  # refused before anything is written


def test_a_negative_show_is_refused() -> None:
    result = dialogym("evaluate", "--episodes", "1", "--show", "-1")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--show: expected an integer >= 0" in result.stderr.strip().splitlines()[-1]


def test_improve_with_a_start_that_cannot_play_leaves_nothing_to_resume(tmp_path: Path) -> None:
    (tmp_path / "notmodel").mkdir()
    args = ["improve", "--env", "dialogym/PyDialEnv1-v0", "--start", "notmodel", "--rounds",
            "1", "--dialogues", "4", "--eval-episodes", "4", "--out", "runs/imp1"]  # fmt: skip

    def improve() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dialogym.cli", *args],
            capture_output=True, text=True, timeout=300, cwd=tmp_path,
        )  # fmt: skip

    first = improve()
    lines = first.stderr.strip().splitlines()
    assert first.returncode == 2 and len(lines) == 1 and "--start" in lines[0], first.stderr
    assert not (tmp_path / "runs" / "imp1" / "improve.json").exists()
    second = improve()  # the same one-line error, not "holds a run already"
    assert second.stderr == first.stderr


HEAVY = ("torch", "stable_baselines3", "sb3_contrib", "transformers")


@pytest.mark.parametrize("command", ["evaluate", "train", "benchmark", "sweep", "simulate", "models",
                                     "finetune", "improve"])  # fmt: skip
def test_help_loads_no_heavy_module(command: str) -> None:
    probe = (
        "import sys, contextlib, io\n"
        "from dialogym.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit):\n"
        f"    main([{command!r}, '--help'])\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules], 'default' in out.getvalue())\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip() == f"[] {command != 'models'}", result.stderr  # defaults shown


def test_help_describes_every_command_and_version_prints() -> None:
    from dialogym import __version__
    from dialogym.cli import COMMANDS

    listed = dialogym("--help").stdout
    for command in COMMANDS:
        line = next(line for line in listed.splitlines() if line.startswith(f"  {command} "))
        assert len(line.split()) > 3  # a description after the name
    assert dialogym("--version").stdout == f"dialogym {__version__}\n"


def test_ctrl_c_while_a_command_is_still_loading_is_one_line(tmp_path: Path) -> None:
    # The command starts loading torch and SB3 (seconds); Ctrl-C comes 0.3 s into it.
    probe = (
        "import os, signal, sys, threading\n"
        "from dialogym.cli import main\n"
        "threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()\n"
        f"sys.exit(main(['train', '--out', {str(tmp_path / 'run')!r}]))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 130
    assert result.stderr.strip().splitlines() == ["dialogym train: interrupted"], result.stderr
