"""Phrase banks: what the template generator says, as data a domain can bring or override.

A bank is a mapping of sections (``user``, ``system``, ``booking``, ``search``, ``constraint``,
``yes_no``) to fields; a field holds phrasings: a list of strings (``rows``), a mapping slot ->
list (a ``table``, whose ``""`` row serves any slot without a row of its own and whose ``yes/no``
row serves slots valued ``yes``/``no``), or a mapping act type -> list (``acts``). Phrasings are
`str.format` templates whose placeholders (``{value}``, ``{slot}``...) each field names in
`FIELDS`. The format is documented in ``FORMAT.md`` ("Phrase banks").

The package ships two banks (``data/phrases/``): ``neutral``, complete, for any domain, and
``restaurant``, which overrides what only suits restaurants (``a table for 4``, ``where would
you like to dine?``) and adds the restaurant noun phrase (``cheap thai food in the north``,
section ``search``). A domain uses ``restaurant`` when its entity type is ``restaurant``, else
``neutral``; its file may name another base and override any field (`Domain.phrases`).

Banks from domain files are untrusted: fields, act types, placeholders (bare names only: no
attribute, index, conversion or format spec) and sizes are checked, and a problem is one
`DomainError` line naming the file and the field.

>>> from dialogym.domains import load_domain
>>> bank = phrase_bank(load_domain("restaurant"))
>>> bank.rows("user", "want")[0], bank.name
('I want {constraints}.', 'restaurant')
"""

from __future__ import annotations

import functools
import json
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dialogym.domains.domain import (
    EXCERPT_CHARS,
    DomainError,
    Problems,
    excerpt,
    problem_line,
    shorten,
)

if TYPE_CHECKING:
    from dialogym.domains.domain import Domain

BANK_DIR = Path(__file__).resolve().parent / "data" / "phrases"
"""Where the package's banks live, one ``NAME.json`` each."""

BASES = ("neutral", "restaurant")
"""The package's banks, which a domain's own bank may name as its ``base``."""

GENERIC = ""
"""The row of a table that serves every slot without a row of its own."""

YES_NO = "yes/no"
"""The row of a table that serves slots whose values are exactly ``yes`` and ``no``."""

YES_NO_VALUES = frozenset(("yes", "no"))

MAX_ROWS = 200
"""Most phrasings in one list."""
MAX_ROW_CHARS = 300
"""Most characters in one phrasing."""
MAX_KEYS = 500
"""Most rows (slots, act types) in one table."""


@dataclass(frozen=True)
class Field:
    """What one field of a bank holds.

    Attributes:
        kind: ``rows``, ``table``, ``acts`` (keys are act types) or ``roles`` (role -> slot).
        allowed: Placeholders its phrasings may use.
        required: Placeholders every phrasing must use (the words the NLU reads back).
        keys: For ``acts`` and ``roles``, the keys allowed.
    """

    kind: str
    allowed: frozenset[str] = frozenset()
    required: frozenset[str] = frozenset()
    keys: frozenset[str] = frozenset()


def _field(kind: str, allowed: str = "", required: str = "", keys: str = "") -> Field:
    return Field(
        kind, frozenset(allowed.split()), frozenset(required.split()), frozenset(keys.split())
    )


