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

**On a Ray cluster** (``--ray``: a Ray instance started on this machine; ``--ray ADDRESS``: the
cluster whose head is at ``ADDRESS``, ``auto`` or ``HOST:PORT``; needs ``dialogym[ray]``, see
`dialogym.cluster`) the corpus is cut into contiguous shards (`shard_ranges`), each played by
one Ray task with `play` as above (dialogue k still from seed ``--seed`` + k), and the shards'
lines are joined in order: the file is the one the same command without ``--ray`` writes, byte
for byte, whichever nodes played which shard. A shard whose dialogues run a language model (the
LLM generator or the LLM policy) asks for a GPU where the cluster has one. The command ends with
a line saying how many shards each node played.

Each line holds a dialogue in the format of `dialogym.dialogues` (the one ``evaluate
--transcripts`` writes too): ``episode`` (its number k, from 0), ``env`` (the environment id),
``env_kwargs`` (its arguments as parsed, the channel default applied), ``seed`` (``--seed`` +
k), ``goal``, the verdict (``success``, ``success_parts``, ``turns``, ``return``, ``hung_up``,
``truncated``), ``transcript`` and ``generator_fallbacks`` (sentences the LLM generator's check
rejected and the template said instead; 0 with templates). The transcript has one object per
turn with ``turn``, ``action`` (the summary action's name in ``env.unwrapped.action_names``;
``start`` for the opening), ``system_acts``, ``system_text``, ``user_acts``, ``user_text``,
``hypotheses`` (``acts``, ``confidence``), ``belief`` (slot to ``[value, probability]``) and
``reward``. On Ctrl-C the dialogues finished so far are written before the command stops
(with ``--ray``: those of the shards finished so far), in order of number.

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
import math
import sys
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import as_completed
from dataclasses import replace
from functools import lru_cache
from typing import Any, NamedTuple

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
)
from dialogym.cluster import LOCAL, RayExecutor, connect, import_ray
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
from dialogym.policies import is_llm_policy
from dialogym.report import report_hint

CorpusWriter = Callable[[str, Iterable[PlayedDialogue]], None]
"""Writes played dialogues to a path, in one corpus format."""
CorpusLine = Callable[[PlayedDialogue], str]
"""A played dialogue's line in one corpus format (no newline)."""

UNIFIED_KEYS = frozenset({"dataset", "data_split", "dialogue_id", "goal", "turns"})
"""What makes an existing file a unified-format corpus of ours (its first line holds them)."""


def dialogym_line(played: PlayedDialogue) -> str:
    """A dialogue's line in dialogym's format (`dialogym.dialogues`): the one it was played with."""
    return played.line


def unified_line(played: PlayedDialogue) -> str:
    """A MultiWOZ dialogue's line in ConvLab-3's unified format.

    The line is `dialogym.envs.multiwoz_corpus.unified_dialogue` of the dialogue's goal and
    turns (``dialogue_id`` ``dialogym_multiwoz-train-K`` for dialogue K).

    Raises:
        CommandError: the dialogue is not of the MultiWOZ world.
    """
    outcome = played.result.outcome
    if outcome is None or outcome.goal is None:  # run() refuses other worlds first
        raise CommandError("--format unified: the corpus holds no MultiWOZ dialogue")
    data = unified_dialogue(outcome.goal, outcome.turns, index=played.number)
    return json.dumps(data, ensure_ascii=False)


def as_written(played: PlayedDialogue, line: CorpusLine) -> PlayedDialogue:
    """The dialogue with its line in the format of ``line``, for `write_dialogues` to write."""
    return played if line is dialogym_line else replace(played, line=line(played))


def write_unified(path: str, dialogues: Iterable[PlayedDialogue]) -> None:
    """Write MultiWOZ dialogues in ConvLab-3's unified format, one per line, in order of number.

    Each line is `unified_line`'s; `dialogym.envs.multiwoz_corpus.load_unified_dialogues`
    reads the file back.
    """
    write_dialogues(path, [as_written(played, unified_line) for played in dialogues])


class CorpusFormat(NamedTuple):
    """A corpus format: its writer, a dialogue's line in it, what makes a file one of ours."""

    write: CorpusWriter
    line: CorpusLine
    keys: frozenset[str]
    """Keys the first line of an existing file of ours holds (see `check_output`)."""


