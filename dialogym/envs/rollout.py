"""Running a policy for many dialogues and summarising how it did, in either world.

Besides success, turns, return and hang-ups, every dialogue of the PyDial world is scored the
way ConvLab reports it: **inform precision, recall and F1** compare the slots the system told
the user about (the slots of its ``offer`` and ``inform`` acts, leaving out the slots the user
had constrained, whose values the user stated) with the slots the user's goal requested (the
name and the requestable slots); **booking rate** is the share of dialogues whose goal asks for
a booking in which the system booked a fitting entity with the wanted details.

A dialogue of the MultiWOZ world (`MultiWozEnv`) is scored by ConvLab's own evaluator
(`dialogym.envs.multiwoz_evaluation`), and summarised as `summarise` does: ``complete_rate``,
``book_rate`` (ConvLab's: the mean share of constraints the booked entities meet) and inform
precision, recall and F1 (means over the dialogues where they are defined), beside success,
turns and return; ``booking_rate`` is the share of dialogues with a booking to make in which
every booked entity met every constraint (ConvLab's book rate of 1), ``capped_rate`` the share
the user's turn cap ended. A policy that speaks acts itself (`ActsPolicy`, ConvLab's rule
policy) plays through the env's ``step_acts``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import gymnasium as gym
import numpy as np

from dialogym.acts import INFORM, OFFER, UnifiedAct
from dialogym.domains import DONTCARE
from dialogym.envs.multiwoz_env import MultiWozEnv
from dialogym.envs.multiwoz_world import MultiWozOutcome, summarise
from dialogym.randomness import RandomStream
from dialogym.simulators.multiwoz_goals import MultiWozGoal
from dialogym.tracking.multiwoz_dst import MultiWozState


class Predictor(Protocol):
    """Anything with SB3's ``predict`` that accepts ``action_masks`` (dialogym policies, MaskablePPO)."""

    def predict(
        self,
        observation: np.ndarray,
        state: Any = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = True,
        action_masks: np.ndarray | None = None,
    ) -> tuple[np.ndarray, Any]:
        """Choose an action."""
        ...


class ActsPolicy(ABC):
    """A policy that says the system's acts itself instead of choosing a summary action.

    ConvLab's ``act(state) -> acts``, with a reset (the world's `MultiWozSystem`). The rollout
    plays it through the env's `MultiWozEnv.step_acts`, starting each dialogue with `reset` on
    the env's system stream (`MultiWozEnv.system_random`), so that it plays through the env as
    `dialogym.envs.multiwoz_world.play` plays it in the world.
    """

    @abstractmethod
    def reset(self, random: RandomStream) -> None:
        """Start a new dialogue, drawing from ``random`` from now on."""

    @abstractmethod
    def act(self, state: MultiWozState) -> Sequence[UnifiedAct]:
        """The system's acts for the user's latest turn, in ConvLab's unified form."""


RolloutPolicy = Predictor | ActsPolicy
"""What the rollout plays: a policy that chooses summary actions, or one that speaks acts."""


@dataclass(frozen=True)
class EpisodeResult:
    """How one dialogue went."""

    success: bool
    turns: int
    episode_return: float
    hung_up: bool
    truncated: bool
    goal: str
    requested: frozenset[str] = field(default_factory=frozenset)
    """Slots the user's goal asked about."""
    informed: frozenset[str] = field(default_factory=frozenset)
    """Slots the system told the user about (user-constrained slots left out)."""
    wants_booking: bool = False
    """Whether the goal asked for a booking."""
    booked: bool = False
    """Whether the booking part of success held (only meaningful when ``wants_booking``)."""
    success_parts: Mapping[str, bool] = field(default_factory=dict)
    """The parts of the success verdict (``info["success_parts"]``)."""
    outcome: MultiWozOutcome | None = None
    """A MultiWOZ dialogue's figures as ConvLab's evaluator gives them; None in PyDial's world."""


