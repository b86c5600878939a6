"""Compare training settings of a learner on PyDial tasks, on training seeds only.

How the structured policy's configuration was chosen (docs/structured-benchmark/learning-rate.md):
each run trains with the benchmark's budget (4000 dialogues, so a falling learning rate falls as
it does in the benchmark), is tested on 500 periodic-test dialogues (seeded 10000 + seed) every
1000 dialogues, and stops after the test at ``--until`` dialogues; with ``--until 4000`` the
final test (500 dialogues seeded 20000 + seed) is reported too. The seeds default to 100 and up,
never the benchmark's 0-2, and no figure here uses the benchmark's test dialogues.

    PYTHONPATH=. .venv/bin/python benchmarks/training_seeds.py \\
        --task CamRestaurants:env2 --task Laptops11:env6 --seeds 100-111 \\
        --setting '' --setting n_steps=64 --until 1000 --jobs 2

Prints, per setting and task, the mean and worst return at ``--until`` (and the final test's
mean), with each seed's figure.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from dialogym.agents import TrainConfig
from dialogym.train import train

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "pydial"
TASKS = ("env1", "env2", "env3", "env4", "env5", "env6")
BUDGET = 4000
EVERY = 1000


class _Reached(Exception):
    """Raised by the evaluation hook once the run has been tested at ``--until``."""


def run(domain: str, task: str, seed: int, setting: dict[str, Any], until: int) -> list[float]:
    """Returns at each periodic test up to ``until`` (and the final test's, if reached)."""
    returns: list[float] = []

    def tested(record: dict[str, Any]) -> None:
        returns.append(record["avg_return"])
        if record["dialogues"] >= until:
            raise _Reached

    config = TrainConfig(
        env=f"dialogym/PyDialEnv{task[-1]}-v0",
        env_kwargs={"domain": str(SHARED / f"{domain}-rules.json")},
        algo="structured_ppo",
        algo_kwargs=setting,
        dialogues=BUDGET,
        seed=seed,
        eval_every=EVERY,
        eval_episodes=500,
        test_episodes=500,
    )
    with tempfile.TemporaryDirectory() as run_dir:
        try:
            returns.append(
                train(config, run_dir, progress=False, on_evaluation=tested)["avg_return"]
            )
        except _Reached:
            pass
    return returns


def _setting(text: str) -> dict[str, Any]:
    """``K=V,K=V`` (values read as JSON where they parse) as algorithm arguments."""
    setting: dict[str, Any] = {}
    for item in filter(None, text.split(",")):
        key, _, value = item.partition("=")
        try:
            setting[key] = json.loads(value)
        except json.JSONDecodeError:
            setting[key] = value
    return setting


def _task(text: str) -> tuple[str, str]:
    domain, _, task = text.partition(":")
    if task not in TASKS or not (SHARED / f"{domain}-rules.json").is_file():
        raise argparse.ArgumentTypeError(f"--task: DOMAIN:envN with a domain in {SHARED}: {text!r}")
    return domain, task


def _seeds(text: str) -> list[int]:
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", type=_task, action="append", required=True, help="DOMAIN:envN")
    parser.add_argument("--setting", action="append", default=None, help="K=V,... ('' = defaults)")
    parser.add_argument("--seeds", type=_seeds, default=_seeds("100-102"), help="FIRST-LAST")
    parser.add_argument("--until", type=int, choices=(1000, 2000, 3000, 4000), default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    settings = [_setting(text) for text in args.setting or [""]]
    jobs = [
        (domain, task, seed, setting, args.until)
        for setting in settings
        for domain, task in args.task
        for seed in args.seeds
    ]
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(run, *zip(*jobs, strict=True)))
    for setting in settings:
        for domain, task in args.task:
            curves = [
                r
                for job, r in zip(jobs, results, strict=True)
                if job[3] == setting and job[:2] == (domain, task)
            ]
            at = [curve[args.until // EVERY - 1] for curve in curves]
            final = [curve[-1] for curve in curves if len(curve) > BUDGET // EVERY]
            line = f"{json.dumps(setting)} {domain} {task} @{args.until}: mean {statistics.mean(at):.2f}, worst {min(at):.2f}"
            if final:
                line += f"; final test mean {statistics.mean(final):.2f} {final}"
            print(f"{line}; seeds {args.seeds[0]}-{args.seeds[-1]}: {at}")


if __name__ == "__main__":
    main()
