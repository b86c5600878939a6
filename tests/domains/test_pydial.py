"""Importing PyDial's three benchmark domains (rules JSON + SQLite dbase) from the shared data."""

from __future__ import annotations

import collections
import json
import shutil
import sqlite3
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import dialogym  # noqa: F401  (registers the environments)
from dialogym.domains import DONTCARE, NOT_AVAILABLE, Database, Domain, DomainError, load_domain
from dialogym.domains.pydial import load_pydial

from ..conftest import (
    CAMRESTAURANTS,
    LAPTOPS11,
    PYDIAL_DOMAINS,
    SFRESTAURANTS,
    requires_shared,
    shared_domain,
)

ALL_THREE = [shared_domain(path) for path in PYDIAL_DOMAINS]


def database_rows(rules: str | Path) -> list[dict[str, object]]:
    """The rows of a PyDial domain's SQLite table, read directly."""
    rules = Path(rules)
    name = rules.name.removesuffix("-rules.json")
    with sqlite3.connect(rules.with_name(f"{name}-dbase.db")) as connection:
        connection.row_factory = sqlite3.Row
        rows = [dict(row) for row in connection.execute(f"SELECT * FROM {name} ORDER BY rowid")]
    connection.close()
    return rows


@requires_shared(CAMRESTAURANTS)
def test_camrestaurants_figures() -> None:
    domain = load_domain(CAMRESTAURANTS)
    assert domain.name == "CamRestaurants"
    assert domain.source == str(CAMRESTAURANTS)
    assert len(domain.entities) == 110
    assert domain.system_requestable == ("food", "pricerange", "area")
    assert set(domain.requestable) == {
        "addr",
        "area",
        "food",
        "name",
        "phone",
        "pricerange",
        "postcode",
        "signature",
        "description",
    }
    assert domain.booking == {}
    assert domain.name_slot == "name"
    assert len(domain.informable["food"]) == 91
    assert domain.informable["pricerange"] == ("cheap", "moderate", "expensive")
    assert len(domain.informable["area"]) == 5
    assert len(domain.informable["name"]) == 113  # kept: every DB name is in the rules


@requires_shared(SFRESTAURANTS)
def test_sfrestaurants_missing_values_and_repeated_names_load_as_in_pydial() -> None:
    domain = load_domain(SFRESTAURANTS)
    assert len(domain.entities) == 271
    assert len(domain.system_requestable) == 6
    lacking = {
        slot: sum(entity[slot] == NOT_AVAILABLE for entity in domain.entities)
        for slot in domain.system_requestable
    }
    assert lacking == {
        "near": 165,
        "area": 0,
        "food": 22,
        "pricerange": 0,
        "goodformeal": 0,
        "allowedforkids": 11,
    }
    assert all(NOT_AVAILABLE not in values for values in domain.informable.values())
    rows_per_name = collections.Counter(entity["name"] for entity in domain.entities)
    repeated = {name: rows for name, rows in rows_per_name.items() if rows > 1}
    assert len(repeated) == 28 and sum(repeated.values()) - len(repeated) == 29
    database = Database(domain)
    for name in repeated:
        rows = [i for i, entity in enumerate(domain.entities) if entity["name"] == name]
        assert database.index_of(name) == rows[0]
        assert database.indices(database.named(name)) == rows
    # the same restaurant for lunch and for dinner: a goal for either finds its own row
    lunch, dinner = (
        database.named("poesia") & database.match({"goodformeal": meal})
        for meal in ("lunch", "dinner")
    )
    assert database.count(lunch) == database.count(dinner) == 1 and lunch != dinner


@requires_shared(LAPTOPS11)
def test_laptops11_figures() -> None:
    domain = load_domain(LAPTOPS11)
    assert len(domain.entities) == 123
    assert len(domain.system_requestable) == 11
    assert len(domain.requestable) == 21
    assert not any(NOT_AVAILABLE in entity.values() for entity in domain.entities)


@pytest.mark.parametrize("rules", ALL_THREE)
def test_entities_are_the_database_rows(rules: str) -> None:
    domain = load_domain(rules)
    rows = database_rows(rules)
    assert len(domain.entities) == len(rows)
    for entity, row in zip(domain.entities, rows, strict=True):
        assert "id" not in entity and entity.keys() == row.keys() - {"id"}
        for slot, value in entity.items():
            raw = row[slot]
            assert value == (str(raw).strip() if raw not in (None, "") else NOT_AVAILABLE)


@pytest.mark.parametrize("rules", ALL_THREE)
def test_not_available_matches_only_dontcare(rules: str) -> None:
    domain = load_domain(rules)
    database = Database(domain)
    for slot in domain.system_requestable:
        lacking = {i for i, e in enumerate(domain.entities) if e[slot] == NOT_AVAILABLE}
        hit = 0
        for value in domain.informable[slot]:
            matches = database.match({slot: value})
            hit |= matches
            assert not lacking & set(database.indices(matches)), (slot, value)
        assert set(database.indices(database.all_entities & ~hit)) == lacking
        assert database.match({slot: NOT_AVAILABLE}) == 0
        assert database.match({slot: DONTCARE}) == database.all_entities
        assert NOT_AVAILABLE not in database.values_with_matches({}, slot)
        assert (NOT_AVAILABLE in database.values_among(slot, database.all_entities)) == bool(
            lacking
        )
        for index in sorted(lacking)[:3]:
            assert database.satisfies(index, {slot: DONTCARE})
            assert not database.satisfies(index, {slot: NOT_AVAILABLE})


