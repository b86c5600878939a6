"""The belief encoder: the tracker's state as a fixed-length vector of numbers in [0, 1].

This is the fast default observation; it needs no model. The layout depends only on the domain
and is listed, feature by feature, in `BeliefEncoder.feature_names`. It holds what PyDial's
policies see (slot beliefs, requested slots, method and discourse-act beliefs, the global
summary, the last system turn, the database count and whether the matches can still be told
apart):

| features | per | meaning |
| --- | --- | --- |
| ``slot:S:top``, ``slot:S:second``, ``slot:S:dontcare``, ``slot:S:unknown``, ``slot:S:accepted`` | system-requestable slot | probability of the best and second-best value, of ``dontcare``, mass on no value, and 1 when the slot is accepted |
| ``book:S:known``, ``book:S:unknown`` | booking slot | probability of the best value, mass on no value |
| ``requested:S`` | requestable slot | belief that the user is waiting to hear slot S of the offered entity |
| ``method:M`` | PyDial method | belief of the search method (none, by constraints, by name, by alternatives, finished) |
| ``discourse:D`` | discourse act | belief of this turn's discourse act (none, thank you, ack, hello, bye) |
| ``global:G`` | | 1 for PyDial's global summary: the summary method (by constraints, by name, by alternatives, finished), thank you, ack |
| ``offered``, ``offer_fits``, ``offer_happened``, ``booked``, ``book_requested``, ``reqalts``, ``nomatch``, ``bye``, ``discriminable`` | dialogue | an entity was offered; it matches the accepted values; the last system turn offered; ...; the last system turn said nothing matches; ...; a question could still tell the matches apart |
| ``user:T`` | user act type T | T was in the top hypothesis of the last user turn |
| ``matches:0``, ``matches:1``, ``matches:2-5``, ``matches:6+`` | | number of entities matching the accepted values, one-hot |
| ``turn`` | | turns taken / maximum turns |
"""

from __future__ import annotations

import numpy as np

from dialogym.acts import ActType
from dialogym.domains import Domain
from dialogym.tracking import BeliefTracker
from dialogym.tracking.belief import (
    BYALTERNATIVES,
    BYCONSTRAINTS,
    BYNAME,
    DISCOURSE_ACTS,
    FINISHED,
    METHODS,
)

USER_ACT_FEATURES = (
    ActType.INFORM,
    ActType.REQUEST,
    ActType.AFFIRM,
    ActType.NEGATE,
    ActType.REQALTS,
    ActType.BOOK,
    ActType.HELLO,
    ActType.NULL,
)
"""User act types with a feature of their own."""

SUMMARY_METHODS = (BYCONSTRAINTS, BYNAME, BYALTERNATIVES, FINISHED)
"""The values of PyDial's global summary method, each with a ``global:`` feature."""


GLOBAL_NAMES = (
    *(f"method:{method}" for method in METHODS),
    *(f"discourse:{act}" for act in DISCOURSE_ACTS),
    *(f"global:{method}" for method in SUMMARY_METHODS),
    "global:thankyou", "global:ack",
    "offered", "offer_fits", "offer_happened", "booked", "book_requested", "reqalts", "nomatch",
    "bye", "discriminable",
    *(f"user:{kind.value}" for kind in USER_ACT_FEATURES),
    "matches:0", "matches:1", "matches:2-5", "matches:6+", "turn",
)  # fmt: skip
"""The features that name no slot, the same in every domain: the last of the vector, in order."""


class BeliefEncoder:
    """Turns a `BeliefTracker` into a ``float32`` vector (see the module docstring for the layout).

    Args:
        domain: The domain whose slots define the layout.
        max_turns: Turn budget, to scale the ``turn`` feature into [0, 1].
    """

    def __init__(self, domain: Domain, max_turns: int) -> None:
        self.max_turns = max_turns
        self.constraint_slots = domain.system_requestable
        self.booking_slots = domain.booking_slots
        self.requestable = domain.requestable
        names: list[str] = []
        for slot in self.constraint_slots:
            names += [
                f"slot:{slot}:{part}"
                for part in ("top", "second", "dontcare", "unknown", "accepted")
            ]
        for slot in self.booking_slots:
            names += [f"book:{slot}:known", f"book:{slot}:unknown"]
        names += [f"requested:{slot}" for slot in self.requestable]
        names += GLOBAL_NAMES
        self.feature_names: tuple[str, ...] = tuple(names)
        self._user_feature_position = {kind: i for i, kind in enumerate(USER_ACT_FEATURES)}
        self._summary_features = {
            method: tuple(1.0 if method == other else 0.0 for other in SUMMARY_METHODS)
            for method in SUMMARY_METHODS
        }
        self.size = len(names)

    def encode(self, tracker: BeliefTracker) -> np.ndarray:
        """The observation vector for the tracker's current state."""
        stats = tracker.stats
        features: list[float] = []
        for slot in self.constraint_slots:
            features += stats[slot][1:]
        for slot in self.booking_slots:
            slot_stats = stats[slot]
            features += (slot_stats[1], slot_stats[4])
        features += tracker.requested.values()  # in the domain's requestable order
        features += tracker.method
        features += tracker.discourse
        features += self._summary_features[tracker.summary_method]
        said = [0.0] * len(USER_ACT_FEATURES)
        position = self._user_feature_position
        for act in tracker.user_acts:
            index = position.get(act.type)
            if index is not None:
                said[index] = 1.0
        matches = tracker.matches
        count = matches.bit_count()
        features += (
            1.0 if tracker.thankyou else 0.0,
            1.0 if tracker.ack else 0.0,
            1.0 if tracker.offered >= 0 else 0.0,
            1.0 if matches & tracker.offered_entities else 0.0,
            1.0 if tracker.offer_happened else 0.0,
            1.0 if tracker.booked else 0.0,
            tracker.book_requested,
            tracker.reqalts,
            1.0 if tracker.nomatch else 0.0,
            tracker.bye,
            1.0 if tracker.discriminable else 0.0,
            *said,
            1.0 if count == 0 else 0.0,
            1.0 if count == 1 else 0.0,
            1.0 if 2 <= count <= 5 else 0.0,
            1.0 if count > 5 else 0.0,
            min(1.0, tracker.turn / self.max_turns),
        )
        return np.array(features, dtype=np.float32)
