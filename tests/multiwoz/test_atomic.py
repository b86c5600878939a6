"""ConvLab-3's atomic acts: the vocabulary, its masks, the acts a vector makes, the env with them.

Each expected act below is what ConvLab-3's ``VectorBinary.action_devectorize`` and
``lexicalize_da`` make of the same vector and belief (read from ``vector_base.py`` and
``convlab/util/multiwoz/lexicalize.py`` at 2a168fc); the entities are the database's first
matching rows, as ConvLab's query returns them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from sb3_contrib import MaskablePPO
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from dialogym.envs.multiwoz_atomic import (
    VOCABULARY_FILE,
    AtomicAct,
    MultiWozAtomicActions,
    load_vocabulary,
)
from dialogym.envs.multiwoz_env import MultiWozEnv
from dialogym.randomness import RandomStream
from dialogym.tracking.multiwoz_dst import MultiWozState, MultiWozTracker


@pytest.fixture(scope="module")
def actions() -> MultiWozAtomicActions:
    return MultiWozAtomicActions()


def belief(*acts: tuple[str, str, str]) -> MultiWozState:
    """The tracker's state after the user informs ``(domain, slot, value)`` for each act."""
    return MultiWozTracker().update([("inform", d, s, v) for d, s, v in acts])


def say(
    actions: MultiWozAtomicActions, state: MultiWozState, *chosen: AtomicAct, seed: int = 0
) -> list[tuple[str, str, str, str]]:
    actions.reset()
    actions.update(state)
    stream = RandomStream(np.random.default_rng(seed))
    return actions.execute(actions.vector(chosen), state, stream)


def test_the_vocabulary_is_convlabs_delexicalised_system_acts() -> None:
    acts = load_vocabulary()
    document = json.loads(VOCABULARY_FILE.read_text(encoding="utf-8"))
    assert len(acts) == len(document["acts"]) == 212
    assert list(acts) == sorted(acts)  # ConvLab sorts its vocabulary (vector_base.py:135-136)
    # The domains and intents ConvLab's DDPT dictionary, built from its vocabulary, lists
    # (convlab/policy/vtrace_DPT/transformer_model/small_action_dict_multiwoz21.txt).
    assert sorted({a[0] for a in acts}) == [
        "attraction", "general", "hospital", "hotel", "police", "restaurant", "taxi", "train"
    ]  # fmt: skip
    assert {a[1] for a in acts} == {
        "inform", "nooffer", "recommend", "request", "select", "bye", "greet", "reqmore",
        "welcome", "book", "offerbook", "nobook",
    }  # fmt: skip
    assert MultiWozEnv(actions="atomic").action_space == gym.spaces.MultiBinary(len(acts))


def test_convlabs_own_vocabulary_file_loads_as_it_is(tmp_path: Path) -> None:
    acts = load_vocabulary()
    path = tmp_path / "sys_da_voc.txt"
    path.write_text("".join(json.dumps(list(act)) + "\n" for act in acts), encoding="utf-8")
    assert load_vocabulary(path) == acts


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('["hotel", "inform", "area"]\n', "line 1"),
        ('["hotel", "inform", "area", "1"]\n["hotel", "request", "area", "1"]\n', "line 2"),
        ('["hotel", "inform", "none", "2"]\n', "line 1"),
        ("[1, 2, 3, 4]\n", "line 1"),
        ('{"acts": {"a": 1}}', "acts"),
        ('{"acts": [["hotel", "inform", "area", "x"]]}', "acts[0]"),
        ('["hotel", "inform", "area", "1"]\nimport os\n', "line 2"),
        ('["hotel", "bye", "none", "none"]\n["hotel", "bye", "none", "none"]\n', "twice"),
    ],
)
def test_a_malformed_vocabulary_is_one_line_naming_the_fault(
    tmp_path: Path, text: str, field: str
) -> None:
    path = tmp_path / "voc.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(field)) as caught:
        load_vocabulary(path)
    assert "\n" not in str(caught.value) and "voc.txt" in str(caught.value)


def test_a_huge_vocabulary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "voc.txt"
    path.write_text('["hotel", "bye", "none", "none"]\n' * 40000, encoding="utf-8")
    with pytest.raises(ValueError, match="limit"):
        load_vocabulary(path)


def test_nothing_chosen_says_reqmore_and_general_acts_keep_none(
    actions: MultiWozAtomicActions,
) -> None:
    state = belief()
    assert say(actions, state) == [("reqmore", "general", "none", "none")]
    welcome, bye = ("general", "welcome", "none", "none"), ("general", "bye", "none", "none")
    assert say(actions, state, welcome, bye) == [
        ("bye", "general", "none", "none"),  # in vocabulary order
        ("welcome", "general", "none", "none"),
    ]
    assert say(actions, state, ("hotel", "request", "area", "?")) == [
        ("request", "hotel", "area", "?")
    ]


def test_informs_name_entities_by_rank_and_choice_counts_at_most_ten(
    actions: MultiWozAtomicActions,
) -> None:
    state = belief(("restaurant", "food", "chinese"))  # 17 match; rows 3, 7, 10 come first
    assert say(
        actions,
        state,
        ("restaurant", "inform", "choice", "1"),
        ("restaurant", "inform", "name", "1"),
        ("restaurant", "inform", "name", "2"),
        ("restaurant", "recommend", "name", "1"),
    ) == [
        ("inform", "restaurant", "choice", "10"),
        ("inform", "restaurant", "name", "the good luck chinese food takeaway"),
        ("inform", "restaurant", "name", "yu garden"),
        ("recommend", "restaurant", "name", "the good luck chinese food takeaway"),
    ]
    assert actions.offered["restaurant"] == 3 and actions.matches["restaurant"] == 17


