"""ConvLab-3's MultiWOZ evaluator on hand-built dialogues."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from dialogym.acts import UnifiedAct
from dialogym.domains.multiwoz import load_multiwoz
from dialogym.envs.multiwoz_evaluation import Belief, MultiWozEvaluation, MultiWozEvaluator
from dialogym.randomness import RandomStream
from dialogym.simulators.multiwoz_goals import MultiWozGoal, MultiWozGoalGenerator
from dialogym.simulators.multiwoz_user import MultiWozUser

DATA = load_multiwoz()
ROWS = DATA.database.rows("restaurant")
PIZZA_HUT = 0  # pizza hut city centre: italian, centre, 01223323737, cb21ab
OTHER_ITALIAN = 8  # another italian restaurant in the centre
assert ROWS[PIZZA_HUT]["name"] == "pizza hut city centre"
assert (ROWS[OTHER_ITALIAN]["food"], ROWS[OTHER_ITALIAN]["area"]) == ("italian", "centre")
assert ROWS[OTHER_ITALIAN]["phone"] != ROWS[PIZZA_HUT]["phone"]

BOOKING = {"people": "2", "day": "monday", "time": "19:00"}
GOAL = {
    "restaurant": {
        "info": {"food": "italian", "area": "centre"},
        "reqt": ["phone", "postcode"],
        "book": BOOKING,
    }
}
BELIEF: Belief = {
    "restaurant": {
        "food": "italian",
        "area": "centre",
        "book people": "2",
        "book day": "monday",
        "book time": "19:00",
    }
}
OFFER: list[UnifiedAct] = [
    ("inform", "restaurant", "choice", "9"),
    ("recommend", "restaurant", "name", "pizza hut city centre"),
]
FACTS: list[UnifiedAct] = [
    ("inform", "restaurant", "phone", "01223323737"),
    ("inform", "restaurant", "postcode", "cb21ab"),
]


def booking(row: int) -> list[UnifiedAct]:
    return [("book", "restaurant", "", ""), ("inform", "restaurant", "ref", f"{row:08d}")]


def evaluate(
    goal: dict[str, Any],
    turns: Sequence[Sequence[UnifiedAct]],
    belief: Belief | None = BELIEF,
    terminated: bool = True,
) -> tuple[MultiWozEvaluator, MultiWozEvaluation]:
    evaluator = MultiWozEvaluator(DATA)
    evaluator.reset(MultiWozGoal.from_convlab(goal))
    for acts in turns:
        evaluator.add_system_acts(acts, belief)
    return evaluator, evaluator.evaluate(terminated)


def test_a_successful_dialogue() -> None:
    evaluator, result = evaluate(GOAL, [OFFER, FACTS, booking(PIZZA_HUT)])
    assert result.success and result.complete
    assert result.book_rate == 1.0
    # the booking's ref is informed unrequested: a false positive (ref is requestable)
    assert evaluator.inform_counts() == (2, 1, 0)
    assert result.inform_precision == pytest.approx(2 / 3)
    assert result.inform_recall == 1.0
    assert result.inform_f1 == pytest.approx(0.8)
    assert result.turns == 3
    assert evaluator.final_goal_analyze() == 1.0
    assert evaluator.reward(terminated=False) == -1.0
    assert evaluator.reward(terminated=True) == 80.0


def test_a_booking_of_another_entity_than_the_one_described_fails() -> None:
    evaluator, result = evaluate(GOAL, [OFFER, FACTS, booking(OTHER_ITALIAN)])
    assert result.book_rate == 1.0  # the booked row meets the constraints...
    assert evaluator.final_goal_analyze() == 0.0  # ...but not the phone the user was given
    assert not result.success
    assert result.complete  # booked, and every request answered
    assert evaluator.reward(terminated=True) == -40.0


def test_a_booking_that_breaks_a_constraint_lowers_the_book_rate() -> None:
    chinese = DATA.database.match("restaurant", [("food", "chinese"), ("area", "north")])[0]
    _, result = evaluate(GOAL, [OFFER, FACTS, booking(chinese)])
    assert result.book_rate == 0.0
    assert not result.success


def test_an_unanswered_request_fails() -> None:
    _, result = evaluate(GOAL, [OFFER, FACTS[:1], booking(PIZZA_HUT)])
    assert result.inform_recall == 0.5
    assert not result.success and not result.complete


def test_no_booking_fails_and_is_not_complete() -> None:
    evaluator, result = evaluate(GOAL, [OFFER, FACTS])
    assert result.book_rate == 0.0
    assert not result.success and not result.complete
    assert evaluator.book_constraints() == 0.0


def test_book_without_value_takes_the_inform_ref_of_its_domain() -> None:
    _, with_ref = evaluate(GOAL, [FACTS, booking(PIZZA_HUT)])
    assert with_ref.book_rate == 1.0
    ref_elsewhere = [("book", "restaurant", "", ""), ("inform", "hotel", "ref", "00000000")]
    _, elsewhere = evaluate(GOAL, [FACTS, ref_elsewhere])
    assert elsewhere.book_rate == 0.0
    _, valued = evaluate(GOAL, [FACTS, [("book", "restaurant", "", "00000000")]])
    assert valued.book_rate == 1.0


def test_only_an_existing_row_index_books() -> None:
    for ref in ("1", "0000000x", f"{len(ROWS):08d}"):
        _, result = evaluate(GOAL, [FACTS, [("book", "restaurant", "", ref)]])
        assert result.book_rate == 0.0, ref


def test_the_first_booking_of_a_domain_counts() -> None:
    _, result = evaluate(GOAL, [FACTS, booking(OTHER_ITALIAN), booking(PIZZA_HUT)])
    assert not result.success


def test_booking_details_are_checked_against_the_stored_belief() -> None:
    wrong = {"restaurant": {**BELIEF["restaurant"], "book people": "3"}}
    evaluator, result = evaluate(GOAL, [OFFER, FACTS, booking(PIZZA_HUT)], belief=wrong)
    assert evaluator.book_constraints() == pytest.approx(2 / 3)
    assert not result.success and result.complete
    untracked = {"restaurant": {"food": "italian"}}
    _, result = evaluate(GOAL, [OFFER, FACTS, booking(PIZZA_HUT)], belief=untracked)
    assert result.success  # a belief without booking slots is trivially right
    _, result = evaluate(GOAL, [OFFER, FACTS, booking(PIZZA_HUT)], belief=None)
    assert not result.success


def test_a_taxi_booking_needs_no_row() -> None:
    goal = {"taxi": {"info": {"leaveAt": "10:00"}, "book": {"people": "1"}}}
    evaluator, result = evaluate(goal, [[("book", "taxi", "", "")]])
    assert result.book_rate == 1.0
    assert evaluator.book_constraints() is None  # taxi bookings have no details to check


def test_informs_outside_the_requests_are_false_positives_when_requestable() -> None:
    goal = {"police": {"info": {}, "reqt": ["phone"]}}
    evaluator, result = evaluate(
        goal,
        [
            [
                ("inform", "police", "phone", "01223358966"),
                ("inform", "hotel", "area", "north"),  # requestable in hotel: FP
                ("inform", "hotel", "address", "154 chesterton road"),  # "addr" is listed: no FP
            ]
        ],
    )
    assert evaluator.inform_counts() == (1, 1, 0)
    assert result.inform_precision == 0.5 and result.success


def test_informed_values_must_be_well_formed() -> None:
    goal = {"police": {"info": {}, "reqt": ["phone", "postcode"]}}
    evaluator, result = evaluate(
        goal,
        [[("inform", "police", "phone", "call us"), ("inform", "police", "postcode", "CB1 1JG")]],
    )
    assert evaluator.inform_counts() == (0, 2, 2)
    assert result.inform_precision == 0.0 and result.inform_f1 == 0.0
    assert result.inform_recall == 0.0


def test_a_restaurant_phone_passes_any_format() -> None:
    goal = {"restaurant": {"info": {"food": "italian"}, "reqt": ["phone"]}}
    evaluator, _ = evaluate(goal, [[("inform", "restaurant", "phone", "")]])
    assert evaluator.inform_counts() == (1, 0, 0)  # an empty value reads "none", and passes


def test_no_request_means_no_inform_figures() -> None:
    goal = {"train": {"info": {"day": "monday"}, "book": {"people": "1"}}}
    _, result = evaluate(goal, [])
    assert (result.inform_precision, result.inform_recall, result.inform_f1) == (None, None, None)


def test_a_dontcare_answer_to_a_request_fails_the_final_goal() -> None:
    goal = {"restaurant": {"info": {"food": "italian"}, "reqt": ["phone"]}}
    evaluator, result = evaluate(goal, [[("inform", "restaurant", "phone", "dontcare")]])
    assert evaluator.goal["restaurant"].reqt["phone"] == '"dontcare"'
    assert evaluator.final_goal_analyze() == 0.0
    assert result.inform_recall == 0.0  # and dontcare informs nothing
    evaluator, _ = evaluate(goal, [[("inform", "restaurant", "phone", "01223323737")]])
    assert evaluator.final_goal_analyze() == 1.0


def test_acts_are_read_grouped_by_domain_and_intent() -> None:
    goal = {"restaurant": {"info": {"food": "italian"}, "reqt": ["phone"]}}
    turn = [
        ("inform", "restaurant", "phone", "01223323737"),
        ("recommend", "restaurant", "phone", "01223000000"),
        ("inform", "restaurant", "phone", "01223111111"),
    ]
    evaluator, _ = evaluate(goal, [turn])
    # read as inform, inform, recommend (ConvLab's reverse_da): the recommend's phone counts
    assert evaluator.goal["restaurant"].reqt["phone"] == "01223000000"


def test_success_counts_only_when_the_user_ended_the_dialogue() -> None:
    _, result = evaluate(GOAL, [OFFER, FACTS, booking(PIZZA_HUT)], terminated=False)
    assert not result.success and not result.complete
    assert result.book_rate == 1.0 and result.inform_recall == 1.0


def test_user_and_evaluator_agree_on_a_dialogue() -> None:
    """The agenda user and the evaluator read the same acts the same way."""
    stream = RandomStream(np.random.default_rng(0))
    goal = MultiWozGoal.from_convlab(GOAL)
    user = MultiWozUser(DATA)
    evaluator = MultiWozEvaluator(DATA)
    evaluator.reset(goal)
    user.start(goal, stream)
    rewards = []
    for acts in (OFFER, FACTS, booking(PIZZA_HUT)):
        evaluator.add_system_acts(acts, BELIEF)
        user.respond(acts)
        rewards.append(evaluator.reward(user.terminated))
        if user.terminated:
            break
    assert user.task_complete()
    assert rewards[-1] == 80.0 and all(r == -1.0 for r in rewards[:-1])


def test_random_goals_and_turns_evaluate_without_error() -> None:
    stream = RandomStream(np.random.default_rng(1))
    generator = MultiWozGoalGenerator(data=DATA)
    evaluator = MultiWozEvaluator(DATA)
    values = ["00000001", "00000099", "", "cb21ab", "01223323737", "tr1234", "5 pounds", "none"]
    slots = ["phone", "postcode", "ref", "area", "train id", "price", "name", "address", ""]
    domains = ["restaurant", "hotel", "attraction", "train", "taxi", "police", "hospital"]
    intents = ["inform", "recommend", "book", "offerbook", "offerbooked", "request", "nooffer"]
    for _ in range(200):
        evaluator.reset(generator.sample(stream))
        for _ in range(stream.below(8)):
            acts = [
                (
                    stream.choice(intents),
                    stream.choice(domains),
                    stream.choice(slots),
                    stream.choice(values),
                )
                for _ in range(stream.below(4) + 1)
            ]
            evaluator.add_system_acts(acts, BELIEF if stream.random() < 0.5 else None)
        result = evaluator.evaluate(terminated=True)
        assert result.book_rate is None or 0.0 <= result.book_rate <= 1.0
        assert result.success <= result.complete
