"""The native domain format: an ontology file (YAML or JSON) and a database (CSV, JSON, SQLite).

The format is described for users in ``FORMAT.md`` beside this module. Problems are raised as
one-line :class:`DomainError` messages of the form ``PATH: FIELD: problem``; the checks of one
stage (the ontology's fields, their cross-references, the database's columns, its rows) report
every problem they find before the loader gives up.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import yaml

from dialogym.domains.domain import (
    MAX_REPORTED_PROBLEMS,
    NOT_AVAILABLE,
    RESERVED_VALUES,
    Domain,
    DomainError,
    Problems,
    excerpt,
    problem_line,
    shorten,
)
from dialogym.domains.phrases import check_bank, phrase_bank

ONTOLOGY_SUFFIXES = (".yaml", ".yml", ".json")
DATABASE_SUFFIXES = (".csv", ".json", ".sqlite", ".db")
REQUIRED_KEYS = ("name", "informable", "system_requestable", "requestable", "database")
OPTIONAL_KEYS = (
    "booking",
    "name_slot",
    "synonyms",
    "slot_synonyms",
    "table",
    "entity_type",
    "phrases",
)
ID_COLUMN = "id"
"""A database column that is allowed without being a slot, and dropped on loading."""


@dataclass(frozen=True)
class DomainLimits:
    """Bounds on what loading one domain may read, so that no small file exhausts the machine.

    The defaults are far above any real domain (PyDial's largest files are under 100 KB and
    300 rows) and low enough that a hostile file fails in well under a second. Pass your own to
    :func:`~dialogym.domains.load_domain` for a bigger domain.

    Attributes:
        max_file_bytes: The largest ontology or database file read, in bytes.
        max_rows: The most entities a database may hold.
        max_value_chars: The longest value, slot or key (in characters; integers in digits).
        max_depth: The deepest nesting of lists and mappings in a YAML or JSON file.
        max_yaml_aliases: The most alias uses (``*name``) in a YAML file.
        max_yaml_nodes: The most values a YAML file may stand for once every alias is
            expanded (each use of an alias counts everything it refers to).
    """

    max_file_bytes: int = 8 * 1024 * 1024
    max_rows: int = 100_000
    max_value_chars: int = 10_000
    max_depth: int = 32
    max_yaml_aliases: int = 1_000
    max_yaml_nodes: int = 200_000


MAX_INT_DIGITS = 100
"""The most digits of an integer in a JSON file (a longer number is written as a string)."""

DEFAULT_LIMITS = DomainLimits()

DOMAIN_YAML_TAGS = frozenset(
    ("!", *(f"tag:yaml.org,2002:{kind}" for kind in ("str", "seq", "map", "null")))
)
"""The explicit YAML tags a domain file may use (its values are all strings)."""
"""The limits :func:`~dialogym.domains.load_domain` applies unless given others."""

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


def check_file(path: Path, limits: DomainLimits = DEFAULT_LIMITS) -> int:
    """Check that a path is a regular file within the size limit.

    Args:
        path: The file.
        limits: The size limit.

    Returns:
        The file's size in bytes.

    Raises:
        DomainError: The path is missing, a folder, not a regular file (a device, a pipe) or
            too big.
    """
    try:
        if path.is_dir():
            fail(path, None, "is a folder, not a file")
        if not path.exists():
            fail(path, None, "file not found")
        if not path.is_file():
            fail(path, None, "is not a regular file")
        size = path.stat().st_size
    except OSError as err:
        fail(path, None, f"cannot be read ({err.strerror})")
    if size > limits.max_file_bytes:
        fail(path, None, f"is {size} bytes, over the limit of {limits.max_file_bytes} bytes")
    return size


def read_text(path: Path, limits: DomainLimits = DEFAULT_LIMITS) -> str:
    """Read a UTF-8 text file (a leading byte-order mark is dropped), bounded in size.

    Args:
        path: The file to read.
        limits: The size limit (``max_file_bytes``).

    Returns:
        The file's text.

    Raises:
        DomainError: The file is missing, not a regular file, too big, unreadable or not UTF-8.
    """
    check_file(path, limits)
    try:
        with path.open("rb") as stream:
            data = stream.read(limits.max_file_bytes + 1)
    except OSError as err:
        fail(path, None, f"cannot be read ({err.strerror})")
    if len(data) > limits.max_file_bytes:
        fail(path, None, f"is over the limit of {limits.max_file_bytes} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        fail(path, f"byte {err.start}", "not UTF-8 text")


def parse_json(path: Path, text: str, limits: DomainLimits = DEFAULT_LIMITS) -> Any:
    """Parse JSON text, reporting syntax errors as ``PATH: line N: ...``.

    Args:
        path: The file the text came from (for the message).
        text: The JSON text.
        limits: Bounds on nesting, string length and integer digits.

    Returns:
        The parsed value.

    Raises:
        DomainError: The text is not valid JSON, nests too deeply, or holds a string or an
            integer over the length limit.
    """

    def parse_int(digits: str) -> int:
        if len(digits) > MAX_INT_DIGITS:
            problem = f"an integer of {len(digits)} digits (at most {MAX_INT_DIGITS}; "
            fail(path, None, problem + "write a longer number as a string)")
        return int(digits)

    try:
        data = json.loads(text, parse_int=parse_int)
    except json.JSONDecodeError as err:
        fail(path, f"line {err.lineno}", f"not valid JSON: {err.msg} (column {err.colno})")
    except RecursionError:
        fail(path, None, f"nested deeper than the limit of {limits.max_depth} levels")
    except DomainError:
        raise
    except ValueError as err:  # an integer Python refuses to convert
        fail(path, None, f"not valid JSON: {_first_line(err)}")
    _check_tree(path, data, limits)
    return data


def parse_json_lines(
    path: Path, text: str, limits: DomainLimits = DEFAULT_LIMITS
) -> list[tuple[int, Any]]:
    """Parse JSON lines (one value a line, blank lines skipped) as :func:`parse_json` does.

    Returns:
        ``(line number, value)`` for each line that holds one.

    Raises:
        DomainError: A line is not valid JSON or is over a limit; the message names the line.
    """
    parsed = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                parsed.append((number, parse_json(path, line, limits)))
            except DomainError as err:
                problem = str(err).split(": ", 2)[-1]
                fail(path, f"line {number}", problem)
    return parsed


def _check_tree(path: Path, data: object, limits: DomainLimits) -> None:
    """Check the nesting depth and the string lengths of parsed JSON, in memory O(depth)."""
    stack: list[Iterator[object]] = [iter((data,))]
    while stack:
        for node in stack[-1]:
            if isinstance(node, str):
                if len(node) > limits.max_value_chars:
                    problem = f"a string of {len(node)} characters is over the limit of "
                    fail(path, None, problem + f"{limits.max_value_chars} ({excerpt(node)})")
            elif isinstance(node, Mapping):
                stack.append(itertools.chain(node.keys(), node.values()))
                break
            elif isinstance(node, list):
                stack.append(iter(node))
                break
        else:  # this container is done
            stack.pop()
            continue
        if len(stack) - 1 > limits.max_depth:
            fail(path, None, f"nested deeper than the limit of {limits.max_depth} levels")


def check_yaml_events(
    path: Path,
    text: str,
    limits: DomainLimits = DEFAULT_LIMITS,
    tags: frozenset[str] = DOMAIN_YAML_TAGS,
) -> None:
    """Check a YAML text against the limits before it is built into Python objects.

    Scans the parser's events (which never expand aliases) and counts, for every collection,
    how many values it stands for once its aliases are expanded. This stops an alias bomb (a
    few hundred bytes that stand for billions of values) before anything is built or printed.

    Args:
        path: The file the text came from (for the message).
        text: The YAML text.
        limits: ``max_yaml_aliases``, ``max_yaml_nodes``, ``max_depth`` and
            ``max_value_chars``.
        tags: The explicit tags (``!!str``) allowed; any other is refused.

    Raises:
        DomainError: A limit is exceeded, an explicit tag is not allowed, or an alias refers
            to a node that contains it.
        yaml.YAMLError: The text is not valid YAML.
    """
    sizes: dict[str, int] = {}
    open_nodes: list[list[Any]] = []  # [anchor, values so far] of each collection being read
    aliases = 0
    for event in yaml.parse(text, Loader=_BaseLoader):
        mark = event.start_mark
        line = f"line {mark.line + 1}" if mark is not None else "yaml"
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in tags:
            fail(path, line, f"the tag {excerpt(tag)} is not allowed here")
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            open_nodes.append([event.anchor, 1])
            if len(open_nodes) > limits.max_depth:
                fail(path, line, f"nested deeper than the limit of {limits.max_depth} levels")
            continue
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > limits.max_yaml_aliases:
                fail(path, line, f"more than {limits.max_yaml_aliases} aliases")
            if event.anchor not in sizes:
                problem = f"alias *{shorten(str(event.anchor), 40)} refers to no complete node"
                fail(path, line, problem + " (undefined, or it contains itself)")
            size = sizes[event.anchor]
        elif isinstance(event, yaml.ScalarEvent):
            if len(event.value) > limits.max_value_chars:
                fail(
                    path,
                    line,
                    f"a value of {len(event.value)} characters is over the limit "
                    f"of {limits.max_value_chars} ({excerpt(event.value)})",
                )
            size = 1
            if event.anchor is not None:
                sizes[event.anchor] = size
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            anchor, size = open_nodes.pop()
            if anchor is not None:
                sizes[anchor] = size
        else:  # stream and document events
            continue
        if open_nodes:
            open_nodes[-1][1] += size
            if open_nodes[-1][1] > limits.max_yaml_nodes:
                fail(
                    path,
                    line,
                    f"stands for more than {limits.max_yaml_nodes} values once "
                    "its aliases are expanded",
                )


def parse_yaml(path: Path, text: str, limits: DomainLimits = DEFAULT_LIMITS) -> Any:
    """Parse YAML text, every scalar but null as a string; errors as ``PATH: line N: ...``.

    Args:
        path: The file the text came from (for the message).
        text: The YAML text.
        limits: Bounds checked first by :func:`check_yaml_events`.

    Returns:
        The parsed value.

    Raises:
        DomainError: The text is not valid YAML or exceeds a limit.
    """
    try:
        check_yaml_events(path, text, limits)
        return yaml.load(text, Loader=_TextLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "yaml"
        problem = getattr(err, "problem", None) or str(err)
        fail(path, where, f"not valid YAML: {problem}")
    except DomainError:
        raise
    except (ValueError, TypeError, OverflowError) as err:  # an explicit tag (!!int) refused
        fail(path, None, f"not valid YAML: {_first_line(err)}")


def _first_line(err: Exception) -> str:
    """The first line of an exception's message, or its type when it has none."""
    lines = str(err).splitlines()
    return lines[0] if lines else type(err).__name__


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
        fail(where, field, f'value {excerpt(raw)} is a boolean; write a string such as "yes"')
    if isinstance(raw, int):
        return str(raw)
    if not isinstance(raw, str):
        kind = "null" if raw is None else type(raw).__name__
        fail(where, field, f"value {excerpt(raw)} is a {kind}; values must be strings or integers")
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
        fail(where, field, f"slot name {excerpt(raw)} must be a non-empty string")
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
            seen: dict[str, None] = {}  # ordered, and a fast test for repeats
            for raw_value in values:
                with problems.collecting():
                    value = as_value(where, here, raw_value)
                    if value in RESERVED_VALUES:
                        fail(where, here, f"{excerpt(value)} is reserved and may not be a value")
                    if value in seen:
                        fail(where, here, f"value {excerpt(value)} is listed twice")
                    seen[value] = None
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
    slots: dict[str, None] = {}  # ordered, and a fast test for repeats
    for item in raw:
        with problems.collecting():
            slot = slot_name(where, field, item)
            if slot in slots:
                fail(where, field, f"slot {excerpt(slot)} is listed twice")
            slots[slot] = None
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
    known = {slot: frozenset(slot_values) for slot, slot_values in values.items()}
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
                    if value not in known[slot]:
                        fail(where, here, f"{excerpt(value)} is not a value of {excerpt(slot)}")
                    if isinstance(forms, str):
                        forms = [forms]
                    if not isinstance(forms, list) or not forms:
                        fail(where, here, "must be a non-empty list of strings")
                    table[slot][value] = tuple(as_value(where, here, form) for form in forms)
    problems.raise_if_any()
    return table


