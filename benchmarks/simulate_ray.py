"""``dialogym simulate`` in one process against ``simulate --ray``: dialogues per second, same file.

Runs the same ``simulate`` command twice, each in a fresh interpreter (so that the time is what a
user waits for, Ray's start included): once in one process, once with ``--ray`` (a Ray
instance started on this machine, or the cluster at ``--ray ADDRESS``). It checks that the two
corpora are the same file (SHA-256) and prints the dialogues per second of each and their ratio.
Exit status 1 when the files differ.

    python benchmarks/simulate_ray.py [--episodes 100000] [--env ID] [--env-kwarg K=V ...]
                                      [--policy P] [--seed S] [--num-envs N] [--ray ADDRESS]
                                      [--dir DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def sha256(path: Path) -> str:
    """The file's SHA-256, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def timed_simulate(arguments: list[str], out: Path) -> tuple[float, str]:
    """Run ``dialogym simulate`` with ``arguments`` writing ``out``; its seconds and its stdout.

    Raises:
        SystemExit: the command failed (its stderr is shown).
    """
    command = [sys.executable, "-m", "dialogym.cli", "simulate", *arguments, "--out", str(out)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return seconds, done.stdout


def main() -> int:
    """Time both runs, compare the files, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--episodes", type=int, default=100_000, help="dialogues in the corpus")
    parser.add_argument("--env", default="dialogym/PyDialEnv3-v0", help="environment id")
    parser.add_argument(
        "--env-kwarg", action="append", default=[], metavar="KEY=VALUE",
        help="environment argument, repeatable (simulate's default: channel=text)",
    )  # fmt: skip
    parser.add_argument("--policy", default="handcrafted", help="simulate's --policy")
    parser.add_argument("--seed", type=int, default=0, help="simulate's --seed")
    parser.add_argument("--num-envs", type=int, default=1, help="simulate's --num-envs")
    parser.add_argument(
        "--ray", default=None, metavar="ADDRESS",
        help="the cluster to join (auto, HOST:PORT; default: a Ray instance started here)",
    )  # fmt: skip
    parser.add_argument(
        "--dir", type=Path, default=None,
        help="where the two corpora are written and kept (default: a temporary folder, removed)",
    )  # fmt: skip
    args = parser.parse_args()
    arguments = [
        "--env", args.env, *(f"--env-kwarg={pair}" for pair in args.env_kwarg),
        "--policy", args.policy, "--episodes", str(args.episodes), "--seed", str(args.seed),
        "--num-envs", str(args.num_envs), "--no-progress", "--force",
    ]  # fmt: skip
    ray = ["--ray"] if args.ray is None else ["--ray", args.ray]
    with tempfile.TemporaryDirectory(prefix="simulate-ray-") as temporary:
        folder = args.dir or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        alone, shards = folder / "one-process.jsonl", folder / "ray.jsonl"
        print(f"simulate {' '.join(arguments)}", flush=True)
        one_seconds, _ = timed_simulate(arguments, alone)
        print(f"  one process: {one_seconds:.1f} s", flush=True)
        ray_seconds, closing = timed_simulate([*arguments, *ray], shards)
        nodes = next((line for line in closing.splitlines() if line.startswith("Ray:")), "")
        print(f"  --ray: {ray_seconds:.1f} s ({nodes})", flush=True)
        same = sha256(alone) == sha256(shards)
    one_rate, ray_rate = args.episodes / one_seconds, args.episodes / ray_seconds
    print(f"one process: {one_rate:,.0f} dialogues/s")
    print(f"--ray:       {ray_rate:,.0f} dialogues/s (Ray's start included)")
    print(f"ratio:       {ray_rate / one_rate:.2f}x")
    print(f"same file:   {'yes' if same else 'NO'} (SHA-256)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
