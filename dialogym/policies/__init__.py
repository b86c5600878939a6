"""Policies that are not SB3 agents (handcrafted, greedy, random, the LLM policy) and their protocol.

The LLM policy (`dialogym.policies.llm`) loads torch and transformers only when it is asked for.
"""

from __future__ import annotations

from dialogym.policies.base import BeliefRulePolicy, Policy, SingleObservationPolicy
from dialogym.policies.greedy import GreedyPolicy
from dialogym.policies.handcrafted import HandcraftedPolicy, RandomPolicy

BUILTIN_POLICIES = ("handcrafted", "greedy", "random")
"""Names of the rule policies `make_policy` accepts."""
LLM_POLICY = "llm"
"""``llm`` is the LLM policy with the default model; ``llm:MODEL`` names the model (a known
name, a transformers directory, or a directory written by ``dialogym finetune``)."""


def is_llm_policy(name: str) -> bool:
    """Whether a policy name asks for the LLM policy (``llm`` or ``llm:MODEL``).

    >>> is_llm_policy("llm"), is_llm_policy("llm:runs/ft"), is_llm_policy("handcrafted")
    (True, True, False)
    """
    return name == LLM_POLICY or name.startswith(LLM_POLICY + ":")


def make_policy(name: str, env: object, seed: int | None = None, trust: bool = False) -> Policy:
    """Build a built-in policy by name for an environment.

    ``llm`` / ``llm:MODEL`` bind the LLM policy to ``env``'s dialogues (a `DialogueEnv` or a
    `DialogueVectorEnv`); ``seed`` seeds its sampling; ``trust`` (``--trust-model``) lifts the
    checks on the model's files (`dialogym.models.load_pretrained`).

    Raises:
        ValueError: unknown policy name; the message lists the known ones.
        dialogym.models.ModelError: the LLM policy's model cannot be loaded.
    """
    if is_llm_policy(name):
        from dialogym.policies.llm import DEFAULT_MODEL, LLMPolicy

        model = name.partition(":")[2] or DEFAULT_MODEL
        return LLMPolicy.for_env(env, model=model, seed=seed, trust=trust)
    if name == "handcrafted":
        return HandcraftedPolicy.for_env(env)
    if name == "greedy":
        return GreedyPolicy.for_env(env)
    if name == "random":
        return RandomPolicy.for_env(env, seed)
    raise ValueError(
        f"policy: unknown policy {name!r}; choose one of {', '.join(BUILTIN_POLICIES)},"
        f" {LLM_POLICY} or {LLM_POLICY}:MODEL"
    )


__all__ = [
    "BUILTIN_POLICIES",
    "BeliefRulePolicy",
    "GreedyPolicy",
    "HandcraftedPolicy",
    "LLM_POLICY",
    "Policy",
    "RandomPolicy",
    "SingleObservationPolicy",
    "is_llm_policy",
    "make_policy",
]
