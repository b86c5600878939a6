"""PyDial's agenda user: each behaviour made to happen (probability 1) and its reaction checked."""

from __future__ import annotations

import numpy as np
import pytest

from dialogym.acts import Act, Acts, ActType, parse_acts
from dialogym.domains import DONTCARE, TYPE_SLOT, Database, load_domain
from dialogym.envs import ObjectiveSuccess
from dialogym.simulators import PROFILES, AgendaUser, Goal, RandomStream, UserBehaviour
from dialogym.simulators.profiles import PROBABILITIES

DOMAIN = load_domain("restaurant")
DATABASE = Database(DOMAIN)
ENTITY = DOMAIN.entities[0]  # the salt lantern: british, cheap, centre


def behaviour(patience: int = 5, **chances: float) -> UserBehaviour:
    """A user that does nothing by chance except what ``chances`` switch on."""
    values = dict.fromkeys(PROBABILITIES, 0.0)
    values.update(chances)
    return UserBehaviour(**values, patience=patience)


def goal(
    requests: tuple[str, ...] = ("name", "phone"), booking: dict | None = None, **constraints: str
) -> Goal:
    wanted = constraints or {
        "food": ENTITY["food"],
        "pricerange": ENTITY["pricerange"],
        "area": ENTITY["area"],
    }
    return Goal(wanted, requests, booking or {}, DATABASE.count(DATABASE.match(wanted)))


def start(
    user_goal: Goal, user: UserBehaviour | None = None, seed: int = 0
) -> tuple[AgendaUser, Acts]:
    simulated = AgendaUser(DOMAIN)
    opening = simulated.start(
        user_goal, user or behaviour(), RandomStream(np.random.default_rng(seed))
    )
    return simulated, opening.acts


def offer(entity: dict, *slots: str) -> Acts:
    return (
        Act(ActType.OFFER, "name", entity["name"]),
        *(Act(ActType.INFORM, s, entity[s]) for s in slots),
    )


def other_entity(**differences: str) -> dict:
    """An entity like ENTITY except for the given slots."""
    wanted = {s: ENTITY[s] for s in DOMAIN.system_requestable} | differences
    return DOMAIN.entities[DATABASE.first(DATABASE.match(wanted), excluding=1)]


def respond(user: AgendaUser, text: str) -> Acts:
    return user.respond(parse_acts(text)).acts


# -- the agenda --------------------------------------------------------------------------------


def test_the_first_turn_states_the_request_type_and_the_constraints_follow_in_goal_order() -> None:
    user, first = start(goal())
    assert first == (Act(ActType.INFORM, TYPE_SLOT, user.request_type),)
    said = [respond(user, "reqmore()")[0] for _ in range(3)]  # pending informs come first
    assert said == [Act(ActType.INFORM, s, v) for s, v in goal().constraints.items()]


def test_greeting_and_inform_combination_put_everything_in_the_first_turn() -> None:
    _, first = start(goal(), behaviour(greeting=1.0, inform_combination=1.0))
    assert first[0] == Act(ActType.HELLO)
    assert [a.slot for a in first[1:]] == [TYPE_SLOT, "food", "pricerange", "area"]


# -- requests, confirms, selects ---------------------------------------------------------------


def test_a_request_moves_the_pending_inform_up_and_it_is_not_said_twice() -> None:
    user, _ = start(goal())
    assert respond(user, "request(area)") == (Act(ActType.INFORM, "area", ENTITY["area"]),)
    assert respond(user, "request(food)") == (Act(ActType.INFORM, "food", ENTITY["food"]),)
    assert respond(user, "hello()") == (Act(ActType.INFORM, "pricerange", ENTITY["pricerange"]),)
    assert respond(user, "reqmore()")[0].type is ActType.INFORM  # all said: restates from the top


def test_a_request_for_a_fact_gets_a_no() -> None:
    user, _ = start(goal())
    assert respond(user, "request(phone)") == (Act(ActType.NEGATE),)


def test_with_a_venue_on_the_table_the_user_asks_instead_of_answering() -> None:
    user, _ = start(goal())
    user.respond(offer(ENTITY, "food"))
    assert respond(user, "request(area)") == (Act(ActType.REQUEST, "phone"),)


