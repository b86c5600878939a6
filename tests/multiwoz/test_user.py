"""ConvLab-3's MultiWOZ agenda user: each reaction, the cap, determinism, the fix options, fuzz."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

from dialogym.acts import UnifiedAct
from dialogym.domains.multiwoz import load_multiwoz
from dialogym.randomness import RandomStream
from dialogym.simulators.multiwoz_goals import MultiWozGoal, MultiWozGoalGenerator
from dialogym.simulators.multiwoz_user import (
    CONVLAB_USER,
    FIXED_USER,
    MultiWozUser,
    MultiWozUserOptions,
)

DATA = load_multiwoz()
BYE: UnifiedAct = ("bye", "general", "", "")
NOTHING: tuple[UnifiedAct, ...] = ()

RESTAURANT = {"restaurant": {"info": {"food": "italian", "area": "centre"}, "reqt": ["phone"]}}
TRAIN_INFO = {
    "departure": "cambridge",
    "destination": "london kings cross",
    "day": "monday",
    "leaveAt": "09:00",
}
TRAIN_BOOK = {"train": {"info": TRAIN_INFO, "book": {"people": "2"}}}
FAILING = {
    "restaurant": {
        "info": {"food": "italian", "area": "centre"},
        "fail_info": {"food": "eritrean", "area": "centre"},
        "reqt": ["phone"],
    }
}
TRAIN_NO_BOOK = {"train": {"info": TRAIN_INFO, "reqt": ["duration"]}}


def start(
    goal: dict[str, Any], seed: int = 0, **options: Any
) -> tuple[MultiWozUser, tuple[UnifiedAct, ...]]:
    """A user for a hand-written goal; by default it pops one item at a time, never 'the same'."""
    settings = {"max_initiative": 1, "same_value_share": 0.0, **options}
    user = MultiWozUser(DATA, MultiWozUserOptions(**settings))
    first = user.start(MultiWozGoal.from_convlab(goal), RandomStream(np.random.default_rng(seed)))
    return user, first


def informs(acts: Sequence[UnifiedAct]) -> dict[str, str]:
    return {slot: value for intent, _, slot, value in acts if intent == "inform"}


def state_constraints(user: MultiWozUser) -> list[UnifiedAct]:
    """Let the user speak (empty system turns) until it has stated its first domain's info."""
    said: list[UnifiedAct] = []
    while any(item[1] == "inform" and item[2] != "none" for item in user.agenda[1:]):
        said += user.respond(NOTHING)
    return said


def reply(
    goal: dict[str, Any], system_acts: Sequence[UnifiedAct], seed: int = 0, **options: Any
) -> tuple[MultiWozUser, tuple[UnifiedAct, ...]]:
    """A user that has stated its first domain's constraints, and its answer to ``system_acts``."""
    user, _ = start(goal, seed, **options)
    state_constraints(user)
    return user, user.respond(system_acts)


def like_nothing(goal: dict[str, Any], system_acts: Sequence[UnifiedAct]) -> bool:
    """Whether the user reacts to ``system_acts`` as to an empty turn (same seed)."""
    outcomes = []
    for acts in (system_acts, NOTHING):
        user, _ = start(goal, max_initiative=4)
        state_constraints(user)
        outcomes.append((user.respond(acts), user.agenda, user.terminated))
    return outcomes[0] == outcomes[1]


def pending(user: MultiWozUser, intent: str | None = None) -> list[tuple[str, str, str, str]]:
    return [item for item in user.agenda if intent is None or item[1] == intent]


# -- agenda initialisation -----------------------------------------------------------------------


def test_opening_announces_the_first_domain() -> None:
    goal = {**RESTAURANT, "hotel": {"info": {"area": "north"}, "reqt": ["phone"]}}
    user, first = start(goal)
    assert first == (("inform", "restaurant", "", ""),)
    assert user.turn == 2
    assert user.agenda[0] == ("general", "bye", "none", "none")
    assert user.agenda[1] == ("hotel", "inform", "area", "north")  # the later domain lies below


