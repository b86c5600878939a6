"""MultiWOZ's seven domains as ConvLab-3 ships them: databases, ontology, and ConvLab's queries.

The files keep ConvLab-3's layout (``data/multiwoz`` at commit 2a168fc), so a copy of that
folder can be named instead of the package data::

    FOLDER/db/{restaurant,hotel,attraction,train,taxi,hospital,police}_db.json
    FOLDER/value_set.json          # domain -> slot -> values (the agenda user's ontology)
    FOLDER/goal/goal_model.json    # read by dialogym.simulators.multiwoz_goals

Files are untrusted: each is size-checked before it is read, must lie inside the folder named
(links resolved), is parsed as JSON only, and every malformed file or field is reported as a
one-line :class:`~dialogym.domains.DomainError` naming the file and the field.

`MultiWozDatabase` answers queries the way ConvLab's ``Database.query``
(``convlab/util/multiwoz/dbquery.py``) does, row order included: ConvLab names a booked
entity by its row index.
"""

from __future__ import annotations

import functools
import os
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from dialogym.domains.domain import excerpt
from dialogym.domains.native import DEFAULT_LIMITS, DomainLimits, fail, parse_json, read_text

T = TypeVar("T")

MULTIWOZ_DOMAINS: tuple[str, ...] = (
    "restaurant",
    "hotel",
    "attraction",
    "train",
    "taxi",
    "hospital",
    "police",
)
"""The seven MultiWOZ domains."""

TABLE_DOMAINS: tuple[str, ...] = tuple(d for d in MULTIWOZ_DOMAINS if d != "taxi")
"""The domains whose database is a list of entities (taxi's is a table of car features)."""

MULTIWOZ_DATA_DIR = Path(__file__).resolve().parent / "data" / "multiwoz"
"""The package data: ConvLab-3's MultiWOZ files (``scripts/make_multiwoz_data.py``)."""

VALUE_SET_FILE = "value_set.json"
"""The ontology's path inside a MultiWOZ folder."""

REQUIRED_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "restaurant": ("name", "area", "food", "pricerange"),
    "hotel": ("name", "area", "type", "pricerange", "stars", "internet", "parking"),
    "attraction": ("name", "area", "type"),
    "train": ("trainID", "departure", "destination", "day", "leaveAt", "arriveBy"),
    "hospital": ("department",),
    "police": ("name",),
}
"""Columns every row of a domain must hold as a string: those goals and queries rely on."""

TIME_COLUMNS = ("leaveAt", "arriveBy")
"""Columns compared as times (``H:MM``): a train leaving at or after, arriving by."""

UNKNOWN_VALUES = frozenset(("?", "none.", "unknown", "none", ""))
"""Database values ConvLab's goal generator treats as unknown (a requested slot with one of
these in a matching row is dropped from a goal)."""

IGNORED_VALUES = frozenset(
    ("", "dont care", "not mentioned", "don't care", "dontcare", "do n't care")
)
"""Constraint values a ConvLab query ignores (they match every row)."""

_TIME = re.compile(r"\d{1,2}:\d{2}")


def data_file(folder: Path, relative: str) -> Path:
    """Resolve a file of a MultiWOZ folder, refusing any path that leads out of it.

    Args:
        folder: The MultiWOZ folder.
        relative: The file's path inside it (``db/train_db.json``).

    Returns:
        The resolved path (links followed).

    Raises:
        DomainError: The path, once links are followed, lies outside ``folder``.
    """
    root = folder.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        fail(folder / relative, None, f"leads outside the folder {excerpt(str(root))}")
    return path


def read_json(folder: Path, relative: str, limits: DomainLimits = DEFAULT_LIMITS) -> Any:
    """Read one JSON file of a MultiWOZ folder, bounded in size and nesting.

    Args:
        folder: The MultiWOZ folder.
        relative: The file's path inside it.
        limits: Bounds on size, nesting and string length.

    Returns:
        The parsed JSON value.

    Raises:
        DomainError: The file lies outside the folder, is missing, too big or not JSON.
    """
    path = data_file(folder, relative)
    return parse_json(path, read_text(path, limits), limits)


