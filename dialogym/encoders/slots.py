"""The per-slot encoder: the belief as rows of slot features, the same layout for every domain.

A flat belief vector (`dialogym.encoders.belief.BeliefEncoder`) has one block per slot of the
domain, so its length and meaning change with the ontology, and a policy trained on it can only
act in that domain. Here every domain gets the same vector: global features that name no slot,
then a fixed number of **slot rows** (`MAX_SLOTS` constraint slots, `MAX_BOOKING_SLOTS` booking
slots), each row describing one slot by what the dialogue knows of it, never by its name. Rows of
slots the domain lacks are zeros (their ``present`` feature is 0). A policy that applies one
network to every row (`dialogym.agents.structured`) thus has as many parameters for Laptops11's
eleven slots as for CamRestaurants' three, and can act in a domain it never saw (the idea of
Wang et al., 2015, domain-independent parametrisation, and of the structured policies of Chen
et al., 2018 and 2020).

Layout, in order:

| features | count | meaning |
| --- | --- | --- |
| global | `GLOBAL_FEATURES` | the belief encoder's features that name no slot (method, discourse, summary, offer and match flags, user act types, match count, turn), then ``requested:any``, ``requested:count``, ``accepted:share``, ``accepted:enough``, ``matches:share`` |
| constraint rows | `MAX_SLOTS` x `SLOT_FEATURES` | per system-requestable slot, in the domain's order (see `SLOT_FEATURE_NAMES`) |
| booking rows | `MAX_BOOKING_SLOTS` x `BOOKING_FEATURES` | per booking slot (see `BOOKING_FEATURE_NAMES`) |

Per constraint slot: ``present``; the belief's ``top``, ``second``, ``dontcare``, ``unknown``
and ``accepted`` (as in the flat encoder); ``requested`` (the user asked to hear it);
``values`` (how many values the ontology has, on a log scale); ``splits`` (asking for it would
tell the matching entities apart) and ``impurity`` (the chance that two matching entities differ
in it: one minus the sum of the squared shares of its values); ``asked`` (how often the system
asked for it, up to three times); ``last:request``, ``last:confirm``, ``last:select`` (what the
last system turn did with it). Per booking slot: ``present``, ``known``, ``unknown``,
``values``, ``asked``, ``last:request``.
"""

from __future__ import annotations

import math

import numpy as np

from dialogym.acts import ActType
from dialogym.domains import Domain
from dialogym.encoders.belief import GLOBAL_NAMES, BeliefEncoder
from dialogym.tracking import BeliefTracker

MAX_SLOTS = 32
"""Constraint (system-requestable) slots a domain may have for the per-slot layout."""
MAX_BOOKING_SLOTS = 8
"""Booking slots a domain may have for the per-slot layout."""
SLOT_FEATURE_NAMES = (
    "present", "top", "second", "dontcare", "unknown", "accepted", "requested", "values",
    "splits", "impurity", "asked", "last:request", "last:confirm", "last:select",
)  # fmt: skip
"""The features of one constraint slot's row."""
BOOKING_FEATURE_NAMES = ("present", "known", "unknown", "values", "asked", "last:request")
"""The features of one booking slot's row."""
EXTRA_GLOBAL_NAMES = (
    "requested:any", "requested:count", "accepted:share", "accepted:enough", "matches:share",
)  # fmt: skip
"""Global features added to the flat encoder's slot-free ones."""
SLOT_FEATURES = len(SLOT_FEATURE_NAMES)
BOOKING_FEATURES = len(BOOKING_FEATURE_NAMES)
MANY_VALUES = 100
"""A slot with this many values or more has ``values`` 1."""
ASKED_CAP = 3
"""``asked`` counts requests up to this many."""
ENOUGH_ACCEPTED = 4
"""``accepted:enough`` is 1 with this many accepted slots (PyDial's ``informcountaccepted``)."""


_GLOBAL_FROM_BELIEF = len(GLOBAL_NAMES)
GLOBAL_FEATURES = _GLOBAL_FROM_BELIEF + len(EXTRA_GLOBAL_NAMES)
"""Length of the global part (the first features of the vector)."""
SIZE = GLOBAL_FEATURES + MAX_SLOTS * SLOT_FEATURES + MAX_BOOKING_SLOTS * BOOKING_FEATURES
"""Length of the whole vector, the same for every domain."""


