r"""``dialogym benchmark``: a named suite of tasks × policies × seeds, as tables and plots.

Example (the PyDial suite on CamRestaurants, every algorithm trained for 4,000 dialogues, five
seeds, beside the handcrafted policy)::

    dialogym benchmark --suite pydial --domain ../shared/data/pydial/CamRestaurants-rules.json \
        --policy handcrafted --policy maskable_ppo --policy ppo --policy a2c --policy dqn \
        --dialogues 4000 --seeds 5 --episodes 500 --out runs/bench

A policy is a built-in (``handcrafted``, ``random``), an algorithm name (trained on the spot for
``--dialogues`` dialogues per task and seed) or a path to a saved ``model.zip`` (evaluated as it
is). Every (domain, task, policy, seed) cell plays ``--episodes`` test dialogues from reset seed
``20000 + seed``. The output folder receives ``results.md`` and ``results.csv`` (mean and
standard deviation over seeds of success rate and return, per domain, task and policy),
``results.json`` (every cell), ``success.png`` (success per task and policy) and
``curves-DOMAIN-TASK.png`` (learning curves, one line per trained policy, spread over seeds
shaded), and a ``runs/`` folder with each training run. A finished cell is kept in
``cells.json`` and skipped when the same command is run again, so an interrupted benchmark
resumes.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import statistics
import sys
from collections.abc import Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from itertools import product
from pathlib import Path
from typing import Any

from tqdm import tqdm

from dialogym.agents import ALGORITHMS, AgentPolicy, TrainConfig
from dialogym.agents.plots import learning_curves, success_bars
from dialogym.cli import CommandError, make_env, run_command, write_atomically, write_json
from dialogym.envs.registration import PYDIAL_TASKS
from dialogym.envs.rollout import evaluate
from dialogym.policies import BUILTIN_POLICIES, make_policy
from dialogym.train import TEST_SEED, train

SUITES: dict[str, tuple[str, ...]] = {"pydial": tuple(PYDIAL_TASKS)}
"""Named suites: environment ids, each run with ``domain=`` set to every ``--domain``."""


def domain_label(domain: str) -> str:
    """A short name for a domain argument (``CamRestaurants`` for its rules file)."""
    return Path(domain).name.removesuffix("-rules.json").split(".")[0]


def task_label(env_id: str) -> str:
    """``env1`` for ``dialogym/PyDialEnv1-v0``; other ids as they are."""
    name = env_id.split("/")[-1]
    return "env" + name[len("PyDialEnv") :].split("-")[0] if name.startswith("PyDialEnv") else name


def run_cell(
    env_id: str, domain: str, policy: str, seed: int, args: argparse.Namespace, run_dir: Path
) -> dict[str, Any]:
    """Train (if ``policy`` is an algorithm) and evaluate one (task, policy, seed) cell."""
    if policy in ALGORITHMS:
        config = TrainConfig(
            env=env_id,
            env_kwargs={"domain": domain},
            algo=policy,
            dialogues=args.dialogues,
            seed=seed,
            eval_every=args.eval_every,
            eval_episodes=args.eval_episodes,
            test_episodes=args.episodes,
        )
        metrics = train(config, run_dir, progress=False)
        curve = json.loads((run_dir / "evaluations.json").read_text(encoding="utf-8"))
        return {**metrics, "curve": curve}
    env = make_env(env_id, {"domain": domain})
    try:
        if policy in BUILTIN_POLICIES:
            agent: Any = make_policy(policy, env, seed=seed)
        else:
            agent = AgentPolicy.load(policy)
    except ValueError as error:
        raise CommandError(f"--policy: {error}") from None
    summary, _ = evaluate(env, agent, args.episodes, TEST_SEED + seed)
    return {**summary, "curve": []}


def cell_dir(out: Path, domain: str, env_id: str, policy: str, seed: int) -> Path:
    """Where the training run of one cell goes."""
    label = Path(policy).parent.name if policy.endswith(".zip") else policy
    return out / "runs" / domain_label(domain) / task_label(env_id) / f"{label}-s{seed}"


class _InProcess(Executor):
    """An executor that runs each call at once, in this process (``--jobs 1``)."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:  # type: ignore[override]
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:  # noqa: BLE001  (re-raised by future.result())
            future.set_exception(error)
        return future


