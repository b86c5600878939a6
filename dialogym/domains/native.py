"""The native domain format: an ontology file (YAML or JSON) and a database (CSV, JSON, SQLite).

The format is described for users in ``FORMAT.md`` beside this module. Problems are raised as
one-line :class:`DomainError` messages of the form ``PATH: FIELD: problem``; the checks of one
stage (the ontology's fields, their cross-references, the database's columns, its rows) report
every problem they find before the loader gives up.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn

import yaml

from dialogym.domains.domain import (
    NOT_AVAILABLE,
    RESERVED_VALUES,
    Domain,
    DomainError,
    Problems,
    problem_line,
)

ONTOLOGY_SUFFIXES = (".yaml", ".yml", ".json")
DATABASE_SUFFIXES = (".csv", ".json", ".sqlite", ".db")
REQUIRED_KEYS = ("name", "informable", "system_requestable", "requestable", "database")
OPTIONAL_KEYS = ("booking", "name_slot", "synonyms", "table")
ID_COLUMN = "id"
"""A database column that is allowed without being a slot, and dropped on loading."""

try:  # the C parser is much faster and ships with most PyYAML wheels
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - pure-Python PyYAML
    _BaseLoader = yaml.SafeLoader


class _TextLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """A safe YAML loader that reads every plain scalar but null as the text written.

    YAML 1.1 would read ``yes`` as true, ``1.50`` as 1.5 and ``12:00`` as 720; an ontology
    wants the words and times as written.
    """


_KEPT_TAGS = ("tag:yaml.org,2002:null", "tag:yaml.org,2002:merge")
_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag in _KEPT_TAGS]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


def fail(where: str | os.PathLike[str], field: str | None, problem: str) -> NoReturn:
    """Raise a one-line :class:`DomainError` ``WHERE: FIELD: problem``.

    Args:
        where: The file the problem is in.
        field: The field (or row, or line) the problem is at; ``None`` for the whole file.
        problem: What is wrong; newlines are folded into spaces.

    Raises:
        DomainError: Always.
    """
    raise DomainError(problem_line(where, field, problem)) from None


def read_text(path: Path) -> str:
    """Read a UTF-8 text file, turning I/O problems into :class:`DomainError`.

    Args:
        path: The file to read.

    Returns:
        The file's text.

    Raises:
        DomainError: The file is missing, unreadable or not UTF-8.
    """
    if not path.exists():
        fail(path, None, "file not found")
    if not path.is_file():
        fail(path, None, "is not a file")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        fail(path, f"byte {err.start}", "not UTF-8 text")
    except OSError as err:
        fail(path, None, f"cannot be read ({err.strerror})")


def parse_json(path: Path, text: str) -> Any:
    """Parse JSON text, reporting syntax errors as ``PATH: line N: ...``.

    Args:
        path: The file the text came from (for the message).
        text: The JSON text.

    Returns:
        The parsed value.

    Raises:
        DomainError: The text is not valid JSON.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        fail(path, f"line {err.lineno}", f"not valid JSON: {err.msg} (column {err.colno})")


