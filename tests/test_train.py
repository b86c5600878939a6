"""``dialogym train`` as a user runs it: flags, config files, errors, interruption and resume."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml

from dialogym.runs import MARKER

TINY = ["--dialogues", "40", "--n-envs", "2", "--algo-kwarg", "n_steps=16", "--algo-kwarg",
        "batch_size=32", "--eval-every", "20", "--eval-episodes", "4", "--test-episodes", "10"]  # fmt: skip


def dialogym(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dialogym.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_train_writes_a_complete_run_folder(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("env: dialogym/PyDialEnv3-v0\nseed: 3\nalgo_kwargs: {learning_rate: 0.002}\n")
    out = tmp_path / "run"
    result = dialogym("train", "--config", str(config), "--out", str(out), "--no-progress", *TINY)
    assert result.returncode == 0, result.stderr
    assert f"{out}: success" in result.stdout
    resolved = yaml.safe_load((out / "config.yaml").read_text())
    assert resolved["env"] == "dialogym/PyDialEnv3-v0" and resolved["seed"] == 3  # from the file
    assert resolved["dialogues"] == 40  # from the flags
    assert resolved["algo_kwargs"] == {"learning_rate": 0.002, "n_steps": 16, "batch_size": 32}
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["episodes"] == 10 and metrics["dialogues"] >= 40
    evaluations = json.loads((out / "evaluations.json").read_text())
    assert [e["dialogues"] >= 20 for e in evaluations] and len(evaluations) >= 2
    assert (out / "evaluations.csv").read_text().startswith("dialogues,timesteps,")
    assert (out / "curves.png").read_bytes()[:4] == b"\x89PNG"
    evaluated = dialogym("evaluate", "--env", "dialogym/PyDialEnv3-v0", "--policy",
                         str(out / "model.zip"), "--episodes", "5", "--no-progress")  # fmt: skip
    assert evaluated.returncode == 0, evaluated.stderr
    assert "inform F1" in evaluated.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--algo", "sarsa"], "unknown algorithm 'sarsa'"),
        (["--algo-kwarg", "learning_rat=0.1"], "takes no argument 'learning_rat'"),
        (["--env-kwarg", "colour=red"], "colour"),
        (["--env", "dialogym/Nope-v0"], "--env"),
        (["--config", "/no/such/config.yaml"], "no such config file"),
        (["--resume", "/no/such/run"], "--resume"),
        (["--dialogues", "0"], "dialogues"),
        (["--reward-scale", "0"], "reward_scale: must be a positive number"),
        (["--algo", "dqn", "--n-envs", "4"], "n_envs: DQN trains every 2 dialogues"),
    ],
)
def test_bad_input_is_one_line(args: list[str], needle: str) -> None:
    result = dialogym("train", *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dialogym train: error:"), result.stderr
    assert needle in lines[0]


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL])
def test_interrupted_run_resumes_and_finishes(tmp_path: Path, how: signal.Signals) -> None:
    out = tmp_path / "run"
    command = [sys.executable, "-m", "dialogym.cli", "train", "--out", str(out), "--no-progress",
               "--dialogues", "2000", "--eval-every", "100", "--eval-episodes", "5"]  # fmt: skip
    # A shell's background job inherits SIGINT ignored, and Python keeps it so: give the run
    # the default disposition, as in a terminal.
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not (out / "checkpoint.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.1)  # well inside the run: 2,000 dialogues take seconds even on an idle machine
    process.send_signal(how)
    process.communicate(timeout=60)
    assert not (out / "model.zip").exists()  # it really was interrupted
    for path in out.glob("*.json"):
        json.loads(path.read_text())  # every file complete
    zipfile.ZipFile(out / "checkpoint.zip").testzip()
    seen = json.loads((out / "checkpoint.json").read_text())["dialogues"]
    result = dialogym("train", "--resume", str(out), "--no-progress")
    assert result.returncode == 0, result.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["dialogues"] >= 2000 > seen
    evaluations = json.loads((out / "evaluations.json").read_text())
    points = [e["dialogues"] for e in evaluations]
    assert points == sorted(points) and points[-1] >= 1900
    hidden = sorted(p.name for p in out.iterdir() if p.name.startswith("."))
    assert hidden == [MARKER]  # the run folder's mark; no temporary left
