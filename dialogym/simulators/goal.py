"""User goals: what the simulated user wants, and how goals are drawn from a domain.

Goals are drawn as PyDial's goal generator draws them (``usersimulator/UserModel.py``): a fixed
number of system-requestable slots (three, or all of them in a domain with fewer) is picked
uniformly, each gets a value drawn uniformly from its values plus ``dontcare`` (a value the user
states like any other), and the draw is repeated until the number of matching entities lies in
range (two or three, PyDial's ``1 < matches < 4``). Requests are the name plus up to two slots
drawn from the user-requestable slots (PyDial draws them from the requestable slots that are not
system-requestable, the name among them, so a draw of the name adds nothing). Goals with no
matching entity at all are an option (``nomatch_share``), off by default as in PyDial. Booking
is dialogym's addition for domains with booking slots.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import accumulate, combinations, product
from math import prod
from typing import NamedTuple

from dialogym.domains import DONTCARE, Database, Domain
from dialogym.randomness import RandomStream


class Goal(NamedTuple):
    """A user's hidden goal at the start of a dialogue.

    Attributes:
        constraints: Constrained slot to the wanted value (``dontcare`` included), in the order
            the user will say them; slots the goal leaves out are not constrained at all.
        requests: Requestable slots the user wants to learn about the chosen entity; always
            starts with the domain's name slot.
        booking: Booking slot to wanted value; empty when the user does not want to book.
        matches: How many entities met ``constraints`` when the goal was drawn.
    """

    constraints: Mapping[str, str]
    requests: tuple[str, ...]
    booking: Mapping[str, str]
    matches: int

    def describe(self) -> str:
        """One line for transcripts: ``food=thai area=dontcare | name phone | book day=friday``."""
        constraints = " ".join(f"{s}={v}" for s, v in self.constraints.items())
        text = f"{constraints} | {' '.join(self.requests)}"
        if self.booking:
            text += " | book " + " ".join(f"{s}={v}" for s, v in self.booking.items())
        return text


@dataclass(frozen=True)
class GoalConfig:
    """How goals are drawn (PyDial's goal generator settings by default).

    Attributes:
        max_constraints: Slots constrained per goal (capped by the domain's system-requestable
            slots); PyDial's ``maxconstraints``.
        min_matches: Fewest matching entities for an ordinary goal.
        max_matches: Most matching entities for an ordinary goal (``None``: no upper bound).
        nomatch_share: Share of goals drawn with no matching entity at all; the user changes a
            constraint when told there is none.
        max_requests: Requestable slots drawn (0 to ``max_requests - 1``, uniformly) beside the
            name; PyDial's ``maxrequests``.
        booking_share: Share of goals that ask for a booking (domains with booking slots only).
        max_attempts: Draws tried before a goal outside the match range is accepted anyway.
    """

    max_constraints: int = 3
    min_matches: int = 2
    max_matches: int | None = 3
    nomatch_share: float = 0.0
    max_requests: int = 3
    booking_share: float = 0.5
    max_attempts: int = 2000

    def __post_init__(self) -> None:
        """Reject impossible settings with a message naming the field."""
        for name in ("max_constraints", "min_matches", "max_requests", "max_attempts"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"goal config: {name} must be an integer >= 1, got {value!r}")
        if self.max_matches is not None and (
            isinstance(self.max_matches, bool)
            or not isinstance(self.max_matches, int)
            or self.max_matches < self.min_matches
        ):
            raise ValueError("goal config: max_matches must be an integer >= min_matches")
        for name in ("nomatch_share", "booking_share"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"goal config: {name} must be a number in [0, 1], got {value!r}")
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"goal config: {name} must lie in [0, 1]")


class GoalGenerator:
    """Draws user goals from a domain, resampling until the match count lies in range."""

    def __init__(
        self, domain: Domain, config: GoalConfig | None = None, database: Database | None = None
    ) -> None:
        self.domain = domain
        self.config = config or GoalConfig()
        self.database = database or Database(domain)
        self._slots = domain.system_requestable
        self._count = min(self.config.max_constraints, len(self._slots))
        self._values = {slot: (*domain.informable[slot], DONTCARE) for slot in self._slots}
        system = set(self._slots)
        self._requestable = tuple(s for s in domain.requestable if s not in system)
        self._goal_table: _GoalTable | None = None

    def sample(self, stream: RandomStream) -> Goal:
        """Draw one goal."""
        config = self.config
        if stream.random() < config.nomatch_share:
            constraints, matches = self._draw_until(stream, lambda count: count == 0)
        elif self._table().subsets:
            constraints, matches = self._draw_from_table(stream)
        else:  # no constraint set has a match count in range: PyDial's resampling gives up
            constraints, matches = self._draw_until(stream, self._in_range)
        name_slot = self.domain.name_slot
        drawn = stream.sample(self._requestable, stream.below(config.max_requests))
        requests = (name_slot, *(s for s in self._requestable if s in drawn and s != name_slot))
        booking: dict[str, str] = {}
        if self.domain.booking and stream.random() < config.booking_share:
            booking = {slot: stream.choice(values) for slot, values in self.domain.booking.items()}
        return Goal(constraints, requests, booking, matches)

    def _in_range(self, matches: int) -> bool:
        config = self.config
        return matches >= config.min_matches and (
            config.max_matches is None or matches <= config.max_matches
        )

    def _draw_until(
        self, stream: RandomStream, accept: Callable[[int], bool]
    ) -> tuple[dict[str, str], int]:
        """PyDial's way: draw slots and values until ``accept(matches)`` (or attempts run out)."""
        values = self._values
        constraints: dict[str, str] = {}
        matches = 0
        for _ in range(self.config.max_attempts):
            constraints = {
                s: stream.choice(values[s]) for s in stream.sample(self._slots, self._count)
            }
            matches = self.database.count(self.database.match(constraints))
            if accept(matches):
                break
        return constraints, matches

    def _draw_from_table(self, stream: RandomStream) -> tuple[dict[str, str], int]:
        """The same distribution as `_draw_until` in range, from the table of every goal in range."""
        table = self._table()
        subset = bisect_right(table.cumulative, stream.random() * table.cumulative[-1])
        slots = table.subsets[subset]
        chosen, matches = stream.choice(table.goals[subset])
        order = stream.sample(range(len(slots)), len(slots))  # the order the user says them in
        return {slots[i]: chosen[i] for i in order}, matches

    def _table(self) -> _GoalTable:
        if self._goal_table is None:
            self._goal_table = _goal_table(self)
        return self._goal_table


class _GoalTable(NamedTuple):
    """Every constraint set whose match count lies in range, by set of slots.

    Rejection sampling draws a set of slots uniformly, then each value uniformly (``dontcare``
    among them), until the match count is in range. A slot set therefore comes out with
    probability proportional to its share of in-range value tuples (``cumulative``), and within
    it every in-range tuple equally often: drawing from this table gives the same distribution
    at once.
    """

    subsets: list[tuple[str, ...]]
    cumulative: list[float]
    goals: list[list[tuple[tuple[str, ...], int]]]


_TABLES: dict[tuple[object, ...], _GoalTable] = {}
"""Goal tables by domain content and match range (building one costs up to a few tenths of a second)."""


def _goal_table(generator: GoalGenerator) -> _GoalTable:
    """Count, for every slot set, the entities matching each value tuple (``dontcare`` included)."""
    domain = generator.domain
    config = generator.config
    slots = generator._slots
    rows = tuple(tuple(entity[s] for s in slots) for entity in domain.entities)
    key = (slots, rows, tuple(domain.informable[s] for s in slots), generator._count,
           config.min_matches, config.max_matches)  # fmt: skip
    cached = _TABLES.get(key)
    if cached is not None:
        return cached
    position = {slot: i for i, slot in enumerate(slots)}
    allowed = [frozenset(domain.informable[s]) for s in slots]
    subsets: list[tuple[str, ...]] = []
    weights: list[float] = []
    goals: list[list[tuple[tuple[str, ...], int]]] = []
    for subset in combinations(slots, generator._count):
        columns = [position[s] for s in subset]
        counts: dict[tuple[str, ...], int] = {}
        for row in rows:
            options = [(row[c], DONTCARE) if row[c] in allowed[c] else (DONTCARE,) for c in columns]
            for chosen in product(*options):
                counts[chosen] = counts.get(chosen, 0) + 1
        in_range = [(t, n) for t, n in counts.items() if generator._in_range(n)]
        if in_range:
            subsets.append(subset)
            goals.append(in_range)
            weights.append(len(in_range) / prod(len(generator._values[s]) for s in subset))
    table = _GoalTable(subsets, list(accumulate(weights)), goals)
    _TABLES[key] = table
    return table