CORPUS_FORMATS: dict[str, CorpusFormat] = {
    "dialogym": CorpusFormat(write_dialogues, dialogym_line, DIALOGUE_KEYS),
    "unified": CorpusFormat(write_unified, unified_line, UNIFIED_KEYS),
}
"""The corpus formats by name: dialogym's JSONL (`dialogym.dialogues`, the default), and
ConvLab-3's unified data format (MultiWOZ ids only; `write_unified`)."""

SHARDS_PER_WORKER = 4
"""With ``--ray``, about this many shards for each worker (CPU, or GPU where shards ask for
one), so that faster nodes take more of them and the last ones finish close together."""
SHARD_SIZES = (50, 2000)
"""The fewest and the most dialogues a shard holds (a task's start costs little, but not
nothing; the lines of a shard travel back to this process at once)."""


def shard_ranges(episodes: int, workers: int) -> list[range]:
    """The dialogues 0 to ``episodes - 1`` cut into contiguous shards for ``workers`` workers.

    About `SHARDS_PER_WORKER` shards each, of `SHARD_SIZES` dialogues; the last may be smaller.

    >>> shard_ranges(120, 1)
    [range(0, 50), range(50, 100), range(100, 120)]
    >>> len(shard_ranges(100_000, 16)), shard_ranges(100_000, 16)[-1]
    (64, range(98469, 100000))
    """
    fewest, most = SHARD_SIZES
    size = min(most, max(fewest, math.ceil(episodes / (SHARDS_PER_WORKER * max(1, workers)))))
    return [range(start, min(start + size, episodes)) for start in range(0, episodes, size)]


def wants_gpu(env_kwargs: dict[str, Any], policy: str) -> bool:
    """Whether the dialogues run a language model: the LLM generator or the LLM policy.

    >>> wants_gpu({"generator": "llm:smollm2"}, "random"), wants_gpu({}, "llm"), wants_gpu({}, "random")
    (True, True, False)
    """
    generator = env_kwargs.get("generator")
    llm_generator = isinstance(generator, str) and generator.partition(":")[0] == "llm"
    return llm_generator or is_llm_policy(policy)


@lru_cache(maxsize=1)
def _shared_on_worker(env_id: str, env_kwargs: str) -> dict[str, Any]:
    """`shared_arguments` of a world, built once in a Ray worker for all the shards it plays.

    The shards one worker plays share the language layer, as the dialogues of one process do
    (a model loads once). ``env_kwargs`` is the JSON of the arguments (a value may be a list).
    """
    return shared_arguments(env_id, json.loads(env_kwargs))


def _light(played: PlayedDialogue) -> PlayedDialogue:
    """The dialogue without its transcripts (its line holds them), light to send from a worker."""
    outcome = played.result.outcome
    if outcome is None:
        result = played.result
    else:  # summarize reads the figures, not the goal and turns
        result = replace(played.result, outcome=replace(outcome, goal=None, turns=()))
    return replace(played, result=result, transcript=())


def play_shard(
    env_id: str,
    env_kwargs: dict[str, Any],
    policy: str,
    numbers: range,
    seed: int,
    num_envs: int,
    line: CorpusLine,
    trust: bool,
) -> list[PlayedDialogue]:
    """Dialogues ``numbers`` of a corpus, played by a Ray task as `play` plays them.

    Each comes back as written (its line in the corpus's format, ``line``), its transcripts
    left out, in order of number.
    """
    shared = _shared_on_worker(env_id, json.dumps(env_kwargs, sort_keys=True))
    played = play(
        env_id, env_kwargs, policy, len(numbers), seed, num_envs,
        trust=trust, first=numbers.start, **shared,
    )  # fmt: skip
    return [_light(as_written(dialogue, line)) for dialogue in played]


