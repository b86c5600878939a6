"""The belief tracker: what the system believes the user wants, from n-best hypotheses.

Slot beliefs follow PyDial's focus rule: with ``e(v)`` the evidence (summed confidence) for value
``v`` of a slot this turn and ``E`` the total evidence for the slot,
``b'(v) = b(v) * (1 - E) + e(v)``; the mass not on any value means "not yet known". The answer to a
system ``confirm(slot=value)`` counts as the confidence of "yes" minus that of "no" across the
n-best list: evidence for the value when positive, removing belief from it when negative (as
``deny`` does). The tracker also follows what the user asked for, what the system offered and said, the
booking, and how many database entities match the most likely constraints.
"""

from __future__ import annotations

from typing import Any

from dialogym.acts import (
    AFFIRM,
    BOOK,
    BYE,
    CONFIRM,
    DENY,
    INFORM,
    NEGATE,
    NOMATCH,
    OFFER,
    REQALTS,
    REQUEST,
    Acts,
    Hypotheses,
)
from dialogym.domains import DONTCARE, Database, Domain

_PRUNE = 1e-4


CONFIRM = CONFIRM

SlotStats = tuple[str | None, float, float, float, float]
"""Per slot: best value (``None`` if nothing known), its probability, the second-best
probability, the probability of ``dontcare`` and the mass on no value."""

_UNKNOWN: SlotStats = (None, 0.0, 0.0, 0.0, 1.0)


