"""Playing dialogues and writing them down: the player and the one JSONL dialogue format.

``dialogym evaluate --transcripts``, ``dialogym simulate`` and ``dialogym improve`` all play
through `play_dialogues` and write the lines `dialogue_line` makes, so a transcript of
``evaluate`` is a corpus for ``dialogym finetune`` and ``dialogym train --warm-start`` as a
``simulate`` corpus is. Each line holds one dialogue:

| key | what |
| --- | --- |
| ``episode`` | its number k, from 0 |
| ``env``, ``env_kwargs`` | the environment id and its arguments (the world it was played in) |
| ``seed`` | the seed of its reset (``--seed`` + k): replaying its actions from it gives it again |
| ``goal`` | the user's goal, in one line |
| ``success``, ``success_parts``, ``turns``, ``return``, ``hung_up``, ``truncated`` | the verdict |
| ``transcript`` | one object per turn (below) |
| ``generator_fallbacks`` | sentences the LLM generator's check rejected (0 with templates) |

A turn holds ``turn``, ``action`` (the summary action's name; ``start`` for the opening),
``system_acts``, ``user_acts`` (acts as one line of text), ``hypotheses`` (``acts``,
``confidence``), ``reward``, ``system_text``, ``user_text`` (empty when nothing was said in
words) and ``belief`` (slot to ``[value, probability]`` after the turn).

Every dialogue is played from its own seed and (for a built-in policy) its own policy seed, so
the lines do not depend on how many dialogues are played at once.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import numpy as np

from dialogym.acts import Hypothesis, format_acts
from dialogym.cli import CommandError, Interrupted, write_atomically
from dialogym.envs.dialogue import DialogueEnv, Turn
from dialogym.envs.rollout import EpisodeResult, Predictor, informed_slots
from dialogym.envs.vector import DialogueVectorEnv
from dialogym.models import ModelError
from dialogym.policies import BUILTIN_POLICIES, LLM_POLICY, Policy, is_llm_policy, make_policy

DIALOGUE_KEYS = frozenset({"episode", "transcript"})
"""Keys that make an existing JSONL file a transcript or corpus of ours (see `check_output`)."""


def load_policy(name: str, env: Any, seed: int, trust: bool = False) -> Policy:
    """A built-in policy by name, the LLM policy, or a trained agent from its ``.zip`` file.

    ``env`` is a (wrapped) `DialogueEnv` or a `DialogueVectorEnv`: the LLM policy is bound to
    all of its dialogues, the others are built for its first. The zip is unpickled only if
    ``trust`` (``--trust-model``); see `AgentPolicy.load`.

    Raises:
        CommandError: neither a built-in name nor a loadable model, or a policy that cannot
            read the env's observations (one line).
    """
    if not is_llm_policy(name):
        env = getattr(env, "envs", [env])[0]
    if is_llm_policy(name) or name in BUILTIN_POLICIES:
        try:
            return make_policy(name, env, seed=seed, trust=trust)
        except (ModelError, ValueError) as error:
            raise CommandError(f"--policy: {error}") from None
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


@dataclass(frozen=True)
class PlayedDialogue:
    """A finished dialogue: how it went, its JSONL line and what it said."""

    number: int
    """Its number k (played with seed ``seed + k``)."""
    result: EpisodeResult
    line: str
    """Its line, as `dialogue_line` writes it (no newline)."""
    fallbacks: int
    """Sentences the generator's check rejected."""
    goal: Any
    transcript: Sequence[Turn]

    def text(self) -> str:
        """The dialogue as readable lines, goal first (as ``--show`` prints it)."""
        return "\n".join([f"goal: {self.goal.describe()}", *(t.text() for t in self.transcript)])


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

    def __post_init__(self) -> None:
        self.goal = self.env.goal
        self.transcript = self.env.transcript
        self.beliefs = [self.env.tracker.summary()]

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

    def finish(
        self,
        info: dict[str, Any],
        truncated: bool,
        env_id: str,
        env_kwargs: dict[str, Any],
        seed: int,
    ) -> PlayedDialogue:
        """The finished dialogue, from its last step's info."""
        result = self.result(info, truncated)
        fallbacks = int(info.get("generator_fallbacks", 0))
        record = {
            "episode": self.number,
            "env": env_id,
            "env_kwargs": env_kwargs,
            "seed": seed + self.number,
            "goal": result.goal,
            "success": result.success,
            "success_parts": dict(result.success_parts),
            "turns": result.turns,
            "return": result.episode_return,
            "hung_up": result.hung_up,
            "truncated": result.truncated,
            "transcript": [
                {**{key: _plain(value) for key, value in turn._asdict().items()}, "belief": belief}
                for turn, belief in zip(self.transcript, self.beliefs, strict=True)
            ],
            "generator_fallbacks": fallbacks,
        }
        line = json.dumps(record, ensure_ascii=False)
        return PlayedDialogue(self.number, result, line, fallbacks, self.goal, self.transcript)


def _plain(value: Any) -> Any:
    """Acts as their one-line text, hypotheses as ``{"acts", "confidence"}``, the rest as is."""
    if isinstance(value, tuple) and value and isinstance(value[0], Hypothesis):
        return [{"acts": format_acts(h.acts), "confidence": h.confidence} for h in value]
    if isinstance(value, tuple):
        return format_acts(value)
    return value