def slot_synonym_table(
    where: Path, raw: object, slots: Iterable[str]
) -> dict[str, tuple[str, ...]]:
    """Read ``slot_synonyms``: slot -> list of other ways to name the slot.

    Args:
        where: The file read.
        raw: The parsed mapping.
        slots: Every slot of the domain (informable, requestable, booking).

    Returns:
        The table.

    Raises:
        DomainError: A slot the domain does not have, or a malformed list; every one found is
            listed.
    """
    if not isinstance(raw, Mapping):
        fail(where, "slot_synonyms", f"must be a mapping slot -> list, not {_kind(raw)}")
    known = frozenset(slots)
    problems = Problems()
    table: dict[str, tuple[str, ...]] = {}
    for raw_slot, forms in raw.items():
        with problems.collecting():
            slot = slot_name(where, "slot_synonyms", raw_slot)
            here = f"slot_synonyms.{slot}"
            if slot not in known:
                fail(where, here, "is not a slot of the domain")
            if isinstance(forms, str):
                forms = [forms]
            if not isinstance(forms, list) or not forms:
                fail(where, here, "must be a non-empty list of strings")
            table[slot] = tuple(as_value(where, here, form) for form in forms)
    problems.raise_if_any()
    return table


def load_native(
    path: str | os.PathLike[str],
    source: str | None = None,
    *,
    limits: DomainLimits = DEFAULT_LIMITS,
    allow_outside: bool = False,
) -> Domain:
    """Load a domain from a native ontology file and the database it names.

    Args:
        path: The ``.yaml``, ``.yml`` or ``.json`` ontology file.
        source: What to record as :attr:`Domain.source` (default: ``path``).
        limits: Bounds on what may be read (see :class:`DomainLimits`).
        allow_outside: Read a database outside the ontology's folder (see
            :func:`check_inside`).

    Returns:
        The domain.

    Raises:
        DomainError: The ontology or the database is malformed; the message names the file and
            the field of every problem found.
    """
    path = Path(path)
    text = read_text(path, limits)
    parse = parse_json if path.suffix == ".json" else parse_yaml
    data = parse(path, text, limits)
    return domain_from_mapping(path, data, source, limits=limits, allow_outside=allow_outside)


