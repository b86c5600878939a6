"""Database.match/count/first/indices/satisfies against a brute-force filter."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dialogym.domains import BUILTIN_DOMAINS, DONTCARE, Database, load_domain

DOMAINS = {name: load_domain(name) for name in BUILTIN_DOMAINS}
DATABASES = {name: Database(domain) for name, domain in DOMAINS.items()}


@st.composite
def queries(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    name = draw(st.sampled_from(BUILTIN_DOMAINS))
    domain = DOMAINS[name]
    slots = draw(st.lists(st.sampled_from(domain.system_requestable), unique=True, max_size=4))
    constraints = {
        slot: draw(st.sampled_from((*domain.informable[slot], DONTCARE, "no such value")))
        for slot in slots
    }
    return name, constraints


def brute_force(name: str, constraints: dict[str, str]) -> list[int]:
    return [
        index
        for index, entity in enumerate(DOMAINS[name].entities)
        if all(v == DONTCARE or entity[s] == v for s, v in constraints.items())
    ]


@settings(max_examples=300, deadline=None)
@given(queries(), st.integers(min_value=0))
def test_match_agrees_with_brute_force(query: tuple[str, dict[str, str]], excluded: int) -> None:
    name, constraints = query
    database = DATABASES[name]
    expected = brute_force(name, constraints)
    matches = database.match(constraints)
    assert database.indices(matches) == expected
    assert database.count(matches) == len(expected)
    assert database.first(matches) == (expected[0] if expected else -1)
    excluding = excluded & database.all_entities
    remaining = [i for i in expected if not excluding >> i & 1]
    assert database.first(matches, excluding) == (remaining[0] if remaining else -1)
    for index in expected[:5]:
        assert database.satisfies(index, constraints)


def test_unknown_slot_matches_nothing() -> None:
    database = DATABASES["restaurant"]
    assert database.match({"colour": "red"}) == 0
    assert database.match({"phone": "01632 960279"}) == 0  # not system-requestable


def test_empty_query_matches_everything() -> None:
    for name, database in DATABASES.items():
        assert database.count(database.match({})) == len(DOMAINS[name].entities)


def test_index_of() -> None:
    domain = DOMAINS["laptop"]
    database = DATABASES["laptop"]
    for index, entity in enumerate(domain.entities):
        assert database.index_of(entity["name"]) == index
    assert database.index_of("no such laptop") == -1
    assert database.index_of(None) == -1
