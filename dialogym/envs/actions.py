"""Summary actions: the policy's discrete choices, turned into system dialogue acts.

A policy does not pick slot values: it picks a summary action (ask for ``food``, confirm
``area``, offer, ...) and this module fills in the values from the belief and the database,
as PyDial's summary action space does. Masks mark the actions that make sense in the current
belief state.
"""

from __future__ import annotations

from dialogym.acts import Act, Acts, ActType
from dialogym.domains import DONTCARE, Database, Domain
from dialogym.tracking import BeliefTracker

_NULL = (Act(ActType.NULL),)

GROUNDED = 0.8
"""A slot whose best value is at least this likely counts as known: asking again is masked."""
UNCERTAIN = 0.95
"""Confirming is allowed while the best value is below this probability."""
PENDING = 0.3
"""A user request (for a slot, an alternative, a booking) counts when at least this likely."""


class SummaryActions:
    """The summary action space of a domain.

    The actions, in order: ``request:S`` for every system-requestable then booking slot,
    ``confirm:S`` and ``select:S`` for every system-requestable slot, then ``offer``,
    ``inform``, ``offer_alternative``, ``book``, ``reqmore`` and ``bye``.
    """

    def __init__(self, domain: Domain, database: Database | None = None) -> None:
        self.domain = domain
        self.database = database or Database(domain)
        constraint_slots = domain.system_requestable
        booking_slots = domain.booking_slots
        self.constraint_slots = constraint_slots
        self.booking_slots = booking_slots
        names = [f"request:{s}" for s in (*constraint_slots, *booking_slots)]
        names += [f"confirm:{s}" for s in constraint_slots]
        names += [f"select:{s}" for s in constraint_slots]
        names += ["offer", "inform", "offer_alternative", "book", "reqmore", "bye"]
        self.names: tuple[str, ...] = tuple(names)
        self.n = len(names)
        self.index = {name: i for i, name in enumerate(names)}
        n_constraints = len(constraint_slots)
        n_requests = n_constraints + len(booking_slots)
        self._request_slots = (*constraint_slots, *booking_slots)
        self._first_confirm = n_requests
        self._first_select = n_requests + n_constraints
        self._first_global = n_requests + 2 * n_constraints
        self._executors = (
            self._offer,
            self._inform,
            self._offer_alternative,
            self._book,
            lambda tracker: (Act(ActType.REQMORE),),
            lambda tracker: (Act(ActType.BYE),),
        )

    # -- from action to acts --------------------------------------------------------------------

    def execute(self, action: int, tracker: BeliefTracker) -> Acts:
        """The system acts for summary action ``action`` in the tracker's current state."""
        if action < self._first_confirm:
            return (Act(ActType.REQUEST, self._request_slots[action]),)
        if action < self._first_select:
            slot = self.constraint_slots[action - self._first_confirm]
            value, _ = tracker.top(slot)
            return _NULL if value is None else (Act(ActType.CONFIRM, slot, value),)
        if action < self._first_global:
            slot = self.constraint_slots[action - self._first_select]
            options = tracker.top_two(slot)
            if len(options) < 2:
                return _NULL
            return (Act(ActType.SELECT, slot, options[0][0]), Act(ActType.SELECT, slot, options[1][0]))
        return self._executors[action - self._first_global](tracker)

    def _offer(self, tracker: BeliefTracker) -> Acts:
        matches = tracker.matches
        if not matches:
            return self._nomatch(tracker)
        if tracker.offered >= 0 and (matches >> tracker.offered) & 1:
            return self._offer_entity(tracker.offered, tracker)
        return self._offer_entity(self.database.first(matches), tracker)

    def _offer_alternative(self, tracker: BeliefTracker) -> Acts:
        matches = tracker.matches
        if not matches:
            return self._nomatch(tracker)
        entity = self.database.first(matches, excluding=tracker.offered_set)
        if entity < 0:  # every match was offered: go round again
            entity = self.database.first(matches, excluding=1 << tracker.offered)
        if entity < 0:
            entity = self.database.first(matches)
        return self._offer_entity(entity, tracker)

    def _offer_entity(self, entity: int, tracker: BeliefTracker) -> Acts:
        record = self.database.entities[entity]
        acts = [Act(ActType.OFFER, self.domain.name_slot, record[self.domain.name_slot])]
        for slot, value in tracker.constraints().items():
            if value != DONTCARE:
                acts.append(Act(ActType.INFORM, slot, record[slot]))
        return tuple(acts)

    def _nomatch(self, tracker: BeliefTracker) -> Acts:
        stated = [Act(ActType.NOMATCH, s, v) for s, v in tracker.constraints().items() if v != DONTCARE]
        return tuple(stated) or _NULL

    def _inform(self, tracker: BeliefTracker) -> Acts:
        if tracker.offered < 0:
            return _NULL
        record = self.database.entities[tracker.offered]
        name_slot = self.domain.name_slot
        wanted = [s for s, p in tracker.requested.items() if p >= PENDING and s != name_slot]
        if not wanted:
            return _NULL
        acts = [Act(ActType.INFORM, name_slot, record[name_slot])]
        acts += [Act(ActType.INFORM, slot, record[slot]) for slot in wanted]
        return tuple(acts)

    def _book(self, tracker: BeliefTracker) -> Acts:
        if tracker.offered < 0 or not self.booking_slots:
            return _NULL
        details = tracker.booking()
        if len(details) < len(self.booking_slots):
            return _NULL
        return tuple(Act(ActType.BOOK, slot, details[slot]) for slot in self.booking_slots)

    # -- masks ----------------------------------------------------------------------------------

    def mask(self, tracker: BeliefTracker) -> list[int]:
        """1 for every action that makes sense now, 0 for the rest (``bye`` is always allowed)."""
        stats = tracker.stats
        constraint_stats = [stats[slot] for slot in self.constraint_slots]
        offered = tracker.offered >= 0
        booking_wanted = offered and tracker.book_requested >= PENDING and not tracker.booked
        allowed = [1 if s[1] < GROUNDED else 0 for s in constraint_stats]
        allowed += [
            1 if booking_wanted and stats[slot][1] < GROUNDED else 0 for slot in self.booking_slots
        ]
        allowed += [1 if 0.0 < s[1] < UNCERTAIN else 0 for s in constraint_stats]
        allowed += [1 if s[2] > 0.05 else 0 for s in constraint_stats]
        booking_known = bool(self.booking_slots) and len(tracker.booking()) == len(self.booking_slots)
        allowed += (
            1 if any(s[0] is not None for s in constraint_stats) else 0,  # offer
            1 if offered and max(tracker.requested.values()) >= PENDING else 0,  # inform
            1 if offered else 0,  # offer_alternative
            1 if booking_wanted and booking_known else 0,  # book
            1 if offered else 0,  # reqmore
            1,  # bye
        )
        return allowed
