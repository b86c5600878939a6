r"""``dialogym evaluate``: play a policy against the simulated user and report how it did.

Example::

    dialogym evaluate --env dialogym/PyDialEnv3-v0 --env-kwarg domain=restaurant \
        --policy handcrafted --episodes 1000 --seed 0 --json results.json
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from tqdm import tqdm

from dialogym.cli import CommandError, make_env, parse_env_kwargs, run_command, write_json
from dialogym.envs.rollout import EpisodeResult, evaluate
from dialogym.policies import BUILTIN_POLICIES, make_policy


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``dialogym evaluate``."""
    parser = argparse.ArgumentParser(
        prog="dialogym evaluate",
        description="Evaluate a dialogue policy against the simulated user.",
    )
    parser.add_argument("--env", default="dialogym/Dialogue-v0", help="environment id")
    parser.add_argument(
        "--env-kwarg", action="append", default=[], metavar="KEY=VALUE",
        help="environment argument, repeatable (e.g. domain=laptop, ser=0.15, masks=false)",
    )  # fmt: skip
    parser.add_argument(
        "--policy", default="handcrafted", help=f"one of {', '.join(BUILTIN_POLICIES)}"
    )
    parser.add_argument("--episodes", type=int, default=1000, help="dialogues to play")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first reset")
    parser.add_argument("--json", metavar="FILE", help="write the metrics as JSON to FILE")
    parser.add_argument(
        "--show", type=int, default=0, metavar="N", help="print the first N dialogues"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def format_table(rows: list[dict[str, Any]]) -> str:
    """A Markdown table of evaluation summaries (one row per policy and environment)."""
    header = "| policy | env | episodes | success | 95% CI | turns | return | hang-ups |"
    lines = [header, "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: |"]
    for row in rows:
        low, high = row["success_ci95"]
        lines.append(
            f"| {row['policy']} | {row['env']} | {row['episodes']} | {row['success_rate']:.3f} "
            f"| [{low:.3f}, {high:.3f}] | {row['avg_turns']:.2f} | {row['avg_return']:.2f} "
            f"| {row['hangup_rate']:.3f} |"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Evaluate as the parsed arguments say; print the table, write JSON if asked."""
    if args.episodes < 1:
        raise CommandError(f"--episodes: must be >= 1, got {args.episodes}")
    env_kwargs = parse_env_kwargs(args.env_kwarg)
    env = make_env(args.env, env_kwargs)
    try:
        policy = make_policy(args.policy, env, seed=args.seed)
    except ValueError as error:
        raise CommandError(str(error)) from None
    shown = 0

    def after_episode(result: EpisodeResult) -> None:
        nonlocal shown
        bar.update()
        if shown < args.show:
            shown += 1
            verdict = "success" if result.success else "failure"
            bar.write(f"{env.unwrapped.transcript_text()}\n=> {verdict}\n")

    with tqdm(
        total=args.episodes, desc=args.policy, disable=args.no_progress, file=sys.stderr
    ) as bar:
        summary, _ = evaluate(env, policy, args.episodes, args.seed, on_episode=after_episode)
    row = {
        "policy": args.policy,
        "env": args.env,
        "env_kwargs": env_kwargs,
        "seed": args.seed,
        **summary,
    }
    print(format_table([row]))
    if args.json:
        write_json(args.json, row)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``dialogym evaluate``."""
    return run_command("evaluate", run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
