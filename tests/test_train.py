"""``dialogym train`` as a user runs it: flags, config files, errors, interruption and resume."""

from __future__ import annotations

import json
import os
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
    evaluated = [line for line in result.stdout.splitlines() if " dialogues: success " in line]
    assert len(evaluated) >= 2 and evaluated[0].startswith("20 dialogues: success ")  # as it goes
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
        (["--device", "cuda:99"], "--device: 'cuda:99' asked for, but"),
        (["--dialogues", "10", "--timesteps", "100"], "one training budget, not both"),
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
               "--dialogues", "1000", "--eval-every", "100", "--eval-episodes", "5",
               "--test-episodes", "20"]  # fmt: skip
    # A shell's background job inherits SIGINT ignored, and Python keeps it so: give the run
    # the default disposition, as in a terminal.
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not (out / "checkpoint.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.1)  # well inside the run: 1,000 dialogues take seconds even on an idle machine
    process.send_signal(how)
    _, stderr = process.communicate(timeout=60)
    assert not (out / "model.zip").exists()  # it really was interrupted
    if how == signal.SIGINT:  # one line, saying how to go on
        assert stderr.decode().strip().splitlines() == [
            f"dialogym train: interrupted; continue with: dialogym train --resume {out}"
        ]
    for path in out.glob("*.json"):
        json.loads(path.read_text())  # every file complete
    zipfile.ZipFile(out / "checkpoint.zip").testzip()
    seen = json.loads((out / "checkpoint.json").read_text())["dialogues"]
    result = dialogym("train", "--resume", str(out), "--no-progress")
    assert result.returncode == 0, result.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["dialogues"] >= 1000 > seen and metrics["episodes"] == 20
    evaluations = json.loads((out / "evaluations.json").read_text())
    points = [e["dialogues"] for e in evaluations]
    assert points == sorted(points) and points[-1] >= 900
    hidden = sorted(p.name for p in out.iterdir() if p.name.startswith("."))
    assert hidden == [MARKER]  # the run folder's mark; no temporary left


def train_in(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``dialogym train`` run from ``folder`` (relative paths are read from there)."""
    return subprocess.run(
        [sys.executable, "-m", "dialogym.cli", "train", "--no-progress", *args],
        capture_output=True, text=True, timeout=300, cwd=folder,
    )  # fmt: skip


@pytest.fixture
def domain_folder(tmp_path: Path) -> Path:
    """A working folder holding a copy of the restaurant domain as ``diner.yaml``."""
    import dialogym.domains

    data = Path(dialogym.domains.__file__).parent / "data"
    work = tmp_path / "work"
    work.mkdir()
    text = (data / "restaurant.yaml").read_text(encoding="utf-8")
    (work / "diner.yaml").write_text(text, encoding="utf-8")
    (work / "restaurant.csv").write_bytes((data / "restaurant.csv").read_bytes())
    return work


def test_default_names_hold_the_domain_and_resume_works_from_anywhere(
    domain_folder: Path, tmp_path: Path
) -> None:
    tiny = [*TINY, "--dialogues", "10", "--eval-every", "5"]  # the last flag counts
    result = train_in(domain_folder, "--env-kwarg", "domain=diner.yaml", *tiny)
    assert result.returncode == 0, result.stderr
    run = domain_folder / "runs" / "structured_ppo-PyDialEnv1-v0-diner-s0"
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert saved["env_kwargs"]["domain"] == str(domain_folder / "diner.yaml")  # absolute
    # Another domain, no --out: its own folder, the first run untouched.
    other = train_in(domain_folder, "--env-kwarg", "domain=laptop", *tiny)
    assert other.returncode == 0, other.stderr
    assert (
        domain_folder / "runs" / "structured_ppo-PyDialEnv1-v0-laptop-s0" / "model.zip"
    ).exists()
    # Cut the first run back to its checkpoint and resume it from another folder.
    for name in ("metrics.json", "model.zip"):
        (run / name).unlink()
    resumed = train_in(tmp_path, "--resume", str(run))
    assert resumed.returncode == 0, resumed.stderr
    assert (run / "metrics.json").exists()


def test_a_relative_domain_that_is_not_there_is_one_line(domain_folder: Path) -> None:
    run = domain_folder / "old-run"
    run.mkdir()
    (run / MARKER).write_text("a dialogym run folder\n")
    (run / "config.yaml").write_text("env_kwargs: {domain: diner.yaml}\n")  # relative: old runs
    (run / "checkpoint.json").write_text('{"dialogues": 4, "train_seconds": 1, "evaluations": []}')
    (run / "checkpoint.zip").write_bytes(b"")
    result = train_in(domain_folder.parent, "--resume", str(run))
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert "--resume" in lines[0] and "config.yaml" in lines[0] and "diner.yaml" in lines[0]


@pytest.mark.parametrize(
    ("held", "needle"),
    [("metrics.json", "holds a finished run"), ("checkpoint.json", "--resume")],
)
def test_a_run_is_never_replaced_without_force(tmp_path: Path, held: str, needle: str) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / MARKER).write_text("a dialogym run folder\n")
    (out / held).write_text("{}")
    (out / "evaluations.json").write_text('[{"dialogues": 999}]')  # the earlier run's
    result = dialogym("train", "--out", str(out), "--no-progress", *TINY)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and needle in lines[0], result.stderr
    assert (out / held).read_text() == "{}"
    replaced = dialogym("train", "--out", str(out), "--no-progress", "--force", *TINY)
    assert replaced.returncode == 0, replaced.stderr
    evaluations = json.loads((out / "evaluations.json").read_text())
    assert 999 not in [e["dialogues"] for e in evaluations]  # no record of the earlier run


def test_a_device_this_machine_lacks_writes_nothing(tmp_path: Path) -> None:
    result = dialogym("train", "--device", "cuda:99", "--out", str(tmp_path / "run"))
    assert result.returncode == 2 and "--device" in result.stderr
    assert not (tmp_path / "run").exists()  # no config.yaml saying cuda


def test_a_budget_flag_replaces_the_files_budget(tmp_path: Path) -> None:
    from dialogym.train import build_parser, resolve_config

    config = tmp_path / "c.yaml"
    config.write_text("dialogues: 4000\n")
    resolved = resolve_config(
        build_parser().parse_args(["--config", str(config), "--timesteps", "64"])
    )
    assert (resolved.dialogues, resolved.timesteps) == (None, 64)
    config.write_text("dialogues: 4000\ntimesteps: 64\n")
    result = dialogym("train", "--config", str(config))
    assert result.returncode == 2 and "give one budget, not both" in result.stderr


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_ctrl_c_python_drops_still_stops_training(tmp_path: Path) -> None:
    """A Ctrl-C raised inside a finaliser is dropped by Python; training must stop anyway."""
    from dialogym.agents import TrainConfig
    from dialogym.train import train

    class SendsCtrlCWhenFreed:
        def __del__(self) -> None:
            os.kill(os.getpid(), signal.SIGINT)

    def log(line: str) -> None:
        SendsCtrlCWhenFreed()  # freed at once: its KeyboardInterrupt is dropped

    config = TrainConfig(algo="maskable_ppo", dialogues=2000, eval_every=20, eval_episodes=2,
                         test_episodes=2, algo_kwargs={"n_steps": 16, "batch_size": 32})  # fmt: skip
    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path / "run", progress=False, log=log)
    evaluations = json.loads((tmp_path / "run" / "checkpoint.json").read_text())["evaluations"]
    assert [record["dialogues"] for record in evaluations][0] < 40 and len(evaluations) == 1
    assert not (tmp_path / "run" / "model.zip").exists()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


def test_trainings_in_threads_leave_torch_checking_distributions_again() -> None:
    """Overlapping trainings (a sweep's threads) restore torch's default when the last ends."""
    from torch.distributions import Distribution

    from dialogym.train import _distributions_unchecked

    before = Distribution._validate_args
    with _distributions_unchecked():
        with _distributions_unchecked():
            assert Distribution._validate_args is False
        assert Distribution._validate_args is False  # the outer training still runs
    assert Distribution._validate_args is before
