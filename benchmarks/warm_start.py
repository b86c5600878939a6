"""Warm start against training from scratch: MaskablePPO on CamRestaurants env3 (issue 11, part 4).

Writes the teacher corpus with ``dialogym simulate`` (1,000 handcrafted dialogues, seed 100,
semantic channel) unless it exists, then trains MaskablePPO from scratch and warm-started from
the corpus (``dialogym train --warm-start``) for each seed, evaluating every ``--eval-every``
dialogues on ``--eval-episodes`` dialogues. Prints a Markdown table of the training dialogues
each run needed to reach ``--target`` success (first evaluation at or above it, and the first
from which every later evaluation stays there) and draws the success curves. ``--modes`` adds
``warm-policy-only``: cloning the policy alone, the value head left untrained (the ablation of
fitting it to the corpus's returns).

Run folders go under ``--out`` (one per mode and seed); a finished run there is reused, an
interrupted one resumed, so rerunning the command costs only what is missing.

    .venv/bin/python benchmarks/warm_start.py --seeds 5 --out runs/warm-start \\
        --plot docs/warm-start-curves.png
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dialogym import simulate
from dialogym.agents import BehaviourCloning, TrainConfig
from dialogym.cli import make_env, write_atomically
from dialogym.envs.rollout import evaluate
from dialogym.policies import make_policy
from dialogym.train import EVAL_SEED, train

ENV = "dialogym/PyDialEnv3-v0"
MODES: dict[str, tuple[str, BehaviourCloning | None]] = {
    "scratch": ("from scratch", None),
    "warm": ("warm start", BehaviourCloning()),
    "warm-policy-only": ("warm start, value head not fitted", BehaviourCloning(value_weight=0)),
}
"""Each run mode: its label and how it clones the corpus (None: it does not)."""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--domain", default="../shared/data/pydial/CamRestaurants-rules.json",
        help="domain file (PyDial's CamRestaurants rules)",
    )  # fmt: skip
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1")
    parser.add_argument("--dialogues", type=int, default=1500, help="training budget per run")
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--eval-episodes", type=int, default=500)
    parser.add_argument("--target", type=float, default=0.9)
    parser.add_argument("--corpus-episodes", type=int, default=1000)
    parser.add_argument("--corpus-seed", type=int, default=100)
    parser.add_argument("--out", type=Path, default=Path("runs/warm-start"))
    parser.add_argument("--plot", type=Path, help="write the success curves here (PNG)")
    parser.add_argument(
        "--modes", type=lambda text: text.split(","), default=["scratch", "warm"],
        help=f"comma-separated, of {', '.join(MODES)}",
    )  # fmt: skip
    args = parser.parse_args(argv)
    unknown = [mode for mode in args.modes if mode not in MODES]
    if unknown:
        parser.error(f"--modes: unknown {', '.join(unknown)}; choose among {', '.join(MODES)}")
    return args


def teacher_corpus(args: argparse.Namespace, env_kwargs: dict[str, Any]) -> Path:
    """The handcrafted corpus, written with ``dialogym simulate`` if it is not there yet."""
    corpus = args.out / f"handcrafted-{args.corpus_episodes}-s{args.corpus_seed}.jsonl"
    if not corpus.is_file():
        flags = [f"--env-kwarg={key}={value}" for key, value in env_kwargs.items()]
        simulate.main(
            ["--env", ENV, *flags, "--policy", "handcrafted", "--episodes",
             str(args.corpus_episodes), "--seed", str(args.corpus_seed), "--out", str(corpus),
             "--no-progress"]
        )  # fmt: skip
    return corpus


def run_once(
    config: TrainConfig, run_dir: Path, corpus: Path, cloning: BehaviourCloning | None
) -> list[dict[str, Any]]:
    """Train (or reuse, or resume) one run, warm-started as ``cloning`` says; its evaluations."""
    if (run_dir / "config.yaml").is_file():
        saved = TrainConfig.load(run_dir / "config.yaml")
        if saved != config:
            sys.exit(f"{run_dir} holds another run's config; choose another --out")
    if not (run_dir / "metrics.json").is_file():
        resume = (run_dir / "checkpoint.json").is_file()
        train(
            config, run_dir, resume=resume, progress=False,
            warm_start_corpus=None if cloning is None else corpus, warm_start_settings=cloning,
        )  # fmt: skip
    records: list[dict[str, Any]] = json.loads((run_dir / "evaluations.json").read_text())
    return records


def reached(records: list[dict[str, Any]], target: float) -> tuple[int | None, int | None]:
    """Dialogues at the first evaluation at or above ``target``, and from which all later stay."""
    first = next((r["dialogues"] for r in records if r["success_rate"] >= target), None)
    stays = None
    for record in reversed(records):
        if record["success_rate"] < target:
            break
        stays = record["dialogues"]
    return first, stays


def teacher_success(env_kwargs: dict[str, Any], seeds: int, episodes: int) -> float:
    """The handcrafted teacher's mean success on the runs' periodic evaluation dialogues."""
    env = make_env(ENV, env_kwargs)
    policy = make_policy("handcrafted", env.unwrapped)
    rates = [evaluate(env, policy, episodes, EVAL_SEED + seed)[0]["success_rate"]
             for seed in range(seeds)]  # fmt: skip
    return float(np.mean(rates))


def plot(
    curves: dict[str, list[list[dict[str, Any]]]], target: float, teacher: float, title: str
) -> bytes:
    """Success against training dialogues: each seed thin, the mean thick, target and teacher."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7.5, 4.5))
    colours = ("tab:blue", "tab:orange", "tab:green")
    for (mode, runs), colour in zip(curves.items(), colours, strict=False):
        length = min(len(run) for run in runs)
        x = np.array([[r["dialogues"] for r in run[:length]] for run in runs]).mean(axis=0)
        y = np.array([[r["success_rate"] for r in run[:length]] for run in runs])
        for run in runs:
            axis.plot([r["dialogues"] for r in run], [r["success_rate"] for r in run],
                      color=colour, alpha=0.25, linewidth=0.8)  # fmt: skip
        axis.plot(x, y.mean(axis=0), color=colour, linewidth=2,
                  label=f"{MODES[mode][0]}, mean of {len(runs)} seeds")  # fmt: skip
    axis.axhline(target, color="grey", linestyle="--", linewidth=1, label=f"{target:.0%} success")
    axis.axhline(teacher, color="black", linestyle=":", linewidth=1,
                 label=f"handcrafted teacher ({teacher:.1%})")  # fmt: skip
    axis.set_xlabel("RL training dialogues")
    axis.set_ylabel("success rate (500 evaluation dialogues)")
    axis.set_ylim(0.0, 1.02)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8, loc="lower right")
    axis.set_title(title, fontsize=10)
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    return buffer.getvalue()


