"""The structured policy and the per-slot layout: slot order, domains, loading, learning."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch

from dialogym.agents import AgentPolicy, TrainConfig
from dialogym.agents.structured import MISSING_SCORE, N_ACTIONS, MaskableSlotPolicy
from dialogym.cli import make_env, policy_env_kwargs
from dialogym.encoders.slots import (
    GLOBAL_FEATURES,
    MAX_BOOKING_SLOTS,
    MAX_SLOTS,
    SIZE,
    SLOT_FEATURES,
)
from dialogym.envs.actions import GLOBAL_ACTIONS
from dialogym.envs.rollout import evaluate
from dialogym.train import train
from tests.conftest import CAMRESTAURANTS, requires_shared


def _policy(seed: int = 0) -> MaskableSlotPolicy:
    env = make_env("dialogym/PyDialEnv3-v0", {"domain": "laptop", "layout": "slots"})
    torch.manual_seed(seed)
    return MaskableSlotPolicy(env.observation_space, env.action_space, lambda _: 1e-3)


def _observations(domain: str, dialogues: int = 3) -> np.ndarray:
    """Observations of a few random dialogues on the per-slot layout."""
    env = make_env("dialogym/PyDialEnv3-v0", {"domain": domain, "layout": "slots"})
    rng = np.random.default_rng(0)
    seen = []
    for seed in range(dialogues):
        observation, _ = env.reset(seed=seed)
        done = False
        while not done:
            seen.append(observation)
            allowed = np.flatnonzero(env.unwrapped.action_masks())
            observation, _, terminated, truncated, _ = env.step(int(rng.choice(allowed)))
            done = terminated or truncated
    return np.stack(seen)


def _permute_rows(observations: np.ndarray, order: list[int]) -> np.ndarray:
    """The observations with constraint slot row ``k`` moved to row ``order.index(k)``."""
    permuted = observations.copy()
    rows = observations[:, GLOBAL_FEATURES : GLOBAL_FEATURES + MAX_SLOTS * SLOT_FEATURES]
    rows = rows.reshape(len(observations), MAX_SLOTS, SLOT_FEATURES)
    moved = rows.copy()
    moved[:, : len(order)] = rows[:, order]
    permuted[:, GLOBAL_FEATURES : GLOBAL_FEATURES + MAX_SLOTS * SLOT_FEATURES] = moved.reshape(
        len(observations), -1
    )
    return permuted


def test_slot_order_permutes_the_slot_scores_and_nothing_else() -> None:
    policy = _policy()
    observations = _observations("laptop")
    slots = int(observations[0, GLOBAL_FEATURES::SLOT_FEATURES][:MAX_SLOTS].sum())
    assert slots >= 4
    order = list(np.random.default_rng(1).permutation(slots))
    assert order != sorted(order)
    with torch.no_grad():
        before = policy.mlp_extractor.forward_actor(torch.as_tensor(observations)).numpy()
        after = policy.mlp_extractor.forward_actor(
            torch.as_tensor(_permute_rows(observations, order))
        ).numpy()
        values = [
            policy.predict_values(torch.as_tensor(batch)).numpy()
            for batch in (observations, _permute_rows(observations, order))
        ]
    for block in range(3):  # requests, confirms, selects of the constraint rows
        start = (0, MAX_SLOTS + MAX_BOOKING_SLOTS, 2 * MAX_SLOTS + MAX_BOOKING_SLOTS)[block]
        np.testing.assert_allclose(
            after[:, start : start + slots], before[:, start : start + slots][:, order], atol=1e-5
        )
    general = slice(N_ACTIONS - 6, N_ACTIONS)
    np.testing.assert_allclose(after[:, general], before[:, general], atol=1e-5)
    np.testing.assert_allclose(values[0], values[1], atol=1e-5)
    assert (before[:, slots:MAX_SLOTS] == MISSING_SCORE).all()  # rows the domain lacks


def test_scores_do_not_depend_on_the_other_domains_in_the_batch() -> None:
    """Rows past a batch's last present one are left out: a mixed batch scores each as alone."""
    policy = _policy()
    small, large = _observations("restaurant", 1), _observations("laptop", 1)
    with torch.no_grad():
        alone = [
            (policy.mlp_extractor.forward_actor(batch), policy.predict_values(batch))
            for batch in (torch.as_tensor(small), torch.as_tensor(large))
        ]
        mixed = torch.as_tensor(np.concatenate([small, large]))
        scores, values = policy.mlp_extractor.forward_actor(mixed), policy.predict_values(mixed)
    assert scores.shape == (len(mixed), N_ACTIONS)
    torch.testing.assert_close(scores, torch.cat([alone[0][0], alone[1][0]]), atol=1e-5, rtol=0)
    torch.testing.assert_close(values, torch.cat([alone[0][1], alone[1][1]]), atol=1e-5, rtol=0)
    assert (alone[0][0] == MISSING_SCORE).sum() > (alone[1][0] == MISSING_SCORE).sum()