def time_value(text: str) -> int:
    """A ``H:MM`` time as ConvLab compares it: ``hours * 100 + minutes``.

    Raises:
        ValueError: The text is not two numbers around a colon.
        IndexError: The text has no colon.

    >>> time_value("9:45") < time_value("10:05")
    True
    """
    parts = text.split(":")
    return int(parts[0]) * 100 + int(parts[1])


@dataclass(frozen=True)
class TaxiTable:
    """The taxi "database": the colours and car types a booked taxi is drawn from.

    Attributes:
        colors: Car colours (``taxi_colors``).
        types: Car makes (``taxi_types``).
        phone: ConvLab's phone pattern(s) (``taxi_phone``); ConvLab draws 11 random digits.
    """

    colors: tuple[str, ...]
    types: tuple[str, ...]
    phone: tuple[str, ...]


class MultiWozDatabase:
    """The entities of MultiWOZ's domains, queried as ConvLab-3 queries them.

    Query rules (ConvLab's): a constraint whose value is in :data:`IGNORED_VALUES` is skipped;
    ``area=center`` means ``centre``; a constraint on a column a row lacks, or that cannot be
    compared, passes; ``leaveAt`` wants the row's time at or after the value and ``arriveBy``
    at or before it; a row value ``?`` matches anything; other values match when equal ignoring
    case and surrounding blanks. Hospital is queried on ``department`` alone; police ignores
    every constraint; taxi always has a car. Each (slot, value) is evaluated once per domain
    and kept as a bit set of rows, so a query costs a few integer ANDs.

    Args:
        tables: Domain to its rows, in file order, for every domain in :data:`TABLE_DOMAINS`.
        taxi: The taxi table.
    """

    def __init__(self, tables: Mapping[str, Sequence[Mapping[str, Any]]], taxi: TaxiTable) -> None:
        missing = [d for d in TABLE_DOMAINS if d not in tables]
        if missing:
            raise ValueError(f"no rows given for {', '.join(missing)}")
        self.tables: dict[str, tuple[Mapping[str, Any], ...]] = {
            domain: tuple(tables[domain]) for domain in TABLE_DOMAINS
        }
        self.taxi = taxi
        self._all = {d: (1 << len(rows)) - 1 for d, rows in self.tables.items()}
        self._masks: dict[tuple[str, str, str], int] = {}
        self._unknown: dict[tuple[str, str], int] = {}
        self._columns: dict[tuple[str, str], tuple[dict[str, int], int]] = {}
        self._times: dict[tuple[str, str], tuple[list[int], list[int], int]] = {}

    def rows(self, domain: str) -> tuple[Mapping[str, Any], ...]:
        """The rows of a table domain, in file order (row index = ConvLab's ``Ref``)."""
        return self.tables[domain]

    def mask(self, domain: str, constraints: Iterable[tuple[str, str]]) -> int:
        """The rows matching ``constraints`` as a bit set (bit ``i`` is row ``i``).

        Args:
            domain: A domain of :data:`TABLE_DOMAINS`.
            constraints: (slot, value) pairs; a later pair for the same slot adds to the
                earlier one, as in ConvLab (hospital: the last department counts).

        Returns:
            The bit set.
        """
        found = self._all[domain]
        if domain == "police":
            return found
        if domain == "hospital":
            department = ""
            for slot, value in constraints:
                if slot == "department":
                    department = value
            return self._slot_mask(domain, "department", department) if department else found
        for slot, value in constraints:
            if value in IGNORED_VALUES:
                continue
            if slot == "area" and value == "center":
                value = "centre"
            found &= self._slot_mask(domain, slot, value)
            if not found:
                break
        return found

    def match(self, domain: str, constraints: Iterable[tuple[str, str]]) -> tuple[int, ...]:
        """The indices of the rows matching ``constraints`` (ConvLab's ``Ref`` numbers).

        >>> db = load_multiwoz().database
        >>> db.match("restaurant", [("food", "eritrean")])
        ()
        """
        found = self.mask(domain, constraints)
        return tuple(i for i in range(found.bit_length()) if found >> i & 1)

    def has_match(self, domain: str, constraints: Iterable[tuple[str, str]]) -> bool:
        """Whether any entity matches (always true for taxi, as in ConvLab)."""
        return domain == "taxi" or self.mask(domain, constraints) != 0

    def unknown_mask(self, domain: str, slot: str) -> int:
        """The rows that lack ``slot`` or hold an unknown value for it (:data:`UNKNOWN_VALUES`)."""
        key = (domain, slot)
        mask = self._unknown.get(key)
        if mask is None:
            mask = 0
            for index, row in enumerate(self.tables[domain]):
                value = row.get(slot)
                if slot not in row or (isinstance(value, str) and value in UNKNOWN_VALUES):
                    mask |= 1 << index
            self._unknown[key] = mask
        return mask

    def _slot_mask(self, domain: str, slot: str, value: str) -> int:
        """The rows passing one constraint, by ConvLab's rules (a row that errs passes)."""
        key = (domain, slot, value)
        mask = self._masks.get(key)
        if mask is None:
            if domain == "hospital":  # ConvLab compares departments on their own
                wanted = value.strip().lower()
                rows = self.tables[domain]
                mask = sum(
                    1 << i for i, row in enumerate(rows) if row["department"].lower() == wanted
                )
            elif slot in TIME_COLUMNS:
                mask = self._time_mask(domain, slot, value)
            else:
                index, passing = self._column(domain, slot)
                mask = index.get(value.strip().lower(), 0) | passing
            self._masks[key] = mask
        return mask

    def _column(self, domain: str, slot: str) -> tuple[dict[str, int], int]:
        """Lower-cased value to its rows, and the rows any value passes (``?``, no value)."""
        key = (domain, slot)
        if key not in self._columns:
            index: dict[str, int] = {}
            passing = 0
            for i, row in enumerate(self.tables[domain]):
                stored = row.get(slot)
                if isinstance(stored, str) and stored.strip() != "?":
                    text = stored.strip().lower()
                    index[text] = index.get(text, 0) | 1 << i
                else:
                    passing |= 1 << i
            self._columns[key] = (index, passing)
        return self._columns[key]

    def _time_mask(self, domain: str, slot: str, value: str) -> int:
        """Rows leaving at or after (``leaveAt``) or arriving by (``arriveBy``) a time."""
        try:
            wanted = time_value(value)
        except (ValueError, IndexError):
            return self._all[domain]
        key = (domain, slot)
        if key not in self._times:
            timed: list[tuple[int, int]] = []
            passing = 0
            for i, row in enumerate(self.tables[domain]):
                try:
                    timed.append((time_value(row[slot]), i))
                except (KeyError, ValueError, IndexError, AttributeError):
                    passing |= 1 << i
            timed.sort()
            prefix = [0]
            for _, i in timed:
                prefix.append(prefix[-1] | 1 << i)
            self._times[key] = ([t for t, _ in timed], prefix, passing)
        times, prefix, passing = self._times[key]
        if slot == "leaveAt":
            return passing | (prefix[-1] ^ prefix[bisect_left(times, wanted)])
        return passing | prefix[bisect_right(times, wanted)]