def test_constraints_come_in_a_random_order() -> None:
    orders = set()
    for seed in range(20):
        user, _ = start(RESTAURANT, seed=seed)
        orders.add(tuple(slot for _, _, slot, _ in pending(user, "inform")[:2]))
    assert orders == {("food", "area"), ("area", "food")}


def test_fail_info_is_stated_before_info() -> None:
    user, _ = start(FAILING)
    assert informs(state_constraints(user)) == {"food": "eritrean", "area": "centre"}


def test_same_value_is_rewritten_as_the_same() -> None:
    goal = {
        "attraction": {"info": {"area": "centre"}, "reqt": ["phone"]},
        **RESTAURANT,
    }
    user, _ = start(goal, same_value_share=1.0)
    assert ("restaurant", "inform", "area", "same area as the attraction") in user.agenda


NAME_FIRST = {"restaurant": {"info": {"food": "italian"}, "reqt": ["phone", "name", "address"]}}
REPLIES: dict[str, tuple[dict[str, Any], str, str]] = {
    "choice-0-nooffer": (RESTAURANT, "inform restaurant choice=0", "bye general ="),
    "wrong-corrected": (
        RESTAURANT,
        "recommend restaurant food=indian",
        "inform restaurant food=italian",
    ),
    "choices-pick-any": (RESTAURANT, "inform restaurant choice=9", "inform restaurant choice=any"),
    "request-from-goal": (TRAIN_BOOK, "request train day=", "inform train day=monday"),
    "else-dontcare": (TRAIN_BOOK, "request train arrive by=", "inform train arrive by=dontcare"),
    "book-notbook": (TRAIN_NO_BOOK, "offerbook train =", "inform train NotBook=none"),
    "requests-after-info": (RESTAURANT, "", "request restaurant phone="),
    "name-asked-first": (NAME_FIRST, "", "request restaurant name="),
}
"""One system act (none: ``""``) after the user stated its constraints, and the user's answer,
as ``intent domain slot=value``."""


def act(text: str) -> UnifiedAct:
    intent, domain, rest = text.split(" ", 2)
    slot, _, value = rest.partition("=")
    return (intent, domain, slot, value)


@pytest.mark.parametrize("reaction", REPLIES)
def test_reply(reaction: str) -> None:
    goal, system, expected = REPLIES[reaction]
    assert reply(goal, [act(system)] if system else NOTHING)[1] == (act(expected),)


def test_select_is_answered_from_the_goal_or_with_an_offered_value() -> None:
    foods = [("select", "restaurant", "food", food) for food in ("indian", "italian")]
    assert reply(RESTAURANT, foods)[1] == (("inform", "restaurant", "food", "italian"),)
    prices = [("select", "restaurant", "price range", p) for p in ("cheap", "expensive")]
    taken = {reply(RESTAURANT, prices, seed=seed)[1] for seed in range(20)}
    assert taken == {(("inform", "restaurant", "price range", p),) for p in ("cheap", "expensive")}


# -- pass 1: nooffer and nobook ------------------------------------------------------------------


def test_nooffer_after_fail_info_states_the_feasible_constraints() -> None:
    user, said = reply(FAILING, [("nooffer", "restaurant", "food", "eritrean")])
    assert said == (("inform", "restaurant", "food", "italian"),)
    # fail_info is retired: italian is now right, eritrean wrong
    user.respond([("inform", "restaurant", "food", "italian")])
    assert not pending(user, "inform")


def test_nooffer_without_fail_info_makes_a_user_with_requests_give_up() -> None:
    user, said = reply(RESTAURANT, [("nooffer", "restaurant", "", "")])
    assert said == (BYE,)
    assert user.terminated


def test_nooffer_is_ignored_by_a_user_without_requests() -> None:
    user, said = reply(TRAIN_BOOK, [("nooffer", "train", "", "")])
    assert said != (BYE,) and not user.terminated


