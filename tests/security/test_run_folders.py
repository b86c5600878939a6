"""Issue 17, families 9 and 10 and the smaller ones: users' folders are never written into
without ``--force``, links in run folders are refused, the run lock is the kernel's, and bad
files or flags are one-line errors."""

from __future__ import annotations

import csv
import fcntl
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from dialogym.cli import CommandError
from dialogym.runs import MARKER, claim_run_folder

from .test_runs import dialogym

TINY = ["--dialogues", "20", "--n-envs", "2", "--algo-kwarg", "n_steps=16", "--algo-kwarg",
        "batch_size=32", "--eval-every", "20", "--eval-episodes", "2", "--test-episodes", "2"]  # fmt: skip
BENCHMARK = ["benchmark", "--task", "env1", "--policy", "random", "--seeds", "1", "--episodes",
             "2", "--no-progress"]  # fmt: skip
USERS_FILES = {"config.yaml": "my settings\n", "metrics.json": '{"mine": 1}\n',
               "model.zip": "my model", "corpus.jsonl": "my corpus\n", "results.md": "# mine\n"}  # fmt: skip


def one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 2 with a one-line error naming ``words``, no traceback."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "error:" in lines[0], result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def users_folder(where: Path) -> Path:
    """A folder of someone's files that happen to have the names dialogym writes."""
    where.mkdir()
    for name, text in USERS_FILES.items():
        (where / name).write_text(text)
    return where


def unchanged(folder: Path) -> bool:
    return {p.name: p.read_text() for p in folder.iterdir()} == USERS_FILES


# -- family 9: a folder dialogym did not make ----------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["train", "--no-progress", *TINY],
        ["improve", "--env", "dialogym/PyDialEnv1-v0", "--start", "."],
        BENCHMARK,
    ],
    ids=["train", "improve", "benchmark"],
)
def test_out_into_a_users_folder_is_refused(command: list[str], tmp_path: Path) -> None:
    folder = users_folder(tmp_path / "mine")
    one_line_error(dialogym(*command, "--out", str(folder)), "--out", str(folder), "--force")
    assert unchanged(folder)


def test_force_writes_into_a_users_folder_and_marks_it(tmp_path: Path) -> None:
    folder = users_folder(tmp_path / "mine")
    result = dialogym(*BENCHMARK, "--out", str(folder), "--force")
    assert result.returncode == 0, result.stderr
    assert (folder / MARKER).is_file() and (folder / "cells.json").is_file()
    assert (folder / "config.yaml").read_text() == USERS_FILES["config.yaml"]  # not its file
    again = dialogym(*BENCHMARK, "--out", str(folder))  # now dialogym's: reruns resume
    assert again.returncode == 0, again.stderr


def test_new_empty_and_our_own_folders_need_no_flag(tmp_path: Path) -> None:
    claim_run_folder(tmp_path / "new" / "run", "--out")
    assert (tmp_path / "new" / "run" / MARKER).is_file()
    (tmp_path / "empty").mkdir()
    claim_run_folder(tmp_path / "empty", "--out")
    old = tmp_path / "old"  # a run folder written before folders were marked
    old.mkdir()
    (old / "cells.json").write_text(json.dumps({"protocol": {}, "cells": []}))
    claim_run_folder(old, "--out", ours={"cells.json": frozenset({"protocol", "cells"})})
    assert (old / MARKER).is_file()
    (tmp_path / "file").write_text("x")
    with pytest.raises(CommandError, match="--out: .* is not a folder"):
        claim_run_folder(tmp_path / "file", "--out")


# -- family 10: links, the lock file, the lock itself ---------------------------------------------