class BeliefTracker:
    """Tracks one dialogue's belief state; `reset` per dialogue, `update` per turn.

    Attributes (all read by encoders and the action layer):
        belief: Slot (system-requestable and booking) to a mapping value -> probability.
        stats: Slot to its `SlotStats`, kept up to date as the belief changes.
        requested: Requestable slot to the probability that the user is waiting for it.
        reqalts: Probability that the user last asked for an alternative.
        book_requested: Probability that the user wants the offered entity booked.
        bye: Probability that the user said goodbye.
        user_acts: The top hypothesis of the last user turn.
        offered: Index of the entity the system last offered, or -1.
        offered_set: Bitset of every entity offered so far.
        booked: The system booked the offered entity.
        nomatch: The system said that nothing matches its current constraints.
        matches: Bitset of entities matching the most likely constraints.
        turn: System turns taken so far.
    """

    def __init__(self, domain: Domain, database: Database | None = None) -> None:
        self.domain = domain
        self.database = database or Database(domain)
        self.constraint_slots = domain.system_requestable
        self.booking_slots = domain.booking_slots
        self.reset()

    def reset(self) -> None:
        """Forget everything: a new dialogue begins."""
        self.belief: dict[str, dict[str, float]] = {
            slot: {} for slot in (*self.constraint_slots, *self.booking_slots)
        }
        self.stats: dict[str, SlotStats] = dict.fromkeys(self.belief, _UNKNOWN)
        self.requested: dict[str, float] = dict.fromkeys(self.domain.requestable, 0.0)
        self.reqalts = 0.0
        self.book_requested = 0.0
        self.bye = 0.0
        self.user_acts: Acts = ()
        self.offered = -1
        self.offered_set = 0
        self.booked = False
        self.nomatch = False
        self.matches = self.database.all_entities
        self.turn = 0

    # -- the system's side ----------------------------------------------------------------------

    def system_acted(self, acts: Acts) -> None:
        """Record what the system just said (offers, answers, bookings, no-match)."""
        self.turn += 1
        for act in acts:
            kind = act.type
            if kind is OFFER:
                index = self.database.index_of(act.value)
                if index != self.offered:
                    self.booked = False
                self.offered = index
                self.offered_set |= 1 << index
                self.nomatch = False
                self.reqalts = 0.0
            elif kind is INFORM:
                if act.slot in self.requested:
                    self.requested[act.slot] = 0.0
            elif kind is BOOK:
                self.booked = True
                self.book_requested = 0.0
            elif kind is NOMATCH:
                self.nomatch = True
                self.reqalts = 0.0

    # -- the user's side ------------------------------------------------------------------------

    def update(self, hypotheses: Hypotheses, system_acts: Acts) -> None:
        """Fold in the n-best hypotheses of the user's reply to ``system_acts``."""
        belief = self.belief
        requested = self.requested
        # Slot values are str for every act that carries one; the acts' type says ``str | None``.
        evidence: dict[str, dict[Any, float]] = {}
        denied: list[tuple[str, Any, float]] = []
        reqalts = book = bye = 0.0
        answer = 0.0  # yes minus no, to a system confirm
        for acts, confidence in hypotheses:
            for kind, slot, value in acts:
                if kind is INFORM:
                    if slot in belief:
                        values = evidence.get(slot)
                        if values is None:
                            evidence[slot] = {value: confidence}
                        else:
                            values[value] = values.get(value, 0.0) + confidence
                elif kind is REQUEST:
                    if slot in requested and confidence > requested[slot]:
                        requested[slot] = confidence
                elif kind is AFFIRM:
                    answer += confidence
                elif kind is NEGATE:
                    answer -= confidence
                elif kind is DENY:
                    if slot in belief:
                        denied.append((slot, value, confidence))
                elif kind is REQALTS:
                    reqalts += confidence
                elif kind is BOOK:
                    book += confidence
                elif kind is BYE:
                    bye += confidence
        if answer:
            for asked in system_acts:
                if asked.type is CONFIRM and asked.slot in belief:
                    if answer > 0.0:
                        values = evidence.setdefault(asked.slot, {})
                        values[asked.value] = values.get(asked.value, 0.0) + answer
                    else:
                        denied.append((asked.slot, asked.value, -answer))
        if evidence:
            stats = self.stats
            for slot, values in evidence.items():
                if len(values) == 1:
                    ((value, total),) = values.items()
                    if total >= 1.0:  # certain: the focus rule leaves this value alone
                        belief[slot] = {value: 1.0}
                        stats[slot] = (value, 1.0, 0.0, 1.0 if value == DONTCARE else 0.0, 0.0)
                        continue
                total = sum(values.values())
                if total > 1.0:
                    values = {v: e / total for v, e in values.items()}
                    total = 1.0
                keep = 1.0 - total
                updated = {v: p * keep for v, p in belief[slot].items() if p * keep > _PRUNE}
                for value, weight in values.items():
                    updated[value] = updated.get(value, 0.0) + weight
                belief[slot] = updated
                self._refresh(slot)
        for slot, value, confidence in denied:
            slot_belief = belief[slot]
            if value in slot_belief:
                slot_belief[value] *= 1.0 - confidence
                self._refresh(slot)
        if evidence:
            self.nomatch = False
            self.matches = self.database.match(self.constraints())
        self.reqalts = reqalts if reqalts < 1.0 else 1.0
        if answer < 0.0 and system_acts and system_acts[0].type is BOOK:
            book -= answer  # "no" to a booking: a detail was wrong, book again
        if book > 1.0:
            book = 1.0
        if book >= 0.5:
            self.booked = False  # asking to book (again) means no booking satisfies yet
        if book > self.book_requested or self.booked:
            self.book_requested = book
        self.bye = bye if bye < 1.0 else 1.0
        self.user_acts = hypotheses[0].acts

    def _refresh(self, slot: str) -> None:
        """Recompute a slot's `SlotStats` after its belief changed."""
        slot_belief = self.belief[slot]
        if not slot_belief:
            self.stats[slot] = _UNKNOWN
            return
        top_value = max(slot_belief, key=slot_belief.__getitem__)
        top = slot_belief[top_value]
        second = max((p for v, p in slot_belief.items() if v != top_value), default=0.0)
        self.stats[slot] = (
            top_value,
            min(1.0, top),
            second,
            min(1.0, slot_belief.get(DONTCARE, 0.0)),
            max(0.0, 1.0 - sum(slot_belief.values())),
        )

    # -- reading the belief ---------------------------------------------------------------------

    def top(self, slot: str) -> tuple[str | None, float]:
        """The most likely value of a slot and its probability (``(None, 0.0)`` if unknown)."""
        stats = self.stats[slot]
        return stats[0], stats[1]

    def top_two(self, slot: str) -> list[tuple[str, float]]:
        """The two most likely values of a slot with their probabilities (fewer if unknown)."""
        ranked = sorted(self.belief[slot].items(), key=lambda item: -item[1])
        return ranked[:2]

    def constraints(self) -> dict[str, str]:
        """The most likely value of every constraint slot the user has said something about."""
        stats = self.stats
        return {s: stats[s][0] for s in self.constraint_slots if stats[s][0] is not None}  # type: ignore[misc]

    def booking(self) -> dict[str, str]:
        """The most likely value of every booking slot the user has given (not ``dontcare``)."""
        found = {}
        for slot in self.booking_slots:
            value = self.stats[slot][0]
            if value is not None and value != DONTCARE:
                found[slot] = value
        return found

    def summary(self) -> dict[str, tuple[str, float]]:
        """Every slot with a belief, to its most likely value and probability (for ``info``)."""
        return {s: (v, p) for s, (v, p, _, _, _) in self.stats.items() if v is not None}