def play_episode(
    env: gym.Env,
    policy: RolloutPolicy,
    seed: int | None = None,
    on_turn: Callable[[dict[str, Any]], None] | None = None,
    deterministic: bool = True,
) -> tuple[EpisodeResult, dict[str, Any]]:
    """Play one dialogue from ``env.reset(seed=seed)``; return its result and last ``info``.

    A policy that chooses summary actions is given the env's mask where the env has masks; one
    that speaks acts (`ActsPolicy`) is reset on the env's system stream and its acts are
    carried out with the env's ``step_acts``.

    Args:
        env: The env (wrapped or not).
        policy: The policy.
        seed: The reset's seed (None: the env's next dialogue).
        on_turn: Called with the reset's ``info``, then with each step's.
        deterministic: Passed to ``predict`` (``False``: a policy that can, samples).

    Raises:
        ValueError: an `ActsPolicy` on an env that cannot carry acts out (one line).
    """
    unwrapped: Any = env.unwrapped
    speaks = isinstance(policy, ActsPolicy)
    if speaks and not isinstance(unwrapped, MultiWozEnv):
        raise ValueError(
            f"{type(policy).__name__} speaks acts, which only the MultiWOZ world's env carries out"
            f" (step_acts); this env is a {type(unwrapped).__name__}"
        )
    observation, info = env.reset(seed=seed)
    if on_turn is not None:
        on_turn(info)
    if isinstance(policy, ActsPolicy):
        policy.reset(unwrapped.system_random)
    masked = getattr(unwrapped, "masks", False)
    episode_return = 0.0
    while True:
        if isinstance(policy, ActsPolicy):
            step = unwrapped.step_acts(policy.act(unwrapped.state))
        else:
            mask = unwrapped.action_masks() if masked else None
            action, _ = policy.predict(observation, deterministic=deterministic, action_masks=mask)
            step = env.step(action)
        observation, reward, terminated, truncated, info = step
        episode_return += float(reward)
        if on_turn is not None:
            on_turn(info)
        if terminated or truncated:
            break
    if isinstance(unwrapped, MultiWozEnv):
        goal = unwrapped.goal
        assert goal is not None  # a dialogue has just been played
        result = multiwoz_result(unwrapped.world.outcome(), goal, truncated, episode_return)
    else:
        result = dialogue_result(
            unwrapped.goal, unwrapped.transcript, info, truncated, episode_return
        )
    return result, info


def run_episodes(
    env: gym.Env, policy: RolloutPolicy, episodes: int, seed: int | None = None
) -> Iterator[tuple[EpisodeResult, dict[str, Any]]]:
    """Play ``episodes`` dialogues; yield each result with the final step's ``info``.

    The env is seeded once, at the first reset, so the whole run is determined by ``seed``
    (on a `MultiWozEnv`, dialogue k is the world's dialogue ``(seed, k)``, as `play` plays it).
    """
    for episode in range(episodes):
        yield play_episode(env, policy, seed if episode == 0 else None)


def dialogue_result(
    goal: Any,
    transcript: Iterable[Any],
    info: Mapping[str, Any],
    truncated: bool,
    episode_return: float,
) -> EpisodeResult:
    """How a dialogue of the PyDial world went (a `DialogueEnv`'s goal, transcript, last info)."""
    return EpisodeResult(
        success=bool(info["success"]),
        turns=int(info["turns"]),
        episode_return=episode_return,
        hung_up=bool(info["hung_up"]),
        truncated=bool(truncated),
        goal=str(info["goal"]),
        requested=frozenset(goal.requests),
        informed=informed_slots(transcript, goal.constraints),
        wants_booking=bool(goal.booking),
        booked=bool(info["success_parts"]["booking"]),
        success_parts=info["success_parts"],
    )


def multiwoz_result(
    outcome: MultiWozOutcome, goal: MultiWozGoal, truncated: bool, episode_return: float
) -> EpisodeResult:
    """How a dialogue of the MultiWOZ world went, from the world's outcome.

    Its goal wants a booking when ConvLab's book rate is defined, and the booking holds when
    that rate is 1 (every booked entity meets every constraint).
    """
    evaluation = outcome.evaluation
    return EpisodeResult(
        success=evaluation.success,
        turns=evaluation.turns,
        episode_return=episode_return,
        hung_up=False,
        truncated=truncated,
        goal=goal.describe(),
        wants_booking=evaluation.book_rate is not None,
        booked=evaluation.book_rate == 1.0,
        outcome=outcome,
    )


def informed_slots(transcript: Iterable[Any], constraints: Mapping[str, str]) -> frozenset[str]:
    """Slots of the system's ``offer`` and ``inform`` acts, less the slots the user constrained.

    Args:
        transcript: The env's turns (anything with ``system_acts``).
        constraints: The goal's constraints; slots with a real value (not ``dontcare``) are the
            user's own words, so restating them is neither a hit nor a false alarm.
    """
    stated = {slot for slot, value in constraints.items() if value != DONTCARE}
    return frozenset(
        act.slot
        for turn in transcript
        for act in turn.system_acts
        if act.type in (OFFER, INFORM) and act.slot is not None and act.slot not in stated
    )