_USER_ACTS = "hello affirm negate reqalts book thankyou ack repeat bye null"
FIELDS: dict[str, dict[str, Field]] = {
    "user": {
        "inform": _field("table", "slot value", "value"),
        "dontcare": _field("rows", "slot", "slot"),
        "dontcare_slotless": _field("rows"),
        "not_any": _field("rows", "slot", "slot"),
        "deny": _field("table", "slot value", "value"),
        "confirm": _field("table", "slot value", "value"),
        "request": _field("rows", "slot", "slot"),
        "requests": _field("rows", "slots", "slots"),
        "acts": _field("acts", keys=_USER_ACTS),
        "openers": _field("rows"),
        "leads": _field("acts", keys="hello affirm negate ack"),
        "want": _field("rows", "constraints", "constraints"),
        "want_type": _field("rows", "value", "value"),
        "alternative": _field("rows", "constraints", "constraints"),
        "replace": _field("table", "slot denied wanted", "denied wanted"),
        "book": _field("rows", "details", "details"),
        "details": _field("rows", "details", "details"),
    },
    "booking": {
        "detail": _field("table", "slot value", "value"),
        "detail_one": _field("table", "slot value", "value"),
    },
    "constraint": {
        "phrase": _field("table", "slot value", "value"),
    },
    "yes_no": {
        "yes": _field("rows", "slot", "slot"),
        "no": _field("rows", "slot", "slot"),
    },
    "search": {
        "slots": _field("roles", keys="kind price where"),
        "dish": _field("rows", "kind", "kind"),
        "priced_dish": _field("rows", "kind price", "kind price"),
        "place": _field("rows", "where", "where"),
        "priced_place": _field("rows", "price where", "price where"),
        "serving": _field("rows", "dish", "dish"),
        "offer": _field("rows", "name dish place", "name dish place"),
        "system_dish": _field("rows", "kind", "kind"),
        "system_priced_dish": _field("rows", "kind price", "kind price"),
    },
    "system": {
        "request": _field("table", "slot"),
        "fact": _field("table", "slot value", "value"),
        "name": _field("rows", "value", "value"),
        "named_fact": _field("table", "name slot value", "name value"),
        "named": _field("rows", "value", "value"),
        "confirm": _field("table", "slot value", "value"),
        "confirm_dontcare": _field("rows", "slot"),
        "offer": _field("rows", "value", "value"),
        "offer_facts": _field("rows", "name facts", "name facts"),
        "select": _field("rows", "options", "options"),
        "nomatch": _field("rows", "parts", "parts"),
        "book": _field("rows", "parts", "parts"),
        "book_failed": _field("rows"),
        "acts": _field("acts", keys="hello reqmore bye null"),
        "openers": _field("rows"),
    },
}
"""Every section and field a bank may hold. A complete bank (``neutral``) holds them all but
``search`` (a bank without it says constraints one by one, with ``constraint.phrase``)."""

OPTIONAL_SECTIONS = frozenset(("search",))

Rows = tuple[str, ...]


class PhraseBank:
    """A complete bank, ready to be read by the generator and the NLU.

    Args:
        data: Section -> field -> phrasings, as checked by `check_bank` (complete).
        name: Which bank this is (for messages and reports): ``neutral``, ``restaurant``, or
            the base followed by ``+`` and the domain's source for a domain's own bank.
    """

    def __init__(self, data: Mapping[str, Mapping[str, Any]], name: str) -> None:
        self.name = name
        self._data = data

    def rows(self, section: str, field: str) -> Rows:
        """A field of kind ``rows``."""
        return self._data[section][field]  # type: ignore[no-any-return]

    def table(self, section: str, field: str) -> Mapping[str, Rows]:
        """A field of kind ``table`` or ``acts``."""
        return self._data[section][field]  # type: ignore[no-any-return]

    def roles(self, section: str, field: str) -> Mapping[str, str]:
        """A field of kind ``roles`` (role -> slot)."""
        return self._data[section][field]  # type: ignore[no-any-return]

    def has(self, section: str) -> bool:
        """Whether the bank holds an optional section (``search``)."""
        return section in self._data

    def yes_no(self, slot_words: str, value: str) -> Rows:
        """How a yes/no slot's value is said (``with wifi``), the first the way it is said."""
        return tuple(row.format(slot=slot_words) for row in self.rows("yes_no", value))


def yes_no_slots(domain: Domain) -> frozenset[str]:
    """The informable and booking slots whose values are exactly ``yes`` and ``no``."""
    values = {**domain.informable, **domain.booking}
    return frozenset(
        slot for slot, slot_values in values.items() if set(slot_values) == YES_NO_VALUES
    )


