"""Single-process environment speed with belief observations, per built-in domain and policy.

Prints steps per second for the whole loop (policy + env) and for the env alone (time inside
``reset``/``step`` only), on one core. Reference: ConvLab-3's semantic-level loop was measured
on this kind of machine at about 640 environment steps/s per core.

    python benchmarks/env_speed.py [--steps 200000]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import gymnasium as gym

import dialogym  # noqa: F401
from dialogym.domains import BUILTIN_DOMAINS
from dialogym.policies import make_policy

CONVLAB3_STEPS_PER_SECOND = 640.0
PYDIAL = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "data"
    / "pydial"
    / "CamRestaurants-rules.json"
)


def measure(domain: str, policy_name: str, steps: int, **env_kwargs: object) -> tuple[float, float]:
    """Return (loop steps/s, env-only steps/s)."""
    env = gym.make("dialogym/Dialogue-v0", domain=domain, **env_kwargs)
    unwrapped = env.unwrapped
    policy = make_policy(policy_name, env, seed=0)
    clock = time.perf_counter
    observation, _ = env.reset(seed=0)
    in_env = 0.0
    start = clock()
    for _ in range(steps):
        action, _ = policy.predict(observation, action_masks=unwrapped.action_masks())
        before = clock()
        observation, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            observation, _ = env.reset()
        in_env += clock() - before
    return steps / (clock() - start), steps / in_env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200_000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    domains = [*BUILTIN_DOMAINS, *([str(PYDIAL)] if PYDIAL.exists() else [])]
    print(
        f"{'domain':<16} {'policy':<12} {'ser':>5} {'loop steps/s':>13} {'env steps/s':>12} {'vs ConvLab-3':>13}"
    )
    for domain in domains:
        for ser in (0.0, 0.15):
            for policy_name in ("random", "handcrafted"):
                loop, env_only = measure(domain, policy_name, args.steps, ser=ser)
                name = Path(domain).stem if "/" in domain else domain
                print(
                    f"{name:<16} {policy_name:<12} {ser:>5.2f} {loop:>13,.0f} {env_only:>12,.0f} "
                    f"{env_only / CONVLAB3_STEPS_PER_SECOND:>12.0f}x",
                    flush=True,
                )


if __name__ == "__main__":
    main()
