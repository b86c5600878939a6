"""Summary actions and masks, as PyDial's (``SummaryAction.py``, ``SummaryUtils.py``)."""

from __future__ import annotations

import numpy as np
import pytest

from dialogym.acts import Act, ActType, Hypothesis
from dialogym.domains import DONTCARE, NOT_AVAILABLE, Domain, load_domain
from dialogym.envs.actions import SummaryActions, SummaryConfig
from dialogym.randomness import RandomStream
from dialogym.tracking import BeliefTracker

from ..conftest import CAMRESTAURANTS, LAPTOPS11, requires_shared

INFORM, OFFER, NOMATCH = ActType.INFORM, ActType.OFFER, ActType.NOMATCH

SMALL = Domain(
    name="cafes",
    informable={"food": ("thai", "pizza"), "area": ("north", "south"), "near": ("park", "river")},
    system_requestable=("food", "area", "near"),
    requestable=("name", "phone", "food", "area", "near"),
    entities=(
        {"name": "A", "phone": "1", "food": "thai", "area": "north", "near": NOT_AVAILABLE},
        {"name": "B", "phone": "2", "food": "thai", "area": "south", "near": "park"},
        {"name": "C", "phone": "3", "food": "pizza", "area": "north", "near": "river"},
        {"name": "D", "phone": "4", "food": "pizza", "area": "north", "near": "river"},
    ),
)
"""Four cafes: ``near`` is not available for A; C and D differ only in name."""


def heard(*acts: Act, confidence: float = 1.0) -> tuple[Hypothesis, ...]:
    return (Hypothesis(acts, confidence),)


def inform(slot: str, value: str) -> Act:
    return Act(INFORM, slot, value)


def setup(domain: Domain = SMALL, **config: int) -> tuple[SummaryActions, BeliefTracker]:
    actions = SummaryActions(domain, config=SummaryConfig(**config))
    return actions, BeliefTracker(domain, actions.database)


def allowed(actions: SummaryActions, tracker: BeliefTracker) -> set[str]:
    return {name for name, on in zip(actions.names, actions.mask(tracker), strict=True) if on}


def say(actions: SummaryActions, tracker: BeliefTracker, name: str, stream=None):
    acts = actions.execute(actions.index[name], tracker, stream)
    tracker.system_acted(acts)
    return acts


def test_offer_is_masked_until_the_accepted_values_no_longer_discriminate() -> None:
    actions, tracker = setup()
    tracker.update(heard(inform("food", "pizza")), ())
    # C and D both serve pizza in the north; they differ in nothing a question could ask.
    assert not tracker.discriminable and "offer" in allowed(actions, tracker)
    tracker.reset()
    tracker.update(heard(inform("food", "thai")), ())
    # A and B differ in area (and near): asking would tell them apart.
    assert tracker.discriminable and "offer" not in allowed(actions, tracker)
    tracker.update(heard(inform("area", "south")), ())
    assert tracker.database.count(tracker.matches) == 1
    assert "offer" in allowed(actions, tracker)


def test_dontcare_slots_do_not_discriminate_and_not_available_is_a_value() -> None:
    actions, tracker = setup()
    tracker.update(heard(inform("food", "thai"), inform("area", DONTCARE)), ())
    # A and B differ in near only: "not available" against "park" still tells them apart.
    assert tracker.discriminable
    tracker.update(heard(inform("near", DONTCARE)), ())
    assert not tracker.discriminable and "offer" in allowed(actions, tracker)


def test_enough_accepted_slots_allow_an_offer_that_still_discriminates() -> None:
    actions, tracker = setup(inform_count_accepted=2)
    tracker.update(heard(inform("food", "thai")), ())
    assert "offer" not in allowed(actions, tracker)
    tracker.update(heard(inform("near", DONTCARE)), ())
    assert tracker.discriminable and len(tracker.accepted) == 2
    assert "offer" in allowed(actions, tracker)


