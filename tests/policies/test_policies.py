"""Handcrafted and random policies on the benchmark configurations."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import dialogym  # noqa: F401
from dialogym.envs.rollout import evaluate
from dialogym.policies import HandcraftedPolicy, RandomPolicy, make_policy

from ..conftest import CAMRESTAURANTS, shared_domain


def success(env_id: str, policy_name: str, episodes: int, **kwargs) -> float:
    env = gym.make(env_id, **kwargs)
    summary, _ = evaluate(env, make_policy(policy_name, env, seed=0), episodes, seed=0)
    return summary["success_rate"]


@pytest.mark.parametrize(
    "domain", [pytest.param("restaurant", id="restaurant"), shared_domain(CAMRESTAURANTS)]
)
def test_handcrafted_succeeds_on_env1_and_degrades_with_noise(domain: str) -> None:
    clean = success("dialogym/PyDialEnv1-v0", "handcrafted", 1000, domain=domain)
    noisy = success("dialogym/PyDialEnv6-v0", "handcrafted", 500, domain=domain)
    random = success("dialogym/PyDialEnv1-v0", "random", 500, domain=domain)
    assert clean >= 0.97
    assert noisy < clean
    assert random < clean - 0.4


def test_handcrafted_works_on_the_harder_domain() -> None:
    assert success("dialogym/PyDialEnv1-v0", "handcrafted", 300, domain="laptop") >= 0.9


def test_predict_handles_batches_and_masks() -> None:
    env = gym.make("dialogym/Dialogue-v0")
    observation, _ = env.reset(seed=0)
    mask = env.unwrapped.action_masks()
    handcrafted = HandcraftedPolicy.for_env(env)
    single, state = handcrafted.predict(observation, action_masks=mask)
    batch, _ = handcrafted.predict(
        np.stack([observation, observation]), action_masks=np.stack([mask, mask])
    )
    assert state is None and batch.tolist() == [int(single)] * 2
    random = RandomPolicy.for_env(env, seed=0)
    only = np.zeros_like(mask)
    only[3] = 1
    assert {int(random.predict(observation, action_masks=only)[0]) for _ in range(20)} == {3}


def test_unknown_policy_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown policy"):
        make_policy("clever", gym.make("dialogym/Dialogue-v0"))
