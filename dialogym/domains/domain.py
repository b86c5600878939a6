"""The `Domain`: an ontology plus a database of entities, and a fast index over it.

A domain says what a user may talk about (slots and their values) and what exists (entities).
It holds no dialogue logic: simulators, trackers and environments read it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

DONTCARE = "dontcare"
"""The value a user gives for a constraint they have no preference on."""

TYPE_SLOT = "request_type"
"""The slot of what the user is looking for (``inform(request_type=restaurant)``, PyDial's
``inform(type=restaurant)``): never a slot of the ontology, so it never clashes with one, and
carries the domain's `Domain.entity_type`."""

NOT_AVAILABLE = "not available"
"""The value of a slot an entity has no value for (PyDial's own word for a missing detail).

An entity may hold it even for a system-requestable slot, as PyDial's SFRestaurants does
(``near``, ``food``, ``allowedforkids``); it is never an informable value, so no user
constraint but ``dontcare`` matches it and no goal is drawn with it.
"""

RESERVED_VALUES = (DONTCARE, NOT_AVAILABLE)
"""Words that may not be listed as informable values."""

MAX_REPORTED_PROBLEMS = 20
"""How many problems one :class:`DomainError` spells out; the rest are counted."""

MAX_KEPT_PROBLEMS = 1000
"""How many problems :class:`Problems` keeps; the rest are counted (a hostile file with a
million bad columns costs no more memory than one with a thousand)."""

EXCERPT_CHARS = 40
"""How many characters of a value read from a file an error message quotes."""

MAX_FIELD_CHARS = 80
"""How many characters of a field (``informable.SLOT``) an error message shows."""

MAX_PROBLEM_CHARS = 400
"""How many characters of one problem an error message shows."""


class DomainError(ValueError):
    """A domain file or definition is malformed; the message names the file and the field.

    A loader reports every problem it finds in one pass: the one-line message lists the first
    :data:`MAX_REPORTED_PROBLEMS`, separated by ``"; "``, and says how many more there are.

    Args:
        problems: One line per problem, each ``FILE: FIELD: problem``.
        more: How many further problems were found but not kept (see
            :data:`MAX_KEPT_PROBLEMS`).

    Attributes:
        problems: The problems kept, in the order found.
        more: The further problems found, counted only.
    """

    def __init__(self, *problems: str, more: int = 0) -> None:
        self.problems = problems
        self.more = more
        shown = "; ".join(problems[:MAX_REPORTED_PROBLEMS])
        hidden = max(len(problems) - MAX_REPORTED_PROBLEMS, 0) + more
        super().__init__(f"{shown}; and {hidden} more problems" if hidden > 0 else shown)

    def __reduce__(self) -> tuple[Any, tuple[str, ...]]:
        return functools.partial(type(self), more=self.more), self.problems


def shorten(text: str, limit: int) -> str:
    """Cut a text to at most ``limit`` characters, ending a cut text with ``…``.

    >>> shorten("a long line", 6)
    'a lon…'
    """
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def excerpt(value: object) -> str:
    """Quote a value read from a file for an error message, bounded in length.

    A string is quoted with at most :data:`EXCERPT_CHARS` of its characters (``…`` marks a
    cut); a container is described by its type and size, never spelled out, so that a huge or
    self-referential structure (a YAML alias bomb) costs nothing to report.

    Args:
        value: The value as parsed.

    Returns:
        A short, single-line description.

    >>> excerpt("x" * 50)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'"
    >>> excerpt([1, 2])
    'a list of 2 items'
    """
    if isinstance(value, str):
        return repr(shorten(value, EXCERPT_CHARS))
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        if value.bit_length() > 4 * EXCERPT_CHARS:  # repr of a huge int is slow or refused
            return f"an integer of about {int(value.bit_length() * 0.30103)} digits"
        return shorten(repr(value), EXCERPT_CHARS)
    if isinstance(value, Mapping):
        return f"a mapping of {len(value)} keys"
    if isinstance(value, (list, tuple, set, frozenset)):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"a {type(value).__name__}"