@dataclass(frozen=True)
class MultiWozData:
    """MultiWOZ's databases and ontology, as loaded by :func:`load_multiwoz`.

    Attributes:
        database: The seven domains' entities.
        ontology: Domain to slot to the values the agenda user knows (``value_set.json``).
        folder: The folder the files were read from.
    """

    database: MultiWozDatabase
    ontology: Mapping[str, Mapping[str, tuple[str, ...]]]
    folder: Path = field(default=MULTIWOZ_DATA_DIR)


def load_multiwoz(
    folder: str | os.PathLike[str] | None = None, *, limits: DomainLimits = DEFAULT_LIMITS
) -> MultiWozData:
    """Load MultiWOZ's databases and ontology from the package data or a folder.

    Args:
        folder: A folder laid out as ConvLab-3's ``data/multiwoz`` (see the module's
            docstring); ``None`` for the package data.
        limits: Bounds on what may be read (file size, rows, nesting, string length).

    Returns:
        The data. The package data is loaded once and shared: treat it as read-only.

    Raises:
        DomainError: A file is missing, outside the folder, too big, or malformed; the
            one-line message names the file and the field.

    >>> data = load_multiwoz()
    >>> len(data.database.rows("train")), data.ontology["hotel"]["stars"][:2]
    (2828, ('4', '0'))
    """
    return load_from_folder(_load, folder, limits)


