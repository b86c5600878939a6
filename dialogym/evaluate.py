r"""``dialogym evaluate``: play a policy against the simulated user and report how it did.

Example::

    dialogym evaluate --env dialogym/PyDialEnv3-v0 --env-kwarg domain=restaurant \
        --policy handcrafted --episodes 1000 --seed 0 --json results.json
    dialogym evaluate --env dialogym/PyDialEnv1-v0 --policy runs/x/model.zip \
        --transcripts dialogues.jsonl

``--policy`` takes ``handcrafted``, ``greedy``, ``random``, ``llm`` or ``llm:MODEL`` (the LLM
policy, `dialogym.policies.llm`; MODEL a known name, a transformers directory or a ``dialogym
finetune`` output) or the path of an agent saved by ``dialogym train`` (``model.zip`` or
``checkpoint.zip``). ``--num-envs N`` plays N dialogues at once (`DialogueVectorEnv`; the LLM
policy scores them in one batch); dialogue k is then played with seed ``--seed`` + k, as
``dialogym simulate`` plays it, so its figures and transcripts are those of a simulate corpus. Metrics: success rate and its Wilson 95% interval, average
turns and return, hang-up rate, inform precision/recall/F1 and booking rate (see
`dialogym.envs.rollout`). ``--transcripts`` writes one JSON object per dialogue: its goal,
verdict, and every turn's acts, hypotheses and reward.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from tqdm import tqdm

from dialogym.acts import Hypothesis, format_acts
from dialogym.cli import (
    CommandError,
    add_trust_model_flag,
    check_output,
    env_parser,
    make_env,
    policy_env_kwargs,
    non_negative_int,
    parse_env_kwargs,
    printable,
    run_command,
    write_atomically,
    write_json,
)
from dialogym.envs.rollout import EpisodeResult, evaluate, summarize
from dialogym.models import ModelError
from dialogym.policies import BUILTIN_POLICIES, LLM_POLICY, Policy, is_llm_policy, make_policy
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
        help="dialogues played at once (N > 1: dialogue k plays seed + k, as simulate does)",
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
    """A built-in policy by name, the LLM policy, or a trained agent from its ``.zip`` file.

    ``env`` is a (wrapped) `DialogueEnv` or a `DialogueVectorEnv`: the LLM policy is bound to
    all of its dialogues, the others are built for its first. The zip is unpickled only if
    ``trust`` (``--trust-model``); see `AgentPolicy.load`.

    Raises:
        CommandError: neither a built-in name nor a loadable model (one line).
    """
    if is_llm_policy(name):
        try:
            return make_policy(name, env, seed=seed, trust=trust)
        except (ModelError, ValueError) as error:
            raise CommandError(f"--policy: {error}") from None
    env = getattr(env, "envs", [env])[0]
    if name in BUILTIN_POLICIES:
        return make_policy(name, env, seed=seed)
    if not name.endswith(".zip"):
        raise CommandError(
            f"--policy: unknown policy {name!r}; choose one of {', '.join(BUILTIN_POLICIES)},"
            f" {LLM_POLICY}, {LLM_POLICY}:MODEL or give a model.zip path"
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


def play_batched(
    env_id: str,
    env_kwargs: dict[str, Any],
    policy: str | Callable[[Any], Policy],
    episodes: int,
    seed: int,
    num_envs: int,
    deterministic: bool = True,
    trust: bool = False,
    on_episode: Callable[[EpisodeResult], None] | None = None,
) -> list[tuple[EpisodeResult, str]]:
    """Play dialogues ``num_envs`` at a time, one batched ``predict`` per step.

    Dialogue k is played with seed ``seed + k`` (as ``dialogym simulate`` plays it), whatever
    ``num_envs`` is.

    Args:
        env_id: The environment id.
        env_kwargs: Its arguments.
        policy: A policy name (see `load_policy`; the LLM policy is bound to the vector env) or
            a function that builds the policy for the `DialogueVectorEnv` it is given.
        episodes: Dialogues to play.
        seed: Seed of dialogue 0.
        num_envs: Dialogues played at once.
        deterministic: Passed to ``predict`` (``False``: a policy that can, samples).
        trust: Unpickle a model zip (``--trust-model``).
        on_episode: Called with each dialogue's result as it ends.

    Returns:
        Per dialogue, in order: how it went and its corpus line (JSON, as simulate writes it).
    """
    from dialogym.envs.vector import DialogueVectorEnv
    from dialogym.simulate import play_dialogues  # simulate's player and records, not a copy

    venv = DialogueVectorEnv(env_id, min(num_envs, episodes), **env_kwargs)
    if isinstance(policy, str):
        chosen = load_policy(policy, venv, seed, trust)
    else:
        chosen = policy(venv)
    played = play_dialogues(
        venv, env_id, env_kwargs, seed, episodes,
        shared=chosen, deterministic=deterministic, on_episode=on_episode,
    )  # fmt: skip
    return [(result, line) for result, line, _ in played]


def _plain(value: Any) -> Any:
    """Acts as their one-line text, hypotheses as ``{"acts", "confidence"}``, the rest as is."""
    if isinstance(value, tuple) and value and isinstance(value[0], Hypothesis):
        return [{"acts": format_acts(h.acts), "confidence": h.confidence} for h in value]
    if isinstance(value, tuple):
        return format_acts(value)
    return value


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
    env = make_env(args.env, env_kwargs)
    if args.num_envs > 1:
        return _run_batched(args, env_kwargs)
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
            # A domain's names and values reach the terminal escaped: data cannot drive it.
            bar.write(f"{printable(env.unwrapped.transcript_text())}\n=> {verdict}\n")

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
    _report(args, row, dialogues)
    return 0


def _run_batched(args: argparse.Namespace, env_kwargs: dict[str, Any]) -> int:
    """``--num-envs N``: play with `play_batched`; report as `run` does."""
    with tqdm(
        total=args.episodes, desc=args.policy, disable=args.no_progress, file=sys.stderr
    ) as bar:
        played = play_batched(
            args.env, env_kwargs, args.policy, args.episodes, args.seed, args.num_envs,
            trust=args.trust_model, on_episode=lambda _: bar.update(),
        )  # fmt: skip
    summary = summarize([result for result, _ in played])
    row = {"policy": args.policy, "env": args.env, "env_kwargs": env_kwargs, "seed": args.seed}
    _report(args, {**row, "num_envs": args.num_envs, **summary}, [line for _, line in played])
    return 0


def _report(args: argparse.Namespace, row: dict[str, Any], dialogues: list[str]) -> None:
    """Print the table; write the metrics and transcripts if asked."""
    print(format_table([row]))
    if args.json is not None:
        write_json(args.json, row)
    if args.transcripts is not None:
        write_atomically(args.transcripts, "".join(line + "\n" for line in dialogues))
    print(report_hint(args.transcripts or "FILE.jsonl", "" if args.transcripts else "--transcripts"))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``dialogym evaluate``."""
    return run_command("evaluate", run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
