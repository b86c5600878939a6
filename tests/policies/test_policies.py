"""Handcrafted (PyDial's HDC), greedy and random policies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import dialogym  # noqa: F401
from dialogym.domains import DONTCARE
from dialogym.envs.rollout import evaluate
from dialogym.policies import GreedyPolicy, HandcraftedPolicy, RandomPolicy, make_policy

from ..conftest import CAMRESTAURANTS, LAPTOPS11, SFRESTAURANTS, requires_shared, shared_domain

DOMAINS = [
    "restaurant",
    "laptop",
    shared_domain(CAMRESTAURANTS),
    shared_domain(SFRESTAURANTS),
    shared_domain(LAPTOPS11),
]

Step = tuple[np.ndarray, str, dict[str, Any]]


def rollout(
    env_id: str, policy_name: str, dialogues: int, seed: int, domain: str
) -> Iterator[Step]:
    """Every step of a few dialogues: the mask it was chosen under, the action's name, the info."""
    env = gym.make(env_id, domain=domain)
    unwrapped = env.unwrapped
    policy = make_policy(policy_name, env, seed=seed)
    observation, _ = env.reset(seed=seed)
    for _ in range(dialogues):
        done = False
        while not done:
            mask = unwrapped.action_masks()
            action, _ = policy.predict(observation, action_masks=mask)
            observation, _, terminated, truncated, info = env.step(action)
            yield mask, unwrapped.action_names[int(action)], info
            done = terminated or truncated
        observation, _ = env.reset()


def names_of(domain: str) -> dict[str, int]:
    return {
        n: i
        for i, n in enumerate(
            gym.make("dialogym/Dialogue-v0", domain=domain).unwrapped.action_names
        )
    }


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("policy_name", ["handcrafted", "greedy", "random"])
def test_each_policy_runs_on_each_domain_within_the_mask(domain: str, policy_name: str) -> None:
    index = names_of(domain)
    for env_id in ("dialogym/PyDialEnv3-v0", "dialogym/PyDialEnv4-v0"):
        ended = 0
        for mask, action, info in rollout(env_id, policy_name, 5, 1, domain):
            assert mask[index[action]] == 1
            ended += "success" in info
        assert ended == 5


@pytest.mark.parametrize("domain", DOMAINS)
def test_handcrafted_never_picks_a_masked_action_nor_selects_dontcare(domain: str) -> None:
    index = names_of(domain)
    for mask, action, info in rollout("dialogym/PyDialEnv6-v0", "handcrafted", 40, 2, domain):
        assert mask[index[action]] == 1
        if action.startswith("select:"):  # rare at these noise levels; see the rule tests too
            assert DONTCARE not in {act.value for act in info["system_acts"]}


class Observations:
    """Hand-made belief observations for a policy, feature by feature."""

    def __init__(self, policy: HandcraftedPolicy | GreedyPolicy, n_features: int) -> None:
        self.policy = policy
        self.n_features = n_features

    def __call__(self, **features: float) -> np.ndarray:
        x = np.zeros(self.n_features, dtype=np.float32)
        x[self.policy.features["global:byconstraints"]] = 1.0
        x[self.policy.features["discriminable"]] = 1.0
        for name, value in features.items():
            x[self.policy.features[name.replace("__", ":")]] = value
        return x


def rules(policy_class: type[HandcraftedPolicy] | type[GreedyPolicy]):
    env = gym.make("dialogym/Dialogue-v0")
    policy = policy_class.for_env(env)
    names = env.unwrapped.action_names
    return policy, Observations(policy, len(env.unwrapped.feature_names)), names


def choose(policy, names, observation: np.ndarray, masked: tuple[str, ...] = ()) -> str:
    mask = np.array([0 if name in masked else 1 for name in names], dtype=np.int8)
    return names[int(policy.predict(observation, action_masks=mask)[0])]


def test_handcrafted_confirms_selects_and_requests_by_pydials_thresholds() -> None:
    policy, observe, names = rules(HandcraftedPolicy)
    # Slots in alphabetical order: area, food, pricerange.
    assert choose(policy, names, observe()) == "request:area"
    assert choose(policy, names, observe(slot__area__top=0.7)) == "confirm:area"
    close = observe(slot__area__top=0.5, slot__area__second=0.4)
    assert choose(policy, names, close) == "select:area"
    apart = observe(slot__area__top=0.5, slot__area__second=0.2)
    assert choose(policy, names, apart) == "confirm:area"
    assert choose(policy, names, observe(slot__area__top=0.25)) == "request:area"
    grounded = observe(slot__area__top=0.9, slot__food__top=0.9)
    assert choose(policy, names, grounded) == "request:pricerange"


def test_handcrafted_confirms_instead_of_offering_dontcare_as_a_choice() -> None:
    policy, observe, names = rules(HandcraftedPolicy)
    dontcare_second = observe(slot__area__top=0.5, slot__area__second=0.4, slot__area__dontcare=0.4)
    assert choose(policy, names, dontcare_second) == "confirm:area"
    dontcare_top = observe(slot__area__top=0.74, slot__area__dontcare=0.74)
    assert choose(policy, names, dontcare_top) == "confirm:area"


def test_handcrafted_offers_when_the_matches_cannot_be_told_apart() -> None:
    policy, observe, names = rules(HandcraftedPolicy)
    known = {f"slot__{s}__top": 0.9 for s in ("area", "food", "pricerange")}
    known |= {f"slot__{s}__accepted": 1.0 for s in ("area", "food", "pricerange")}
    assert choose(policy, names, observe(**known, discriminable=0.0)) == "offer"
    asked = observe(
        **known, discriminable=0.0, offer_happened=1.0, offered=1.0, requested__phone=0.9
    )
    assert choose(policy, names, asked) == "inform"
    assert choose(policy, names, asked, masked=("inform",)) == "offer"


