"""Issue 9: run folders, outputs, the benchmark cache and one-line errors for flags."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dialogym.benchmark import domain_labels, spreadsheet_safe
from dialogym.cli import CommandError, check_output, write_atomically
from dialogym.runs import claim_run_folder, read_run_json, run_lock


def dialogym(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dialogym.cli", *args],
        capture_output=True, text=True, timeout=300, cwd=cwd,
    )  # fmt: skip


def one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 2 with a one-line error naming ``words``, no traceback."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "error:" in last
    for word in words:
        assert word in last, last


# -- outputs ------------------------------------------------------------------------------------


def test_outputs_get_the_umask_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_atomically(tmp_path / "out.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out.json").stat().st_mode) == 0o644


def test_a_symlink_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "domain.yaml").write_text("name: x\n")
    (tmp_path / "link.json").symlink_to(tmp_path / "domain.yaml")
    with pytest.raises(CommandError, match="symbolic link"):
        write_atomically(tmp_path / "link.json", "{}")
    with pytest.raises(CommandError, match="--json: .*symbolic link"):
        check_output(str(tmp_path / "link.json"), "--json", frozenset({"x"}))
    assert (tmp_path / "domain.yaml").read_text() == "name: x\n"


def test_check_output_refuses_before_any_work(tmp_path: Path) -> None:
    keys = frozenset({"policy", "success_rate"})
    with pytest.raises(CommandError, match="--json: empty path"):
        check_output("", "--json", keys)
    with pytest.raises(CommandError, match="is a directory"):
        check_output(str(tmp_path), "--json", keys)
    foreign = tmp_path / "domain.yaml"
    foreign.write_text("name: x\n")
    with pytest.raises(CommandError, match="not an output of dialogym; use --force"):
        check_output(str(foreign), "--json", keys)
    assert check_output(str(foreign), "--json", keys, force=True) == foreign
    ours = tmp_path / "metrics.json"
    ours.write_text(json.dumps({"policy": "random", "success_rate": 0.5}, indent=2))
    assert check_output(str(ours), "--json", keys) == ours
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"episode": 0, "transcript": []}\n{"episode": 1, "transcript": []}\n')
    assert check_output(str(corpus), "--out", frozenset({"episode", "transcript"})) == corpus


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_check_output_refuses_an_unwritable_folder(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(CommandError, match="cannot write into"):
        check_output(str(locked / "m.json"), "--json", frozenset({"x"}))


def test_evaluate_refuses_bad_outputs_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "domain.yaml").write_text("name: x\n")
    (tmp_path / "link.json").symlink_to(tmp_path / "domain.yaml")
    base = ["evaluate", "--episodes", "2", "--no-progress"]
    one_line_error(dialogym(*base, "--json", str(tmp_path / "domain.yaml")), "--json", "--force")
    one_line_error(dialogym(*base, "--json", str(tmp_path / "link.json")), "symbolic link")
    one_line_error(dialogym(*base, "--json", str(tmp_path)), "--json", "directory")
    one_line_error(dialogym(*base, "--json", ""), "--json", "empty path")
    one_line_error(dialogym(*base, "--transcripts", str(tmp_path / "domain.yaml")), "--transcripts")
    assert (tmp_path / "domain.yaml").read_text() == "name: x\n"
    ok = dialogym(*base, "--json", str(tmp_path / "m.json"))
    assert ok.returncode == 0, ok.stderr
    again = dialogym(*base, "--json", str(tmp_path / "m.json"))  # our own output: overwritten
    assert again.returncode == 0, again.stderr


def test_simulate_does_not_overwrite_a_foreign_file(tmp_path: Path) -> None:
    domain = tmp_path / "domain.yaml"
    domain.write_text("name: x\n")
    one_line_error(
        dialogym("simulate", "--episodes", "1", "--out", str(domain)), "--out", "--force"
    )
    assert domain.read_text() == "name: x\n"
    forced = dialogym(
        "simulate", "--episodes", "1", "--no-progress", "--out", str(domain), "--force"
    )
    assert forced.returncode == 0, forced.stderr
    assert json.loads(domain.read_text().splitlines()[0])["episode"] == 0


# -- flags --------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["evaluate", "simulate", "train", "benchmark"])
def test_a_negative_seed_is_a_one_line_error(command: str, tmp_path: Path) -> None:
    flag = "--seeds" if command == "benchmark" else "--seed"
    args = [command, flag, "-1", "--out", str(tmp_path / "x")] if command != "evaluate" else [
        command, flag, "-1"]  # fmt: skip
    one_line_error(dialogym(*args), flag)


def test_an_env_that_is_not_dialogym_is_a_one_line_error() -> None:
    one_line_error(dialogym("evaluate", "--env", "CartPole-v1", "--episodes", "1"), "--env")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--algo-kwarg", "seed=3"], "'seed' is not allowed (use --seed)"),
        (["--algo-kwarg", "n_steps=0"], "n_steps must be > 0"),
        (["--algo-kwarg", "learning_rate=abc"], "learning_rate must be a finite number"),
        (["--device", "banana"], "--device: 'banana' is not a torch device"),
        (["--env-kwarg", "reward={success: abc}"], "reward: success must be a finite number"),
        (["--env-kwarg", "reward={turn: .nan}"], "reward: turn must be a finite number"),
        (["--env-kwarg", "goal={max_constraints: 1.5}"], "max_constraints"),
        (["--env-kwarg", "ser=true"], "ser: must be a number"),
        (["--env", "CartPole-v1"], "not a dialogym environment"),
    ],
)
def test_bad_train_flags_are_one_line_errors(args: list[str], needle: str, tmp_path: Path) -> None:
    result = dialogym("train", "--no-progress", "--out", str(tmp_path / "run"), *args)
    one_line_error(result, needle)
    assert not (tmp_path / "run" / "model.zip").exists()


def test_train_out_onto_a_file_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep")
    one_line_error(dialogym("train", "--out", str(tmp_path / "notes.txt")), "--out", "not a folder")
    assert (tmp_path / "notes.txt").read_text() == "keep"


# -- run folders --------------------------------------------------------------------------------

TINY = ["--dialogues", "20", "--n-envs", "2", "--algo-kwarg", "n_steps=16", "--algo-kwarg",
        "batch_size=32", "--eval-every", "20", "--eval-episodes", "2", "--test-episodes", "2"]  # fmt: skip


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished tiny training run (copy it before changing it)."""
    out = tmp_path_factory.mktemp("trained") / "run"
    result = dialogym("train", "--out", str(out), "--no-progress", "--seed", "4", *TINY)
    assert result.returncode == 0, result.stderr
    return out


