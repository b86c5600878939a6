"""``dialogym sweep``: search spaces checked before Ray starts, trials in lockstep, a tiny sweep."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dialogym import sweep
from dialogym.agents.config import TrainConfig
from dialogym.train import build_parser as train_parser
from dialogym.train import resolve_config

TINY = ["--env", "dialogym/PyDialEnv1-v0", "--env-kwarg", "domain=restaurant", "--algo",
        "maskable_ppo", "--trials", "3", "--dialogues", "40", "--eval-every", "20",
        "--eval-episodes", "10", "--episodes", "10", "--seed", "0", "--no-progress"]  # fmt: skip
SPACE = (
    "learning_rate: {loguniform: [1.0e-4, 3.0e-3]}\nn_steps: {choice: [16, 32]}\nbatch_size: 32\n"
)


def dialogym(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dialogym.cli", *args], capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("learning_rate: {logunifrom: [1.0e-4, 1.0e-3]}", "learning_rate: unknown distribution 'logunifrom'"),
        ("learning_rate: {loguniform: [1e-4, 1.0e-3]}", "learning_rate: loguniform takes two numbers .*write 1.0e-4"),
        ("learning_rate: {loguniform: [0.0, 1.0e-3]}", "learning_rate: loguniform needs low > 0"),
        ("gamma: {uniform: [0.99, 0.9]}", r"gamma: uniform needs low < high, got \[0.99, 0.9\]"),
        ("n_epochs: {randint: [5, 10.5]}", "n_epochs: randint takes two integers"),
        ("n_steps: {choice: []}", "n_steps: choice takes 1 to 1000 values, got 0"),
        ("n_steps: {choice: [64, -8]}", "n_steps: n_steps must be > 0, got -8"),
        ("n_steps: {uniform: [64, 512]}", "n_steps: n_steps must be an integer, got .*uniform draws real numbers: use randint or choice"),
        ("n_steps: {loguniform: [64, 1" + "0" * 400 + "]}", "n_steps: loguniform takes two numbers"),
        ("n_steps: 1" + "0" * 400 + "\nlearning_rate: {choice: [0.001]}", r"n_steps: n_steps must be at most 2147483647, got 100000000000\.\.\."),
        ("learning_rat: {choice: [0.001]}", "learning_rat: MaskablePPO takes no argument 'learning_rat'"),
        ("policy_kwargs.widht: {choice: [64]}", "policy_kwargs.widht: .*takes no argument 'widht'"),
        ("policy_kwargs: {widht: {choice: [64]}}", "policy_kwargs.widht: .*takes no argument 'widht'"),
        ("net_arch: {choice: [[64], [128]]}", "net_arch: an argument of the policy: write policy_kwargs.net_arch"),
        ("gamma.x: {choice: [1]}", "gamma.x': only a policy argument has a dot"),
        ("ent_coef: {choice: [0.1], uniform: [0, 1]}", "ent_coef: a distribution is one of"),
        ("gamma: 0.99", "no argument has a distribution"),
        ("- learning_rate", "expected a mapping of algorithm arguments"),
        ("learning_rate: [unclosed", "cannot read search space"),
    ],
)  # fmt: skip
def test_a_bad_space_is_one_line_naming_the_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, needle: str
) -> None:
    space = tmp_path / "space.yaml"
    space.write_text(text + "\n")
    out = tmp_path / "out"
    assert sweep.main([*TINY, "--space", str(space), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("dialogym sweep: error: ")
    assert str(space) in error
    assert re.search(needle, error), error
    assert not out.exists()  # checked before anything is written, or Ray started


def test_sample_spaces_fit_their_algorithms() -> None:
    for algo in sweep.SAMPLE_SPACES:
        base = TrainConfig(env="dialogym/PyDialEnv1-v0", algo=algo)
        space = sweep.read_space(None, algo, base)
        assert {"learning_rate", "n_steps", "batch_size"} <= set(space)


def test_a_policy_kwargs_mapping_is_read_as_its_entries() -> None:
    space = sweep.parse_space(
        {"policy_kwargs": {"width": {"choice": [32, 64]}, "ortho_init": False}}, "s.yaml"
    )
    assert space["policy_kwargs.width"] == sweep.Entry("policy_kwargs.width", "choice", (32, 64))
    assert sweep.fixed_settings(space) == {"policy_kwargs.ortho_init": False}
    assert sweep.algo_kwargs({**sweep.fixed_settings(space), "policy_kwargs.width": 32}) == {
        "policy_kwargs": {"ortho_init": False, "width": 32}
    }


def _figures(dialogues: int, value: float) -> dict[str, Any]:
    return {"dialogues": dialogues, "success_rate": value, "avg_return": value, "avg_turns": 5.0}


def test_lockstep_trains_tasks_in_turns_and_stops_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    done: list[str] = []

    def fake_run_task(config: TrainConfig, run_dir: Path, on_evaluation: Any) -> dict[str, Any]:
        value = 1.0 if run_dir.name == "a" else 3.0
        for dialogues in (20, 40):
            done.append(f"{run_dir.name}{dialogues}")
            on_evaluation(_figures(dialogues, value))  # at 40: the budget, not handed over
        done.append(f"{run_dir.name} test")
        return _figures(40, value + 10)

    monkeypatch.setattr(sweep, "run_task", fake_run_task)
    configs = [TrainConfig(dialogues=40, eval_every=20)] * 2
    with sweep.Lockstep(configs, [tmp_path / "a", tmp_path / "b"]) as lockstep:
        rounds = list(lockstep.rounds())
    assert done == ["a20", "b20", "a40", "a test", "b40", "b test"]  # one task at a time
    assert rounds == [(_figures(20, 2.0), False), (_figures(40, 12.0), True)]

    done.clear()
    with sweep.Lockstep(configs, [tmp_path / "a", tmp_path / "b"]) as lockstep:
        for _ in lockstep.rounds():
            break  # the trial was stopped after its first report
    assert done == ["a20", "b20"]  # both runs ended at their pause
    assert not any(thread.is_alive() for thread in lockstep.threads)


def test_without_ray_the_command_is_one_line_naming_the_extra(tmp_path: Path) -> None:
    space = tmp_path / "space.yaml"
    space.write_text(SPACE)
    argv = [*TINY, "--space", str(space), "--out", str(tmp_path / "out")]
    probe = (
        "import sys\n"
        "sys.modules['ray'] = None\n"
        "from dialogym.cli import main\n"
        f"sys.exit(main(['sweep', *{argv!r}]))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "pip install 'dialogym[ray]'" in result.stderr
    assert not (tmp_path / "out").exists()


def test_other_commands_never_import_ray(tmp_path: Path) -> None:
    evaluate = ["evaluate", "--env", "dialogym/PyDialEnv1-v0", "--policy", "random",
                "--episodes", "2", "--no-progress"]  # fmt: skip
    probe = (
        "import contextlib, io, sys\n"
        "from dialogym.cli import main\n"
        f"for argv in (['--help'], ['sweep', '--help'], {evaluate!r}):\n"
        "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "        main(argv)\n"
        "print('ray' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr


@pytest.mark.slow
def test_a_tiny_sweep_writes_a_best_config_that_train_accepts(tmp_path: Path) -> None:
    pytest.importorskip("ray.tune", reason="Ray Tune is an optional extra (dialogym[ray])")
    space = tmp_path / "space.yaml"
    space.write_text(SPACE)
    out = tmp_path / "sweep"
    result = dialogym("sweep", *TINY, "--space", str(space), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert f"best configuration: {out / 'best.yaml'}" in result.stdout
    assert "Ray: 1 node(s) ran the trials" in result.stdout
    with (out / "trials.csv").open() as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == 3
    assert {row["state"] for row in rows} <= {"finished", "stopped"}
    assert all(row["learning_rate"] and row["n_steps"] in ("16", "32") for row in rows)
    finished = [row for row in rows if row["state"] == "finished"]
    assert finished and all(int(row["dialogues"]) >= 40 for row in finished)
    assert (out / "sweep.png").stat().st_size > 0 and "| trial |" in (out / "trials.md").read_text()

    config = resolve_config(train_parser().parse_args(["--config", str(out / "best.yaml")]))
    best = max(finished, key=lambda row: float(row["avg_return"]))
    assert config.algo == "maskable_ppo" and config.dialogues == 40 and config.seed == 0
    assert config.algo_kwargs == {
        "learning_rate": float(best["learning_rate"]), "n_steps": int(best["n_steps"]), "batch_size": 32
    }  # fmt: skip
    assert (out / best["run"] / "metrics.json").is_file()
    table = (out / "trials.md").read_text()

    again = dialogym("sweep", *TINY, "--space", str(space), "--out", str(out))
    assert again.returncode == 2 and "holds a sweep" in again.stderr
    untrusted = dialogym("sweep", *TINY, "--space", str(space), "--out", str(out), "--resume")
    assert untrusted.returncode == 2 and "--trust-resume" in untrusted.stderr
    assert len(untrusted.stderr.strip().splitlines()) == 1  # and nothing of the folder unpickled
    other = dialogym("sweep", *TINY, "--seed", "1", "--space", str(space), "--out", str(out),
                     "--resume", "--trust-resume")  # fmt: skip
    assert other.returncode == 2 and "seed differ" in other.stderr
    resumed = dialogym("sweep", *TINY, "--space", str(space), "--out", str(out), "--resume",
                       "--trust-resume")  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr  # every trial had ended: the same table
    assert (out / "trials.md").read_text() == table
