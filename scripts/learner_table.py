"""One learner against the handcrafted policy and the other learners, on the 18 tasks.

Reads benchmark ``results.csv`` files (``dialogym benchmark`` writes one; several may be given:
rows of the same domain, task, policy and budget are taken from the last file that has them) and
prints Markdown: for each task, the handcrafted policy's return, the learner's return after
1000 and 4000 training dialogues (mean ± std over seeds), the best other learner's, and the
counts the acceptance of the structured policy asks for (return at least handcrafted's, within
0.5 of it, mean success over the tasks, return after 1000 dialogues as a share of
handcrafted's).

    .venv/bin/python scripts/learner_table.py runs/structured/results.csv \\
        docs/pydial-benchmark/results.csv [--learner structured_ppo]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

DOMAINS = ("CamRestaurants", "SFRestaurants", "Laptops11")
TASKS = tuple(f"env{n}" for n in range(1, 7))
LEARNERS = ("structured_ppo", "maskable_ppo", "ppo", "a2c", "dqn")


def read(paths: list[Path]) -> dict[tuple[str, str, str, int], dict[str, float]]:
    """Rows by (domain, task, policy, trained dialogues); later files win."""
    rows: dict[tuple[str, str, str, int], dict[str, float]] = {}
    for path in paths:
        with path.open(encoding="utf-8", newline="") as stream:
            for row in csv.DictReader(stream):
                key = (row["domain"], row["task"], row["policy"], int(row["trained_dialogues"]))
                rows[key] = {
                    name: float(row[name])
                    for name in ("success_rate_mean", "avg_return_mean", "avg_return_std")
                }
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", type=Path)
    parser.add_argument("--learner", default="structured_ppo")
    args = parser.parse_args()
    rows = read(args.results)
    learner = args.learner
    print(
        f"| domain | task | handcrafted return | {learner} @1000 | {learner} @4000"
        " | best other learner @4000 | share of handcrafted @1000 |"
    )
    print("| --- | --- | ---: | ---: | ---: | --- | ---: |")
    ahead = within = tasks = 0
    success: list[float] = []
    handcrafted_success: list[float] = []
    for domain in DOMAINS:
        for task in TASKS:
            rules = rows.get((domain, task, "handcrafted", 0))
            early = rows.get((domain, task, learner, 1000))
            late = rows.get((domain, task, learner, 4000))
            if rules is None or early is None or late is None:
                continue
            tasks += 1
            gap = late["avg_return_mean"] - rules["avg_return_mean"]
            ahead += gap >= 0
            within += -0.5 <= gap < 0
            success.append(late["success_rate_mean"])
            handcrafted_success.append(rules["success_rate_mean"])
            others = [
                (rows[(domain, task, other, 4000)]["avg_return_mean"], other)
                for other in LEARNERS
                if other != learner and (domain, task, other, 4000) in rows
            ]
            best = max(others, default=None)
            share = early["avg_return_mean"] / rules["avg_return_mean"]
            print(
                f"| {domain} | {task} | {rules['avg_return_mean']:.2f}"
                f" | {early['avg_return_mean']:.2f} ± {early['avg_return_std']:.2f}"
                f" | {late['avg_return_mean']:.2f} ± {late['avg_return_std']:.2f}"
                f" | {f'{best[1]} {best[0]:.2f}' if best else '–'} | {share:.0%} |"
            )
    if tasks:
        print(
            f"\n{learner}: return at least handcrafted's on {ahead} of {tasks} tasks, within 0.5"
            f" of it on {within} more; mean success {sum(success) / tasks:.1%} against"
            f" handcrafted's {sum(handcrafted_success) / tasks:.1%}."
        )


if __name__ == "__main__":
    main()