def problem_line(where: str | os.PathLike[str], field: str | None, problem: str) -> str:
    """Format one problem as a single line ``WHERE: FIELD: problem``, bounded in length.

    Args:
        where: The file (or source) the problem is in.
        field: The field, row or line it is at; ``None`` for the whole file. At most
            :data:`MAX_FIELD_CHARS` of it are shown.
        problem: What is wrong; newlines are folded into spaces, and at most
            :data:`MAX_PROBLEM_CHARS` of it are shown.

    Returns:
        The line.
    """
    problem = shorten(" ".join(str(problem).split()), MAX_PROBLEM_CHARS)
    field = shorten(" ".join(field.split()), MAX_FIELD_CHARS) if field else None
    return f"{os.fspath(where)}: " + (f"{field}: " if field else "") + problem


class Problems:
    """The problems found while checking a domain, raised together as one :class:`DomainError`.

    A loader records every problem it can find and calls :meth:`raise_if_any` where it cannot
    go on (or at the end), so that a user fixes a file in one pass, not one error per run.

    >>> problems = Problems()
    >>> problems.add("cafes.csv", "row 2.area", "value 'uptown' is not in informable.area")
    >>> with problems.collecting():
    ...     raise DomainError("cafes.csv: row 5.name: empty value")
    >>> len(problems)
    2
    """

    def __init__(self) -> None:
        self._found: list[str] = []
        self._more = 0

    def __len__(self) -> int:
        return len(self._found) + self._more

    def _keep(self, problems: Iterable[str], more: int = 0) -> None:
        """Keep problems up to :data:`MAX_KEPT_PROBLEMS`, and count the rest."""
        for problem in problems:
            if len(self._found) < MAX_KEPT_PROBLEMS:
                self._found.append(problem)
            else:
                self._more += 1
        self._more += more

    def add(self, where: str | os.PathLike[str], field: str | None, problem: str) -> None:
        """Record one problem (see :func:`problem_line` for the arguments)."""
        self._keep((problem_line(where, field, problem),))

    @contextmanager
    def collecting(self) -> Iterator[None]:
        """Record the problems of a :class:`DomainError` raised inside the block, and go on."""
        try:
            yield
        except DomainError as err:
            self._keep(err.problems, err.more)

    def raise_if_any(self) -> None:
        """Raise every problem recorded so far as one :class:`DomainError`, if there is one.

        Raises:
            DomainError: At least one problem was recorded.
        """
        if self._found:
            raise DomainError(*self._found, more=self._more) from None


