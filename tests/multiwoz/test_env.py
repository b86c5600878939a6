"""The MultiWOZ env: seeding, masks, acts as they are, the turn cap, kwargs, a MaskablePPO run.

Gymnasium's and SB3's checkers run over every id in tests/envs/test_envs.py."""

from __future__ import annotations

import copy
import dataclasses
import shutil
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from sb3_contrib import MaskablePPO

import dialogym  # noqa: F401  (registers the ids)
from dialogym.acts import UnifiedAct
from dialogym.envs.multiwoz_actions import constraints
from dialogym.envs.multiwoz_env import MultiWozEnv
from dialogym.envs.registration import MULTIWOZ_TASKS
from dialogym.simulators.multiwoz_user import CONVLAB_USER, FIXED_USER
from tests.conftest import SHARED_DATA, requires_shared

IDS = tuple(MULTIWOZ_TASKS)


def make(env_id: str, **kwargs: Any) -> MultiWozEnv:
    """``gym.make`` of a MultiWOZ id: the env itself, no wrapper (so action_masks() is there)."""
    env = gym.make(env_id, **kwargs)
    assert isinstance(env, MultiWozEnv)
    return env


@pytest.mark.parametrize("env_id", IDS)
def test_render_ansi_shows_the_acts_of_both_sides(env_id: str) -> None:
    env = make(env_id, render_mode="ansi")
    env.reset(seed=0)
    env.step(env.action_names.index("reqmore"))
    lines = str(env.render()).splitlines()
    assert (
        lines[0].startswith("[ 0] USR: inform(")
        and lines[1] == "[ 1] SYS (reqmore): reqmore(general)"
    )
    assert lines[2].startswith("     USR: ")
    assert env.render() == ""


def run(env: MultiWozEnv, seed: int, episodes: int) -> list[object]:
    """Observations, rewards and acts of ``episodes`` dialogues under random masked actions."""
    rng = np.random.default_rng(seed)
    record: list[object] = []
    obs, info = env.reset(seed=seed)
    for _ in range(episodes):
        terminated = False
        record.append((obs.tolist(), info["user_acts"]))
        while not terminated:
            action = rng.choice(np.flatnonzero(env.action_masks()))
            obs, reward, terminated, _, info = env.step(action)
            record.append((obs.tolist(), reward, info["system_acts"], info["user_acts"]))
        record.append(info["success"])
        obs, info = env.reset()
    return record


def test_the_same_seed_gives_the_same_episodes_and_episodes_differ() -> None:
    first, second = run(MultiWozEnv(), 7, 3), run(MultiWozEnv(), 7, 3)
    assert first == second
    assert run(MultiWozEnv(), 8, 3) != first


def test_episode_k_is_the_worlds_dialogue_seed_k() -> None:
    env = MultiWozEnv()
    env.reset(seed=4)
    _, info = env.reset()
    assert info["user_acts"] == env.world.reset((4, 1)).user_acts


def test_every_allowed_action_is_carried_out_as_its_kind() -> None:
    env = MultiWozEnv(user="fixed")
    rng = np.random.default_rng(0)
    env.reset(seed=0)
    for _ in range(600):
        state, actions = env.world.state, env.actions
        for index in np.flatnonzero(env.action_masks()):
            trial = copy.copy(actions)
            trial.offered = dict(actions.offered)
            trial.informed = {d: set(s) for d, s in actions.informed.items()}
            assert env._stream is not None
            acts = trial.execute(int(index), state, env._stream)
            action = actions.actions[index]
            assert acts, action.name
            assert acts[0][0] == action.kind, (action.name, acts)
            assert {a[1] for a in acts} == {action.domain}, (action.name, acts)
            assert len({act[2] for act in acts}) == len(acts), acts  # no slot said twice
            if action.kind == "request":
                assert not state.belief[action.domain][action.slot]
            if action.kind == "book":
                row = int(acts[1][3])
                assert row in env.world.data.database.match(
                    action.domain, constraints(state, action.domain)
                )
        _, _, terminated, _, _ = env.step(rng.choice(np.flatnonzero(env.action_masks())))
        if terminated:
            env.reset()


def test_a_masked_action_says_nothing() -> None:
    env = MultiWozEnv()
    env.reset(seed=0)
    forbidden = np.flatnonzero(env.action_masks() == 0)
    assert len(forbidden)  # nothing is offered yet: no book
    *_, info = env.step(forbidden[0])
    assert info["system_acts"] == ()


