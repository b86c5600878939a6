"""The agenda-based user's reactions, one system act at a time."""

from __future__ import annotations

import numpy as np
import pytest

from dialogym.acts import Act, ActType, parse_acts
from dialogym.domains import DONTCARE, Database, load_domain
from dialogym.simulators import PROFILES, AgendaUser, Goal, RandomStream, UserBehaviour

DOMAIN = load_domain("restaurant")
DATABASE = Database(DOMAIN)
PATIENT = UserBehaviour(
    inform_combination=0.0, affirm_combination=0.0, greeting=0.0, relax=1.0,
    tell_about_change=1.0, answer_request=1.0, patience=3,
)  # fmt: skip


def entity_for(**constraints: str) -> dict:
    index = DATABASE.first(DATABASE.match(constraints))
    assert index >= 0
    return DOMAIN.entities[index]


def make_user(goal: Goal, behaviour: UserBehaviour = PATIENT) -> tuple[AgendaUser, tuple]:
    user = AgendaUser(DOMAIN, DATABASE)
    opening = user.start(goal, behaviour, RandomStream(np.random.default_rng(0)))
    return user, opening.acts


def matching_goal(booking: dict | None = None) -> Goal:
    entity = DOMAIN.entities[0]
    constraints = {s: DONTCARE for s in DOMAIN.system_requestable}
    constraints["food"] = entity["food"]
    constraints["area"] = entity["area"]
    return Goal(
        constraints, ("name", "phone"), booking or {}, DATABASE.count(DATABASE.match(constraints))
    )


def test_opening_informs_one_constraint_without_combination() -> None:
    goal = matching_goal()
    _, acts = make_user(goal)
    assert len(acts) == 1 and acts[0].type is ActType.INFORM
    assert goal.constraints[acts[0].slot] == acts[0].value


def test_request_is_answered_with_the_goal_value_or_dontcare() -> None:
    goal = matching_goal()
    user, _ = make_user(goal)
    assert user.respond((Act(ActType.REQUEST, "food"),)).acts == (
        Act(ActType.INFORM, "food", goal.constraints["food"]),
    )
    assert user.respond((Act(ActType.REQUEST, "pricerange"),)).acts == (
        Act(ActType.INFORM, "pricerange", DONTCARE),
    )


def test_confirm_is_affirmed_or_corrected() -> None:
    goal = matching_goal()
    user, _ = make_user(goal)
    right = goal.constraints["food"]
    assert user.respond((Act(ActType.CONFIRM, "food", right),)).acts == (Act(ActType.AFFIRM),)
    wrong = next(v for v in DOMAIN.informable["food"] if v != right)
    assert user.respond((Act(ActType.CONFIRM, "food", wrong),)).acts == (
        Act(ActType.NEGATE),
        Act(ActType.INFORM, "food", right),
    )


def test_wrong_offer_is_rejected_and_right_offer_leads_to_requests_then_goodbye() -> None:
    goal = matching_goal()
    user, _ = make_user(goal)
    wrong = next(e for e in DOMAIN.entities if e["food"] != goal.constraints["food"])
    reply = user.respond((Act(ActType.OFFER, "name", wrong["name"]),))
    assert reply.acts == (
        Act(ActType.NEGATE),
        Act(ActType.INFORM, "food", goal.constraints["food"]),
    )
    right = DOMAIN.entities[0]
    reply = user.respond((Act(ActType.OFFER, "name", right["name"]),))
    assert reply.acts == (Act(ActType.REQUEST, "phone"),)
    reply = user.respond(
        (Act(ActType.INFORM, "name", right["name"]), Act(ActType.INFORM, "phone", right["phone"]))
    )
    assert reply.ended and reply.acts == (Act(ActType.THANKYOU), Act(ActType.BYE))
    assert user.goal_met()


def test_booking_is_asked_for_and_checked() -> None:
    booking = {slot: values[0] for slot, values in DOMAIN.booking.items()}
    goal = Goal(matching_goal().constraints, ("name",), booking, 1)
    user, _ = make_user(goal)
    reply = user.respond((Act(ActType.OFFER, "name", DOMAIN.entities[0]["name"]),))
    assert reply.acts == (Act(ActType.BOOK),)
    slot = DOMAIN.booking_slots[0]
    assert user.respond((Act(ActType.REQUEST, slot),)).acts == (
        Act(ActType.INFORM, slot, booking[slot]),
    )
    wrong = {**booking, slot: DOMAIN.booking[slot][1]}
    reply = user.respond(tuple(Act(ActType.BOOK, s, v) for s, v in wrong.items()))
    assert reply.acts == (Act(ActType.NEGATE), Act(ActType.INFORM, slot, booking[slot]))
    reply = user.respond(tuple(Act(ActType.BOOK, s, v) for s, v in booking.items()))
    assert reply.ended and user.booked and user.goal_met()


def nomatch_goal() -> Goal:
    for food in DOMAIN.informable["food"]:
        for area in DOMAIN.informable["area"]:
            for price in DOMAIN.informable["pricerange"]:
                constraints = {"food": food, "area": area, "pricerange": price}
                if not DATABASE.match(constraints):
                    return Goal(constraints, ("name",), {}, 0)
    raise AssertionError("the restaurant domain should have an empty combination")


def test_nomatch_makes_the_user_relax_or_give_up() -> None:
    goal = nomatch_goal()
    said = tuple(Act(ActType.NOMATCH, s, v) for s, v in goal.constraints.items())
    user, _ = make_user(goal)
    reply = user.respond(said)
    assert reply.acts and all(a.type is ActType.INFORM for a in reply.acts)
    assert user.has_match()
    quitter, _ = make_user(goal, PATIENT._replace(relax=0.0))
    reply = quitter.respond(said)
    assert reply.ended and quitter.gave_up and not reply.hung_up


def test_wrong_nomatch_is_corrected() -> None:
    goal = matching_goal()
    user, _ = make_user(goal)
    reply = user.respond((Act(ActType.NOMATCH, "food", "not-" + goal.constraints["food"]),))
    assert Act(ActType.INFORM, "food", goal.constraints["food"]) in reply.acts
    assert not reply.ended


def test_repeated_system_turns_exhaust_patience() -> None:
    user, _ = make_user(matching_goal())
    ask = (Act(ActType.REQUEST, "food"),)
    replies = [user.respond(ask) for _ in range(PATIENT.patience + 1)]
    assert not any(r.hung_up for r in replies[:-1])
    assert replies[-1].hung_up and replies[-1].acts == (Act(ActType.BYE),)


def test_system_goodbye_ends_the_dialogue() -> None:
    user, _ = make_user(matching_goal())
    assert user.respond(parse_acts("bye()")).ended


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_profiles_draw_behaviour_within_their_ranges(name: str) -> None:
    profile = PROFILES[name]
    stream = RandomStream(np.random.default_rng(0))
    for _ in range(200):
        behaviour = profile.sample(stream)
        assert (
            profile.inform_combination[0]
            <= behaviour.inform_combination
            <= profile.inform_combination[1]
        )
        assert profile.relax[0] <= behaviour.relax <= profile.relax[1]
        assert profile.patience[0] <= behaviour.patience <= profile.patience[1]
