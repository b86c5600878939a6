r"""``dialogym simulate``: play many dialogues and write them as a corpus, one JSON line each.

Example::

    dialogym simulate --env dialogym/PyDialEnv3-v0 --policy handcrafted --episodes 1000 \
        --seed 0 --num-envs 16 --out corpus.jsonl

The environment runs in the text channel unless ``--env-kwarg channel=semantic`` says
otherwise. ``--num-envs N`` plays N dialogues at once (`DialogueVectorEnv`: one generator
batch per step, which is what makes the LLM generator fast); the corpus does not depend on N.

Each line holds a dialogue: ``episode`` (its number k, from 0), ``env`` (the environment id),
``env_kwargs`` (its arguments as parsed, the channel default applied), ``seed`` (``--seed`` +
k), ``goal``, the verdict (``success``, ``success_parts``, ``turns``, ``return``, ``hung_up``,
``truncated``), ``transcript`` and ``generator_fallbacks`` (sentences the LLM generator's check
rejected and the template said instead; 0 with templates). The transcript has one object per
turn with ``turn``, ``action`` (the summary action's name in ``env.unwrapped.action_names``;
``start`` for the opening), ``system_acts``, ``system_text``, ``user_acts``, ``user_text``,
``hypotheses`` (``acts``, ``confidence``), ``belief`` (slot to ``[value, probability]``) and
``reward``.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

from dialogym.cli import (
    CommandError,
    add_trust_model_flag,
    check_output,
    env_parser,
    make_env,
    policy_env_kwargs,
    non_negative_int,
    parse_env_kwargs,
    run_command,
    write_atomically,
)
from dialogym.envs.dialogue import DialogueEnv, Turn
from dialogym.envs.rollout import EpisodeResult, Predictor, informed_slots, summarize
from dialogym.envs.vector import DialogueVectorEnv
from dialogym.evaluate import DIALOGUE_KEYS, load_policy, transcript_record
from dialogym.policies import BUILTIN_POLICIES
from dialogym.report import report_hint


@dataclass
class _Dialogue:
    """A dialogue being played in one slot of the vector env: what its line needs."""

    number: int
    policy: Predictor
    env: DialogueEnv
    goal: Any = field(init=False)
    transcript: list[Turn] = field(init=False)
    """The env's transcript list: the env starts a new list at its next reset, so this keeps
    the whole dialogue even after the slot has restarted."""
    beliefs: list[dict[str, Any]] = field(init=False)
    episode_return: float = 0.0
    fallbacks: int = 0
    """Sentences the generator's check rejected (from the last step's info)."""

    def __post_init__(self) -> None:
        self.goal = self.env.goal
        self.transcript = self.env.transcript
        self.beliefs = [self.env.tracker.summary()]

    @property
    def unwrapped(self) -> _Dialogue:
        """Itself, so that `transcript_record` reads `transcript` as it does from an env."""
        return self

    def act(self, observation: np.ndarray, deterministic: bool = True) -> int:
        """The policy's action for this dialogue's observation."""
        mask = self.env.action_masks() if self.env.masks else None
        action, _ = self.policy.predict(observation, deterministic=deterministic, action_masks=mask)
        return int(action)

    def result(self, info: dict[str, Any], truncated: bool) -> EpisodeResult:
        """How the dialogue went, from its last step's info."""
        return EpisodeResult(
            success=bool(info["success"]),
            turns=int(info["turns"]),
            episode_return=self.episode_return,
            hung_up=bool(info["hung_up"]),
            truncated=truncated,
            goal=str(info["goal"]),
            requested=frozenset(self.goal.requests),
            informed=informed_slots(self.transcript, self.goal.constraints),
            wants_booking=bool(self.goal.booking),
            booked=bool(info["success_parts"]["booking"]),
            success_parts=info["success_parts"],
        )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``dialogym simulate``."""
    parser = env_parser(
        "simulate",
        "Write simulated dialogues as a JSONL corpus.",
        "environment argument, repeatable (default channel=text)",
    )
    parser.add_argument(
        "--policy", default="handcrafted", help="handcrafted, greedy, random or a model.zip"
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
    check_output(args.out, "--out", DIALOGUE_KEYS, args.force)
    env_kwargs = policy_env_kwargs(args.policy, {"channel": "text", **parse_env_kwargs(args.env_kwarg)})
    try:
        json.dumps(env_kwargs)
    except TypeError as error:
        raise CommandError(
            f"--env-kwarg: a value cannot be written to the corpus ({error})"
        ) from None
    env = make_env(args.env, env_kwargs)  # checks the arguments; its language is shared
    venv = DialogueVectorEnv(
        args.env, min(args.num_envs, args.episodes), **env_kwargs, language=env.unwrapped.language
    )
    shared_policy, own_policy = None, None
    if args.policy in BUILTIN_POLICIES:

        def own_policy(number: int) -> Predictor:
            """Dialogue ``number``'s built-in policy, seeded for that dialogue alone."""
            return load_policy(args.policy, env, args.seed + number, args.trust_model)

    else:  # one policy for all, bound to the vector env
        shared_policy = load_policy(args.policy, venv, args.seed, args.trust_model)

    with tqdm(
        total=args.episodes, desc="simulate", disable=args.no_progress, file=sys.stderr
    ) as bar:
        played = play_dialogues(
            venv, args.env, env_kwargs, args.seed, args.episodes,
            shared=shared_policy, per_dialogue=own_policy, on_episode=lambda _: bar.update(),
        )  # fmt: skip
    write_atomically(args.out, "".join(line + "\n" for _, line, _ in played))
    summary = summarize([result for result, _, _ in played])
    fallbacks = sum(count for _, _, count in played)
    print(
        f"wrote {args.episodes} dialogues to {args.out}: success {summary['success_rate']:.3f}, "
        f"{summary['avg_turns']:.2f} turns, return {summary['avg_return']:.2f}, "
        f"{fallbacks} generator fallbacks"
    )
    print(report_hint(args.out))
    return 0