def inform_scores(results: Sequence[EpisodeResult]) -> dict[str, float]:
    """ConvLab's inform precision, recall and F1, micro-averaged over dialogues.

    >>> r = EpisodeResult(True, 3, 17.0, False, False, "", frozenset({"name", "phone"}),
    ...                   frozenset({"name", "area"}))
    >>> inform_scores([r])
    {'inform_precision': 0.5, 'inform_recall': 0.5, 'inform_f1': 0.5}
    """
    hits = sum(len(r.requested & r.informed) for r in results)
    told = sum(len(r.informed) for r in results)
    asked = sum(len(r.requested) for r in results)
    precision = hits / told if told else 0.0
    recall = hits / asked if asked else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"inform_precision": precision, "inform_recall": recall, "inform_f1": f1}


def wilson_interval(successes: int, trials: int, z: float = 1.959963984540054) -> list[float]:
    """The Wilson score interval for a success rate (95% by default).

    >>> [round(x, 3) for x in wilson_interval(95, 100)]
    [0.888, 0.978]
    """
    if trials == 0:
        return [0.0, 1.0]
    rate = successes / trials
    denominator = 1.0 + z * z / trials
    centre = (rate + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(rate * (1 - rate) / trials + z * z / (4 * trials * trials)) / denominator
    return [max(0.0, centre - half), min(1.0, centre + half)]


MULTIWOZ_FIGURES = ("complete_rate", "book_rate", "inform_precision", "inform_recall", "inform_f1")
"""ConvLab's figures in the summary of MultiWOZ dialogues (beside success, turns and return);
each is None when no dialogue defines it."""


def multiwoz_figures(summary: Mapping[str, Any]) -> dict[str, Any]:
    """ConvLab's figures of a summary of MultiWOZ dialogues (`MULTIWOZ_FIGURES`).

    Empty for a summary of the PyDial world (whose inform scores are its own, micro-averaged).
    """
    if "complete_rate" not in summary:
        return {}
    return {key: summary[key] for key in MULTIWOZ_FIGURES}


def summarize(results: list[EpisodeResult]) -> dict[str, Any]:
    """Summarise dialogues: success, turns, return, hang-ups, inform scores, bookings.

    Returns the success rate with its Wilson 95% interval, average turns and return, hang-up and
    truncation rates, inform precision/recall/F1, and the booking rate (``None`` when no goal
    asked for a booking). Dialogues of the MultiWOZ world have no hang-ups; theirs are the
    truncation rate, the share the user's turn cap ended (``capped_rate``), ConvLab's figures
    as `summarise` gives them (`MULTIWOZ_FIGURES`) and the booking rate.

    Raises:
        ValueError: ``results`` mixes the two worlds.
    """
    count = len(results)
    successes = sum(r.success for r in results)
    bookings = [r.booked for r in results if r.wants_booking]
    common = {
        "episodes": count,
        "success_rate": successes / count if count else 0.0,
        "success_ci95": wilson_interval(successes, count),
        "avg_turns": sum(r.turns for r in results) / count if count else 0.0,
        "avg_return": sum(r.episode_return for r in results) / count if count else 0.0,
    }
    truncated_rate = sum(r.truncated for r in results) / count if count else 0.0
    booking_rate = sum(bookings) / len(bookings) if bookings else None
    outcomes = [r.outcome for r in results if r.outcome is not None]
    if not outcomes:
        return {
            **common,
            "hangup_rate": sum(r.hung_up for r in results) / count if count else 0.0,
            "truncated_rate": truncated_rate,
            **inform_scores(results),
            "booking_rate": booking_rate,
        }
    if len(outcomes) != count:
        raise ValueError("summarize: the results mix dialogues of the PyDial and MultiWOZ worlds")
    convlab = summarise(outcomes)
    return {
        **common,
        "truncated_rate": truncated_rate,
        "capped_rate": sum(o.capped for o in outcomes) / count,
        "complete_rate": convlab.complete,
        "book_rate": convlab.book_rate,
        "inform_precision": convlab.inform_precision,
        "inform_recall": convlab.inform_recall,
        "inform_f1": convlab.inform_f1,
        "booking_rate": booking_rate,
    }


def evaluate(
    env: gym.Env,
    policy: RolloutPolicy,
    episodes: int,
    seed: int | None = None,
    on_episode: Callable[[EpisodeResult], None] | None = None,
) -> tuple[dict[str, Any], list[EpisodeResult]]:
    """Play ``episodes`` dialogues and return the summary and the per-episode results."""
    results = []
    for result, _ in run_episodes(env, policy, episodes, seed):
        results.append(result)
        if on_episode is not None:
            on_episode(result)
    return summarize(results), results
