"""Reward and success: PyDial's objective success rule and turn penalty.

A dialogue succeeds, as in PyDial's ``ObjectiveSuccessEvaluator``, when at its end:

* the user was told every slot it asked about (``requests``) for the venue it settled on, the
  venue's name included (what the user heard, not what the system meant: a fact about another
  venue resets the user's requests, as in PyDial);
* that venue satisfies the user's final constraints (after any change of goal), including the
  venues the user turned down (``venue``);
* and, in domains with booking (dialogym's addition), the booking went through with the wanted
  details (``booking``).

As in PyDial, hanging up or running out of turns does not decide success by itself (it nearly
always leaves a request untold); both are reported beside it. Every turn costs ``turn``,
the closing exchange after the user's goodbye included (PyDial's ``penaliseallturns``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from dialogym.domains import Database
from dialogym.simulators import AgendaUser


@dataclass(frozen=True)
class RewardConfig:
    """The reward scheme (PyDial's by default).

    Attributes:
        success: Reward at the end of a successful dialogue.
        failure: Reward at the end of a failed dialogue.
        turn: Reward for every turn (negative: a cost).
        forbidden: Reward, on an env whose masks are off (env2, env4), for an action PyDial's
            masks would forbid. 0 in PyDial's scheme and in every reported figure; a negative
            value shapes training only (it tells an agent at once that the action made no
            sense, which it otherwise learns from the dialogues that fail).
    """

    success: float = 20.0
    failure: float = 0.0
    turn: float = -1.0
    forbidden: float = 0.0

    def __post_init__(self) -> None:
        """Reject a reward that is not a finite number, naming the field."""
        for spec in fields(self):
            value = getattr(self, spec.name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                raise ValueError(f"reward: {spec.name} must be a finite number, got {value!r}")


class ObjectiveSuccess:
    """Judges a finished dialogue from the simulated user's final state (see the module doc).

    Args:
        database: The domain's database (venue names and constraint queries).
    """

    def __init__(self, database: Database) -> None:
        self.database = database

    def parts(self, user: AgendaUser) -> dict[str, bool]:
        """The parts of success and, under ``"success"``, the verdict."""
        venue = user.requests.get(user.name_slot)
        venue_ok = (
            venue is not None
            and user.name_is in (None, venue)
            and venue not in user.name_not
            and self.database.named(venue) & self.database.match(user.constraints) != 0
        )
        parts = {
            "venue": venue_ok,
            "requests": None not in user.requests.values(),
            "booking": user.booked or not user.goal.booking,
        }
        parts["success"] = all(parts.values())
        return parts
