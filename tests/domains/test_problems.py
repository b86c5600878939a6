"""Every problem of a native domain file is reported at once, in one one-line DomainError."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import yaml

from dialogym.domains import DONTCARE, NOT_AVAILABLE, Database, DomainError, load_domain
from dialogym.domains.domain import MAX_REPORTED_PROBLEMS

ONTOLOGY = {
    "name": "tiny",
    "informable": {"food": ["thai", "pizza"], "area": ["north", "south"]},
    "system_requestable": ["food", "area"],
    "requestable": ["name", "food", "area", "phone"],
    "database": "db.csv",
}
HEADER = "name,food,area,phone\n"


def load(tmp_path: Path, rows: str, **changes: object) -> object:
    (tmp_path / "tiny.yaml").write_text(
        yaml.safe_dump({**ONTOLOGY, **changes}, sort_keys=False), encoding="utf-8"
    )
    (tmp_path / "db.csv").write_text(HEADER + rows, encoding="utf-8")
    return load_domain(tmp_path / "tiny.yaml")


def problems_of(tmp_path: Path, rows: str, **changes: object) -> tuple[str, ...]:
    with pytest.raises(DomainError) as caught:
        load(tmp_path, rows, **changes)
    assert "\n" not in str(caught.value)
    return caught.value.problems


def test_every_ontology_field_problem_at_once(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path,
        "siam,thai,north,0101\n",
        informable={"food": ["thai", "thai", DONTCARE], "area": []},
        requestable=["name", "name"],
        colour="red",
    )
    ontology = tmp_path / "tiny.yaml"
    assert problems == (
        f"{ontology}: colour: unknown key (known keys: name, informable, system_requestable, "
        "requestable, database, booking, name_slot, synonyms, slot_synonyms, table, entity_type, "
        "phrases)",
    )
    problems = problems_of(
        tmp_path,
        "siam,thai,north,0101\n",
        informable={"food": ["thai", "thai", DONTCARE], "area": []},
        requestable=["name", "name"],
    )
    assert problems == (
        f"{ontology}: informable.food: value 'thai' is listed twice",
        f"{ontology}: informable.food: 'dontcare' is reserved and may not be a value",
        f"{ontology}: informable.area: has no values",
        f"{ontology}: requestable: slot 'name' is listed twice",
    )


def test_every_row_problem_at_once(tmp_path: Path) -> None:
    rows = (
        "siam,thai,north,0101\nwok,noodles,north,0102\nsiam,pizza,mars,0103\nnapoli,pizza,south\n"
    )
    database = tmp_path / "db.csv"
    assert problems_of(tmp_path, rows) == (
        f"{database}: row 2.food: value 'noodles' is not in informable.food",
        f"{database}: row 3.area: value 'mars' is not in informable.area",
        f"{database}: row 4: has 3 fields, the header has 4",
        f"{database}: row 3.name: duplicate name 'siam' (also row 1)",
    )


def test_the_message_shows_the_first_problems_and_counts_the_rest(tmp_path: Path) -> None:
    rows = "".join(f"place{i},curry,north,{i}\n" for i in range(1, 31))
    with pytest.raises(DomainError) as caught:
        load(tmp_path, rows)
    error = caught.value
    assert len(error.problems) == 30
    message = str(error)
    assert message.count("'curry'") == MAX_REPORTED_PROBLEMS
    assert f"row {MAX_REPORTED_PROBLEMS}.food" in message
    assert f"row {MAX_REPORTED_PROBLEMS + 1}.food" not in message
    assert message.endswith(f"; and {30 - MAX_REPORTED_PROBLEMS} more problems")
    again = pickle.loads(pickle.dumps(error))
    assert again.problems == error.problems and str(again) == message


def test_native_entities_may_lack_a_value(tmp_path: Path) -> None:
    rows = f"siam,thai,north,0101\nwok,{NOT_AVAILABLE},north,{NOT_AVAILABLE}\n"
    domain = load(tmp_path, rows)
    assert domain.entities[1] == {
        "name": "wok",
        "food": NOT_AVAILABLE,
        "area": "north",
        "phone": NOT_AVAILABLE,
    }
    database = Database(domain)
    assert database.indices(database.match({"food": "thai"})) == [0]
    assert database.indices(database.match({"food": DONTCARE, "area": "north"})) == [0, 1]