def read_phrases(
    path: Path, raw: object, limits: DomainLimits = DEFAULT_LIMITS, allow_outside: bool = False
) -> dict[str, Any]:
    """The ``phrases`` of an ontology: a bank written in it, or the bank file it names.

    A bank file (``.yaml``, ``.yml`` or ``.json``, relative to the ontology) must lie in the
    ontology's folder and is read within ``limits``, as a database is.

    Raises:
        DomainError: The bank or its file is malformed (one line naming the file and field).
    """
    if raw is None:
        return {}
    if not isinstance(raw, str):
        return check_bank(path, raw)
    bank_path = path.parent / raw
    if "\0" in raw or bank_path.suffix not in ONTOLOGY_SUFFIXES:
        fail(path, "phrases", "must be a phrase bank, or a path to a .yaml, .yml or .json bank")
    check_inside(path, "phrases", bank_path, allow_outside)
    if not bank_path.is_file():
        fail(path, "phrases", f"file not found: {bank_path}")
    parse = parse_json if bank_path.suffix == ".json" else parse_yaml
    return check_bank(bank_path, parse(bank_path, read_text(bank_path, limits), limits), field="")


def check_inside(ontology: Path, field: str, target: Path, allow_outside: bool = False) -> None:
    """Check that a file an ontology names lies in the ontology's folder, links resolved.

    A domain file is data that people pass around; it must not make the loader read (and
    echo into transcripts and error messages) files elsewhere, such as ``/etc/passwd`` or
    ``/proc/self/environ``, through an absolute path, ``..`` or a symbolic link.

    Args:
        ontology: The ontology (or PyDial rules) file.
        field: The field that names the file, for the message.
        target: The file it names.
        allow_outside: Accept a file anywhere (the caller trusts the domain file).

    Raises:
        DomainError: The file lies outside the ontology's folder, or its links cannot be
            resolved.
    """
    if allow_outside:
        return
    try:
        folder = ontology.parent.resolve()
        real = target.resolve()
    except (OSError, RuntimeError, ValueError) as err:  # a link loop, a NUL byte
        fail(ontology, field, f"cannot resolve {excerpt(str(target))} ({_first_line(err)})")
    if not real.is_relative_to(folder):
        fail(
            ontology,
            field,
            f"{excerpt(str(target))} lies outside the ontology's folder {folder} (links "
            "resolved); move it there, or pass allow_outside=True to load_domain if you trust "
            "this domain file",
        )


