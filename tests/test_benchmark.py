"""``dialogym benchmark`` as a user runs it: tables, CSV, plots, resume, errors."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path


def dialogym(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dialogym.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_benchmark_writes_tables_and_plots(tmp_path: Path) -> None:
    args = ["benchmark", "--task", "env1", "--task", "env3", "--policy", "handcrafted",
            "--policy", "random", "--policy", "maskable_ppo", "--dialogues", "30",
            "--eval-every", "15", "--eval-episodes", "3", "--seeds", "2", "--episodes", "10",
            "--out", str(tmp_path), "--no-progress"]  # fmt: skip
    result = dialogym(*args)
    assert result.returncode == 0, result.stderr
    assert "| handcrafted | 1.000 ± 0.000 |" in result.stdout
    assert (tmp_path / "results.md").read_text().startswith("### restaurant: success rate")
    rows = list(csv.DictReader((tmp_path / "results.csv").open()))
    assert [(r["task"], r["policy"]) for r in rows][:3] == [
        ("env1", "handcrafted"),
        ("env1", "random"),
        ("env1", "maskable_ppo"),
    ]
    assert all(r["seeds"] == "2" for r in rows)
    for png in (
        "success-restaurant.png",
        "curves-restaurant-env1.png",
        "curves-restaurant-env3.png",
    ):
        assert (tmp_path / png).read_bytes()[:4] == b"\x89PNG"
    again = dialogym(*args)  # every cell done: nothing retrained, same table
    assert again.stdout == result.stdout


def test_benchmark_bad_input_is_one_line() -> None:
    for args, needle in [
        (["--suite", "atari"], "--suite"),
        (["--policy", "clever"], "--policy"),
        (["--task", "env9"], "--task"),
        (["--domain", "/no/such/rules.json"], "rules.json"),
    ]:
        result = dialogym("benchmark", *args)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1, result.stderr
        assert needle in lines[0]