def test_nobook_makes_a_user_who_wants_a_booking_give_up() -> None:
    user, said = reply(TRAIN_BOOK, [("nobook", "train", "", "")])
    assert said == (BYE,)
    assert user.terminated


def test_acts_on_domains_outside_the_goal_are_ignored() -> None:
    assert like_nothing(
        RESTAURANT, [("nooffer", "hotel", "", ""), ("request", "hotel", "area", "")]
    )


# -- pass 2: inform, recommend, book, request, select, general -----------------------------------


def test_inform_of_a_requested_slot_is_learned() -> None:
    user, _ = start(RESTAURANT)
    state_constraints(user)
    assert user.respond(NOTHING) == (("request", "restaurant", "phone", ""),)
    said = user.respond([("inform", "restaurant", "phone", "01223323737")])
    assert user.requested["restaurant"]["phone"] == "01223323737"
    assert user.task_complete() and said == (BYE,)


def test_requested_value_is_not_learned_while_a_constraint_is_pending() -> None:
    user, _ = start(RESTAURANT)
    user.respond([("inform", "restaurant", "phone", "01223323737")])
    assert user.requested["restaurant"]["phone"] == "?"


def test_unknown_values_are_learned_quoted() -> None:
    user, _ = start(RESTAURANT)
    state_constraints(user)
    user.respond([("inform", "restaurant", "phone", "none")])
    assert user.requested["restaurant"]["phone"] == '"none"'
    assert user.task_complete()


def test_times_are_checked_as_bounds() -> None:
    user, _ = start(TRAIN_BOOK)
    state_constraints(user)
    user.respond([("inform", "train", "leave at", "09:30")])  # later than 09:00: fine
    assert not any(item[2] == "leaveAt" for item in user.agenda)
    said = user.respond([("inform", "train", "leave at", "08:30")])
    assert said == (("inform", "train", "leave at", "09:00"),)


def test_system_values_are_matched_to_the_ontology() -> None:
    user, said = reply(RESTAURANT, [("inform", "restaurant", "food", "Italian")])
    assert "food" not in informs(said)
    assert not any(item[2] == "food" for item in user.agenda)


def test_a_recommended_name_withdraws_the_pick() -> None:
    user, _ = start(RESTAURANT)
    state_constraints(user)
    user.respond(
        [
            ("inform", "restaurant", "choice", "9"),
            ("recommend", "restaurant", "name", "pizza hut city centre"),
        ]
    )
    assert not any(item[2] == "choice" for item in user.agenda)


def test_book_is_accepted_when_its_details_are_right() -> None:
    user, said = reply(
        TRAIN_BOOK, [("book", "train", "", ""), ("inform", "train", "ref", "00000002")]
    )
    assert user.booked["train"] == "yes"
    assert said == (BYE,)


def test_book_with_a_wrong_detail_is_corrected_and_not_accepted() -> None:
    user, said = reply(TRAIN_BOOK, [("book", "train", "book people", "3")])
    assert user.booked["train"] == "?"
    assert said == (("inform", "train", "book people", "2"),)


def test_request_of_a_booking_detail_is_answered() -> None:
    user, _ = start(TRAIN_BOOK)
    assert user.respond([("request", "train", "book people", "")]) == (
        ("inform", "train", "book people", "2"),
    )


def test_request_of_a_hotel_booking_detail_is_dropped() -> None:
    # ConvLab's system-slot table has no hotel or restaurant booking slots
    goal = {
        "hotel": {
            "info": {"area": "north"},
            "reqt": ["phone"],
            "book": {"people": "2", "day": "monday", "stay": "3"},
        }
    }
    assert like_nothing(goal, [("request", "hotel", "book stay", "")])
    assert not like_nothing(goal, [("request", "hotel", "area", "")])


def test_request_of_a_slot_the_user_requests_gets_no_answer() -> None:
    user, _ = start(RESTAURANT)
    state_constraints(user)
    user.respond([("request", "restaurant", "phone", "")])
    assert not pending(user, "inform")