def copy_run(run: Path, where: Path, finished: bool) -> Path:
    """A copy of ``run``; unfinished: without ``model.zip`` and ``metrics.json``."""
    shutil.copytree(run, where, ignore=shutil.ignore_patterns("tb"))
    if not finished:
        (where / "model.zip").unlink()
        (where / "metrics.json").unlink()
    return where


def test_resume_deletes_only_its_own_temporaries(finished_run: Path, tmp_path: Path) -> None:
    run = copy_run(finished_run, tmp_path / "run", finished=False)
    mine = (".bashrc", ".env", ".gitignore", ".config.yaml.swp", ".model.zip.orig")
    for name in mine:  # an editor's swap file matches .NAME.* but is no temporary of ours
        (run / name).write_text("mine")
    (run / ".model.zip.abc123.dialogym-tmp").write_bytes(b"half")  # a write cut short by a kill
    result = dialogym("train", "--resume", str(run), "--no-progress")
    assert result.returncode == 0, result.stderr
    assert (run / "metrics.json").is_file()
    for name in mine:
        assert (run / name).read_text() == "mine"
    assert not (run / ".model.zip.abc123.dialogym-tmp").exists()
    assert not (run / "run.lock").exists()


def test_resuming_a_finished_run_changes_nothing(finished_run: Path, tmp_path: Path) -> None:
    run = copy_run(finished_run, tmp_path / "run", finished=True)
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    result = dialogym("train", "--resume", str(run), "--no-progress", "--dialogues", "20")
    assert result.returncode == 0, result.stderr
    assert "finished" in result.stdout
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()} == before


def test_resume_refuses_conflicting_flags(finished_run: Path, tmp_path: Path) -> None:
    run = copy_run(finished_run, tmp_path / "run", finished=False)
    result = dialogym("train", "--resume", str(run), "--algo", "dqn", "--dialogues", "50000")
    one_line_error(result, "--algo", "--dialogues", "conflicting")
    assert "--seed" not in result.stderr
    assert not (run / "metrics.json").exists()


def test_resume_of_a_broken_run_is_a_one_line_error(finished_run: Path, tmp_path: Path) -> None:
    run = copy_run(finished_run, tmp_path / "run", finished=False)
    (run / "checkpoint.json").write_text("{}")
    one_line_error(dialogym("train", "--resume", str(run)), "--resume", "not a dialogym checkpoint")
    (run / "checkpoint.json").write_text("{")
    one_line_error(dialogym("train", "--resume", str(run)), "--resume", "not a dialogym checkpoint")
    (run / "checkpoint.json").write_text(
        json.dumps({"dialogues": 20, "train_seconds": 1.0, "evaluations": []})
    )
    (run / "checkpoint.zip").unlink()
    one_line_error(dialogym("train", "--resume", str(run)), "--resume", "checkpoint.zip")


