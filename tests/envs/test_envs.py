"""Registry-wide environment tests: checkers, determinism, pickling, spaces, errors."""

from __future__ import annotations

import pickle

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import dialogym
from dialogym.domains import BUILTIN_DOMAINS
from dialogym.policies import RandomPolicy

from ..conftest import CAMRESTAURANTS, shared_domain

DOMAINS = [*BUILTIN_DOMAINS, shared_domain(CAMRESTAURANTS)]


def domain_ids(domain: str) -> str:
    return domain.rsplit("/", 1)[-1]


@pytest.mark.parametrize("env_id", dialogym.ENV_IDS)
@pytest.mark.parametrize("domain", DOMAINS, ids=domain_ids)
def test_checkers_pass(env_id: str, domain: str) -> None:
    env = gym.make(env_id, domain=domain)
    gym_check_env(env.unwrapped, skip_render_check=True)
    sb3_check_env(env.unwrapped, warn=True)


@pytest.mark.parametrize("env_id", dialogym.envs.MULTIWOZ_TASKS)
def test_checkers_pass_on_the_multiwoz_ids(env_id: str) -> None:  # they take no domain
    env = gym.make(env_id)
    gym_check_env(env.unwrapped, skip_render_check=True)
    sb3_check_env(env.unwrapped, warn=True)


def play(env: gym.Env, seed: int, steps: int) -> list[str]:
    """Random rollout; returns the transcript text of every dialogue, observations included."""
    policy = RandomPolicy.for_env(env, seed=seed)
    observation, _ = env.reset(seed=seed)
    trace = [observation.tobytes().hex()]
    for _ in range(steps):
        action, _ = policy.predict(observation, action_masks=env.unwrapped.action_masks())
        observation, reward, terminated, truncated, info = env.step(action)
        trace.append(observation.tobytes().hex() + repr(reward) + repr(info["action_mask"]))
        if terminated or truncated:
            trace.append(env.unwrapped.transcript_text())
            observation, _ = env.reset()
    return trace


@pytest.mark.parametrize("env_id", dialogym.ENV_IDS)
def test_same_seed_same_dialogues(env_id: str) -> None:
    first = play(gym.make(env_id), seed=7, steps=300)
    second = play(gym.make(env_id), seed=7, steps=300)
    assert first == second
    assert play(gym.make(env_id), seed=8, steps=300) != first


@pytest.mark.parametrize("env_id", dialogym.ALL_ENV_IDS)
def test_pickle_round_trip_continues_identically(env_id: str) -> None:
    env = gym.make(env_id)
    env.reset(seed=3)
    env.step(0)
    clone = pickle.loads(pickle.dumps(env))
    for action in [1, 2, 3]:
        if env.unwrapped._done:
            break
        ours = env.step(action)
        theirs = clone.step(action)
        np.testing.assert_array_equal(ours[0], theirs[0])
        assert ours[1:4] == theirs[1:4]
        assert ours[4]["user_acts"] == theirs[4]["user_acts"]


def test_observations_lie_in_the_space_and_masks_allow_an_action() -> None:
    env = gym.make("dialogym/PyDialEnv6-v0", domain="laptop")
    policy = RandomPolicy.for_env(env, seed=0)
    observation, info = env.reset(seed=0)
    for _ in range(2000):
        assert env.observation_space.contains(observation)
        mask = env.unwrapped.action_masks()
        assert mask.dtype == np.int8 and mask.any() and (mask == info["action_mask"]).all()
        observation, _, terminated, truncated, info = env.step(
            policy.predict(observation, action_masks=mask)[0]
        )
        if terminated or truncated:
            assert "success" in info and "success_parts" in info
            observation, info = env.reset()


def test_unmasked_configuration_allows_every_action_but_an_early_bye() -> None:
    env = gym.make("dialogym/PyDialEnv2-v0")
    env.reset(seed=0)
    mask = env.unwrapped.action_masks()
    assert mask[:-1].all() and env.unwrapped.action_names[-1] == "bye" and mask[-1] == 0


@pytest.mark.parametrize("bad", [-1, 10_000])
def test_action_outside_the_space_is_a_clear_error(bad: int) -> None:
    env = gym.make("dialogym/Dialogue-v0")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="outside the action space"):
        env.step(bad)


