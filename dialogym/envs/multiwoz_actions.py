"""Summary system actions over MultiWOZ's seven domains, for learning, with a mask per action.

Each action id stands for a few unified acts (``(intent, domain, slot, value)``), built from
the tracker's `MultiWozState` and the database when the action is carried out. The actions,
in id order (`MultiWozActions.names`):

- ``request_<domain>_<slot>`` for each constraint slot of a domain (`REQUEST_SLOTS`):
  ``("request", domain, slot, "")``. Allowed while the belief holds no value for the slot.
- ``inform_<domain>`` for every domain: offer an entity. For a database domain, the *first*
  match of the belief's constraints: its name (train: its ``train id``; hospital: its
  ``department``), the entity's value of each slot the user has requested in the domain, and
  ``choice`` = the number of matches when several match and the user's latest acts request
  nothing in the domain (ConvLab's user takes a ``choice`` above 1 as a cue to pick one, and
  asks its requests again).
  For taxi: a car ``type`` and an 11-digit ``phone`` drawn from the dialogue's stream. The
  entity becomes the domain's *offered* one (`MultiWozActions.offered`). Allowed when
  something matches (taxi: once ``leave at`` or ``arrive by`` is known).
- ``nooffer_<domain>`` for the database domains but police: ``nooffer`` with each constraint
  that is not ``dontcare``. Allowed when constraints are known and nothing matches.
- ``offerbook_<domain>`` for the booking domains (`BOOKING_SLOTS`): ``("offerbook", domain,
  name-or-train-id, value)`` of the offered entity. Allowed when the offered entity still
  matches and the domain is not booked yet.
- ``book_<domain>`` for the booking domains: ``("book", domain, "", "")`` and
  ``("inform", domain, "ref", "<row, 8 digits>")`` for the offered entity, which ConvLab's
  evaluator books by row. Allowed when the offered entity still matches, the domain's booking
  slots are all in the belief, and the domain is not booked yet.
- ``reqmore``, ``welcome``, ``bye``: ``(intent, "general", "", "")``, always allowed.

Every action of a domain is allowed only once the user has named the domain in an act
(`MultiWozActions.mentioned`): ConvLab's user lets a request about a domain outside its goal
pass unanswered, so without this a learner spends such requests as free "wait" turns that a
person would find baffling, and offers entities nobody asked for.

`MultiWozActions.update` queries the database once per turn and computes the mask;
`MultiWozActions.execute` carries an action out. An action the mask forbids is not carried out:
`execute` then returns no act.

>>> from dialogym.tracking.multiwoz_dst import MultiWozTracker
>>> actions = MultiWozActions()
>>> state = MultiWozTracker().update([("inform", "restaurant", "food", "chinese")])
>>> mask = actions.update(state)
>>> bool(mask[actions.names.index("inform_restaurant")]), actions.matches["restaurant"] > 1
(True, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from dialogym.acts import UnifiedAct
from dialogym.domains.domain import excerpt
from dialogym.domains.multiwoz import MULTIWOZ_DOMAINS, MultiWozDatabase, load_multiwoz
from dialogym.randomness import RandomStream
from dialogym.tracking.multiwoz_dst import BELIEF_SLOTS, MultiWozState

REQUEST_SLOTS: Mapping[str, tuple[str, ...]] = {
    domain: tuple(s for s in BELIEF_SLOTS.get(domain, ()) if not s.startswith("book "))
    for domain in MULTIWOZ_DOMAINS
}
"""Per domain, the constraint slots (belief slots but booking ones): what the system may ask,
and what the database is queried with (police: none)."""

BOOKING_SLOTS: Mapping[str, tuple[str, ...]] = {
    "restaurant": ("book time", "book day", "book people"),
    "hotel": ("book stay", "book day", "book people"),
    "train": ("book people",),
}
"""Per bookable domain, the belief slots a booking needs."""

QUERIED_DOMAINS: tuple[str, ...] = ("restaurant", "hotel", "attraction", "train", "hospital")
"""The domains whose constraints can match nothing (taxi always has a car; police ignores
constraints)."""

ENTITY_SLOTS: Mapping[str, tuple[str, str]] = {
    **dict.fromkeys(("restaurant", "hotel", "attraction", "police"), ("name", "name")),
    "train": ("train id", "trainID"),
    "hospital": ("department", "department"),
}
"""Per database domain, the unified slot and the column that name an entity."""

COLUMNS: Mapping[str, str] = {
    "price range": "pricerange",
    "leave at": "leaveAt",
    "arrive by": "arriveBy",
    "train id": "trainID",
}
"""Unified slots whose database column is spelled otherwise (the others are the same)."""

GENERAL_ACTIONS: tuple[str, ...] = ("reqmore", "welcome", "bye")
"""The domain-free actions, each one ``general`` act of that intent."""

DONTCARE = "dontcare"
"""The belief value of a slot the user does not care about (never listed in a nooffer)."""


@dataclass(frozen=True)
class SummaryAction:
    """One summary action: what it does, in which domain, on which slot.

    Attributes:
        kind: ``request``, ``inform``, ``nooffer``, ``offerbook``, ``book`` or a general
            intent (`GENERAL_ACTIONS`).
        domain: The domain, ``general`` for the general actions.
        slot: The requested slot (``request`` only), else ``""``.
    """

    kind: str
    domain: str
    slot: str = ""

    @property
    def name(self) -> str:
        """The action's name: ``request_hotel_area``, ``book_train``, ``bye``..."""
        if self.domain == "general":
            return self.kind
        parts = (
            (self.kind, self.domain, self.slot.replace(" ", "_"))
            if self.slot
            else (
                self.kind,
                self.domain,
            )
        )
        return "_".join(parts)