def test_a_run_folder_in_use_is_refused(tmp_path: Path) -> None:
    run = tmp_path / "run"
    claim_run_folder(run, "--out")
    with run_lock(run):  # this (live) process holds it
        result = dialogym("train", "--out", str(run), "--no-progress", *TINY)
        one_line_error(result, str(run), "in use by another run", f"pid {os.getpid()}")
        assert sorted(p.name for p in run.iterdir()) == [".dialogym-run", "run.lock"]
        with pytest.raises(CommandError, match="in use"), run_lock(run):
            pass


def test_two_trainings_into_one_folder_the_second_is_refused(tmp_path: Path) -> None:
    run = tmp_path / "run"
    first = subprocess.Popen(
        [sys.executable, "-m", "dialogym.cli", "train", "--out", str(run), "--no-progress",
         "--dialogues", "5000", "--eval-every", "1000", "--eval-episodes", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not (run / "run.lock").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        second = dialogym("train", "--out", str(run), "--no-progress", "--algo", "a2c", *TINY[:2])
        one_line_error(second, str(run), "in use by another run", f"pid {first.pid}")
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=60)
    assert not (run / "run.lock").exists()  # released on the way out
    assert "a2c" not in (run / "config.yaml").read_text()


def test_a_stale_lock_is_taken_over(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.lock").write_text(dead.stdout)
    with run_lock(run):
        assert (run / "run.lock").read_text().split()[0] == str(os.getpid())
        with pytest.raises(CommandError, match="in use"), run_lock(run):
            pass
    assert not (run / "run.lock").exists()


# -- benchmark ----------------------------------------------------------------------------------


def test_domain_labels_keep_same_named_files_apart(tmp_path: Path) -> None:
    a, b = str(tmp_path / "a" / "x.yaml"), str(tmp_path / "b" / "x.yaml")
    labels = domain_labels([a, b, "restaurant", a])
    assert labels == {a: "a-x", b: "b-x", "restaurant": "restaurant"}
    same = domain_labels([a, str(tmp_path / "a" / ".." / "a" / "x.yaml")])  # one file named twice
    assert len(set(same.values())) == 2


def test_spreadsheet_formulas_are_escaped() -> None:
    for text in ("=HYPERLINK(1)", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert spreadsheet_safe(text) == "'" + text
    assert spreadsheet_safe("env1") == "env1" and spreadsheet_safe(-20.5) == -20.5


def test_benchmark_keeps_domains_apart_escapes_csv_and_reruns_changed_files(
    tmp_path: Path,
) -> None:
    data = Path(__file__).parents[2] / "dialogym" / "domains" / "data"
    domains = []
    for folder, name in (("a", "x.yaml"), ("b", "x.yaml"), ("c", "=HYPERLINK(1).yaml")):
        (tmp_path / folder).mkdir()
        shutil.copy(data / "restaurant.csv", tmp_path / folder / "restaurant.csv")
        shutil.copy(data / "restaurant.yaml", tmp_path / folder / name)
        domains += ["--domain", str(tmp_path / folder / name)]
    out = tmp_path / "out"
    args = ["benchmark", "--task", "env1", "--policy", "handcrafted", "--seeds", "1",
            "--episodes", "3", "--out", str(out), "--no-progress", *domains]  # fmt: skip
    result = dialogym(*args)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert [r["domain"] for r in rows] == ["a-x", "b-x", "'=HYPERLINK(1)"]
    assert (out / "success-a-x.png").is_file() and (out / "success-b-x.png").is_file()
    assert not (out / "run.lock").exists()
    assert len(json.loads((out / "cells.json").read_text())["cells"]) == 3
    database = tmp_path / "a" / "restaurant.csv"  # the same paths, another database: run again
    database.write_text(database.read_text().replace("01632", "01633", 1))
    again = dialogym(*args)
    assert again.returncode == 0, again.stderr
    cells = json.loads((out / "cells.json").read_text())["cells"]
    assert sorted(c["domain"] for c in cells) == ["=HYPERLINK(1)", "a-x", "a-x", "b-x"]


def test_a_benchmark_folder_in_use_is_refused(tmp_path: Path) -> None:
    claim_run_folder(tmp_path, "--out")
    with run_lock(tmp_path):
        result = dialogym("benchmark", "--task", "env1", "--policy", "random", "--seeds", "1",
                          "--episodes", "2", "--out", str(tmp_path), "--no-progress")  # fmt: skip
    one_line_error(result, str(tmp_path), "in use")


def test_a_run_file_that_is_a_pipe_is_refused_not_waited_on(tmp_path: Path) -> None:
    """A stranger's run folder may hold a FIFO where a JSON file should be: reading it would block."""
    pipe = tmp_path / "evaluations.json"
    os.mkfifo(pipe)
    with pytest.raises(ValueError, match="not a regular file"):
        read_run_json(pipe, 1 << 20)
    (tmp_path / "cells.json").write_text('{"cells": []}')
    assert read_run_json(tmp_path / "cells.json", 1 << 20) == {"cells": []}
