"""Running a policy for many dialogues and summarising how it did.

Besides success, turns, return and hang-ups, every dialogue is scored the way ConvLab reports
it: **inform precision, recall and F1** compare the slots the system told the user about (the
slots of its ``offer`` and ``inform`` acts, leaving out the slots the user had constrained, whose
values the user stated) with the slots the user's goal requested (the name and the requestable
slots); **booking rate** is the share of dialogues whose goal asks for a booking in which the
system booked a fitting entity with the wanted details.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import gymnasium as gym
import numpy as np

from dialogym.acts import INFORM, OFFER
from dialogym.domains import DONTCARE


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


def run_episodes(
    env: gym.Env, policy: Predictor, episodes: int, seed: int | None = None
) -> Iterator[tuple[EpisodeResult, dict[str, Any]]]:
    """Play ``episodes`` dialogues; yield each result with the final step's ``info``.

    The env is seeded once, at the first reset, so the whole run is determined by ``seed``.
    """
    unwrapped = env.unwrapped
    masked = getattr(unwrapped, "masks", False)
    for episode in range(episodes):
        observation, info = env.reset(seed=seed if episode == 0 else None)
        episode_return = 0.0
        while True:
            mask = unwrapped.action_masks() if masked else None  # type: ignore[attr-defined]
            action, _ = policy.predict(observation, deterministic=True, action_masks=mask)
            observation, reward, terminated, truncated, info = env.step(action)
            episode_return += float(reward)
            if terminated or truncated:
                break
        goal = unwrapped.goal  # type: ignore[attr-defined]
        yield (
            EpisodeResult(
                success=bool(info["success"]),
                turns=int(info["turns"]),
                episode_return=episode_return,
                hung_up=bool(info["hung_up"]),
                truncated=bool(truncated),
                goal=str(info["goal"]),
                requested=frozenset(goal.requests),
                informed=informed_slots(unwrapped.transcript, goal.constraints),  # type: ignore[attr-defined]
                wants_booking=bool(goal.booking),
                booked=bool(info["success_parts"]["booking"]),
                success_parts=info["success_parts"],
            ),
            info,
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


def summarize(results: list[EpisodeResult]) -> dict[str, Any]:
    """Summarise dialogues: success, turns, return, hang-ups, inform scores, bookings.

    Returns the success rate with its Wilson 95% interval, average turns and return, hang-up and
    truncation rates, inform precision/recall/F1, and the booking rate (``None`` when no goal
    asked for a booking).
    """
    count = len(results)
    successes = sum(r.success for r in results)
    bookings = [r.booked for r in results if r.wants_booking]
    return {
        "episodes": count,
        "success_rate": successes / count if count else 0.0,
        "success_ci95": wilson_interval(successes, count),
        "avg_turns": sum(r.turns for r in results) / count if count else 0.0,
        "avg_return": sum(r.episode_return for r in results) / count if count else 0.0,
        "hangup_rate": sum(r.hung_up for r in results) / count if count else 0.0,
        "truncated_rate": sum(r.truncated for r in results) / count if count else 0.0,
        **inform_scores(results),
        "booking_rate": sum(bookings) / len(bookings) if bookings else None,
    }


def evaluate(
    env: gym.Env,
    policy: Predictor,
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
