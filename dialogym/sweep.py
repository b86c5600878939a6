r"""``dialogym sweep``: search an algorithm's hyperparameters with Ray Tune, stopping poor trials early.

Example, 16 trials of MaskablePPO on restaurant env3, 2,000 training dialogues each::

    dialogym sweep --env dialogym/PyDialEnv3-v0 --env-kwarg domain=restaurant \
        --algo maskable_ppo --space dialogym/data/sweep_space_ppo.yaml \
        --trials 16 --dialogues 2000 --eval-every 500 --eval-episodes 200 --seed 0 \
        --out runs/sweep-env3

Each trial trains the algorithm with settings drawn from the search space (``--space``, a YAML
file) on every task (``--env``, repeatable, times ``--domain``, repeatable), as ``dialogym train``
would, for ``--dialogues`` dialogues. After every ``--eval-every`` dialogues it is tested on
``--eval-episodes`` dialogues (the same ones for every trial: ``dialogym train``'s periodic
evaluation) and reports its mean return, averaged over the tasks, to Ray Tune, whose ASHA
scheduler stops the trials that fall behind the others at the same point (Tune's defaults: a
trial goes on past ``--eval-every`` × 4^k dialogues only if its return there is in the top
quarter of those seen there so far). A trial that reaches the budget is tested on ``--episodes``
dialogues it never saw (``metrics.json``, from reset seed ``20000 + seed``, as the benchmark's
cells): its mean return over the tasks is the objective, and the best of these trials wins.
Every trial uses ``--seed``: trials differ only in their settings, are tested on the same
dialogues, and ``dialogym train --config best.yaml`` trains the best trial again. A trial whose
training fails (settings that make it diverge) is reported as failed, its traceback in
``trials/TRIAL/error.txt``; one whose worker or node died is run again, from its checkpoint.

The search space maps each algorithm argument (as ``--algo-kwarg`` takes it; a policy argument
is ``policy_kwargs.NAME``, or a ``policy_kwargs:`` mapping of them) to a distribution, or to a
plain value every trial gets::

    learning_rate: {loguniform: [1.0e-4, 3.0e-3]}
    ent_coef: {uniform: [0.0, 0.02]}
    n_epochs: {randint: [5, 11]}            # 5 to 10: the high end is excluded, as in Ray Tune
    n_steps: {choice: [64, 128, 256]}
    policy_kwargs.net_arch: {choice: [[64, 64], [128, 128]]}
    gamma: 0.99

The file is untrusted: it is read bounded (`dialogym.agents.config.read_yaml`) as plain YAML,
and every value a distribution can give is checked as a ``--config`` file's would be, before
Ray starts; a problem is one line naming the file and the key. Without ``--space``, structured_ppo,
maskable_ppo and ppo use the sample spaces in ``dialogym/data/sweep_space_*.yaml``.

``--ray`` chooses where the trials run (one CPU each): a Ray instance started on this machine
(the default), or the cluster at ``--ray ADDRESS``, whose nodes must see ``--out`` and any file
named by path at the same place (a shared file system). Ray is an optional extra (``pip install
'dialogym[ray]'``), imported only by this command.

``--out`` receives:

| file | what |
| --- | --- |
| ``best.yaml`` | the best trial's configuration (first task): ``dialogym train --config best.yaml`` |
| ``trials.csv``, ``trials.md`` | one row per trial: its settings, the last dialogues and figures it reported, whether it finished, was stopped early by ASHA, or failed |
| ``sweep.png`` | each trial's success rate and return against training dialogues |
| ``sweep.json`` | the sweep's settings (what ``--resume`` checks) |
| ``trials/TRIAL/`` | each trial's ``dialogym train`` run folder (``trials/TRIAL/TASK/`` for several tasks) |
| ``tune/`` | Ray Tune's experiment state |

An interrupted sweep (Ctrl-C) goes on with the same command and ``--resume --trust-resume``
(Ray Tune's ``Tuner.restore``, which unpickles the state in ``tune/`` and so runs code from the
folder: only for a sweep you ran yourself): the trials that were running continue from their
run's last checkpoint.
``--out`` must be a new folder, an empty one or one dialogym made, and is locked while a sweep
writes it.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import json
import math
import os
import queue
import statistics
import sys
import threading
import traceback
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any

from tqdm import tqdm

from dialogym.agents.config import TrainConfig, read_yaml
from dialogym.agents.plots import learning_curves
from dialogym.benchmark import ALGORITHM_NAMES, domain_labels, spreadsheet_safe, task_label
from dialogym.cli import (
    CommandError,
    HelpFormatter,
    Interrupted,
    make_env,
    non_negative_int,
    parse_env_kwargs,
    run_command,
    write_atomically,
    write_json,
)
from dialogym.cluster import LOCAL, RETRIES, connect, import_ray
from dialogym.domains.domain import excerpt
from dialogym.runs import claim_run_folder, portable_env_kwargs, read_run_json, run_lock
from dialogym.train import print_above_bars, train

DISTRIBUTIONS = ("choice", "loguniform", "randint", "uniform")
"""The distributions a search space may name (Ray Tune's of the same names)."""
FIXED = "fixed"
"""The kind of a search-space entry that is a plain value: every trial gets it."""
POLICY_KWARGS = "policy_kwargs"
"""The algorithm argument whose entries are written ``policy_kwargs.NAME`` in a search space."""
MAX_ENTRIES = 64
"""The most arguments a search space may set."""
MAX_CHOICES = 1000
"""The most values a ``choice`` may list."""
SAMPLE_SPACES = {
    "structured_ppo": "sweep_space_structured_ppo.yaml",
    "maskable_ppo": "sweep_space_ppo.yaml",
    "ppo": "sweep_space_ppo.yaml",
}
"""The search space of each algorithm that has a sample one (package data, ``dialogym/data``)."""
METRIC = "avg_return"
"""What a trial reports and the sweep maximises: mean return, over the tasks."""
FIGURES = ("success_rate", "avg_return", "avg_turns")
"""The figures a trial reports (means over its tasks), besides the training dialogues."""
SWEEP_FILE = "sweep.json"
"""The sweep's settings in its ``--out`` folder."""
TUNE_DIR = "tune"
"""Ray Tune's experiment folder in ``--out``."""
TRIALS_DIR = "trials"
"""The trials' run folders in ``--out``."""
SETTINGS = ("trials", "dialogues", "eval_every", "eval_episodes", "episodes", "seed")
"""The flags a resumed sweep must repeat, besides its algorithm, tasks and space."""
MAX_RUN_JSON = 64 * 1024**2
"""The largest run file (``metrics.json``, ``evaluations.json``) read back."""


@dataclass(frozen=True)
class Entry:
    """One entry of a search space: an algorithm argument and the values a trial may give it.

    Attributes:
        key: The argument (``learning_rate``; ``policy_kwargs.NAME`` for a policy argument).
        kind: `FIXED` (every trial gets ``arguments``) or one of `DISTRIBUTIONS`.
        arguments: The fixed value, the bounds ``(low, high)``, or the choices.
    """

    key: str
    kind: str
    arguments: Any

    def extremes(self) -> list[Any]:
        """Values that stand for all it can give, for checking: the choices, or both ends.

        A real-valued distribution also gives a value between them that is not a whole number,
        as its draws are (so an argument that takes integers refuses it).
        """
        if self.kind == FIXED:
            return [self.arguments]
        if self.kind == "choice":
            return list(self.arguments)
        low, high = self.arguments
        if self.kind == "randint":
            return [low, high - 1]
        return [low, low + (high - low) / math.e, high]

    def tune_domain(self, tune: Any) -> Any:
        """Ray Tune's search domain for it (``tune.loguniform(low, high)``, ...)."""
        if self.kind == "choice":
            return tune.choice(list(self.arguments))
        return getattr(tune, self.kind)(*self.arguments)

    def to_data(self) -> dict[str, Any]:
        """Plain data, for ``sweep.json``."""
        arguments = list(self.arguments) if isinstance(self.arguments, tuple) else self.arguments
        return {"kind": self.kind, "arguments": arguments}


def _is_number(value: Any) -> bool:
    """Whether ``value`` is a finite number a float can hold (a boolean is not one)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer past the largest float
        return False


def _entry(key: str, value: Any, source: str) -> Entry:
    """The `Entry` a search-space value stands for: a distribution (one-key mapping) or a value.

    Raises:
        CommandError: an unknown distribution, or arguments that do not fit it (one line).
    """

    def refuse(problem: str) -> CommandError:
        return CommandError(f"{source}: {key}: {problem}")

    if not isinstance(value, Mapping):
        return Entry(key, FIXED, value)
    if len(value) != 1:
        raise refuse(
            f"a distribution is one of {', '.join(DISTRIBUTIONS)} with its arguments"
            f" ({{loguniform: [1.0e-4, 3.0e-3]}}), got {excerpt(value)}"
        )
    kind, arguments = next(iter(value.items()))
    if kind not in DISTRIBUTIONS:
        raise refuse(f"unknown distribution {excerpt(kind)}; known: {', '.join(DISTRIBUTIONS)}")
    if not isinstance(arguments, list):
        raise refuse(f"{kind} takes a list, got {excerpt(arguments)}")
    if kind == "choice":
        if not 1 <= len(arguments) <= MAX_CHOICES:
            raise refuse(f"choice takes 1 to {MAX_CHOICES} values, got {len(arguments)}")
        return Entry(key, kind, tuple(arguments))
    if len(arguments) != 2 or not all(_is_number(bound) for bound in arguments):
        text = " (YAML reads 1e-4 as text: write 1.0e-4)" * any(
            isinstance(a, str) for a in arguments
        )
        raise refuse(f"{kind} takes two numbers [low, high], got {excerpt(arguments)}{text}")
    low, high = arguments
    if kind == "randint" and not all(isinstance(bound, int) for bound in arguments):
        raise refuse(f"randint takes two integers [low, high] (high excluded), got [{low}, {high}]")
    if not low < high:
        raise refuse(f"{kind} needs low < high, got [{low}, {high}]")
    if kind == "loguniform" and low <= 0:
        raise refuse(f"loguniform needs low > 0, got {low}")
    return Entry(key, kind, (low, high))


def parse_space(data: Any, source: str) -> dict[str, Entry]:
    """A search space from a parsed YAML file: its entries by argument (see the module doc).

    A ``policy_kwargs`` mapping that is no distribution is read as ``policy_kwargs.NAME``
    entries. The values are not checked against the algorithm here: see `check_space`.

    Raises:
        CommandError: not a mapping, a bad key or distribution (one line naming ``source``).
    """
    if not isinstance(data, Mapping) or not data:
        raise CommandError(
            f"{source}: expected a mapping of algorithm arguments to distributions"
            " (learning_rate: {loguniform: [1.0e-4, 3.0e-3]}, ...)"
        )
    flat: dict[str, Any] = {}
    for key, value in data.items():
        nested = (
            key == POLICY_KWARGS
            and isinstance(value, Mapping)
            and not (len(value) == 1 and next(iter(value)) in DISTRIBUTIONS)
        )
        items = value.items() if nested else [(None, value)]
        for name, item in items:
            if not isinstance(key, str) or (nested and not isinstance(name, str)):
                raise CommandError(f"{source}: {excerpt(key)}: an argument is named by text")
            full = key if name is None else f"{POLICY_KWARGS}.{name}"
            outer, dot, inner = full.partition(".")
            if dot and (outer != POLICY_KWARGS or not inner or "." in inner):
                raise CommandError(
                    f"{source}: {excerpt(full)}: only a policy argument has a dot"
                    f" ({POLICY_KWARGS}.NAME)"
                )
            if full in flat:
                raise CommandError(f"{source}: {excerpt(full)}: given twice")
            flat[full] = item
    if len(flat) > MAX_ENTRIES:
        raise CommandError(f"{source}: {len(flat)} arguments; at most {MAX_ENTRIES}")
    if POLICY_KWARGS in flat and any(key.startswith(f"{POLICY_KWARGS}.") for key in flat):
        raise CommandError(
            f"{source}: {POLICY_KWARGS}: given whole and by name ({POLICY_KWARGS}.NAME); give one"
        )
    space = {key: _entry(key, value, source) for key, value in flat.items()}
    if all(entry.kind == FIXED for entry in space.values()):
        raise CommandError(
            f"{source}: no argument has a distribution ({', '.join(DISTRIBUTIONS)}): nothing to"
            " search"
        )
    return space


def algo_kwargs(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Algorithm arguments from search-space settings: ``policy_kwargs.NAME`` entries nested.

    >>> algo_kwargs({"learning_rate": 0.001, "policy_kwargs.net_arch": [64]})
    {'learning_rate': 0.001, 'policy_kwargs': {'net_arch': [64]}}
    """
    kwargs: dict[str, Any] = {}
    for key, value in settings.items():
        outer, dot, inner = key.partition(".")
        if dot:
            kwargs.setdefault(outer, {})[inner] = value
        else:
            kwargs[key] = value
    return kwargs


def plain(value: Any) -> Any:
    """A value drawn by Ray Tune as plain Python (numpy numbers and arrays, tuples become lists).

    >>> import numpy as np
    >>> plain({"n": np.int64(3), "arch": (np.int64(64), 64)})
    {'n': 3, 'arch': [64, 64]}
    """
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if hasattr(value, "tolist"):  # numpy numbers and arrays
        return plain(value.tolist())
    return value


def fixed_settings(space: Mapping[str, Entry]) -> dict[str, Any]:
    """The settings every trial gets (the space's plain values)."""
    return {key: entry.arguments for key, entry in space.items() if entry.kind == FIXED}


def check_space(space: Mapping[str, Entry], base: TrainConfig, source: str) -> None:
    """Check every value the space can give as a config file's would be, with the fixed ones.

    Each entry's `Entry.extremes` go through `TrainConfig` (`check_algo_kwargs`: an argument
    the algorithm or its policy does not take, a value of the wrong kind or out of range).

    Raises:
        CommandError: one line naming ``source``, the key and the problem.
    """
    from dialogym.agents.builders import get_algorithm, policy_arguments

    fixed = fixed_settings(space)
    for entry in space.values():
        for value in entry.extremes():
            try:
                dataclasses.replace(base, algo_kwargs=algo_kwargs({**fixed, entry.key: value}))
            except ValueError as error:
                problem = str(error).removeprefix("algo_kwargs: ")
                policy = policy_arguments(get_algorithm(base.algo)) or frozenset()
                if "takes no argument" in problem and entry.key in policy:
                    problem = f"an argument of the policy: write {POLICY_KWARGS}.{entry.key}"
                if "must be an integer" in problem and entry.kind in ("uniform", "loguniform"):
                    problem += f" ({entry.kind} draws real numbers: use randint or choice)"
                raise CommandError(f"{source}: {entry.key}: {problem}") from None


def read_space(path: str | None, algo: str, base: TrainConfig) -> dict[str, Entry]:
    """The checked search space of ``--space`` (default: the algorithm's sample space).

    Raises:
        CommandError: no file given and no sample for ``algo``, or a bad file (one line).
    """
    if path is None:
        if algo not in SAMPLE_SPACES:
            raise CommandError(
                f"--space: {algo} has no sample search space; give one (see dialogym sweep --help)"
            )
        with resources.as_file(resources.files("dialogym") / "data" / SAMPLE_SPACES[algo]) as file:
            return read_space(str(file), algo, base)
    try:
        data = read_yaml(Path(path), "search space")
    except ValueError as error:
        raise CommandError(f"--space: {error}") from None
    space = parse_space(data, path)
    check_space(space, base, path)
    return space


@dataclass(frozen=True)
class Sweep:
    """What every trial of a sweep shares (handed to each, on whatever node runs it).

    Attributes:
        tasks: One config per task: the env and its arguments, the budgets, the seed, and the
            space's fixed settings as ``algo_kwargs``.
        labels: Each task's name (``env3``, ``env3-restaurant``), its run folder in a trial's.
        fixed: The space's fixed settings (`fixed_settings`).
        folder: Where the trials' run folders go (absolute).
        cwd: The folder relative paths mean (this process's), where a node has it.
    """

    tasks: tuple[TrainConfig, ...]
    labels: tuple[str, ...]
    fixed: Mapping[str, Any]
    folder: str
    cwd: str

    def configs(self, settings: Mapping[str, Any]) -> list[TrainConfig]:
        """Each task's config for a trial given ``settings`` (the drawn ones)."""
        kwargs = algo_kwargs({**self.fixed, **plain(settings)})
        return [dataclasses.replace(task, algo_kwargs=kwargs) for task in self.tasks]

    def run_dirs(self, trial: str) -> list[Path]:
        """Each task's run folder in a trial's (the trial's own, when there is one task)."""
        folder = Path(self.folder) / trial
        return [folder] if len(self.tasks) == 1 else [folder / label for label in self.labels]


class _Stop(BaseException):
    """Raised in a task's thread at its turn: the trial is over, its run ends there."""


def mean_figures(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Tasks' figures as one: their mean, after the fewest training dialogues among them."""
    return {
        "dialogues": min(int(record["dialogues"]) for record in records),
        **{key: statistics.fmean(float(record[key]) for record in records) for key in FIGURES},
    }


def run_task(config: TrainConfig, run_dir: Path, on_evaluation: Any) -> dict[str, Any]:
    """Train one task of a trial, or go on with it: a restored trial continues its checkpoint.

    A run that had finished (``metrics.json``) is not trained again: its metrics are returned.
    """
    if (run_dir / "metrics.json").is_file():
        return read_run_json(run_dir / "metrics.json", MAX_RUN_JSON)  # type: ignore[no-any-return]
    resume = (run_dir / "checkpoint.json").is_file() and (run_dir / "checkpoint.zip").is_file()
    return train(config, run_dir, resume=resume, progress=False, on_evaluation=on_evaluation)


class Lockstep:
    """A trial's tasks, trained in turns: each up to its next periodic evaluation, then the next.

    Each task's `train` runs in a thread of its own, but only one works at a time: the tasks
    share torch's and numpy's global random generators, so taking turns in a fixed order keeps
    a trial the same however its threads are scheduled. `rounds` gives the tasks' figures
    after each round of evaluations, and last after their final tests. Leaving the block ends
    every run still going (at its next turn) and waits for its thread.
    """

    def __init__(self, configs: Sequence[TrainConfig], run_dirs: Sequence[Path]) -> None:
        self.configs = list(configs)
        self.run_dirs = list(run_dirs)
        self.turns = [threading.Semaphore(0) for _ in self.configs]
        self.handed: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.stopping = False
        self.threads = [
            threading.Thread(target=self._work, args=(index,), daemon=True)
            for index in range(len(self.configs))
        ]

    def __enter__(self) -> Lockstep:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stopping = True
        for turn in self.turns:
            turn.release()
        for thread in self.threads:
            thread.join()

    def _work(self, index: int) -> None:
        """A task's thread: train when its turn comes; hand over each evaluation, and the end."""
        self.turns[index].acquire()
        if self.stopping:
            return
        try:
            metrics = run_task(
                self.configs[index], self.run_dirs[index], lambda r: self._pause(index, r)
            )
        except _Stop:
            return
        except BaseException as error:  # noqa: BLE001  (raised again in the trial's thread)
            self.handed.put(("error", error))
            return
        self.handed.put(("final", metrics))

    def _pause(self, index: int, record: dict[str, Any]) -> None:
        """Hand over a periodic evaluation and wait for the next turn (`train`'s hook)."""
        if record["dialogues"] >= (self.configs[index].budget_dialogues or 0):
            return  # the budget is spent: the final test follows, and is reported instead
        self.handed.put(("evaluation", record))
        self.turns[index].acquire()
        if self.stopping:
            raise _Stop

    def _turn(self, index: int) -> tuple[str, dict[str, Any]]:
        """Let task ``index`` work until it hands something over; a task's error is raised."""
        self.turns[index].release()
        kind, handed = self.handed.get()
        if kind == "error":
            raise handed
        return kind, handed

    def rounds(self) -> Iterator[tuple[dict[str, Any], bool]]:
        """The mean figures after each round of evaluations (False), then of final tests (True)."""
        latest: list[dict[str, Any] | None] = [None] * len(self.configs)
        finals: list[dict[str, Any] | None] = [None] * len(self.configs)
        while True:
            for index, final in enumerate(finals):
                if final is None:
                    kind, figures = self._turn(index)
                    (finals if kind == "final" else latest)[index] = figures
            if all(final is not None for final in finals):
                yield mean_figures(finals), True  # type: ignore[arg-type]
                return
            if all(record is not None for record in latest):
                yield mean_figures(latest), False  # type: ignore[arg-type]


def run_trial(settings: dict[str, Any], sweep: Sweep) -> None:
    """One trial, as Ray Tune runs it (a function trainable): train, report, be stopped.

    Each task trains in ``sweep.folder/TRIAL`` (`Sweep.run_dirs`); after each round of periodic
    evaluations the mean figures go to Tune (``final`` False), whose scheduler may end the trial
    there; after the final tests, their mean (``final`` True). A trial whose training raises
    (a setting that makes it diverge) reports its error (``error``, and no figures for the
    scheduler) and ends: the same settings would fail again, so Tune does not retry it, as it
    does a trial whose worker or node died. Its traceback goes to ``TRIAL/error.txt``.
    """
    from ray import tune

    if os.path.isdir(sweep.cwd):  # relative paths (a domain file, a model) mean what they did
        os.chdir(sweep.cwd)
    trial = tune.get_context().get_trial_id()
    try:
        with Lockstep(sweep.configs(settings), sweep.run_dirs(trial)) as lockstep:
            for figures, final in lockstep.rounds():
                tune.report({**figures, "final": final})
    except Exception as error:  # noqa: BLE001  (reported; a stopped trial's SystemExit is not one)
        trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        write_atomically(Path(sweep.folder) / trial / "error.txt", trace)
        lines = str(error).strip().splitlines()
        message = f"{type(error).__name__}: {lines[0] if lines else ''}"
        if isinstance(error, CommandError):
            message = lines[0] if lines else type(error).__name__
        tune.report({METRIC: math.nan, "error": message[:300]})


def trial_state(result: Mapping[str, Any]) -> str:
    """How a trial ended, from its last report: finished, stopped (by ASHA) or failed."""
    if "error" in result:
        return "failed"
    return "finished" if result.get("final") else "stopped"


class Monitor:
    """The sweep's progress on the terminal: a bar of training dialogues, a line per trial's end.

    The bar's total shrinks when a trial stops early (the dialogues it will not train), so its
    time left is the sweep's.
    """

    def __init__(self, trials: int, budget: int, progress: bool) -> None:
        self.budget = budget
        self.bar = tqdm(
            total=trials * budget, unit="dlg", desc="sweep", disable=not progress, file=sys.stderr
        )
        self.last: dict[str, dict[str, Any]] = {}
        self.trained: Counter[str] = Counter()
        self.running: set[str] = set()
        self.ended: Counter[str] = Counter()

    def _show(self) -> None:
        self.bar.set_postfix_str(
            f"{len(self.running)} running, {self.ended['finished']} finished,"
            f" {self.ended['stopped']} stopped, {self.ended['failed']} failed",
            refresh=True,
        )

    def started(self, trial: str) -> None:
        """A trial started (or was restored)."""
        self.running.add(trial)
        self._show()

    def reported(self, trial: str, result: Mapping[str, Any]) -> None:
        """A trial reported figures (or its error)."""
        self.last[trial] = dict(result)
        trained = min(int(result.get("dialogues", 0)), self.budget)
        if trained > self.trained[trial]:
            self.bar.update(trained - self.trained[trial])
            self.trained[trial] = trained

    def ended_as(self, trial: str, failed: bool) -> None:
        """A trial ended (``failed``: Tune gave up on it after its retries)."""
        self.running.discard(trial)
        last = self.last.get(trial, {})
        state = "failed" if failed else trial_state(last)
        dialogues = self.trained[trial]
        line = {
            "failed": f"trial {trial} failed after {dialogues} dialogues: {last.get('error', '')}",
            "finished": f"trial {trial} finished: return {last.get(METRIC, math.nan):.2f}"
            " on test dialogues",
            "stopped": f"trial {trial} stopped by ASHA after {dialogues} dialogues (return"
            f" {last.get(METRIC, math.nan):.2f})",
        }[state]
        if state != "finished":
            self.bar.total -= self.budget - dialogues
        self.ended[state] += 1
        print_above_bars(line.rstrip(": "))
        self._show()

    def close(self) -> None:
        """Close the bar."""
        self.bar.close()


_monitor: Monitor | None = None
"""The progress of the sweep this process runs, which `_events`'s callback feeds."""


def _event(name: str, trial: str, *details: Any) -> None:
    """Hand one of Tune's trial events to `_monitor`, if a sweep runs here."""
    if _monitor is not None:
        getattr(_monitor, name)(trial, *details)


def _events() -> Any:
    """A Ray Tune callback that hands trial events to this process's `Monitor`.

    Tune keeps the callback with its experiment (``Tuner.restore`` brings back that copy), so
    it holds nothing itself and finds the monitor of the sweep running now (`_monitor`).
    """
    from ray import tune

    class Events(tune.Callback):  # type: ignore[misc]
        def on_trial_start(self, iteration: int, trials: Any, trial: Any, **info: Any) -> None:
            _event("started", trial.trial_id)

        def on_trial_result(
            self, iteration: int, trials: Any, trial: Any, result: Any, **info: Any
        ) -> None:
            _event("reported", trial.trial_id, result)

        def on_trial_complete(self, iteration: int, trials: Any, trial: Any, **info: Any) -> None:
            _event("ended_as", trial.trial_id, False)

        def on_trial_error(self, iteration: int, trials: Any, trial: Any, **info: Any) -> None:
            _event("ended_as", trial.trial_id, True)

    return Events()


@contextmanager
def monitoring(monitor: Monitor) -> Iterator[None]:
    """Let Tune's events reach ``monitor`` while the block runs."""
    global _monitor
    _monitor = monitor
    try:
        yield
    finally:
        _monitor = None
        monitor.close()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``dialogym sweep``."""
    parser = argparse.ArgumentParser(
        prog="dialogym sweep",
        formatter_class=HelpFormatter,
        description="Search an algorithm's hyperparameters with Ray Tune (ASHA stops poor"
        " trials early); write the best configuration as a dialogym train --config file.",
    )
    parser.add_argument(
        "--env", action="append", default=[], metavar="ID",
        help="task environment, repeatable: the objective is the mean over tasks (default dialogym/PyDialEnv1-v0)",
    )  # fmt: skip
    parser.add_argument(
        "--env-kwarg", action="append", default=[], metavar="KEY=VALUE",
        help="argument of every task's env (domain=restaurant, ser=0.15, ...); repeatable",
    )  # fmt: skip
    parser.add_argument(
        "--domain", action="append", default=[], metavar="NAME|PATH",
        help="run every --env in this domain too, each a task; repeatable (default: the env's, or --env-kwarg domain=)",
    )  # fmt: skip
    parser.add_argument("--algo", default="structured_ppo", help=ALGORITHM_NAMES)
    parser.add_argument(
        "--space", metavar="FILE.yaml",
        help="search space: algorithm argument to distribution (default: the algorithm's sample,"
        f" for {', '.join(SAMPLE_SPACES)})",
    )  # fmt: skip
    parser.add_argument("--trials", type=int, default=16, help="trials drawn from the space")
    parser.add_argument("--dialogues", type=int, default=2000, help="training budget per trial")
    parser.add_argument(
        "--eval-every", type=int, default=500,
        help="training dialogues between tests (where ASHA may stop a trial)",
    )  # fmt: skip
    parser.add_argument(
        "--eval-episodes", type=int, default=200, help="test dialogues after each --eval-every"
    )
    parser.add_argument(
        "--episodes", type=int, default=500,
        help="test dialogues at the end of a trial (the objective: their mean return)",
    )  # fmt: skip
    parser.add_argument(
        "--seed",
        type=non_negative_int,
        default=0,
        help="seed of every trial (trials differ in their settings only)",
    )
    parser.add_argument("--out", default="runs/sweep", help="output folder")
    parser.add_argument(
        "--ray", nargs="?", const=LOCAL, default=LOCAL, metavar="ADDRESS",
        help="where the trials run, one CPU each: a Ray instance on this machine (default), or"
        " the cluster at ADDRESS (auto: RAY_ADDRESS or this machine's)",
    )  # fmt: skip
    parser.add_argument(
        "--resume", action="store_true",
        help="go on with the interrupted sweep in --out (the same command and --resume, with"
        " --trust-resume)",
    )  # fmt: skip
    parser.add_argument(
        "--trust-resume", action="store_true",
        help="needed by --resume: Ray Tune restores a sweep by unpickling its state in"
        " --out/tune, which runs code from the folder, so only for a sweep you ran yourself",
    )  # fmt: skip
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def tasks_of(args: argparse.Namespace) -> list[tuple[str, dict[str, Any], str]]:
    """The tasks: each ``--env`` in each ``--domain``, as (env id, env arguments, label).

    Raises:
        CommandError: ``--domain`` beside ``--env-kwarg domain=``, or a task given twice (one
            line; `prepare` checks that each env can be made).
    """
    kwargs = parse_env_kwargs(args.env_kwarg)
    envs = list(args.env) or [TrainConfig.env]
    if args.domain and "domain" in kwargs:
        raise CommandError("--domain, --env-kwarg domain=: give the domains one way")
    labels = domain_labels(args.domain)
    tasks = [
        (env, {**kwargs, "domain": domain}, f"{task_label(env)}-{labels[domain]}")
        for env in envs
        for domain in args.domain
    ] or [(env, kwargs, task_label(env)) for env in envs]
    names = [label for *_, label in tasks]
    if len(set(names)) < len(names):
        raise CommandError(f"--env, --domain: a task is given twice ({', '.join(names)})")
    return tasks


def prepare(args: argparse.Namespace) -> tuple[Sweep, dict[str, Entry], dict[str, Any]]:
    """Everything checked before Ray starts: the sweep, its search space, and its settings.

    Raises:
        CommandError: a bad flag, task or search space (one line).
    """
    for name in ("trials", "dialogues", "eval_every", "eval_episodes", "episodes"):
        if getattr(args, name) < 1:
            raise CommandError(f"--{name.replace('_', '-')}: must be >= 1")
    if args.eval_every > args.dialogues:
        raise CommandError("--eval-every: must be at most --dialogues (ASHA compares trials there)")
    tasks = tasks_of(args)
    try:
        bases = [
            TrainConfig(
                env=env,
                env_kwargs=portable_env_kwargs(env_kwargs),
                algo=args.algo,
                dialogues=args.dialogues,
                seed=args.seed,
                eval_every=args.eval_every,
                eval_episodes=args.eval_episodes,
                test_episodes=args.episodes,
            )
            for env, env_kwargs, _ in tasks
        ]
    except ValueError as error:
        first = str(error).splitlines()[0]
        raise CommandError("--" + first.replace("env_kwargs:", "env-kwarg:", 1)) from None
    for base in bases:  # a bad env or argument, with the algorithm's own: one line, now
        make_env(base.env, base.env_arguments).close()
    space = read_space(args.space, args.algo, bases[0])
    fixed = fixed_settings(space)
    sweep = Sweep(
        tasks=tuple(dataclasses.replace(base, algo_kwargs=algo_kwargs(fixed)) for base in bases),
        labels=tuple(label for *_, label in tasks),
        fixed=fixed,
        folder=str(Path(args.out).resolve() / TRIALS_DIR),
        cwd=os.getcwd(),
    )
    settings = {
        "algo": args.algo,
        "tasks": [{"env": base.env, "env_kwargs": dict(base.env_kwargs)} for base in bases],
        "space": {key: entry.to_data() for key, entry in space.items()},
        **{name: getattr(args, name) for name in SETTINGS},
    }
    return sweep, space, json.loads(json.dumps(settings, default=str))


def check_out(out: Path, resume: bool, settings: dict[str, Any], trusted: bool) -> None:
    """Refuse a fresh sweep where one is, or a resumed one that is not there or was another.

    A sweep is there when Ray Tune can restore its experiment (``tune/``). Restoring it
    unpickles Ray Tune's state, which runs code from the folder: ``--resume`` is refused unless
    the user says the folder is theirs (``trusted``, ``--trust-resume``).

    Raises:
        CommandError: one line saying what to do instead.
    """
    there = _quiet_tune().Tuner.can_restore(str(out.resolve() / TUNE_DIR))
    if not resume:
        if there:
            raise CommandError(
                f"--out: {out} holds a sweep; go on with it with the same command and --resume"
                " --trust-resume,"
                " or choose another --out"
            )
        return
    if not trusted:
        raise CommandError(
            f"--resume: Ray Tune restores a sweep by unpickling its state in {out / TUNE_DIR},"
            " which runs code from the folder; add --trust-resume if you ran this sweep yourself"
        )
    saved_file = out / SWEEP_FILE
    if not there or not saved_file.is_file():
        raise CommandError(f"--resume: {out} holds no sweep to go on with")
    try:
        saved = read_run_json(saved_file, MAX_RUN_JSON)
    except (OSError, ValueError) as error:
        raise CommandError(f"--resume: {saved_file}: unreadable ({error})") from None
    if not isinstance(saved, dict):
        raise CommandError(f"--resume: {saved_file}: not a sweep's settings")
    differ = [key for key in settings if saved.get(key) != settings[key]]
    if differ:
        raise CommandError(
            f"--resume: {out} was started with other settings ({', '.join(differ)} differ);"
            " resume with the command that started it"
        )


def _quiet_tune() -> Any:
    """``ray.tune``, imported with its own console output off (dialogym shows the progress)."""
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")  # result files: ours
    from ray import tune

    return tune


def search(args: argparse.Namespace, out: Path, sweep: Sweep, space: Mapping[str, Entry]) -> Any:
    """Run (or restore and go on with) the trials with Ray Tune; its `ResultGrid`.

    Raises:
        Interrupted: Ctrl-C stopped the sweep before every trial ended.
    """
    tune = _quiet_tune()
    trainable = tune.with_resources(tune.with_parameters(run_trial, sweep=sweep), {"cpu": 1})
    experiment = str(out.resolve() / TUNE_DIR)
    if args.resume:
        tuner = tune.Tuner.restore(experiment, trainable, resume_errored=True)
    else:
        scheduler = tune.schedulers.ASHAScheduler(
            time_attr="dialogues", grace_period=args.eval_every, max_t=args.dialogues
        )
        tuner = tune.Tuner(
            trainable,
            param_space={
                key: entry.tune_domain(tune) for key, entry in space.items() if entry.kind != FIXED
            },
            tune_config=tune.TuneConfig(
                metric=METRIC,
                mode="max",
                num_samples=args.trials,
                scheduler=scheduler,
                search_alg=tune.search.BasicVariantGenerator(random_state=args.seed),
                reuse_actors=True,  # torch, SB3 and the envs load once per worker
            ),
            run_config=tune.RunConfig(
                name=TUNE_DIR,
                storage_path=str(out.resolve()),
                verbose=0,
                callbacks=[_events()],
                failure_config=tune.FailureConfig(max_failures=RETRIES),
            ),
        )
    with monitoring(Monitor(args.trials, args.dialogues, not args.no_progress)):
        grid = tuner.fit()
    # Ctrl-C: Tune ends every trial here, but saves the unfinished ones as such, for restore.
    saved = tune.ExperimentAnalysis(experiment).trials
    if any(trial.status not in ("TERMINATED", "ERROR") for trial in saved):
        raise Interrupted(
            f"the sweep's state is kept in {out}: go on with the same command and --resume"
            " --trust-resume"
        )
    return grid


def trial_rows(grid: Any, out: Path, sweep: Sweep, keys: Sequence[str]) -> list[dict[str, Any]]:
    """One row per trial of Tune's results: its settings, last report, state and run folder."""
    rows = []
    for result in grid:
        metrics = result.metrics or {}
        settings = plain(result.config or {})
        if result.error is not None:  # Tune gave up: its worker died, again and again
            cause = getattr(result.error, "cause", None) or result.error
            lines = str(cause).strip().splitlines() or [type(cause).__name__]
            state, note = "failed", lines[-1][:300]
        else:
            state, note = trial_state(metrics), metrics.get("error", "")
        trial = metrics.get("trial_id") or Path(result.path).name
        rows.append(
            {
                "trial": trial,
                **{key: settings.get(key) for key in keys},
                "dialogues": metrics.get("dialogues"),
                **{key: None if state == "failed" else metrics.get(key) for key in FIGURES},
                "state": state,
                "error": note,
                "run": str(Path(sweep.folder).relative_to(out.resolve()) / trial),
                "node": metrics.get("node_ip"),
            }
        )
    return sorted(rows, key=lambda row: row["trial"])


def best_row(rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The finished trial of the highest final mean return (the first of equals), or None."""
    finished = [row for row in rows if row["state"] == "finished"]
    return max(finished, key=lambda row: row[METRIC]) if finished else None


def _cell(value: Any) -> str:
    """A table cell: numbers to 4 significant digits, nothing as ``–``."""
    if value is None or value == "":
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def markdown(rows: Sequence[dict[str, Any]], keys: Sequence[str], best: str | None) -> str:
    """The trials as a Markdown table, the best marked ``*``."""
    columns = ["trial", *keys, "dialogues", "success", "return", "turns", "state"]
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    for row in rows:
        state = row["state"] + (f": {row['error']}" if row["error"] else "")
        mark = " *" if row["trial"] == best else ""
        cells = [
            row["trial"] + mark, *(row[key] for key in keys), row["dialogues"],
            row["success_rate"], row[METRIC], row["avg_turns"], state,
        ]  # fmt: skip
        lines.append("| " + " | ".join(_cell(cell).replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def curves(rows: Sequence[dict[str, Any]], sweep: Sweep) -> dict[str, list[Any]]:
    """Each trial's periodic evaluations (the mean over its tasks), by label, for `learning_curves`."""
    found: dict[str, list[Any]] = {}
    for row in rows:
        runs = []
        for run_dir in sweep.run_dirs(row["trial"]):
            try:
                runs.append(read_run_json(run_dir / "evaluations.json", MAX_RUN_JSON))
            except (OSError, ValueError):
                runs.append([])
        length = min(len(run) for run in runs) if runs else 0
        if length:
            label = f"{row['trial']} ({row['state']})"
            found[label] = [[mean_figures([run[i] for run in runs]) for i in range(length)]]
    return found


def write_outputs(
    out: Path, rows: list[dict[str, Any]], keys: Sequence[str], sweep: Sweep
) -> tuple[str, Path | None]:
    """``trials.csv``, ``trials.md``, ``sweep.png`` and ``best.yaml``; the table and best.yaml.

    Raises:
        CommandError: best.yaml does not read back as ``dialogym train --config`` reads it.
    """
    best = best_row(rows)
    table = markdown(rows, keys, best["trial"] if best else None)
    text = io.StringIO()
    writer = csv.DictWriter(
        text, fieldnames=list(rows[0]) if rows else ["trial"], lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(
        {
            key: spreadsheet_safe(json.dumps(v) if isinstance(v, list | dict) else v)
            for key, v in row.items()
        }
        for row in rows
    )
    write_atomically(out / "trials.csv", text.getvalue())
    summary = (
        f"Best: trial {best['trial']} (*), mean return {best[METRIC]:.2f} on test dialogues."
        if best
        else "No trial finished."
    )
    write_atomically(out / "trials.md", f"{table}\n\n{summary}\n")
    found = curves(rows, sweep)
    if found:
        tasks = sweep.labels[0] if len(sweep.labels) == 1 else f"{len(sweep.labels)} tasks (mean)"
        title = f"{sweep.tasks[0].algo} sweep on {tasks}: periodic tests"
        write_atomically(out / "sweep.png", learning_curves(found, title))
    if best is None:
        return f"{table}\n\n{summary}", None
    config = sweep.configs({key: best[key] for key in keys})[0]
    path = out / "best.yaml"
    write_atomically(path, config.to_yaml())
    # As `dialogym train --config best.yaml` reads it, given the models the sweep was given.
    named = frozenset(value for value in config.env_kwargs.values() if isinstance(value, str))
    try:
        loaded = TrainConfig.load(path, named)
    except ValueError as error:
        raise CommandError(f"{path}: dialogym train --config refuses it: {error}") from None
    if loaded != config:
        raise CommandError(f"{path}: reads back as another configuration than the best trial's")
    return f"{table}\n\n{summary}", path


def node_shares(rows: Sequence[dict[str, Any]]) -> str:
    """One line: how many trials each Ray node ran."""
    nodes = Counter(row["node"] for row in rows if row["node"])
    total = sum(nodes.values()) or 1
    shares = ", ".join(
        f"{node}: {count} ({count / total:.0%})" for node, count in nodes.most_common()
    )
    return f"Ray: {len(nodes)} node(s) ran the trials: {shares or 'none reported'}"


def run(args: argparse.Namespace) -> int:
    """Sweep as the parsed arguments say; print the trials, the best config and the nodes."""
    sweep, space, settings = prepare(args)
    ray = import_ray("--ray")  # no Ray: one line, before anything is written
    out = Path(args.out)
    check_out(out, args.resume, settings, args.trust_resume)
    claim_run_folder(out, "--out", ours={SWEEP_FILE: frozenset({"algo", "tasks", "space"})})
    started = not ray.is_initialized()
    with run_lock(out):
        connect(args.ray, "--ray")
        try:
            if not args.resume:
                write_json(out / SWEEP_FILE, settings)
            grid = search(args, out, sweep, space)
        finally:
            if started:
                ray.shutdown()
        keys = [key for key, entry in space.items() if entry.kind != FIXED]
        rows = trial_rows(grid, out, sweep, keys)
        table, best = write_outputs(out, rows, keys, sweep)
    print(table)
    print(node_shares(rows))
    if best is None:
        raise CommandError(f"no trial finished; see {out / 'trials.md'}")
    print(f"best configuration: {best} (dialogym train --config {best} --out RUN)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``dialogym sweep``."""
    return run_command("sweep", run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