def test_offer_needs_the_user_to_search_by_constraints() -> None:
    actions, tracker = setup()
    tracker.update(heard(inform("food", "pizza")), ())
    say(actions, tracker, "offer")
    tracker.update(heard(Act(ActType.REQUEST, "phone")), ())
    assert tracker.summary_method == "byname"
    assert {"inform", "reqmore"} <= allowed(actions, tracker)
    assert "offer" not in allowed(actions, tracker)


def test_bye_is_masked_until_the_user_is_heard_saying_goodbye() -> None:
    actions, tracker = setup()
    tracker.update(heard(inform("food", "pizza")), ())
    assert "bye" not in allowed(actions, tracker)
    tracker.update(
        (Hypothesis((Act(ActType.BYE),), 0.4), Hypothesis((Act(ActType.NULL),), 0.6)), ()
    )
    assert "bye" not in allowed(actions, tracker)  # finished must be on top and above one half
    tracker.update(heard(Act(ActType.BYE), confidence=0.9), ())
    assert tracker.summary_method == "finished" and "bye" in allowed(actions, tracker)


def test_masks_off_keep_pydials_bye_mask_only() -> None:
    actions, tracker = setup()
    tracker.update(heard(inform("food", "thai")), ())
    unmasked = actions.mask(tracker, full=False)
    assert unmasked[:-1] == [1] * (actions.n - 1) and unmasked[-1] == 0


def test_requests_are_never_masked_confirm_and_select_need_beliefs() -> None:
    actions, tracker = setup()
    assert allowed(actions, tracker) == {"request:food", "request:area", "request:near"}
    tracker.update(heard(inform("food", "pizza")), ())
    tracker.update(heard(inform("food", "pizza")), ())
    assert "request:food" in allowed(actions, tracker)  # even when known
    assert "confirm:food" in allowed(actions, tracker)
    assert "select:food" not in allowed(actions, tracker)
    tracker.reset()
    tracker.update(
        (Hypothesis((inform("food", "pizza"),), 0.6), Hypothesis((inform("food", "thai"),), 0.4)),
        (),
    )
    assert {"confirm:food", "select:food"} <= allowed(actions, tracker)
    select = say(actions, tracker, "select:food")
    assert [a.value for a in select] == ["pizza", "thai"]


def test_offer_names_every_accepted_slot_with_the_entitys_values() -> None:
    actions, tracker = setup()
    tracker.update(
        heard(inform("food", "thai"), inform("area", "north"), inform("near", DONTCARE)), ()
    )
    acts = say(actions, tracker, "offer")
    # Entity A: its area and food; near is accepted (dontcare) but A has none to say.
    assert acts == (Act(OFFER, "name", "A"), inform("food", "thai"), inform("area", "north"))
    tracker.reset()
    tracker.update(heard(inform("food", "thai"), inform("area", DONTCARE)), ())
    acts = say(actions, tracker, "offer")
    assert acts[0] == Act(OFFER, "name", "A") and inform("area", "north") in acts


def test_offer_keeps_the_venue_offered_while_it_still_matches() -> None:
    actions, tracker = setup()
    tracker.update(heard(inform("food", "pizza")), ())
    tracker.system_acted((Act(OFFER, "name", "D"),))
    tracker.update(heard(inform("area", "north")), ())
    assert say(actions, tracker, "offer")[0].value == "D"


def test_offer_says_nomatch_for_the_real_constraints() -> None:
    actions, tracker = setup()
    tracker.update(
        heard(inform("food", "pizza"), inform("area", "south"), inform("near", DONTCARE)), ()
    )
    assert tracker.matches == 0
    acts = say(actions, tracker, "offer")
    assert acts == (Act(NOMATCH, "food", "pizza"), Act(NOMATCH, "area", "south"))
    assert tracker.nomatch and not tracker.offer_happened