@pytest.mark.parametrize(
    ("chances", "expected", "constrained"),
    [
        ({"repeat_constraint_when_asked": 1.0}, "inform(food=british)", False),
        ({"invent_constraint_when_asked": 1.0}, "inform(=dontcare)", False),
        ({}, "inform(area=dontcare)", True),
    ],
    ids=["repeats-a-constraint", "dontcare-not-kept", "dontcare-kept"],
)
def test_a_question_outside_the_goal(chances: dict, expected: str, constrained: bool) -> None:
    user, _ = start(goal(food="british"), behaviour(**chances))
    assert respond(user, "request(area)") == parse_acts(expected)
    assert ("area" in user.constraints) is constrained


def test_a_dontcare_answer_to_a_request_or_select_may_leave_its_slot_out() -> None:
    """PyDial's NoSlotWithDontcare: "I don't mind", the slot left to the system."""
    wanted = goal(food="british", area=DONTCARE)
    for asked in ("request(area)", "select(area=north) & select(area=south)"):
        user, _ = start(wanted, behaviour(slotless_dontcare=1.0))
        assert respond(user, asked) == (Act(ActType.INFORM, None, DONTCARE),)
        user, _ = start(wanted, behaviour(slotless_dontcare=0.0))
        assert respond(user, asked) == (Act(ActType.INFORM, "area", DONTCARE),)


def test_a_slotless_dontcare_keeps_the_informs_combined_after_it_and_only_follows_questions() -> (
    None
):
    user, _ = start(goal(area=DONTCARE, food="british"), behaviour(slotless_dontcare=1.0))
    user.behaviour = user.behaviour._replace(inform_combination=1.0)  # after the first turn
    assert respond(user, "request(area)") == parse_acts("inform(=dontcare) & inform(food=british)")
    user, _ = start(goal(area=DONTCARE, food="british"), behaviour(slotless_dontcare=1.0))
    assert respond(user, "hello()") == (Act(ActType.INFORM, "area", DONTCARE),)  # not a question


def test_a_right_confirm_is_affirmed_alone_or_with_the_next_pending_inform() -> None:
    user, _ = start(goal())
    assert respond(user, "confirm(food=british)") == (Act(ActType.AFFIRM),)
    user, _ = start(goal(), behaviour(affirm_combination=1.0))
    assert respond(user, "confirm(food=british)") == parse_acts("affirm() & inform(food=british)")


@pytest.mark.parametrize(
    ("chances", "expected"),
    [
        ({"correct_with_negate": 1.0}, "negate() & inform(food=british)"),
        ({"correct_with_deny": 1.0}, "deny(food=thai) & inform(food=british)"),
        ({}, "inform(food=british)"),
    ],
    ids=["negate", "deny", "inform"],
)
def test_a_wrong_confirm_is_corrected_in_three_ways(chances: dict, expected: str) -> None:
    user, _ = start(goal(), behaviour(**chances))
    assert respond(user, "confirm(food=thai)") == parse_acts(expected)


def test_a_confirm_of_a_slot_outside_the_goal_gets_negate_dontcare() -> None:
    user, _ = start(goal(food="british"))
    assert respond(user, "confirm(area=north)") == parse_acts("negate() & inform(area=dontcare)")


def test_a_confirm_of_any_value_is_fine_for_a_dontcare_constraint() -> None:
    user, _ = start(goal(food="british", area=DONTCARE))
    assert respond(user, "confirm(area=north)") == (Act(ActType.AFFIRM),)


def test_a_select_is_answered_with_the_wanted_value_or_dontcare() -> None:
    user, _ = start(goal(food="british"))
    assert respond(user, "select(food=thai) & select(food=british)") == parse_acts(
        "inform(food=british)"
    )
    assert respond(user, "select(area=north) & select(area=south)") == parse_acts(
        "inform(area=dontcare)"
    )
    assert user.constraints["area"] == DONTCARE


# -- offers ------------------------------------------------------------------------------------


def test_an_offer_is_checked_only_on_the_slots_it_names() -> None:
    wrong_area = other_entity(area="north")
    user, _ = start(goal())
    assert user.respond(offer(wrong_area, "food")).acts == (
        Act(ActType.REQUEST, "phone"),
    )  # the wrong area went unnoticed
    user.respond(
        (
            Act(ActType.INFORM, "name", wrong_area["name"]),
            Act(ActType.INFORM, "phone", wrong_area["phone"]),
        )
    )
    assert user.goal_met()
    assert ObjectiveSuccess(DATABASE).parts(user) == {
        "venue": False, "requests": True, "booking": True, "success": False,
    }  # fmt: skip


