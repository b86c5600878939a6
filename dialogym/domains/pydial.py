"""Import a PyDial domain: ``NAME-rules.json`` plus its sibling ``NAME-dbase.db``.

PyDial keeps an ontology as JSON (``type``, ``informable``, ``requestable``,
``system_requestable``, ``discourseAct``, ``method``) and the entities in a SQLite file whose
table is named after the domain. The mapping to a :class:`Domain` is documented in
``FORMAT.md`` (section "PyDial domains").
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from dialogym.domains.domain import DONTCARE, NOT_AVAILABLE, Domain, Problems, excerpt
from dialogym.domains.native import (
    DEFAULT_LIMITS,
    ID_COLUMN,
    DomainLimits,
    check_inside,
    fail,
    parse_json,
    read_sqlite_table,
    read_text,
    slot_list,
    value_table,
)
from dialogym.domains.synonyms import with_pydial_synonyms

RULES_SUFFIX = "-rules.json"
DBASE_SUFFIX = "-dbase.db"
PYDIAL_KEYS = frozenset(("type", "discourseAct", "method"))
"""Keys that only a PyDial rules file has (a native ontology rejects them)."""
RULES_KEYS = ("informable", "system_requestable", "requestable")
"""Keys of a rules file that the import reads (the others serve PyDial's language modules)."""
NAME_SLOT = "name"
"""The slot that names an entity in every PyDial domain."""


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


def load_pydial(
    path: str | os.PathLike[str],
    data: object = None,
    *,
    limits: DomainLimits = DEFAULT_LIMITS,
    allow_outside: bool = False,
) -> Domain:
    """Load a PyDial domain from its rules file and the sibling SQLite database, as PyDial does.

    The data is taken as PyDial takes it: :data:`NOT_AVAILABLE` (or an empty cell) is an
    ordinary database value, even in a system-requestable slot, that no constraint but
    ``dontcare`` matches and no goal asks for; names may repeat (SFRestaurants lists a
    restaurant once for lunch and once for dinner).

    Args:
        path: The ``NAME-rules.json`` file; the database is ``NAME-dbase.db`` beside it.
        data: The rules file already parsed (it is read from ``path`` when ``None``).
        limits: Bounds on what may be read (see :class:`~dialogym.domains.DomainLimits`).
        allow_outside: Read a database that is a link to a file outside the rules file's
            folder (see :func:`~dialogym.domains.native.check_inside`).

    Returns:
        The domain, with no booking slots and ``source`` set to the rules path.

    Raises:
        DomainError: The rules or the database are malformed or disagree; the message lists
            every problem found (the rules first, then the database's columns, then its rows),
            each naming the file and the field or row.
    """
    path = Path(path)
    if data is None:
        data = parse_json(path, read_text(path, limits), limits)
    if not isinstance(data, Mapping):
        fail(path, None, f"the top level must be a mapping, not {type(data).__name__}")
    rules = _read_rules(path, data)
    name = domain_name(path)
    db_path = path.with_name(name + DBASE_SUFFIX)
    if not db_path.exists():
        fail(path, "database", f"file not found: {db_path} (expected beside the rules file)")
    check_inside(path, "database", db_path, allow_outside)
    columns, rows = read_sqlite_table(db_path, name, limits)
    problems = Problems()
    for slot in dict.fromkeys((*rules.system_requestable, *rules.requestable)):
        if slot not in columns:
            problems.add(db_path, f"table {excerpt(name)}", f"lacks column {excerpt(slot)}")
    problems.raise_if_any()
    entities = [
        rules.entity(db_path, row, zip(columns, values, strict=True), problems)
        for row, values in enumerate(rows, start=1)
    ]
    if not entities:
        problems.add(db_path, f"table {excerpt(name)}", "the database holds no entity")
    problems.raise_if_any()
    domain = Domain(
        name=name,
        informable={slot: tuple(values) for slot, values in rules.informable.items()},
        system_requestable=rules.system_requestable,
        requestable=rules.requestable,
        entities=tuple(entities),
        booking={},
        name_slot=NAME_SLOT,
        synonyms={},
        source=str(path),
        entity_type=data["type"] if isinstance(data.get("type"), str) else "",
    )
    return with_pydial_synonyms(domain, path, limits, allow_outside)


class _Rules:
    """A PyDial rules file, read and checked, and how it turns database rows into entities.

    Args:
        informable: Informable slot to its values, in the rules' order.
        system_requestable: The system-requestable slots.
        requestable: The requestable slots.
    """

    def __init__(
        self,
        informable: dict[str, tuple[str, ...]],
        system_requestable: tuple[str, ...],
        requestable: tuple[str, ...],
    ) -> None:
        self.informable = {slot: dict.fromkeys(values) for slot, values in informable.items()}
        """Informable slot to its values as an ordered set (a row's check is one look-up)."""
        self.system_requestable = system_requestable
        self.requestable = requestable

    def entity(
        self, db_path: Path, row: int, cells: Iterable[tuple[str, object]], problems: Problems
    ) -> dict[str, str]:
        """Turn one database row into an entity, recording what is wrong with it.

        Args:
            db_path: The database file, for messages.
            row: The 1-based row number, for messages.
            cells: Column to value as read (the ``id`` column is dropped).
            problems: Where to record a value the rules do not allow.

        Returns:
            Slot to value. A value of an informable slot that is not system-requestable and
            that the rules lack (a ``name``, say) is added to :attr:`informable`.
        """
        entity: dict[str, str] = {}
        for slot, raw in cells:
            if slot == ID_COLUMN:
                continue
            value = "" if raw is None else str(raw).strip()
            here = f"row {row}.{slot}"
            if not value or value.casefold() == NOT_AVAILABLE:
                if slot == NAME_SLOT:
                    problems.add(db_path, here, "an entity needs a name")
                value = NOT_AVAILABLE
            elif slot in self.informable and value not in self.informable[slot]:
                if value == DONTCARE:
                    problems.add(db_path, here, f"{excerpt(DONTCARE)} cannot be a database value")
                elif slot in self.system_requestable:
                    problem = f"value {excerpt(value)} is not in the rules' informable.{slot}"
                    problems.add(db_path, here, problem)
                else:
                    self.informable[slot][value] = None
            entity[slot] = value
        return entity


def _read_rules(path: Path, data: Mapping[str, object]) -> _Rules:
    """Read and check the slots of a parsed rules file, reporting every problem found."""
    problems = Problems()
    for key in RULES_KEYS:
        if key not in data:
            problems.add(path, key, "missing required key")
    problems.raise_if_any()
    informable = system_requestable = requestable = None
    with problems.collecting():
        informable = value_table(path, "informable", data["informable"])
    with problems.collecting():
        system_requestable = slot_list(path, "system_requestable", data["system_requestable"])
    with problems.collecting():
        requestable = slot_list(path, "requestable", data["requestable"])
    if informable is not None and system_requestable is not None:
        for slot in system_requestable:
            if slot not in informable:
                problems.add(path, "system_requestable", f"slot {excerpt(slot)} is not informable")
    if requestable is not None and NAME_SLOT not in requestable:
        problems.add(path, "requestable", f"must include the name slot {excerpt(NAME_SLOT)}")
    problems.raise_if_any()
    assert informable is not None and system_requestable is not None and requestable is not None
    return _Rules(informable, system_requestable, requestable)
