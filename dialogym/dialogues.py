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

**The MultiWOZ world** (`play_multiwoz`; ``dialogym/MultiWOZ-v0`` and the like). Its dialogues
are played one at a time (nothing there is batched), dialogue k from ``reset(seed=seed + k)``,
and a line holds ``episode``, ``env``, ``env_kwargs``, ``seed`` as above; ``goal``, the user's
goal as ConvLab writes it (``{domain: {"info", "reqt", "book", ...}, "domain_ordering"}``,
`MultiWozGoal.to_convlab`); the verdict as ConvLab's evaluator gives it (``success``,
``complete``, ``book_rate``, ``inform_precision``, ``inform_recall``, ``inform_f1``; the last
four null where undefined), ``turns``, ``return``, ``truncated`` and ``capped`` (the user's turn
cap ended it); and ``transcript``, one object per turn with ``turn``, ``action`` (the summary
action's name, ``start`` for the opening, null for acts a policy said itself), ``system_acts``
and ``user_acts`` (unified acts, each ``[intent, domain, slot, value]``), ``reward`` and
``belief`` (the system's belief after the turn: domain to slot to value, the slots with a value).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import gymnasium as gym
import numpy as np

from dialogym.acts import Hypothesis, format_acts
from dialogym.cli import CommandError, Interrupted, make_env, write_atomically
from dialogym.envs.dialogue import DialogueEnv, Turn
from dialogym.envs.multiwoz_env import MultiWozEnv, MultiWozExchange
from dialogym.envs.registration import is_multiwoz
from dialogym.envs.rollout import (
    ActsPolicy,
    EpisodeResult,
    Predictor,
    RolloutPolicy,
    dialogue_result,
    play_episode,
)
from dialogym.envs.vector import DialogueVectorEnv
from dialogym.interrupts import CtrlC, recording_ctrl_c
from dialogym.models import ModelError
from dialogym.policies import BUILTIN_POLICIES, LLM_POLICY, is_llm_policy, make_policy
from dialogym.tracking.multiwoz_dst import MultiWozState

DIALOGUE_KEYS = frozenset({"episode", "transcript"})
"""Keys that make an existing JSONL file a transcript or corpus of ours (see `check_output`)."""


def load_policy(name: str, env: Any, seed: int, trust: bool = False) -> RolloutPolicy:
    """A built-in policy by name, the LLM policy, or a trained agent from its ``.zip`` file.

    ``env`` is a (wrapped) `DialogueEnv` or `MultiWozEnv`, or a `DialogueVectorEnv`: the LLM
    policy is bound to all of its dialogues, the others are built for its first. The zip is
    unpickled only if ``trust`` (``--trust-model``); see `AgentPolicy.load`.

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
    """Its line, as the module's docstring says (no newline)."""
    fallbacks: int
    """Sentences the generator's check rejected."""
    goal: Any
    """The user's goal (anything with ``describe()``)."""
    transcript: Sequence[Turn | MultiWozExchange]

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

    def finish(
        self,
        info: dict[str, Any],
        truncated: bool,
        env_id: str,
        env_kwargs: dict[str, Any],
        seed: int,
    ) -> PlayedDialogue:
        """The finished dialogue, from its last step's info."""
        result = dialogue_result(self.goal, self.transcript, info, truncated, self.episode_return)
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
    first: int = 0,
) -> list[PlayedDialogue]:
    """Play ``episodes`` dialogues in the slots of ``venv``; dialogue k with seed ``seed + k``.

    The lines do not depend on ``venv.num_envs``, nor on ``first``. Each step is one generator
    batch.

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
        first: The number of the first dialogue: dialogues ``first`` to ``first + episodes - 1``
            are played (a shard of a larger corpus, as they are in the whole corpus).

    Returns:
        Every dialogue, in order of number.
    """
    if (shared is None) == (per_dialogue is None):
        raise ValueError("play_dialogues: give exactly one of shared and per_dialogue")

    def policy(number: int) -> Predictor:
        return shared if shared is not None else per_dialogue(number)  # type: ignore[misc]

    observations, _ = venv.reset_lists([seed + first + i for i in range(venv.num_envs)])
    playing: list[_Dialogue | None] = [
        _Dialogue(first + i, policy(first + i), slot) for i, slot in enumerate(venv.envs)
    ]
    numbers = iter(range(first + venv.num_envs, first + episodes))
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
    return [finished[number] for number in range(first, first + episodes)]


def play(
    env_id: str,
    env_kwargs: dict[str, Any],
    policy: str | Callable[[DialogueVectorEnv], Predictor],
    episodes: int,
    seed: int,
    num_envs: int,
    deterministic: bool = True,
    trust: bool = False,
    on_episode: Callable[[PlayedDialogue], None] | None = None,
    first: int = 0,
    **shared: Any,
) -> list[PlayedDialogue]:
    """Play dialogues ``num_envs`` at a time; dialogue k with seed ``seed + k``.

    A built-in policy is built for each dialogue, seeded ``seed + k``; any other plays every
    dialogue, one batched ``predict`` per step. Either way the dialogues do not depend on
    ``num_envs``, nor on ``first``: dialogue k is the same whether the whole corpus is played
    at once or in shards (``simulate --ray``). The MultiWOZ world's are played by
    `play_multiwoz` (one at a time; a policy given by name).

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
        first: The number of the first dialogue: dialogues ``first`` to ``first + episodes - 1``
            are played.
        **shared: Further arguments of the envs, not written into the lines (``language``: a
            generator, NLU and encoder already loaded).

    Raises:
        CommandError: the policy cannot be loaded, or cannot read the env's observations.
    """
    if is_multiwoz(env_id):
        if not isinstance(policy, str):
            raise CommandError(f"--env: {env_id}: its dialogues are played by a policy's name")
        return play_multiwoz(
            env_id, env_kwargs, policy, episodes, seed, deterministic, trust, on_episode, first
        )
    venv = DialogueVectorEnv(env_id, min(num_envs, episodes), **env_kwargs, **shared)

    def choosing(name: str, policy_seed: int) -> Predictor:
        chosen = load_policy(name, venv, policy_seed, trust)
        if isinstance(chosen, ActsPolicy):  # none of the PyDial world's policies speaks acts
            raise CommandError(f"--policy: {name} speaks acts, which {env_id} does not take")
        return chosen

    if isinstance(policy, str) and policy in BUILTIN_POLICIES:
        choosing(policy, seed)  # one that cannot play here: one line, now
        return play_dialogues(
            venv, env_id, env_kwargs, seed, episodes, deterministic=deterministic,
            per_dialogue=lambda number: choosing(policy, seed + number), on_episode=on_episode,
            first=first,
        )  # fmt: skip
    chosen = choosing(policy, seed) if isinstance(policy, str) else policy(venv)
    return play_dialogues(
        venv, env_id, env_kwargs, seed, episodes,
        shared=chosen, deterministic=deterministic, on_episode=on_episode, first=first,
    )  # fmt: skip


def shared_arguments(env_id: str, env_kwargs: dict[str, Any]) -> dict[str, Any]:
    """Build the env once, so that a bad id or argument is one line now; what `play` shares.

    The PyDial world's envs share its language layer (generator, NLU and encoder, loaded once:
    ``language``); the MultiWOZ world's share nothing.

    Raises:
        CommandError: the id or an argument is bad (one line).
    """
    unwrapped = make_env(env_id, env_kwargs).unwrapped
    return {"language": unwrapped.language} if isinstance(unwrapped, DialogueEnv) else {}


def play_multiwoz(
    env_id: str,
    env_kwargs: dict[str, Any],
    policy: str,
    episodes: int,
    seed: int,
    deterministic: bool = True,
    trust: bool = False,
    on_episode: Callable[[PlayedDialogue], None] | None = None,
    first: int = 0,
) -> list[PlayedDialogue]:
    """Play dialogues of the MultiWOZ world one at a time; dialogue k from ``reset(seed=seed + k)``.

    A built-in policy is built for each dialogue, seeded ``seed + k`` (``handcrafted``, which
    speaks acts, draws from the dialogue's system stream); a model plays every dialogue. The
    lines are as the module's docstring says. Dialogues ``first`` to ``first + episodes - 1``
    are played.

    Raises:
        CommandError: the policy cannot be loaded, or does not play this world (one line).
    """
    env = gym.make(env_id, **env_kwargs)
    unwrapped = env.unwrapped
    assert isinstance(unwrapped, MultiWozEnv)
    shared = load_policy(policy, env, seed, trust)  # one that cannot play here: one line, now
    builtin = policy in BUILTIN_POLICIES
    played = []
    for number in range(first, first + episodes):
        chosen = load_policy(policy, env, seed + number, trust) if builtin else shared
        beliefs: list[dict[str, dict[str, str]]] = []
        keep = partial(_keep_belief, beliefs, unwrapped)
        result, _ = play_episode(env, chosen, seed + number, keep, deterministic)
        line = _multiwoz_line(unwrapped, result, beliefs, number, env_id, env_kwargs, seed)
        dialogue = PlayedDialogue(
            number, result, line, 0, unwrapped.goal, list(unwrapped.transcript)
        )
        played.append(dialogue)
        if on_episode is not None:
            on_episode(dialogue)
    return played


def _multiwoz_line(
    env: MultiWozEnv,
    result: EpisodeResult,
    beliefs: Sequence[dict[str, dict[str, str]]],
    number: int,
    env_id: str,
    env_kwargs: dict[str, Any],
    seed: int,
) -> str:
    """The line of the MultiWOZ dialogue ``env`` has just played (see the module's docstring)."""
    assert result.outcome is not None and env.goal is not None
    evaluation = result.outcome.evaluation
    turns = [
        {
            "turn": turn.turn,
            "action": turn.action,
            "system_acts": [list(act) for act in turn.system_acts],
            "user_acts": [list(act) for act in turn.user_acts],
            "reward": turn.reward,
            "belief": belief,
        }
        for turn, belief in zip(env.transcript, beliefs, strict=True)
    ]
    record = {
        "episode": number,
        "env": env_id,
        "env_kwargs": env_kwargs,
        "seed": seed + number,
        "goal": env.goal.to_convlab(),
        "success": evaluation.success,
        "complete": evaluation.complete,
        "book_rate": evaluation.book_rate,
        "inform_precision": evaluation.inform_precision,
        "inform_recall": evaluation.inform_recall,
        "inform_f1": evaluation.inform_f1,
        "turns": result.turns,
        "return": result.episode_return,
        "truncated": result.truncated,
        "capped": result.outcome.capped,
        "transcript": turns,
    }
    return json.dumps(record, ensure_ascii=False)


def _keep_belief(
    beliefs: list[dict[str, dict[str, str]]], env: MultiWozEnv, info: dict[str, Any]
) -> None:
    """After the reset and each step: keep the belief it left (`_stated`)."""
    beliefs.append(_stated(env.state))


def _stated(state: MultiWozState) -> dict[str, dict[str, str]]:
    """The belief's slots that hold a value, domain by domain (domains with none left out)."""
    return {
        domain: {slot: value for slot, value in slots.items() if value}
        for domain, slots in state.belief.items()
        if any(slots.values())
    }


def write_dialogues(path: str, dialogues: Iterable[PlayedDialogue]) -> None:
    """Write the dialogues' lines to ``path`` (atomically), in order of number."""
    ordered = sorted(dialogues, key=lambda played: played.number)
    write_atomically(path, "".join(played.line + "\n" for played in ordered))


class KeptDialogues:
    """The dialogues finished so far, kept to be written if Ctrl-C comes (`kept_on_interrupt`)."""

    def __init__(self, ctrl_c: CtrlC | None = None) -> None:
        self.finished: dict[int, PlayedDialogue] = {}
        self.ctrl_c = ctrl_c or CtrlC()
        """Whether Ctrl-C was pressed (recorded by `kept_on_interrupt`)."""

    def keep(self, played: PlayedDialogue) -> None:
        """Keep a dialogue that ended.

        Raises:
            KeyboardInterrupt: Ctrl-C came earlier but its exception was lost
                (`dialogym.interrupts`).
        """
        self.finished[played.number] = played
        self.ctrl_c.stop_if_pressed()


@contextmanager
def kept_on_interrupt(
    path: str | None,
    episodes: int,
    write: Callable[[str, Iterable[PlayedDialogue]], None] = write_dialogues,
) -> Iterator[KeptDialogues]:
    """Keep each dialogue as it ends (`KeptDialogues.keep`); on Ctrl-C they are written to ``path``.

    ``write`` writes them (default: dialogym's JSONL, `write_dialogues`).

    While the block runs (in the main thread, with Python's default Ctrl-C handler), Ctrl-C is
    also recorded, so the interruption stops the loop at the next dialogue's end even where its
    exception was dropped.

    Raises:
        Interrupted: on Ctrl-C in the block, once the dialogues kept are written (when
            ``path`` is given), saying how many and where.
    """
    with recording_ctrl_c() as ctrl_c:
        kept = KeptDialogues(ctrl_c)
        try:
            yield kept
        except KeyboardInterrupt:
            if path is None:
                raise
            write(path, kept.finished.values())
            raise Interrupted(
                f"wrote the {len(kept.finished)} dialogues finished of {episodes} to {path}"
            ) from None
