r"""``dialogym simulate``: play many dialogues and write them as a corpus, one JSON line each.

Example::

    dialogym simulate --env dialogym/PyDialEnv3-v0 --policy handcrafted --episodes 1000 \
        --seed 0 --num-envs 16 --out corpus.jsonl

The environment runs in the text channel unless ``--env-kwarg channel=semantic`` says
otherwise. ``--num-envs N`` plays N dialogues at once (`DialogueVectorEnv`: one generator
batch per step, which is what makes the LLM generator fast); the corpus does not depend on N.

In the MultiWOZ world (``--env dialogym/MultiWOZ-v0``, semantic level only: no channel) the
dialogues are played one at a time (``--num-envs`` changes nothing), ``handcrafted`` is
ConvLab's rule policy, and each line holds the goal in ConvLab's form and every turn's unified
acts (see `dialogym.dialogues`); the same ``--seed`` writes the same file, byte for byte.
``--format unified`` writes them in ConvLab-3's unified data format instead, one dialogue a
line (`write_unified`), which `dialogym.envs.multiwoz_corpus.load_unified_dialogues` reads back
to the same goals and acts.

Each line holds a dialogue in the format of `dialogym.dialogues` (the one ``evaluate
--transcripts`` writes too): ``episode`` (its number k, from 0), ``env`` (the environment id),
``env_kwargs`` (its arguments as parsed, the channel default applied), ``seed`` (``--seed`` +
k), ``goal``, the verdict (``success``, ``success_parts``, ``turns``, ``return``, ``hung_up``,
``truncated``), ``transcript`` and ``generator_fallbacks`` (sentences the LLM generator's check
rejected and the template said instead; 0 with templates). The transcript has one object per
turn with ``turn``, ``action`` (the summary action's name in ``env.unwrapped.action_names``;
``start`` for the opening), ``system_acts``, ``system_text``, ``user_acts``, ``user_text``,
``hypotheses`` (``acts``, ``confidence``), ``belief`` (slot to ``[value, probability]``) and
``reward``. On Ctrl-C the dialogues finished so far are written before the command stops.

**Replay.** A line is enough to play its dialogue again (a corpus is untrusted: check the world
it names, `checked_env`, before building it; a bare ``gymnasium.make`` of an id such as
``module:dialogym/...`` would import the module)::

    env_id, env_kwargs = checked_env(line["env"], line["env_kwargs"], "corpus.jsonl line 1")
    env = gym.make(env_id, **env_kwargs).unwrapped
    env.reset(seed=line["seed"])
    for turn in line["transcript"][1:]:
        env.step(env.action_names.index(turn["action"]))

gives the same transcript. Every dialogue starts from its own seed and (for the ``random``
policy) its own policy seed, and the policy sees one dialogue at a time, so the same ``--seed``
writes the same file, byte for byte, whatever ``--num-envs`` is. (With the LLM generator this
holds as far as the model's arithmetic does not depend on the batch it runs in; see
`dialogym.generators.llm`.)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Sequence

from tqdm import tqdm

from dialogym.cli import (
    CommandError,
    add_trust_model_flag,
    check_output,
    env_parser,
    non_negative_int,
    parse_env_kwargs,
    policy_env_kwargs,
    run_command,
    write_atomically,
)
from dialogym.dialogues import (
    DIALOGUE_KEYS,
    PlayedDialogue,
    kept_on_interrupt,
    play,
    shared_arguments,
    write_dialogues,
)
from dialogym.envs.multiwoz_corpus import unified_dialogue
from dialogym.envs.registration import is_multiwoz
from dialogym.envs.rollout import summarize
from dialogym.report import report_hint

CorpusWriter = Callable[[str, Iterable[PlayedDialogue]], None]
"""Writes played dialogues to a path, in one corpus format."""

UNIFIED_KEYS = frozenset({"dataset", "data_split", "dialogue_id", "goal", "turns"})
"""What makes an existing file a unified-format corpus of ours (its first line holds them)."""


def write_unified(path: str, dialogues: Iterable[PlayedDialogue]) -> None:
    """Write MultiWOZ dialogues in ConvLab-3's unified format, one per line, in order of number.

    Each line is `dialogym.envs.multiwoz_corpus.unified_dialogue` of the dialogue's goal and
    turns (``dialogue_id`` ``dialogym_multiwoz-train-K`` for dialogue K);
    `dialogym.envs.multiwoz_corpus.load_unified_dialogues` reads the file back.
    """
    lines = []
    for played in sorted(dialogues, key=lambda played: played.number):
        outcome = played.result.outcome
        if outcome is None or outcome.goal is None:  # run() refuses other worlds first
            raise CommandError("--format unified: the corpus holds no MultiWOZ dialogue")
        data = unified_dialogue(outcome.goal, outcome.turns, index=played.number)
        lines.append(json.dumps(data, ensure_ascii=False) + "\n")
    write_atomically(path, "".join(lines))


CORPUS_WRITERS: dict[str, tuple[CorpusWriter, frozenset[str]]] = {
    "dialogym": (write_dialogues, DIALOGUE_KEYS),
    "unified": (write_unified, UNIFIED_KEYS),
}
"""The corpus formats by name, each with its writer and what makes an existing file one of
ours: dialogym's JSONL (`dialogym.dialogues`, the default), and ConvLab-3's unified data format
(MultiWOZ ids only; `write_unified`)."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``dialogym simulate``."""
    parser = env_parser(
        "simulate",
        "Write simulated dialogues as a JSONL corpus.",
        "environment argument, repeatable (default channel=text)",
    )
    parser.add_argument(
        "--policy",
        default="handcrafted",
        help="handcrafted, greedy, random or a model.zip (MultiWOZ: handcrafted, random or a model.zip)",
    )
    parser.add_argument("--episodes", type=int, default=1000, help="dialogues to write")
    parser.add_argument(
        "--seed", type=non_negative_int, default=0, help="dialogue k is played with seed + k"
    )
    parser.add_argument(
        "--num-envs", type=int, default=1, metavar="N",
        help="dialogues played at once, one generator batch per step (the corpus is the same)",
    )  # fmt: skip
    parser.add_argument("--out", required=True, metavar="FILE.jsonl", help="the corpus to write")
    parser.add_argument(
        "--format", choices=tuple(CORPUS_WRITERS), default="dialogym",
        help="dialogym's lines, or ConvLab-3's unified data format (MultiWOZ ids only), one"
        " dialogue a line",
    )  # fmt: skip
    parser.add_argument(
        "--force", action="store_true", help="overwrite an --out file that dialogym did not write"
    )
    add_trust_model_flag(parser)
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def run(args: argparse.Namespace) -> int:
    """Simulate as the parsed arguments say; write the corpus, print a summary."""
    for option, value in (("--episodes", args.episodes), ("--num-envs", args.num_envs)):
        if value < 1:
            raise CommandError(f"{option}: must be >= 1, got {value}")
    write, keys = CORPUS_WRITERS[args.format]
    if args.format == "unified" and not is_multiwoz(args.env):
        raise CommandError(
            "--format unified: ConvLab-3's unified format holds MultiWOZ dialogues; use a"
            " MultiWOZ id (dialogym/MultiWOZ-v0) or --format dialogym"
        )
    check_output(args.out, "--out", keys, args.force)
    channel = {} if is_multiwoz(args.env) else {"channel": "text"}  # MultiWOZ: acts only
    env_kwargs = policy_env_kwargs(args.policy, {**channel, **parse_env_kwargs(args.env_kwarg)})
    try:
        json.dumps(env_kwargs)
    except TypeError as error:
        raise CommandError(
            f"--env-kwarg: a value cannot be written to the corpus ({error})"
        ) from None
    shared = shared_arguments(args.env, env_kwargs)  # checks the env; what its envs share
    with (
        kept_on_interrupt(args.out, args.episodes, write) as kept,
        tqdm(
            total=args.episodes, desc="simulate", disable=args.no_progress, file=sys.stderr
        ) as bar,
    ):

        def after_episode(played: PlayedDialogue) -> None:
            kept.keep(played)
            bar.update()

        dialogues = play(
            args.env, env_kwargs, args.policy, args.episodes, args.seed, args.num_envs,
            trust=args.trust_model, on_episode=after_episode, **shared,
        )  # fmt: skip
    write(args.out, dialogues)
    summary = summarize([played.result for played in dialogues])
    fallbacks = sum(played.fallbacks for played in dialogues)
    last = (
        f"complete {summary['complete_rate']:.3f}"
        if "complete_rate" in summary
        else f"{fallbacks} generator fallbacks"
    )
    print(
        f"wrote {args.episodes} dialogues to {args.out}: success {summary['success_rate']:.3f}, "
        f"{summary['avg_turns']:.2f} turns, return {summary['avg_return']:.2f}, {last}"
    )
    if args.format == "dialogym":  # the report reads dialogym's lines
        print(report_hint(args.out))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``dialogym simulate``."""
    return run_command("simulate", run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