def play_on_ray(
    address: str,
    env_id: str,
    env_kwargs: dict[str, Any],
    policy: str,
    episodes: int,
    seed: int,
    num_envs: int,
    line: CorpusLine,
    trust: bool = False,
    on_episode: Callable[[PlayedDialogue], None] | None = None,
) -> tuple[list[PlayedDialogue], str]:
    """Play dialogues 0 to ``episodes - 1`` on a Ray cluster, one task per shard (`play_shard`).

    Dialogue k is the one `play` plays (seed ``seed + k``), whichever node plays it. Ray started
    here stops at the end; one this process had already joined is left running.

    Args:
        address: Where the cluster is (`dialogym.cluster.connect`; `LOCAL`: start one here).
        env_id: The environment id.
        env_kwargs: Its arguments (as written into the lines).
        policy: The policy's name (see `load_policy`).
        episodes: Dialogues to play.
        seed: Seed of dialogue 0.
        num_envs: Dialogues each task plays at once.
        line: A dialogue's line in the corpus's format.
        trust: Unpickle a model zip (``--trust-model``).
        on_episode: Called with each dialogue, as the shards end.

    Returns:
        Every dialogue, in order of number, as written (their transcripts left out); and one
        line saying how many shards each node played.

    Raises:
        CommandError: Ray is not installed, no cluster answers at ``address``, or a shard's
            one-line error (a policy that cannot play here).
    """
    ray = import_ray()
    joined = ray.is_initialized()
    executor = RayExecutor(connect(address))
    try:
        gpus = 1 if wants_gpu(env_kwargs, policy) and executor.has_gpus() else 0
        workers = executor.workers("GPU" if gpus else "CPU")
        world = (env_id, env_kwargs, policy)
        shards = [
            executor.submit(play_shard, *world, numbers, seed, num_envs, line, trust, gpus=gpus)
            for numbers in shard_ranges(episodes, workers)
        ]
        finished: dict[int, PlayedDialogue] = {}
        for shard in as_completed(shards):
            try:
                dialogues = shard.result()
            except CommandError as error:  # Ray's error is one too; its text has the traceback
                raise CommandError(str(getattr(error, "cause", error))) from None
            for played in dialogues:
                finished[played.number] = played
                if on_episode is not None:
                    on_episode(played)
        return [finished[number] for number in range(episodes)], executor.summary()
    finally:
        if not joined:
            executor.shutdown()


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
        "--format", choices=tuple(CORPUS_FORMATS), default="dialogym",
        help="dialogym's lines, or ConvLab-3's unified data format (MultiWOZ ids only), one"
        " dialogue a line",
    )  # fmt: skip
    parser.add_argument(
        "--force", action="store_true", help="overwrite an --out file that dialogym did not write"
    )
    add_trust_model_flag(parser)
    parser.add_argument(
        "--ray", nargs="?", const=LOCAL, metavar="ADDRESS",
        help="play the corpus in shards as Ray tasks (the same file): on a Ray instance started"
        " here, or on the cluster at ADDRESS (auto, HOST:PORT); needs dialogym[ray]",
    )  # fmt: skip
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def run(args: argparse.Namespace) -> int:
    """Simulate as the parsed arguments say; write the corpus, print a summary."""
    for option, value in (("--episodes", args.episodes), ("--num-envs", args.num_envs)):
        if value < 1:
            raise CommandError(f"{option}: must be >= 1, got {value}")
    if args.ray is not None:
        import_ray()  # without Ray: one line now, before anything is built
    write, line, keys = CORPUS_FORMATS[args.format]
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
    shared = shared_arguments(args.env, env_kwargs)  # checks the env; what its envs share here
    if args.ray is not None:
        write = write_dialogues  # the shards' lines are in the corpus's format already
    nodes = None
    with (
        kept_on_interrupt(args.out, args.episodes, write) as kept,
        tqdm(
            total=args.episodes, desc="simulate", disable=args.no_progress, file=sys.stderr
        ) as bar,
    ):

        def after_episode(played: PlayedDialogue) -> None:
            kept.keep(played)
            bar.update()

        if args.ray is None:
            dialogues = play(
                args.env, env_kwargs, args.policy, args.episodes, args.seed, args.num_envs,
                trust=args.trust_model, on_episode=after_episode, **shared,
            )  # fmt: skip
        else:
            dialogues, nodes = play_on_ray(
                args.ray, args.env, env_kwargs, args.policy, args.episodes, args.seed,
                args.num_envs, line, args.trust_model, after_episode,
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
    if nodes is not None:
        print(nodes)
    if args.format == "dialogym":  # the report reads dialogym's lines
        print(report_hint(args.out))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``dialogym simulate``."""
    return run_command("simulate", run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