@dataclass(frozen=True)
class Domain:
    """An ontology and a database of entities for one task-oriented dialogue domain.

    Attributes:
        name: Short identifier of the domain, e.g. ``"restaurant"``.
        informable: Slot to the tuple of values a user may inform, for every slot a user can
            constrain (the system-requestable slots at least). These are the values goals are
            drawn from: they never contain :data:`DONTCARE` or :data:`NOT_AVAILABLE`.
        system_requestable: Slots the system may ask for, confirm or select; user goals draw
            their constraints from these.
        requestable: Slots a user may ask about an entity (always includes ``name_slot``).
        booking: Booking slot to its values (e.g. ``people``, ``day``, ``time``); empty when the
            domain has no booking.
        entities: The database: one mapping slot to value per entity. Every entity has a value
            for every system-requestable and every requestable slot: for a system-requestable
            slot one of ``informable[slot]`` or :data:`NOT_AVAILABLE`. Names need not be unique
            (PyDial's SFRestaurants lists a restaurant once for lunch and once for dinner); the
            native file formats require them to be.
        name_slot: The slot that names an entity.
        synonyms: Slot to value to other surface forms of that value (used by the NLU).
        slot_synonyms: Slot to other ways of naming the slot (``food``: ``cuisine``, ``kind of
            food``), read by the NLU besides the slot's own words.
        source: Where the domain came from (a path or ``builtin:NAME``), for error messages.
        entity_type: What one entity is (``restaurant``, ``laptop``), the user's first words
            (PyDial's ``type``); empty: the domain's name.
        phrases: The domain's own phrase bank (checked by `dialogym.domains.phrases.check_bank`):
            fields that replace those of its base bank, and optionally ``base``; empty: the
            package bank for its entity type (`dialogym.domains.phrases.phrase_bank`).

    Raises:
        DomainError: The ontology and the database do not fit together; every problem found is
            listed.
    """

    name: str
    informable: Mapping[str, tuple[str, ...]]
    system_requestable: tuple[str, ...]
    requestable: tuple[str, ...]
    entities: tuple[Mapping[str, str], ...]
    booking: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    name_slot: str = "name"
    synonyms: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    slot_synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    source: str = "<memory>"
    entity_type: str = ""
    phrases: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Check the cross-references between ontology and database, reporting all problems."""
        problems = Problems()
        where = self.source
        if not self.name:
            problems.add(where, "name", "must be a non-empty string")
        if not self.system_requestable:
            problems.add(where, "system_requestable", "must list at least one slot")
        for slot in self.system_requestable:
            if slot not in self.informable:
                problems.add(where, "system_requestable", f"slot {excerpt(slot)} is not informable")
        for slot, values in self.informable.items():
            if not values:
                problems.add(where, f"informable.{slot}", "has no values")
            for reserved in RESERVED_VALUES:
                if reserved in values:
                    problems.add(
                        where, f"informable.{slot}", f"{reserved!r} is reserved and not a value"
                    )
        if self.name_slot not in self.requestable:
            problems.add(
                where, "requestable", f"must include the name slot {excerpt(self.name_slot)}"
            )
        for slot, values in self.booking.items():
            if not values:
                problems.add(where, f"booking.{slot}", "has no values")
            if slot in self.informable:
                problems.add(where, f"booking.{slot}", "is also an informable slot")
        slots = {*self.informable, *self.requestable, *self.booking}
        for slot in self.slot_synonyms:
            if slot not in slots:
                problems.add(where, f"slot_synonyms.{slot}", "is not a slot of the domain")
        if not self.entities:
            problems.add(where, "entities", "the database holds no entity")
        problems.raise_if_any()  # the entity checks below rely on the ontology being sound
        needed = set(self.system_requestable) | set(self.requestable)
        allowed = {
            slot: {*self.informable[slot], NOT_AVAILABLE} for slot in self.system_requestable
        }
        for row, entity in enumerate(self.entities):
            missing = needed - entity.keys()
            if missing:
                problems.add(where, f"entities[{row}]", f"lacks slots {sorted(missing)}")
                continue
            for slot in self.system_requestable:
                if entity[slot] not in allowed[slot]:
                    problems.add(
                        where,
                        f"entities[{row}].{slot}",
                        f"value {excerpt(entity[slot])} is not in the ontology's values for {excerpt(slot)}",
                    )
        problems.raise_if_any()

    @property
    def booking_slots(self) -> tuple[str, ...]:
        """The booking slots in a fixed order."""
        return tuple(self.booking)

    def __repr__(self) -> str:
        return (
            f"Domain(name={self.name!r}, system_requestable={self.system_requestable}, "
            f"requestable={len(self.requestable)} slots, booking={self.booking_slots}, "
            f"entities={len(self.entities)}, source={self.source!r})"
        )


class Database:
    """Constraint queries over a domain's entities, answered with integer bitsets.

    Each (slot, value) pair of the system-requestable slots maps to a Python ``int`` whose bit
    ``i`` is set when entity ``i`` has that value, so a query is a handful of ``&`` operations.
    Entities whose value is :data:`NOT_AVAILABLE` sit in a bitset of their own that no query
    reaches: only ``dontcare`` matches them, as in PyDial, whose goals never ask for the word.

    >>> from dialogym.domains import load_domain
    >>> db = Database(load_domain("restaurant"))
    >>> matches = db.match({"food": "italian", "area": "dontcare"})
    >>> db.count(matches) == len(db.indices(matches)) > 0
    True
    """

    def __init__(self, domain: Domain) -> None:
        self.domain = domain
        self.entities = domain.entities
        self.all_entities = (1 << len(domain.entities)) - 1
        self._bits: dict[str, dict[str, int]] = {
            slot: dict.fromkeys(domain.informable[slot], 0) for slot in domain.system_requestable
        }
        self._unavailable = dict.fromkeys(domain.system_requestable, 0)
        self._by_name: dict[str, int] = {}
        self._first_by_name: dict[str, int] = {}
        for index, entity in enumerate(domain.entities):
            bit = 1 << index
            for slot in domain.system_requestable:
                value = entity[slot]
                if value == NOT_AVAILABLE:
                    self._unavailable[slot] |= bit
                else:
                    self._bits[slot][value] |= bit
            name = entity[domain.name_slot]
            self._first_by_name.setdefault(name, index)
            self._by_name[name] = self._by_name.get(name, 0) | bit

    def index_of(self, name: str | None) -> int:
        """Index of the first entity called ``name``, or -1 if there is none.

        Names are unique in native domains; a PyDial database may list one name several times
        (see :meth:`named`).
        """
        return self._first_by_name.get(name, -1) if name is not None else -1

    def named(self, name: str | None) -> int:
        """The bitset of every entity called ``name`` (0 if there is none).

        PyDial judges an offered name by whether *some* entity of that name meets the user's
        constraints: ``database.match(constraints) & database.named(name)``.
        """
        return self._by_name.get(name, 0) if name is not None else 0

    def match(self, constraints: Mapping[str, str]) -> int:
        """Return the bitset of entities satisfying every constraint (``dontcare`` matches all).

        Slots that are not system-requestable and unknown values (:data:`NOT_AVAILABLE`
        among them) match nothing.
        """
        result = self.all_entities
        bits = self._bits
        for slot, value in constraints.items():
            if value == DONTCARE:
                continue
            slot_bits = bits.get(slot)
            result &= slot_bits.get(value, 0) if slot_bits is not None else 0
        return result

    def values_among(self, slot: str, matches: int) -> list[str]:
        """The values of a system-requestable ``slot`` that the entities in ``matches`` hold.

        In ontology order, with :data:`NOT_AVAILABLE` last when one of them lacks a value; two
        or more values mean that asking for ``slot`` would tell the entities apart.
        """
        found = [value for value, bits in self._bits[slot].items() if bits & matches]
        if self._unavailable[slot] & matches:
            found.append(NOT_AVAILABLE)
        return found

    def value_counts(self, slot: str, matches: int) -> list[int]:
        """How many entities in ``matches`` hold each value of a system-requestable ``slot``.

        One count per value that some of them hold (:data:`NOT_AVAILABLE` counting as a value),
        in no particular order: what a question about ``slot`` could split them into.
        """
        counts = [(bits & matches).bit_count() for bits in self._bits[slot].values()]
        counts.append((self._unavailable[slot] & matches).bit_count())
        return [count for count in counts if count]

    def values_with_matches(self, constraints: Mapping[str, str], slot: str) -> list[str]:
        """Values of ``slot`` that, replacing its current constraint, leave some entity matching.

        Only informable values: never :data:`NOT_AVAILABLE`.
        """
        others = self.match({s: v for s, v in constraints.items() if s != slot})
        return [value for value in self.values_among(slot, others) if value != NOT_AVAILABLE]

    @staticmethod
    def count(matches: int) -> int:
        """Number of entities in a bitset."""
        return matches.bit_count()

    @staticmethod
    def first(matches: int, excluding: int = 0) -> int:
        """Index of the first entity in ``matches`` not in ``excluding``, or -1 if none."""
        remaining = matches & ~excluding
        if not remaining:
            return -1
        return (remaining & -remaining).bit_length() - 1

    @staticmethod
    def indices(matches: int) -> list[int]:
        """All entity indices in a bitset, in database order."""
        found = []
        while matches:
            low = matches & -matches
            found.append(low.bit_length() - 1)
            matches ^= low
        return found

    def satisfies(self, entity_index: int, constraints: Mapping[str, str]) -> bool:
        """Whether entity ``entity_index`` meets every constraint.

        Any slot of the entity may be constrained; :data:`NOT_AVAILABLE` meets only ``dontcare``.
        """
        entity = self.entities[entity_index]
        return all(
            v == DONTCARE or (v != NOT_AVAILABLE and entity.get(s) == v)
            for s, v in constraints.items()
        )
