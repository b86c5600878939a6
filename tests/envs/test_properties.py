"""Property tests: any domain, profile, error rate, mask setting and seed gives sound dialogues."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dialogym  # noqa: F401
from dialogym.acts import ActType
from dialogym.domains import BUILTIN_DOMAINS
from dialogym.policies import HandcraftedPolicy, RandomPolicy

from ..conftest import CAMRESTAURANTS, missing_shared

domains = st.sampled_from(
    [*BUILTIN_DOMAINS, *([str(CAMRESTAURANTS)] if not missing_shared(CAMRESTAURANTS) else [])]
)
profiles = st.sampled_from(["standard", "unfriendly"])
error_rates = st.floats(min_value=0.0, max_value=0.6, allow_nan=False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    domain=domains,
    user=profiles,
    ser=error_rates,
    masks=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
    max_turns=st.integers(1, 30),
    handcrafted=st.booleans(),
)
def test_dialogues_are_sound(domain, user, ser, masks, seed, max_turns, handcrafted) -> None:
    env = gym.make(
        "dialogym/Dialogue-v0", domain=domain, user=user, ser=ser, masks=masks, max_turns=max_turns
    )
    unwrapped = env.unwrapped
    policy = HandcraftedPolicy.for_env(env) if handcrafted else RandomPolicy.for_env(env, seed)
    observation, info = env.reset(seed=seed)
    for _ in range(3):
        turns = 0
        episode_return = 0.0
        while True:
            assert env.observation_space.contains(observation)
            assert np.isfinite(observation).all()
            mask = unwrapped.action_masks()
            assert mask.any()
            action, _ = policy.predict(observation, action_masks=mask)
            assert mask[action] == 1
            observation, reward, terminated, truncated, info = env.step(action)
            turns += 1
            episode_return += reward
            assert np.isfinite(reward)
            assert turns <= max_turns
            for hypothesis in info["hypotheses"]:
                assert 0.0 <= hypothesis.confidence <= 1.0
            assert sum(h.confidence for h in info["hypotheses"]) <= 1.0 + 1e-9
            if terminated or truncated:
                break
        closing = info["reward_parts"]["closing"] != 0.0
        assert closing == (terminated and info["user_acts"][0].type is ActType.BYE)
        assert info["turns"] == turns + closing  # PyDial charges the closing exchange
        assert isinstance(info["success"], bool)
        assert episode_return == pytest.approx(20.0 * info["success"] - info["turns"])
        observation, info = env.reset()
