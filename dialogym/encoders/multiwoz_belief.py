"""Belief features of a MultiWOZ dialogue over all seven domains, as one flat vector in [0, 1].

`MultiWozBeliefEncoder.encode` reads the rule tracker's `MultiWozState` and what the system
has done (how many entities match, what it offered and informed) and writes, per domain in
`MULTIWOZ_DOMAINS` order:

- per belief slot of the domain (`BELIEF_SLOTS`, booking slots included): known (a value other
  than ``dontcare``), ``dontcare``;
- per slot of `REQUESTABLE` (plus one for any other slot): requested by the user and not yet
  informed by the system;
- the number of matching entities in `MATCH_BUCKETS` (one-hot);
- an entity offered that still matches; booked (a system ``book`` act on the domain); active (the user's latest
  acts name the domain);

then the intents of the user's latest acts (`USER_INTENTS`, plus one for any other) and the
turn over the turn cap.

>>> from dialogym.tracking.multiwoz_dst import MultiWozTracker
>>> encoder = MultiWozBeliefEncoder()
>>> state = MultiWozTracker().update([("inform", "hotel", "area", "east")])
>>> features = encoder.encode(state, {"hotel": 5}, {}, {}, turn=0)
>>> features.shape == (encoder.size,), float(features.max())
(True, 1.0)
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection, Mapping

import numpy as np

from dialogym.domains.multiwoz import MULTIWOZ_DOMAINS
from dialogym.tracking.multiwoz_dst import BELIEF_SLOTS, MultiWozState

REQUESTABLE: tuple[str, ...] = (
    "address",
    "phone",
    "postcode",
    "area",
    "price range",
    "food",
    "name",
    "stars",
    "type",
    "internet",
    "parking",
    "entrance fee",
    "train id",
    "price",
    "duration",
    "arrive by",
    "leave at",
    "ref",
)
"""The slots users request in MultiWOZ, each with its own feature per domain."""

MATCH_BUCKETS: tuple[int, ...] = (0, 1, 2, 4, 11)
"""Lower bounds of the match-count buckets: 0, 1, 2-3, 4-10, 11 or more (log scale)."""

USER_INTENTS: tuple[str, ...] = ("inform", "request", "bye", "thank", "greet", "reqalts")
"""User intents with their own feature (any other sets the last one)."""

DONTCARE = "dontcare"
"""The belief value of a slot the user does not care about."""


class MultiWozBeliefEncoder:
    """Belief features over MultiWOZ's domains (see the module's docstring for the layout).

    Args:
        max_turns: The turn the turn feature reaches 1 at (the user's cap: 20 system turns).

    Attributes:
        size: The length of the feature vector.
    """

    def __init__(self, max_turns: int = 20) -> None:
        self.max_turns = max_turns
        self._requestable = {slot: index for index, slot in enumerate(REQUESTABLE)}
        self._per_domain = {
            domain: 2 * len(BELIEF_SLOTS.get(domain, ()))
            + len(REQUESTABLE)
            + 1
            + len(MATCH_BUCKETS)
            + 3
            for domain in MULTIWOZ_DOMAINS
        }
        self.size = sum(self._per_domain.values()) + len(USER_INTENTS) + 1 + 1

    def encode(
        self,
        state: MultiWozState,
        matches: Mapping[str, int],
        offered: Collection[str],
        informed: Mapping[str, Collection[str]],
        turn: int,
    ) -> np.ndarray:
        """The features of a state.

        Args:
            state: The tracker's state after the user's latest turn.
            matches: Per domain, how many entities match the belief (a domain left out: 0).
            offered: The domains where the system's offered entity still matches.
            informed: Per domain, the slots the system has informed.
            turn: System turns so far.

        Returns:
            A ``float32`` vector of length `size`, every entry in [0, 1].
        """
        features = np.zeros(self.size, dtype=np.float32)
        active = {domain for _, domain, _, _ in state.user_acts}
        position = 0
        for domain in MULTIWOZ_DOMAINS:
            belief = state.belief.get(domain, {})
            for slot in BELIEF_SLOTS.get(domain, ()):
                value = belief.get(slot, "")
                if value:
                    features[position + (value == DONTCARE)] = 1.0
                position += 2
            done = informed.get(domain, ())
            for slot in state.requests.get(domain, ()):
                if slot not in done:
                    features[position + self._requestable.get(slot, len(REQUESTABLE))] = 1.0
            position += len(REQUESTABLE) + 1
            bucket = bisect_right(MATCH_BUCKETS, matches.get(domain, 0)) - 1
            features[position + bucket] = 1.0
            position += len(MATCH_BUCKETS)
            features[position] = domain in offered
            features[position + 1] = domain in state.booked
            features[position + 2] = domain in active
            position += 3
        for intent, _, _, _ in state.user_acts:
            index = USER_INTENTS.index(intent) if intent in USER_INTENTS else len(USER_INTENTS)
            features[position + index] = 1.0
        position += len(USER_INTENTS) + 1
        features[position] = min(turn / self.max_turns, 1.0)
        return features
