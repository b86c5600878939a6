"""How fast the default learners learn PyDialEnv1 on the built-in restaurant domain.

For each ``--algo`` (default: the structured policy, ``structured_ppo``, and the flat MLP,
``maskable_ppo``), trains with dialogym's defaults and evaluates every ``--eval-every``
dialogues on 500 test dialogues; stops at the first evaluation with success >= 97% and prints
the training dialogues and the wall time it took (training time alone, and with the
evaluations), and the training throughput (environment steps per second of training, learning
included). Target: <= 60 s on 2 CPU cores.

    .venv/bin/python benchmarks/train_speed.py [--seed 0] [--eval-every 250] [--algo NAME ...]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

from dialogym.agents import TrainConfig
from dialogym.train import train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--target", type=float, default=0.97)
    parser.add_argument("--max-dialogues", type=int, default=20_000)
    parser.add_argument(
        "--algo", action="append", help="repeatable (default: structured_ppo, maskable_ppo)"
    )
    args = parser.parse_args()
    for algo in args.algo or ["structured_ppo", "maskable_ppo"]:
        print(f"\n## {algo}\n")
        measure(algo, args)


def measure(algo: str, args: argparse.Namespace) -> None:
    """Train ``algo`` to the target and print its evaluations, time and throughput."""
    config = TrainConfig(
        env="dialogym/PyDialEnv1-v0",
        env_kwargs={"domain": "restaurant"},
        algo=algo,
        dialogues=args.max_dialogues,
        seed=args.seed,
        eval_every=args.eval_every,
        eval_episodes=500,
        test_episodes=500,
        target_success=args.target,
    )
    with tempfile.TemporaryDirectory() as run_dir:
        began = time.perf_counter()
        metrics = train(config, run_dir, progress=False)
        wall = time.perf_counter() - began
        with open(f"{run_dir}/evaluations.json", encoding="utf-8") as stream:
            evaluations = json.load(stream)
    reached = [e for e in evaluations if e["success_rate"] >= args.target]
    last = evaluations[-1]
    throughput = last["timesteps"] / max(last["train_seconds"], 1e-9)
    print("| dialogues | steps | success (500 dialogues) | train time (s) |")
    print("| ---: | ---: | ---: | ---: |")
    for e in evaluations:
        print(
            f"| {e['dialogues']} | {e['timesteps']} | {e['success_rate']:.3f} | {e['train_seconds']:.1f} |"
        )
    if reached:
        first = reached[0]
        print(
            f"\nreached {first['success_rate']:.1%} >= {args.target:.0%} after {first['dialogues']}"
            f" training dialogues: {first['train_seconds']:.1f} s of training,"
            f" {wall:.1f} s wall time in all (periodic evaluations and final test included);"
            f" final test on 500 fresh dialogues: {metrics['success_rate']:.1%}"
        )
    else:
        print(f"\nnot reached in {metrics['dialogues']} dialogues ({wall:.1f} s)")
    print(f"training throughput: {throughput:,.0f} env steps/s with learning")


if __name__ == "__main__":
    main()