def test_a_wrong_named_slot_is_corrected_and_the_requests_start_over() -> None:
    wrong_area = other_entity(area="north")
    user, _ = start(goal(), behaviour(correct_with_negate=1.0))
    said = user.respond(offer(wrong_area, "food", "area")).acts
    assert said == parse_acts("negate() & inform(area=centre)")
    assert set(user.requests.values()) == {None}


def test_a_right_offer_settles_the_venue_and_the_user_asks_for_its_facts() -> None:
    user, _ = start(
        goal(requests=("name", "phone", "postcode")), behaviour(add_slot_to_request=1.0)
    )
    assert user.respond(offer(ENTITY, "food", "area")).acts == parse_acts(
        "request(phone) & request(postcode)"
    )
    assert user.name_is == ENTITY["name"] and user.requests["name"] == ENTITY["name"]


def test_at_the_first_venue_the_user_may_ask_for_another_and_then_refuses_it() -> None:
    user, _ = start(goal(), behaviour(reqalts_after_first_venue=1.0))
    assert user.respond(offer(ENTITY, "food")).acts == (Act(ActType.REQALTS),)
    assert ENTITY["name"] in user.name_not
    assert user.respond(offer(ENTITY, "food", "area")).acts == (
        Act(ActType.REQALTS),
    )  # not that one
    assert user.respond(offer(other_entity(), "food")).acts == (Act(ActType.REQUEST, "phone"),)


def test_at_the_first_venue_the_user_may_change_a_named_constraint_and_say_so() -> None:
    user, _ = start(
        goal(),
        behaviour(change_goal_after_first_venue=1.0, constraint_relax=1.0, tell_about_change=1.0),
    )
    said = user.respond(offer(ENTITY, "food")).acts
    assert said == parse_acts("reqalts() & inform(food=dontcare)")
    assert user.constraints["food"] == DONTCARE


def test_a_silent_change_to_a_new_value_makes_the_user_ask_about_that_slot_later() -> None:
    user, _ = start(goal(), behaviour(change_goal_after_first_venue=1.0))
    assert user.respond(offer(ENTITY, "pricerange")).acts == (Act(ActType.REQALTS),)
    assert user.constraints["pricerange"] not in (ENTITY["pricerange"], DONTCARE)
    assert "pricerange" in user.requests and user.requests["pricerange"] is None


def test_the_user_may_confirm_a_constraint_the_offer_did_not_name() -> None:
    user, _ = start(goal(), behaviour(confirm_random_constraint=1.0))
    said = user.respond(offer(ENTITY, "food")).acts
    assert len(said) == 1 and said[0].type is ActType.CONFIRM
    assert said[0].slot in ("pricerange", "area") and said[0].value == ENTITY[said[0].slot]


@pytest.mark.parametrize("want", [1.0, 0.0])
def test_after_confirming_an_unnamed_constraint_the_user_wants_the_offers_facts(
    want: float,
) -> None:
    """PyDial's fill_requests: the slots of the offer join the requests; a new venue must tell
    them again before the dialogue can succeed."""
    user, _ = start(
        goal(), behaviour(confirm_random_constraint=1.0, want_offer_facts_after_confirm=want)
    )
    user.respond(offer(ENTITY, "food"))
    assert ("food" in user.requests) is bool(want)
    user.behaviour = user.behaviour._replace(confirm_random_constraint=0.0)
    user.respond(offer(other_entity()))  # a new venue: what was told is forgotten
    assert ("food" in user.requests and user.requests["food"] is None) is bool(want)


@pytest.mark.parametrize("keep", [1.0, 0.0])
def test_a_turned_down_venue_stays_turned_down_once_another_is_chosen(keep: float) -> None:
    """PyDial's goal keeps ``name!=X`` beside the ``name=Y`` it settles on."""
    user, _ = start(goal(), behaviour(reqalts_after_first_venue=1.0, keep_refused_venues=keep))
    user.respond(offer(ENTITY, "food"))  # turned down: another one, please
    second = other_entity()
    user.respond(offer(second, "food"))
    assert user.name_is == second["name"]
    assert (ENTITY["name"] in user.name_not) is bool(keep)
    reply = user.respond(offer(ENTITY, "food")).acts  # the first one again
    assert (reply == (Act(ActType.REQALTS),)) is bool(keep)


def test_a_question_about_the_venue_may_name_it() -> None:
    """PyDial's AddVenueNameToRequest: "what is the phone number of X?"."""
    user, _ = start(goal(), behaviour(venue_in_request=1.0))
    assert user.respond(offer(ENTITY, "food")).acts == (
        Act(ActType.REQUEST, "phone"),
        Act(ActType.INFORM, "name", ENTITY["name"]),
    )
    user, _ = start(goal(), behaviour(venue_in_request=0.0))
    assert user.respond(offer(ENTITY, "food")).acts == (Act(ActType.REQUEST, "phone"),)


