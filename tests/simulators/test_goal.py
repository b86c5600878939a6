"""Goal generation: match ranges, no-match share, requests, bookings."""

from __future__ import annotations

import numpy as np
import pytest

from dialogym.domains import DONTCARE, Database, load_domain
from dialogym.simulators import GoalConfig, GoalGenerator, RandomStream


@pytest.mark.parametrize("domain_name", ["restaurant", "laptop"])
def test_goals_are_drawn_as_pydial_draws_them(domain_name: str) -> None:
    domain = load_domain(domain_name)
    generator = GoalGenerator(domain)
    database = Database(domain)
    stream = RandomStream(np.random.default_rng(0))
    goals = [generator.sample(stream) for _ in range(1000)]
    user_requestable = set(domain.requestable) - set(domain.system_requestable)
    dontcares = 0
    for goal in goals:
        assert len(goal.constraints) == min(3, len(domain.system_requestable))
        assert set(goal.constraints) <= set(domain.system_requestable)
        dontcares += sum(v == DONTCARE for v in goal.constraints.values())
        count = database.count(database.match(goal.constraints))
        assert count == goal.matches
        assert goal.requests[0] == domain.name_slot
        assert len(set(goal.requests)) == len(goal.requests) <= 3
        assert set(goal.requests[1:]) <= user_requestable
    in_range = sum(2 <= g.matches <= 3 for g in goals)
    assert in_range / len(goals) > 0.95
    assert dontcares > 0  # dontcare is a value the user states
    assert {len(g.requests) for g in goals} == {1, 2, 3}


def test_nomatch_goals_are_an_option_off_by_default() -> None:
    domain = load_domain("restaurant")
    stream = RandomStream(np.random.default_rng(2))
    assert all(GoalGenerator(domain).sample(stream).matches > 0 for _ in range(300))
    generator = GoalGenerator(domain, GoalConfig(nomatch_share=0.3))
    share = sum(generator.sample(stream).matches == 0 for _ in range(1000)) / 1000
    assert 0.22 < share < 0.38


def test_booking_share_applies_only_to_domains_with_booking() -> None:
    restaurant = load_domain("restaurant")
    stream = RandomStream(np.random.default_rng(1))
    goals = [
        GoalGenerator(restaurant, GoalConfig(booking_share=0.5)).sample(stream) for _ in range(400)
    ]
    share = sum(bool(g.booking) for g in goals) / len(goals)
    assert 0.4 < share < 0.6
    for goal in goals:
        if goal.booking:
            assert set(goal.booking) == set(restaurant.booking)
            assert all(goal.booking[s] in restaurant.booking[s] for s in goal.booking)
    laptop = load_domain("laptop")
    if not laptop.booking:
        assert not any(GoalGenerator(laptop).sample(stream).booking for _ in range(50))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_constraints": 0},
        {"max_constraints": 1.5},
        {"min_matches": 0},
        {"max_matches": 0},
        {"nomatch_share": -0.1},
        {"booking_share": True},
    ],
)
def test_bad_goal_config_is_rejected(kwargs: dict) -> None:
    with pytest.raises(ValueError, match="goal config"):
        GoalConfig(**kwargs)


def test_the_goal_table_draws_what_pydial_s_resampling_draws() -> None:
    """Same support and the same share per slot set as drawing and redrawing until in range."""
    domain = load_domain("laptop")
    generator = GoalGenerator(domain)
    database = Database(domain)
    table = generator._table()
    support = set()
    for slots, goals in zip(table.subsets, table.goals, strict=True):
        for values, matches in goals:
            constraints = dict(zip(slots, values, strict=True))
            assert database.count(database.match(constraints)) == matches
            support.add(frozenset(constraints.items()))
    stream = RandomStream(np.random.default_rng(4))
    draws = 4000
    resampled = [generator._draw_until(stream, generator._in_range)[0] for _ in range(draws)]
    tabled = [generator._draw_from_table(stream)[0] for _ in range(draws)]
    assert all(frozenset(goal.items()) in support for goal in resampled + tabled)
    for slot in domain.system_requestable:
        share = [sum(slot in goal for goal in goals) / draws for goals in (resampled, tabled)]
        assert abs(share[0] - share[1]) < 0.04, slot