def test_an_entity_past_the_matches_is_masked_and_not_carried_out(
    actions: MultiWozAtomicActions,
) -> None:
    state = belief(("restaurant", "food", "chinese"), ("restaurant", "area", "north"))
    mask = actions.update(state).reshape(-1, 2)
    assert mask[:, 0].all()  # not choosing an act is always allowed
    index = actions.vocabulary.index
    assert mask[index(("restaurant", "inform", "name", "3")), 1] == 1  # 3 match
    assert mask[index(("restaurant", "inform", "name", "4")), 1] == 0
    assert say(
        actions,
        state,
        ("restaurant", "inform", "name", "3"),
        ("restaurant", "inform", "name", "4"),
    ) == [("inform", "restaurant", "name", "the hotpot")]


def test_book_takes_the_first_entitys_row_and_booking_slots_need_the_belief(
    actions: MultiWozAtomicActions,
) -> None:
    hotel = (("hotel", "area", "east"), ("hotel", "type", "guesthouse"))
    state = belief(*hotel, ("hotel", "price range", "cheap"))  # rows 3, 8, 24
    index = actions.vocabulary.index
    assert actions.update(state)[2 * index(("hotel", "inform", "book day", "1")) + 1] == 0
    assert say(actions, state, ("hotel", "book", "none", "none")) == [
        ("book", "hotel", "none", "00000003")
    ]
    booked = belief(*hotel, ("hotel", "price range", "cheap"), ("hotel", "book day", "monday"))
    assert say(actions, booked, ("hotel", "inform", "book day", "1")) == [
        ("inform", "hotel", "book day", "monday")  # not a column: the belief's value
    ]
    referencing = MultiWozAtomicActions(booking_reference=True)
    assert say(referencing, state, ("hotel", "book", "none", "none")) == [
        ("inform", "hotel", "ref", "00000003"),
        ("book", "hotel", "none", "00000003"),
    ]


def test_nooffer_names_the_constraint_that_matches_nothing(
    actions: MultiWozAtomicActions,
) -> None:
    state = belief(("restaurant", "food", "eritrean"), ("restaurant", "area", "north"))
    nooffer = ("restaurant", "nooffer", "none", "none")
    assert say(actions, state, nooffer) == [("nooffer", "restaurant", "food", "eritrean")]
    # masked while anything matches, and a nooffer naming a slot is always masked
    mask = actions.update(belief(("restaurant", "food", "chinese"))).reshape(-1, 2)
    assert mask[actions.vocabulary.index(nooffer), 1] == 0
    assert mask[actions.vocabulary.index(("restaurant", "nooffer", "food", "1")), 1] == 0


def test_train_columns_taxi_draws_and_hospital_entities(actions: MultiWozAtomicActions) -> None:
    train = belief(
        ("train", "departure", "cambridge"),
        ("train", "destination", "london kings cross"),
        ("train", "day", "monday"),
    )
    assert say(
        actions, train, ("train", "inform", "leave at", "2"), ("train", "inform", "train id", "1")
    ) == [("inform", "train", "leave at", "07:00"), ("inform", "train", "train id", "TR7075")]
    taxi = belief(("taxi", "leave at", "17:15"))
    acts = say(
        actions,
        taxi,
        ("taxi", "inform", "leave at", "1"),
        ("taxi", "inform", "phone", "1"),
        ("taxi", "inform", "type", "1"),
    )
    assert acts[0] == ("inform", "taxi", "leave at", "17:15")
    assert re.fullmatch("[1-9]{11}", acts[1][3]) and acts[2][3] in actions.database.taxi.types
    leave_at = actions.vocabulary.index(("taxi", "inform", "leave at", "1"))
    assert actions.update(belief())[2 * leave_at + 1] == 0  # the belief has no leave at
    hospital = say(actions, belief(), ("hospital", "inform", "address", "1"))
    assert hospital == [("inform", "hospital", "address", "Hills Rd, Cambridge")]


def test_the_atomic_env_passes_the_checkers() -> None:
    check_env(MultiWozEnv(actions="atomic"), skip_render_check=True)
    sb3_check_env(MultiWozEnv(actions="atomic"), warn=False)


def test_a_bad_action_set_or_action_is_one_line_naming_it() -> None:
    with pytest.raises(ValueError, match=r"^actions: .*'discrete'"):
        MultiWozEnv(actions="discrete")
    env = MultiWozEnv(actions="atomic")
    env.reset(seed=0)
    for bad in (3, np.ones(5), np.full(env.actions.size, 2)):
        with pytest.raises(ValueError, match=r"^action: "):
            env.step(bad)


def test_random_vectors_for_hundreds_of_steps_raise_nothing() -> None:
    env = MultiWozEnv(actions="atomic")
    rng = np.random.default_rng(0)
    obs, info = env.reset(seed=5)
    steps = dialogues = 0
    while steps < 400:
        mask = env.action_masks().reshape(-1, 2)[:, 1]
        vector = (rng.random(env.actions.size) < 0.03).astype(np.int8)
        if steps % 2:  # half the turns honour the mask, half do not
            vector &= mask
        obs, reward, terminated, truncated, info = env.step(vector)
        assert env.observation_space.contains(obs) and not truncated
        assert info["action_mask"].shape == (2 * env.actions.size,)
        assert all(all(isinstance(x, str) for x in act) for act in info["system_acts"])
        steps += 1
        if terminated:
            dialogues += 1
            obs, info = env.reset()
    assert dialogues >= 10


def test_maskable_ppo_learns_on_the_atomic_space_without_error() -> None:
    env = MultiWozEnv(actions="atomic")
    model = MaskablePPO("MlpPolicy", env, n_steps=32, batch_size=32, n_epochs=1, seed=0)
    model.learn(64)
