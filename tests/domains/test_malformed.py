"""Every malformed domain file gives a one-line DomainError naming the file and the field."""

from __future__ import annotations

import copy
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from dialogym.domains import DomainError, load_domain

DELETE = object()
BASE: dict[str, Any] = {
    "name": "tiny",
    "informable": {"food": ["thai", "pizza"], "area": ["north", "south"]},
    "system_requestable": ["food", "area"],
    "requestable": ["name", "food", "area", "phone"],
    "booking": {"people": ["1", "2"]},
    "database": "db.csv",
}
CSV = "name,food,area,phone\nsiam,thai,north,0101\nnapoli,pizza,south,0102\n"
ROWS = [
    {"name": "siam", "food": "thai", "area": "north", "phone": "0101"},
    {"name": "napoli", "food": "pizza", "area": "south", "phone": "0102"},
]


def ontology(**changes: Any) -> str:
    """The base ontology as YAML, with keys replaced (or removed with DELETE)."""
    data = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is DELETE:
            del data[key]
        else:
            data[key] = value
    return yaml.safe_dump(data, sort_keys=False)


def sqlite_db(*tables: str, rows: list[dict[str, str]] | None = None) -> Callable[[Path], None]:
    """A writer of a SQLite file with the given tables, each holding ``rows``."""

    def write(path: Path) -> None:
        with sqlite3.connect(path) as connection:
            for table in tables:
                connection.execute(
                    f"CREATE TABLE {table} (name TEXT, food TEXT, area TEXT, phone TEXT)"
                )
                connection.executemany(
                    f"INSERT INTO {table} VALUES (:name, :food, :area, :phone)", rows or ROWS
                )
        connection.close()

    return write


def pydial_db(food: str) -> Callable[[Path], None]:
    """A writer of a PyDial-style dbase file (table ``Tiny``, with an ``id`` column)."""

    def write(path: Path) -> None:
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE Tiny (id TEXT, name TEXT, food TEXT, phone TEXT)")
            connection.execute("INSERT INTO Tiny VALUES ('1', 'siam', ?, '0101')", (food,))
        connection.close()

    return write


PYDIAL_RULES = json.dumps(
    {
        "type": "tiny",
        "informable": {"food": ["thai", "pizza"], "name": ["siam"]},
        "requestable": ["name", "food", "phone"],
        "system_requestable": ["food"],
        "discourseAct": ["hello"],
        "method": ["none"],
    }
)