def aggregate(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean and standard deviation over seeds, per (domain, task, policy), in first-seen order."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for cell in cells:
        groups.setdefault((cell["domain"], cell["task"], cell["policy"]), []).append(cell)
    rows = []
    for (domain, task, policy), group in groups.items():
        row: dict[str, Any] = {
            "domain": domain,
            "task": task,
            "policy": policy,
            "seeds": len(group),
        }
        for key in ("success_rate", "avg_return", "avg_turns"):
            values = [c[key] for c in group]
            row[f"{key}_mean"] = statistics.fmean(values)
            row[f"{key}_std"] = statistics.stdev(values) if len(values) > 1 else 0.0
        row["dialogues"] = group[0].get("dialogues", 0)
        rows.append(row)
    return rows


def markdown(rows: list[dict[str, Any]], episodes: int) -> str:
    """Success (mean ± std over seeds) per task and policy, then return, one table per domain."""
    lines = []
    for domain in dict.fromkeys(r["domain"] for r in rows):
        mine = [r for r in rows if r["domain"] == domain]
        tasks = list(dict.fromkeys(r["task"] for r in mine))
        policies = list(dict.fromkeys(r["policy"] for r in mine))
        cell = {(r["task"], r["policy"]): r for r in mine}
        seeds = max(r["seeds"] for r in mine)
        for key, what in (("success_rate", "success rate"), ("avg_return", "return")):
            digits = 3 if key == "success_rate" else 2
            lines += [
                f"### {domain}: {what} (mean ± std over {seeds} seeds, {episodes} test dialogues each)",
                "",
                "| policy | " + " | ".join(tasks) + " |",
                "| --- |" + " ---: |" * len(tasks),
            ]
            for policy in policies:
                values = [
                    f"{cell[t, policy][key + '_mean']:.{digits}f} ± {cell[t, policy][key + '_std']:.{digits}f}"
                    if (t, policy) in cell
                    else "–"
                    for t in tasks
                ]
                lines.append(f"| {policy} | " + " | ".join(values) + " |")
            lines.append("")
    return "\n".join(lines)


def write_results(out: Path, cells: list[dict[str, Any]], episodes: int) -> str:
    """results.md, results.csv, results.json and the plots; return the Markdown."""
    rows = aggregate(cells)
    table = markdown(rows, episodes)
    write_atomically(out / "results.md", table + "\n")
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_atomically(out / "results.csv", text.getvalue())
    write_json(out / "results.json", {"rows": rows, "cells": cells})
    for domain in dict.fromkeys(r["domain"] for r in rows):
        bars: dict[str, dict[str, tuple[float, float]]] = {
            r["task"]: {} for r in rows if r["domain"] == domain
        }  # task -> policy -> (mean, std)
        for r in rows:
            if r["domain"] == domain:
                bars[r["task"]][r["policy"]] = (r["success_rate_mean"], r["success_rate_std"])
        write_atomically(
            out / f"success-{domain}.png", success_bars(bars, f"{domain}: success rate")
        )
        for task in bars:
            curves: dict[str, list[Any]] = {}
            for c in cells:
                if c["domain"] == domain and c["task"] == task and c["curve"]:
                    curves.setdefault(c["policy"], []).append(c["curve"])
            if curves:
                title = f"{domain} {task}: learning curves"
                write_atomically(
                    out / f"curves-{domain}-{task}.png", learning_curves(curves, title)
                )
    return table


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``dialogym benchmark``."""
    parser = argparse.ArgumentParser(
        prog="dialogym benchmark",
        description="Run a benchmark suite: tasks x policies x seeds; write tables and plots.",
    )
    parser.add_argument("--suite", default="pydial", help=f"one of {', '.join(SUITES)}")
    parser.add_argument(
        "--domain", action="append", default=[], metavar="NAME|PATH",
        help="domain to run every task on, repeatable: restaurant, laptop, a domain file or a PyDial *-rules.json (default restaurant)",
    )  # fmt: skip
    parser.add_argument(
        "--policy", action="append", default=[], metavar="NAME|PATH",
        help=f"repeatable: {', '.join(BUILTIN_POLICIES)}, an algorithm ({', '.join(ALGORITHMS)}: trained on the spot) or a model.zip (default handcrafted, maskable_ppo)",
    )  # fmt: skip
    parser.add_argument("--task", action="append", default=[], help="only these tasks (env1, ...)")
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 per cell")
    parser.add_argument("--dialogues", type=int, default=4000, help="training budget per run")
    parser.add_argument("--episodes", type=int, default=500, help="test dialogues per cell")
    parser.add_argument(
        "--eval-every", type=int, default=500, help="dialogues between curve points"
    )
    parser.add_argument("--eval-episodes", type=int, default=100, help="dialogues per curve point")
    parser.add_argument("--jobs", type=int, default=1, help="cells run in parallel processes")
    parser.add_argument("--out", default="runs/benchmark", help="output folder")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the suite as the parsed arguments say; print the Markdown table."""
    if args.suite not in SUITES:
        raise CommandError(f"--suite: unknown suite {args.suite!r}; known: {', '.join(SUITES)}")
    for name in ("jobs", "seeds", "dialogues", "episodes", "eval_every", "eval_episodes"):
        if getattr(args, name) < 1:
            raise CommandError(f"--{name.replace('_', '-')}: must be >= 1")
    tasks = [t for t in SUITES[args.suite] if not args.task or task_label(t) in args.task]
    if not tasks:
        raise CommandError(f"--task: none of {args.task} is in suite {args.suite!r}")
    domains = args.domain or ["restaurant"]
    policies = args.policy or ["handcrafted", "maskable_ppo"]
    for policy in policies:
        if (
            policy not in BUILTIN_POLICIES
            and policy not in ALGORITHMS
            and not Path(policy).is_file()
        ):
            raise CommandError(
                f"--policy: {policy!r} is neither {', '.join([*BUILTIN_POLICIES, *ALGORITHMS])} nor a model file"
            )
    for domain in domains:
        make_env(tasks[0], {"domain": domain}).close()  # a bad domain fails now, in one line
    out = Path(args.out)
    done_path = out / "cells.json"
    cells: list[dict[str, Any]] = (
        json.loads(done_path.read_text(encoding="utf-8")) if done_path.is_file() else []
    )
    done = {(c["domain_arg"], c["env"], c["policy"], c["seed"]) for c in cells}
    todo = [
        (domain, env_id, policy, seed)
        for domain in domains
        for env_id in tasks
        for policy in policies
        for seed in range(args.seeds)
        if (domain, env_id, policy, seed) not in done
    ]
    with (
        ProcessPoolExecutor(args.jobs) if args.jobs > 1 else _InProcess() as pool,
        tqdm(total=len(todo), desc=args.suite, disable=args.no_progress) as bar,
    ):
        futures = {
            pool.submit(run_cell, env_id, domain, policy, seed, args, cell_dir(out, *key)): key
            for key in todo
            for domain, env_id, policy, seed in [key]
        }
        for future in as_completed(futures):
            domain, env_id, policy, seed = futures[future]
            result = future.result()
            cells.append(
                {
                    "domain": domain_label(domain),
                    "domain_arg": domain,
                    "task": task_label(env_id),
                    "env": env_id,
                    "policy": policy,
                    "seed": seed,
                    **{k: v for k, v in result.items() if k not in ("env", "env_kwargs", "seed")},
                }
            )
            write_json(done_path, cells)
            bar.update()
    order = {
        key: index for index, key in enumerate(product(domains, tasks, policies, range(args.seeds)))
    }
    selected = sorted(
        (c for c in cells if (c["domain_arg"], c["env"], c["policy"], c["seed"]) in order),
        key=lambda c: order[c["domain_arg"], c["env"], c["policy"], c["seed"]],
    )
    print(write_results(out, selected, args.episodes))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``dialogym benchmark``."""
    return run_command("benchmark", run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
