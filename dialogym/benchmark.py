r"""``dialogym benchmark``: a named suite of tasks × policies × seeds, as tables and plots.

The defaults are PyDial's benchmark protocol (Casanueva et al. 2017; its
``config/pydial_benchmarks/*.cfg``, ``[exec_config]``): 4 batches of 1,000 training dialogues,
a test on 500 dialogues after each batch. Example, the whole PyDial suite on its three domains::

    dialogym benchmark --suite pydial \
        --domain ../shared/data/pydial/CamRestaurants-rules.json \
        --domain ../shared/data/pydial/SFRestaurants-rules.json \
        --domain ../shared/data/pydial/Laptops11-rules.json \
        --seeds 3 --jobs 2 --out runs/pydial

A policy is a built-in (``random``, ``greedy``, ``handcrafted``), an algorithm name (trained on
the spot for ``--dialogues`` dialogues per task and seed, tested on ``--eval-episodes``
dialogues every ``--eval-every`` dialogues) or a path to a saved ``model.zip`` (evaluated as it
is); by default every built-in and every algorithm. Each learner is reported after its first
test batch and at the end (PyDial's protocol: after 1,000 and after 4,000 dialogues); a policy
that does not learn is tested once, on ``--episodes`` dialogues from reset seed
``20000 + seed``, and reported in the last columns.

The output folder receives ``results.md`` (per domain: success, return and turns for each task
and policy, mean ± std over seeds, with PyDial's own logged figures beside ours where they exist;
then greedy against handcrafted), ``results.csv`` (one row per domain, task, policy and
training budget), ``results.json`` (every cell), ``success-DOMAIN.png`` and
``curves-DOMAIN-TASK.png`` (learning curves, spread over seeds shaded, PyDial's logged runs as
their own lines), and ``runs/`` with each training run. A finished cell is kept in
``cells.json`` and skipped when the same command is run again, so an interrupted benchmark
resumes. A cell is keyed on everything that changes its result: the protocol (``--dialogues``,
``--eval-every``, ``--eval-episodes``, ``--episodes``: another protocol in the same folder is
refused), the domain and policy arguments with a SHA-256 of the files they name (a file changed
since is run again), the task and the seed; ``cells.json`` is read back bounded and checked (a
broken one is refused in one line). ``--out`` must be a new folder, an empty one or one dialogym
made (``--force`` for another; never one holding a symbolic link: `dialogym.runs`), and is
locked (``run.lock``) while a benchmark writes it.

``--suite multiwoz`` runs the MultiWOZ ids (``dialogym/MultiWOZ-v0``, ConvLab-3's user, and
``dialogym/MultiWOZ-fixed-v0``) instead, in MultiWOZ's own seven domains (no ``--domain``; its
tables are headed ``MultiWOZ``). Its default policies are ``handcrafted`` (ConvLab's rule
policy), ``random`` and the algorithms that play there (every one but ``structured_ppo``, which
needs the PyDial world's per-slot layout), and its tables report ConvLab's figures (complete,
book rate, inform precision, recall and F1) beside success, return and turns.

Two domain files with the same name in different folders are kept apart: each is labelled with
as many of its parent folders as tell them apart (``a-CamRestaurants``, ``b-CamRestaurants``).
Text cells of ``results.csv`` that a spreadsheet would read as a formula (a leading ``=``,
``+``, ``-``, ``@``, tab or carriage return) are prefixed with ``'``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import statistics
import sys
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import fields
from functools import cache
from importlib import resources
from itertools import product
from pathlib import Path
from typing import Any

from tqdm import tqdm

from dialogym import agents  # its names load torch and SB3 when first used
from dialogym.agents.config import TrainConfig
from dialogym.agents.plots import learning_curves, success_bars
from dialogym.cli import (
    CommandError,
    HelpFormatter,
    Interrupted,
    add_trust_model_flag,
    make_env,
    policy_env_kwargs,
    run_command,
    write_atomically,
    write_json,
)
from dialogym.cluster import LOCAL, RayExecutor, connect
from dialogym.domains import load_domain
from dialogym.domains.domain import shorten
from dialogym.envs.registration import MULTIWOZ_TASKS, PYDIAL_TASKS, is_multiwoz
from dialogym.envs.rollout import evaluate
from dialogym.models import ModelError
from dialogym.policies import BUILTIN_POLICIES, LLM_POLICY, is_llm_policy, make_policy
from dialogym.report import report_hint
from dialogym.runs import claim_run_folder, domain_label, read_run_json, run_lock
from dialogym.train import TEST_SEED, train

SUITES: dict[str, tuple[str, ...]] = {
    "pydial": tuple(PYDIAL_TASKS),
    "multiwoz": tuple(MULTIWOZ_TASKS),
}
"""Named suites: environment ids, each run with ``domain=`` set to every ``--domain`` (but in a
suite of `FIXED_WORLDS`)."""

FIXED_WORLDS: dict[str, str] = {"multiwoz": "MultiWOZ"}
"""Suites whose tasks take no ``domain=`` (their world has its own domains), with the name their
tables and run folders go under in place of a domain's."""

