"""Domain files are untrusted data: they read nothing elsewhere, exhaust nothing, say little.

Regression tests for issue 9 (defects 2, 3, 7 and the domain-file items of 9 and 10), and a
fuzzer over domain files whose only allowed failure is a one-line :class:`DomainError`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialogym.agents.config import TrainConfig
from dialogym.domains import Domain, DomainError, DomainLimits, load_domain

ONTOLOGY: dict[str, Any] = {
    "name": "tiny",
    "informable": {"food": ["thai", "pizza"], "area": ["north", "south"]},
    "system_requestable": ["food", "area"],
    "requestable": ["name", "food", "area", "phone"],
    "database": "db.csv",
}
HEADER = "name,food,area,phone\n"
CSV = HEADER + "siam,thai,north,0101\nnapoli,pizza,south,0102\n"
SECRET = "alice-secret-token"
SECRET_CSV = HEADER + f"{SECRET},thai,north,0101\n"
BOMB = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 9)}]\n" for level in range(1, 9)
)
"""Nine levels of nine aliases: under 650 bytes that stand for 9**9 values."""
FAST_S = 2.0
"""A hostile file is refused well within the issue's 5 s."""


def write_domain(
    folder: Path, database: str = "db.csv", csv: str | None = CSV, **extra: str
) -> Path:
    """Write the tiny ontology (naming ``database``) and, unless None, its CSV database."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tiny.yaml"
    data = {**ONTOLOGY, "database": database, **extra}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    if csv is not None:
        (folder / "db.csv").write_text(csv, encoding="utf-8")
    return path


@contextmanager
def refused(*needles: str) -> Iterator[list[str]]:
    """Expect a fast one-line DomainError containing every needle; yields [message]."""
    message: list[str] = []
    start = time.perf_counter()
    with pytest.raises(DomainError) as error:
        yield message
    elapsed = time.perf_counter() - start
    text = str(error.value)
    message.append(text)
    assert "\n" not in text and len(text) < 2000, text[:300]
    assert elapsed < FAST_S, f"took {elapsed:.1f} s"
    for needle in needles:
        assert needle in text, text


def sqlite_db(path: Path, *statements: str) -> Path:
    """Create a SQLite file by running ``statements``."""
    connection = sqlite3.connect(path)
    for statement in statements:
        connection.execute(statement)
    connection.commit()
    connection.close()
    return path


# Defect 2: a domain file reads files anywhere -------------------------------------------


@pytest.mark.parametrize("how", ["absolute", "dotdot", "symlink", "symlinked folder"])
def test_a_database_outside_the_ontology_folder_is_refused(tmp_path: Path, how: str) -> None:
    secret = tmp_path / "private" / "db.csv"
    secret.parent.mkdir()
    secret.write_text(SECRET_CSV, encoding="utf-8")
    folder = tmp_path / "domain"
    folder.mkdir()
    if how == "absolute":
        path = write_domain(folder, str(secret), csv=None)
    elif how == "dotdot":
        path = write_domain(folder, "../private/db.csv", csv=None)
    elif how == "symlink":
        (folder / "db.csv").symlink_to(secret)
        path = write_domain(folder, "db.csv", csv=None)
    else:
        (folder / "data").symlink_to(secret.parent)
        path = write_domain(folder, "data/db.csv", csv=None)
    with refused("tiny.yaml: database:", "outside the ontology's folder", "allow_outside") as msg:
        load_domain(path)
    assert SECRET not in msg[0]
    assert load_domain(path, allow_outside=True).entities[0]["name"] == SECRET


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="no /proc")
def test_a_csv_linked_to_proc_environ_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "db.csv").symlink_to("/proc/self/environ")
    with refused("outside the ontology's folder"):
        load_domain(write_domain(tmp_path, csv=None))


def test_a_link_that_stays_inside_the_folder_is_followed(tmp_path: Path) -> None:
    path = write_domain(tmp_path, "link.csv")
    (tmp_path / "link.csv").symlink_to(tmp_path / "db.csv")
    assert len(load_domain(path).entities) == 2


def test_a_pydial_database_linked_outside_is_refused(tmp_path: Path) -> None:
    rules = {
        "type": "restaurant",
        "informable": {"food": ["thai"], "name": ["siam"]},
        "system_requestable": ["food"],
        "requestable": ["name", "food"],
    }
    database = sqlite_db(
        tmp_path / "elsewhere.db",
        "CREATE TABLE Tiny (id INTEGER, name TEXT, food TEXT)",
        f"INSERT INTO Tiny VALUES (1, '{SECRET}', 'thai')",
    )
    folder = tmp_path / "pydial"
    folder.mkdir()
    path = folder / "Tiny-rules.json"
    path.write_text(json.dumps(rules), encoding="utf-8")
    (folder / "Tiny-dbase.db").symlink_to(database)
    with refused("Tiny-rules.json: database:", "outside") as message:
        load_domain(path)
    assert SECRET not in message[0]
    assert load_domain(path, allow_outside=True).entities[0]["name"] == SECRET


# Defect 3: tiny inputs exhaust memory ----------------------------------------------------


@pytest.mark.parametrize("use", ["beside", "as the name", "as values"])
def test_a_yaml_alias_bomb_fails_fast_on_one_line(tmp_path: Path, use: str) -> None:
    ontology = yaml.safe_dump(ONTOLOGY)
    if use == "as the name":
        ontology = ontology.replace("name: tiny", "name: *a8")
    elif use == "as values":
        ontology = ontology.replace("- thai\n", "- *a8\n", 1)
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB + ontology, encoding="utf-8")
    (tmp_path / "db.csv").write_text(CSV, encoding="utf-8")
    assert len(BOMB) < 650
    with refused("bomb.yaml: line", "aliases are expanded"):
        load_domain(path)


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("name: &a [*a]\n", encoding="utf-8")
    with refused("loop.yaml: line 1: alias *a"):
        load_domain(path)


def test_yaml_aliases_are_counted_against_a_configurable_limit(tmp_path: Path) -> None:
    path = write_domain(tmp_path)
    text = path.read_text(encoding="utf-8").replace("- thai", "- &t thai")
    path.write_text(text + "synonyms: {food: {thai: [*t, *t, *t]}}\n", encoding="utf-8")
    with refused("more than 2 aliases"):
        load_domain(path, limits=DomainLimits(max_yaml_aliases=2))
    assert load_domain(path).synonyms["food"]["thai"] == ("thai", "thai", "thai")


def test_a_config_alias_bomb_gives_a_short_error_fast(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    six_levels = "".join(BOMB.splitlines(keepends=True)[:6])  # 9**6 values
    config.write_text(six_levels + "dialogues: *a5\n")
    assert len(config.read_bytes()) < 451
    start = time.perf_counter()
    with pytest.raises(ValueError, match="config.yaml: cannot read config: .*aliases") as error:
        TrainConfig.load(config)
    assert time.perf_counter() - start < FAST_S
    assert len(str(error.value)) < 500


def test_a_config_error_quotes_a_bounded_value(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("dialogues: [" + ", ".join(["x" * 40] * 200) + "]\n")
    with pytest.raises(ValueError, match="dialogues: must be a positive integer") as error:
        TrainConfig.load(config)
    assert len(str(error.value)) <= 500 and str(error.value).endswith("…")


def test_a_generated_sqlite_column_is_refused_before_it_is_computed(tmp_path: Path) -> None:
    sqlite_db(
        tmp_path / "db.sqlite",
        "CREATE TABLE t (name TEXT, food TEXT, area TEXT,"
        " phone TEXT AS (hex(zeroblob(200000000))))",
        "INSERT INTO t (name, food, area) VALUES ('siam', 'thai', 'north')",
    )
    assert (tmp_path / "db.sqlite").stat().st_size < 16_384
    with refused("db.sqlite: table 't': has generated columns ('phone')"):
        load_domain(write_domain(tmp_path, "db.sqlite", csv=None))


def test_a_virtual_sqlite_table_is_refused(tmp_path: Path) -> None:
    try:
        sqlite_db(
            tmp_path / "db.sqlite",
            "CREATE VIRTUAL TABLE t USING fts5(name, food, area, phone)",
            "INSERT INTO t VALUES ('siam', 'thai', 'north', '0101')",
        )
    except sqlite3.OperationalError:
        pytest.skip("this SQLite has no fts5")
    with refused("db.sqlite: table 't': is a virtual table"):
        load_domain(write_domain(tmp_path, "db.sqlite", csv=None, table="t"))


def test_an_oversized_sqlite_value_is_refused(tmp_path: Path) -> None:
    sqlite_db(
        tmp_path / "db.sqlite",
        "CREATE TABLE t (name TEXT, food TEXT, area TEXT, phone TEXT)",
        f"INSERT INTO t VALUES ('siam', 'thai', 'north', '{'0' * 5000}')",
    )
    path = write_domain(tmp_path, "db.sqlite", csv=None)
    with refused("db.sqlite:"):
        load_domain(path, limits=DomainLimits(max_value_chars=100))
    assert len(load_domain(path).entities[0]["phone"]) == 5000


@pytest.mark.parametrize("database", ["db.csv", "db.json", "db.sqlite"])
def test_rows_and_file_size_are_bounded(tmp_path: Path, database: str) -> None:
    rows = [
        dict(zip(HEADER.strip().split(","), line.split(","), strict=True))
        for line in CSV.splitlines()[1:]
    ]
    if database == "db.json":
        (tmp_path / database).write_text(json.dumps(rows), encoding="utf-8")
    elif database == "db.sqlite":
        sqlite_db(
            tmp_path / database,
            "CREATE TABLE t (name TEXT, food TEXT, area TEXT, phone TEXT)",
            *(f"INSERT INTO t VALUES {tuple(row.values())}" for row in rows),
        )
    path = write_domain(tmp_path, database)
    assert len(load_domain(path).entities) == 2
    with refused(f"{database}: rows: holds more than the limit of 1 entities"):
        load_domain(path, limits=DomainLimits(max_rows=1))


@pytest.mark.parametrize("where", ["ontology", "database"])
def test_a_file_over_the_size_limit_is_not_read(tmp_path: Path, where: str) -> None:
    path = write_domain(tmp_path, csv=CSV + "bangkok,thai,north," + "0" * 5000 + "\n")
    limit = 10 if where == "ontology" else 1000
    name = "tiny.yaml" if where == "ontology" else "db.csv"
    with refused(f"{name}: is ", f"bytes, over the limit of {limit} bytes"):
        load_domain(path, limits=DomainLimits(max_file_bytes=limit))


def test_an_error_quotes_only_a_short_excerpt_of_a_value(tmp_path: Path) -> None:
    long_value = "uptown" * 1000
    path = write_domain(tmp_path, csv=HEADER + f"siam,thai,{long_value},0101\n")
    with refused("db.csv: row 1.area: value 'uptownuptown", "…' is not in informable.area") as msg:
        load_domain(path)
    assert len(msg[0]) < 200


# Defect 7: CSV read as CSV ------------------------------------------------------------------


def test_csv_fields_keep_their_line_breaks(tmp_path: Path) -> None:
    path = write_domain(tmp_path, csv=HEADER + '"the\ngrind",thai,north,"1 Mill\r\nLane"\n')
    entity = load_domain(path).entities[0]
    assert entity["name"] == "the\ngrind" and entity["phone"] == "1 Mill\r\nLane"


def test_a_csv_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = write_domain(tmp_path, csv=None)
    (tmp_path / "db.csv").write_bytes(b"\xef\xbb\xbf" + CSV.encode())
    assert load_domain(path).entities[0]["name"] == "siam"


# Defects 9 and 10: one-line errors, and nothing written -----------------------------------


def test_deeply_nested_json_is_a_one_line_error_naming_the_file(tmp_path: Path) -> None:
    for depth in (40, 100_000):
        path = tmp_path / f"deep{depth}.json"
        path.write_text("[" * depth + "]" * depth, encoding="utf-8")
        with refused(f"deep{depth}.json: nested deeper than the limit of 32 levels"):
            load_domain(path)


def test_a_huge_integer_is_a_one_line_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    text = json.dumps({**ONTOLOGY, "informable": {"food": [1], "area": ["north"]}})
    path.write_text(text.replace("[1]", "[" + "9" * 5000 + "]"), encoding="utf-8")
    with refused("big.json: an integer of 5000 digits"):
        load_domain(path)


def test_a_wal_mode_database_is_read_without_writing_beside_it(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "db.sqlite")
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE t (name TEXT, food TEXT, area TEXT, phone TEXT)")
    connection.execute("INSERT INTO t VALUES ('siam', 'thai', 'north', '0101')")
    connection.commit()
    connection.close()
    path = write_domain(tmp_path, "db.sqlite", csv=None)
    before = sorted(os.listdir(tmp_path))
    assert len(load_domain(path).entities) == 1
    assert sorted(os.listdir(tmp_path)) == before


def test_a_folder_given_as_the_database_is_named_a_folder(tmp_path: Path) -> None:
    (tmp_path / "db.sqlite").mkdir()
    with refused("db.sqlite: is a folder, not a file"):
        load_domain(write_domain(tmp_path, "db.sqlite", csv=None))


# The fuzzer ---------------------------------------------------------------------------------

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.sampled_from(["thai", "north", "name", "dontcare", "not available", "", "db.csv"]),
    st.text(max_size=8),
)
STRUCTURES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
YAML_TOKENS = st.lists(
    st.sampled_from(
        [
            "[",
            "]",
            "{",
            "}",
            ",",
            ": ",
            "- ",
            "&a ",
            "*a",
            "&b ",
            "*b",
            "<<: ",
            "!!int ",
            "!!binary ",
            "!!python/object:os.system ",
            "name",
            "x",
            "9" * 30,
            "\n",
            "  ",
            "'",
            '"',
            "#",
            "---\n",
            "? ",
            "|\n",
            "\t",
            "~",
        ]
    ),
    max_size=40,
).map("".join)


def check_load(path: Path) -> None:
    """Load ``path``: a Domain or a fast one-line DomainError; nothing else."""
    start = time.perf_counter()
    try:
        assert isinstance(load_domain(path), Domain)
    except DomainError as error:
        assert "\n" not in str(error) and len(str(error)) < 20_000
    assert time.perf_counter() - start < FAST_S


@FUZZ
@given(data=st.binary(max_size=300), suffix=st.sampled_from([".yaml", ".json"]))
def test_fuzz_ontology_bytes(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    check_load(path)


@FUZZ
@given(text=YAML_TOKENS)
def test_fuzz_yaml_text(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    check_load(path)


@FUZZ
@given(
    key=st.sampled_from([*ONTOLOGY, "booking", "synonyms", "name_slot", "table", "other"]),
    value=STRUCTURES,
    as_json=st.booleans(),
)
def test_fuzz_ontology_fields(tmp_path: Path, key: str, value: Any, as_json: bool) -> None:
    write_domain(tmp_path)
    data = {**ONTOLOGY, key: value}
    path = tmp_path / ("fuzz.json" if as_json else "fuzz.yaml")
    path.write_text(json.dumps(data) if as_json else yaml.safe_dump(data), encoding="utf-8")
    check_load(path)


@FUZZ
@given(
    rows=st.lists(
        st.lists(st.sampled_from(["siam", "thai", "north", "", '"', "a\nb", ","]), max_size=5),
        max_size=5,
    ),
    raw=st.binary(max_size=100),
)
def test_fuzz_csv_databases(tmp_path: Path, rows: list[list[str]], raw: bytes) -> None:
    path = write_domain(tmp_path, csv=HEADER + "\n".join(",".join(row) for row in rows))
    check_load(path)
    (tmp_path / "db.csv").write_bytes(raw)
    check_load(path)


@FUZZ
@given(rows=st.lists(STRUCTURES, max_size=4))
def test_fuzz_json_databases(tmp_path: Path, rows: list[Any]) -> None:
    path = write_domain(tmp_path, "db.json")
    (tmp_path / "db.json").write_text(json.dumps(rows), encoding="utf-8")
    check_load(path)


@FUZZ
@given(
    columns=st.lists(st.sampled_from(["name", "food", "area", "phone", "id", "x"]), max_size=5),
    values=st.lists(
        st.one_of(
            st.none(),
            st.integers(min_value=-(2**63), max_value=2**63 - 1),
            st.floats(),
            st.text(max_size=5),
            st.binary(max_size=5),
        ),
        max_size=10,
    ),
    raw=st.binary(max_size=200),
)
def test_fuzz_sqlite_databases(
    tmp_path: Path, columns: list[str], values: list[Any], raw: bytes
) -> None:
    path = write_domain(tmp_path, "db.sqlite", csv=None)
    database = tmp_path / "db.sqlite"
    database.unlink(missing_ok=True)
    if columns and len(set(columns)) == len(columns):
        connection = sqlite3.connect(database)
        connection.execute(f"CREATE TABLE t ({', '.join(columns)})")
        width = len(columns)
        for start in range(0, len(values) - width + 1, width):
            row = values[start : start + width]
            connection.execute(f"INSERT INTO t VALUES ({', '.join('?' * width)})", row)
        connection.commit()
        connection.close()
        check_load(path)
        database.unlink()
    database.write_bytes(raw)
    check_load(path)


def test_problems_beyond_a_thousand_are_counted_not_kept(tmp_path: Path) -> None:
    bad_rows = "".join(f"place{row},thai,uptown,0101\n" for row in range(3000))
    with pytest.raises(DomainError) as error:
        load_domain(write_domain(tmp_path, csv=HEADER + bad_rows))
    assert len(error.value.problems) == 1000 and error.value.more == 2000
    assert str(error.value).endswith("; and 2980 more problems")
    assert len(str(error.value)) < 3000


def test_a_header_of_a_million_columns_is_one_problem(tmp_path: Path) -> None:
    header = ",".join(f"c{column}" for column in range(1_000_000))
    with refused("db.csv: header: has 1000000 columns, 999995 more than the slots and 'id'"):
        load_domain(write_domain(tmp_path, csv=header + "\n"))