NAMED_HOTEL = {"hotel": {"info": {"name": "acorn guest house"}, "reqt": ["phone"]}}
HOTEL = {"hotel": {"info": {"area": "north"}, "reqt": ["phone"]}}


@pytest.mark.parametrize(
    ("venues", "slot", "place"),
    [
        (NAMED_HOTEL, "destination", "acorn guest house"),
        (HOTEL, "destination", "the hotel"),
        (HOTEL, "departure", "dontcare"),
        ({**RESTAURANT, **HOTEL}, "departure", "the restaurant"),
        ({**RESTAURANT, **HOTEL}, "destination", "the hotel"),
    ],
)
def test_taxi_places_are_the_venues_before_it(
    venues: dict[str, Any], slot: str, place: str
) -> None:
    user, _ = start({**venues, "taxi": {"info": {"leaveAt": "10:00"}, "reqt": ["phone"]}})
    said = user.respond([("request", "taxi", slot, "")])
    assert said == (("inform", "taxi", slot, place),)


@pytest.mark.parametrize("intent", ["greet", "reqmore", "welcome", "bye"])
def test_general_acts_have_no_effect(intent: str) -> None:
    assert like_nothing(RESTAURANT, [(intent, "general", "", "")])


# -- pass 3, post_process and the pop ------------------------------------------------------------


def test_post_process_gives_the_booking_after_the_requests() -> None:
    goal = {"train": {"info": TRAIN_INFO, "reqt": ["duration"], "book": {"people": "2"}}}
    user, _ = start(goal)
    state_constraints(user)
    user.respond(NOTHING)  # request duration
    said = user.respond([("inform", "train", "duration", "51 minutes")])
    assert said == (("inform", "train", "book people", "2"),)


def test_booking_details_are_popped_together() -> None:
    goal = {
        "hotel": {"info": {"area": "north"}, "book": {"people": "2", "day": "monday", "stay": "3"}}
    }
    user, said = reply(goal, NOTHING)
    assert informs(said) == {"book people": "2", "book day": "monday", "book stay": "3"}


def test_pushed_reactions_are_popped_together() -> None:
    user, _ = start(TRAIN_BOOK, max_initiative=1)
    said = user.respond([("request", "train", "day", ""), ("request", "train", "departure", "")])
    assert informs(said) == {"day": "monday", "departure": "cambridge"}


def test_with_nothing_pushed_the_user_takes_initiative() -> None:
    sizes = set()
    for seed in range(30):
        user, first = start(TRAIN_BOOK, seed=seed, max_initiative=4)
        sizes.add(len(first))
    assert sizes == {1, 2, 3, 4}


def test_the_user_says_bye_when_its_goal_is_met() -> None:
    user, _ = start(RESTAURANT)
    state_constraints(user)
    user.respond(NOTHING)
    assert user.respond([("inform", "restaurant", "phone", "01223323737")]) == (BYE,)
    assert user.terminated
    with pytest.raises(RuntimeError, match="over"):
        user.respond(NOTHING)


def test_the_user_says_bye_in_reply_to_the_20th_system_turn() -> None:
    user, _ = start(RESTAURANT)
    for _ in range(19):
        assert user.respond([("reqmore", "general", "", "")]) != (BYE,)
    assert user.respond([("reqmore", "general", "", "")]) == (BYE,)
    assert user.terminated and user.turn == 42


def test_same_seed_same_dialogue() -> None:
    def run(seed: int) -> list[tuple[UnifiedAct, ...]]:
        return dialogue(MultiWozUser(DATA), random_system, seed)

    assert run(3) == run(3)
    assert run(3) != run(4)


# -- the fixes: each defect happens with the option off, and not with it on -----------------------


