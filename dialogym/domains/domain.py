"""The `Domain`: an ontology plus a database of entities, and a fast index over it.

A domain says what a user may talk about (slots and their values) and what exists (entities).
It holds no dialogue logic: simulators, trackers and environments read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

DONTCARE = "dontcare"
"""The value a user gives for a constraint they have no preference on."""


class DomainError(ValueError):
    """A domain file or definition is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class Domain:
    """An ontology and a database of entities for one task-oriented dialogue domain.

    Attributes:
        name: Short identifier of the domain, e.g. ``"restaurant"``.
        informable: Slot to the tuple of values a user may inform, for every slot a user can
            constrain (the system-requestable slots at least).
        system_requestable: Slots the system may ask for, confirm or select; user goals draw
            their constraints from these.
        requestable: Slots a user may ask about an entity (always includes ``name_slot``).
        booking: Booking slot to its values (e.g. ``people``, ``day``, ``time``); empty when the
            domain has no booking.
        entities: The database: one mapping slot to value per entity. Every entity has a value
            for every system-requestable and every requestable slot.
        name_slot: The slot that names an entity.
        synonyms: Slot to value to other surface forms of that value (used by the NLU).
        source: Where the domain came from (a path or ``builtin:NAME``), for error messages.
    """

    name: str
    informable: Mapping[str, tuple[str, ...]]
    system_requestable: tuple[str, ...]
    requestable: tuple[str, ...]
    entities: tuple[Mapping[str, str], ...]
    booking: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    name_slot: str = "name"
    synonyms: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    source: str = "<memory>"

    def __post_init__(self) -> None:
        """Check the cross-references between ontology and database."""
        where = self.source

        def fail(field_name: str, problem: str) -> None:
            raise DomainError(f"{where}: {field_name}: {problem}")

        if not self.name:
            fail("name", "must be a non-empty string")
        if not self.system_requestable:
            fail("system_requestable", "must list at least one slot")
        for slot in self.system_requestable:
            if slot not in self.informable:
                fail("system_requestable", f"slot {slot!r} is not informable")
        for slot, values in self.informable.items():
            if not values:
                fail(f"informable.{slot}", "has no values")
            if DONTCARE in values:
                fail(f"informable.{slot}", f"{DONTCARE!r} is reserved and may not be a value")
        if self.name_slot not in self.requestable:
            fail("requestable", f"must include the name slot {self.name_slot!r}")
        for slot, values in self.booking.items():
            if not values:
                fail(f"booking.{slot}", "has no values")
            if slot in self.informable:
                fail(f"booking.{slot}", "is also an informable slot")
        if not self.entities:
            fail("entities", "the database holds no entity")
        needed = set(self.system_requestable) | set(self.requestable)
        names: set[str] = set()
        for row, entity in enumerate(self.entities):
            missing = needed - entity.keys()
            if missing:
                fail(f"entities[{row}]", f"lacks slot {sorted(missing)[0]!r}")
            for slot in self.system_requestable:
                if entity[slot] not in self.informable[slot]:
                    fail(
                        f"entities[{row}].{slot}",
                        f"value {entity[slot]!r} is not in the ontology's values for {slot!r}",
                    )
            entity_name = entity[self.name_slot]
            if entity_name in names:
                fail(f"entities[{row}].{self.name_slot}", f"duplicate name {entity_name!r}")
            names.add(entity_name)

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
        self._index_by_name = {e[domain.name_slot]: i for i, e in enumerate(domain.entities)}
        for index, entity in enumerate(domain.entities):
            for slot in domain.system_requestable:
                self._bits[slot][entity[slot]] |= 1 << index

    def index_of(self, name: str | None) -> int:
        """Index of the entity called ``name``, or -1 if there is none."""
        return self._index_by_name.get(name, -1) if name is not None else -1

    def match(self, constraints: Mapping[str, str]) -> int:
        """Return the bitset of entities satisfying every constraint (``dontcare`` matches all).

        Slots that are not system-requestable and unknown values match nothing.
        """
        result = self.all_entities
        bits = self._bits
        for slot, value in constraints.items():
            if value == DONTCARE:
                continue
            slot_bits = bits.get(slot)
            result &= slot_bits.get(value, 0) if slot_bits is not None else 0
        return result

    def values_with_matches(self, constraints: Mapping[str, str], slot: str) -> list[str]:
        """Values of ``slot`` that, replacing its current constraint, leave some entity matching."""
        others = self.match({s: v for s, v in constraints.items() if s != slot})
        return [value for value, bits in self._bits[slot].items() if bits & others]

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
        """Whether entity ``entity_index`` meets every constraint."""
        entity = self.entities[entity_index]
        return all(v == DONTCARE or entity.get(s) == v for s, v in constraints.items())