def parse_yaml(path: Path, text: str) -> Any:
    """Parse YAML text, every scalar but null as a string; errors as ``PATH: line N: ...``.

    Args:
        path: The file the text came from (for the message).
        text: The YAML text.

    Returns:
        The parsed value.

    Raises:
        DomainError: The text is not valid YAML.
    """
    try:
        return yaml.load(text, Loader=_TextLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "yaml"
        problem = getattr(err, "problem", None) or str(err)
        fail(path, where, f"not valid YAML: {problem}")


def as_value(where: Path, field: str, raw: object) -> str:
    """Convert one value read from a file to a string.

    Strings are kept as written (YAML files give only strings, see :class:`_TextLoader`);
    integers, which JSON files may hold, are converted (``8`` becomes ``"8"``). Booleans,
    floats, null, containers and blank strings are rejected.

    Args:
        where: The file the value is in.
        field: The field it is at.
        raw: The value as parsed.

    Returns:
        The value as a string.

    Raises:
        DomainError: The value is not a non-empty string or an integer.
    """
    if isinstance(raw, bool):
        fail(where, field, f'value {raw!r} is a boolean; write a string such as "yes"')
    if isinstance(raw, int):
        return str(raw)
    if not isinstance(raw, str):
        kind = "null" if raw is None else type(raw).__name__
        fail(where, field, f"value {raw!r} is a {kind}; values must be strings or integers")
    if not raw.strip():
        fail(where, field, "empty value")
    return raw


def slot_name(where: Path, field: str, raw: object) -> str:
    """Check that a slot name is a non-empty string.

    Args:
        where: The file the name is in.
        field: The field it is at.
        raw: The name as parsed.

    Returns:
        The slot name.

    Raises:
        DomainError: The name is not a non-empty string.
    """
    if not isinstance(raw, str) or not raw.strip():
        fail(where, field, f"slot name {raw!r} must be a non-empty string")
    return raw


def value_table(where: Path, field: str, raw: object) -> dict[str, tuple[str, ...]]:
    """Read a mapping slot -> list of values (``informable``, ``booking``).

    Args:
        where: The ontology file.
        field: ``informable`` or ``booking``.
        raw: The parsed mapping.

    Returns:
        Slot to the tuple of its values, in file order.

    Raises:
        DomainError: Not a mapping, a value list empty or not a list, a bad, reserved
            (``dontcare``, ``not available``) or repeated value; every one found is listed.
    """
    if not isinstance(raw, Mapping):
        fail(where, field, f"must be a mapping slot -> list of values, not {_kind(raw)}")
    problems = Problems()
    table: dict[str, tuple[str, ...]] = {}
    for raw_slot, values in raw.items():
        with problems.collecting():
            slot = slot_name(where, field, raw_slot)
            here = f"{field}.{slot}"
            if not isinstance(values, list):
                fail(where, here, f"must be a list of values, not {_kind(values)}")
            if not values:
                fail(where, here, "has no values")
            seen: list[str] = []
            for raw_value in values:
                with problems.collecting():
                    value = as_value(where, here, raw_value)
                    if value in RESERVED_VALUES:
                        fail(where, here, f"{value!r} is reserved and may not be a value")
                    if value in seen:
                        fail(where, here, f"value {value!r} is listed twice")
                    seen.append(value)
            table[slot] = tuple(seen)
    problems.raise_if_any()
    return table


def slot_list(where: Path, field: str, raw: object) -> tuple[str, ...]:
    """Read a list of slot names (``system_requestable``, ``requestable``).

    Args:
        where: The ontology file.
        field: The key being read.
        raw: The parsed list.

    Returns:
        The slots, in file order.

    Raises:
        DomainError: Not a list, empty, a bad or repeated slot name; every one found is listed.
    """
    if not isinstance(raw, list):
        fail(where, field, f"must be a list of slots, not {_kind(raw)}")
    if not raw:
        fail(where, field, "must list at least one slot")
    problems = Problems()
    slots: list[str] = []
    for item in raw:
        with problems.collecting():
            slot = slot_name(where, field, item)
            if slot in slots:
                fail(where, field, f"slot {slot!r} is listed twice")
            slots.append(slot)
    problems.raise_if_any()
    return tuple(slots)


def synonym_table(
    where: Path, raw: object, values: Mapping[str, tuple[str, ...]]
) -> dict[str, dict[str, tuple[str, ...]]]:
    """Read ``synonyms``: slot -> value -> list of other surface forms.

    Args:
        where: The ontology file.
        raw: The parsed mapping.
        values: Every informable and booking slot to its values.

    Returns:
        The synonym table.

    Raises:
        DomainError: A slot or value that the ontology does not have, or a malformed list;
            every one found is listed.
    """
    if not isinstance(raw, Mapping):
        fail(where, "synonyms", f"must be a mapping slot -> value -> list, not {_kind(raw)}")
    problems = Problems()
    table: dict[str, dict[str, tuple[str, ...]]] = {}
    for raw_slot, forms_by_value in raw.items():
        with problems.collecting():
            slot = slot_name(where, "synonyms", raw_slot)
            if slot not in values:
                fail(where, f"synonyms.{slot}", "is not an informable or booking slot")
            if not isinstance(forms_by_value, Mapping):
                kind = _kind(forms_by_value)
                fail(where, f"synonyms.{slot}", f"must be a mapping value -> list, not {kind}")
            table[slot] = {}
            for raw_value, forms in forms_by_value.items():
                with problems.collecting():
                    value = as_value(where, f"synonyms.{slot}", raw_value)
                    here = f"synonyms.{slot}.{value}"
                    if value not in values[slot]:
                        fail(where, here, f"{value!r} is not a value of {slot!r}")
                    if isinstance(forms, str):
                        forms = [forms]
                    if not isinstance(forms, list) or not forms:
                        fail(where, here, "must be a non-empty list of strings")
                    table[slot][value] = tuple(as_value(where, here, form) for form in forms)
    problems.raise_if_any()
    return table


def load_native(path: str | os.PathLike[str], source: str | None = None) -> Domain:
    """Load a domain from a native ontology file and the database it names.

    Args:
        path: The ``.yaml``, ``.yml`` or ``.json`` ontology file.
        source: What to record as :attr:`Domain.source` (default: ``path``).

    Returns:
        The domain.

    Raises:
        DomainError: The ontology or the database is malformed; the message names the file and
            the field of every problem found.
    """
    path = Path(path)
    text = read_text(path)
    data = parse_json(path, text) if path.suffix == ".json" else parse_yaml(path, text)
    return domain_from_mapping(path, data, source)


def domain_from_mapping(path: Path, data: object, source: str | None = None) -> Domain:
    """Build a domain from a parsed native ontology file.

    The ontology is checked in two passes (each field, then how the fields refer to each
    other) before the database is read; each pass reports every problem it finds.

    Args:
        path: The ontology file (database paths are relative to its folder).
        data: The parsed file.
        source: What to record as :attr:`Domain.source` (default: ``path``).

    Returns:
        The domain.

    Raises:
        DomainError: The ontology or the database is malformed.
    """
    if not isinstance(data, Mapping):
        fail(path, None, f"the top level must be a mapping of keys, not {_kind(data)}")
    problems = Problems()
    for key in data:
        if key not in REQUIRED_KEYS and key not in OPTIONAL_KEYS:
            known = ", ".join((*REQUIRED_KEYS, *OPTIONAL_KEYS))
            problems.add(path, str(key), f"unknown key (known keys: {known})")
    for key in REQUIRED_KEYS:
        if key not in data:
            problems.add(path, key, "missing required key")
    problems.raise_if_any()

    name = data["name"]
    if not isinstance(name, str) or not name.strip():
        problems.add(path, "name", "must be a non-empty string")
    informable: dict[str, tuple[str, ...]] = {}
    system_requestable: tuple[str, ...] = ()
    requestable: tuple[str, ...] = ()
    booking: dict[str, tuple[str, ...]] = {}
    with problems.collecting():
        informable = value_table(path, "informable", data["informable"])
    with problems.collecting():
        system_requestable = slot_list(path, "system_requestable", data["system_requestable"])
    with problems.collecting():
        requestable = slot_list(path, "requestable", data["requestable"])
    with problems.collecting():
        booking = value_table(path, "booking", data.get("booking") or {})
    name_slot = data.get("name_slot", "name")
    if not isinstance(name_slot, str) or not name_slot.strip():
        problems.add(path, "name_slot", "must be a non-empty string")
    database = data["database"]
    if not isinstance(database, str) or not database.strip():
        problem = "must be a path (relative to this file) to a .csv, .json or .db"
        problems.add(path, "database", problem)
    table = data.get("table")
    if table is not None and not isinstance(table, str):
        problems.add(path, "table", "must be the name of a SQLite table")
    problems.raise_if_any()

    for slot in system_requestable:
        if slot not in informable:
            problems.add(path, "system_requestable", f"slot {slot!r} is not informable")
    if name_slot not in requestable:
        problems.add(path, "requestable", f"must include the name slot {name_slot!r}")
    for slot in booking:
        if slot in informable or slot in requestable:
            problems.add(path, f"booking.{slot}", "is also an informable or requestable slot")
    synonyms: dict[str, dict[str, tuple[str, ...]]] = {}
    with problems.collecting():
        synonyms = synonym_table(path, data.get("synonyms") or {}, {**informable, **booking})
    db_path = path.parent / database
    if db_path.suffix not in DATABASE_SUFFIXES:
        problems.add(path, "database", f"unsupported type {db_path.suffix!r}; use .csv, .json, .db")
    elif table is not None and db_path.suffix not in (".sqlite", ".db"):
        problems.add(path, "table", "is only meaningful for a SQLite database")
    elif not db_path.exists():
        problems.add(path, "database", f"file not found: {db_path}")
    problems.raise_if_any()

    slots = Slots(informable, system_requestable, requestable, booking, name_slot)
    entities = read_database(db_path, slots, table)
    source = source or str(path)
    try:
        return Domain(
            name=name,
            informable=informable,
            system_requestable=system_requestable,
            requestable=requestable,
            entities=entities,
            booking=booking,
            name_slot=name_slot,
            synonyms=synonyms,
            source=source,
        )
    except DomainError as err:  # a check the loader missed: still the file, not the source
        own_file = str(path)
        raise DomainError(
            *(problem.replace(source, own_file, 1) for problem in err.problems)
        ) from None


class Slots:
    """The slots of an ontology, as a database reader needs them.

    Args:
        informable: Informable slot to its values.
        system_requestable: The system-requestable slots.
        requestable: The requestable slots.
        booking: Booking slot to its values.
        name_slot: The slot that names an entity.
    """

    def __init__(
        self,
        informable: Mapping[str, tuple[str, ...]],
        system_requestable: tuple[str, ...],
        requestable: tuple[str, ...],
        booking: Mapping[str, tuple[str, ...]],
        name_slot: str,
    ) -> None:
        self.informable = {slot: frozenset(values) for slot, values in informable.items()}
        self.name_slot = name_slot
        self.required = tuple(dict.fromkeys((*system_requestable, *requestable)))
        self.known = frozenset((*informable, *requestable, *booking))

    def check_columns(
        self, where: Path, field: str, columns: Iterable[str], problems: Problems
    ) -> None:
        """Check database columns: all known, none repeated, every required slot present.

        Args:
            where: The database file.
            field: Where the column names are (``header``, ``row 3``, ``table 'x'``).
            columns: The column names.
            problems: Where to record an unknown, repeated or missing column.
        """
        seen: set[str] = set()
        for column in columns:
            if column in seen:
                problems.add(where, field, f"column {column!r} appears twice")
            seen.add(column)
            if column not in self.known and column != ID_COLUMN:
                problems.add(where, field, f"column {column!r} is not a slot of the ontology")
        for slot in self.required:
            if slot not in seen:
                problem = f"lacks column {slot!r} (every requestable slot needs one)"
                problems.add(where, field, problem)

    def entity(
        self, where: Path, row: int, raw: Mapping[str, object], problems: Problems
    ) -> dict[str, str]:
        """Convert one database row to an entity, checking values against the ontology.

        An informable slot takes one of its values or :data:`NOT_AVAILABLE` (a detail the
        entity lacks, which no constraint but ``dontcare`` matches).

        Args:
            where: The database file.
            row: The 1-based row number (data rows only), for messages.
            raw: Column to value as read.
            problems: Where to record a value that is not a string or integer, or an
                informable value not in the ontology.

        Returns:
            Slot to value, without the ``id`` column (and without any value in error).
        """
        entity: dict[str, str] = {}
        for slot, raw_value in raw.items():
            if slot == ID_COLUMN:
                continue
            here = f"row {row}.{slot}"
            with problems.collecting():
                value = as_value(where, here, raw_value)
                allowed = self.informable.get(slot)
                if allowed is not None and value not in allowed and value != NOT_AVAILABLE:
                    fail(where, here, f"value {value!r} is not in informable.{slot}")
                entity[slot] = value
        return entity

    def check_entities(
        self, where: Path, entities: list[dict[str, str]], problems: Problems
    ) -> None:
        """Check that there is an entity and that names are unique.

        Native domains require unique names: two entities with one name are most likely a
        mistake in a hand-written file (PyDial's files, which repeat names, load as PyDial's).

        Args:
            where: The database file.
            entities: The entities read, one per data row.
            problems: Where to record no entity, or two entities with one name.
        """
        if not entities:
            problems.add(where, "rows", "the database holds no entity")
        first_row: dict[str, int] = {}
        for row, entity in enumerate(entities, start=1):
            name = entity.get(self.name_slot)
            if name is None:
                continue
            if name in first_row:
                problem = f"duplicate name {name!r} (also row {first_row[name]})"
                problems.add(where, f"row {row}.{self.name_slot}", problem)
            else:
                first_row[name] = row


def read_database(path: Path, slots: Slots, table: str | None = None) -> tuple[dict[str, str], ...]:
    """Read and check a database file by its suffix.

    Args:
        path: A ``.csv``, ``.json``, ``.sqlite`` or ``.db`` file.
        slots: The ontology's slots.
        table: For SQLite, the table to read (default: the only table).

    Returns:
        The entities, in file order.

    Raises:
        DomainError: The database is malformed or does not fit the ontology: every problem in
            its columns or, when they are sound, in its rows.
    """
    problems = Problems()
    if path.suffix == ".csv":
        entities = _read_csv(path, slots, problems)
    elif path.suffix == ".json":
        entities = _read_json(path, slots, problems)
    else:
        entities = _read_sqlite(path, slots, table, problems)
    slots.check_entities(path, entities, problems)
    problems.raise_if_any()
    return tuple(entities)


def _read_csv(path: Path, slots: Slots, problems: Problems) -> list[dict[str, str]]:
    """Read a CSV database whose header row names the slots."""
    text = read_text(path)
    try:
        rows = list(csv.reader(text.splitlines()))
    except csv.Error as err:
        fail(path, None, f"not valid CSV: {err}")
    rows = [row for row in rows if row]  # blank lines
    if not rows:
        fail(path, "header", "the file is empty; the first row must name the slots")
    header = [column.strip() for column in rows[0]]
    slots.check_columns(path, "header", header, problems)
    problems.raise_if_any()
    entities: list[dict[str, str]] = []
    for row, values in enumerate(rows[1:], start=1):
        if len(values) != len(header):
            problems.add(
                path, f"row {row}", f"has {len(values)} fields, the header has {len(header)}"
            )
            entities.append({})
            continue
        entities.append(slots.entity(path, row, dict(zip(header, values, strict=True)), problems))
    return entities


def _read_json(path: Path, slots: Slots, problems: Problems) -> list[dict[str, str]]:
    """Read a JSON database: a list of objects slot -> value."""
    data = parse_json(path, read_text(path))
    if not isinstance(data, list):
        fail(path, None, f"the top level must be a list of objects, not {_kind(data)}")
    entities: list[dict[str, str]] = []
    for row, item in enumerate(data, start=1):
        if not isinstance(item, Mapping):
            problems.add(path, f"row {row}", f"must be an object slot -> value, not {_kind(item)}")
            entities.append({})
            continue
        slots.check_columns(path, f"row {row}", item, problems)
        entities.append(slots.entity(path, row, item, problems))
    return entities


def read_sqlite_table(path: Path, table: str | None) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Read every row of one table of a SQLite file, opened read-only.

    Args:
        path: The SQLite file.
        table: The table to read; ``None`` reads the only table.

    Returns:
        The column names and the rows, in ``rowid`` order.

    Raises:
        DomainError: Not a SQLite database, no such table, or not exactly one table.
    """
    if not path.is_file():
        fail(path, None, "file not found")
    uri = path.resolve().as_uri() + "?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as err:
        fail(path, None, f"cannot be opened as a SQLite database ({err})")
    try:
        try:
            tables = [
                row[0]
                for row in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            ]
        except sqlite3.Error as err:
            fail(path, None, f"not a SQLite database ({err})")
        if table is None:
            if len(tables) != 1:
                found = ", ".join(tables) if tables else "none"
                problem = (
                    f"expected one table, found {found}; name it with the ontology's table key"
                )
                fail(path, "table", problem)
            table = tables[0]
        elif table not in tables:
            fail(path, "table", f"no table {table!r} (tables: {', '.join(tables) or 'none'})")
        quoted = '"' + table.replace('"', '""') + '"'
        try:
            cursor = connection.execute(f"SELECT * FROM {quoted} ORDER BY rowid")  # noqa: S608
        except sqlite3.OperationalError:  # a WITHOUT ROWID table
            cursor = connection.execute(f"SELECT * FROM {quoted}")  # noqa: S608
        columns = [description[0] for description in cursor.description]
        try:
            rows = cursor.fetchall()
        except sqlite3.Error as err:
            fail(path, f"table {table!r}", f"cannot be read ({err})")
        return columns, rows
    except sqlite3.Error as err:
        fail(path, None, f"not a readable SQLite database ({err})")
    finally:
        connection.close()


def _read_sqlite(
    path: Path, slots: Slots, table: str | None, problems: Problems
) -> list[dict[str, str]]:
    """Read a SQLite database table whose columns are slots."""
    columns, rows = read_sqlite_table(path, table)
    slots.check_columns(path, "columns", columns, problems)
    problems.raise_if_any()
    return [
        slots.entity(path, row, dict(zip(columns, values, strict=True)), problems)
        for row, values in enumerate(rows, start=1)
    ]


def _kind(value: object) -> str:
    """Describe the type of a parsed value in a user's words."""
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"a string ({value!r})"
    return f"a {type(value).__name__} ({value!r})"
