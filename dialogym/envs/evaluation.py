"""Reward and success: did the system give the user what the goal asked for?

Success is judged from the database and the user's final goal, not from the user's mood:

* if some entity satisfies the user's final constraints, the entity the system offered last
  satisfies them, the system told the user every requested slot of that entity, and, where the
  goal asks for a booking, the system booked that entity with the wanted details;
* if no entity does, the system said so about the user's actual constraints;
* and in both cases the user did not hang up and the dialogue was not cut off by the turn limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialogym.acts import BOOK, INFORM, NOMATCH, OFFER, Acts
from dialogym.domains import DONTCARE, Database
from dialogym.simulators import AgendaUser


@dataclass(frozen=True)
class RewardConfig:
    """The reward scheme (PyDial's by default).

    Attributes:
        success: Reward at the end of a successful dialogue.
        failure: Reward at the end of a failed dialogue.
        turn: Reward for every turn (negative: a cost).
    """

    success: float = 20.0
    failure: float = 0.0
    turn: float = -1.0


class DialogueRecord:
    """What the system has delivered so far in one dialogue: offer, answers, booking, no-match."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.offered = -1
        self.informed: set[str] = set()
        self.booked: dict[str, str] = {}
        self.nomatch: dict[str, str] | None = None

    def system_acted(self, acts: Acts) -> None:
        """Record one system turn."""
        for act in acts:
            kind = act.type
            if kind is OFFER:
                entity = self.database.index_of(act.value)
                if entity != self.offered:
                    self.offered = entity
                    self.informed = set()
                    self.booked = {}
                self.informed.add(act.slot or "")
                self.nomatch = None
            elif kind is INFORM and self.offered >= 0 and act.slot is not None:
                self.informed.add(act.slot)
            elif kind is BOOK and self.offered >= 0 and act.slot is not None:
                self.booked[act.slot] = act.value or ""
            elif kind is NOMATCH:
                if self.nomatch is None or acts[0] is act:
                    self.nomatch = {}
                self.nomatch[act.slot or ""] = act.value or ""

    def success(self, user: AgendaUser, hung_up: bool, truncated: bool) -> dict[str, bool]:
        """The parts of success and, under ``"success"``, the verdict."""
        goal = user.goal
        constraints = user.constraints
        exists = self.database.match(constraints) != 0
        if exists:
            entity_ok = self.offered >= 0 and self.database.satisfies(self.offered, constraints)
            requests_ok = entity_ok and all(slot in self.informed for slot in goal.requests)
            booking_ok = entity_ok and all(
                self.booked.get(slot) == value for slot, value in goal.booking.items()
            )
            nomatch_ok = True
        else:
            entity_ok = requests_ok = booking_ok = True
            nomatch_ok = self.nomatch is not None and all(
                constraints.get(slot, DONTCARE) == value for slot, value in self.nomatch.items()
            )
        parts = {
            "entity": entity_ok,
            "requests": requests_ok,
            "booking": booking_ok,
            "nomatch": nomatch_ok,
            "not_hung_up": not hung_up,
            "in_time": not truncated,
        }
        parts["success"] = all(parts.values())
        return parts
