"""ConvLab-3's rule system policy rebuilt: one test per branch, bookings, determinism, a fuzz run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pytest

from dialogym.acts import UnifiedAct
from dialogym.domains.multiwoz import load_multiwoz
from dialogym.policies.multiwoz_rule import MultiWozRulePolicy
from dialogym.randomness import RandomStream
from dialogym.tracking.multiwoz_dst import BELIEF_SLOTS, MultiWozState, MultiWozTracker

DB = load_multiwoz().database
TRAIN = {"day": "monday", "destination": "london kings cross", "departure": "cambridge"}


def policy(seed: int = 0) -> MultiWozRulePolicy:
    return MultiWozRulePolicy(RandomStream(np.random.default_rng(seed)))


def state(
    user_acts: Sequence[UnifiedAct], belief: Mapping[str, Mapping[str, str]] | None = None
) -> MultiWozState:
    """A hand-built state: the given belief slots set, the turn's user acts."""
    built = MultiWozState(user_acts=tuple(user_acts))
    for domain, slots in (belief or {}).items():
        built.belief[domain].update(slots)
    return built


def of(acts: Sequence[UnifiedAct], intent: str, domain: str) -> list[tuple[str, str]]:
    return [(s, v) for i, d, s, v in acts if i == intent and d == domain]


def test_bye_gives_bye_and_sometimes_welcome_when_the_turn_has_other_acts() -> None:
    turn = [("request", "police", "phone", ""), ("bye", "general", "", "")]
    outcomes = {
        tuple(a[0] for a in policy(seed).act(state(turn)) if a[1] == "general")
        for seed in range(40)
    }
    assert outcomes == {("bye",), ("bye", "welcome")}


def test_a_lone_bye_becomes_greet_as_in_convlab() -> None:
    for seed in range(10):
        assert policy(seed).act(state([("bye", "general", "", "")])) == [
            ("greet", "general", "", "")
        ]


def test_thank_gives_welcome() -> None:
    acts = policy().act(state([("thank", "general", "", ""), ("request", "police", "phone", "")]))
    assert acts[0] == ("welcome", "general", "", "")


def test_empty_user_acts_give_greet() -> None:
    assert policy().act(state([])) == [("greet", "general", "", "")]


def test_taxi_without_a_time_requests_leave_or_arrive_never_the_places() -> None:
    seen = set()
    for seed in range(20):
        acts = policy(seed).act(state([("inform", "taxi", "departure", "x")]))
        assert all(i == "request" and d == "taxi" and v == "" for i, d, _, v in acts)
        seen.add(tuple(s for _, _, s, _ in acts))
    assert seen == {("leave at",), ("leave at", "arrive by")}


def test_taxi_with_a_time_informs_a_car_type_and_an_11_digit_phone() -> None:
    acts = policy().act(
        state([("inform", "taxi", "leave at", "10:00")], {"taxi": {"leave at": "10:00"}})
    )
    (car, phone) = of(acts, "inform", "taxi")
    assert car[0] == "type" and car[1] in DB.taxi.types
    assert phone[0] == "phone" and len(phone[1]) == 11 and phone[1].isdigit()


@pytest.mark.parametrize(
    ("domain", "belief", "constraints", "answers"),
    [
        (
            "restaurant",
            {"area": "centre", "food": "chinese"},
            [("area", "centre"), ("food", "chinese")],
            {"phone": "phone", "price range": "pricerange"},
        ),
        (
            "train",
            {**TRAIN, "leave at": "10:00"},
            [("leaveAt", "10:00"), *TRAIN.items()],
            {"train id": "trainID", "price": "price"},
        ),
    ],
)
def test_a_request_is_answered_from_the_first_match(
    domain: str, belief: dict[str, str], constraints: list[tuple[str, str]], answers: dict[str, str]
) -> None:
    first = DB.rows(domain)[DB.match(domain, constraints)[0]]
    acts = policy().act(
        state([("request", domain, slot, "") for slot in answers], {domain: belief})
    )
    assert acts == [("inform", domain, slot, first[column]) for slot, column in answers.items()]


def test_venue_request_of_a_column_the_entity_lacks_is_answered_unknown() -> None:
    acts = policy().act(state([("request", "attraction", "open hours", "")]))
    assert acts == [("inform", "attraction", "open hours", "unknown")]


