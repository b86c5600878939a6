"""ConvLab-3's MultiWOZ agenda user, rebuilt: the user of the MultiWOZ world.

This is a rewrite of ``UserPolicyAgendaMultiWoz`` and its ``Agenda``
(``convlab/policy/rule/multiwoz/policy_agenda_multiwoz.py`` at 2a168fc, "PA" below), read for
its behaviour. The user keeps a stack of pending acts, the agenda. At the bottom is
``bye``; above it, for each goal domain (the first domain on top), the domain's
constraints in a random order (its infeasible ``fail_info`` when it has one) under an
``inform`` without slot that announces the domain (PA:439-477). Each turn the user reacts to
the system's acts by pushing items (below), then pops its turn from the top: the booking
details of one domain together, otherwise as many items as it pushed this turn, or 1 to 4
when it pushed none (or only ``dontcare`` answers); a pop stops where the act type changes,
and after a request for a name (PA:907-954). Items it cannot say (a slot missing from
ConvLab's user-act table) are popped and dropped. Pushing a
``people``, ``day``, ``area`` or ``pricerange`` item whose value an item on the stack already
has rewrites that item, with p = 0.3, to "the same", "the same day", "same area as the
<domain>" or "in the same price range as the <domain>" (PA:891-905).

==============================  ==============================================================
system act (per goal domain)     user reaction (method)
==============================  ==============================================================
``nooffer`` (or choice = 0)      state the feasible constraints if it began with infeasible
                                 ones; else give up (bye) if it has requests
                                 (`_handle_nooffer`, PA:757-772)
``nobook``                       give up (bye) if it wanted a booking (`_handle_nobook`)
``inform``, ``recommend``        learn requested values; correct a value that breaks a
                                 constraint; ask to pick (``choice any``) when several match
                                 (`_handle_inform`, PA:659-702)
``book``                         the same checks; the booking is accepted when none fails
``offerbook``, ``offerbooked``   ignored (PA:556-563), unless ``accept_offerbook``
``request``                      answer from the goal; a taxi's places are the venues before
                                 it; ``dontcare`` for anything else (`_handle_request`)
``select``                       state the goal's value, or take an offered one
                                 (`_handle_select`)
any ``*book*`` act               ``inform NotBook`` when the current domain needs no booking
``general-*``                    nothing (a system ``bye`` ends nothing), unless
                                 ``bye_ends_dialogue``
==============================  ==============================================================

After the reactions (`_post_process`, PA:532-540), the first unfinished goal domain gets its
requests pushed (when no constraint or request of it is pending) or else its booking details.
When every request is answered and every booking made, or after ``max_turn`` (40, counted 2
per turn: the 21st call answers the 20th system turn), the stack becomes just ``bye``.

ConvLab's known defects are kept by default, each fixable through `MultiWozUserOptions`.
Values the system gives are matched to the ontology (``value_set.json``) by ConvLab's fuzzy
containment rule before they are compared with the goal (PA:249-316). All draws come from the
`RandomStream` given to `MultiWozUser.start`; ConvLab's draws use Python's ``random``, so a
dialogue follows ConvLab's distribution but not its exact sequence for a seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dialogym.acts import UnifiedAct
from dialogym.domains.multiwoz import MultiWozData, load_multiwoz
from dialogym.randomness import RandomStream
from dialogym.simulators.multiwoz_goals import DomainGoal, MultiWozGoal, SlotValues
from dialogym.unified_acts import (
    reverse_turn,
    system_goal_slot,
    unified_user_act,
    user_act_slot,
)

UNKNOWN = "?"
"""A requested value not yet given, and the value of a request item."""
DONTCARE = "dontcare"
"""The user's answer to a request for a slot outside its goal."""
NONE = "none"
"""The slot and value of an item without one (``inform none none`` announces a domain)."""
BOOKED = "yes"
"""A booking accepted by the user."""
NOT_SURE = frozenset((UNKNOWN, DONTCARE, NONE, "no"))
"""Values that leave a request or a booking unfinished (ConvLab's ``NOT_SURE_VALS``)."""
BOOKING_SLOTS = frozenset(("people", "day", "stay", "time"))
"""Goal slots of a booking (ConvLab's ``BOOK_SLOT``)."""
NOT_BOOK = "NotBook"
"""The slot of the user's "I need no booking" (``inform NotBook none``)."""
VENUES = ("attraction", "hotel", "restaurant", "police", "hospital")
"""Domains a taxi can take the user to or from."""
FOCUS_DOMAINS = frozenset(("attraction", "hotel", "restaurant", "taxi", "train"))
"""Domains the user's own acts make current (PA:831-835)."""