def summary_actions() -> tuple[SummaryAction, ...]:
    """Every summary action, in id order (see the module's docstring)."""
    actions: list[SummaryAction] = []
    for domain in MULTIWOZ_DOMAINS:
        actions.extend(SummaryAction("request", domain, slot) for slot in REQUEST_SLOTS[domain])
        actions.append(SummaryAction("inform", domain))
        if domain in QUERIED_DOMAINS:
            actions.append(SummaryAction("nooffer", domain))
        if domain in BOOKING_SLOTS:
            actions.append(SummaryAction("offerbook", domain))
            actions.append(SummaryAction("book", domain))
    actions.extend(SummaryAction(kind, "general") for kind in GENERAL_ACTIONS)
    return tuple(actions)


def offer_stands(offered: Mapping[str, int], rows: Mapping[str, int], domain: str) -> bool:
    """Whether the entity offered in ``domain`` (``offered``: its row) is among ``rows``.

    ``rows`` holds each queried domain's matching rows as a bit set; for taxi and police,
    whether an entity was offered at all.
    """
    row = offered.get(domain)
    if row is None or domain not in QUERIED_DOMAINS:
        return row is not None
    return bool(rows[domain] >> row & 1)


def constraints(state: MultiWozState, domain: str) -> list[tuple[str, str]]:
    """The belief's known constraints of a domain, as (database column, value) pairs."""
    belief = state.belief.get(domain, {})
    return [
        (COLUMNS.get(slot, slot), belief[slot])
        for slot in REQUEST_SLOTS[domain]
        if belief.get(slot)
    ]