def play_dialogues(
    venv: DialogueVectorEnv,
    env_id: str,
    env_kwargs: dict[str, Any],
    seed: int,
    episodes: int,
    shared: Predictor | None = None,
    per_dialogue: Callable[[int], Predictor] | None = None,
    deterministic: bool = True,
    on_episode: Callable[[EpisodeResult], None] | None = None,
) -> list[tuple[EpisodeResult, str, int]]:
    """Play ``episodes`` dialogues in the slots of ``venv``; dialogue k with seed ``seed + k``.

    The corpus does not depend on ``venv.num_envs``. Each step is one generator batch.

    Args:
        venv: The vector env (its slots are reset here).
        env_id: The environment id, for the corpus lines.
        env_kwargs: Its arguments, for the corpus lines.
        seed: Seed of dialogue 0.
        episodes: Dialogues to play.
        shared: One policy for every dialogue, bound to ``venv``: one batched ``predict`` per
            step (the LLM policy, a trained agent).
        per_dialogue: Otherwise, dialogue k's own policy (a built-in one seeded for it).
        deterministic: Passed to ``predict`` (``False``: a policy that can, samples).
        on_episode: Called with each dialogue's result as it ends.

    Returns:
        Per dialogue, in order: how it went, its corpus line (JSON) and its generator fallbacks.
    """
    if (shared is None) == (per_dialogue is None):
        raise ValueError("play_dialogues: give exactly one of shared and per_dialogue")

    def policy(number: int) -> Predictor:
        return shared if shared is not None else per_dialogue(number)  # type: ignore[misc]

    observations, _ = venv.reset_lists([seed + i for i in range(venv.num_envs)])
    playing: list[_Dialogue | None] = [
        _Dialogue(i, policy(i), slot) for i, slot in enumerate(venv.envs)
    ]
    numbers = iter(range(venv.num_envs, episodes))
    starting: dict[int, int | None] = {}
    """Slots that ended in this step, to the number of the dialogue each starts (or None)."""
    finished: dict[int, tuple[EpisodeResult, str, int]] = {}
    masked = venv.envs[0].masks

    def restart_seed(slot: int) -> int | None:
        """Give an ended slot the next dialogue's number (none left: it plays on, unrecorded)."""
        number = next(numbers, None)
        starting[slot] = number
        return None if number is None else seed + number

    while len(finished) < episodes:
        actions: Sequence[int] | np.ndarray
        if shared is not None:
            masks = venv.action_masks() if masked else None
            actions, _ = shared.predict(
                observations, deterministic=deterministic, action_masks=masks
            )
        else:
            actions = [
                0 if dialogue is None else dialogue.act(observation, deterministic)
                for dialogue, observation in zip(playing, observations, strict=True)
            ]
        starting.clear()
        observations, rewards, _, truncated, infos = venv.step_lists(actions, restart_seed)
        for slot, dialogue in enumerate(playing):
            if dialogue is None:
                continue
            dialogue.episode_return += float(rewards[slot])
            info = infos[slot].get("final_info", infos[slot])
            dialogue.beliefs.append(info["belief"])
            if slot not in starting:
                continue
            dialogue.fallbacks = info.get("generator_fallbacks", 0)
            result = dialogue.result(info, bool(truncated[slot]))
            line = _line(dialogue, result, env_id, env_kwargs, seed)
            finished[dialogue.number] = (result, line, dialogue.fallbacks)
            if on_episode is not None:
                on_episode(result)
            number = starting[slot]
            playing[slot] = (
                None if number is None else _Dialogue(number, policy(number), venv.envs[slot])
            )
    return [finished[number] for number in range(episodes)]


def _line(
    dialogue: _Dialogue, result: EpisodeResult, env_id: str, env_kwargs: dict[str, Any], seed: int
) -> str:
    """The corpus line of a finished dialogue."""
    record = transcript_record(dialogue, result, dialogue.number)
    record = {
        "episode": dialogue.number,
        "env": env_id,
        "env_kwargs": env_kwargs,
        "seed": seed + dialogue.number,
        **record,
        "generator_fallbacks": dialogue.fallbacks,
    }
    for turn, belief in zip(record["transcript"], dialogue.beliefs, strict=True):
        turn["belief"] = belief
    return json.dumps(record, ensure_ascii=False)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``dialogym simulate``."""
    return run_command("simulate", run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