def test_handcrafted_follows_the_global_summary() -> None:
    policy, observe, names = rules(HandcraftedPolicy)
    by_name = observe(global__byconstraints=0.0, global__byname=1.0, offered=1.0)
    assert choose(policy, names, by_name) == "inform"
    alternatives = observe(global__byconstraints=0.0, global__byalternatives=1.0, offered=1.0)
    assert choose(policy, names, alternatives) == "offer_alternative"
    finished = observe(global__byconstraints=0.0, global__finished=1.0)
    assert choose(policy, names, finished) == "bye"
    thanks = observe(global__thankyou=1.0, offered=1.0)
    assert choose(policy, names, thanks) == "reqmore"
    # By name with no venue offered: PyDial's rule gives nothing, the next rules go on.
    no_venue = observe(global__byconstraints=0.0, global__byname=1.0)
    assert choose(policy, names, no_venue) == "request:area"


def test_handcrafted_falls_back_to_the_first_allowed_action() -> None:
    policy, observe, names = rules(HandcraftedPolicy)
    grounded = {f"slot__{s}__top": 0.9 for s in ("area", "food", "pricerange")}
    # Everything known, matches still discriminable, nothing offered: reqmore is masked.
    assert choose(policy, names, observe(**grounded), masked=("reqmore",)) == names[0]


def test_greedy_rules() -> None:
    policy, observe, names = rules(GreedyPolicy)
    assert choose(policy, names, observe()) == "offer"
    assert choose(policy, names, observe(requested__phone=0.9)) == "inform"
    assert choose(policy, names, observe(requested__phone=0.5)) == "offer"  # above one half
    alternatives = observe(global__byconstraints=0.0, global__byalternatives=1.0)
    assert choose(policy, names, alternatives) == "offer_alternative"
    both = observe(requested__phone=0.9, global__byalternatives=1.0)
    assert choose(policy, names, both) == "inform"


def test_greedy_falls_back_in_a_fixed_order() -> None:
    policy, observe, names = rules(GreedyPolicy)
    asked = observe(requested__phone=0.9)
    assert choose(policy, names, asked, masked=("inform",)) == "offer_alternative"
    rules_masked = ("inform", "offer_alternative", "offer")
    assert choose(policy, names, asked, masked=rules_masked) == names[0]
    assert choose(policy, names, observe(), masked=("offer",)) == "inform"


@requires_shared(CAMRESTAURANTS)
def test_handcrafted_is_calibrated_on_camrestaurants_and_beats_greedy() -> None:
    domain = str(CAMRESTAURANTS)
    env = gym.make("dialogym/PyDialEnv1-v0", domain=domain)
    clean, _ = evaluate(env, make_policy("handcrafted", env), 300, seed=0)
    assert clean["success_rate"] >= 0.98 and 5.5 <= clean["avg_turns"] <= 6.5
    env = gym.make("dialogym/PyDialEnv3-v0", domain=domain)
    noisy, _ = evaluate(env, make_policy("handcrafted", env), 300, seed=0)
    greedy, _ = evaluate(env, make_policy("greedy", env), 300, seed=0)
    assert 0.93 <= noisy["success_rate"] < clean["success_rate"]
    assert greedy["avg_return"] < noisy["avg_return"] - 3


def test_predict_handles_batches_and_masks() -> None:
    env = gym.make("dialogym/Dialogue-v0")
    observation, _ = env.reset(seed=0)
    mask = env.unwrapped.action_masks()
    for policy in (HandcraftedPolicy.for_env(env), GreedyPolicy.for_env(env)):
        single, state = policy.predict(observation, action_masks=mask)
        batch, _ = policy.predict(
            np.stack([observation, observation]), action_masks=np.stack([mask, mask])
        )
        assert state is None and batch.tolist() == [int(single)] * 2
    random = RandomPolicy.for_env(env, seed=0)
    only = np.zeros_like(mask)
    only[3] = 1
    assert {int(random.predict(observation, action_masks=only)[0]) for _ in range(20)} == {3}


def test_unknown_policy_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown policy.*greedy"):
        make_policy("clever", gym.make("dialogym/Dialogue-v0"))


@pytest.mark.parametrize("name", ["handcrafted", "greedy"])
def test_a_rule_policy_refuses_an_observation_it_cannot_read(name: str) -> None:
    from dialogym.models import where

    if where("minilm") is None:
        pytest.skip("the MiniLM text encoder is not on this machine")
    with pytest.raises(ValueError, match=r"obs='text'.*use obs=belief or obs=belief\+text"):
        make_policy(name, gym.make("dialogym/PyDialEnv3-v0", obs="text"))
    readable = gym.make("dialogym/PyDialEnv3-v0", obs="belief+text")  # the belief comes first
    assert make_policy(name, readable).predict(readable.reset(seed=0)[0])[0] >= 0


def test_a_rule_policy_refuses_a_layout_other_than_the_flat_one() -> None:
    import types

    env = gym.make("dialogym/PyDialEnv1-v0").unwrapped
    slots = types.SimpleNamespace(**{
        name: getattr(env, name) for name in ("feature_names", "action_names", "obs_kind")
    }, observation_space=env.observation_space, layout="slots")  # fmt: skip
    with pytest.raises(ValueError, match="layout='slots'"):
        HandcraftedPolicy.for_env(slots)
    assert isinstance(HandcraftedPolicy.for_env(env), HandcraftedPolicy)
