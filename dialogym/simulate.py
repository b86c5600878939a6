r"""``dialogym simulate``: play many dialogues and write them as a corpus, one JSON line each.

Example::

    dialogym simulate --env dialogym/PyDialEnv3-v0 --policy handcrafted --episodes 1000 \
        --seed 0 --out corpus.jsonl

The environment runs in the text channel unless ``--env-kwarg channel=semantic`` says
otherwise. Each line holds a dialogue: ``episode``, ``goal``, the verdict (``success``,
``success_parts``, ``turns``, ``return``, ``hung_up``, ``truncated``), ``generator_fallbacks``
(sentences the LLM generator's check rejected and the template said instead; 0 with templates)
and ``transcript``, one
object per turn with ``turn``, ``action``, ``system_acts``, ``system_text``, ``user_acts``,
``user_text``, ``hypotheses`` (``acts``, ``confidence``), ``belief`` (slot to ``[value,
probability]``) and ``reward``. The same seed writes the same file, byte for byte.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, cast

import gymnasium as gym
from tqdm import tqdm

from dialogym.cli import (
    CommandError,
    add_trust_model_flag,
    check_output,
    make_env,
    non_negative_int,
    parse_env_kwargs,
    run_command,
    write_atomically,
)
from dialogym.envs.dialogue import DialogueEnv
from dialogym.envs.rollout import EpisodeResult, evaluate
from dialogym.evaluate import DIALOGUE_KEYS, load_policy, transcript_record


class BeliefLog(gym.Wrapper):
    """Keeps the belief summary of every turn of the current dialogue (``beliefs``)."""

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        """Reset, and start the log with the belief after the user's first turn."""
        observation, info = self.env.reset(**kwargs)
        self.beliefs = [self.env.unwrapped.tracker.summary()]  # type: ignore[attr-defined]
        return observation, info

    def step(self, action: Any) -> tuple[Any, Any, bool, bool, dict[str, Any]]:
        """Step, and log the belief."""
        result = self.env.step(action)
        self.beliefs.append(result[4]["belief"])
        return result

    def action_masks(self) -> Any:
        """The wrapped environment's masks."""
        return self.env.unwrapped.action_masks()  # type: ignore[attr-defined]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``dialogym simulate``."""
    parser = argparse.ArgumentParser(
        prog="dialogym simulate", description="Write simulated dialogues as a JSONL corpus."
    )
    parser.add_argument("--env", default="dialogym/Dialogue-v0", help="environment id")
    parser.add_argument(
        "--env-kwarg", action="append", default=[], metavar="KEY=VALUE",
        help="environment argument, repeatable (default channel=text)",
    )  # fmt: skip
    parser.add_argument(
        "--policy", default="handcrafted", help="handcrafted, greedy, random or a model.zip"
    )
    parser.add_argument("--episodes", type=int, default=1000, help="dialogues to write")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="seed of the first reset")
    parser.add_argument("--out", required=True, metavar="FILE.jsonl", help="the corpus to write")
    parser.add_argument(
        "--force", action="store_true", help="overwrite an --out file that dialogym did not write"
    )
    add_trust_model_flag(parser)
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def run(args: argparse.Namespace) -> int:
    """Simulate as the parsed arguments say; write the corpus, print a summary."""
    if args.episodes < 1:
        raise CommandError(f"--episodes: must be >= 1, got {args.episodes}")
    check_output(args.out, "--out", DIALOGUE_KEYS, args.force)
    env_kwargs = {"channel": "text", **parse_env_kwargs(args.env_kwarg)}
    env = BeliefLog(make_env(args.env, env_kwargs))
    dialogue_env = cast(DialogueEnv, env.unwrapped)
    policy = load_policy(args.policy, env.unwrapped, args.seed, args.trust_model)
    lines: list[str] = []
    fallbacks: list[int] = []

    def record(result: EpisodeResult) -> None:
        bar.update()
        dialogue = transcript_record(env, result, len(lines))
        dialogue["generator_fallbacks"] = dialogue_env.generator_fallbacks
        fallbacks.append(dialogue["generator_fallbacks"])
        for turn, belief in zip(dialogue["transcript"], env.beliefs, strict=True):
            turn["belief"] = belief
        lines.append(json.dumps(dialogue, ensure_ascii=False))

    with tqdm(
        total=args.episodes, desc="simulate", disable=args.no_progress, file=sys.stderr
    ) as bar:
        summary, _ = evaluate(env, policy, args.episodes, args.seed, on_episode=record)
    write_atomically(args.out, "".join(line + "\n" for line in lines))
    print(
        f"wrote {args.episodes} dialogues to {args.out}: success {summary['success_rate']:.3f}, "
        f"{summary['avg_turns']:.2f} turns, return {summary['avg_return']:.2f}, "
        f"{sum(fallbacks)} generator fallbacks"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``dialogym simulate``."""
    return run_command("simulate", run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
