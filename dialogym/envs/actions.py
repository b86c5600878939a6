"""Summary actions: the policy's discrete choices, turned into system dialogue acts.

A policy does not pick slot values: it picks a summary action (ask for ``food``, confirm
``area``, offer, ...) and this module fills in the values from the belief and the database,
as PyDial's summary action space does. Masks mark the actions that make sense in the current
belief state.
"""

from __future__ import annotations

from dialogym.acts import (
    BOOK,
    BYE,
    CONFIRM,
    INFORM,
    NOMATCH,
    NULL,
    OFFER,
    REQMORE,
    REQUEST,
    SELECT,
    Act,
    Acts,
)
from dialogym.domains import DONTCARE, Database, Domain
from dialogym.tracking import BeliefTracker

_NULL = (Act(NULL),)
_REQMORE = (Act(REQMORE),)
_BYE = (Act(BYE),)

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
        self._request_acts = tuple((Act(REQUEST, s),) for s in (*constraint_slots, *booking_slots))
        self._first_confirm = n_requests
        self._first_select = n_requests + n_constraints
        self._first_global = n_requests + 2 * n_constraints
        self._executors = (
            self._offer,
            self._inform,
            self._offer_alternative,
            self._book,
            self._reqmore,
            self._bye,
        )

    # -- from action to acts --------------------------------------------------------------------

    def execute(self, action: int, tracker: BeliefTracker) -> Acts:
        """The system acts for summary action ``action`` in the tracker's current state."""
        if action < self._first_confirm:
            return self._request_acts[action]
        if action < self._first_select:
            slot = self.constraint_slots[action - self._first_confirm]
            value, _ = tracker.top(slot)
            return _NULL if value is None else (Act(CONFIRM, slot, value),)
        if action < self._first_global:
            slot = self.constraint_slots[action - self._first_select]
            options = tracker.top_two(slot)
            if len(options) < 2:
                return _NULL
            return (Act(SELECT, slot, options[0][0]), Act(SELECT, slot, options[1][0]))
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
        acts = [Act(OFFER, self.domain.name_slot, record[self.domain.name_slot])]
        for slot, value in tracker.constraints().items():
            if value != DONTCARE:
                acts.append(Act(INFORM, slot, record[slot]))
        return tuple(acts)

    def _nomatch(self, tracker: BeliefTracker) -> Acts:
        stated = [Act(NOMATCH, s, v) for s, v in tracker.constraints().items() if v != DONTCARE]
        return tuple(stated) or _NULL

    def _inform(self, tracker: BeliefTracker) -> Acts:
        if tracker.offered < 0:
            return _NULL
        record = self.database.entities[tracker.offered]
        name_slot = self.domain.name_slot
        wanted = [s for s, p in tracker.requested.items() if p >= PENDING and s != name_slot]
        if not wanted:
            return _NULL
        acts = [Act(INFORM, name_slot, record[name_slot])]
        acts += [Act(INFORM, slot, record[slot]) for slot in wanted]
        return tuple(acts)

    @staticmethod
    def _reqmore(tracker: BeliefTracker) -> Acts:
        return _REQMORE

    @staticmethod
    def _bye(tracker: BeliefTracker) -> Acts:
        return _BYE

    def _book(self, tracker: BeliefTracker) -> Acts:
        if tracker.offered < 0 or not self.booking_slots:
            return _NULL
        details = tracker.booking()
        if len(details) < len(self.booking_slots):
            return _NULL
        return tuple(Act(BOOK, slot, details[slot]) for slot in self.booking_slots)

    # -- masks ----------------------------------------------------------------------------------

    def mask(self, tracker: BeliefTracker) -> list[int]:
        """1 for every action that makes sense now, 0 for the rest (``bye`` is always allowed)."""
        stats = tracker.stats
        requests = []
        confirms = []
        selects = []
        something_said = 0
        for slot in self.constraint_slots:
            value, top, second, _, _ = stats[slot]
            requests.append(1 if top < GROUNDED else 0)
            confirms.append(1 if 0.0 < top < UNCERTAIN else 0)
            selects.append(1 if second > 0.05 else 0)
            if value is not None:
                something_said = 1
        offered = 1 if tracker.offered >= 0 else 0
        booking_wanted = offered and tracker.book_requested >= PENDING and not tracker.booked
        booking_known = 1
        for slot in self.booking_slots:
            value, top = stats[slot][:2]
            requests.append(1 if booking_wanted and top < GROUNDED else 0)
            if value is None or value == DONTCARE:
                booking_known = 0
        requests += confirms
        requests += selects
        requests += (
            something_said,  # offer
            1 if offered and max(tracker.requested.values()) >= PENDING else 0,  # inform
            offered,  # offer_alternative
            1 if booking_wanted and booking_known and self.booking_slots else 0,  # book
            offered,  # reqmore
            1,  # bye
        )
        return requests
