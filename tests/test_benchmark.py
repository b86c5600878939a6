"""``dialogym benchmark`` as a user runs it: tables, CSV, plots, resume, errors; the protocol,
the report after each budget and PyDial's logged figures beside ours."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dialogym.benchmark import (
    PYDIAL_PROTOCOL,
    aggregate,
    build_parser,
    greedy_against_handcrafted,
    logged_ranges,
    markdown,
    pydial_logged,
    report_points,
)
from dialogym.policies import BUILTIN_POLICIES


def dialogym(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dialogym.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_benchmark_writes_tables_and_plots(tmp_path: Path) -> None:
    builtins = [p for p in ("handcrafted", "random", "greedy") if p in BUILTIN_POLICIES]
    args = ["benchmark", "--task", "env1", "--task", "env3", "--dialogues", "30",
            "--eval-every", "15", "--eval-episodes", "3", "--seeds", "2", "--episodes", "10",
            "--out", str(tmp_path), "--no-progress"]  # fmt: skip
    for policy in [*builtins, "maskable_ppo"]:
        args += ["--policy", policy]
    result = dialogym(*args)
    assert result.returncode == 0, result.stderr
    table = (tmp_path / "results.md").read_text()
    assert table.startswith("### restaurant\n")
    header = next(line for line in table.splitlines() if line.startswith("| task |"))
    assert header.split(" | ")[2:] == [
        "success % @15", "return @15", "turns @15", "success % @30", "return @30", "turns @30 |"
    ]  # fmt: skip
    handcrafted = next(
        line for line in table.splitlines() if line.startswith("| env1 | handcrafted |")
    )
    cells = handcrafted.split(" | ")[2:]
    assert cells[:3] == ["–"] * 3 and re.fullmatch(r"\d+\.\d ± \d+\.\d", cells[3])  # tested once
    learner = next(
        line for line in table.splitlines() if line.startswith("| env1 | maskable_ppo |")
    )
    assert "–" not in learner  # reported after 15 and after 30 dialogues
    assert "PyDial" not in table  # no logged runs on the built-in domain
    rows = list(csv.DictReader((tmp_path / "results.csv").open()))
    assert [
        (r["task"], r["policy"], r["trained_dialogues"]) for r in rows if r["task"] == "env1"
    ] == [
        *(("env1", p, "0") for p in builtins),
        ("env1", "maskable_ppo", "15"),
        ("env1", "maskable_ppo", "30"),
    ]
    assert all(r["seeds"] == "2" for r in rows)
    assert {"avg_turns_mean", "avg_turns_std", "success_rate_mean"} <= rows[0].keys()
    for png in (
        "success-restaurant.png",
        "curves-restaurant-env1.png",
        "curves-restaurant-env3.png",
    ):
        assert (tmp_path / png).read_bytes()[:4] == b"\x89PNG"
    again = dialogym(*args)  # every cell done: nothing retrained, same table
    assert again.stdout == result.stdout
    other = dialogym(*[a if a != "30" else "45" for a in args])  # another protocol, same folder
    assert other.returncode == 2 and "--out" in other.stderr and "another protocol" in other.stderr


def test_benchmark_bad_input_is_one_line() -> None:
    for args, needle in [
        (["--suite", "atari"], "--suite"),
        (["--policy", "clever"], "--policy"),
        (["--task", "env9"], "--task"),
        (["--domain", "/no/such/rules.json"], "rules.json"),
        (["--eval-episodes", "0"], "--eval-episodes"),
    ]:
        result = dialogym("benchmark", *args)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1, result.stderr
        assert needle in lines[0]


def test_defaults_are_pydials_protocol() -> None:
    args = build_parser().parse_args([])
    assert {name: getattr(args, name) for name in PYDIAL_PROTOCOL} == {
        "dialogues": 4000, "eval_every": 1000, "eval_episodes": 500, "episodes": 500
    }  # fmt: skip
    assert report_points(args) == [1000, 4000]
    assert report_points(build_parser().parse_args(["--eval-every", "5000"])) == [4000]


def _cell(
    policy: str, task: str, seed: int, success: float, curve: list[dict] | None = None
) -> dict:
    return {"domain": "CamRestaurants", "task": task, "policy": policy, "seed": seed,
            "success_rate": success, "avg_return": 20 * success - 7, "avg_turns": 7.0,
            "curve": curve or []}  # fmt: skip


def test_learners_are_reported_at_their_first_test_past_each_point() -> None:
    curve = [
        {"dialogues": 1003, "success_rate": 0.5, "avg_return": 3.0, "avg_turns": 9.0},
        {"dialogues": 2001, "success_rate": 0.7, "avg_return": 7.0, "avg_turns": 8.0},
    ]
    cells = [
        _cell("dqn", "env3", 0, 0.9, curve),
        _cell("dqn", "env3", 1, 0.8, [{**r, "success_rate": 0.3} for r in curve]),
        _cell("handcrafted", "env3", 0, 0.95),
    ]
    rows = aggregate(cells, [1000, 4000])
    assert [(r["policy"], r["trained_dialogues"]) for r in rows] == [
        ("dqn", 1000), ("dqn", 4000), ("handcrafted", 0)
    ]  # fmt: skip
    assert rows[0]["success_rate_mean"] == pytest.approx(0.4)  # the tests after 1003 dialogues
    assert rows[0]["success_rate_std"] == pytest.approx(0.1414, abs=1e-4)
    assert rows[1]["success_rate_mean"] == pytest.approx(0.85)  # the final tests
    assert rows[0]["avg_turns_mean"] == 9.0 and rows[1]["avg_turns_mean"] == 7.0


def test_pydials_logged_figures_reproduce_the_issue_ranges() -> None:
    """Issue 8 quotes PyDial's logged CamRestaurants runs; the package data gives the same."""
    source = pydial_logged()["source"]
    assert source["repository"] == "paulaWesselmann/testing_pydial"
    assert source["folder"] == "_benchmarklogs/"
    ranges = {
        (task, row["policy"]): row["ranges"]
        for task in ("env1", "env3", "env4")
        for row in logged_ranges("CamRestaurants", task, [1000, 4000])
    }
    # (task, policy): {point: (success %, reward, turns) ranges}; hdc does not learn: every test
    expected = {
        ("env1", "hdc"): {4000: ((99.8, 100.0), (13.79, 14.23), (5.77, 6.17))},
        ("env3", "hdc"): {4000: ((95.8, 98.8), (10.45, 11.73), (8.03, 8.74))},
        ("env1", "dqn"): {1000: ((84.4, 97.0), None, None),
                          4000: ((88.0, 95.8), (11.22, 13.10), (6.06, 6.38))},
        ("env3", "dqn"): {1000: ((70.6, 87.4), None, None),
                          4000: ((88.2, 97.0), (10.52, 12.78), (6.53, 7.12))},
        ("env4", "dqn"): {1000: ((77.4, 88.2), None, None),
                          4000: ((89.6, 95.8), (10.99, 12.07), (6.93, 7.40))},
        ("env3", "acer"): {1000: ((82.2, 94.0), None, None),
                           4000: ((91.0, 97.2), (10.82, 12.54), (6.90, 7.65))},
        ("env4", "acer"): {1000: ((66.0, 85.4), None, None),
                           4000: ((89.2, 96.2), (10.48, 12.23), (7.00, 7.48))},
    }  # fmt: skip
    assert set(ranges) == set(expected)
    for key, points in expected.items():
        assert set(ranges[key]) == set(points), key
        for point, (success, reward, turns) in points.items():
            got = ranges[key][point]
            assert got["success_rate"] == pytest.approx((success[0] / 100, success[1] / 100))
            if reward is not None:
                assert got["avg_return"] == pytest.approx(reward)
                assert got["avg_turns"] == pytest.approx(turns)