def test_non_integer_action_is_a_clear_error() -> None:
    env = gym.make("dialogym/Dialogue-v0")
    env.reset(seed=0)
    with pytest.raises(TypeError, match="integer action id"):
        env.step(1.5)


def test_step_after_the_end_asks_for_reset() -> None:
    env = gym.make("dialogym/Dialogue-v0", max_turns=1)
    env.reset(seed=0)
    _, _, terminated, truncated, _ = env.step(0)
    assert terminated or truncated
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)


def test_a_masked_action_is_not_carried_out() -> None:
    env = gym.make("dialogym/PyDialEnv1-v0")
    env.reset(seed=0)
    bye = env.unwrapped.action_names.index("bye")
    assert env.unwrapped.action_masks()[bye] == 0  # the user has not said goodbye
    _, reward, terminated, _, info = env.step(bye)
    assert not terminated and reward == -1.0
    assert [act.type.value for act in info["system_acts"]] == ["null"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"obs": "pixels"}, "obs"),
        ({"max_turns": 0}, "max_turns"),
        ({"ser": 1.5}, "ser"),
        ({"user": "grumpy"}, "user"),
        ({"masks": "yes"}, "masks"),
        ({"reward": {"bonus": 3}}, "reward"),
        ({"goal": {"nomatch_share": 2.0}}, "nomatch_share"),
        ({"domain": "atlantis"}, "atlantis"),
        ({"ser": True}, "ser"),  # issue 9: a bool is not a rate (it ran as ser=1.0)
        ({"ser": float("nan")}, "ser"),
        ({"reward": {"turn": float("nan")}}, "reward: turn"),  # issue 9: NaN returns
        ({"reward": {"success": "abc"}}, "reward: success"),
        ({"reward": {"failure": True}}, "reward: failure"),
        ({"render_mode": "banana"}, "render_mode"),  # issue 9: passed silently
    ],
)
def test_bad_arguments_name_the_argument(kwargs: dict, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        gym.make("dialogym/Dialogue-v0", **kwargs)


@pytest.mark.parametrize("options", [{"goal": "x"}, "junk", [1]])
def test_reset_refuses_options_it_does_not_take(options: object) -> None:
    env = gym.make("dialogym/Dialogue-v0")
    with pytest.raises(ValueError, match="options"):
        env.reset(seed=0, options=options)  # type: ignore[arg-type]
    for fine in (None, {}):
        env.reset(seed=0, options=fine)


def test_truncation_at_max_turns_leaves_the_requests_untold() -> None:
    env = gym.make("dialogym/PyDialEnv2-v0", max_turns=3)
    env.reset(seed=0)
    request = env.unwrapped.action_names.index("confirm:food")  # null while nothing is known
    for _ in range(3):
        _, reward, terminated, truncated, info = env.step(request)
        if terminated:
            pytest.skip("user hung up before the turn limit")
    assert truncated and not info["success"] and not info["success_parts"]["requests"]
    assert info["turns"] == 3 and info["reward_parts"]["closing"] == 0.0


def test_render_modes_show_the_conversation(capsys: pytest.CaptureFixture[str]) -> None:
    env = gym.make("dialogym/Dialogue-v0", render_mode="ansi")
    env.reset(seed=0)
    first = env.render()
    assert first.startswith("goal:") and "SYS (start): hello()" in first
    env.step(env.unwrapped.action_names.index("request:food"))
    second = env.render()
    assert "request(food)" in second and "goal:" not in second
    human = gym.make("dialogym/Dialogue-v0", render_mode="human")
    human.reset(seed=0)
    human.step(0)
    assert "USR:" in capsys.readouterr().out


def test_info_carries_every_documented_key() -> None:
    env = gym.make("dialogym/Dialogue-v0")
    _, info = env.reset(seed=1)
    assert {"turn", "goal", "system_acts", "user_acts", "hypotheses", "action_mask"} <= info.keys()
    _, _, _, _, info = env.step(env.unwrapped.action_names.index("offer"))
    assert {
        "turn", "action", "system_acts", "user_acts", "hypotheses", "belief", "matches",
        "reward_parts", "action_mask",
    } <= info.keys()  # fmt: skip