def play_dialogues(
    venv: DialogueVectorEnv,
    env_id: str,
    env_kwargs: dict[str, Any],
    seed: int,
    episodes: int,
    shared: Predictor | None = None,
    per_dialogue: Callable[[int], Predictor] | None = None,
    deterministic: bool = True,
    on_episode: Callable[[PlayedDialogue], None] | None = None,
) -> list[PlayedDialogue]:
    """Play ``episodes`` dialogues in the slots of ``venv``; dialogue k with seed ``seed + k``.

    The lines do not depend on ``venv.num_envs``. Each step is one generator batch.

    Args:
        venv: The vector env (its slots are reset here).
        env_id: The environment id, for the lines.
        env_kwargs: Its arguments, for the lines.
        seed: Seed of dialogue 0.
        episodes: Dialogues to play.
        shared: One policy for every dialogue, bound to ``venv``: one batched ``predict`` per
            step (the LLM policy, a trained agent).
        per_dialogue: Otherwise, dialogue k's own policy (a built-in one seeded for it).
        deterministic: Passed to ``predict`` (``False``: a policy that can, samples).
        on_episode: Called with each dialogue as it ends (in the order they end).

    Returns:
        Every dialogue, in order of number.
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
    finished: dict[int, PlayedDialogue] = {}
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
            played = dialogue.finish(info, bool(truncated[slot]), env_id, env_kwargs, seed)
            finished[dialogue.number] = played
            if on_episode is not None:
                on_episode(played)
            number = starting[slot]
            playing[slot] = (
                None if number is None else _Dialogue(number, policy(number), venv.envs[slot])
            )
    return [finished[number] for number in range(episodes)]


def play(
    env_id: str,
    env_kwargs: dict[str, Any],
    policy: str | Callable[[DialogueVectorEnv], Policy],
    episodes: int,
    seed: int,
    num_envs: int,
    deterministic: bool = True,
    trust: bool = False,
    on_episode: Callable[[PlayedDialogue], None] | None = None,
    **shared: Any,
) -> list[PlayedDialogue]:
    """Play dialogues ``num_envs`` at a time; dialogue k with seed ``seed + k``.

    A built-in policy is built for each dialogue, seeded ``seed + k``; any other plays every
    dialogue, one batched ``predict`` per step. Either way the dialogues do not depend on
    ``num_envs``.

    Args:
        env_id: The environment id.
        env_kwargs: Its arguments (as written into the lines).
        policy: A policy name (see `load_policy`; the LLM policy is bound to the vector env) or
            a function that builds the policy for the `DialogueVectorEnv` it is given.
        episodes: Dialogues to play.
        seed: Seed of dialogue 0.
        num_envs: Dialogues played at once.
        deterministic: Passed to ``predict`` (``False``: a policy that can, samples).
        trust: Unpickle a model zip (``--trust-model``).
        on_episode: Called with each dialogue as it ends.
        **shared: Further arguments of the envs, not written into the lines (``language``: a
            generator, NLU and encoder already loaded).

    Raises:
        CommandError: the policy cannot be loaded, or cannot read the env's observations.
    """
    venv = DialogueVectorEnv(env_id, min(num_envs, episodes), **env_kwargs, **shared)
    if isinstance(policy, str) and policy in BUILTIN_POLICIES:
        load_policy(policy, venv, seed, trust)  # one that cannot play here: one line, now
        return play_dialogues(
            venv, env_id, env_kwargs, seed, episodes, deterministic=deterministic,
            per_dialogue=lambda number: load_policy(policy, venv, seed + number, trust),
            on_episode=on_episode,
        )  # fmt: skip
    chosen = load_policy(policy, venv, seed, trust) if isinstance(policy, str) else policy(venv)
    return play_dialogues(
        venv, env_id, env_kwargs, seed, episodes,
        shared=chosen, deterministic=deterministic, on_episode=on_episode,
    )  # fmt: skip


def write_dialogues(path: str, dialogues: Iterable[PlayedDialogue]) -> None:
    """Write the dialogues' lines to ``path`` (atomically), in order of number."""
    ordered = sorted(dialogues, key=lambda played: played.number)
    write_atomically(path, "".join(played.line + "\n" for played in ordered))


class KeptDialogues:
    """The dialogues finished so far, kept to be written if Ctrl-C comes (`kept_on_interrupt`)."""

    def __init__(self) -> None:
        self.finished: dict[int, PlayedDialogue] = {}
        self.interrupted = False
        """Ctrl-C was pressed (set by the handler `kept_on_interrupt` installs)."""

    def keep(self, played: PlayedDialogue) -> None:
        """Keep a dialogue that ended.

        Raises:
            KeyboardInterrupt: Ctrl-C came earlier but its exception was lost: Python drops an
                exception raised in a finaliser or a garbage-collector callback, and a long
                loop that frees many objects runs those often.
        """
        self.finished[played.number] = played
        if self.interrupted:
            raise KeyboardInterrupt


@contextmanager
def kept_on_interrupt(path: str | None, episodes: int) -> Iterator[KeptDialogues]:
    """Keep each dialogue as it ends (`KeptDialogues.keep`); on Ctrl-C they are written to ``path``.

    While the block runs (in the main thread, with Python's default Ctrl-C handler), Ctrl-C is
    also recorded, so the interruption stops the loop at the next dialogue's end even where its
    exception was dropped.

    Raises:
        Interrupted: on Ctrl-C in the block, once the dialogues kept are written (when
            ``path`` is given), saying how many and where.
    """
    kept = KeptDialogues()

    def on_ctrl_c(signum: int, frame: FrameType | None) -> None:
        kept.interrupted = True
        raise KeyboardInterrupt

    replace = (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    )
    if replace:
        signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        yield kept
    except KeyboardInterrupt:
        if path is None:
            raise
        write_dialogues(path, kept.finished.values())
        raise Interrupted(
            f"wrote the {len(kept.finished)} dialogues finished of {episodes} to {path}"
        ) from None
    finally:
        if replace:
            signal.signal(signal.SIGINT, signal.default_int_handler)
