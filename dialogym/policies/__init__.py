"""Policies that are not SB3 agents (handcrafted, greedy, random, the LLM policy) and their protocol.

The LLM policy (`dialogym.policies.llm`) loads torch and transformers only when it is asked for.
In the MultiWOZ world (`MultiWozEnv`), ``handcrafted`` is ConvLab's rule policy
(`MultiWozRulePolicy`, which speaks acts: `dialogym.envs.rollout.ActsPolicy`) and ``random``
the uniform choice among the allowed summary actions; ``greedy`` (PyDial's trick) and the LLM
policy play the PyDial world only.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from dialogym.envs.multiwoz_env import MultiWozEnv
from dialogym.envs.rollout import RolloutPolicy
from dialogym.policies.base import BeliefRulePolicy, Policy, SingleObservationPolicy
from dialogym.policies.greedy import GreedyPolicy
from dialogym.policies.handcrafted import HandcraftedPolicy, RandomPolicy
from dialogym.policies.multiwoz_rule import MultiWozRulePolicy
from dialogym.randomness import RandomStream

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


def make_policy(
    name: str, env: object, seed: int | None = None, trust: bool = False
) -> RolloutPolicy:
    """Build a built-in policy by name for an environment.

    ``llm`` / ``llm:MODEL`` bind the LLM policy to ``env``'s dialogues (a `DialogueEnv` or a
    `DialogueVectorEnv`); ``seed`` seeds its sampling; ``trust`` (``--trust-model``) lifts the
    checks on the model's files (`dialogym.models.load_pretrained`). For a `MultiWozEnv`,
    ``handcrafted`` is ConvLab's rule policy, which speaks acts (the rollout reseeds it each
    dialogue from the env), and ``random`` is seeded with ``seed``.

    Raises:
        ValueError: unknown policy name, or one that does not play the env's world (one line).
        dialogym.models.ModelError: the LLM policy's model cannot be loaded.
    """
    unwrapped = getattr(env, "unwrapped", env)
    if isinstance(unwrapped, MultiWozEnv):
        return _multiwoz_policy(name, unwrapped, seed)
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


def _multiwoz_policy(name: str, env: MultiWozEnv, seed: int | None) -> RolloutPolicy:
    """A built-in policy for the MultiWOZ world (`make_policy`)."""
    if name == "handcrafted":
        stream = RandomStream(np.random.default_rng(seed))  # until a dialogue's reset
        return MultiWozRulePolicy(stream, env.world.data.database)
    if name == "random":
        if not isinstance(env.action_space, spaces.Discrete):
            raise ValueError(
                "random picks among the summary actions; with actions='atomic' choose"
                " handcrafted (ConvLab's rule policy) or a model.zip trained on atomic acts"
            )
        return RandomPolicy.for_env(env, seed)
    if name == "greedy" or is_llm_policy(name):
        what = "PyDial's three-rule trick" if name == "greedy" else "the LLM policy"
        raise ValueError(
            f"{name} ({what}) plays the PyDial world only; in the MultiWOZ world choose"
            " handcrafted (ConvLab's rule policy), random or a model.zip"
        )
    raise ValueError(
        f"policy: unknown policy {name!r}; in the MultiWOZ world choose handcrafted or random"
    )


__all__ = [
    "BUILTIN_POLICIES",
    "BeliefRulePolicy",
    "GreedyPolicy",
    "HandcraftedPolicy",
    "LLM_POLICY",
    "MultiWozRulePolicy",
    "Policy",
    "RandomPolicy",
    "SingleObservationPolicy",
    "is_llm_policy",
    "make_policy",
]
