"""Built-in domains, the native format in its three database flavours, and name resolution."""

from __future__ import annotations

import itertools
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from dialogym.domains import BUILTIN_DOMAINS, DONTCARE, Database, Domain, DomainError, load_domain

REPO = Path(__file__).resolve().parents[2]


def test_builtin_names() -> None:
    assert BUILTIN_DOMAINS == ("restaurant", "laptop")


@pytest.mark.parametrize("name", BUILTIN_DOMAINS)
def test_builtins_load_and_are_cached(name: str) -> None:
    domain = load_domain(name)
    assert isinstance(domain, Domain)
    assert domain.name == name
    assert domain.source == f"builtin:{name}"
    start = time.perf_counter()
    again = load_domain(name)
    assert again is domain
    assert time.perf_counter() - start < 0.01


def test_restaurant_sizes_and_shape() -> None:
    domain = load_domain("restaurant")
    assert 100 <= len(domain.entities) <= 150
    assert domain.system_requestable == ("food", "pricerange", "area")
    assert len(domain.informable["food"]) >= 12
    assert domain.informable["pricerange"] == ("cheap", "moderate", "expensive")
    assert set(domain.informable["area"]) == {"centre", "north", "south", "east", "west"}
    assert len(domain.requestable) >= 8
    assert {"name", "address", "phone", "postcode"} <= set(domain.requestable)
    assert domain.booking["people"] == tuple(str(n) for n in range(1, 9))
    assert len(domain.booking["day"]) == 7
    assert len(domain.booking["time"]) >= 12
    assert "center" in domain.synonyms["area"]["centre"]
    assert "inexpensive" in domain.synonyms["pricerange"]["cheap"]


def test_restaurant_constraint_coverage_is_realistic() -> None:
    domain = load_domain("restaurant")
    database = Database(domain)
    slots = domain.system_requestable
    pairs = [
        dict(zip((a, b), values, strict=True))
        for a, b in itertools.combinations(slots, 2)
        for values in itertools.product(domain.informable[a], domain.informable[b])
    ]
    triples = [
        dict(zip(slots, values, strict=True))
        for values in itertools.product(*(domain.informable[s] for s in slots))
    ]
    pair_hits = sum(database.match(c) != 0 for c in pairs)
    triple_misses = sum(database.match(c) == 0 for c in triples)
    assert pair_hits / len(pairs) >= 0.75
    assert triple_misses >= 20
    # every single value is used by some restaurant
    for slot in slots:
        assert all(database.match({slot: value}) for value in domain.informable[slot])


def test_laptop_sizes_and_shape() -> None:
    domain = load_domain("laptop")
    assert len(domain.entities) >= 150
    assert len(domain.system_requestable) >= 6
    assert {"name", "price"} <= set(domain.requestable)
    assert len(domain.requestable) >= len(domain.system_requestable) + 5
    database = Database(domain)
    for slot in domain.system_requestable:
        assert all(database.match({slot: value}) for value in domain.informable[slot])


def test_builtin_files_are_up_to_date_with_their_script() -> None:
    script = REPO / "scripts" / "make_builtin_domains.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_domain_passes_through() -> None:
    domain = load_domain("restaurant")
    assert load_domain(domain) is domain


def test_unknown_name_lists_builtins_on_one_line() -> None:
    with pytest.raises(DomainError) as caught:
        load_domain("restaurants")
    message = str(caught.value)
    assert "\n" not in message
    assert "'restaurants'" in message
    assert all(name in message for name in BUILTIN_DOMAINS)
    assert "path" in message


TINY = {
    "name": "tiny",
    "informable": {"food": ["thai", "pizza", "sushi"], "area": ["north", "south"]},
    "system_requestable": ["food", "area"],
    "requestable": ["name", "food", "area", "phone"],
    "booking": {"people": [1, 2, 3]},
    "synonyms": {"area": {"north": ["northern", "up north"]}, "people": {"2": ["two"]}},
}
ROWS = [
    {"id": "7", "name": "siam", "food": "thai", "area": "north", "phone": "0101"},
    {"id": "8", "name": "napoli", "food": "pizza", "area": "south", "phone": "0102"},
    {"id": "9", "name": "wok on", "food": "thai", "area": "south", "phone": "0103"},
]