def test_venue_request_without_a_match_gives_nooffer_listing_the_constraints() -> None:
    belief = {"restaurant": {"food": "eritrean", "area": "dontcare"}}
    acts = policy().act(state([("request", "restaurant", "phone", "")], belief))
    assert acts == [("nooffer", "restaurant", "food", "eritrean")]  # dontcare not listed


def test_venue_inform_without_a_match_gives_nooffer() -> None:
    belief = {"hotel": {"area": "north", "stars": "5"}}
    acts = policy().act(state([("inform", "hotel", "stars", "5")], belief))
    assert acts == [("nooffer", "hotel", "area", "north"), ("nooffer", "hotel", "stars", "5")]


def test_venue_inform_with_one_match_informs_belief_slots_of_that_entity() -> None:
    name = DB.rows("hotel")[0]["name"]
    row = DB.rows("hotel")[DB.match("hotel", [("name", name)])[0]]
    columns = {"price range": "pricerange"}
    sizes = set()
    for seed in range(30):
        acts = policy(seed).act(
            state([("inform", "hotel", "name", name)], {"hotel": {"name": name}})
        )
        informs = of(acts, "inform", "hotel")
        assert acts == [("inform", "hotel", s, v) for s, v in informs]
        assert all(row[columns.get(s, s)] == v for s, v in informs)
        assert {s for s, _ in informs} <= set(BELIEF_SLOTS["hotel"][:7])
        sizes.add(len(informs))
    assert len(sizes) > 2  # 1..7 of the seven info slots, empty ones included


def test_venue_inform_with_many_matches_gives_choice_and_recommends_a_match() -> None:
    matches = DB.match("restaurant", [("area", "centre")])
    names = {DB.rows("restaurant")[i]["name"] for i in matches}
    extras = set()
    for seed in range(30):
        acts = policy(seed).act(
            state([("inform", "restaurant", "area", "centre")], {"restaurant": {"area": "centre"}})
        )
        assert of(acts, "inform", "restaurant") == [("choice", str(len(matches)))]
        recommend = of(acts, "recommend", "restaurant")
        assert recommend[0][0] == "name" and recommend[0][1] in names
        assert len(recommend) <= 3
        extras.update(s for s, _ in recommend[1:])
    assert extras and extras <= {
        "address",
        "area",
        "food",
        "name",
        "phone",
        "postcode",
        "price range",
        "ref",
    }


def test_hospital_recommendation_names_no_entity() -> None:
    for seed in range(10):
        acts = policy(seed).act(state([("inform", "hospital", "department", "x")]))
        assert ("inform", "hospital", "choice", str(len(DB.rows("hospital")))) in acts
        assert not any(s == "name" for _, _, s, _ in acts)


def test_train_without_a_time_requests_times_and_the_missing_constraints() -> None:
    seen = set()
    for seed in range(30):
        acts = policy(seed).act(
            state([("inform", "train", "day", "monday")], {"train": {"day": "monday"}})
        )
        slots = tuple(s for i, d, s, _ in acts if (i, d) == ("request", "train"))
        assert slots[-2:] == ("destination", "departure") and len(acts) == len(slots)
        seen.add(slots[:-2])
    assert seen == {("leave at",), ("arrive by",), ("leave at", "arrive by")}


def test_train_without_a_match_gives_nooffer_listing_every_constraint() -> None:
    belief = {"train": {**TRAIN, "leave at": "23:59"}}
    acts = policy().act(state([("inform", "train", "leave at", "23:59")], belief))
    assert acts == [
        ("nooffer", "train", "leave at", "23:59"),
        *(("nooffer", "train", s, v) for s, v in TRAIN.items()),
    ]


def test_train_with_the_four_constraints_offers_to_book_after_every_inform() -> None:
    belief = {"train": {**TRAIN, "arrive by": "20:00"}}
    for turn in (
        [("inform", "train", "arrive by", "20:00")],
        [("inform", "train", "day", "monday")],
    ):
        acts = policy().act(state(turn, belief))
        assert acts == [
            ("offerbook", "train", "arrive by", "20:00"),
            *(("offerbook", "train", s, v) for s, v in TRAIN.items()),
        ]