class MultiWozActions:
    """The summary actions of the MultiWOZ world, their masks and the acts they make.

    Args:
        database: The MultiWOZ databases (default: the package data's).

    Attributes:
        actions: The summary actions, in id order.
        names: Their names (`SummaryAction.name`).
        matches: Per domain, how many entities matched the belief at the last `update`
            (taxi and police: 1).
        offered: Per domain, the row of the entity last offered (taxi: 0 once offered).
        informed: Per domain, the slots the system has informed in this dialogue.
        mentioned: The domains the user has named in an act of this dialogue (as of the last
            `update`): the only ones whose actions are allowed.
    """

    def __init__(self, database: MultiWozDatabase | None = None) -> None:
        self.database = load_multiwoz().database if database is None else database
        self.actions = summary_actions()
        self.names = tuple(action.name for action in self.actions)
        self.matches: dict[str, int] = {}
        self.offered: dict[str, int] = {}
        self.informed: dict[str, set[str]] = {}
        self.mentioned: set[str] = set()
        self._first: dict[str, int] = {}
        self._rows: dict[str, int] = {}
        self._mask = np.ones(len(self.actions), dtype=np.int8)
        self._allowed = [True] * len(self.actions)  # general actions stay allowed
        self._known: dict[str, list[tuple[str, str]]] = {}  # the constraints last queried
        self._unnamed: dict[str, tuple[int, int, int]] = {}  # rows, matches, first: no belief
        for domain in MULTIWOZ_DOMAINS:
            rows = self.database.mask(domain, []) if domain in QUERIED_DOMAINS else 0
            matches = rows.bit_count() if domain in QUERIED_DOMAINS else 1
            self._unnamed[domain] = (rows, matches, 0)
        self._index: dict[str, dict[str, int]] = {}
        for position, action in enumerate(self.actions):
            key = f"request {action.slot}" if action.kind == "request" else action.kind
            self._index.setdefault(action.domain, {})[key] = position

    def reset(self) -> None:
        """Start a new dialogue: nothing offered, nothing informed."""
        self.offered = {}
        self.informed = {}
        self.mentioned = set()
        self._known = {}

    def update(self, state: MultiWozState) -> np.ndarray:
        """Query the database with the belief and compute the mask of allowed actions.

        Returns:
            The 0/1 ``np.int8`` mask, one entry per action (a copy).
        """
        allowed = self._allowed
        self.mentioned.update(act[1] for act in state.user_acts)
        for domain in MULTIWOZ_DOMAINS:
            index = self._index[domain]
            if domain not in self.mentioned:  # no belief yet: everything matches, nothing allowed
                self._rows[domain], self.matches[domain], self._first[domain] = self._unnamed[
                    domain
                ]
                for position in index.values():
                    allowed[position] = False
                continue
            belief = state.belief.get(domain, {})
            if domain in QUERIED_DOMAINS:
                known = constraints(state, domain)
                if known != self._known.get(domain):  # the belief changed: query again
                    self._known[domain] = known
                    rows = self.database.mask(domain, known)
                    self._rows[domain] = rows
                    self.matches[domain] = rows.bit_count()
                    self._first[domain] = (rows & -rows).bit_length() - 1
                allowed[index["nooffer"]] = not self._rows[domain] and bool(known)
            else:
                self.matches[domain] = 1
                self._first[domain] = 0
            for slot in REQUEST_SLOTS[domain]:
                allowed[index["request " + slot]] = not belief.get(slot)
            if domain == "taxi":
                allowed[index["inform"]] = bool(belief.get("leave at") or belief.get("arrive by"))
            else:
                allowed[index["inform"]] = self.matches[domain] > 0
            if domain in BOOKING_SLOTS:
                bookable = domain not in state.booked and self.offer_stands(domain)
                allowed[index["offerbook"]] = bookable
                allowed[index["book"]] = bookable and all(
                    belief.get(slot) for slot in BOOKING_SLOTS[domain]
                )
        self._mask = np.array(allowed, dtype=np.int8)
        return self._mask.copy()

    def offer_stands(self, domain: str) -> bool:
        """Whether an entity offered in ``domain`` still matches the belief.

        As of the last `update`; for taxi and police, whether one was offered at all.
        """
        return offer_stands(self.offered, self._rows, domain)

    def read(self, action: object) -> int:
        """Check an action of the ``Discrete`` space and return its id.

        Raises:
            ValueError: It is not an integer id of an action.
        """
        try:
            index = int(action)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            raise ValueError(f"action: expected an action id, got {excerpt(action)}") from None
        if not 0 <= index < len(self.actions):
            raise ValueError(f"action: {index} is outside Discrete({len(self.actions)})")
        return index

    def execute(self, index: int, state: MultiWozState, random: RandomStream) -> list[UnifiedAct]:
        """The acts of action ``index`` in the state of the last `update` (none if masked).

        Args:
            index: The action id.
            state: The tracker's state, as given to the last `update`.
            random: The dialogue's stream (taxi's car and phone are drawn from it).
        """
        if not self._mask[index]:
            return []
        action = self.actions[index]
        kind, domain = action.kind, action.domain
        if kind == "request":
            return [("request", domain, action.slot, "")]
        if kind == "inform":
            return self._inform(state, domain, random)
        if kind == "nooffer":
            belief = state.belief[domain]
            return [
                ("nooffer", domain, slot, belief[slot])
                for slot in REQUEST_SLOTS[domain]
                if belief.get(slot) and belief[slot] != DONTCARE
            ]
        if kind == "offerbook":
            return [("offerbook", domain, *self._entity(domain, self.offered[domain]))]
        if kind == "book":
            self.informed.setdefault(domain, set()).add("ref")
            return [
                ("book", domain, "", ""),
                ("inform", domain, "ref", f"{self.offered[domain]:08d}"),
            ]
        return [(kind, "general", "", "")]

    def _inform(self, state: MultiWozState, domain: str, random: RandomStream) -> list[UnifiedAct]:
        informed = self.informed.setdefault(domain, set())
        if domain == "taxi":
            self.offered[domain] = 0
            informed.update(("type", "phone"))
            car = random.choice(self.database.taxi.types)
            phone = "".join(str(random.below(10)) for _ in range(11))
            return [("inform", "taxi", "type", car), ("inform", "taxi", "phone", phone)]
        row = self._first[domain]
        self.offered[domain] = row
        acts: list[UnifiedAct] = []
        asked = any(act[0] == "request" and act[1] == domain for act in state.user_acts)
        if self.matches[domain] > 1 and not asked:
            acts.append(("inform", domain, "choice", str(self.matches[domain])))
        named, value = self._entity(domain, row)
        acts.append(("inform", domain, named, value))
        informed.add(named)
        entity = self.database.rows(domain)[row]
        for slot in state.requests.get(domain, ()):
            found = entity.get(COLUMNS.get(slot, slot))
            if found is not None and slot != named:
                acts.append(("inform", domain, slot, str(found)))
                informed.add(slot)
        return acts

    def _entity(self, domain: str, row: int) -> tuple[str, str]:
        slot, column = ENTITY_SLOTS[domain]
        return slot, str(self.database.rows(domain)[row].get(column, ""))
