"""Summary actions: the policy's discrete choices, turned into system dialogue acts, and masks.

A policy does not pick slot values: it picks a summary action (ask for ``food``, confirm
``area``, offer, ...) and this module fills in the values from the belief and the database, as
PyDial's summary action space does (``policy/SummaryAction.py`` and ``policy/SummaryUtils.py``).
dialogym's names for PyDial's actions: ``offer`` is PyDial's ``inform`` (offer a venue by the
accepted constraints), ``inform`` is ``inform_byname`` (answer the requested slots of the venue
offered), ``offer_alternative`` is ``inform_alternatives``. PyDial's ``repeat`` and ``restart``
are always masked there and are left out; ``book`` and the booking requests are dialogym's
(PyDial's domains have no booking).

What each action says:

* ``offer``: the first entity matching the accepted values (the venue offered last, if it still
  matches), with ``inform(slot=its value)`` for each accepted slot, ``dontcare`` ones included,
  at most ``max_inform_slots`` of them (drawn at random when more are accepted; slots whose
  value is ``not available`` are left unsaid); ``nomatch`` acts for the accepted constraints
  when nothing matches. With no real constraint PyDial's database returns every entity in random
  order, so the entity is drawn at random.
* ``inform``: ``inform(name=offered)`` and the value of each requested slot (at most
  ``max_inform_slots``, ``not available`` said as it is); with nothing requested, the venue's
  ``type`` or a random requestable slot, as PyDial does.
* ``offer_alternative``: the first match not offered since the last no-match; when every match
  was, PyDial's "no venue except those" (here ``nomatch`` acts naming the accepted values,
  ``dontcare`` included, at most ``max_inform_slots``).

The masks (PyDial's ``getNonExecutable`` with the benchmark's ``informmask``, ``requestmask``
and ``byemask`` on):

* ``request:S`` is never masked; ``confirm:S`` is masked while nothing is believed of S,
  ``select:S`` while S has fewer than two values with belief;
* ``offer`` is masked unless the summary method is by constraints, and while fewer than
  ``inform_count_accepted`` slots are accepted and the accepted values still discriminate
  between the matching entities (`BeliefTracker.discriminable`);
* ``inform`` is masked unless the summary method is by name and a venue was offered;
* ``offer_alternative`` is masked unless the user asked for alternatives since the last one
  offered and a venue was offered; ``reqmore`` is masked until a venue was offered;
* ``bye`` is masked unless the summary method is finished (the user's goodbye heard with belief
  above one half).

Where PyDial's code differs from its intent, dialogym does what the code does:

* the ``byemask`` switch sets the request mask instead (``self.request_mask = ... 'byemask'``),
  so the bye mask stays on even in the configurations that turn every mask off (env2, env4):
  `SummaryActions.mask` with ``full=False`` gives that mask alone;
* ``inform`` (offer) is allowed with ``inform_count_accepted`` accepted slots or more even when
  they still discriminate: on PyDial's 11-slot Laptops11 the system may offer with 4 of them;
* ``dontcare`` is an ordinary value to ``confirm`` and ``select``, and the offer informs the
  entity's own value for a slot accepted as ``dontcare``;
* a request is never masked, even for a slot already known.

Random choices (more accepted slots than fit, no real constraint, nothing requested) draw from the
``stream`` given to `SummaryActions.execute`; without one the first candidate is taken.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

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
from dialogym.domains import DONTCARE, NOT_AVAILABLE, Database, Domain
from dialogym.randomness import RandomStream
from dialogym.tracking import BeliefTracker
from dialogym.tracking.belief import BYCONSTRAINTS, BYNAME, FINISHED

_NULL = (Act(NULL),)
_REQMORE = (Act(REQMORE),)
_BYE = (Act(BYE),)

GROUNDED = 0.8
"""Booking slots (dialogym's): a detail this likely is known, asking for it again is masked."""
BOOKING_WANTED = 0.3
"""Booking (dialogym's): the user's wish to book counts when at least this likely."""

TYPE_SLOT = "type"
"""The entity slot PyDial's ``inform`` says when nothing was requested (if the entity has it)."""
UNSAID_SLOTS = frozenset({"location"})
"""Requested slots PyDial's ``inform`` never says (besides the name, said first)."""
GLOBAL_ACTIONS = ("offer", "inform", "offer_alternative", "book", "reqmore", "bye")
"""The summary actions that name no slot, last in every layout."""


@dataclass(frozen=True)
class SummaryConfig:
    """The summary-action settings, PyDial's ``[summaryacts]`` of its benchmark configurations.

    Source: ``config/pydial_benchmarks/env*-hdc-{CR,SFR,LAP}.cfg`` (all eighteen agree).

    Attributes:
        max_inform_slots: Most slots an offer or an answer names (``maxinformslots``).
        inform_count_accepted: With this many accepted slots an offer is allowed even while the
            accepted values still discriminate between entities (``informcountaccepted``).
    """

    max_inform_slots: int = 5
    inform_count_accepted: int = 4

    def __post_init__(self) -> None:
        for name in ("max_inform_slots", "inform_count_accepted"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: must be a positive integer, got {value!r}")


class SummaryActions:
    """The summary action space of a domain.

    The actions, in order: ``request:S`` for every system-requestable then booking slot,
    ``confirm:S`` and ``select:S`` for every system-requestable slot, then ``offer``,
    ``inform``, ``offer_alternative``, ``book``, ``reqmore`` and ``bye`` (see the module
    docstring for what each says and when it is masked).

    Args:
        domain: The domain.
        database: Its database (built from the domain when not given).
        config: PyDial's summary-action settings (the benchmark's by default).
    """

    def __init__(
        self,
        domain: Domain,
        database: Database | None = None,
        config: SummaryConfig | None = None,
    ) -> None:
        self.domain = domain
        self.database = database or Database(domain)
        self.config = config or SummaryConfig()
        constraint_slots = domain.system_requestable
        booking_slots = domain.booking_slots
        self.constraint_slots = constraint_slots
        self.booking_slots = booking_slots
        names = [f"request:{s}" for s in (*constraint_slots, *booking_slots)]
        names += [f"confirm:{s}" for s in constraint_slots]
        names += [f"select:{s}" for s in constraint_slots]
        names += GLOBAL_ACTIONS
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
        name_slot = domain.name_slot
        self._answerable = tuple(s for s in domain.requestable if s != name_slot)

    # -- from action to acts --------------------------------------------------------------------

    def execute(
        self, action: int, tracker: BeliefTracker, stream: RandomStream | None = None
    ) -> Acts:
        """The system acts for summary action ``action`` in the tracker's current state.

        Args:
            action: The summary action's index.
            tracker: The dialogue's belief tracker (``offer_alternative`` clears its
                ``alternatives_requested``, as PyDial's action does).
            stream: The dialogue's random stream, for PyDial's random choices.
        """
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
        return self._executors[action - self._first_global](tracker, stream)

    def _offer(self, tracker: BeliefTracker, stream: RandomStream | None) -> Acts:
        matches = tracker.matches
        accepted = tracker.accepted
        if not matches:
            return self._nomatch(accepted)
        again = matches & tracker.offered_entities
        entity = self._pick(again or matches, accepted, stream if not again else None)
        return self._offer_entity(entity, accepted, stream)

    def _offer_alternative(self, tracker: BeliefTracker, stream: RandomStream | None) -> Acts:
        tracker.alternatives_requested = False
        matches = tracker.matches
        accepted = tracker.accepted
        if not matches:
            return self._nomatch(accepted)
        fresh = matches & ~tracker.offered_set
        if not fresh:  # every match was offered: "none but those"
            said = self._chosen(list(accepted), stream)
            return tuple(Act(NOMATCH, s, accepted[s]) for s in said) or _NULL
        return self._offer_entity(self._pick(fresh, accepted, stream), accepted, stream)

    def _pick(self, candidates: int, accepted: dict[str, str], stream: RandomStream | None) -> int:
        """The first candidate entity; a random one when no accepted value constrains."""
        if stream is None or any(v != DONTCARE for v in accepted.values()):
            return self.database.first(candidates)
        return stream.choice(self.database.indices(candidates))

    def _chosen(self, slots: list[str], stream: RandomStream | None) -> list[str]:
        """``slots`` cut to ``max_inform_slots`` (a random choice, kept in order, when a stream is given)."""
        most = self.config.max_inform_slots
        if len(slots) <= most:
            return slots
        if stream is None:
            return slots[:most]
        kept = set(stream.sample(slots, most))
        return [s for s in slots if s in kept]

    def _offer_entity(
        self, entity: int, accepted: dict[str, str], stream: RandomStream | None
    ) -> Acts:
        record = self.database.entities[entity]
        acts = [Act(OFFER, self.domain.name_slot, record[self.domain.name_slot])]
        for slot in self._chosen(list(accepted), stream):
            value = record[slot]
            if value and value.lower() != NOT_AVAILABLE:
                acts.append(Act(INFORM, slot, value))
        return tuple(acts)

    @staticmethod
    def _nomatch(accepted: dict[str, str]) -> Acts:
        stated = [Act(NOMATCH, s, v) for s, v in accepted.items() if v != DONTCARE]
        return tuple(stated) or _NULL

    def _inform(self, tracker: BeliefTracker, stream: RandomStream | None) -> Acts:
        entity = tracker.offered
        if entity < 0:  # masked; unmasked, PyDial answers about a random venue
            count = len(self.database.entities)
            entity = stream.below(count) if stream is not None else 0
        record = self.database.entities[entity]
        name_slot = self.domain.name_slot
        acts = [Act(INFORM, name_slot, record[name_slot])]
        wanted = tracker.requested_slots()
        if not wanted:
            if TYPE_SLOT in record:
                extra = TYPE_SLOT
            elif stream is not None:
                extra = stream.choice(self._answerable)
            else:
                extra = self._answerable[0]
            acts.append(Act(INFORM, extra, record[extra]))
            return tuple(acts)
        for slot in self._chosen(wanted, stream):
            if slot != name_slot and slot not in UNSAID_SLOTS:
                acts.append(Act(INFORM, slot, record[slot]))
        return tuple(acts)

    @staticmethod
    def _reqmore(tracker: BeliefTracker, stream: RandomStream | None) -> Acts:
        return _REQMORE

    @staticmethod
    def _bye(tracker: BeliefTracker, stream: RandomStream | None) -> Acts:
        return _BYE

    def _book(self, tracker: BeliefTracker, stream: RandomStream | None) -> Acts:
        if tracker.offered < 0 or not self.booking_slots:
            return _NULL
        details = tracker.booking()
        if len(details) < len(self.booking_slots):
            return _NULL
        return tuple(Act(BOOK, slot, details[slot]) for slot in self.booking_slots)

    # -- masks ----------------------------------------------------------------------------------

    def mask(self, tracker: BeliefTracker, full: bool = True) -> list[int]:
        """1 for every action allowed now, 0 for the masked ones (see the module docstring).

        Args:
            tracker: The dialogue's belief tracker.
            full: False for PyDial's configurations that turn the masks off (env2, env4):
                only the bye mask, which PyDial's switch fails to turn off, applies.
        """
        finished = 1 if tracker.summary_method == FINISHED else 0
        if not full:
            mask = [1] * self.n
            mask[-1] = finished
            return mask
        stats = tracker.stats
        mask = [1] * len(self.constraint_slots)  # requests
        confirms = []
        selects = []
        for slot in self.constraint_slots:
            slot_stats = stats[slot]
            confirms.append(1 if slot_stats[1] > 0.0 else 0)
            selects.append(1 if slot_stats[2] > 0.0 else 0)
        offered = 1 if tracker.offered >= 0 else 0
        booking_wanted = offered and tracker.book_requested >= BOOKING_WANTED and not tracker.booked
        booking_known = 1
        for slot in self.booking_slots:
            value, top = stats[slot][:2]
            mask.append(1 if booking_wanted and top < GROUNDED else 0)
            if value is None or value == DONTCARE:
                booking_known = 0
        method = tracker.summary_method
        offer = method == BYCONSTRAINTS and (
            len(tracker.accepted) >= self.config.inform_count_accepted or not tracker.discriminable
        )
        mask += confirms
        mask += selects
        mask += (
            1 if offer else 0,
            1 if offered and method == BYNAME else 0,  # inform
            1 if offered and tracker.alternatives_requested else 0,  # offer_alternative
            1 if booking_wanted and booking_known and self.booking_slots else 0,  # book
            offered,  # reqmore
            finished,  # bye
        )
        return mask


class SlotActions:
    """The summary actions on the per-slot layout: the same ``Discrete(n)`` for every domain.

    `SummaryActions` has one ``request``, ``confirm`` and ``select`` per slot of the domain, so
    its size depends on the ontology. Here there are ``max_slots`` of each (and ``max_booking``
    booking requests), matching the rows of `dialogym.encoders.slots.SlotEncoder`: row ``k``'s
    actions act on the domain's ``k``-th slot. Actions of rows the domain lacks are always
    masked (not carried out, like any masked action). The order mirrors `SummaryActions`:
    requests of the constraint rows, requests of the booking rows, confirms, selects, then
    `GLOBAL_ACTIONS`.

    Args:
        actions: The domain's summary actions.
        max_slots: Constraint slot rows (`dialogym.encoders.slots.MAX_SLOTS`).
        max_booking: Booking slot rows (`dialogym.encoders.slots.MAX_BOOKING_SLOTS`).
    """

    def __init__(self, actions: SummaryActions, max_slots: int, max_booking: int) -> None:
        constraint = list(actions.constraint_slots)
        booking = list(actions.booking_slots)
        rows: list[tuple[str, list[str], int]] = [
            ("request", constraint, max_slots),
            ("request", booking, max_booking),
            ("confirm", constraint, max_slots),
            ("select", constraint, max_slots),
        ]
        names: list[str] = []
        for kind, slots, count in rows:
            for row in range(count):
                names.append(f"{kind}:{slots[row]}" if row < len(slots) else f"unused:{kind}{row}")
        names += GLOBAL_ACTIONS
        self.names: tuple[str, ...] = tuple(names)
        self.n = len(names)
        self.to_domain = np.array([actions.index.get(name, -1) for name in names], dtype=np.int64)
        """Each action's index among the domain's summary actions (-1 for a missing row)."""
        self._present = self.to_domain >= 0

    def mask(self, domain_mask: Sequence[int]) -> np.ndarray:
        """This layout's ``np.int8`` mask from the domain's: missing rows are always masked."""
        mask = np.zeros(self.n, dtype=np.int8)
        mask[self._present] = np.asarray(domain_mask, dtype=np.int8)[self.to_domain[self._present]]
        return mask