@pytest.mark.parametrize(
    ("domain", "belief", "constraints", "slot"),
    [
        (
            "restaurant",
            {"area": "centre", "food": "chinese"},
            [("area", "centre"), ("food", "chinese")],
            "book time",
        ),
        ("hotel", {"area": "east"}, [("area", "east")], "book stay"),
        (
            "train",
            {**TRAIN, "leave at": "10:00"},
            [("leaveAt", "10:00"), *TRAIN.items()],
            "book people",
        ),
    ],
)
def test_a_booking_slot_books_the_first_match_and_drops_every_other_act(
    domain: str, belief: dict[str, str], constraints: list[tuple[str, str]], slot: str
) -> None:
    first = DB.match(domain, constraints)[0]
    turn = [("inform", domain, slot, "2"), ("request", domain, "phone", "")]
    for seed in range(10):  # the reqmore drawn with p = 0.5 is dropped too
        acts = policy(seed).act(state(turn, {domain: {**belief, slot: "2"}}))
        assert acts == [("book", domain, "", ""), ("inform", domain, "ref", f"{first:08d}")]


def test_a_booking_slot_without_a_match_books_nothing() -> None:
    belief = {"restaurant": {"food": "eritrean", "book day": "monday"}}
    acts = policy().act(state([("inform", "restaurant", "book day", "monday")], belief))
    assert acts == [("nooffer", "restaurant", "food", "eritrean")]


def test_the_booking_goes_to_the_domain_the_user_spoke_about_last() -> None:
    belief = {"hotel": {"area": "east", "book people": "2"}, "attraction": {"area": "east"}}
    turn = [("inform", "hotel", "book people", "2"), ("inform", "attraction", "area", "east")]
    acts = policy().act(state(turn, belief))
    first = DB.match("hotel", [("area", "east")])[0]
    assert acts == [("book", "attraction", "", ""), ("inform", "attraction", "ref", f"{first:08d}")]


DIALOGUE: list[list[UnifiedAct]] = [
    [("inform", "restaurant", "area", "centre")],
    [("inform", "restaurant", "food", "chinese"), ("request", "restaurant", "phone", "")],
    [("inform", "train", "destination", "cambridge"), ("inform", "taxi", "leave at", "10:00")],
    [("inform", "hotel", "name", DB.rows("hotel")[3]["name"])],
    [
        ("bye", "general", "", ""),
        ("thank", "general", "", ""),
        ("inform", "attraction", "type", "museum"),
    ],
]


def run(seed: int) -> list[list[UnifiedAct]]:
    tracker, rule = MultiWozTracker(), policy(seed)
    out = []
    for turn in DIALOGUE:
        acts = rule.act(tracker.update(turn))
        tracker.record_system_acts(acts)
        out.append(acts)
    return out


def test_same_seed_same_acts_and_the_seed_matters() -> None:
    assert run(1) == run(1)
    assert len({str(run(seed)) for seed in range(8)}) > 1


def test_fuzz_random_user_acts_through_tracker_and_policy() -> None:
    ontology = load_multiwoz().ontology
    rng = np.random.default_rng(7)
    tracker, rule = MultiWozTracker(), policy(7)
    domains = [*BELIEF_SLOTS, "police", "general"]
    intents = ("inform", "request", "bye", "thank", "greet", "reqalts")
    known = {
        "inform",
        "request",
        "nooffer",
        "recommend",
        "offerbook",
        "book",
        "bye",
        "welcome",
        "greet",
    }
    for turn in range(3000):
        if turn % 20 == 0:
            tracker.reset()
            rule.reset()
        acts: list[UnifiedAct] = []
        for _ in range(int(rng.integers(0, 4))):
            domain = domains[int(rng.integers(len(domains)))]
            slots = [*BELIEF_SLOTS.get(domain, ()), "phone", "address", "ref", ""]
            slot = slots[int(rng.integers(len(slots)))]
            values = [
                *ontology.get(domain, {}).get(slot.replace(" ", ""), ()),
                "dontcare",
                "10:00",
                "",
            ]
            value = values[int(rng.integers(len(values)))]
            acts.append((intents[int(rng.integers(len(intents)))], domain, slot, value))
        answer = rule.act(tracker.update(acts))
        tracker.record_system_acts(answer)
        assert all(len(a) == 4 and all(isinstance(x, str) for x in a) for a in answer)
        assert {a[0] for a in answer} <= known
