"""Fuzz the MultiWOZ environment: a million steps of random actions, every check on each one.

Plays ``--steps`` steps (default 10^6) spread over every user configuration (ConvLab-3's user,
every combination of its fixes) and both action spaces (the summary actions, and ConvLab's
atomic acts as sparse random multi-hot vectors), half of the dialogues choosing among the
allowed actions and half among all of them (a forbidden action says nothing), from a fresh
random seed per configuration. Each step is checked: the observation lies in the observation
space and is finite, the mask is a 0/1 ``int8`` vector of the mask's size (the summary
actions' always allows the general ones), the reward is ConvLab's (−1 a turn; +80 / −40 for the last), no dialogue
outlives the user's turn cap, and a finished dialogue's ``info`` holds ConvLab's figures in
range, with success implying complete and inform recall 1. Any failure stops the run with the
configuration, seed, dialogue and step that broke (so it can be replayed); the end prints the
steps, dialogues, success rates and steps per second.

    PYTHONPATH=. .venv/bin/python benchmarks/multiwoz_fuzz.py [--steps 1000000] [--seed 0]
"""

from __future__ import annotations

import argparse
import itertools
import time
from typing import Any

import numpy as np
from gymnasium import spaces

from dialogym.envs.multiwoz_env import FIXES, MultiWozEnv
from dialogym.simulators.multiwoz_user import FIXED_USER

TURN_REWARD = -1.0
ENDINGS = (TURN_REWARD, 80.0, -40.0)
"""The rewards a step may give: a turn, a successful last turn, a failed last turn."""
FIGURES = ("complete", "inform_precision", "inform_recall", "inform_f1")


ATOMIC_SHARE = 0.02
"""The chance of each atomic act in a random atomic action (about 4 of ConvLab's 212)."""


def configurations() -> list[dict[str, Any]]:
    """Every combination of the user's fixes (on or off), with each action space."""
    combos = itertools.product(("summary", "atomic"), *[(False, True)] * len(FIXES))
    return [
        {"actions": actions, **dict(zip(FIXES, values, strict=True))} for actions, *values in combos
    ]


def random_action(env: MultiWozEnv, rng: np.random.Generator, masked: bool) -> Any:
    """A random action: among the allowed ones when ``masked``, else among all."""
    mask = env.action_masks()
    if isinstance(env.action_space, spaces.Discrete):
        allowed = np.flatnonzero(mask) if masked else np.arange(env.action_space.n)
        return int(rng.choice(allowed))
    vector = (rng.random(env.action_space.n) < ATOMIC_SHARE).astype(np.int8)
    if masked:  # MaskablePPO's MultiBinary layout: per act, [may be 0, may be 1]
        vector &= mask.reshape(-1, 2)[:, 1]
    return vector


def check_step(
    env: MultiWozEnv, observation: np.ndarray, reward: float, info: dict[str, Any]
) -> None:
    """Raise AssertionError naming the first broken property of one step."""
    assert env.observation_space.contains(observation), "observation outside its space"
    assert np.isfinite(observation).all(), "observation not finite"
    mask = info["action_mask"]
    summary = isinstance(env.action_space, spaces.Discrete)
    size = env.action_space.n * (1 if summary else 2)
    assert mask.dtype == np.int8 and mask.shape == (size,), "mask shape or dtype"
    assert set(np.unique(mask)) <= {0, 1}, "mask not 0/1"
    assert not summary or mask[-3:].all(), "a general action is masked"
    assert (mask == env.action_masks()).all(), "info's mask differs from action_masks()"
    assert reward in ENDINGS, f"reward {reward}"
    assert env.turn <= env.user_options.max_turn // 2, "the dialogue outlived the turn cap"


def check_end(info: dict[str, Any], reward: float) -> None:
    """Raise AssertionError naming the first broken property of a finished dialogue."""
    for key in FIGURES:
        value = info[key]
        assert value is None or 0.0 <= float(value) <= 1.0, f"{key} {value}"
    book_rate = info["book_rate"]
    assert book_rate is None or 0.0 <= book_rate <= 1.0, f"book_rate {book_rate}"
    assert info["is_success"] == info["success"], "is_success differs from success"
    assert (reward > 0) == bool(info["success"]), "the last reward disagrees with success"
    if info["success"]:
        assert info["complete"] and info["inform_recall"] in (None, 1.0), "success not complete"


def fuzz(options: dict[str, Any], seed: int, steps: int) -> tuple[int, int, int]:
    """Play ``steps`` random steps with one user configuration; return steps, dialogues, successes."""
    env = MultiWozEnv(**options)
    rng = np.random.default_rng(seed)
    done, dialogues, successes = 0, 0, 0
    observation, info = env.reset(seed=seed)
    while done < steps:
        action = random_action(env, rng, masked=dialogues % 2 == 0)
        try:
            observation, reward, terminated, truncated, info = env.step(action)
            check_step(env, observation, float(reward), info)
            assert not truncated, "truncated (the user's cap ends every dialogue)"
            if terminated:
                check_end(info, float(reward))
        except AssertionError as error:
            raise SystemExit(
                f"fuzz failed: {error} (options {options}, seed {seed}, dialogue {dialogues},"
                f" turn {env.turn}, action {action})"
            ) from None
        done += 1
        if terminated:
            dialogues += 1
            successes += bool(info["success"])
            observation, info = env.reset()
    return done, dialogues, successes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000, help="steps in all")
    parser.add_argument("--seed", type=int, default=0, help="first configuration's seed")
    args = parser.parse_args()
    configs = configurations()
    share = -(-args.steps // len(configs))
    began = time.perf_counter()
    total = total_dialogues = 0
    for index, options in enumerate(configs):
        steps, dialogues, successes = fuzz(options, args.seed + index, share)
        total += steps
        total_dialogues += dialogues
        fixed = [name for name in FIXES if options[name] == getattr(FIXED_USER, name)]
        user = "fixed: " + ", ".join(fixed) if fixed else "ConvLab-3's user"
        print(
            f"{options['actions']:<8} {user:<68} {steps:>7} steps {dialogues:>7} dialogues"
            f"  random success {successes / max(1, dialogues):.3f}"
        )
    seconds = time.perf_counter() - began
    print(
        f"{total} steps, {total_dialogues} dialogues, no error;"
        f" {total / seconds:,.0f} steps/s (checks included)"
    )


if __name__ == "__main__":
    main()
