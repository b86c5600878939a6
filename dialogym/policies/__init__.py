"""Non-learning policies (handcrafted, greedy, random) and the policy protocol they share with agents."""

from __future__ import annotations

from dialogym.policies.base import BeliefRulePolicy, Policy, SingleObservationPolicy
from dialogym.policies.greedy import GreedyPolicy
from dialogym.policies.handcrafted import HandcraftedPolicy, RandomPolicy

BUILTIN_POLICIES = ("handcrafted", "greedy", "random")
"""Names `make_policy` accepts."""


def make_policy(name: str, env: object, seed: int | None = None) -> Policy:
    """Build a built-in policy by name for an environment.

    Raises:
        ValueError: unknown policy name; the message lists the known ones.
    """
    if name == "handcrafted":
        return HandcraftedPolicy.for_env(env)
    if name == "greedy":
        return GreedyPolicy.for_env(env)
    if name == "random":
        return RandomPolicy.for_env(env, seed)
    raise ValueError(
        f"policy: unknown policy {name!r}; choose one of {', '.join(BUILTIN_POLICIES)}"
    )


__all__ = [
    "BUILTIN_POLICIES",
    "BeliefRulePolicy",
    "GreedyPolicy",
    "HandcraftedPolicy",
    "Policy",
    "RandomPolicy",
    "SingleObservationPolicy",
    "make_policy",
]
