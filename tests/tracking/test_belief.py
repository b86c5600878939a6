"""The focus-rule belief tracker."""

from __future__ import annotations

import pytest

from dialogym.acts import Act, ActType, Hypothesis
from dialogym.domains import load_domain
from dialogym.tracking import BeliefTracker

DOMAIN = load_domain("restaurant")
FOOD = DOMAIN.informable["food"]


def inform(value: str, slot: str = "food") -> Act:
    return Act(ActType.INFORM, slot, value)


def test_focus_rule() -> None:
    tracker = BeliefTracker(DOMAIN)
    tracker.update((Hypothesis((inform(FOOD[0]),), 0.6), Hypothesis((inform(FOOD[1]),), 0.3)), ())
    assert tracker.belief["food"] == pytest.approx({FOOD[0]: 0.6, FOOD[1]: 0.3})
    tracker.update((Hypothesis((inform(FOOD[1]),), 0.5),), ())
    # b' = b * (1 - 0.5) + e
    assert tracker.belief["food"] == pytest.approx({FOOD[0]: 0.3, FOOD[1]: 0.65})
    assert tracker.top("food") == (FOOD[1], pytest.approx(0.65))
    assert tracker.stats["food"][4] == pytest.approx(0.05)


def test_confirm_answers_move_belief() -> None:
    tracker = BeliefTracker(DOMAIN)
    tracker.update((Hypothesis((inform(FOOD[0]),), 0.5),), ())
    confirm = (Act(ActType.CONFIRM, "food", FOOD[0]),)
    tracker.update(
        (Hypothesis((Act(ActType.AFFIRM),), 0.7), Hypothesis((Act(ActType.NEGATE),), 0.2)), confirm
    )
    assert tracker.top("food")[1] == pytest.approx(0.5 * 0.5 + 0.5)
    tracker.update((Hypothesis((Act(ActType.NEGATE),), 0.9),), confirm)
    assert tracker.top("food")[1] == pytest.approx(0.75 * 0.1)


def test_requests_stay_pending_until_answered_and_matches_follow_belief() -> None:
    tracker = BeliefTracker(DOMAIN)
    all_entities = tracker.matches
    tracker.update((Hypothesis((inform(FOOD[0]), Act(ActType.REQUEST, "phone")), 1.0),), ())
    assert tracker.requested["phone"] == 1.0
    assert tracker.matches != all_entities
    assert all(
        e["food"] == FOOD[0]
        for e in (DOMAIN.entities[i] for i in tracker.database.indices(tracker.matches))
    )
    offer = tracker.database.first(tracker.matches)
    name = DOMAIN.entities[offer]["name"]
    tracker.system_acted((Act(ActType.OFFER, "name", name), Act(ActType.INFORM, "phone", "0")))
    assert tracker.offered == offer and tracker.requested["phone"] == 0.0
