"""``benchmark --ray`` against ``benchmark --jobs N`` on the same cells: same results, Ray's cost.

Runs the same cells twice into fresh folders (default: the 6 CamRestaurants tasks x
handcrafted, greedy and maskable_ppo x 2 seeds, PyDial's protocol), once with ``--jobs N`` and
once with ``--ray`` (a local Ray instance on this machine's CPUs, its start-up included in the
wall time; give ``--cpus`` this machine's count for a fair comparison),
checks that both ``results.json`` are the same apart from timing fields, and prints both wall
times and Ray's overhead.

    .venv/bin/python benchmarks/ray_benchmark.py [--domain FILE] [--cpus 2] [--seeds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dialogym.benchmark import without_timing

CAMRESTAURANTS = (
    Path(__file__).resolve().parents[1] / "../shared/data/pydial/CamRestaurants-rules.json"
)


def timed_benchmark(arguments: list[str], out: Path, env: dict[str, str]) -> float:
    """Run ``dialogym benchmark`` with ``arguments`` into ``out``; its wall time in seconds."""
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "dialogym.cli", "benchmark", *arguments, "--out", str(out)],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domain", default=str(CAMRESTAURANTS.resolve()))
    parser.add_argument(
        "--policy", action="append", help="default: handcrafted, greedy, maskable_ppo"
    )
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument(
        "--cpus", type=int, default=2, help="--jobs (the local Ray takes every CPU)"
    )
    args = parser.parse_args()
    cells = ["--domain", args.domain, "--seeds", str(args.seeds), "--no-progress"]
    for policy in args.policy or ["handcrafted", "greedy", "maskable_ppo"]:
        cells += ["--policy", policy]
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
    with tempfile.TemporaryDirectory() as scratch:
        jobs = timed_benchmark([*cells, "--jobs", str(args.cpus)], Path(scratch, "jobs"), env)
        print(f"--jobs {args.cpus}: {jobs:.1f} s")
        ray = timed_benchmark([*cells, "--ray"], Path(scratch, "ray"), env)
        print(f"--ray (local, {os.cpu_count()} CPUs, start-up included): {ray:.1f} s")
        results = [
            without_timing(json.loads(Path(scratch, name, "results.json").read_text()))
            for name in ("jobs", "ray")
        ]
    print(f"cells: {len(results[0]['cells'])}; same results: {results[0] == results[1]}")
    print(f"Ray's overhead: {ray / jobs - 1:+.1%} of the --jobs wall time")


if __name__ == "__main__":
    main()
