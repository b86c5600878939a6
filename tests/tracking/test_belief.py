"""The focus belief tracker, as PyDial's (``belieftracking/baseline.py``, ``FocusTracker``)."""

from __future__ import annotations

import pytest

from dialogym.acts import Act, ActType, Hypothesis
from dialogym.domains import DONTCARE, load_domain
from dialogym.tracking import BeliefTracker

DOMAIN = load_domain("restaurant")
FOOD = DOMAIN.informable["food"]
CONFIRM_FOOD = (Act(ActType.CONFIRM, "food", FOOD[0]),)


def inform(value: str, slot: str = "food") -> Act:
    return Act(ActType.INFORM, slot, value)


def act(kind: ActType, slot: str | None = None, value: str | None = None) -> Act:
    return Act(kind, slot, value)


def one(*acts: Act, confidence: float = 1.0) -> tuple[Hypothesis, ...]:
    """A single hypothesis, with the rest of the mass on null() as the channel gives it."""
    rest = (Hypothesis((act(ActType.NULL),), 1.0 - confidence),) if confidence < 1.0 else ()
    return (Hypothesis(acts, confidence), *rest)


def offered_tracker() -> BeliefTracker:
    """A tracker that has heard a food and offered the first match."""
    tracker = BeliefTracker(DOMAIN)
    tracker.update(one(inform(FOOD[0])), ())
    name = DOMAIN.entities[tracker.database.first(tracker.matches)]["name"]
    tracker.system_acted((Act(ActType.OFFER, "name", name),))
    return tracker


def test_focus_rule() -> None:
    tracker = BeliefTracker(DOMAIN)
    tracker.update(
        (
            Hypothesis((inform(FOOD[0]),), 0.6),
            Hypothesis((inform(FOOD[1]),), 0.3),
            Hypothesis((act(ActType.NULL),), 0.1),
        ),
        (),
    )
    assert tracker.belief["food"] == pytest.approx({FOOD[0]: 0.6, FOOD[1]: 0.3})
    tracker.update(one(inform(FOOD[1]), confidence=0.5), ())
    # b' = b * (1 - 0.5) + e
    assert tracker.belief["food"] == pytest.approx({FOOD[0]: 0.3, FOOD[1]: 0.65})
    assert tracker.top("food") == (FOOD[1], pytest.approx(0.65))
    assert tracker.stats["food"][4] == pytest.approx(0.05)


def test_scores_are_normalised_to_sum_to_one() -> None:
    tracker = BeliefTracker(DOMAIN)
    tracker.update((Hypothesis((inform(FOOD[0]),), 0.3), Hypothesis((inform(FOOD[1]),), 0.1)), ())
    assert tracker.belief["food"] == pytest.approx({FOOD[0]: 0.75, FOOD[1]: 0.25})


def test_deny_and_negate_leave_slot_beliefs_alone() -> None:
    tracker = BeliefTracker(DOMAIN)
    tracker.update(one(inform(FOOD[0]), confidence=0.7), ())
    tracker.update(one(act(ActType.DENY, "food", FOOD[0])), ())
    tracker.update(one(act(ActType.NEGATE)), CONFIRM_FOOD)
    assert tracker.belief["food"] == pytest.approx({FOOD[0]: 0.7})
    # A correction moves belief through the value it informs.
    tracker.update(one(act(ActType.NEGATE), inform(FOOD[1]), confidence=0.8), CONFIRM_FOOD)
    assert tracker.belief["food"] == pytest.approx({FOOD[0]: 0.7 * 0.2, FOOD[1]: 0.8})


def test_affirm_answers_the_systems_single_confirm() -> None:
    tracker = BeliefTracker(DOMAIN)
    tracker.update(one(inform(FOOD[0]), confidence=0.5), ())
    tracker.update(one(act(ActType.AFFIRM), confidence=0.8), CONFIRM_FOOD)
    assert tracker.top("food")[1] == pytest.approx(0.5 * 0.2 + 0.8)
    two_confirms = (*CONFIRM_FOOD, Act(ActType.CONFIRM, "area", "north"))
    tracker.update(one(act(ActType.AFFIRM)), two_confirms)
    assert tracker.top("food")[1] == pytest.approx(0.9)
    assert tracker.top("area") == (None, 0.0)


def test_a_hypothesis_informs_one_value_per_slot_the_last_named() -> None:
    tracker = BeliefTracker(DOMAIN)
    tracker.update(one(act(ActType.AFFIRM), inform(FOOD[1])), CONFIRM_FOOD)
    assert tracker.belief["food"] == {FOOD[1]: 1.0}


def test_inform_without_a_slot_answers_the_systems_question() -> None:
    tracker = BeliefTracker(DOMAIN)
    tracker.update(one(act(ActType.INFORM, None, DONTCARE)), (act(ActType.REQUEST, "area"),))
    assert tracker.top("area") == (DONTCARE, 1.0)


def test_acceptance_beats_none_and_one_over_the_number_of_values() -> None:
    tracker = BeliefTracker(DOMAIN)
    tracker.update(one(inform("cheap", "pricerange"), confidence=0.45), ())
    assert not tracker.stats["pricerange"][5]  # 0.45 < **NONE** 0.55
    tracker.update(one(inform("cheap", "pricerange"), confidence=0.2), ())
    assert tracker.stats["pricerange"][5] and tracker.accepted == {"pricerange": "cheap"}
    assert tracker.matches == tracker.database.match({"pricerange": "cheap"})