@pytest.mark.parametrize("rules", ALL_THREE)
def test_environment_resets_and_steps_with_masked_random_actions(rules: str) -> None:
    # Touches the simulator, tracker and actions (rewritten by others): a failure here that the
    # domain tests above do not show lies outside the importer.
    env = gym.make("dialogym/PyDialEnv3-v0", domain=rules)
    rng = np.random.default_rng(0)
    observation, _ = env.reset(seed=0)
    dialogues = 0
    for _ in range(200):
        assert env.observation_space.contains(observation)
        mask = env.unwrapped.action_masks()
        assert mask.any()
        action = int(rng.choice(np.flatnonzero(mask)))
        observation, reward, terminated, truncated, _ = env.step(action)
        assert np.isfinite(float(reward))
        if terminated or truncated:
            dialogues += 1
            observation, _ = env.reset()
    assert dialogues > 0


@requires_shared(CAMRESTAURANTS)
def test_detected_by_content_under_another_name(tmp_path: Path) -> None:
    shutil.copy(CAMRESTAURANTS, tmp_path / "rules.json")
    with pytest.raises(DomainError, match="rules.json: database: file not found"):
        load_domain(tmp_path / "rules.json")
    shutil.copy(CAMRESTAURANTS.with_name("CamRestaurants-dbase.db"), tmp_path / "rules-dbase.db")
    with pytest.raises(DomainError, match="table: no table 'rules'"):
        load_domain(tmp_path / "rules.json")


@requires_shared(CAMRESTAURANTS)
def test_parsed_rules_may_be_passed_in() -> None:
    rules = json.loads(CAMRESTAURANTS.read_text(encoding="utf-8"))
    assert len(load_pydial(CAMRESTAURANTS, rules).entities) == 110


@requires_shared(SFRESTAURANTS)
def test_every_problem_of_a_broken_copy_is_reported_at_once(tmp_path: Path) -> None:
    """Several faults in the rules, then in many rows: each pass lists them all (bounded)."""
    rules = json.loads(SFRESTAURANTS.read_text(encoding="utf-8"))
    copy = tmp_path / "SFRestaurants-rules.json"
    shutil.copy(SFRESTAURANTS.with_name("SFRestaurants-dbase.db"), tmp_path)
    broken = {
        **rules,
        "informable": {**rules["informable"], "food": [*rules["informable"]["food"], "dontcare"]},
    }
    broken["requestable"] = [slot for slot in rules["requestable"] if slot != "name"]
    copy.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(DomainError) as caught:
        load_domain(copy)
    assert caught.value.problems == (
        f"{copy}: informable.food: 'dontcare' is reserved and may not be a value",
        f"{copy}: requestable: must include the name slot 'name'",
    )
    assert str(caught.value) == "; ".join(caught.value.problems)

    unknown = "north beach telegraph hill"  # 27 rows now hold a value the rules lack
    near = [value for value in rules["informable"]["near"] if value != unknown]
    copy.write_text(json.dumps({**rules, "informable": {**rules["informable"], "near": near}}))
    with pytest.raises(DomainError) as caught:
        load_domain(copy)
    rows = [
        i for i, row in enumerate(database_rows(SFRESTAURANTS), start=1) if row["near"] == unknown
    ]
    database = tmp_path / "SFRestaurants-dbase.db"
    problem = f"value {unknown!r} is not in the rules' informable.near"
    assert caught.value.problems == tuple(f"{database}: row {row}.near: {problem}" for row in rows)
    message = str(caught.value)
    assert "\n" not in message and message.count(problem) == 20
    assert message.endswith(f"; and {len(rows) - 20} more problems")


def test_tiny_pydial_domain_with_missing_values_and_repeated_names(tmp_path: Path) -> None:
    """No shared data needed: the importer's rules on a hand-made PyDial pair."""
    rules = {
        "type": "tiny",
        "informable": {"food": ["thai", "pizza"], "area": ["north", "south"], "name": ["siam"]},
        "requestable": ["name", "food", "area", "phone"],
        "system_requestable": ["food", "area"],
        "discourseAct": ["hello"],
        "method": ["none"],
    }
    (tmp_path / "Tiny-rules.json").write_text(json.dumps(rules), encoding="utf-8")
    with sqlite3.connect(tmp_path / "Tiny-dbase.db") as connection:
        connection.execute("CREATE TABLE Tiny (id TEXT, name TEXT, food TEXT, area TEXT, phone)")
        connection.executemany(
            "INSERT INTO Tiny VALUES (?, ?, ?, ?, ?)",
            [
                ("1", "siam", "thai", "north", "0101"),
                ("2", "siam", "not available", "south", None),
                ("3", "napoli", "pizza", "", 102),
            ],
        )
    connection.close()
    domain = load_domain(tmp_path / "Tiny-rules.json")
    assert [dict(e) for e in domain.entities] == [
        {"name": "siam", "food": "thai", "area": "north", "phone": "0101"},
        {"name": "siam", "food": NOT_AVAILABLE, "area": "south", "phone": NOT_AVAILABLE},
        {"name": "napoli", "food": "pizza", "area": NOT_AVAILABLE, "phone": "102"},
    ]
    assert domain.informable["name"] == ("siam", "napoli")  # a name the rules lack is added
    assert domain.informable["food"] == ("thai", "pizza")
    database = Database(domain)
    assert database.indices(database.match({"food": "thai"})) == [0]
    assert database.indices(database.match({"area": "south"})) == [1]
    assert database.index_of("siam") == 0 and database.indices(database.named("siam")) == [0, 1]


def test_in_memory_domain_rejects_not_available_as_an_informable_value() -> None:
    with pytest.raises(DomainError, match="informable.food: 'not available' is reserved"):
        Domain(
            name="tiny",
            informable={"food": ("thai", NOT_AVAILABLE)},
            system_requestable=("food",),
            requestable=("name",),
            entities=({"name": "siam", "food": "thai"},),
        )