class SlotEncoder:
    """Turns a `BeliefTracker` into the per-slot ``float32`` vector (layout: module docstring).

    It has `BeliefEncoder`'s interface (``size``, ``feature_names``, ``encode``), so an env can
    use either.

    Args:
        domain: The domain; it may have at most `MAX_SLOTS` constraint and
            `MAX_BOOKING_SLOTS` booking slots.
        max_turns: Turn budget, to scale the ``turn`` feature into [0, 1].

    Raises:
        ValueError: the domain has more slots than the layout holds.
    """

    def __init__(self, domain: Domain, max_turns: int) -> None:
        self.constraint_slots = domain.system_requestable
        self.booking_slots = domain.booking_slots
        for what, slots, most in (
            ("constraint (system-requestable)", self.constraint_slots, MAX_SLOTS),
            ("booking", self.booking_slots, MAX_BOOKING_SLOTS),
        ):
            if len(slots) > most:
                raise ValueError(
                    f"layout: the per-slot layout holds at most {most} {what} slots;"
                    f" domain {domain.name!r} has {len(slots)}"
                )
        self.flat = BeliefEncoder(domain, max_turns)
        self._global_start = self.flat.size - _GLOBAL_FROM_BELIEF
        self._slot_rows = [
            (slot, _log_values(len(domain.informable[slot]))) for slot in self.constraint_slots
        ]
        self._booking_rows = [
            (slot, _log_values(len(domain.booking[slot]))) for slot in self.booking_slots
        ]
        self._entities = max(1, len(domain.entities))
        names = [*GLOBAL_NAMES, *EXTRA_GLOBAL_NAMES]
        for row in range(MAX_SLOTS):
            names += [f"slot{row}:{feature}" for feature in SLOT_FEATURE_NAMES]
        for row in range(MAX_BOOKING_SLOTS):
            names += [f"booking{row}:{feature}" for feature in BOOKING_FEATURE_NAMES]
        self.feature_names: tuple[str, ...] = tuple(names)
        self.size = SIZE

    def encode(self, tracker: BeliefTracker) -> np.ndarray:
        """The observation vector for the tracker's current state."""
        vector = np.zeros(SIZE, dtype=np.float32)
        vector[:_GLOBAL_FROM_BELIEF] = self.flat.encode(tracker)[self._global_start :]
        requested = [p for p in tracker.requested.values() if p > 0.5]
        matches = tracker.matches
        count = matches.bit_count()
        accepted = tracker.accepted
        vector[_GLOBAL_FROM_BELIEF:GLOBAL_FEATURES] = (
            1.0 if requested else 0.0,
            min(len(requested), ASKED_CAP) / ASKED_CAP,
            len(accepted) / max(1, len(self.constraint_slots)),
            min(len(accepted), ENOUGH_ACCEPTED) / ENOUGH_ACCEPTED,
            math.log1p(count) / math.log1p(self._entities),
        )
        stats = tracker.stats
        asked = tracker.asked
        last = tracker.last_asked
        database = tracker.database
        rows: list[float] = []
        for slot, values in self._slot_rows:
            splits = impurity = 0.0
            if count > 1 and slot not in accepted:
                counts = database.value_counts(slot, matches)
                if len(counts) > 1:
                    splits = 1.0
                    impurity = 1.0 - sum(c * c for c in counts) / (count * count)
            said = last.get(slot)
            rows += (
                1.0,
                *stats[slot][1:],
                tracker.requested.get(slot, 0.0),
                values,
                splits,
                impurity,
                min(asked[slot], ASKED_CAP) / ASKED_CAP,
                1.0 if said is ActType.REQUEST else 0.0,
                1.0 if said is ActType.CONFIRM else 0.0,
                1.0 if said is ActType.SELECT else 0.0,
            )
        start = GLOBAL_FEATURES
        vector[start : start + len(rows)] = rows
        rows = []
        for slot, values in self._booking_rows:
            slot_stats = stats[slot]
            rows += (
                1.0,
                slot_stats[1],
                slot_stats[4],
                values,
                min(asked[slot], ASKED_CAP) / ASKED_CAP,
                1.0 if last.get(slot) is ActType.REQUEST else 0.0,
            )
        start = GLOBAL_FEATURES + MAX_SLOTS * SLOT_FEATURES
        vector[start : start + len(rows)] = rows
        return vector


def _log_values(count: int) -> float:
    """A slot's number of values on a log scale in [0, 1]."""
    return min(1.0, math.log1p(count) / math.log1p(MANY_VALUES))
