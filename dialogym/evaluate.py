r"""``dialogym evaluate``: play a policy against the simulated user and report how it did.

Example::

    dialogym evaluate --env dialogym/PyDialEnv3-v0 --env-kwarg domain=restaurant \
        --policy handcrafted --episodes 1000 --seed 0 --json results.json
    dialogym evaluate --env dialogym/PyDialEnv1-v0 --policy runs/x/model.zip \
        --transcripts dialogues.jsonl

``--policy`` takes ``handcrafted``, ``random`` or the path of an agent saved by ``dialogym train``
(``model.zip`` or ``checkpoint.zip``). Metrics: success rate and its Wilson 95% interval, average
turns and return, hang-up rate, inform precision/recall/F1 and booking rate (see
`dialogym.envs.rollout`). ``--transcripts`` writes one JSON object per dialogue: its goal,
verdict, and every turn's acts, hypotheses and reward.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from tqdm import tqdm

from dialogym.acts import Hypothesis, format_acts
from dialogym.cli import (
    CommandError,
    add_trust_model_flag,
    check_output,
    make_env,
    non_negative_int,
    parse_env_kwargs,
    run_command,
    write_atomically,
    write_json,
)
from dialogym.envs.rollout import EpisodeResult, evaluate
from dialogym.policies import BUILTIN_POLICIES, Policy, make_policy


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
        "--policy", default="handcrafted",
        help=f"{', '.join(BUILTIN_POLICIES)} or a model.zip saved by dialogym train",
    )  # fmt: skip
    parser.add_argument("--episodes", type=int, default=1000, help="dialogues to play")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="seed of the first reset")
    parser.add_argument("--json", metavar="FILE", help="write the metrics as JSON to FILE")
    parser.add_argument(
        "--transcripts", metavar="FILE.jsonl", help="write every dialogue as a JSON line"
    )
    parser.add_argument(
        "--force", action="store_true", help="overwrite output files that dialogym did not write"
    )
    parser.add_argument(
        "--show", type=int, default=0, metavar="N", help="print the first N dialogues"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_trust_model_flag(parser)
    return parser


METRICS_KEYS = frozenset({"policy", "env", "success_rate"})
"""Keys that make an existing ``--json`` file an output of ``evaluate`` (see `check_output`)."""
DIALOGUE_KEYS = frozenset({"episode", "transcript"})
"""Keys that make an existing JSONL file a transcript or corpus of ours."""


def format_table(rows: list[dict[str, Any]]) -> str:
    """A Markdown table of evaluation summaries (one row per policy and environment)."""
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


def load_policy(name: str, env: Any, seed: int, trust: bool = False) -> Policy:
    """A built-in policy by name, or a trained agent from its ``.zip`` file.

    The zip is unpickled only if ``trust`` (``--trust-model``); see `AgentPolicy.load`.

    Raises:
        CommandError: neither a built-in name nor a loadable model file (one line).
    """
    if name in BUILTIN_POLICIES:
        return make_policy(name, env, seed=seed)
    if not name.endswith(".zip"):
        raise CommandError(
            f"--policy: unknown policy {name!r}; choose one of"
            f" {', '.join(BUILTIN_POLICIES)} or give a model.zip path"
        )
    from dialogym.agents import AgentPolicy  # torch and SB3 load only when needed

    try:
        return AgentPolicy.load(name, env=env, trust=trust)
    except ValueError as error:
        raise CommandError(f"--policy: {error}") from None


def transcript_record(env: Any, result: EpisodeResult, episode: int) -> dict[str, Any]:
    """One dialogue as plain JSON data: goal, verdict and every turn."""
    unwrapped = env.unwrapped
    return {
        "episode": episode,
        "goal": result.goal,
        "success": result.success,
        "success_parts": dict(result.success_parts),
        "turns": result.turns,
        "return": result.episode_return,
        "hung_up": result.hung_up,
        "truncated": result.truncated,
        "transcript": [
            {key: _plain(value) for key, value in turn._asdict().items()}
            for turn in unwrapped.transcript
        ],
    }


def _plain(value: Any) -> Any:
    """Acts as their one-line text, hypotheses as ``{"acts", "confidence"}``, the rest as is."""
    if isinstance(value, tuple) and value and isinstance(value[0], Hypothesis):
        return [{"acts": format_acts(h.acts), "confidence": h.confidence} for h in value]
    if isinstance(value, tuple):
        return format_acts(value)
    return value


def run(args: argparse.Namespace) -> int:
    """Evaluate as the parsed arguments say; print the table, write JSON if asked."""
    if args.episodes < 1:
        raise CommandError(f"--episodes: must be >= 1, got {args.episodes}")
    for option, path, keys in (
        ("--json", args.json, METRICS_KEYS),
        ("--transcripts", args.transcripts, DIALOGUE_KEYS),
    ):
        if path is not None:
            check_output(path, option, keys, args.force)
    env_kwargs = parse_env_kwargs(args.env_kwarg)
    env = make_env(args.env, env_kwargs)
    policy = load_policy(args.policy, env, args.seed, args.trust_model)
    shown = 0
    dialogues: list[str] = []

    def after_episode(result: EpisodeResult) -> None:
        nonlocal shown
        bar.update()
        if args.transcripts is not None:
            record = transcript_record(env, result, len(dialogues))
            dialogues.append(json.dumps(record, ensure_ascii=False))
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
    if args.json is not None:
        write_json(args.json, row)
    if args.transcripts is not None:
        write_atomically(args.transcripts, "".join(line + "\n" for line in dialogues))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``dialogym evaluate``."""
    return run_command("evaluate", run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
