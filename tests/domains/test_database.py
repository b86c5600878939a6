"""Database.match/count/first/indices/satisfies against a brute-force filter."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dialogym.domains import (
    BUILTIN_DOMAINS,
    DONTCARE,
    NOT_AVAILABLE,
    Database,
    Domain,
    load_domain,
)

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


def lacking_domain() -> Domain:
    """Four entities, two of them lacking a food (``not available``), two named alike."""
    return Domain(
        name="tiny",
        informable={"food": ("thai", "pizza"), "area": ("north", "south")},
        system_requestable=("food", "area"),
        requestable=("name", "food", "area"),
        entities=(
            {"name": "siam", "food": "thai", "area": "north"},
            {"name": "siam", "food": NOT_AVAILABLE, "area": "south"},
            {"name": "napoli", "food": "pizza", "area": "south"},
            {"name": "wok", "food": NOT_AVAILABLE, "area": "north"},
        ),
    )


def test_not_available_is_matched_by_dontcare_only() -> None:
    database = Database(lacking_domain())
    assert database.indices(database.match({"food": DONTCARE})) == [0, 1, 2, 3]
    assert database.indices(database.match({"food": "thai"})) == [0]
    assert database.indices(database.match({"food": "pizza"})) == [2]
    assert database.match({"food": NOT_AVAILABLE}) == 0
    assert database.indices(database.match({"area": "south"})) == [1, 2]
    assert not database.satisfies(1, {"food": NOT_AVAILABLE})
    assert database.satisfies(1, {"food": DONTCARE, "area": "south"})


def test_values_among_counts_not_available_but_relaxation_never_offers_it() -> None:
    database = Database(lacking_domain())
    north = database.match({"area": "north"})
    assert database.values_among("food", north) == ["thai", NOT_AVAILABLE]
    assert database.values_among("food", database.match({"food": "pizza"})) == ["pizza"]
    assert database.values_with_matches({"food": "pizza", "area": "north"}, "food") == ["thai"]
    assert database.values_with_matches({"food": "thai"}, "area") == ["north"]


def test_repeated_names_index_the_first_and_name_all() -> None:
    database = Database(lacking_domain())
    assert database.index_of("siam") == 0
    assert database.indices(database.named("siam")) == [0, 1]
    assert database.indices(database.named("wok")) == [3]
    assert database.named("no such place") == database.named(None) == 0
    south_siam = database.named("siam") & database.match({"area": "south"})
    assert database.indices(south_siam) == [1]