def test_only_the_domains_the_user_named_have_actions() -> None:
    env = MultiWozEnv()
    _, info = env.reset(seed=0)
    for _ in range(6):
        named = env.actions.mentioned
        for index, action in enumerate(env.actions.actions):
            if action.domain != "general" and action.domain not in named:
                assert not env.action_masks()[index], action.name
        assert any(env.action_masks()[i] for i, a in enumerate(env.actions.actions)
                   if a.domain in named and a.domain != "general")  # fmt: skip
        _, _, terminated, _, info = env.step(int(np.flatnonzero(env.action_masks())[0]))
        if terminated:
            break
    assert {act[1] for act in info["user_acts"]} - {"general"} <= env.actions.mentioned


@pytest.mark.parametrize("env_id", IDS)
def test_twenty_thousand_random_masked_steps(env_id: str) -> None:
    env = make(env_id)
    rng = np.random.default_rng(1)
    env.reset(seed=1)
    episodes = successes = 0
    for _ in range(20_000):
        mask = env.action_masks()
        obs, reward, terminated, truncated, info = env.step(rng.choice(np.flatnonzero(mask)))
        assert env.observation_space.contains(obs) and not truncated
        assert (info["action_mask"] == env.action_masks()).all()
        if terminated:
            episodes += 1
            successes += info["success"] is info["is_success"] is True
            assert reward in (80.0, -40.0)
            env.reset()
    assert episodes > 500 and successes > 0


def test_the_user_and_each_fix_are_arguments() -> None:
    assert MultiWozEnv().user_options == CONVLAB_USER
    assert MultiWozEnv(user="fixed").user_options == FIXED_USER
    half = MultiWozEnv(user="fixed", bye_ends_dialogue=False).user_options
    assert half == dataclasses.replace(FIXED_USER, bye_ends_dialogue=False)
    assert MultiWozEnv(accept_offerbook=True).user_options.accept_offerbook


@pytest.mark.filterwarnings("ignore:.*render_mode='human'")
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"user": "nice"}, "user: expected one of convlab, fixed"),
        ({"accept_offerbook": "yes"}, "accept_offerbook: expected a bool or None"),
        ({"render_mode": "human"}, "render_mode: expected None or 'ansi'"),
    ],
)
def test_bad_kwargs_give_one_line(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        make("dialogym/MultiWOZ-v0", **kwargs)
    assert "\n" not in str(raised.value)


def test_maskable_ppo_runs() -> None:
    env = make("dialogym/MultiWOZ-fixed-v0")
    model = MaskablePPO("MlpPolicy", env, n_steps=128, batch_size=64, n_epochs=1, seed=0)
    model.learn(total_timesteps=256)
    obs, _ = env.reset(seed=0)
    action, _ = model.predict(obs, action_masks=env.action_masks())
    assert env.action_masks()[int(action)]


def scripted(env: MultiWozEnv, user_acts: tuple[UnifiedAct, ...]) -> int:
    """A plain policy over the summary actions, on the domain the user spoke of last."""
    allowed, names = env.action_masks(), env.action_names
    actions = env.actions

    def pick(name: str) -> bool:
        return name in names and bool(allowed[names.index(name)])

    if any(act[0] == "bye" for act in user_acts):
        return names.index("bye")
    domains = [act[1] for act in user_acts if act[1] != "general"]
    if not domains:
        return names.index("reqmore")
    domain = domains[-1]
    for name in (f"nooffer_{domain}", f"book_{domain}"):
        if pick(name):
            return names.index(name)
    asked = any(act[0] == "request" for act in user_acts)
    if pick(f"inform_{domain}") and (asked or not actions.offer_stands(domain)):
        return names.index(f"inform_{domain}")
    if actions.matches[domain] > 1:
        for slot in ("day", "departure", "destination", "leave at", "area", "food", "type"):
            if pick(f"request_{domain}_{slot.replace(' ', '_')}"):
                return names.index(f"request_{domain}_{slot.replace(' ', '_')}")
    return names.index("reqmore")


@pytest.mark.parametrize("env_id", IDS)
def test_a_plain_scripted_policy_succeeds_with_the_summary_actions(env_id: str) -> None:
    env = make(env_id)
    successes = 0
    for episode in range(100):
        _, info = env.reset(seed=0) if episode == 0 else env.reset()
        terminated = False
        while not terminated:
            _, _, terminated, _, info = env.step(scripted(env, info["user_acts"]))
        successes += info["success"]
    assert successes >= 80  # 93 when written: above ConvLab's rule policy's 71.5%


# -- acts as they are, the turn cap, the registry ---------------------------------------------


def test_acts_carried_out_by_step_acts_answer_as_the_summary_action_does() -> None:
    by_action, by_acts = MultiWozEnv(), MultiWozEnv()
    by_action.reset(seed=5)
    by_acts.reset(seed=5)
    rng = np.random.default_rng(5)
    for _ in range(200):
        action = rng.choice(np.flatnonzero(by_action.action_masks()))
        _, reward, terminated, _, info = by_action.step(action)
        _, reward_acts, terminated_acts, _, info_acts = by_acts.step_acts(info["system_acts"])
        assert (reward, terminated) == (reward_acts, terminated_acts)
        assert info_acts["user_acts"] == info["user_acts"]
        assert info_acts.keys() == info.keys()
        assert by_acts.transcript[-1].action is None
        assert by_acts.transcript[-1][2:] == by_action.transcript[-1][2:]
        if terminated:
            assert info_acts["success"] == info["success"]
            by_action.reset()
            by_acts.reset()


@pytest.mark.parametrize(
    "bad", [[("inform", "hotel", "area")], [("inform", "hotel", "area", 3)], ["bye"]]
)
def test_acts_that_are_not_four_strings_are_one_line(bad: list[Any]) -> None:
    env = MultiWozEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="system_acts: expected") as raised:
        env.step_acts(bad)
    assert "\n" not in str(raised.value)