Files = dict[str, "str | bytes | Callable[[Path], None]"]
# id -> (files to write, file to load, file named in the message, field named in the message)
CASES: dict[str, tuple[Files, str, str, str]] = {
    "missing file": ({}, "tiny.yaml", "tiny.yaml", "file not found"),
    "unsupported ontology suffix": ({"tiny.txt": ontology()}, "tiny.txt", "tiny.txt", "'.txt'"),
    "unparsable yaml": (
        {"tiny.yaml": "name: [tiny\ninformable: {\n"},
        "tiny.yaml",
        "tiny.yaml",
        "line ",
    ),
    "unparsable json": (
        {"tiny.json": '{"name": "tiny",\n "informable": }'},
        "tiny.json",
        "tiny.json",
        "line 2",
    ),
    "top level not a mapping": (
        {"tiny.yaml": "- name\n- tiny\n"},
        "tiny.yaml",
        "tiny.yaml",
        "top level",
    ),
    "missing name": (
        {"tiny.yaml": ontology(name=DELETE), "db.csv": CSV},
        "tiny.yaml",
        "tiny.yaml",
        "name",
    ),
    "missing informable": (
        {"tiny.yaml": ontology(informable=DELETE), "db.csv": CSV},
        "tiny.yaml",
        "tiny.yaml",
        "informable",
    ),
    "missing system_requestable": (
        {"tiny.yaml": ontology(system_requestable=DELETE), "db.csv": CSV},
        "tiny.yaml",
        "tiny.yaml",
        "system_requestable",
    ),
    "missing requestable": (
        {"tiny.yaml": ontology(requestable=DELETE), "db.csv": CSV},
        "tiny.yaml",
        "tiny.yaml",
        "requestable",
    ),
    "missing database": (
        {"tiny.yaml": ontology(database=DELETE), "db.csv": CSV},
        "tiny.yaml",
        "tiny.yaml",
        "database",
    ),
    "unknown top-level key": (
        {"tiny.yaml": ontology(informables={"food": ["thai"]}), "db.csv": CSV},
        "tiny.yaml",
        "tiny.yaml",
        "informables",
    ),
    "empty value list": (
        {"tiny.yaml": ontology(informable={"food": [], "area": ["north"]}), "db.csv": CSV},
        "tiny.yaml",
        "tiny.yaml",
        "informable.food",
    ),
    "informable is a list": (
        {"tiny.yaml": ontology(informable=["food", "area"]), "db.csv": CSV},
        "tiny.yaml",
        "tiny.yaml",
        "informable",
    ),
    "requestable is a string": (
        {"tiny.yaml": ontology(requestable="name"), "db.csv": CSV},
        "tiny.yaml",
        "tiny.yaml",
        "requestable",
    ),
    "name is not a string": (
        {"tiny.yaml": ontology(name=["tiny"]), "db.csv": CSV},
        "tiny.yaml",
        "tiny.yaml",
        "name",
    ),
    "null value": (
        {"tiny.yaml": ontology(booking={"people": ["1", None]}), "db.csv": CSV},
        "tiny.yaml",
        "tiny.yaml",
        "booking.people",
    ),
    "boolean value in json": (
        {
            "tiny.json": json.dumps(
                {**BASE, "informable": {"food": ["thai", "pizza"], "area": [True]}}
            ),
            "db.csv": CSV,
        },
        "tiny.json",
        "tiny.json",
        "informable.area",
    ),
    "value listed twice": (
        {
            "tiny.yaml": ontology(informable={"food": ["thai", "thai"], "area": ["north"]}),
            "db.csv": CSV,
        },
        "tiny.yaml",
        "tiny.yaml",
        "informable.food",
    ),
    "dontcare as a value": (
        {
            "tiny.yaml": ontology(
                informable={"food": ["thai", "pizza"], "area": ["north", "dontcare"]}
            ),
            "db.csv": CSV,
        },
        "tiny.yaml",
        "tiny.yaml",
        "informable.area",
    ),
    "not available as a value": (
        {
            "tiny.yaml": ontology(
                informable={"food": ["thai", "not available"], "area": ["north", "south"]}
            ),
            "db.csv": CSV,
        },
        "tiny.yaml",
        "tiny.yaml",
        "informable.food",
    ),
    "system_requestable slot not informable": (
        {"tiny.yaml": ontology(system_requestable=["food", "area", "price"]), "db.csv": CSV},
        "tiny.yaml",
        "tiny.yaml",
        "system_requestable",
    ),
    "name slot not requestable": (
        {"tiny.yaml": ontology(requestable=["food", "area", "phone"]), "db.csv": CSV},
        "tiny.yaml",
        "tiny.yaml",
        "requestable",
    ),
    "synonym of an unknown value": (
        {"tiny.yaml": ontology(synonyms={"food": {"curry": ["kari"]}}), "db.csv": CSV},
        "tiny.yaml",
        "tiny.yaml",
        "synonyms.food.curry",
    ),
    "booking slot also informable": (
        {"tiny.yaml": ontology(booking={"area": ["north"]}), "db.csv": CSV},
        "tiny.yaml",
        "tiny.yaml",
        "booking.area",
    ),
    "database file missing": ({"tiny.yaml": ontology()}, "tiny.yaml", "tiny.yaml", "database"),
    "unsupported database suffix": (
        {"tiny.yaml": ontology(database="db.xlsx"), "db.xlsx": "x"},
        "tiny.yaml",
        "tiny.yaml",
        "database",
    ),
    "unknown column in csv": (
        {
            "tiny.yaml": ontology(),
            "db.csv": "name,food,area,phone,colour\nsiam,thai,north,0101,red\n",
        },
        "tiny.yaml",
        "db.csv",
        "header",
    ),
    "unknown key in json database": (
        {
            "tiny.yaml": ontology(database="db.json"),
            "db.json": json.dumps([ROWS[0], {**ROWS[1], "colour": "red"}]),
        },
        "tiny.yaml",
        "db.json",
        "row 2",
    ),
    "entity value not in the ontology": (
        {"tiny.yaml": ontology(), "db.csv": CSV + "wok,noodles,north,0103\n"},
        "tiny.yaml",
        "db.csv",
        "row 3.food",
    ),
    "entity lacks a required slot (csv)": (
        {"tiny.yaml": ontology(), "db.csv": "name,food,area\nsiam,thai,north\n"},
        "tiny.yaml",
        "db.csv",
        "header",
    ),
    "entity lacks a required slot (json)": (
        {
            "tiny.yaml": ontology(database="db.json"),
            "db.json": json.dumps([ROWS[0], {"name": "napoli", "food": "pizza", "area": "south"}]),
        },
        "tiny.yaml",
        "db.json",
        "row 2",
    ),
    "float value in json database": (
        {
            "tiny.yaml": ontology(database="db.json"),
            "db.json": json.dumps([{**ROWS[0], "phone": 1.5}]),
        },
        "tiny.yaml",
        "db.json",
        "row 1.phone",
    ),
    "json database not a list": (
        {"tiny.yaml": ontology(database="db.json"), "db.json": json.dumps({"rows": ROWS})},
        "tiny.yaml",
        "db.json",
        "top level",
    ),
    "unparsable json database": (
        {"tiny.yaml": ontology(database="db.json"), "db.json": "[{]"},
        "tiny.yaml",
        "db.json",
        "line 1",
    ),
    "duplicate entity name": (
        {"tiny.yaml": ontology(), "db.csv": CSV + "siam,pizza,south,0103\n"},
        "tiny.yaml",
        "db.csv",
        "row 3.name",
    ),
    "empty database": (
        {"tiny.yaml": ontology(), "db.csv": "name,food,area,phone\n"},
        "tiny.yaml",
        "db.csv",
        "rows",
    ),
    "empty csv file": ({"tiny.yaml": ontology(), "db.csv": ""}, "tiny.yaml", "db.csv", "header"),
    "csv row with the wrong number of fields": (
        {"tiny.yaml": ontology(), "db.csv": CSV + "wok,thai,north\n"},
        "tiny.yaml",
        "db.csv",
        "row 3",
    ),
    "empty csv cell": (
        {"tiny.yaml": ontology(), "db.csv": CSV + "wok,thai,north,\n"},
        "tiny.yaml",
        "db.csv",
        "row 3.phone",
    ),
    "broken sqlite file": (
        {"tiny.yaml": ontology(database="db.db"), "db.db": b"\x00garbage, not sqlite\xff" * 200},
        "tiny.yaml",
        "db.db",
        "not a SQLite database",
    ),
    "sqlite with no table": (
        {"tiny.yaml": ontology(database="db.db"), "db.db": sqlite_db()},
        "tiny.yaml",
        "db.db",
        "table",
    ),
    "sqlite with two tables": (
        {"tiny.yaml": ontology(database="db.sqlite"), "db.sqlite": sqlite_db("a", "b")},
        "tiny.yaml",
        "db.sqlite",
        "table",
    ),
    "sqlite named table missing": (
        {"tiny.yaml": ontology(database="db.db", table="c"), "db.db": sqlite_db("a", "b")},
        "tiny.yaml",
        "db.db",
        "table",
    ),
    "sqlite value not in the ontology": (
        {
            "tiny.yaml": ontology(database="db.db"),
            "db.db": sqlite_db("a", rows=[{**ROWS[0], "area": "mars"}]),
        },
        "tiny.yaml",
        "db.db",
        "row 1.area",
    ),
    "pydial rules without dbase": (
        {"Tiny-rules.json": PYDIAL_RULES},
        "Tiny-rules.json",
        "Tiny-rules.json",
        "database",
    ),
    "pydial db value not in the rules": (
        {"Tiny-rules.json": PYDIAL_RULES, "Tiny-dbase.db": pydial_db("noodles")},
        "Tiny-rules.json",
        "Tiny-dbase.db",
        "row 1.food",
    ),
    "pydial db value dontcare": (
        {"Tiny-rules.json": PYDIAL_RULES, "Tiny-dbase.db": pydial_db("dontcare")},
        "Tiny-rules.json",
        "Tiny-dbase.db",
        "row 1.food",
    ),
    "pydial rules lacking requestable": (
        {
            "Tiny-rules.json": json.dumps(
                {k: v for k, v in json.loads(PYDIAL_RULES).items() if k != "requestable"}
            ),
            "Tiny-dbase.db": pydial_db("thai"),
        },
        "Tiny-rules.json",
        "Tiny-rules.json",
        "requestable",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_malformed_file_gives_one_line_error_naming_file_and_field(
    tmp_path: Path, case: str
) -> None:
    files, load, named_file, field = CASES[case]
    for name, content in files.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            content(path)
    with pytest.raises(DomainError) as caught:
        load_domain(tmp_path / load)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{tmp_path / named_file}: "), message
    assert field in message.removeprefix(str(tmp_path / named_file)), message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_there_are_at_least_fifteen_kinds() -> None:
    assert len(CASES) >= 15
