"""Running a policy for many dialogues and summarising how it did."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import gymnasium as gym
import numpy as np


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
        yield (
            EpisodeResult(
                success=bool(info["success"]),
                turns=int(info["turns"]),
                episode_return=episode_return,
                hung_up=bool(info["hung_up"]),
                truncated=bool(truncated),
                goal=str(info["goal"]),
            ),
            info,
        )


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
    """Success rate with its Wilson 95% interval, average turns and return, hang-up rate."""
    count = len(results)
    successes = sum(r.success for r in results)
    return {
        "episodes": count,
        "success_rate": successes / count if count else 0.0,
        "success_ci95": wilson_interval(successes, count),
        "avg_turns": sum(r.turns for r in results) / count if count else 0.0,
        "avg_return": sum(r.episode_return for r in results) / count if count else 0.0,
        "hangup_rate": sum(r.hung_up for r in results) / count if count else 0.0,
        "truncated_rate": sum(r.truncated for r in results) / count if count else 0.0,
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
