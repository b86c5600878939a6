"""Fuzz the environment: a million random steps over every PyDial task on every domain.

The 18 PyDial benchmark tasks (PyDial's CamRestaurants, SFRestaurants and Laptops11, each with
the registered ids dialogym/PyDialEnv1..6-v0) and the same six tasks on the built-in domains,
plus one harsher setting per domain (unfriendly user, 60% semantic errors, no masks, a random
turn limit). Random actions: among the allowed ones where masks are on, any action otherwise.
Checks that nothing raises, every observation and reward is finite and in its space, every
dialogue ends within its turn limit with a boolean verdict, and that out-of-space actions raise
a clear error.

    python scripts/fuzz.py [--steps 1000000] [--seed 0] [--shared ../shared/data]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import dialogym  # noqa: F401
from dialogym.domains import BUILTIN_DOMAINS
from dialogym.envs.registration import PYDIAL_TASKS

PYDIAL_DOMAINS = ("CamRestaurants", "SFRestaurants", "Laptops11")
DEFAULT_SHARED = Path(
    os.environ.get("DIALOGYM_SHARED_DATA")
    or Path(__file__).resolve().parents[1].parent / "shared" / "data"
)
"""Where the tests look too: ``$DIALOGYM_SHARED_DATA``, else ``../shared/data`` beside the clone."""


def configurations(
    domains: list[str], rng: np.random.Generator
) -> list[tuple[str, dict[str, Any]]]:
    """(env id, keyword arguments) of every task on every domain, and one harsh setting each."""
    configs: list[tuple[str, dict[str, Any]]] = []
    for domain in domains:
        configs += [(env_id, {"domain": domain}) for env_id in PYDIAL_TASKS]
        harsh = {"user": "unfriendly", "ser": 0.6, "masks": False}
        configs.append(
            ("dialogym/Dialogue-v0", {"domain": domain, **harsh, "max_turns": int(rng.integers(1, 40))})
        )  # fmt: skip
    return configs


def fuzz(
    env_id: str, kwargs: dict[str, Any], steps: int, seed: int, rng: np.random.Generator
) -> int:
    """Run ``steps`` random steps on one configuration; return the dialogues finished."""
    env = gym.make(env_id, **kwargs)
    unwrapped = env.unwrapped
    masks = bool(unwrapped.masks)
    max_turns = int(unwrapped.max_turns)
    n = int(env.action_space.n)
    for bad in (-1, n, n + 7):
        env.reset(seed=seed)
        try:
            env.step(bad)
        except ValueError as error:
            assert "outside the action space" in str(error)
        else:
            raise AssertionError(f"{env_id} {kwargs}: action {bad} was accepted")
    observation, _ = env.reset(seed=int(rng.integers(2**31)))
    turns = episodes = 0
    for _ in range(steps):
        mask = unwrapped.action_masks()
        assert mask.any(), (env_id, kwargs, "no action allowed")
        action = int(rng.choice(np.flatnonzero(mask))) if masks else int(rng.integers(n))
        observation, reward, terminated, truncated, info = env.step(action)
        turns += 1
        assert np.isfinite(reward), (env_id, kwargs, reward)
        assert observation.dtype == np.float32 and np.isfinite(observation).all()
        assert env.observation_space.contains(observation), (env_id, kwargs, observation)
        assert turns <= max_turns, (env_id, kwargs, turns)
        if terminated or truncated:
            assert isinstance(info["success"], bool), (env_id, kwargs, info)
            episodes += 1
            turns = 0
            observation, _ = env.reset()
    env.close()
    return episodes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000, help="steps in total")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--shared", type=Path, default=DEFAULT_SHARED,
        help="the shared data folder (PyDial's domains under pydial/); default $DIALOGYM_SHARED_DATA or ../shared/data",
    )  # fmt: skip
    args = parser.parse_args()
    pydial = [args.shared / "pydial" / f"{name}-rules.json" for name in PYDIAL_DOMAINS]
    missing = [path for path in pydial if not path.exists()]
    if missing:
        print(f"fuzz: not found, left out: {', '.join(map(str, missing))}", file=sys.stderr)
    domains = [*BUILTIN_DOMAINS, *(str(path) for path in pydial if path.exists())]
    rng = np.random.default_rng(args.seed)
    configs = configurations(domains, rng)
    per_config = -(-args.steps // len(configs))
    start = time.perf_counter()
    episodes = 0
    for number, (env_id, kwargs) in enumerate(configs):
        episodes += fuzz(env_id, kwargs, per_config, args.seed + number, rng)
    elapsed = time.perf_counter() - start
    tasks = (len(domains) - len(BUILTIN_DOMAINS)) * len(PYDIAL_TASKS)
    print(
        f"fuzz: {per_config * len(configs):,} steps, {episodes:,} dialogues, {len(configs)}"
        f" configurations ({tasks} PyDial tasks on PyDial's domains), {elapsed:.1f} s:"
        " no error, every value finite, every dialogue ended"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
