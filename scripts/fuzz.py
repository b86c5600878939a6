"""Fuzz the environment: a million random steps across domains, profiles, error rates, masks.

Checks that nothing raises, every observation and reward is finite and in its space, every
episode ends within its turn limit, and that out-of-space actions raise a clear error.

    python scripts/fuzz.py --steps 1000000
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

import dialogym  # noqa: F401
from dialogym.domains import BUILTIN_DOMAINS

PYDIAL = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "data"
    / "pydial"
    / "CamRestaurants-rules.json"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    domains = [*BUILTIN_DOMAINS, *([str(PYDIAL)] if PYDIAL.exists() else [])]
    configs = list(
        itertools.product(domains, ["standard", "unfriendly"], [0.0, 0.15, 0.3, 0.6], [True, False])
    )
    rng = np.random.default_rng(args.seed)
    steps_per_config = args.steps // len(configs) + 1
    total = episodes = 0
    start = time.perf_counter()
    for number, (domain, user, ser, masks) in enumerate(configs):
        max_turns = int(rng.integers(1, 40))
        env = gym.make(
            "dialogym/Dialogue-v0",
            domain=domain,
            user=user,
            ser=ser,
            masks=masks,
            max_turns=max_turns,
        )
        unwrapped = env.unwrapped
        n = env.action_space.n
        for bad in (-1, n, n + 7):
            try:
                env.reset(seed=number)
                env.step(bad)
            except ValueError as error:
                assert "outside the action space" in str(error)
            else:
                raise AssertionError(f"action {bad} was accepted")
        observation, _ = env.reset(seed=int(rng.integers(2**31)))
        turns = 0
        for _ in range(steps_per_config):
            mask = unwrapped.action_masks()
            action = int(rng.choice(np.flatnonzero(mask))) if masks else int(rng.integers(n))
            observation, reward, terminated, truncated, info = env.step(action)
            turns += 1
            total += 1
            assert np.isfinite(reward), (domain, reward)
            assert observation.dtype == np.float32 and np.isfinite(observation).all()
            assert env.observation_space.contains(observation), observation
            assert turns <= max_turns
            if terminated or truncated:
                assert isinstance(info["success"], bool)
                episodes += 1
                turns = 0
                observation, _ = env.reset()
    elapsed = time.perf_counter() - start
    print(
        f"fuzz: {total} steps, {episodes} dialogues, {len(configs)} configurations, "
        f"{elapsed:.1f} s: no error, every value finite, every dialogue ended"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