def test_informs_outside_the_ontology_are_dropped() -> None:
    dropped = BeliefTracker(DOMAIN)
    dropped.update(one(act(ActType.INFORM, "type", "restaurant")), ())
    kept = BeliefTracker(DOMAIN)
    kept.update(one(act(ActType.INFORM, "area", "north")), ())
    assert dropped.method[1] == 0.0 and kept.method[1] == 1.0  # searching by constraints


def test_requested_slots_accumulate_and_count_above_one_half() -> None:
    tracker = offered_tracker()
    tracker.update(one(act(ActType.REQUEST, "phone"), confidence=0.5), ())
    assert tracker.requested["phone"] == pytest.approx(0.5)
    assert tracker.requested_slots() == []
    tracker.update(one(act(ActType.REQUEST, "phone"), confidence=0.2), ())
    assert tracker.requested_slots() == ["phone"]
    tracker.system_acted((inform(tracker.domain.entities[tracker.offered]["phone"], "phone"),))
    assert tracker.requested["phone"] == 0.0


def test_a_user_confirm_asks_about_the_offered_venue() -> None:
    tracker = offered_tracker()
    tracker.update(one(act(ActType.CONFIRM, "area", "north")), ())
    assert tracker.requested_slots() == ["area"]
    assert tracker.summary_method == "byname"
    assert tracker.top("area") == (None, 0.0)


def test_method_follows_the_user_and_keeps_on_silence() -> None:
    tracker = BeliefTracker(DOMAIN)
    tracker.update(one(act(ActType.REQUEST, "phone")), ())
    assert tracker.summary_method == "byconstraints"  # nothing offered: no search by name
    tracker = offered_tracker()
    tracker.update(one(act(ActType.REQALTS)), ())
    assert tracker.summary_method == "byalternatives"
    tracker.update(one(act(ActType.NULL)), ())
    assert tracker.summary_method == "byalternatives"  # the focus rule keeps it
    tracker.update(one(act(ActType.REQUEST, "phone"), act(ActType.DENY, "food", FOOD[2])), ())
    assert tracker.summary_method == "byalternatives"  # a deny blocks "by name"
    tracker.update(one(act(ActType.REQUEST, "phone")), ())
    assert tracker.summary_method == "byname"
    tracker.update(one(inform(FOOD[1])), ())
    assert tracker.summary_method == "byconstraints"


def test_method_none_is_set_once_as_pydial_does() -> None:
    tracker = BeliefTracker(DOMAIN)
    tracker.update(one(act(ActType.HELLO)), ())  # no method: PyDial's "none" becomes 1 for good
    tracker.update(one(inform(FOOD[0])), ())
    # label {none: 1, byconstraints: 1} is normalised to one half each; the summary's none is 0.
    assert tracker.method == pytest.approx([0.0, 0.5, 0.0, 0.0, 0.0])
    tracker.update(one(act(ActType.REQALTS), confidence=0.4), ())
    # none 0.5, byconstraints 0.5 * 0.6 + 0, byalternatives 0.4: total 1.2, normalised.
    assert tracker.method == pytest.approx([0.0, 0.25, 0.0, 1 / 3, 0.0])
    assert tracker.summary_method == "byalternatives"


def test_thanks_and_acknowledgements_hold_back_the_wish_for_alternatives() -> None:
    tracker = offered_tracker()
    tracker.update(one(act(ActType.REQALTS), act(ActType.THANKYOU)), ())
    assert tracker.thankyou and tracker.summary_method == "byalternatives"
    assert not tracker.alternatives_requested
    tracker.update(one(act(ActType.ACK), confidence=0.6), ())
    assert tracker.ack and not tracker.alternatives_requested
    tracker.update(one(act(ActType.REQALTS)), ())
    assert tracker.alternatives_requested


def test_goodbye_finishes_above_one_half() -> None:
    tracker = offered_tracker()
    tracker.update(one(act(ActType.BYE), confidence=0.5), ())
    assert tracker.summary_method != "finished"
    tracker.update(one(act(ActType.THANKYOU), act(ActType.BYE), confidence=0.9), ())
    assert tracker.summary_method == "finished" and tracker.bye > 0.5


def test_system_features_follow_the_last_turn() -> None:
    tracker = offered_tracker()
    first = tracker.offered
    assert tracker.offer_happened and tracker.offered_set == 1 << first
    tracker.system_acted((act(ActType.REQMORE),))
    assert not tracker.offer_happened and tracker.offered == first
    name = DOMAIN.entities[first]["name"]
    tracker.system_acted((inform(name, "name"), inform("x", "phone")))  # answering is offering
    assert tracker.offer_happened
    tracker.system_acted((act(ActType.NOMATCH, "food", FOOD[0]),))
    assert tracker.nomatch and tracker.offered_set == 0 and tracker.offered == first


def test_repeat_changes_no_slot_belief_and_counts_as_no_discourse_act() -> None:
    tracker = offered_tracker()
    belief = {slot: dict(values) for slot, values in tracker.belief.items()}
    requested = dict(tracker.requested)
    tracker.update(one(act(ActType.REPEAT)), ())
    assert tracker.belief == belief and tracker.requested == requested
    assert tracker.discourse[0] == 1.0  # "none": PyDial's discourse acts here have no repeat