def test_at_most_max_inform_slots_are_named_drawn_by_the_stream() -> None:
    actions, tracker = setup(max_inform_slots=1)
    tracker.update(heard(inform("food", "pizza"), inform("area", "north")), ())
    assert say(actions, tracker, "offer") == (Act(OFFER, "name", "C"), inform("food", "pizza"))
    named = set()
    stream = RandomStream(np.random.default_rng(0))
    for _ in range(40):
        acts = actions.execute(actions.index["offer"], tracker, stream)
        assert len(acts) == 2
        named.add(acts[1].slot)
    assert named == {"food", "area"}


def test_offer_alternative_skips_venues_offered_since_the_last_nomatch() -> None:
    actions, tracker = setup()
    tracker.update(heard(inform("food", "pizza")), ())
    assert say(actions, tracker, "offer")[0].value == "C"
    tracker.update(heard(Act(ActType.REQALTS)), ())
    assert tracker.alternatives_requested and "offer_alternative" in allowed(actions, tracker)
    assert say(actions, tracker, "offer_alternative")[0].value == "D"
    assert not tracker.alternatives_requested
    assert "offer_alternative" not in allowed(actions, tracker)
    # Every match offered: "none but those", naming the accepted values.
    assert say(actions, tracker, "offer_alternative") == (Act(NOMATCH, "food", "pizza"),)
    tracker.update(heard(inform("food", "pizza")), ())
    assert say(actions, tracker, "offer_alternative")[0].value == "C"  # a nomatch resets


def test_inform_answers_the_requested_slots_above_one_half() -> None:
    actions, tracker = setup()
    tracker.update(heard(inform("food", "thai"), inform("area", "south")), ())
    say(actions, tracker, "offer")
    tracker.update(
        (
            Hypothesis((Act(ActType.REQUEST, "phone"),), 0.6),
            Hypothesis((Act(ActType.REQUEST, "near"),), 0.4),
        ),
        (),
    )
    assert tracker.requested_slots() == ["phone"]
    assert say(actions, tracker, "inform") == (inform("name", "B"), inform("phone", "2"))
    assert tracker.requested["phone"] == 0.0 and tracker.offer_happened


def test_inform_with_nothing_requested_names_another_slot() -> None:
    actions, tracker = setup()
    tracker.update(heard(inform("food", "thai"), inform("area", "south")), ())
    say(actions, tracker, "offer")
    assert say(actions, tracker, "inform") == (inform("name", "B"), inform("phone", "2"))
    laptops = SummaryActions(load_domain("laptop"))
    laptop_tracker = BeliefTracker(laptops.domain, laptops.database)
    laptop_tracker.system_acted(laptops.execute(laptops.index["offer"], laptop_tracker))
    acts = laptops.execute(laptops.index["inform"], laptop_tracker)
    assert acts[1].slot == "type"  # PyDial names the venue's type when it has one


def test_actions_without_belief_say_null() -> None:
    actions, tracker = setup()
    for name in ("confirm:food", "select:food"):
        assert say(actions, tracker, name) == (Act(ActType.NULL),)
    assert say(actions, tracker, "request:area") == (Act(ActType.REQUEST, "area"),)


def test_the_config_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="max_inform_slots"):
        SummaryConfig(max_inform_slots=0)


@requires_shared(CAMRESTAURANTS)
def test_camrestaurants_offers_only_with_every_slot_accepted() -> None:
    actions, tracker = setup(load_domain(str(CAMRESTAURANTS)))
    tracker.update(heard(inform("food", "italian"), inform("area", "centre")), ())
    assert tracker.discriminable and "offer" not in allowed(actions, tracker)
    tracker.update(heard(inform("pricerange", "cheap")), ())
    assert "offer" in allowed(actions, tracker)


@requires_shared(LAPTOPS11)
def test_laptops_offer_with_four_accepted_slots() -> None:
    actions, tracker = setup(load_domain(str(LAPTOPS11)))
    slots = ("family", "platform", "pricerange", "warranty")
    for count, slot in enumerate(slots, start=1):
        tracker.update(heard(inform(slot, DONTCARE)), ())
        assert ("offer" in allowed(actions, tracker)) == (count == 4)