def test_the_user_may_overrule_a_correction_with_a_confirm_of_another_constraint() -> None:
    wrong_area = other_entity(area="north")
    user, _ = start(goal(), behaviour(overrule_correction=1.0))
    said = user.respond(offer(wrong_area, "area")).acts
    assert len(said) == 1 and said[0].type is ActType.CONFIRM and said[0].slot != "area"


@pytest.mark.parametrize(
    ("chances", "act"), [({"thank": 1.0}, "thankyou()"), ({"ack": 1.0}, "ack()")]
)
def test_thanks_or_acknowledgement_after_an_acceptable_offer(chances: dict, act: str) -> None:
    user, _ = start(goal(), behaviour(**chances))
    assert user.respond(offer(ENTITY, "food")).acts == parse_acts(act)


def test_pending_constraints_come_before_questions_about_the_venue() -> None:
    user, _ = start(goal(), behaviour(deal_with_pending=1.0))
    assert user.respond(offer(ENTITY, "food")).acts == parse_acts("inform(food=british)")


def test_pending_informs_may_turn_into_confirms_once_a_venue_is_offered() -> None:
    user, _ = start(goal(), behaviour(inform_to_confirm=1.0, deal_with_pending=1.0))
    said = user.respond(offer(ENTITY, "food")).acts
    assert said == parse_acts("confirm(food=british)")


# -- no match ----------------------------------------------------------------------------------


def test_nomatch_on_a_misheard_constraint_is_corrected() -> None:
    user, _ = start(goal())
    assert respond(user, "nomatch(food=thai) & nomatch(area=centre)") == parse_acts(
        "inform(food=british)"
    )


def test_nomatch_on_the_real_constraints_changes_one_and_always_says_it() -> None:
    user, _ = start(goal(), behaviour(constraint_relax=1.0))
    said = respond(user, "nomatch(food=british) & nomatch(area=centre)")
    assert said[0] == Act(ActType.REQALTS) and said[1].value == DONTCARE
    assert said[1].slot in ("food", "area") and user.constraints[said[1].slot] == DONTCARE


# -- reqmore, bye, patience --------------------------------------------------------------------


def test_reqmore_when_done_gets_no_or_goodbye() -> None:
    user, _ = start(goal(requests=("name",)), behaviour(no_after_reqmore=1.0))
    (
        respond(user, "request(food)"),
        respond(user, "request(pricerange)"),
        respond(user, "request(area)"),
    )
    user.respond(offer(ENTITY, "food"))
    assert respond(user, "reqmore()") == (Act(ActType.NEGATE),)
    user, _ = start(goal(requests=("name",)))
    (
        respond(user, "request(food)"),
        respond(user, "request(pricerange)"),
        respond(user, "request(area)"),
    )
    user.respond(offer(ENTITY, "food"))
    turn = user.respond(parse_acts("reqmore()"))
    assert turn.acts == (Act(ActType.BYE),) and turn.ended and not turn.hung_up


def test_reqmore_before_any_offer_gets_a_yes_or_the_constraints_again() -> None:
    user, _ = start(goal(), behaviour(yes_after_reqmore=1.0))
    (
        respond(user, "request(food)"),
        respond(user, "request(pricerange)"),
        respond(user, "request(area)"),
    )
    assert respond(user, "reqmore()") == (Act(ActType.AFFIRM),)


def test_reqmore_with_something_pending_may_get_yes_and_the_pending_inform() -> None:
    user, _ = start(goal(), behaviour(affirm_with_agenda_item=1.0))
    assert respond(user, "reqmore()") == parse_acts("affirm() & inform(food=british)")


def test_bye_is_answered_with_bye() -> None:
    user, _ = start(goal())
    turn = user.respond(parse_acts("bye()"))
    assert turn.acts == (Act(ActType.BYE),) and turn.ended


def test_patience_is_never_restored_and_a_null_turn_repeats_the_last_one() -> None:
    user, first = start(goal(), behaviour(patience=3))
    assert user.respond((Act(ActType.NULL),)).acts == first  # patience 2
    respond(user, "request(food)")
    respond(user, "request(food)")  # the same turn again: patience 1
    respond(user, "request(area)")  # something new does not restore it
    turn = user.respond(parse_acts("request(area)"))
    assert turn.acts == (Act(ActType.BYE),) and turn.ended and turn.hung_up