def test_untrained_booking_moves_fulfil_what_inform_would_and_need_booking_slots() -> None:
    """Booking moves score as inform plus a preference: a policy that never saw booking books."""
    policy = _policy()
    globals_at = 3 * MAX_SLOTS + MAX_BOOKING_SLOTS
    inform, book = (
        globals_at + GLOBAL_ACTIONS.index("inform"),
        globals_at + GLOBAL_ACTIONS.index("book"),
    )
    booking_requests = slice(MAX_SLOTS, MAX_SLOTS + MAX_BOOKING_SLOTS)
    with torch.no_grad():
        booking = policy.mlp_extractor.forward_actor(torch.as_tensor(_observations("restaurant")))
        none = policy.mlp_extractor.forward_actor(torch.as_tensor(_observations("laptop")))
    assert (booking[:, book] > booking[:, inform]).all()
    assert torch.allclose(
        booking[:, book] - booking[:, inform], torch.full_like(booking[:, book], 1.0), atol=0.1
    )  # BOOK_PREFERENCE, and an untrained own part near 0
    present = booking[:, booking_requests] > MISSING_SCORE / 2
    assert present.any(dim=1).all()
    assert (
        booking[:, booking_requests][present]
        > booking[:, inform].unsqueeze(1).expand_as(present)[present] - 1.0
    ).all()
    assert (none[:, book] == MISSING_SCORE).all() and (
        none[:, booking_requests] == MISSING_SCORE
    ).all()


def test_every_domain_has_the_same_spaces_and_missing_rows_are_masked() -> None:
    spaces = set()
    for domain in ("restaurant", "laptop"):
        env = make_env("dialogym/PyDialEnv1-v0", {"domain": domain, "layout": "slots"})
        spaces.add((env.observation_space.shape, env.action_space.n))
        env.reset(seed=0)
        names = env.unwrapped.action_names
        mask = env.unwrapped.action_masks()
        assert not any(mask[i] for i, name in enumerate(names) if name.startswith("unused:"))
        assert len(env.unwrapped.feature_names) == SIZE
    assert spaces == {((SIZE,), N_ACTIONS)}


def test_a_layout_it_cannot_read_is_refused_in_one_line() -> None:
    with pytest.raises(ValueError, match="needs the per-slot layout") as error:
        env = make_env("dialogym/PyDialEnv1-v0", {"domain": "laptop"})
        MaskableSlotPolicy(env.observation_space, env.action_space, lambda _: 1e-3)
    assert "\n" not in str(error.value)
    with pytest.raises(ValueError, match="layout: 'slots' reads the belief only"):
        gym.make("dialogym/PyDialEnv1-v0", layout="slots", obs="text")
    with pytest.raises(ValueError, match="env_kwargs: structured_ppo needs layout='slots'"):
        TrainConfig(algo="structured_ppo", env_kwargs={"layout": "flat"})


def test_a_structured_agent_loads_untrusted_and_plays_another_domain(tmp_path: Path) -> None:
    config = TrainConfig(
        algo="structured_ppo", dialogues=16, n_envs=2, eval_every=100, test_episodes=2,
        env_kwargs={"domain": "restaurant"}, algo_kwargs={"n_steps": 16, "batch_size": 32},
    )  # fmt: skip
    train(config, tmp_path, progress=False)
    model = str(tmp_path / "model.zip")
    kwargs = policy_env_kwargs(model, {"domain": "laptop"})
    assert kwargs == {"layout": "slots", "domain": "laptop"}
    env = make_env("dialogym/PyDialEnv3-v0", kwargs)
    policy = AgentPolicy.load(model, env=env)  # no trust needed
    assert policy.algorithm.name == "structured_ppo"
    summary, _ = evaluate(env, policy, 3, 0)
    assert summary["episodes"] == 3


@pytest.mark.slow
@requires_shared(CAMRESTAURANTS)
def test_short_training_solves_camrestaurants_env1(tmp_path: Path) -> None:
    config = TrainConfig(
        env="dialogym/PyDialEnv1-v0", algo="structured_ppo", dialogues=1000, eval_every=1000,
        eval_episodes=50, test_episodes=300, env_kwargs={"domain": str(CAMRESTAURANTS)},
    )  # fmt: skip
    metrics = train(config, tmp_path, progress=False)
    assert metrics["success_rate"] >= 0.95


def test_the_training_reward_marks_what_the_masks_would_forbid_and_tests_never_see_it() -> None:
    shaped = gym.make("dialogym/PyDialEnv2-v0", domain="laptop", reward={"forbidden": -1.0})
    plain = gym.make("dialogym/PyDialEnv2-v0", domain="laptop")
    rewards = []
    for env in (shaped, plain):
        env.reset(seed=0)
        inform = env.unwrapped.action_names.index("inform")  # nothing offered yet: forbidden
        _, reward, _, _, info = env.step(inform)
        rewards.append((reward, info["reward_parts"].get("forbidden")))
        request = env.unwrapped.action_names.index(
            f"request:{env.unwrapped.domain.system_requestable[0]}"
        )
        _, reward, _, _, info = env.step(request)
        rewards.append((reward, info["reward_parts"].get("forbidden")))
    assert rewards == [(-2.0, -1.0), (-1.0, 0.0), (-1.0, None), (-1.0, None)]
    config = TrainConfig(algo="structured_ppo", env="dialogym/PyDialEnv2-v0")
    assert config.training_env_arguments["reward"] == {"forbidden": -1.0}
    assert "reward" not in config.env_arguments