def main(argv: Sequence[str] | None = None) -> None:
    """Run the comparison, print the table, draw the curves."""
    args = parse_args(argv)
    env_kwargs = {"domain": args.domain, "channel": "semantic"}
    corpus = teacher_corpus(args, env_kwargs)
    curves: dict[str, list[list[dict[str, Any]]]] = {mode: [] for mode in args.modes}
    print(f"| mode | seed | first evaluation ≥ {args.target:.0%} (dialogues) | ≥ {args.target:.0%}"
          " from then on | test success (500) | agreement with teacher | cloning (s) |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for mode in args.modes:
        for seed in range(args.seeds):
            config = TrainConfig(
                env=ENV, env_kwargs=env_kwargs, algo="maskable_ppo", dialogues=args.dialogues,
                seed=seed, eval_every=args.eval_every, eval_episodes=args.eval_episodes,
            )  # fmt: skip
            run_dir = args.out / f"{mode}-s{seed}"
            records = run_once(config, run_dir, corpus, MODES[mode][1])
            curves[mode].append(records)
            first, stays = reached(records, args.target)
            test = json.loads((run_dir / "metrics.json").read_text())["success_rate"]
            cloned = "–", "–"
            if (run_dir / "warm_start.json").is_file():
                report = json.loads((run_dir / "warm_start.json").read_text())
                agree = f"{report['agreement_before']:.3f} → {report['agreement_after']:.3f}"
                cloned = agree, f"{report['seconds']:.1f}"
            print(f"| {MODES[mode][0]} | {seed} | {first if first is not None else 'never'} |"
                  f" {stays if stays is not None else 'never'} | {test:.3f} | {cloned[0]} |"
                  f" {cloned[1]} |")  # fmt: skip
    if args.plot:
        title = (f"MaskablePPO on CamRestaurants env3 (semantic channel), {args.seeds} seeds\n"
                 f"success on {args.eval_episodes} dialogues every {args.eval_every}")  # fmt: skip
        teacher = teacher_success(env_kwargs, args.seeds, args.eval_episodes)
        write_atomically(args.plot, plot(curves, args.target, teacher, title))
        print(f"\ncurves: {args.plot}")


if __name__ == "__main__":
    main()