PYDIAL_PROTOCOL = {"dialogues": 4000, "eval_every": 1000, "eval_episodes": 500, "episodes": 500}
"""PyDial's benchmark protocol: ``numtrainbatches = 4``, ``traindialogsperbatch = 1000``,
``numbatchtestdialogs = 500``, ``numtestdialogs = 500`` (the defaults of the flags)."""

FIGURES = (("success_rate", "success %", 100.0, 1), ("avg_return", "return", 1.0, 2),
           ("avg_turns", "turns", 1.0, 2))  # fmt: skip
"""Each reported figure: key, column name, display scale, decimals."""

MULTIWOZ_FIGURES: tuple[tuple[str, str, float, int], ...] = (
    ("complete_rate", "complete %", 100.0, 1), ("book_rate", "book rate", 1.0, 3),
    ("inform_precision", "inform P", 1.0, 3), ("inform_recall", "inform R", 1.0, 3),
    ("inform_f1", "inform F1", 1.0, 3),
)  # fmt: skip
"""ConvLab's figures, reported beside `FIGURES` for the multiwoz suite (each may be None: no
dialogue defined it)."""

SUITE_FIGURES: dict[str, tuple[tuple[str, str, float, int], ...]] = {
    "pydial": FIGURES, "multiwoz": (*FIGURES, *MULTIWOZ_FIGURES),
}  # fmt: skip
"""The figures each suite's tables report."""

ALGORITHM_NAMES = next(f for f in fields(TrainConfig) if f.name == "algo").metadata["help"]
"""The algorithms a benchmark trains, in words (``--algo``'s help), known without loading SB3."""

LOGGED_KEYS = {"success_rate": "success", "avg_return": "reward", "avg_turns": "turns"}
"""Our figure keys to the names of PyDial's logged figures (its success is in percent)."""


def domain_labels(domains: Sequence[str]) -> dict[str, str]:
    """A distinct label per domain argument: `domain_label`, led by parent folders if shared.

    >>> domain_labels(["a/x/CamRestaurants-rules.json", "b/x/CamRestaurants-rules.json", "laptop"])
    {'a/x/CamRestaurants-rules.json': 'a-x-CamRestaurants', 'b/x/CamRestaurants-rules.json': 'b-x-CamRestaurants', 'laptop': 'laptop'}
    """
    unique = list(dict.fromkeys(domains))

    def label(domain: str, depth: int) -> str:
        parents = Path(domain).resolve().parent.parts[1:][-depth:] if depth else ()
        return "-".join([*parents, domain_label(domain)])

    labels = {}
    for domain in unique:
        others = [other for other in unique if other != domain]
        depth = 0
        while depth < len(Path(domain).resolve().parts) and any(
            label(other, depth) == label(domain, depth) for other in others
        ):
            depth += 1
        labels[domain] = label(domain, depth)
    for index, domain in enumerate(unique):  # the same file named twice: its place decides
        if list(labels.values()).count(labels[domain]) > 1:
            labels[domain] = f"{labels[domain]}-{index + 1}"
    return labels