def test_step_acts_before_reset_asks_for_reset() -> None:
    with pytest.raises(RuntimeError, match="reset"):
        MultiWozEnv().step_acts([("reqmore", "general", "", "")])


@pytest.mark.parametrize("env_id", IDS)
def test_max_turns_is_the_user_cap_and_the_specs_limit(env_id: str) -> None:
    env = make(env_id)
    assert env.max_turns == 20 and env.spec is not None and env.spec.max_episode_steps == 20
    assert type(env) is MultiWozEnv  # no TimeLimit: the user's cap ends a dialogue, judged
    env.reset(seed=0)
    terminated, turns = False, 0
    while not terminated:  # "anything else?" until the user's cap makes it say bye
        *_, terminated, truncated, info = env.step(env.action_names.index("reqmore"))
        turns += 1
        assert not truncated
    assert turns == info["turns"] <= env.max_turns


def test_an_unknown_argument_is_a_type_error_naming_it() -> None:
    with pytest.raises(TypeError, match="'foo'"):
        make("dialogym/MultiWOZ-v0", foo=1)


def test_every_registered_dialogym_id_is_listed() -> None:
    from dialogym.envs.registration import ALL_ENV_IDS, ENV_IDS

    registered = {env_id for env_id in gym.registry if env_id.startswith("dialogym/")}
    assert registered == set(ALL_ENV_IDS) == set(ENV_IDS) | set(IDS)
    assert not set(ENV_IDS) & set(IDS)  # ENV_IDS: the PyDial world's, DialogueEnv's arguments


def test_checked_env_takes_the_multiwoz_ids_with_their_own_arguments() -> None:
    from dialogym.envs.registration import checked_env

    kwargs = {"user": "fixed", "accept_offerbook": False, "bye_ends_dialogue": None}
    assert checked_env("dialogym/MultiWOZ-v0", kwargs, "f") == ("dialogym/MultiWOZ-v0", kwargs)
    refused = [
        ({"domain": "restaurant"}, "f: env_kwargs.domain: not an argument of dialogym/MultiWOZ-v0"),
        ({"accept_offerbook": "yes"}, "f: env_kwargs.accept_offerbook: expected bool or null, got str"),
        ({"user": 1}, "f: env_kwargs.user: expected str, got int"),
        ({"entry_point": "os:system"}, "f: env_kwargs.entry_point: not an argument"),
    ]  # fmt: skip
    for env_kwargs, message in refused:
        with pytest.raises(ValueError) as raised:
            checked_env("dialogym/MultiWOZ-fixed-v0", env_kwargs, "f")
        assert str(raised.value).startswith(message.replace("MultiWOZ-v0", "MultiWOZ-fixed-v0"))
        assert "\n" not in str(raised.value)


@requires_shared(SHARED_DATA / "multiwoz")
def test_data_points_the_whole_world_at_another_copy(tmp_path: Path) -> None:
    """The shared copy is the package data's source: the same dialogues; a broken copy: one line."""
    ours, theirs = MultiWozEnv(), MultiWozEnv(data=str(SHARED_DATA / "multiwoz"))
    assert theirs.world.data is not ours.world.data
    for env in (ours, theirs):
        env.reset(seed=5)
    for _ in range(8):
        action = int(np.flatnonzero(ours.action_masks())[-4])
        assert (ours.action_masks() == theirs.action_masks()).all()
        first, second = ours.step(action), theirs.step(action)
        assert first[4]["user_acts"] == second[4]["user_acts"]
        if first[2]:
            break
    shutil.copytree(SHARED_DATA / "multiwoz" / "db", tmp_path / "db")
    (tmp_path / "db" / "hotel_db.json").write_text("[1, 2", encoding="utf-8")
    with pytest.raises(ValueError, match="hotel_db.json") as error:
        MultiWozEnv(data=str(tmp_path))
    assert "\n" not in str(error.value)
