"""Policies and the rollout in the MultiWOZ world: the rule policy through the env plays as the
world's ``play`` does, ConvLab's figures in the summary, and the policies that do not play it."""

from __future__ import annotations

import re

import gymnasium as gym
import numpy as np
import pytest

import dialogym  # noqa: F401  (registers the ids)
from dialogym.envs.multiwoz_world import play, summarise
from dialogym.envs.rollout import ActsPolicy, evaluate, summarize
from dialogym.policies import MultiWozRulePolicy, RandomPolicy, make_policy
from dialogym.randomness import RandomStream

COMMON_KEYS = ("episodes", "success_rate", "success_ci95", "avg_turns", "avg_return",
               "truncated_rate", "inform_precision", "inform_recall", "inform_f1", "booking_rate")  # fmt: skip


@pytest.mark.parametrize(("env_id", "user"), [("dialogym/MultiWOZ-v0", "convlab"),
                                              ("dialogym/MultiWOZ-fixed-v0", "fixed")])  # fmt: skip
def test_the_rule_policy_plays_through_the_env_as_play_plays_it(env_id: str, user: str) -> None:
    env = gym.make(env_id)
    policy = make_policy("handcrafted", env)
    assert isinstance(policy, MultiWozRulePolicy) and isinstance(policy, ActsPolicy)
    summary, results = evaluate(env, policy, 50, seed=11)
    world = env.unwrapped.world
    outcomes = play(MultiWozRulePolicy(RandomStream(np.random.default_rng(0))), 50, 11, world)
    assert [(r.success, r.turns) for r in results] == [
        (o.evaluation.success, o.evaluation.turns) for o in outcomes
    ]
    assert [r.outcome for r in results] == outcomes
    figures = summarise(outcomes)
    assert summary["success_rate"] == figures.success and summary["avg_turns"] == figures.turns
    assert summary["complete_rate"] == figures.complete
    assert summary["book_rate"] == figures.book_rate
    assert (summary["inform_precision"], summary["inform_recall"], summary["inform_f1"]) == (
        figures.inform_precision,
        figures.inform_recall,
        figures.inform_f1,
    )
    assert summary["avg_return"] == pytest.approx(np.mean([o.total_reward for o in outcomes]))
    assert 0.4 < summary["success_rate"] < 1.0  # ConvLab's rule policy: 0.708 on 3,000


def test_the_summary_has_the_keys_of_the_pydial_world_and_convlabs() -> None:
    env = gym.make("dialogym/MultiWOZ-v0")
    summary, results = evaluate(env, make_policy("random", env, seed=0), 20, seed=0)
    assert set(COMMON_KEYS) <= summary.keys()
    assert {"complete_rate", "book_rate", "capped_rate"} <= summary.keys()
    assert "hangup_rate" not in summary  # the MultiWOZ user never hangs up
    assert summary["truncated_rate"] == 0.0 and summary["capped_rate"] > 0.5  # random: the cap
    booking = [r for r in results if r.wants_booking]
    assert summary["booking_rate"] == sum(r.booked for r in booking) / len(booking)


def test_the_random_policy_keeps_to_the_mask() -> None:
    env = gym.make("dialogym/MultiWOZ-v0")
    policy = make_policy("random", env, seed=3)
    assert isinstance(policy, RandomPolicy)
    observation, _ = env.reset(seed=3)
    for _ in range(300):
        mask = env.unwrapped.action_masks()
        action, _ = policy.predict(observation, action_masks=mask)
        assert mask[int(action)]
        observation, _, terminated, _, info = env.step(action)
        assert info["system_acts"]  # an allowed action always says something
        if terminated:
            observation, _ = env.reset()


@pytest.mark.parametrize(("name", "needle"), [("greedy", "greedy (PyDial's three-rule trick) plays the PyDial world only"),
                                              ("llm", "llm (the LLM policy) plays the PyDial world only"),
                                              ("llm:/no/such/model", "the LLM policy"),
                                              ("wizard", "unknown policy 'wizard'")])  # fmt: skip
def test_policies_of_the_pydial_world_are_refused_in_one_line(name: str, needle: str) -> None:
    with pytest.raises(ValueError, match=re.escape(needle)) as raised:
        make_policy(name, gym.make("dialogym/MultiWOZ-v0"))
    assert "\n" not in str(raised.value)


def test_a_policy_that_speaks_acts_needs_an_env_that_takes_them() -> None:
    rule = make_policy("handcrafted", gym.make("dialogym/MultiWOZ-v0"))
    with pytest.raises(ValueError, match="speaks acts, which only the MultiWOZ world's env"):
        evaluate(gym.make("dialogym/PyDialEnv1-v0"), rule, 1, seed=0)


def test_results_of_the_two_worlds_are_not_summarised_together() -> None:
    _, ours = evaluate(gym.make("dialogym/MultiWOZ-v0"), RandomPolicy(45, 0), 1, seed=0)
    pydial = gym.make("dialogym/PyDialEnv1-v0")
    _, theirs = evaluate(pydial, make_policy("handcrafted", pydial), 1, seed=0)
    with pytest.raises(ValueError, match="mix"):
        summarize([*ours, *theirs])
