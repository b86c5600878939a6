r"""``dialogym evaluate``: play a policy against the simulated user and report how it did.

Example::

    dialogym evaluate --env dialogym/PyDialEnv3-v0 --env-kwarg domain=restaurant \
        --policy handcrafted --episodes 1000 --seed 0 --json results.json
    dialogym evaluate --env dialogym/PyDialEnv1-v0 --policy runs/x/model.zip \
        --transcripts dialogues.jsonl

``--policy`` takes ``handcrafted``, ``greedy``, ``random``, ``llm`` or ``llm:MODEL`` (the LLM
policy, `dialogym.policies.llm`; MODEL a known name, a transformers directory or a ``dialogym
finetune`` output) or the path of an agent saved by ``dialogym train`` (``model.zip`` or
``checkpoint.zip``). Dialogue k is played with seed ``--seed`` + k (and a built-in policy
seeded for it), as ``dialogym simulate`` plays it; ``--num-envs N`` plays N dialogues at once
(`DialogueVectorEnv`; the LLM policy or an agent decides for all of them in one batch) and
changes nothing else. Metrics: success rate and its Wilson 95% interval, average turns and
return, hang-up rate, inform precision/recall/F1 and booking rate (see `dialogym.envs.rollout`).
In the MultiWOZ world (``--env dialogym/MultiWOZ-v0``): ``handcrafted`` is ConvLab's rule
policy, ``random`` and a model.zip choose summary actions, and the metrics are ConvLab's
(success, complete, book rate, inform precision/recall/F1) beside turns and return.
``--transcripts`` writes one JSON line per dialogue in the format of `dialogym.dialogues` (the
world, the seed, the goal, the verdict and every turn with its belief), which is a corpus for
``dialogym finetune`` and ``dialogym train --warm-start``. On Ctrl-C the dialogues finished so
far are written before the command stops.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from tqdm import tqdm

from dialogym.cli import (
    CommandError,
    add_trust_model_flag,
    check_output,
    env_parser,
    non_negative_int,
    parse_env_kwargs,
    policy_env_kwargs,
    printable,
    run_command,
    write_json,
)
from dialogym.dialogues import (
    DIALOGUE_KEYS,
    PlayedDialogue,
    kept_on_interrupt,
    play,
    shared_arguments,
    write_dialogues,
)
from dialogym.envs.rollout import MULTIWOZ_FIGURES, summarize
from dialogym.policies import BUILTIN_POLICIES, LLM_POLICY
from dialogym.report import report_hint


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``dialogym evaluate``."""
    parser = env_parser(
        "evaluate",
        "Evaluate a dialogue policy against the simulated user.",
        "environment argument, repeatable (e.g. domain=laptop, ser=0.15, masks=false)",
    )
    parser.add_argument(
        "--policy", default="handcrafted",
        help=f"{', '.join(BUILTIN_POLICIES)}, {LLM_POLICY}, {LLM_POLICY}:MODEL or a model.zip"
        " saved by dialogym train",
    )  # fmt: skip
    parser.add_argument(
        "--num-envs", type=int, default=1, metavar="N",
        help="dialogues played at once (the figures and transcripts are the same)",
    )  # fmt: skip
    parser.add_argument("--episodes", type=int, default=1000, help="dialogues to play")
    parser.add_argument(
        "--seed", type=non_negative_int, default=0, help="dialogue k is played with seed + k"
    )
    parser.add_argument("--json", metavar="FILE", help="write the metrics as JSON to FILE")
    parser.add_argument(
        "--transcripts", metavar="FILE.jsonl",
        help="write every dialogue as a JSON line (a corpus, as dialogym simulate writes)",
    )  # fmt: skip
    parser.add_argument(
        "--force", action="store_true", help="overwrite output files that dialogym did not write"
    )
    parser.add_argument(
        "--show", type=non_negative_int, default=0, metavar="N", help="print the first N dialogues"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_trust_model_flag(parser)
    return parser


METRICS_KEYS = frozenset({"policy", "env", "success_rate"})
"""Keys that make an existing ``--json`` file an output of ``evaluate`` (see `check_output`)."""


def format_table(rows: list[dict[str, Any]]) -> str:
    """A Markdown table of evaluation summaries (one row per policy and environment).

    Summaries of the MultiWOZ world get its own columns (`multiwoz_table`).
    """
    if rows and "complete_rate" in rows[0]:
        return multiwoz_table(rows)
    header = (
        "| policy | env | episodes | success | 95% CI | turns | return | hang-ups "
        "| inform P | inform R | inform F1 | booking |"
    )
    lines = [header, "| --- | --- | ---: | ---: | --- |" + " ---: |" * 7]
    for row in rows:
        low, high = row["success_ci95"]
        booking = "–" if row["booking_rate"] is None else f"{row['booking_rate']:.3f}"
        lines.append(
            f"| {row['policy']} | {row['env']} | {row['episodes']} | {row['success_rate']:.3f} "
            f"| [{low:.3f}, {high:.3f}] | {row['avg_turns']:.2f} | {row['avg_return']:.2f} "
            f"| {row['hangup_rate']:.3f} | {row['inform_precision']:.3f} "
            f"| {row['inform_recall']:.3f} | {row['inform_f1']:.3f} | {booking} |"
        )
    return "\n".join(lines)


def multiwoz_table(rows: list[dict[str, Any]]) -> str:
    """A Markdown table of summaries of MultiWOZ dialogues: success and ConvLab's figures.

    ``book rate`` is ConvLab's (the mean share of constraints the booked entities meet); a
    figure no dialogue defines is ``–``.
    """
    lines = [
        "| policy | env | episodes | success | 95% CI | complete | book rate | inform P"
        " | inform R | inform F1 | turns | return |",
        "| --- | --- | ---: | ---: | --- |" + " ---: |" * 7,
    ]
    for row in rows:
        low, high = row["success_ci95"]
        figures = " | ".join(
            "–" if row[key] is None else f"{row[key]:.3f}" for key in MULTIWOZ_FIGURES
        )
        lines.append(
            f"| {row['policy']} | {row['env']} | {row['episodes']} | {row['success_rate']:.3f} "
            f"| [{low:.3f}, {high:.3f}] | {figures} | {row['avg_turns']:.2f} "
            f"| {row['avg_return']:.2f} |"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Evaluate as the parsed arguments say; print the table, write JSON if asked."""
    for option, value in (("--episodes", args.episodes), ("--num-envs", args.num_envs)):
        if value < 1:
            raise CommandError(f"{option}: must be >= 1, got {value}")
    for option, path, keys in (
        ("--json", args.json, METRICS_KEYS),
        ("--transcripts", args.transcripts, DIALOGUE_KEYS),
    ):
        if path is not None:
            check_output(path, option, keys, args.force)
    env_kwargs = policy_env_kwargs(args.policy, parse_env_kwargs(args.env_kwarg))
    shared = shared_arguments(args.env, env_kwargs)  # checks the env; what its envs share

    with (
        kept_on_interrupt(args.transcripts, args.episodes) as kept,
        tqdm(
            total=args.episodes, desc=args.policy, disable=args.no_progress, file=sys.stderr
        ) as bar,
    ):

        def after_episode(played: PlayedDialogue) -> None:
            kept.keep(played)
            bar.update()
            if played.number < args.show:
                verdict = "success" if played.result.success else "failure"
                # A domain's names and values reach the terminal escaped: data cannot drive it.
                bar.write(f"{printable(played.text())}\n=> {verdict}\n")

        dialogues = play(
            args.env, env_kwargs, args.policy, args.episodes, args.seed, args.num_envs,
            trust=args.trust_model, on_episode=after_episode, **shared,
        )  # fmt: skip
    row = {
        "policy": args.policy,
        "env": args.env,
        "env_kwargs": env_kwargs,
        "seed": args.seed,
        **summarize([played.result for played in dialogues]),
    }
    print(format_table([row]))
    if args.json is not None:
        write_json(args.json, row)
    if args.transcripts is not None:
        write_dialogues(args.transcripts, dialogues)
    print(
        report_hint(args.transcripts or "FILE.jsonl", "" if args.transcripts else "--transcripts")
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``dialogym evaluate``."""
    return run_command("evaluate", run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