_SAME_VALUE = {
    "people": "the same",
    "day": "the same day",
    "area": "same area as the {}",
    "pricerange": "in the same price range as the {}",
}
_CLOSE = ("general", "bye")


@dataclass(frozen=True)
class MultiWozUserOptions:
    """How the user behaves: ConvLab-3's parameters, and a fix for each of its known defects.

    The defaults reproduce ConvLab-3 (PA = ``policy_agenda_multiwoz.py`` at 2a168fc).

    Attributes:
        accept_offerbook: ConvLab's user ignores ``offerbook`` and ``offerbooked``: their
            names contain "book", so they go to ``update_booking``, which has no branch for
            them (PA:503-504, 556-563); the branch meant for them (PA:581) is unreachable.
            True: they are taken as an offer to book. Their slots are checked as an inform's
            (a wrong constraint is corrected; requested values in them are not learned, as
            ConvLab's evaluator does not take them for the final goal either), and a user whose
            goal still wants a booking in that domain answers with its booking details at
            once, unless it first corrects a constraint; one that wants none says ``NotBook``
            (as ConvLab's user already does for the current domain).
        notbook_blocks_requests: ConvLab's user counts its own pending ``inform NotBook`` as
            a constraint still to be stated (PA:869-873), so it neither pushes its requests
            in post_process (PA:535) nor stores requested values while one is pending. Against
            ConvLab's rule policy, which offers a booking after every train inform, a train
            goal without booking never asks its requests and runs to the turn cap. False:
            a pending NotBook blocks nothing.
        bye_ends_dialogue: ConvLab's user ignores a system ``bye`` (PA:598-601, the closing
            code commented out). True: a system ``bye`` closes the user's agenda, and the user
            says bye.
        max_turn: The turn cap, counted 2 per user turn (PA:79, 111, 130): 40 lets the user
            answer 20 system turns, and say bye in reply to the 20th.
        max_initiative: The most items the user pops when it pushed none (PA:80, 142).
        same_value_share: P(an item is rewritten to "the same ...") when an item with the same
            slot and value is pushed (PA:894).
    """

    accept_offerbook: bool = False
    notbook_blocks_requests: bool = True
    bye_ends_dialogue: bool = False
    max_turn: int = 40
    max_initiative: int = 4
    same_value_share: float = 0.3


CONVLAB_USER = MultiWozUserOptions()
"""The user as ConvLab-3 has it, defects included."""

FIXED_USER = MultiWozUserOptions(
    accept_offerbook=True, notbook_blocks_requests=False, bye_ends_dialogue=True
)
"""The user with every fix on."""


class _Item:
    """One pending act on the agenda (ConvLab's ``{'diaact', 'slot', 'value'}``)."""

    __slots__ = ("domain", "intent", "slot", "value")

    def __init__(self, domain: str, intent: str, slot: str, value: str) -> None:
        self.domain = domain
        self.intent = intent
        self.slot = slot
        self.value = value


_SystemActions = dict[str, list[tuple[str, str]]]
"""The system's turn as the agenda reads it: ``"domain-intent"`` to (goal slot, value) pairs."""