def write_database(folder: Path, kind: str) -> str:
    """Write ROWS as a database of the given kind; return its file name."""
    if kind == "csv":
        header = list(ROWS[0])
        lines = [",".join(header)] + [",".join(row[c] for c in header) for row in ROWS]
        (folder / "tiny.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return "tiny.csv"
    if kind == "json":
        (folder / "rows.json").write_text(json.dumps(ROWS), encoding="utf-8")
        return "rows.json"
    with sqlite3.connect(folder / "tiny.db") as connection:
        connection.execute("CREATE TABLE places (id, name, food, area, phone)")
        connection.executemany("INSERT INTO places VALUES (:id, :name, :food, :area, :phone)", ROWS)
    connection.close()
    return "tiny.db"


@pytest.mark.parametrize("ontology_format", ["yaml", "json"])
@pytest.mark.parametrize("database_kind", ["csv", "json", "sqlite"])
def test_round_trip(tmp_path: Path, ontology_format: str, database_kind: str) -> None:
    data = {**TINY, "database": write_database(tmp_path, database_kind)}
    path = tmp_path / f"tiny.{ontology_format}"
    text = json.dumps(data) if ontology_format == "json" else yaml.safe_dump(data)
    path.write_text(text, encoding="utf-8")
    domain = load_domain(path)
    assert load_domain(str(path)) == domain
    assert domain.name == "tiny"
    assert domain.source == str(path)
    assert domain.informable == {"food": ("thai", "pizza", "sushi"), "area": ("north", "south")}
    assert domain.booking == {"people": ("1", "2", "3")}
    assert domain.synonyms["area"]["north"] == ("northern", "up north")
    assert domain.name_slot == "name"
    expected = tuple({k: v for k, v in row.items() if k != "id"} for row in ROWS)
    assert domain.entities == expected
    database = Database(domain)
    assert database.indices(database.match({"food": "thai", "area": DONTCARE})) == [0, 2]


def test_yaml_scalars_are_read_as_written(tmp_path: Path) -> None:
    text = """
name: odd
informable:
  time: [12:00, 12:30]
  open: [yes, no]
  size: [1.50, 007]
system_requestable: [time, open, size]
requestable: [name]
database: odd.csv
"""
    (tmp_path / "odd.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "odd.csv").write_text("name,time,open,size\na,12:00,yes,1.50\n", encoding="utf-8")
    domain = load_domain(tmp_path / "odd.yaml")
    assert domain.informable == {
        "time": ("12:00", "12:30"),
        "open": ("yes", "no"),
        "size": ("1.50", "007"),
    }


def test_custom_name_slot_and_named_sqlite_table(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "shop.sqlite") as connection:
        connection.execute("CREATE TABLE other (x)")
        connection.execute("CREATE TABLE items (title, colour)")
        connection.execute("INSERT INTO items VALUES ('mug', 'red'), ('cup', 'blue')")
    connection.close()
    data = {
        "name": "shop",
        "informable": {"colour": ["red", "blue"]},
        "system_requestable": ["colour"],
        "requestable": ["title", "colour"],
        "name_slot": "title",
        "database": "shop.sqlite",
        "table": "items",
    }
    (tmp_path / "shop.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    domain = load_domain(tmp_path / "shop.yml")
    assert domain.name_slot == "title"
    assert [e["title"] for e in domain.entities] == ["mug", "cup"]


def test_format_example_loads(tmp_path: Path) -> None:
    """The complete example in FORMAT.md is a valid domain."""
    text = (REPO / "dialogym" / "domains" / "FORMAT.md").read_text(encoding="utf-8")
    blocks = text.split("```")
    yaml_block = next(b for b in blocks if b.startswith("yaml\n# cafes.yaml"))
    csv_block = next(b for b in blocks if b.startswith("csv\n"))
    (tmp_path / "cafes.yaml").write_text(yaml_block.removeprefix("yaml\n"), encoding="utf-8")
    (tmp_path / "cafes.csv").write_text(csv_block.removeprefix("csv\n"), encoding="utf-8")
    domain = load_domain(tmp_path / "cafes.yaml")
    assert domain.name == "cafes"
    assert len(domain.entities) >= 3
