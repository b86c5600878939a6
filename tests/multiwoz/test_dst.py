"""ConvLab-3's rule tracker rebuilt: informs, value normalisation, requests, bookings, copies."""

from __future__ import annotations

import json
import shutil
from importlib.resources import files
from pathlib import Path

import pytest

from dialogym.domains.multiwoz import load_multiwoz
from dialogym.envs.multiwoz_world import MultiWozWorld
from dialogym.tracking.multiwoz_dst import (
    BELIEF_SLOTS,
    MultiWozState,
    MultiWozTracker,
    edit_distance,
    normalize_value,
)


@pytest.fixture(scope="module")
def tracker() -> MultiWozTracker:
    return MultiWozTracker()


def test_a_new_state_has_every_belief_slot_empty_and_nothing_requested_or_booked() -> None:
    state = MultiWozState()
    assert {d: tuple(slots) for d, slots in state.belief.items()} == dict(BELIEF_SLOTS)
    assert all(v == "" for slots in state.belief.values() for v in slots.values())
    assert state.requests == {} and state.booked == {} and state.user_acts == ()


def test_inform_sets_the_slot_with_the_value_normalised(tracker: MultiWozTracker) -> None:
    tracker.reset()
    state = tracker.update(
        [
            ("inform", "hotel", "area", "  Center "),
            ("inform", "hotel", "book stay", "3"),
            ("inform", "restaurant", "name", "Pizza Hut  Fen Ditton"),
            ("inform", "train", "leave at", "09:15"),
            ("inform", "attraction", "name", "museum of archaelogy and anthropolgy"),
        ]
    )
    assert state.belief["hotel"]["area"] == "centre"  # center -> centre
    assert state.belief["hotel"]["book stay"] == "3"
    assert state.belief["restaurant"]["name"] == "pizza hut fen ditton"  # case, blanks
    assert state.belief["train"]["leave at"] == "09:15"  # no list for "leave at": kept
    assert state.belief["attraction"]["name"] == "museum of archaelogy and anthropology"  # 1 edit


def test_a_later_inform_overwrites_and_dontcare_is_kept(tracker: MultiWozTracker) -> None:
    tracker.reset()
    tracker.update([("inform", "restaurant", "food", "chinese")])
    state = tracker.update([("inform", "restaurant", "food", "dontcare")])
    assert state.belief["restaurant"]["food"] == "dontcare"


def test_unknown_slots_domains_and_other_intents_are_ignored(tracker: MultiWozTracker) -> None:
    tracker.reset()
    before = MultiWozState()
    state = tracker.update(
        [
            ("inform", "hotel", "phone", "0123"),  # not a belief slot
            ("inform", "hotel", "", "x"),
            ("inform", "police", "name", "parkside police station"),  # no police belief
            ("request", "police", "phone", ""),  # nor police requests, as in ConvLab
            ("request", "general", "", ""),
            ("bye", "general", "", ""),
            ("negate", "hotel", "area", "east"),
        ]
    )
    assert state.belief == before.belief and state.requests == {}


def test_requests_accumulate_in_order_and_are_never_cleared(tracker: MultiWozTracker) -> None:
    tracker.reset()
    tracker.update([("request", "hotel", "phone", ""), ("request", "hotel", "postcode", "")])
    tracker.update([("request", "hotel", "phone", ""), ("inform", "hotel", "area", "east")])
    state = tracker.update([("request", "train", "duration", "")])
    assert state.requests == {"hotel": ["phone", "postcode"], "train": ["duration"]}
    assert state.user_acts == (("request", "train", "duration", ""),)


def test_system_book_acts_are_recorded_in_booked(tracker: MultiWozTracker) -> None:
    tracker.reset()
    acts = [("book", "hotel", "", ""), ("inform", "hotel", "ref", "00000004")]
    tracker.record_system_acts(acts)
    tracker.record_system_acts([("book", "train", "ref", "00000007")])
    assert tracker.state.booked == {"hotel": ("", ""), "train": ("ref", "00000007")}
    assert tracker.state.system_acts == (("book", "train", "ref", "00000007"),)


def test_reset_empties_the_state_and_copies_are_independent(tracker: MultiWozTracker) -> None:
    tracker.reset()
    state = tracker.update([("inform", "hotel", "area", "east"), ("request", "hotel", "phone", "")])
    copy = state.copy()
    tracker.update([("inform", "hotel", "area", "west"), ("request", "hotel", "postcode", "")])
    tracker.record_system_acts([("book", "hotel", "", "")])
    assert copy.belief["hotel"]["area"] == "east" and copy.requests == {"hotel": ["phone"]}
    assert copy.booked == {}
    fresh = tracker.reset()
    assert fresh.belief == MultiWozState().belief and fresh.requests == {}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("north", "north"),  # listed
        ("the north", "north"),  # a listed value inside it
        ("nor", "north"),  # inside a listed value
        ("centre", "centre"),
        ("a 's place", "a's place"),  # rewrite tried, nothing matches: the value is kept
        ("dontcare", "dontcare"),
    ],
)
def test_normalize_value_follows_convlabs_order_of_tests(value: str, expected: str) -> None:
    values = {"hotel": {"area": ["centre", "north"], "name": ["a's place"]}}
    slot = "name" if "place" in value else "area"
    assert normalize_value(values, "hotel", slot, value) == expected


def test_normalize_value_tries_the_rewrites_before_giving_up() -> None:
    values = {"hotel": {"name": ["the lensfield hotel", "a and b guest house"]}}
    assert normalize_value(values, "hotel", "name", "a - b guest") == "a - b guest"
    assert normalize_value(values, "hotel", "name", "lensfield hotle") == "the lensfield hotel"
    assert normalize_value(values, "hotel", "stars", "Four") == "four"  # no list: lowered


def test_edit_distance() -> None:
    assert edit_distance("", "abc") == 3 and edit_distance("kitten", "sitting") == 3


def test_a_world_on_another_copy_of_the_data_normalises_towards_its_ontology(
    tmp_path: Path,
) -> None:
    package = files("dialogym.domains") / "data" / "multiwoz"
    copy = tmp_path / "multiwoz"
    shutil.copytree(str(package), copy)
    ontology = json.loads((copy / "value_set.json").read_text(encoding="utf-8"))
    ontology["restaurant"]["food"].append("Martian Fusion")
    (copy / "value_set.json").write_text(json.dumps(ontology), encoding="utf-8")
    world = MultiWozWorld(load_multiwoz(copy))
    state = world.tracker.update([("inform", "restaurant", "food", "martian fusion food")])
    assert state.belief["restaurant"]["food"] == "martian fusion"
    assert "martian fusion" not in MultiWozTracker().values["restaurant"]["food"]