def phrase_bank(domain: Domain | None) -> PhraseBank:
    """The bank a domain speaks with: its base (`base_name`) overridden by its own fields.

    ``None`` (no domain): the neutral bank.
    """
    if domain is None:
        return _package_bank("neutral")
    own = dict(domain.phrases)
    base = str(own.pop("base", "") or base_name(domain))
    bank = _package_bank(base)
    if not own:
        return bank
    data = merged(bank._data, own)
    problems = Problems()
    _check_complete(domain.source, data, "phrases", problems)
    problems.raise_if_any()
    return PhraseBank(data, f"{base}+{domain.source}")


def base_name(domain: Domain) -> str:
    """The package bank a domain starts from: ``restaurant`` for restaurants, else ``neutral``."""
    return "restaurant" if (domain.entity_type or domain.name) == "restaurant" else "neutral"


def merged(base: Mapping[str, Mapping[str, Any]], own: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``own``'s fields in place of its own; a table's rows replace row by row."""
    result: dict[str, Any] = {section: dict(fields) for section, fields in base.items()}
    for section, fields in own.items():
        target = result.setdefault(section, {})
        for name, value in fields.items():
            if FIELDS[section][name].kind == "rows" or name not in target:
                target[name] = value
            else:
                target[name] = {**target[name], **value}
    return result


@functools.lru_cache(maxsize=len(BASES))
def _package_bank(name: str) -> PhraseBank:
    """A bank of the package; ``restaurant`` is the neutral bank with its own fields in place."""
    path = BANK_DIR / f"{name}.json"
    data = check_bank(
        path, json.loads(path.read_text(encoding="utf-8")), complete=name == "neutral"
    )
    if name != "neutral":
        data = merged(_package_bank("neutral")._data, data)
    return PhraseBank(data, name)


def check_bank(
    where: str | Path, raw: object, complete: bool = False, field: str = "phrases"
) -> dict[str, Any]:
    """A bank read from a file, checked and made immutable (lists become tuples).

    Args:
        where: The file, for messages.
        raw: The parsed bank: a mapping of sections.
        complete: Every field of every section but the optional ones must be present.
        field: Where the bank sits in its file, for messages (``phrases`` in a domain file).

    Returns:
        Section -> field -> phrasings (a domain's bank may also hold ``base``).

    Raises:
        DomainError: Every problem found, one per line of the message, naming file and field.
    """
    problems = Problems()
    if not isinstance(raw, Mapping):
        problems.add(where, field, f"must be a mapping of sections, not {type(raw).__name__}")
        problems.raise_if_any()
    assert isinstance(raw, Mapping)
    bank: dict[str, Any] = {}
    for section, fields in raw.items():
        at = _at(field, _key(section))
        if section == "about":  # a note on the bank, for its readers
            if not isinstance(fields, str) or len(fields) > MAX_ROW_CHARS * 10:
                problems.add(where, at, "must be a short text")
            continue
        if section == "base" and not complete:
            if fields not in BASES:
                problems.add(where, at, f"must be one of {', '.join(BASES)}, not {excerpt(fields)}")
            else:
                bank["base"] = fields
            continue
        if not isinstance(section, str) or section not in FIELDS:
            known = ", ".join(("about", "base", *FIELDS) if not complete else ("about", *FIELDS))
            problems.add(where, at, f"unknown section (known: {known})")
            continue
        if not isinstance(fields, Mapping):
            problems.add(where, at, "must be a mapping of fields")
            continue
        bank[section] = {}
        for name, value in fields.items():
            spec = FIELDS[section].get(name) if isinstance(name, str) else None
            if spec is None:
                known = ", ".join(FIELDS[section])
                problems.add(where, f"{at}.{_key(name)}", f"unknown field (known: {known})")
                continue
            with problems.collecting():
                bank[section][name] = _checked(where, f"{at}.{name}", spec, value)
    if complete:
        _check_complete(where, bank, field, problems)
    problems.raise_if_any()
    return bank


def _check_complete(
    where: str | Path, bank: Mapping[str, Any], field: str, problems: Problems
) -> None:
    """Record every field a complete bank lacks.

    An optional section is all or nothing; an ``acts`` field needs every act type.
    """
    for section, fields in FIELDS.items():
        if section in OPTIONAL_SECTIONS and section not in bank:
            continue
        for name, spec in fields.items():
            value = bank.get(section, {}).get(name)
            if value is None:
                problems.add(where, _at(field, f"{section}.{name}"), "missing")
            elif spec.kind == "acts" and set(value) != spec.keys:
                lacking = ", ".join(sorted(spec.keys - set(value)))
                problems.add(where, _at(field, f"{section}.{name}"), f"lacks {lacking}")


def _key(key: object) -> str:
    """A key read from a file as it is shown in a field's path: bounded, a string unquoted."""
    return shorten(key, EXCERPT_CHARS) if isinstance(key, str) else excerpt(key)


def _at(field: str, name: str) -> str:
    """``field.name``, or ``name`` for a bank that is a file of its own (``field`` empty)."""
    return f"{field}.{name}" if field else name


def _fail(where: str | Path, at: str, problem: str) -> DomainError:
    return DomainError(problem_line(where, at, problem))


def _checked(where: str | Path, at: str, spec: Field, value: object) -> Any:
    """One field's value, checked against its spec; raises `DomainError` for its first problem."""
    if spec.kind == "rows":
        return _rows(where, at, spec, value)
    if not isinstance(value, Mapping):
        raise _fail(where, at, f"must be a mapping, not {type(value).__name__}")
    if len(value) > MAX_KEYS:
        raise _fail(where, at, f"has {len(value)} keys; at most {MAX_KEYS}")
    checked: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str) or len(key) > MAX_ROW_CHARS:
            raise _fail(where, f"{at}.{_key(key)}", "a key must be a short string")
        if spec.keys and key not in spec.keys:
            known = ", ".join(sorted(spec.keys))
            raise _fail(where, f"{at}.{_key(key)}", f"unknown key (known: {known})")
        if spec.kind == "roles":
            if not isinstance(item, str) or not item.strip() or len(item) > MAX_ROW_CHARS:
                raise _fail(where, f"{at}.{key}", "must name a slot")
            checked[key] = item
        else:
            checked[key] = _rows(where, f"{at}.{key}", spec, item)
    if spec.kind == "roles" and set(checked) != spec.keys:
        raise _fail(where, at, f"must name a slot for each of {', '.join(sorted(spec.keys))}")
    return checked


def _rows(where: str | Path, at: str, spec: Field, value: object) -> Rows:
    """A non-empty list of phrasings whose placeholders the field allows and requires."""
    if not isinstance(value, list) or not value:
        raise _fail(where, at, "must be a non-empty list of phrasings")
    if len(value) > MAX_ROWS:
        raise _fail(where, at, f"has {len(value)} phrasings; at most {MAX_ROWS}")
    for index, row in enumerate(value):
        if not isinstance(row, str) or not row.strip():
            raise _fail(where, f"{at}[{index}]", "must be a non-empty string")
        if len(row) > MAX_ROW_CHARS:
            raise _fail(
                where, f"{at}[{index}]", f"has {len(row)} characters; at most {MAX_ROW_CHARS}"
            )
        problem = _placeholder_problem(row, spec)
        if problem:
            raise _fail(where, f"{at}[{index}]", f"{excerpt(row)}: {problem}")
    return tuple(value)


def _placeholder_problem(row: str, spec: Field) -> str:
    """What is wrong with a phrasing's placeholders, or ``""``."""
    try:
        parsed = list(string.Formatter().parse(row))
    except ValueError as err:
        return f"not a template ({err}); write braces as {{{{ and }}}}"
    used: set[str] = set()
    for _, name, format_spec, conversion in parsed:
        if name is None:
            continue
        if format_spec or conversion:
            return f"placeholder {{{name}}} may not have a conversion or format"
        if name not in spec.allowed:
            allowed = ", ".join(f"{{{n}}}" for n in sorted(spec.allowed)) or "none"
            return f"unknown placeholder {{{excerpt(name)}}} (allowed: {allowed})"
        used.add(name)
    missing = spec.required - used
    if missing:
        return "must say " + ", ".join(f"{{{n}}}" for n in sorted(missing))
    return ""