def load_from_folder(
    load: Callable[[Path, DomainLimits], T],
    folder: str | os.PathLike[str] | None,
    limits: DomainLimits = DEFAULT_LIMITS,
) -> T:
    """Run a MultiWOZ reader on a named folder, or once per process on the package data.

    Args:
        load: The reader, given the folder and the limits.
        folder: The folder; ``None`` for the package data.
        limits: Bounds on what may be read.

    Returns:
        What ``load`` returns; for the package data under the default limits, the same
        object every time (treat it as read-only).
    """
    if folder is None and limits == DEFAULT_LIMITS:
        return cast(T, _load_package_data(load))
    return load(Path(MULTIWOZ_DATA_DIR if folder is None else folder), limits)


@functools.lru_cache(maxsize=8)
def _load_package_data(load: Callable[[Path, DomainLimits], object]) -> object:
    return load(MULTIWOZ_DATA_DIR, DEFAULT_LIMITS)


def _load(folder: Path, limits: DomainLimits) -> MultiWozData:
    if not folder.is_dir():
        fail(folder, None, "is not a folder (a MultiWOZ folder holds db/ and value_set.json)")
    tables = {domain: _read_table(folder, domain, limits) for domain in TABLE_DOMAINS}
    taxi = _read_taxi(folder, limits)
    ontology = _read_ontology(folder, limits)
    return MultiWozData(MultiWozDatabase(tables, taxi), ontology, folder)


def _db_file(domain: str) -> str:
    return f"db/{domain}_db.json"


def _read_table(folder: Path, domain: str, limits: DomainLimits) -> list[dict[str, Any]]:
    relative = _db_file(domain)
    path = data_file(folder, relative)
    rows = read_json(folder, relative, limits)
    if not isinstance(rows, list):
        fail(path, None, f"must be a JSON list of entities, not {type(rows).__name__}")
    if len(rows) > limits.max_rows:
        fail(path, None, f"has {len(rows)} rows, over the limit of {limits.max_rows}")
    if not rows:
        fail(path, None, "holds no entity")
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            fail(path, f"[{index}]", f"an entity must be a JSON object, not {type(row).__name__}")
        for column in REQUIRED_COLUMNS[domain]:
            value = row.get(column)
            if not isinstance(value, str):
                problem = "missing" if column not in row else f"{excerpt(value)} is not a string"
                fail(path, f"[{index}].{column}", problem)
            if column in TIME_COLUMNS and not _TIME.fullmatch(value.strip()):
                fail(path, f"[{index}].{column}", f"{excerpt(value)} is not a time H:MM")
    return rows


def _string_list(
    path: Path, where: str, raw: object, *, allow_empty: bool = False
) -> tuple[str, ...]:
    if not isinstance(raw, list) or not (raw or allow_empty):
        fail(path, where, "must be a non-empty list of strings")
    for index, value in enumerate(raw):
        if not isinstance(value, str):
            fail(path, f"{where}[{index}]", f"{excerpt(value)} is not a string")
    return tuple(raw)


def _read_taxi(folder: Path, limits: DomainLimits) -> TaxiTable:
    relative = _db_file("taxi")
    path = data_file(folder, relative)
    data = read_json(folder, relative, limits)
    if not isinstance(data, dict):
        fail(path, None, "must be a JSON object with taxi_colors, taxi_types and taxi_phone")
    return TaxiTable(
        *(
            _string_list(path, key, data.get(key))
            for key in ("taxi_colors", "taxi_types", "taxi_phone")
        )
    )


def _read_ontology(folder: Path, limits: DomainLimits) -> dict[str, dict[str, tuple[str, ...]]]:
    path = data_file(folder, VALUE_SET_FILE)
    data = read_json(folder, VALUE_SET_FILE, limits)
    if not isinstance(data, dict):
        fail(path, None, "must be a JSON object: domain -> slot -> list of values")
    ontology: dict[str, dict[str, tuple[str, ...]]] = {}
    for domain in MULTIWOZ_DOMAINS:
        slots = data.get(domain)
        if not isinstance(slots, dict):
            fail(path, domain, "missing, or not an object slot -> list of values")
        ontology[domain] = {
            slot: _string_list(path, f"{domain}.{slot}", values, allow_empty=True)
            for slot, values in slots.items()
        }
    return ontology