def test_results_show_pydials_logged_rows_beside_ours() -> None:
    rows = aggregate([_cell("dqn", "env3", 0, 0.9, [{"dialogues": 1000, "success_rate": 0.5,
                      "avg_return": 3.0, "avg_turns": 9.0}])], [1000, 4000])  # fmt: skip
    table = markdown(rows, [1000, 4000], "tests of 500 dialogues")
    logged = next(line for line in table.splitlines() if "PyDial DQN (logged, 8 runs)" in line)
    assert logged.split(" | ")[2:] == [
        "70.6–87.4", "7.47–10.67", "6.60–7.01", "88.2–97.0", "10.52–12.78", "6.53–7.12 |"
    ]  # fmt: skip
    assert "| env3 | PyDial hdc (logged, 1 run) | – | – | – | 95.8–98.8 |" in table
    assert "PyDial" not in markdown(rows, [15, 30], "tests")  # budgets PyDial never logged


def test_greedy_against_handcrafted_per_domain_and_overall() -> None:
    rows = [
        {"domain": domain, "task": task, "policy": policy, "avg_return_mean": value}
        for domain, task, greedy, handcrafted in [
            ("A", "env1", 10.0, 14.0), ("A", "env3", 9.0, 11.0),
            ("B", "env1", 12.0, 11.0), ("B", "env3", 5.0, 9.0),
        ]
        for policy, value in (("greedy", greedy), ("handcrafted", handcrafted))
    ]  # fmt: skip
    lines = greedy_against_handcrafted(rows)
    assert "| A | 2 | 9.50 | 12.50 | +3.00 | 2 / 2 |" in lines
    assert "| B | 2 | 8.50 | 10.00 | +1.50 | 1 / 2 |" in lines
    assert "| all | 4 | 9.00 | 11.25 | +2.25 | 3 / 4 |" in lines
    assert greedy_against_handcrafted([r for r in rows if r["policy"] == "greedy"]) == []


def test_a_benchmark_without_learners_has_one_column_per_figure(tmp_path: Path) -> None:
    result = dialogym("benchmark", "--task", "env2", "--policy", "handcrafted", "--seeds", "1",
                      "--episodes", "5", "--out", str(tmp_path), "--no-progress")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "| task | policy | success % | return | turns |" in result.stdout
    assert "tests of 5 dialogues. Every policy is tested once." in result.stdout


def test_one_seed_has_no_spread_and_a_budget_below_eval_every_works(tmp_path: Path) -> None:
    result = dialogym("benchmark", "--task", "env1", "--policy", "maskable_ppo", "--policy",
                      "greedy", "--dialogues", "8", "--eval-every", "300", "--eval-episodes", "2",
                      "--seeds", "1", "--episodes", "4", "--out", str(tmp_path), "--no-progress")  # fmt: skip
    assert result.returncode == 0, result.stderr  # no periodic test: no evaluations.json
    learner = next(line for line in result.stdout.splitlines() if "| maskable_ppo |" in line)
    assert re.fullmatch(
        r"\| env1 \| maskable_ppo \| \d+\.\d ± – \| -?\d+\.\d\d ± – \| \d+\.\d\d ± – \|", learner
    )
    assert "± 0.0" not in result.stdout