class MultiWozUser:
    """ConvLab-3's MultiWOZ agenda user, speaking ConvLab's unified acts.

    Call `start` once per dialogue (it returns the user's opening turn, as ConvLab's
    environment has the user speak first), then `respond` once per system turn until
    `terminated`. `requested` and `booked` are the user's goal bookkeeping, and
    `task_complete` is ConvLab's ``goal.task_complete()``.

    Args:
        data: The ontology system values are matched to (default: the package data).
        options: Behaviour and fixes (default: ConvLab's user, defects included).

    >>> import numpy as np
    >>> goal = MultiWozGoal.from_convlab({"police": {"info": {}, "reqt": ["phone"]}})
    >>> user = MultiWozUser()
    >>> user.start(goal, RandomStream(np.random.default_rng(0)))
    (('inform', 'police', '', ''),)
    >>> user.respond([("inform", "police", "phone", "01223358966")])
    (('bye', 'general', '', ''),)
    >>> user.terminated, user.task_complete()
    (True, True)
    """

    def __init__(
        self, data: MultiWozData | None = None, options: MultiWozUserOptions = CONVLAB_USER
    ) -> None:
        self.data = data or load_multiwoz()
        self.options = options
        self._values: dict[tuple[str, str], tuple[frozenset[str], tuple[str, ...]]] = {}
        self._normalised: dict[tuple[str, str, str], str] = {}
        self._stack: list[_Item] = []

    # -- the dialogue ---------------------------------------------------------------------------

    def start(self, goal: MultiWozGoal, stream: RandomStream) -> tuple[UnifiedAct, ...]:
        """Begin a dialogue: build the agenda from the goal and return the opening turn.

        The opening turn is ConvLab's first ``predict([])``: it counts against ``max_turn``.
        """
        self.goal = goal
        self.stream = stream
        self._domains = goal.domains
        self.requested: dict[str, dict[str, str]] = {
            g.domain: dict.fromkeys(g.reqt, UNKNOWN) for g in goal.domain_goals if g.reqt
        }
        """Domain to requested slot to the value the system gave (``?`` until given)."""
        self.booked: dict[str, str] = {g.domain: UNKNOWN for g in goal.domain_goals if g.book}
        """Domain with a booking in the goal to ``yes`` once booked (``?`` until then)."""
        self._fail_info: dict[str, SlotValues] = {
            g.domain: g.fail_info for g in goal.domain_goals if g.fail_info
        }
        self._fail_book: dict[str, SlotValues] = {
            g.domain: g.fail_book for g in goal.domain_goals if g.fail_book
        }
        self._turn = 0
        self._pushed = 0
        self._current: str | None = None
        self._stack = []
        self._push(*_CLOSE, NONE, NONE)
        for domain_goal in reversed(goal.domain_goals):
            domain = domain_goal.domain
            stated = domain_goal.fail_info or domain_goal.info
            for slot in stream.sample(list(stated), len(stated)):
                self._push(domain, "inform", slot, stated[slot])
            self._push(domain, "inform", NONE, NONE)
        return self.respond(())

    def respond(self, system_acts: Sequence[UnifiedAct]) -> tuple[UnifiedAct, ...]:
        """React to one system turn and return the user's turn (ConvLab's ``predict``).

        Args:
            system_acts: The system's acts in the unified form; ``()`` for no turn.

        Returns:
            The user's acts in the unified form; ``(("bye", "general", "", ""),)`` ends
            the dialogue.

        Raises:
            RuntimeError: The dialogue is over (`terminated`), or `start` was not called.
        """
        if not self._stack:
            raise RuntimeError("the dialogue is over (or not started): call start() first")
        self._turn += 2
        actions = self._read_system(system_acts)
        if self._turn > self.options.max_turn:
            self._close()
        else:
            self._update(actions)
            if self.task_complete():
                self._close()
        while True:
            said = self._pop(self.stream.below(self.options.max_initiative) + 1)
            if said:
                return said

    @property
    def terminated(self) -> bool:
        """Whether the user has said bye (its agenda is empty)."""
        return not self._stack

    @property
    def agenda(self) -> tuple[tuple[str, str, str, str], ...]:
        """The pending acts, bottom first: ``(domain, intent, goal slot, value)``.

        Slots are the goal's MultiWOZ 2.0 names (``pricerange``, ``people``), as the user keeps
        them before it says them; for transcripts and tests.
        """
        return tuple((i.domain, i.intent, i.slot, i.value) for i in self._stack)

    @property
    def turn(self) -> int:
        """ConvLab's turn counter: 2 per user turn, the opening one included."""
        return self._turn

    def task_complete(self) -> bool:
        """Whether every request has a value and every booking is made (PA:395-411)."""
        for domain in self._domains:
            if any(v in NOT_SURE for v in self.requested.get(domain, {}).values()):
                return False
            if self.booked.get(domain, BOOKED) in NOT_SURE:
                return False
        return True

    # -- reading the system's turn --------------------------------------------------------------

    def _read_system(self, system_acts: Sequence[UnifiedAct]) -> _SystemActions:
        """The system's acts keyed by ``domain-intent``, slots and values as the user reads them.

        ``choice`` 0 becomes a ``nooffer`` (PA:119-124); slots the user's table lacks are
        dropped, and an act type left without slot with them (PA:215-247).
        """
        grouped: dict[str, list[tuple[str, str]]] = {}
        for domain, intent, slot, value in reverse_turn(system_acts):
            if slot == "Choice" and value.strip().lower() in ("0", "zero"):
                grouped.setdefault(f"{domain}-nooffer", []).append((NONE, NONE))
            else:
                grouped.setdefault(f"{domain}-{intent}", []).append((slot, value))
        actions: _SystemActions = {}
        for key, pairs in grouped.items():
            domain, intent = key.split("-", 1)
            if domain == "general":
                actions[key] = pairs
                continue
            kept = []
            for slot, value in pairs:
                goal_slot = system_goal_slot(domain, slot)
                if goal_slot is not None:
                    kept.append((goal_slot, self._normalise(domain, intent, goal_slot, value)))
            if kept:
                actions[key] = kept
        return actions

    def _normalise(self, domain: str, intent: str, slot: str, value: str) -> str:
        """A system value matched to the ontology as ConvLab's ``_normalize_value`` does."""
        if intent == "request":
            return UNKNOWN
        key = (domain, slot, value)
        known = self._normalised.get(key)
        if known is None:
            known = self._match_value(domain, slot, value)
            if len(self._normalised) > 100_000:
                self._normalised.clear()
            self._normalised[key] = known
        return known

    def _match_value(self, domain: str, slot: str, value: str) -> str:
        slots = self.data.ontology.get(domain)
        if slots is None or slot not in slots:
            return value
        if slot in ("parking", "internet") and value == NONE:
            return "yes"
        exact, ordered = self._value_list(domain, slot)
        if value in exact:
            return value
        for candidate in (value, *_variants(value)):
            found = _fuzzy_match(ordered, candidate)
            if found is not None:
                return found
        return value

    def _value_list(self, domain: str, slot: str) -> tuple[frozenset[str], tuple[str, ...]]:
        """The slot's values and their lower-cased forms, sorted (ConvLab's ``value_list``)."""
        key = (domain, slot)
        if key not in self._values:
            values = self.data.ontology[domain][slot]
            every = frozenset(values) | {v.lower() for v in values}
            self._values[key] = (every, tuple(sorted(every)))
        return self._values[key]

    # -- the update: three passes over the system's acts (PA:479-530) ---------------------------

    def _update(self, actions: _SystemActions) -> None:
        self._pushed = 0
        for key in actions:
            domain = key.split("-", 1)[0]
            if domain in self._domains:
                self._current = domain
        for key in actions:
            domain, intent = key.split("-", 1)
            if domain not in self._domains:
                continue
            if intent == "nooffer":
                if self._handle_nooffer(domain):
                    return
            elif intent == "nobook":
                if self._handle_nobook(domain):
                    return
        offers: list[str] = []
        for key, pairs in actions.items():
            if "nooffer" in key or "nobook" in key:
                continue
            domain, intent = key.split("-", 1)
            if "book" in key:
                if domain not in self._domains:
                    continue
                if intent == "book":
                    self._handle_inform(domain, intent, pairs)
                elif intent in ("offerbook", "offerbooked") and self.options.accept_offerbook:
                    self._handle_inform(domain, intent, pairs, learn=False)
                    offers.append(domain)
            elif domain == "general":
                if intent == "bye" and self.options.bye_ends_dialogue:
                    self._close()
                    return
            elif domain in self._domains:
                if intent in ("inform", "recommend"):
                    self._handle_inform(domain, intent, pairs)
                elif intent == "request":
                    self._handle_request(domain, pairs)
                elif intent == "select":
                    self._handle_select(domain, pairs)
        for key, pairs in actions.items():
            domain = key.split("-", 1)[0]
            if "inform" in key or "recommend" in key:
                if any(slot == "name" for slot, _ in pairs):
                    self._remove(domain, "inform", "choice")
            if "book" in key and self._current is not None and not self._book_goal(self._current):
                self._push_item(self._current, "inform", NOT_BOOK, NONE)
        self._post_process()
        for domain in offers:
            self._answer_offer(domain)

    def _book_goal(self, domain: str) -> SlotValues:
        return self._domain_goal(domain).book

    def _domain_goal(self, domain: str) -> DomainGoal:
        return self.goal[domain]

    def _handle_inform(
        self, domain: str, intent: str, pairs: list[tuple[str, str]], *, learn: bool = True
    ) -> None:
        """Check an inform, recommend or book (PA:659-702); ``learn``: store requested values."""
        goal = self._domain_goal(domain)
        requested = self.requested.get(domain, {})
        fail_info = self._fail_info.get(domain)
        fail_book = self._fail_book.get(domain)
        right = True
        for slot, value in pairs:
            if slot == "choice" and value.strip().lower() not in ("0", "zero", "1", "one"):
                self._push_item(domain, "inform", "choice", "any")
            if slot in requested:
                if learn and not self._constraint_pending(domain):
                    self._remove(domain, "request", slot)
                    requested[slot] = f'"{value}"' if value in NOT_SURE else value
                continue
            if fail_info is not None and slot in fail_info and value != fail_info[slot]:
                wanted = fail_info[slot]
            elif (
                fail_info is None and slot in goal.info and _violates(slot, goal.info[slot], value)
            ):
                wanted = goal.info[slot]
            elif fail_book is not None and slot in fail_book and value != fail_book[slot]:
                wanted = fail_book[slot]
            elif fail_book is None and slot in goal.book and value != goal.book[slot]:
                wanted = goal.book[slot]
            else:
                continue
            self._push_item(domain, "inform", slot, wanted)
            right = False
        if intent == "book" and right and domain in self.booked:
            self.booked[domain] = BOOKED

    def _handle_request(self, domain: str, pairs: list[tuple[str, str]]) -> None:
        """Answer the system's requests from the goal (PA:704-755)."""
        for slot, _ in pairs:
            if slot in self.requested.get(domain, {}):
                continue
            known = self._goal_value(domain, slot)
            if known is not None:
                self._push_item(domain, "inform", slot, known)
            elif domain == "taxi" and slot in ("destination", "departure"):
                self._push_item(domain, "inform", slot, self._taxi_place(slot))
            else:
                self._push_item(domain, "inform", slot, DONTCARE)

    def _goal_value(self, domain: str, slot: str) -> str | None:
        """The value the user states for a slot (fail_info, info, fail_book, book), if any."""
        goal = self._domain_goal(domain)
        fail_info = self._fail_info.get(domain)
        fail_book = self._fail_book.get(domain)
        if fail_info is not None and slot in fail_info:
            return fail_info[slot]
        if fail_info is None and slot in goal.info:
            return goal.info[slot]
        if fail_book is not None and slot in fail_book:
            return fail_book[slot]
        if fail_book is None and slot in goal.book:
            return goal.book[slot]
        return None

    def _taxi_place(self, slot: str) -> str:
        """Where the taxi goes from or to: the venue before it in the goal (PA:730-749)."""
        places = [d for d in self._domains[: self._domains.index("taxi")] if d in VENUES]
        if slot == "destination" and places:
            place = places[-1]
        elif slot == "departure" and len(places) >= 2:
            place = places[-2]
        else:
            return DONTCARE
        name = self._domain_goal(place).info.get("name", NONE)
        return name if name not in NOT_SURE else f"the {place}"

    def _handle_nooffer(self, domain: str) -> bool:
        """Restate feasible constraints, or give up (PA:757-772); True: the user gave up."""
        info = self._domain_goal(domain).info
        return self._retry_or_give_up(domain, self._fail_info, info, domain in self.requested)

    def _handle_nobook(self, domain: str) -> bool:
        """Restate a feasible booking, or give up (PA:774-789); True: the user gave up."""
        book = self._domain_goal(domain).book
        return self._retry_or_give_up(domain, self._fail_book, book, domain in self.booked)

    def _retry_or_give_up(
        self, domain: str, failed: dict[str, SlotValues], feasible: SlotValues, gives_up: bool
    ) -> bool:
        """Push the feasible values where the failed first try differs, once; else give up."""
        first = failed.pop(domain, None)
        if first is not None:
            for slot, value in feasible.items():
                if first.get(slot) != value:
                    self._push_item(domain, "inform", slot, value)
            return False
        if gives_up:
            self._close()
        return gives_up

    def _handle_select(self, domain: str, pairs: list[tuple[str, str]]) -> None:
        """State the goal's value for the offered slot, or take an offered value (PA:791-822)."""
        for slot, value in pairs:
            if slot == "choice" and value.strip().lower() not in ("0", "zero", "1", "one"):
                self._push_item(domain, "inform", "choice", "any")
        options = [(slot, value) for slot, value in pairs if slot != "choice"]
        if not options:
            return
        known = self._goal_value(domain, options[0][0])
        if known is not None:
            self._push_item(domain, "inform", options[0][0], known)
        elif not self._constraint_pending(domain):
            slot, value = self.stream.choice(options)
            self._push_item(domain, "inform", slot, value)
            requested = self.requested.get(domain, {})
            if slot in requested:
                self._remove(domain, "request", slot)
                requested[slot] = value

    def _answer_offer(self, domain: str) -> None:
        """``accept_offerbook``: give the booking details for an offer to book, if wanted."""
        if self.booked.get(domain, BOOKED) not in NOT_SURE or self._constraint_pending(domain):
            return
        for slot, value in (self._fail_book.get(domain) or self._book_goal(domain)).items():
            self._push_item(domain, "inform", slot, value)

    def _post_process(self) -> None:
        """Push the first unfinished domain's requests, or else its booking (PA:532-540)."""
        for domain in self._domains:
            missing = [s for s, v in self.requested.get(domain, {}).items() if v in NOT_SURE]
            if missing:
                if not self._constraint_pending(domain) and not self._pending(domain, "request"):
                    for slot in ["name"] if "name" in missing else missing:
                        self._push_item(domain, "request", slot, UNKNOWN)
                return
            if self.booked.get(domain, BOOKED) in NOT_SURE:
                if not self._constraint_pending(domain) and not self._booking_pending(domain):
                    booking = self._fail_book.get(domain) or self._book_goal(domain)
                    for slot, value in booking.items():
                        self._push_item(domain, "inform", slot, value)
                return

    # -- the agenda -----------------------------------------------------------------------------

    def _constraint_pending(self, domain: str) -> bool:
        """A non-booking inform of the domain is pending (ConvLab's ``_check_reqt_info``)."""
        blocks = self.options.notbook_blocks_requests
        return any(
            item.domain == domain
            and item.intent == "inform"
            and item.slot not in BOOKING_SLOTS
            and (blocks or item.slot != NOT_BOOK)
            for item in self._stack
        )

    def _booking_pending(self, domain: str) -> bool:
        return any(
            item.domain == domain and item.intent == "inform" and item.slot in BOOKING_SLOTS
            for item in self._stack
        )

    def _pending(self, domain: str, intent: str) -> bool:
        return any(item.domain == domain and item.intent == intent for item in self._stack)

    def _close(self) -> None:
        """Clear the agenda but for bye (ConvLab's ``close_session``)."""
        self._stack = []
        self._pushed = 0
        self._push(*_CLOSE, NONE, NONE)

    def _remove(self, domain: str, intent: str, slot: str) -> None:
        """Remove the lowest pending item with this act and slot."""
        for index, item in enumerate(self._stack):
            if item.domain == domain and item.intent == intent and item.slot == slot:
                del self._stack[index]
                return

    def _push_item(self, domain: str, intent: str, slot: str, value: str) -> None:
        """Push a reaction, replacing a pending item with the same act and slot."""
        self._remove(domain, intent, slot)
        self._push(domain, intent, slot, value)
        self._pushed += 1

    def _push(self, domain: str, intent: str, slot: str, value: str) -> None:
        if slot in _SAME_VALUE:
            share = self.options.same_value_share
            for item in self._stack:
                if item.slot == slot and item.value == value and self.stream.random() < share:
                    item.value = _SAME_VALUE[slot].format(domain)
        self._stack.append(_Item(domain, intent, slot, value))

    def _pop(self, initiative: int) -> tuple[UnifiedAct, ...]:
        """Pop one turn and say it (ConvLab's ``get_action`` and ``__pop``, PA:617-634, 907-954).

        Items whose slot the user cannot say are popped and dropped; the turn may then be
        empty, and the caller pops again.
        """
        stack = self._stack
        top = stack[-1]
        popped: list[_Item] = []
        if top.intent == "inform" and top.slot in BOOKING_SLOTS:
            for _ in range(self._pushed or 10):
                item = stack.pop()
                popped.append(item)
                if not stack:
                    break
                after = stack[-1]
                if (after.domain, after.intent) != (
                    item.domain,
                    item.intent,
                ) or after.slot not in BOOKING_SLOTS:
                    break
        else:
            pushed = self._pushed
            if pushed == 0 or all(item.value == DONTCARE for item in stack[-pushed:]):
                count = initiative
            else:
                count = pushed
            for _ in range(count):
                item = stack.pop()
                popped.append(item)
                if not stack:
                    break
                after = stack[-1]
                if (after.domain, after.intent) != (item.domain, item.intent) or (
                    item.intent == "request" and item.slot == "name"
                ):
                    break
        domain = popped[0].domain
        if domain in FOCUS_DOMAINS:
            self._current = domain
        return self._say(popped)

    def _say(self, popped: list[_Item]) -> tuple[UnifiedAct, ...]:
        """Popped items (one domain and intent) as unified acts (PA:149-158, 186-213)."""
        first = popped[0]
        domain, intent = first.domain, first.intent
        said: list[UnifiedAct] = []
        for item in popped:
            slot, value = item.slot, item.value
            if domain == "general":
                name = slot
            elif slot == NONE and value == NONE:
                name = NONE
            elif slot == "choice" and value == "any":
                name = "Choice"
            elif slot == NOT_BOOK and value == NONE:
                name = NOT_BOOK
            else:
                found = user_act_slot(domain, slot)
                if found is None:
                    continue
                name = found
            said.append(unified_user_act(intent, domain, name, value))
        return tuple(said)