def test_a_user_forced_to_correct_gives_up_more_often_as_patience_wears_down() -> None:
    wrong = other_entity(area="north")
    gave_up = {}
    for repeats in (0, 8):
        count = 0
        for seed in range(100):
            user, _ = start(goal(), behaviour(patience=10), seed=seed)
            for _ in range(repeats + 1):
                user.respond(parse_acts("request(food)"))
            turn = user.respond(offer(wrong, "area"))
            count += turn.hung_up and turn.acts == (Act(ActType.BYE),)
        gave_up[repeats] = count
    assert gave_up[0] == 0 and gave_up[8] > 40  # (1 - 2/10)^2 = 0.64


# -- booking (dialogym's addition) -------------------------------------------------------------


def test_booking_is_asked_for_after_the_facts_and_checked_detail_by_detail() -> None:
    wanted = {"people": "4", "day": "friday", "time": "19:00"}
    user, _ = start(goal(requests=("name",), booking=wanted), behaviour(inform_combination=1.0))
    respond(user, "request(food)")
    assert user.respond(offer(ENTITY, "food")).acts == parse_acts(
        "book() & inform(people=4) & inform(day=friday) & inform(time=19:00)"
    )
    assert respond(user, "book(people=4) & book(day=monday) & book(time=19:00)") == parse_acts(
        "negate() & inform(day=friday)"
    )
    assert not user.booked
    turn = user.respond(parse_acts("book(people=4) & book(day=friday) & book(time=19:00)"))
    assert user.booked and user.goal_met() and turn.acts == (Act(ActType.BYE),)


# -- the profiles ------------------------------------------------------------------------------


def test_profiles_sample_within_their_ranges_and_unfriendly_combines_less() -> None:
    stream = RandomStream(np.random.default_rng(3))
    for name, profile in PROFILES.items():
        for _ in range(50):
            drawn = profile.sample(stream)
            for field in PROBABILITIES:
                low, high = profile.ranges[field]
                assert low <= getattr(drawn, field) <= high, (name, field)
            assert profile.patience[0] <= drawn.patience <= profile.patience[1]
    assert (
        PROFILES["unfriendly"].inform_combination[1]
        < PROFILES["standard"].inform_combination[0] + 0.3
    )


def test_a_booking_detail_is_answered_even_while_facts_are_untold() -> None:
    wanted = {"people": "2", "day": "monday", "time": "12:00"}
    user, _ = start(goal(requests=("name", "phone"), booking=wanted))
    for slot in ("food", "pricerange", "area"):
        respond(user, f"request({slot})")
    assert user.respond(offer(ENTITY, "food")).acts == (Act(ActType.REQUEST, "phone"),)
    assert respond(user, "request(people)") == (Act(ActType.INFORM, "people", "2"),)
    said = respond(user, "reqmore()")  # asked what else: the facts first, the booking after
    assert said == (Act(ActType.REQUEST, "phone"),) and user.agenda[-1].type is ActType.BOOK


def test_a_user_asking_to_repeat_takes_nothing_in_and_a_repeat_costs_no_patience() -> None:
    user, _ = start(goal(), behaviour(patience=2, ask_repeat=1.0))
    for _ in range(3):  # the same request again and again: answered with repeat(), no hang-up
        turn = user.respond(parse_acts("request(food)"))
        assert turn.acts == (Act(ActType.REPEAT),) and not turn.ended
    assert user.patience == 2 and user.agenda[-1].type is ActType.INFORM


def test_the_repeat_addition_draws_nothing_when_off() -> None:
    """A profile with ask_repeat at 0 keeps PyDial's random stream: PyDial's draws and no more."""
    standard = PROFILES["standard"]
    on = standard.with_changes({"ask_repeat": [0.1, 0.3]})
    off_stream, on_stream, pydial_stream = (RandomStream(np.random.default_rng(7)) for _ in "abc")
    off_user, on_user = standard.sample(off_stream), on.sample(on_stream)
    assert off_user.ask_repeat == 0.0 and 0.1 <= on_user.ask_repeat <= 0.3
    assert off_user._replace(ask_repeat=0.0) == on_user._replace(ask_repeat=0.0)
    for name in PROBABILITIES[:-1]:  # what PyDial draws: each probability, then the patience
        pydial_stream.uniform(*standard.ranges[name])
    pydial_stream.below(standard.patience[1] - standard.patience[0] + 1)
    after_pydial = pydial_stream.random()
    assert off_stream.random() == after_pydial != on_stream.random()
