"""User goals: what the simulated user wants, and how goals are drawn from a domain."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from dialogym.domains import DONTCARE, Database, Domain
from dialogym.simulators.randomness import RandomStream


class Goal(NamedTuple):
    """A user's hidden goal at the start of a dialogue.

    Attributes:
        constraints: Every system-requestable slot to the wanted value, or ``dontcare``.
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
    """How goals are drawn.

    Attributes:
        min_constraints: Fewest slots with a real (not ``dontcare``) value.
        max_constraints: Most slots with a real value (capped by the domain).
        min_matches: Fewest matching entities for an ordinary goal.
        max_matches: Most matching entities for an ordinary goal (``None``: no upper bound).
        nomatch_share: Share of goals drawn with no matching entity at all; the user has to
            relax a constraint when told there is none.
        max_extra_requests: Most requestable slots asked about besides the name.
        booking_share: Share of goals that ask for a booking (domains with booking slots only).
        max_attempts: Draws tried before a goal that meets the match range is accepted anyway.
    """

    min_constraints: int = 1
    max_constraints: int = 4
    min_matches: int = 1
    max_matches: int | None = 20
    nomatch_share: float = 0.1
    max_extra_requests: int = 3
    booking_share: float = 0.5
    max_attempts: int = 50

    def __post_init__(self) -> None:
        """Reject impossible settings with a message naming the field."""
        if self.min_constraints < 1 or self.max_constraints < self.min_constraints:
            raise ValueError("goal config: need 1 <= min_constraints <= max_constraints")
        if self.min_matches < 1:
            raise ValueError("goal config: min_matches must be >= 1")
        if self.max_matches is not None and self.max_matches < self.min_matches:
            raise ValueError("goal config: max_matches must be >= min_matches")
        for name in ("nomatch_share", "booking_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
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
        self._extra_requestable = tuple(s for s in domain.requestable if s != domain.name_slot)
        self._low = min(self.config.min_constraints, len(self._slots))
        self._high = min(self.config.max_constraints, len(self._slots))

    def sample(self, stream: RandomStream) -> Goal:
        """Draw one goal."""
        config = self.config
        wants_nomatch = stream.random() < config.nomatch_share
        constraints: dict[str, str] = {}
        matches = 0
        for _ in range(config.max_attempts):
            constraints = self._draw_constraints(stream, from_entity=not wants_nomatch)
            matches = self.database.count(self.database.match(constraints))
            if wants_nomatch:
                if matches == 0:
                    break
            elif matches >= config.min_matches and (
                config.max_matches is None or matches <= config.max_matches
            ):
                break
        else:
            if wants_nomatch or matches == 0:
                constraints = self._draw_constraints(stream, from_entity=True)
                matches = self.database.count(self.database.match(constraints))
        named = {s for s, v in constraints.items() if v != DONTCARE}
        candidates = [s for s in self._extra_requestable if s not in named]
        chosen = set(stream.sample(candidates, stream.below(config.max_extra_requests + 1)))
        requests = (self.domain.name_slot, *(s for s in candidates if s in chosen))
        booking: dict[str, str] = {}
        if self.domain.booking and stream.random() < config.booking_share:
            booking = {slot: stream.choice(values) for slot, values in self.domain.booking.items()}
        return Goal(constraints, requests, booking, matches)

    def _draw_constraints(self, stream: RandomStream, from_entity: bool) -> dict[str, str]:
        """Pick slots to constrain, and values from one entity or at random.

        Random values (for no-match goals) go on at least two slots, since one value alone
        nearly always matches something.
        """
        slots = self._slots
        low = self._low if from_entity else max(self._low, min(2, self._high))
        count = low + stream.below(self._high - low + 1)
        chosen = set(stream.sample(slots, count))
        entity = stream.choice(self.domain.entities)
        constraints = {}
        for slot in slots:
            if slot not in chosen:
                constraints[slot] = DONTCARE
            elif from_entity:
                constraints[slot] = entity[slot]
            else:
                constraints[slot] = stream.choice(self.domain.informable[slot])
        return constraints
