"""Extract PyDial's logged benchmark figures into dialogym's package data (pydial_logged.json).

PyDial writes one ``*.train.log`` per run into ``_benchmarklogs/``: for every training batch
the figures of its training dialogues, then (``testeverybatch = True``) the figures of a test on
fresh dialogues. This script keeps the tests only, from the plain benchmark runs
``envN-POLICY-DOM-seedK-...`` (not the ``cur-``, ``eps..-``, ``delay..`` or other experiments)
whose every batch follows PyDial's benchmark protocol: 1000 training dialogues, 500 test
dialogues. Runs that differ are listed in the output with the reason, and nothing is copied
from the logs but the figures.

    python scripts/extract_pydial_logs.py --logs ../pydial/_benchmarklogs \
        --out dialogym/data/pydial_logged.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

REPOSITORY = "paulaWesselmann/testing_pydial"
TRAIN_DIALOGUES = 1000
TEST_DIALOGUES = 500
DOMAINS = {"CR": "CamRestaurants", "SFR": "SFRestaurants", "LAP": "Laptops11"}
LEARNS = {"hdc": False}
"""Policies that do not learn; every other policy does."""

RUN_NAME = re.compile(
    r"^env(?P<env>[1-6])-(?P<policy>[a-z]+)-(?P<domain>CR|SFR|LAP)-seed(?P<seed>\d+)-[\d.]+-\d+\.train"
)
TRAINING = re.compile(r"\*\*\* Training Iteration .*num-dialogs=(\d+)")
TESTING = re.compile(r"\*\*\* Evaluating .*num-dialogs=(\d+)")
FIGURE = re.compile(r"Average (reward|success|turns)\s*=\s*(-?[\d.]+)")


def parse_run(text: str) -> tuple[list[dict[str, Any]], str | None]:
    """The tests of one log (figures after each training batch), or a reason to leave it out."""
    tests: list[dict[str, Any]] = []
    trained = 0
    current: dict[str, Any] | None = None
    for line in text.splitlines():
        if match := TRAINING.search(line):
            if int(match[1]) != TRAIN_DIALOGUES:
                return [], f"training batches of {match[1]} dialogues, not {TRAIN_DIALOGUES}"
            trained += int(match[1])
            current = None
        elif match := TESTING.search(line):
            if int(match[1]) != TEST_DIALOGUES:
                return [], f"tests of {match[1]} dialogues, not {TEST_DIALOGUES}"
            current = {"dialogues": trained, "test_dialogues": int(match[1])}
            tests.append(current)
        elif current is not None and (match := FIGURE.search(line)):
            current[match[1]] = float(match[2])
    complete = [t for t in tests if {"reward", "success", "turns"} <= t.keys()]
    if not complete:
        return [], "no complete test (the log ends before the first one)"
    return complete, None


def extract(logs: Path) -> dict[str, Any]:
    """Every plain benchmark run under ``logs`` with its tests, and the runs left out."""
    runs: list[dict[str, Any]] = []
    left_out: list[dict[str, str]] = []
    for path in sorted(logs.glob("*.log")):
        name = RUN_NAME.match(path.name)
        if name is None:
            continue  # an experiment, not a benchmark run
        tests, reason = parse_run(path.read_text(encoding="utf-8", errors="replace"))
        if reason is not None:
            left_out.append({"file": path.name, "why": reason})
            continue
        policy = name["policy"]
        runs.append(
            {
                "file": path.name,
                "domain": DOMAINS[name["domain"]],
                "task": f"env{name['env']}",
                "policy": policy,
                "learns": LEARNS.get(policy, True),
                "seed": int(name["seed"]),
                "tests": tests,
            }
        )
    return {
        "source": {
            "repository": REPOSITORY,
            "folder": "_benchmarklogs/",
            "what": (
                "PyDial's own benchmark runs (its config/pydial_benchmarks/*.cfg): after each "
                f"batch of {TRAIN_DIALOGUES} training dialogues, a test on {TEST_DIALOGUES} "
                "fresh dialogues; success in percent, reward and turns are PyDial's averages"
            ),
            "selection": (
                "plain envN-POLICY-DOMAIN-seedK runs only; experiments (cur-, eps..-, delay..-, "
                "...) are not benchmark runs"
            ),
            "extracted_by": "scripts/extract_pydial_logs.py",
        },
        "runs": runs,
        "left_out": left_out,
    }


def one_run_a_line(data: dict[str, Any]) -> str:
    """JSON with the source block indented and each run (or left-out file) on one line."""
    lines = ["{", f' "source": {json.dumps(data["source"], indent=2)},']
    for key in ("runs", "left_out"):
        rows = [f"  {json.dumps(row)}" for row in data[key]]
        lines += [f' "{key}": [', ",\n".join(rows), " ]" + ("," if key == "runs" else "")]
    return "\n".join([*lines, "}"]) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", type=Path, required=True, help="PyDial's _benchmarklogs folder")
    parser.add_argument("--out", type=Path, default=Path("dialogym/data/pydial_logged.json"))
    args = parser.parse_args()
    if not args.logs.is_dir():
        parser.error(f"--logs: {args.logs} is not a folder")
    data = extract(args.logs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(one_run_a_line(data), encoding="utf-8")
    print(f"{args.out}: {len(data['runs'])} runs, {len(data['left_out'])} left out")
    return 0


if __name__ == "__main__":
    sys.exit(main())