@pytest.mark.parametrize("fixed", [False, True])
def test_accept_offerbook(fixed: bool) -> None:
    goal = {"train": {"info": TRAIN_INFO, "reqt": ["duration"], "book": {"people": "2"}}}
    user, _ = start(goal, accept_offerbook=fixed)
    state_constraints(user)
    said = user.respond([("offerbook", "train", "departure", "ely")])
    if fixed:  # the wrong departure is corrected first, then the offer is taken
        assert said == (("inform", "train", "departure", "cambridge"),)
        said = user.respond([("offerbook", "train", "departure", "cambridge")])
        assert said == (("inform", "train", "book people", "2"),)
    else:  # the offer and its wrong departure go unnoticed: the user asks its request
        assert said == (("request", "train", "duration", ""),)


@pytest.mark.parametrize("fixed", [False, True])
def test_notbook_blocks_requests(fixed: bool) -> None:
    user, _ = start(TRAIN_NO_BOOK, notbook_blocks_requests=not fixed)
    state_constraints(user)
    said = [user.respond([("offerbook", "train", "", "")]) for _ in range(5)]
    asked = any(act[0] == "request" for turn in said for act in turn)
    assert asked == fixed
    if not fixed:
        assert all(turn == (("inform", "train", "NotBook", "none"),) for turn in said)


@pytest.mark.parametrize("fixed", [False, True])
def test_bye_ends_dialogue(fixed: bool) -> None:
    user, _ = start(RESTAURANT, bye_ends_dialogue=fixed)
    said = user.respond([BYE])
    assert (said == (BYE,)) == fixed
    assert user.terminated == fixed


# -- fuzz ----------------------------------------------------------------------------------------

INTENTS = (
    "inform",
    "request",
    "recommend",
    "select",
    "nooffer",
    "nobook",
    "book",
    "offerbook",
    "offerbooked",
    "reqmore",
    "bye",
    "greet",
    "welcome",
)
UNIFIED_SLOTS = (
    "address",
    "postcode",
    "price range",
    "arrive by",
    "leave at",
    "departure",
    "destination",
    "entrance fee",
    "book people",
    "book day",
    "book stay",
    "book time",
    "duration",
    "train id",
    "choice",
    "ref",
    "name",
    "area",
    "food",
    "type",
    "stars",
    "internet",
    "parking",
    "phone",
    "price",
    "department",
    "",
)
DOMAINS = ("restaurant", "hotel", "attraction", "train", "taxi", "hospital", "police", "general")
VALUES = tuple(
    sorted({v for slots in DATA.ontology.values() for vs in slots.values() for v in vs[:20]})
)


def random_system(stream: RandomStream) -> list[UnifiedAct]:
    acts = []
    for _ in range(stream.below(4) + 1):
        domain = stream.choice(DOMAINS)
        slot = "" if domain == "general" else stream.choice(UNIFIED_SLOTS)
        value = stream.choice(VALUES + ("", "0", "2", "none", "dontcare", "00000003"))
        acts.append((stream.choice(INTENTS), domain, slot, value))
    return acts


def dialogue(
    user: MultiWozUser, system: Callable[[RandomStream], list[UnifiedAct]], seed: int
) -> list[tuple[UnifiedAct, ...]]:
    stream = RandomStream(np.random.default_rng(seed))
    goal = MultiWozGoalGenerator(data=DATA).sample(stream)
    turns = [user.start(goal, stream)]
    while not user.terminated:
        turns.append(user.respond(system(stream)))
    return turns


@pytest.mark.parametrize("options", [CONVLAB_USER, FIXED_USER], ids=["convlab", "fixed"])
def test_fuzz_random_system_acts(options: MultiWozUserOptions) -> None:
    user = MultiWozUser(DATA, options)
    for seed in range(300):
        turns = dialogue(user, random_system, seed)
        assert 2 <= len(turns) <= 21
        assert turns[-1] == (BYE,)
        for turn in turns:
            assert turn and all(
                len(act) == 4 and all(isinstance(x, str) for x in act) for act in turn
            )