def fingerprint(argument: str) -> str:
    """The SHA-256 of the file an argument names, or ``""`` for a name (a built-in).

    ``llm:DIR`` names the weights of the policy directory DIR.
    """
    path = Path(argument)
    if is_llm_policy(argument):
        from dialogym.policies.llm import WEIGHTS

        path = Path(argument.partition(":")[2]) / WEIGHTS
    if not path.is_file():
        return ""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def domain_fingerprint(argument: str) -> str:
    """The SHA-256 of what a domain file loads to (its database included), ``""`` for a built-in.

    Hashing the loaded domain, not the file named, catches a change in a file it refers to (a
    PyDial rules file's ``-dbase.db``, a native ontology's database).
    """
    if not Path(argument).is_file():
        return ""
    domain = load_domain(argument)
    content = (
        domain.name, domain.entity_type, domain.name_slot, domain.informable,
        domain.system_requestable, domain.requestable, domain.booking, domain.synonyms,
        domain.slot_synonyms,
        domain.entities,
    )  # fmt: skip
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def spreadsheet_safe(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run: text starting with ``= + - @``, tab or CR gets ``'``.

    >>> spreadsheet_safe("=1+1"), spreadsheet_safe("@x"), spreadsheet_safe(-1.5), spreadsheet_safe("env1")
    ("'=1+1", "'@x", -1.5, 'env1')
    """
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def task_label(env_id: str) -> str:
    """``env1`` for ``dialogym/PyDialEnv1-v0``; other ids as they are."""
    name = env_id.split("/")[-1]
    return "env" + name[len("PyDialEnv") :].split("-")[0] if name.startswith("PyDialEnv") else name


@cache
def pydial_logged() -> dict[str, Any]:
    """PyDial's logged benchmark runs (package data ``dialogym/data/pydial_logged.json``).

    Figures of PyDial's own runs with its benchmark configs, extracted from its
    ``_benchmarklogs/`` (repository ``paulaWesselmann/testing_pydial``) by
    ``scripts/extract_pydial_logs.py``: per run (domain, task, policy, seed, log file), the test
    after each 1,000-dialogue training batch (500 dialogues: success in percent, reward, turns).
    """
    path = resources.files("dialogym") / "data" / "pydial_logged.json"
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@cache
def logged_budgets() -> frozenset[int]:
    """The training budgets after which PyDial's logged runs were tested (1000, ..., 4000)."""
    return frozenset(test["dialogues"] for run in pydial_logged()["runs"] for test in run["tests"])


def logged_label(policy: str, runs: int) -> str:
    """The table label of PyDial's logged runs of a policy: ``PyDial DQN (logged, 8 runs)``."""
    name = policy if policy == "hdc" else policy.upper()
    return f"PyDial {name} (logged, {runs} run{'s' if runs > 1 else ''})"


def logged_ranges(domain: str, task: str, points: Sequence[int]) -> list[dict[str, Any]]:
    """PyDial's logged figures for one domain and task, as ranges over its runs.

    A learning policy's range at a point is taken over the tests after exactly that many
    training dialogues; a policy that does not learn (``hdc``) is given one range over every
    test of its runs, at the last point. Points PyDial never logged are left out.

    >>> [row["label"] for row in logged_ranges("CamRestaurants", "env1", [1000, 4000])]
    ['PyDial DQN (logged, 5 runs)', 'PyDial hdc (logged, 9 runs)']
    >>> logged_ranges("CamRestaurants", "env1", [15, 30])
    []

    Returns:
        One row per logged policy: ``label``, ``policy`` and, per point, per figure key,
        ``(min, max)`` in our units (success as a rate).
    """
    logged_points = logged_budgets()
    runs = [r for r in pydial_logged()["runs"] if r["domain"] == domain and r["task"] == task]
    rows = []
    for policy in dict.fromkeys(r["policy"] for r in runs):
        mine = [r for r in runs if r["policy"] == policy]
        by_point: dict[int, list[dict[str, float]]] = {}
        for run in mine:
            for test in run["tests"]:
                point = test["dialogues"] if run["learns"] else points[-1]
                if point in points and point in logged_points:
                    by_point.setdefault(point, []).append(test)
        if not by_point:
            continue
        ranges = {
            point: {
                key: _span(
                    test[logged] / (100.0 if key == "success_rate" else 1.0) for test in tests
                )
                for key, logged in LOGGED_KEYS.items()
            }
            for point, tests in by_point.items()
        }
        rows.append({"policy": policy, "label": logged_label(policy, len(mine)), "ranges": ranges})
    return rows


def _span(values: Iterable[float]) -> tuple[float, float]:
    items = list(values)
    return min(items), max(items)


def report_points(args: argparse.Namespace) -> list[int]:
    """Training budgets at which learners are reported: the first test batch and the end."""
    return sorted({min(args.eval_every, args.dialogues), args.dialogues})


def learns(policy: str) -> bool:
    """Whether a ``--policy`` is trained by the benchmark (an algorithm name)."""
    return policy in agents.ALGORITHMS


def task_kwargs(env_id: str, domain: str) -> dict[str, Any]:
    """A task's env arguments: ``domain=`` for the PyDial world; none for the MultiWOZ ids."""
    return {} if is_multiwoz(env_id) else {"domain": domain}


def run_cell(
    env_id: str, domain: str, policy: str, seed: int, args: argparse.Namespace, run_dir: Path
) -> dict[str, Any]:
    """Train (if ``policy`` is an algorithm) and evaluate one (task, policy, seed) cell.

    Its figures, with ``cell_seconds``: the cell's wall time, training and tests together.
    """
    began = time.perf_counter()
    return {
        **_play_cell(env_id, domain, policy, seed, args, run_dir),
        "cell_seconds": round(time.perf_counter() - began, 3),
    }


def _play_cell(
    env_id: str, domain: str, policy: str, seed: int, args: argparse.Namespace, run_dir: Path
) -> dict[str, Any]:
    """`run_cell`'s body."""
    if learns(policy):
        config = TrainConfig(
            env=env_id,
            env_kwargs=task_kwargs(env_id, domain),
            algo=policy,
            dialogues=args.dialogues,
            seed=seed,
            eval_every=args.eval_every,
            eval_episodes=args.eval_episodes,
            test_episodes=args.episodes,
        )
        metrics = train(config, run_dir, progress=False)
        evaluations = run_dir / "evaluations.json"  # none when --eval-every > --dialogues
        curve = json.loads(evaluations.read_text(encoding="utf-8")) if evaluations.is_file() else []
        return {**metrics, "curve": curve}
    env = make_env(env_id, policy_env_kwargs(policy, task_kwargs(env_id, domain)))
    try:
        if policy in BUILTIN_POLICIES or is_llm_policy(policy):
            agent: Any = make_policy(policy, env, seed=seed, trust=args.trust_model)
        else:
            agent = agents.AgentPolicy.load(policy, env=env, trust=args.trust_model)
    except (ValueError, ModelError) as error:
        raise CommandError(f"--policy: {error}") from None
    summary, _ = evaluate(env, agent, args.episodes, TEST_SEED + seed)
    return {**summary, "curve": []}


TIMING_FIELDS = ("seconds", "per_second")
"""Parts of the names of the fields that time a run (they differ from run to run)."""


def without_timing(value: Any) -> Any:
    """A results file's content less its timing fields.

    What two runs of the same cells share, whether run with ``--jobs`` or ``--ray``.
    """
    if isinstance(value, dict):
        return {
            key: without_timing(item)
            for key, item in value.items()
            if not any(part in key for part in TIMING_FIELDS)
        }
    if isinstance(value, list):
        return [without_timing(item) for item in value]
    return value


def cell_executor(args: argparse.Namespace) -> Executor:
    """Where the cells run: Ray tasks (``--ray``), ``--jobs`` processes, or this process.

    Raises:
        CommandError: ``--ray`` without Ray installed, or no cluster at its address.
    """
    if args.ray is not None:
        return RayExecutor(connect(args.ray))
    return ProcessPoolExecutor(args.jobs) if args.jobs > 1 else _InProcess()


def cell_dir(out: Path, domain: str, env_id: str, policy: str, seed: int) -> Path:
    """Where the training run of one cell goes (``domain``: its label, see `domain_labels`)."""
    label = Path(policy).parent.name if policy.endswith(".zip") else policy
    if is_llm_policy(policy) and policy != LLM_POLICY:
        label = f"{LLM_POLICY}-{Path(policy.partition(':')[2]).name}"
    return out / "runs" / domain / task_label(env_id) / f"{label}-s{seed}"


class _InProcess(Executor):
    """An executor that runs each call at once, in this process (``--jobs 1``)."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:  # type: ignore[override]
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:  # noqa: BLE001  (re-raised by future.result())
            future.set_exception(error)
        return future


def figures_at(cell: dict[str, Any], point: int, last: int) -> dict[str, Any] | None:
    """A cell's figures after ``point`` training dialogues, or None when it has none there.

    A learner's last point is its final test; an earlier one is the first periodic test at or
    past it. A policy that does not learn has its one test at the last point only.
    """
    if point == last:
        return cell
    if not learns(cell["policy"]):
        return None
    return next((record for record in cell["curve"] if record["dialogues"] >= point), None)


def aggregate(
    cells: list[dict[str, Any]],
    points: Sequence[int],
    figures: Sequence[tuple[str, str, float, int]] = FIGURES,
) -> list[dict[str, Any]]:
    """Mean and standard deviation over seeds, per (domain, task, policy, point).

    Rows come in first-seen order of (domain, task, policy), points ascending; a policy that
    does not learn has one row, ``trained_dialogues`` 0. A figure's mean and spread are over
    the seeds that define it (None where none does).
    """
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for cell in cells:
        groups.setdefault((cell["domain"], cell["task"], cell["policy"]), []).append(cell)
    rows = []
    for (domain, task, policy), group in groups.items():
        for point in points:
            found = [f for f in (figures_at(c, point, points[-1]) for c in group) if f is not None]
            if not found:
                continue
            row: dict[str, Any] = {
                "domain": domain,
                "task": task,
                "policy": policy,
                "trained_dialogues": point if learns(policy) else 0,
                "seeds": len(found),
            }
            for key, *_ in figures:
                values = [f[key] for f in found if f.get(key) is not None]
                row[f"{key}_mean"] = statistics.fmean(values) if values else None
                row[f"{key}_std"] = statistics.stdev(values) if len(values) > 1 else 0.0
            rows.append(row)
    return rows


def _ours(row: dict[str, Any] | None, key: str, scale: float, digits: int) -> str:
    """A figure as ``mean ± std``; one seed has no spread (``–``); no figure at all is ``–``."""
    if row is None or row[key + "_mean"] is None:
        return "–"
    spread = f"{row[key + '_std'] * scale:.{digits}f}" if row["seeds"] > 1 else "–"
    return f"{row[key + '_mean'] * scale:.{digits}f} ± {spread}"


def _theirs(span: tuple[float, float] | None, scale: float, digits: int) -> str:
    if span is None:
        return "–"
    low, high = (f"{value * scale:.{digits}f}" for value in span)
    return low if low == high else f"{low}–{high}"


def markdown(
    rows: list[dict[str, Any]],
    points: Sequence[int],
    tests: str,
    figures: Sequence[tuple[str, str, float, int]] = FIGURES,
) -> str:
    """One table per domain (task × policy, each figure after each point), then greedy vs handcrafted.

    Args:
        rows: `aggregate`'s rows.
        points: The training budgets reported.
        tests: How many dialogues each test has, in words.
        figures: The figures reported (`SUITE_FIGURES`).
    """
    lines = []
    if not any(learns(r["policy"]) for r in rows):  # nothing trained: one test per policy
        points = points[-1:]
        header = ["task", "policy", *(name for _, name, *_ in figures)]
        budgets = "Every policy is tested once."
    else:
        header = ["task", "policy"] + [f"{name} @{p}" for p in points for _, name, *_ in figures]
        budgets = (
            "@N: after N training dialogues. Policies that do not learn are tested once (last"
            " columns)."
        )
    for domain in dict.fromkeys(r["domain"] for r in rows):
        mine = [r for r in rows if r["domain"] == domain]
        seeds = max(r["seeds"] for r in mine)
        tasks = list(dict.fromkeys(r["task"] for r in mine))
        logged = {task: logged_ranges(domain, task, points) for task in tasks}
        note = (
            " PyDial (logged): min–max over PyDial's own runs with its benchmark configs"
            " (its _benchmarklogs/; hdc does not learn: every test of its runs)."
            if any(logged.values())
            else ""
        )
        lines += [
            f"### {domain}",
            "",
            f"Mean ± std over {seeds} seed{'s' * (seeds > 1)}; {tests}. {budgets}{note}",
            "",
            "| " + " | ".join(header) + " |",
            "| --- | --- |" + " ---: |" * (len(header) - 2),
        ]
        for task in tasks:
            cell = {(r["policy"], r["trained_dialogues"]): r for r in mine if r["task"] == task}
            for policy in dict.fromkeys(policy for policy, _ in cell):
                # A policy that does not learn (trained on 0 dialogues) shows in the last columns.
                at = {p: cell.get((policy, p if learns(policy) else 0)) for p in points}
                values = [
                    _ours(at[p] if learns(policy) or p == points[-1] else None, key, scale, digits)
                    for p in points
                    for key, _, scale, digits in figures
                ]
                lines.append(f"| {task} | {policy} | " + " | ".join(values) + " |")
            for theirs in logged[task]:
                values = [
                    _theirs(theirs["ranges"].get(p, {}).get(key), scale, digits)
                    for p in points
                    for key, _, scale, digits in figures
                ]
                lines.append(f"| {task} | {theirs['label']} | " + " | ".join(values) + " |")
        lines.append("")
    lines += greedy_against_handcrafted(rows)
    return "\n".join(lines)


def greedy_against_handcrafted(rows: list[dict[str, Any]]) -> list[str]:
    """Mean return of ``greedy`` and ``handcrafted`` per domain and over every task (Markdown).

    The rule of three (inform if asked, offer an alternative if asked, otherwise offer) must not
    pay: this shows by how much handcrafted beats it, and on how many tasks. Empty unless both
    policies ran.
    """
    returns: dict[tuple[str, str], dict[str, float]] = {}
    for row in rows:
        if row["policy"] in ("greedy", "handcrafted"):
            returns.setdefault((row["domain"], row["task"]), {})[row["policy"]] = row[
                "avg_return_mean"
            ]
    pairs = {key: value for key, value in returns.items() if len(value) == 2}
    if not pairs:
        return []
    lines = [
        "### Greedy against handcrafted: mean return",
        "",
        "| domain | tasks | greedy | handcrafted | handcrafted − greedy | tasks where greedy is lower |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    domains = list(dict.fromkeys(domain for domain, _ in pairs))
    for name, keys in [
        *((d, [k for k in pairs if k[0] == d]) for d in domains),
        *([("all", list(pairs))] if len(domains) > 1 else []),
    ]:
        greedy = statistics.fmean(pairs[k]["greedy"] for k in keys)
        handcrafted = statistics.fmean(pairs[k]["handcrafted"] for k in keys)
        lower = sum(pairs[k]["greedy"] < pairs[k]["handcrafted"] for k in keys)
        lines.append(
            f"| {name} | {len(keys)} | {greedy:.2f} | {handcrafted:.2f} |"
            f" {handcrafted - greedy:+.2f} | {lower} / {len(keys)} |"
        )
    return [*lines, ""]


def write_results(
    out: Path,
    cells: list[dict[str, Any]],
    points: Sequence[int],
    tests: str,
    figures: Sequence[tuple[str, str, float, int]] = FIGURES,
) -> str:
    """results.md, results.csv, results.json and the plots (``figures`` reported); return the Markdown."""
    rows = aggregate(cells, points, figures)
    table = markdown(rows, points, tests, figures)
    write_atomically(out / "results.md", table + "\n")
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: spreadsheet_safe(value) for key, value in row.items()} for row in rows)
    write_atomically(out / "results.csv", text.getvalue())
    write_json(out / "results.json", {"points": list(points), "rows": rows, "cells": cells})
    for domain in dict.fromkeys(r["domain"] for r in rows):
        last = [
            r for r in rows if r["domain"] == domain and r["trained_dialogues"] in (0, points[-1])
        ]
        bars: dict[str, dict[str, tuple[float, float]]] = {r["task"]: {} for r in last}
        for r in last:
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
                if points[-1] in logged_budgets():  # PyDial's runs on the same scale as ours
                    curves.update(logged_curves(domain, task))
                title = f"{domain} {task}: learning curves"
                write_atomically(
                    out / f"curves-{domain}-{task}.png", learning_curves(curves, title)
                )
    return table


def logged_curves(domain: str, task: str) -> dict[str, list[list[dict[str, float]]]]:
    """PyDial's logged learning runs of a task as curves (label to runs) beside ours."""
    curves: dict[str, list[list[dict[str, float]]]] = {}
    runs = [
        r
        for r in pydial_logged()["runs"]
        if r["domain"] == domain and r["task"] == task and r["learns"]
    ]
    for policy in dict.fromkeys(r["policy"] for r in runs):
        mine = [r for r in runs if r["policy"] == policy]
        curves[logged_label(policy, len(mine))] = [
            [
                {
                    "dialogues": test["dialogues"],
                    "success_rate": test["success"] / 100.0,
                    "avg_return": test["reward"],
                }
                for test in run["tests"]
            ]
            for run in mine
        ]
    return curves


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``dialogym benchmark``."""
    parser = argparse.ArgumentParser(
        prog="dialogym benchmark",
        formatter_class=HelpFormatter,
        description="Run a benchmark suite: tasks x policies x seeds; write tables and plots."
        " The defaults are PyDial's protocol: 4 x 1000 training dialogues, 500 test dialogues"
        " after each batch.",
    )
    parser.add_argument("--suite", default="pydial", help=f"one of {', '.join(SUITES)}")
    parser.add_argument(
        "--domain", action="append", default=[], metavar="NAME|PATH",
        help="domain to run every task on, repeatable: restaurant, laptop, a domain file or a PyDial *-rules.json (default restaurant; none for --suite multiwoz)",
    )  # fmt: skip
    parser.add_argument(
        "--policy", action="append", default=[], metavar="NAME|PATH",
        help=f"repeatable: {', '.join(BUILTIN_POLICIES)}, {LLM_POLICY}[:MODEL], an algorithm ({ALGORITHM_NAMES}: trained on the spot) or a model.zip (default: every built-in and every algorithm; for --suite multiwoz, those that play there)",
    )  # fmt: skip
    parser.add_argument(
        "--task", action="append", default=[], help="only these tasks (env1, ..., MultiWOZ-v0)"
    )
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 per cell")
    protocol = PYDIAL_PROTOCOL
    parser.add_argument(
        "--dialogues", type=int, default=protocol["dialogues"], help="training budget per run"
    )
    parser.add_argument(
        "--eval-every", type=int, default=protocol["eval_every"],
        help="training dialogues between tests (a training batch)",
    )  # fmt: skip
    parser.add_argument(
        "--eval-episodes", type=int, default=protocol["eval_episodes"],
        help="test dialogues after each training batch",
    )  # fmt: skip
    parser.add_argument(
        "--episodes", type=int, default=protocol["episodes"],
        help="test dialogues at the end (and of a policy that does not learn)",
    )  # fmt: skip
    parser.add_argument("--jobs", type=int, default=1, help="cells run in parallel processes")
    parser.add_argument(
        "--ray", nargs="?", const=LOCAL, default=None, metavar="ADDRESS",
        help="run each cell as a Ray task instead: on a local Ray instance, or on the cluster at ADDRESS (auto: RAY_ADDRESS); needs pip install 'dialogym[ray]'",
    )  # fmt: skip
    parser.add_argument("--out", default="runs/benchmark", help="output folder")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument(
        "--force", action="store_true",
        help="write into an existing --out folder that dialogym did not make",
    )  # fmt: skip
    add_trust_model_flag(parser)
    return parser


CELLS_FILE = "cells.json"
"""The finished cells of a benchmark folder (what a rerun skips)."""
MAX_CELLS_BYTES = 256 * 1024**2
"""The largest ``cells.json`` read back."""
CELL_FIELDS: dict[str, type] = {
    "domain_arg": str, "env": str, "task": str, "policy": str, "seed": int, "curve": list,
}  # fmt: skip
"""What a finished cell must hold besides its figures (`FIGURES`), and of what kind."""


def _has(record: Any, fields: dict[str, type | tuple[type, ...]]) -> bool:
    """Whether ``record`` is an object holding ``fields`` of their kinds (a bool is no number)."""
    return isinstance(record, dict) and all(
        not isinstance(record.get(name), bool) and isinstance(record.get(name), kind)
        for name, kind in fields.items()
    )


def _optional_numbers(record: dict[str, Any], keys: Sequence[str]) -> bool:
    """Whether each of ``keys`` that ``record`` holds is a number or None (a bool is no number)."""
    return all(
        record[key] is None
        or (isinstance(record[key], int | float) and not isinstance(record[key], bool))
        for key in keys
        if key in record
    )


def load_cells(path: Path, protocol: dict[str, int]) -> list[dict[str, Any]]:
    """The finished cells of an earlier run of the same protocol in the same folder.

    The file is read back bounded and checked (every cell holds `CELL_FIELDS` and the figures,
    its curve records the training dialogues and the figures), so a broken one is refused in
    one line.

    Raises:
        CommandError: unreadable or malformed file, or cells of another protocol.
    """
    if not path.is_file():
        return []
    try:
        data = read_run_json(path, MAX_CELLS_BYTES)
    except (OSError, ValueError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CommandError(f"--out: {path}: not a cells file ({message[:200]})") from None
    if not isinstance(data, dict) or data.get("protocol") != protocol:
        found = data.get("protocol") if isinstance(data, dict) else None
        raise CommandError(
            f"--out: {path.parent} holds cells of another protocol ({shorten(json.dumps(found), 200)}, now"
            f" {protocol}); choose another --out"
        )
    cells = data.get("cells")
    if not isinstance(cells, list):
        raise CommandError(f"--out: {path}: 'cells' must be a list")
    figures: dict[str, type | tuple[type, ...]] = {key: (int, float) for key, *_ in FIGURES}
    optional = [key for key, *_ in MULTIWOZ_FIGURES]  # a number or null, where present
    for index, cell in enumerate(cells):
        if (
            not _has(cell, {**CELL_FIELDS, **figures})
            or not all(_has(record, {"dialogues": int, **figures}) for record in cell["curve"])
            or not all(_optional_numbers(record, optional) for record in [cell, *cell["curve"]])
        ):
            fields = ", ".join([*CELL_FIELDS, *figures])
            raise CommandError(
                f"--out: {path}: cell {index} is malformed (expected {fields}; curve records with"
                " dialogues and the figures)"
            )
    return cells


def run(args: argparse.Namespace) -> int:
    """Run the suite as the parsed arguments say; print the Markdown table."""
    if args.suite not in SUITES:
        raise CommandError(f"--suite: unknown suite {args.suite!r}; known: {', '.join(SUITES)}")
    for name in ("jobs", "seeds", "dialogues", "episodes", "eval_every", "eval_episodes"):
        if getattr(args, name) < 1:
            raise CommandError(f"--{name.replace('_', '-')}: must be >= 1")
    if args.ray is not None and args.jobs != 1:
        raise CommandError("--jobs: not with --ray (Ray runs the cells on the cluster's CPUs)")
    tasks = [t for t in SUITES[args.suite] if not args.task or task_label(t) in args.task]
    if not tasks:
        raise CommandError(f"--task: none of {args.task} is in suite {args.suite!r}")
    world = FIXED_WORLDS.get(args.suite)
    if world is not None and args.domain:
        raise CommandError(
            f"--domain: the {args.suite} suite's tasks take no domain (they run in {world}'s"
            " own domains); leave --domain out"
        )
    domains = [world] if world is not None else args.domain or ["restaurant"]
    policies = list(dict.fromkeys(args.policy)) or default_policies(args.suite, tasks[0])
    for policy in policies:
        if (
            policy not in BUILTIN_POLICIES
            and not is_llm_policy(policy)
            and policy not in agents.ALGORITHMS
            and not Path(policy).is_file()
        ):
            raise CommandError(
                f"--policy: {policy!r} is neither {', '.join([*BUILTIN_POLICIES, *agents.ALGORITHMS])},"
                f" {LLM_POLICY}[:MODEL] nor a model file"
            )
    if world is not None:
        check_policies(tasks[0], policies)  # one that does not play the world: one line, now
    else:
        for domain in domains:
            make_env(tasks[0], {"domain": domain}).close()  # a bad domain fails now, in one line
    out = Path(args.out)
    claim_run_folder(out, "--out", args.force, {CELLS_FILE: frozenset({"protocol", "cells"})})
    with run_lock(out):
        try:
            return _run(args, out, tasks, domains, policies)
        except KeyboardInterrupt:
            raise Interrupted(
                f"the finished cells are kept in {out / CELLS_FILE}: the same command goes on"
            ) from None


def default_policies(suite: str, env_id: str) -> list[str]:
    """The policies a suite runs when ``--policy`` is not given.

    Every built-in and algorithm for the PyDial suite; for a fixed world's, those that play it.
    """
    if suite not in FIXED_WORLDS:
        return [*BUILTIN_POLICIES, *agents.ALGORITHMS]
    return ["handcrafted", "random", *agents.algorithms_for(env_id)]


def check_policies(env_id: str, policies: Sequence[str]) -> None:
    """Refuse, before any cell runs, a built-in or an algorithm that does not play ``env_id``.

    Raises:
        CommandError: one line naming the policy.
    """
    env = make_env(env_id, {})
    for policy in policies:
        try:
            if policy in BUILTIN_POLICIES or is_llm_policy(policy):
                make_policy(policy, env)
            elif learns(policy):
                TrainConfig(env=env_id, algo=policy)
        except ValueError as error:
            raise CommandError(f"--policy: {error}") from None
    env.close()


def cell_key(cell: dict[str, Any]) -> tuple[str, str, str, str, str, int]:
    """What a finished cell's result depends on, besides the protocol (see the module doc)."""
    return (
        cell["domain_arg"],
        cell.get("domain_sha256", "?"),
        cell["env"],
        cell["policy"],
        cell.get("policy_sha256", "?"),
        cell["seed"],
    )


def _run(
    args: argparse.Namespace, out: Path, tasks: list[str], domains: list[str], policies: list[str]
) -> int:
    """`run`'s body, under the output folder's lock."""
    done_path = out / CELLS_FILE
    protocol = {name: getattr(args, name) for name in PYDIAL_PROTOCOL}
    cells = load_cells(done_path, protocol)
    labels = domain_labels(domains)
    fixed = args.suite in FIXED_WORLDS
    sha = {
        **{name: "" if fixed else domain_fingerprint(name) for name in domains},
        **{name: fingerprint(name) for name in policies},
    }
    done = {cell_key(c) for c in cells}
    todo = [
        (domain, env_id, policy, seed)
        for domain in domains
        for env_id in tasks
        for policy in policies
        for seed in range(args.seeds)
        if (domain, sha[domain], env_id, policy, sha[policy], seed) not in done
    ]
    with (
        cell_executor(args) as pool,
        tqdm(total=len(todo), desc=args.suite, disable=args.no_progress) as bar,
    ):
        gpus = isinstance(pool, RayExecutor) and pool.has_gpus()
        workers = pool.workers() if isinstance(pool, RayExecutor) else args.jobs
        bar.set_postfix_str(f"{min(workers, len(todo))} running", refresh=False)
        futures = {
            pool.submit(
                run_cell,
                env_id,
                domain,
                policy,
                seed,
                args,
                cell_dir(out, labels[domain], env_id, policy, seed),
                **({"gpus": 1} if gpus and is_llm_policy(policy) else {}),
            ): key
            for key in todo
            for domain, env_id, policy, seed in [key]
        }
        for future in as_completed(futures):
            domain, env_id, policy, seed = futures[future]
            result = future.result()
            cells.append(
                {
                    "domain": labels[domain],
                    "domain_arg": domain,
                    "domain_sha256": sha[domain],
                    "policy_sha256": sha[policy],
                    "task": task_label(env_id),
                    "env": env_id,
                    "policy": policy,
                    "seed": seed,
                    **{k: v for k, v in result.items() if k not in ("env", "env_kwargs", "seed")},
                }
            )
            write_json(done_path, {"protocol": protocol, "cells": cells})
            left = len(todo) - bar.n - 1
            bar.set_postfix_str(f"{min(workers, left)} running", refresh=False)
            bar.update()
        if isinstance(pool, RayExecutor):
            print(pool.summary(), file=sys.stderr)
    order = {
        (d, sha[d], e, p, sha[p], s): index
        for index, (d, e, p, s) in enumerate(product(domains, tasks, policies, range(args.seeds)))
    }
    selected = sorted(
        ({**c, "domain": labels[c["domain_arg"]]} for c in cells if cell_key(c) in order),
        key=lambda c: order[cell_key(c)],
    )
    tests = (
        f"tests of {args.eval_episodes} dialogues after each batch of {args.eval_every},"
        f" {args.episodes} at the end"
        if any(learns(policy) for policy in policies)
        else f"tests of {args.episodes} dialogues"
    )
    print(write_results(out, selected, report_points(args), tests, SUITE_FIGURES[args.suite]))
    print(report_hint(out))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``dialogym benchmark``."""
    return run_command("benchmark", run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