def _violates(slot: str, wanted: str, said: str) -> bool:
    """Whether a system value breaks a goal constraint (ConvLab's ``check_constraint``).

    ``arriveBy`` is broken by a later time, ``leaveAt`` by an earlier one, anything else by a
    different string; a time that cannot be read breaks nothing.
    """
    if slot in ("arriveBy", "leaveAt"):
        try:
            wanted_time = _minutes(wanted)
            said_time = _minutes(said)
        except (ValueError, IndexError):
            return False
        return wanted_time < said_time if slot == "arriveBy" else wanted_time > said_time
    return wanted != said


def _minutes(text: str) -> int:
    parts = text.split(":")
    return int(parts[0]) * 100 + int(parts[1])


def _variants(value: str) -> tuple[str, ...]:
    """ConvLab's ``transform_value``: ``a 's`` as ``a's`` and ``a - b`` as ``a-b``."""
    found = []
    if " 's" in value:
        found.append(value.replace(" 's", "'s"))
    if " - " in value:
        found.append(value.replace(" - ", "-"))
    return tuple(found)


def _fuzzy_match(ordered: Sequence[str], value: str) -> str | None:
    """The first value that contains the given one or is contained in it, blanks aside.

    ConvLab's ``simple_fuzzy_match`` (PA:301-316): tried as given, then lower-cased.
    """
    for text in (value, value.lower()):
        spaced = " ".join(text.split())
        packed = "".join(text.split())
        for candidate in ordered:
            known = " ".join(candidate.split())
            if spaced in known or known in spaced or packed in known or known in packed:
                return known
    return None
