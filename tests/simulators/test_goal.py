"""Goal generation: match ranges, no-match share, requests, bookings."""

from __future__ import annotations

import numpy as np
import pytest

from dialogym.domains import DONTCARE, Database, load_domain
from dialogym.simulators import GoalConfig, GoalGenerator, RandomStream


@pytest.mark.parametrize("domain_name", ["restaurant", "laptop"])
def test_goals_respect_the_match_range_and_nomatch_share(domain_name: str) -> None:
    domain = load_domain(domain_name)
    config = GoalConfig(min_matches=1, max_matches=8, nomatch_share=0.2)
    generator = GoalGenerator(domain, config)
    database = Database(domain)
    stream = RandomStream(np.random.default_rng(0))
    goals = [generator.sample(stream) for _ in range(1000)]
    nomatch = 0
    for goal in goals:
        assert set(goal.constraints) == set(domain.system_requestable)
        assert any(v != DONTCARE for v in goal.constraints.values())
        count = database.count(database.match(goal.constraints))
        assert count == goal.matches
        if count == 0:
            nomatch += 1
        else:
            assert 1 <= count <= 8 or count == goal.matches  # accepted after max_attempts
        assert goal.requests[0] == domain.name_slot
        assert len(set(goal.requests)) == len(goal.requests)
        for slot in goal.requests[1:]:
            assert slot in domain.requestable
            assert goal.constraints.get(slot, DONTCARE) == DONTCARE
    assert 0.1 < nomatch / len(goals) < 0.3
    in_range = sum(1 <= g.matches <= 8 for g in goals)
    assert in_range / len(goals) > 0.7


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
    [{"min_constraints": 0}, {"min_matches": 0}, {"max_matches": 0}, {"nomatch_share": -0.1}],
)
def test_bad_goal_config_is_rejected(kwargs: dict) -> None:
    with pytest.raises(ValueError, match="goal config"):
        GoalConfig(**kwargs)
