"""Import a PyDial domain: ``NAME-rules.json`` plus its sibling ``NAME-dbase.db``.

PyDial keeps an ontology as JSON (``type``, ``informable``, ``requestable``,
``system_requestable``, ``discourseAct``, ``method``) and the entities in a SQLite file whose
table is named after the domain. The mapping to a :class:`Domain` is documented in
``FORMAT.md`` (section "PyDial domains").
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from dialogym.domains.domain import DONTCARE, Domain, DomainError
from dialogym.domains.native import (
    fail,
    parse_json,
    read_sqlite_table,
    read_text,
    slot_list,
    value_table,
)

RULES_SUFFIX = "-rules.json"
DBASE_SUFFIX = "-dbase.db"
PYDIAL_KEYS = frozenset(("type", "discourseAct", "method"))
"""Keys that only a PyDial rules file has (a native ontology rejects them)."""
NOT_AVAILABLE = "not available"
"""What PyDial's databases say for a missing value; empty cells of other slots become this."""


def looks_like_pydial(path: Path, data: object) -> bool:
    """Whether a parsed JSON file is a PyDial rules file rather than a native ontology.

    Args:
        path: The file's path.
        data: Its parsed content.

    Returns:
        True for a ``*-rules.json`` name, or a mapping with PyDial-only keys and no ``database``.
    """
    if path.name.endswith(RULES_SUFFIX):
        return True
    return isinstance(data, Mapping) and "database" not in data and bool(PYDIAL_KEYS & set(data))


def domain_name(rules_path: Path) -> str:
    """The PyDial domain name of a rules file: ``CamRestaurants-rules.json`` -> ``CamRestaurants``.

    Args:
        rules_path: The rules file.

    Returns:
        The domain name, which is also the name of the database table.
    """
    name = rules_path.name
    return name[: -len(RULES_SUFFIX)] if name.endswith(RULES_SUFFIX) else rules_path.stem


def load_pydial(path: str | os.PathLike[str], data: object = None) -> Domain:
    """Load a PyDial domain from its rules file and the sibling SQLite database.

    Args:
        path: The ``NAME-rules.json`` file; the database is ``NAME-dbase.db`` beside it.
        data: The rules file already parsed (it is read from ``path`` when ``None``).

    Returns:
        The domain, with no booking slots and ``source`` set to the rules path.

    Raises:
        DomainError: The rules or the database are malformed or disagree; the message names
            the file and the field.
    """
    path = Path(path)
    if data is None:
        data = parse_json(path, read_text(path))
    if not isinstance(data, Mapping):
        fail(path, None, f"the top level must be a mapping, not {type(data).__name__}")
    for key in ("informable", "system_requestable", "requestable"):
        if key not in data:
            fail(path, key, "missing required key")
    informable = {
        slot: list(values)
        for slot, values in value_table(path, "informable", data["informable"]).items()
    }
    system_requestable = slot_list(path, "system_requestable", data["system_requestable"])
    requestable = slot_list(path, "requestable", data["requestable"])
    for slot in system_requestable:
        if slot not in informable:
            fail(path, "system_requestable", f"slot {slot!r} is not informable")
    if "name" not in requestable:
        fail(path, "requestable", "must include the name slot 'name'")

    name = domain_name(path)
    db_path = path.with_name(name + DBASE_SUFFIX)
    if not db_path.exists():
        fail(path, "database", f"file not found: {db_path} (expected beside the rules file)")
    columns, rows = read_sqlite_table(db_path, name)
    slots = [column for column in columns if column != "id"]
    for slot in (*system_requestable, *requestable):
        if slot not in slots:
            fail(db_path, f"table {name!r}", f"lacks column {slot!r}")

    entities: list[dict[str, str]] = []
    first_row: dict[str, int] = {}
    for row, values in enumerate(rows, start=1):
        entity: dict[str, str] = {}
        for slot, raw in zip(columns, values, strict=True):
            if slot == "id":
                continue
            here = f"row {row}.{slot}"
            value = "" if raw is None else str(raw).strip()
            if slot in system_requestable:
                if value not in informable[slot]:
                    fail(db_path, here, f"value {value!r} is not in the rules' informable.{slot}")
            elif slot in informable:
                if not value or value == DONTCARE:
                    fail(db_path, here, f"value {value!r} cannot be an informable value")
                if value not in informable[slot]:
                    informable[slot].append(value)
            elif not value:
                value = NOT_AVAILABLE
            entity[slot] = value
        entity_name = entity["name"]
        if entity_name in first_row:
            fail(db_path, f"row {row}.name", f"duplicate name (also row {first_row[entity_name]})")
        first_row[entity_name] = row
        entities.append(entity)
    if not entities:
        fail(db_path, f"table {name!r}", "the database holds no entity")

    try:
        return Domain(
            name=name,
            informable={slot: tuple(values) for slot, values in informable.items()},
            system_requestable=system_requestable,
            requestable=requestable,
            entities=tuple(entities),
            booking={},
            name_slot="name",
            synonyms={},
            source=str(path),
        )
    except DomainError:  # a check the importer missed; the message already names the file
        raise