def domain_from_mapping(
    path: Path,
    data: object,
    source: str | None = None,
    *,
    limits: DomainLimits = DEFAULT_LIMITS,
    allow_outside: bool = False,
) -> Domain:
    """Build a domain from a parsed native ontology file.

    The ontology is checked in two passes (each field, then how the fields refer to each
    other) before the database is read; each pass reports every problem it finds.

    Args:
        path: The ontology file (database paths are relative to its folder).
        data: The parsed file.
        source: What to record as :attr:`Domain.source` (default: ``path``).
        limits: Bounds on what may be read from the database.
        allow_outside: Read a database outside the ontology's folder (see
            :func:`check_inside`).

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
    if not isinstance(database, str) or not database.strip() or "\0" in database:
        problem = "must be a path (relative to this file) to a .csv, .json or .db"
        problems.add(path, "database", problem)
    table = data.get("table")
    if table is not None and not isinstance(table, str):
        problems.add(path, "table", "must be the name of a SQLite table")
    entity_type = data.get("entity_type", "")
    if not isinstance(entity_type, str) or len(entity_type) > limits.max_value_chars:
        problems.add(path, "entity_type", "must be a string: what one entity is (e.g. cafe)")
    phrases: dict[str, Any] = {}
    with problems.collecting():
        phrases = read_phrases(path, data.get("phrases"), limits, allow_outside)
    problems.raise_if_any()

    for slot in system_requestable:
        if slot not in informable:
            problems.add(path, "system_requestable", f"slot {excerpt(slot)} is not informable")
    if name_slot not in requestable:
        problems.add(path, "requestable", f"must include the name slot {excerpt(name_slot)}")
    for slot in booking:
        if slot in informable or slot in requestable:
            problems.add(path, f"booking.{slot}", "is also an informable or requestable slot")
    synonyms: dict[str, dict[str, tuple[str, ...]]] = {}
    with problems.collecting():
        synonyms = synonym_table(path, data.get("synonyms") or {}, {**informable, **booking})
    slot_synonyms: dict[str, tuple[str, ...]] = {}
    with problems.collecting():
        every_slot = (*informable, *requestable, *booking)
        slot_synonyms = slot_synonym_table(path, data.get("slot_synonyms") or {}, every_slot)
    db_path = path.parent / database
    if db_path.suffix not in DATABASE_SUFFIXES:
        problem = f"unsupported type {excerpt(db_path.suffix)}; use .csv, .json, .sqlite, .db"
        problems.add(path, "database", problem)
    elif table is not None and db_path.suffix not in (".sqlite", ".db"):
        problems.add(path, "table", "is only meaningful for a SQLite database")
    else:
        with problems.collecting():
            check_inside(path, "database", db_path, allow_outside)
            if not db_path.exists():
                fail(path, "database", f"file not found: {db_path}")
    problems.raise_if_any()

    slots = Slots(informable, system_requestable, requestable, booking, name_slot)
    entities = read_database(db_path, slots, table, limits)
    source = source or str(path)
    try:
        domain = Domain(
            name=name,
            informable=informable,
            system_requestable=system_requestable,
            requestable=requestable,
            entities=entities,
            booking=booking,
            name_slot=name_slot,
            synonyms=synonyms,
            slot_synonyms=slot_synonyms,
            source=source,
            entity_type=entity_type.strip(),
            phrases=phrases,
        )
        if phrases:  # a domain's own fields and its base must make a whole bank
            phrase_bank(domain)
        return domain
    except DomainError as err:  # a check the loader missed: still the file, not the source
        own_file = str(path)
        raise DomainError(
            *(problem.replace(source, own_file, 1) for problem in err.problems), more=err.more
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
        columns = list(columns)
        excess = len(columns) - len(self.known) - 1  # the slots and the id column
        if excess > MAX_REPORTED_PROBLEMS:  # not worth a problem per column
            problem = f"has {len(columns)} columns, {excess} more than the slots and {ID_COLUMN!r}"
            problems.add(where, field, problem)
            return
        seen: set[str] = set()
        for column in columns:
            if column in seen:
                problems.add(where, field, f"column {excerpt(column)} appears twice")
            seen.add(column)
            if column not in self.known and column != ID_COLUMN:
                problems.add(
                    where, field, f"column {excerpt(column)} is not a slot of the ontology"
                )
        for slot in self.required:
            if slot not in seen:
                problem = f"lacks column {excerpt(slot)} (every requestable slot needs one)"
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
                    fail(where, here, f"value {excerpt(value)} is not in informable.{slot}")
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
                problem = f"duplicate name {excerpt(name)} (also row {first_row[name]})"
                problems.add(where, f"row {row}.{self.name_slot}", problem)
            else:
                first_row[name] = row


def read_database(
    path: Path, slots: Slots, table: str | None = None, limits: DomainLimits = DEFAULT_LIMITS
) -> tuple[dict[str, str], ...]:
    """Read and check a database file by its suffix.

    Args:
        path: A ``.csv``, ``.json``, ``.sqlite`` or ``.db`` file.
        slots: The ontology's slots.
        table: For SQLite, the table to read (default: the only table).
        limits: Bounds on the file's size, its rows and its values.

    Returns:
        The entities, in file order.

    Raises:
        DomainError: The database is malformed, over a limit, or does not fit the ontology:
            every problem in its columns or, when they are sound, in its rows.
    """
    problems = Problems()
    if path.suffix == ".csv":
        entities = _read_csv(path, slots, problems, limits)
    elif path.suffix == ".json":
        entities = _read_json(path, slots, problems, limits)
    else:
        entities = _read_sqlite(path, slots, table, problems, limits)
    slots.check_entities(path, entities, problems)
    problems.raise_if_any()
    return tuple(entities)


def _check_rows(path: Path, rows: int, limits: DomainLimits) -> None:
    """Refuse a database with more entities than ``limits.max_rows``."""
    if rows > limits.max_rows:
        fail(path, "rows", f"holds more than the limit of {limits.max_rows} entities")


def _read_csv(
    path: Path, slots: Slots, problems: Problems, limits: DomainLimits
) -> list[dict[str, str]]:
    """Read a CSV database whose header row names the slots (quoted fields may span lines)."""
    reader = csv.reader(io.StringIO(read_text(path, limits), newline=""))
    rows: list[list[str]] = []
    try:
        for fields in reader:
            if not fields:  # a blank line
                continue
            for value in fields:
                if len(value) > limits.max_value_chars:
                    fail(
                        path,
                        f"line {reader.line_num}",
                        f"a value of {len(value)} characters "
                        f"is over the limit of {limits.max_value_chars} ({excerpt(value)})",
                    )
            rows.append(fields)
            _check_rows(path, len(rows) - 1, limits)
    except csv.Error as err:
        fail(path, f"line {reader.line_num}", f"not valid CSV: {err}")
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


def _read_json(
    path: Path, slots: Slots, problems: Problems, limits: DomainLimits
) -> list[dict[str, str]]:
    """Read a JSON database: a list of objects slot -> value."""
    data = parse_json(path, read_text(path, limits), limits)
    if not isinstance(data, list):
        fail(path, None, f"the top level must be a list of objects, not {_kind(data)}")
    _check_rows(path, len(data), limits)
    entities: list[dict[str, str]] = []
    for row, item in enumerate(data, start=1):
        if not isinstance(item, Mapping):
            problems.add(path, f"row {row}", f"must be an object slot -> value, not {_kind(item)}")
            entities.append({})
            continue
        slots.check_columns(path, f"row {row}", item, problems)
        entities.append(slots.entity(path, row, item, problems))
    return entities


def read_sqlite_table(
    path: Path, table: str | None, limits: DomainLimits = DEFAULT_LIMITS
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Read every row of one table of a SQLite file, opened read-only and immutable.

    The file is opened with ``mode=ro&immutable=1``: nothing is written beside it (no
    ``-wal`` or ``-shm`` file, even for a database in WAL mode) and no lock is taken. Only
    stored values are read: a table with generated columns (computed on reading, so an 8 KB
    file could produce gigabytes) or a virtual table is refused, and so is a value longer than
    ``limits.max_value_chars``.

    Args:
        path: The SQLite file.
        table: The table to read; ``None`` reads the only table.
        limits: Bounds on the file's size, its rows and its values.

    Returns:
        The column names and the rows, in ``rowid`` order.

    Raises:
        DomainError: Not a SQLite database, no such table, not exactly one table, a generated
            column or a virtual table, or a limit exceeded.
    """
    check_file(path, limits)
    uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
    try:
        connection = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as err:
        fail(path, None, f"cannot be opened as a SQLite database ({err})")
    # any value longer than this fails inside SQLite, before Python holds it
    if sys.version_info >= (3, 11):
        connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 4 * limits.max_value_chars + 64)
    connection.execute("PRAGMA trusted_schema = OFF")  # no function of the file's schema runs
    try:
        try:
            schema = dict(
                connection.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%' ORDER BY name"
                ).fetchall()
            )
        except sqlite3.Error as err:
            fail(path, None, f"not a SQLite database ({err})")
        tables = [str(name) for name in schema]
        listed = ", ".join(excerpt(name) for name in tables[:10]) or "none"
        if table is None:
            if len(tables) != 1:
                problem = (
                    f"expected one table, found {listed}; name it with the ontology's table key"
                )
                fail(path, "table", problem)
            table = tables[0]
        elif table not in schema:
            fail(path, "table", f"no table {excerpt(table)} (tables: {listed})")
        here = f"table {excerpt(table)}"
        if str(schema[table] or "").lstrip().upper().startswith("CREATE VIRTUAL"):
            fail(path, here, "is a virtual table; only a plain table of stored values is read")
        quoted = '"' + table.replace('"', '""') + '"'
        generated = [
            str(column[1])
            for column in connection.execute(f"PRAGMA table_xinfo({quoted})")
            if column[6] != 0  # hidden: 2 a virtual, 3 a stored generated column
        ]
        if generated:
            names = ", ".join(excerpt(name) for name in generated[:10])
            fail(path, here, f"has generated columns ({names}); only stored values are read")
        (count,) = connection.execute(f"SELECT count(*) FROM {quoted}").fetchone()  # noqa: S608
        _check_rows(path, count, limits)
        try:
            cursor = connection.execute(f"SELECT * FROM {quoted} ORDER BY rowid")  # noqa: S608
        except sqlite3.OperationalError:  # a WITHOUT ROWID table
            cursor = connection.execute(f"SELECT * FROM {quoted}")  # noqa: S608
        columns = [str(description[0]) for description in cursor.description]
        try:
            rows = cursor.fetchall()
        except sqlite3.Error as err:
            fail(path, here, f"cannot be read ({err})")
        for row, values in enumerate(rows, start=1):
            for column, value in zip(columns, values, strict=True):
                if isinstance(value, (str, bytes)) and len(value) > limits.max_value_chars:
                    fail(
                        path,
                        f"row {row}.{column}",
                        f"a value of {len(value)} characters is "
                        f"over the limit of {limits.max_value_chars}",
                    )
        return columns, rows
    except sqlite3.Error as err:
        fail(path, None, f"not a readable SQLite database ({err})")
    finally:
        connection.close()


def _read_sqlite(
    path: Path, slots: Slots, table: str | None, problems: Problems, limits: DomainLimits
) -> list[dict[str, str]]:
    """Read a SQLite database table whose columns are slots."""
    columns, rows = read_sqlite_table(path, table, limits)
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
        return f"a string ({excerpt(value)})"
    return f"a {type(value).__name__} ({excerpt(value)})"