def test_a_symlinked_tb_is_refused(tmp_path: Path) -> None:
    run, elsewhere = tmp_path / "run", tmp_path / "elsewhere"
    elsewhere.mkdir()
    claim_run_folder(run, "--out")
    (run / "tb").symlink_to(elsewhere, target_is_directory=True)
    one_line_error(dialogym("train", "--out", str(run), "--no-progress", *TINY), "tb", "link")
    assert list(elsewhere.iterdir()) == []
    assert not (run / "config.yaml").exists()
    with pytest.raises(CommandError, match="symbolic link"):
        claim_run_folder(run, "--out", force=True)  # --force does not lift it


def test_a_run_lock_that_is_a_folder_is_a_one_line_error(tmp_path: Path) -> None:
    run = tmp_path / "run"
    claim_run_folder(run, "--out")
    (run / "run.lock").mkdir()
    one_line_error(dialogym("train", "--out", str(run), "--no-progress", *TINY), "run.lock")
    (run / "run.lock").rmdir()
    (run / "run.lock").symlink_to(tmp_path / "target")
    one_line_error(dialogym(*BENCHMARK, "--out", str(run)), "link")
    assert not (tmp_path / "target").exists()


def test_a_live_lock_of_another_pid_namespace_is_not_taken_over(tmp_path: Path) -> None:
    run = tmp_path / "run"
    claim_run_folder(run, "--out")
    # A run in a container sharing the folder: it holds the lock, its pid means nothing here.
    with (run / "run.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        lock.write("999999999\n")
        lock.flush()
        result = dialogym("train", "--out", str(run), "--no-progress", *TINY)
    one_line_error(result, "in use by another run")
    assert not (run / "config.yaml").exists()


# -- smaller ones --------------------------------------------------------------------------------


def test_too_many_threads_is_a_one_line_error(tmp_path: Path) -> None:
    result = dialogym("train", "--out", str(tmp_path / "run"), "--threads", "100000000", *TINY)
    one_line_error(result, "threads", "256")


PROTOCOL = {"dialogues": 4000, "eval_every": 1000, "eval_episodes": 500, "episodes": 2}
"""The protocol of `BENCHMARK` as ``cells.json`` records it."""


@pytest.mark.parametrize(
    "cells",
    [
        "{",
        json.dumps({"protocol": PROTOCOL}),
        json.dumps({"protocol": PROTOCOL, "cells": [{"policy": "random"}]}),
    ],
    ids=["not-json", "no-cells", "cell-without-fields"],
)
def test_a_broken_cells_json_is_a_one_line_error(cells: str, tmp_path: Path) -> None:
    claim_run_folder(tmp_path, "--out")
    (tmp_path / "cells.json").write_text(cells)
    one_line_error(dialogym(*BENCHMARK, "--out", str(tmp_path)), "cells.json")


def test_improve_start_naming_no_model_is_a_one_line_error(tmp_path: Path) -> None:
    result = dialogym("improve", "--env", "dialogym/PyDialEnv1-v0", "--env-kwarg",
                      "channel=semantic", "--start", str(tmp_path / "nothing"), "--out",
                      str(tmp_path / "run"))  # fmt: skip
    one_line_error(result, "--start", "names no model")


def test_show_escapes_control_characters_of_a_database(tmp_path: Path) -> None:
    data = Path(__file__).parents[2] / "dialogym" / "domains" / "data"
    shutil.copy(data / "restaurant.yaml", tmp_path / "restaurant.yaml")
    with (data / "restaurant.csv").open() as source:
        rows = list(csv.reader(source))
    with (tmp_path / "restaurant.csv").open("w", newline="") as target:  # names that retitle
        csv.writer(target).writerows(
            [rows[0], *([f"\x1b]0;owned\x07{r[0]}", *r[1:]] for r in rows[1:])]
        )
    result = dialogym("evaluate", "--env-kwarg", f"domain={tmp_path / 'restaurant.yaml'}",
                      "--episodes", "5", "--show", "5", "--no-progress")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "\\x1b]0;owned\\x07" in result.stdout  # shown, escaped
    assert "\x1b" not in result.stdout + result.stderr
