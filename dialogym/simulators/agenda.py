"""The agenda-based user simulator, as PyDial's benchmark user (``UMHdcSim`` with new goal scenarios).

The user keeps a stack of pending turns, the agenda: at the bottom goodbye, above it one inform
per constraint of the goal (``dontcare`` included) in the goal's order, and on top the request
type (``inform(type=restaurant)``). Each system turn pushes the user's reactions on top; the
user then pops its next turn, adding further pending informs by chance.

What the user checks is only what the system says: an offer or a fact is compared with the goal
for the slots it names, so a venue that is wrong on a slot the system never mentioned passes
unnoticed (and the dialogue fails by the objective success rule). Every choice is a probability
of the dialogue's `UserBehaviour` (drawn from a `UserProfile`), and each reaction is one method
named after what it does:

=====================================  ==========================================================
system turn                            user reaction
=====================================  ==========================================================
``hello()``                            greet back (``greeting``) and start on the agenda
``request(s)``                         answer from the goal, move a pending inform up, say no to
                                       a request of a fact, or ask about the venue instead
``confirm(s=v)``                       yes (with a pending inform, ``affirm_combination``), or a
                                       correction, or ``negate(s=dontcare)`` for a slot outside
                                       the goal
``select(s=a, s=b)``                   inform the wanted value (``dontcare`` outside the goal)
offer / facts about a venue            check the named slots; correct a wrong one (or confirm
                                       another constraint, or give up as patience wears down);
                                       at the first venue maybe ask for alternatives or change
                                       the goal; maybe confirm an unmentioned constraint;
                                       thank or acknowledge; ask for the wanted facts
no match                               correct a misheard constraint, else change one constraint
                                       and ask for alternatives, else leave or start over
``reqmore()``                          no / yes / more requests / restate the constraints
``bye()``                              goodbye
``null()`` or the same turn again      lose patience; at none left, hang up
any turn, by chance (``ask_repeat``)   ``repeat()``: the turn is not taken in; the system saying
                                       it again then costs no patience (dialogym's addition)
=====================================  ==========================================================

Patience is never restored (PyDial's benchmark: ``oldstylepatience = False``). Where dialogym
differs from PyDial: a system ``book`` act and booking details are dialogym's (PyDial's domains
have no booking); user acts are flat tuples (``negate(area=north)`` is
``negate() & inform(area=north)``, ``deny(area=south, area=north)`` is
``deny(area=south) & inform(area=north)``); and the user never confirms or relaxes a constraint
on the venue's name, which PyDial does only through a known defect of its goal bookkeeping.

Like PyDial's user, a ``dontcare`` answer to a request or a select often leaves its slot out
(``inform(=dontcare)``, "I don't mind": ``slotless_dontcare``, and always when the user makes up
a "don't care" for a slot outside its goal). The tracker reads it as the slot just asked about,
but the error channel can only confuse such a turn as a whole (PyDial caps a confusion by the
act's first item), so a misheard "I don't mind" costs another question.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dialogym.acts import (
    ACK,
    AFFIRM,
    BOOK,
    BYE,
    CONFIRM,
    DENY,
    HELLO,
    INFORM,
    NEGATE,
    NOMATCH,
    NULL,
    OFFER,
    REPEAT,
    REQALTS,
    REQMORE,
    REQUEST,
    SELECT,
    THANKYOU,
    Act,
    Acts,
    ActType,
)
from dialogym.domains import DONTCARE, TYPE_SLOT, Domain
from dialogym.randomness import RandomStream
from dialogym.simulators.goal import Goal
from dialogym.simulators.profiles import UserBehaviour

NONE = "none"
"""The venue name of a system turn that says nothing matches (PyDial's ``name=none``)."""

Item = tuple[str, str | None]
"""One slot-value pair of a pending turn (value ``None``: a slot asked about)."""

_COMBINES = (INFORM, NEGATE, HELLO, AFFIRM)
_FILTERED_BY = (INFORM, CONFIRM, AFFIRM)
_ASKING = (REQUEST, SELECT)
"""System turns after which a ``dontcare`` answer may leave its slot out (PyDial: request,
confreq, select)."""


@dataclass
class Pending:
    """One turn on the agenda: an act type and its slot-value pairs (PyDial's ``act(s=v, ...)``).

    ``slotless``: the first item is said without its slot (``inform(=dontcare)``).
    """

    type: ActType
    items: list[Item]
    slotless: bool = False

    def acts(self) -> Acts:
        """The turn as a tuple of dialogym acts."""
        kind = self.type
        if kind is INFORM and self.slotless:
            (_, first), *rest = self.items
            return (Act(INFORM, None, first), *(Act(INFORM, s, v) for s, v in rest))
        if kind is INFORM or kind is CONFIRM:
            return tuple(Act(kind, s, v) for s, v in self.items)
        if kind is REQUEST:  # a value is the venue named in the question
            return tuple(Act(REQUEST, s) if v is None else Act(INFORM, s, v) for s, v in self.items)
        if kind is DENY:
            (slot, wrong), *rest = self.items
            return (Act(DENY, slot, wrong), *(Act(INFORM, s, v) for s, v in rest))
        said = [Act(kind)]
        for slot, value in self.items:
            said.append(Act(REQUEST, slot) if value is None else Act(INFORM, slot, value))
        return tuple(said)


@dataclass
class UserTurn:
    """What the user did in one turn.

    Attributes:
        acts: The user's dialogue acts.
        ended: The user closed the dialogue (goodbye, giving up or hanging up).
        hung_up: The user left unsatisfied: out of patience, or giving up on correcting the
            system.
    """

    acts: Acts
    ended: bool = False
    hung_up: bool = False


class AgendaUser:
    """A simulated user pursuing one `Goal` with one `UserBehaviour`.

    Call `start` once per dialogue, then `respond` once per system turn. After the dialogue,
    `requests` (what the user was told about the venue it accepted), `constraints`,
    `name_is` / `name_not` (venue constraints) and `booked` are what success is judged on.
    Like PyDial's user, it never looks at the database: it knows only what the system says.
    """

    def __init__(self, domain: Domain) -> None:
        self.domain = domain
        self.name_slot = domain.name_slot
        self.request_type = domain.entity_type or domain.name
        self._system_requestable = frozenset(domain.system_requestable)
        self._only_user_requestable = frozenset(domain.requestable) - self._system_requestable
        self._facts = frozenset(domain.requestable) - frozenset(domain.informable)
        self._values = domain.informable

    # -- dialogue state -------------------------------------------------------------------------

    def start(self, goal: Goal, behaviour: UserBehaviour, stream: RandomStream) -> UserTurn:
        """Begin a dialogue: take the goal, hear the system's greeting, return the first turn."""
        self.goal = goal
        self.behaviour = behaviour
        self.stream = stream
        self.constraints = dict(goal.constraints)
        """Current constraints, slot to value (``dontcare`` included); change with the goal."""
        self.name_is: str | None = None
        """The venue the user has settled on (PyDial's ``name=X`` constraint)."""
        self.name_not: set[str] = set()
        """Venues the user has turned down (PyDial's ``name!=X`` constraints)."""
        self.requests: dict[str, str | None] = dict.fromkeys(goal.requests)
        """Each requested slot to what the system said of the current venue (``None``: untold)."""
        self.booked = False
        self.patience = behaviour.patience
        self.max_patience = behaviour.patience
        self.hung_up = False
        self._previous_values: dict[str, set[str]] = {s: {v} for s, v in goal.constraints.items()}
        self._first_venue = True
        self._previous_system: Acts = (Act(HELLO),)
        self._last_turn = Pending(NULL, [])
        self._last_system_type = HELLO
        agenda = [Pending(BYE, [])]
        agenda += [Pending(INFORM, [(s, v)]) for s, v in reversed(list(goal.constraints.items()))]
        agenda.append(Pending(INFORM, [(TYPE_SLOT, self.request_type)]))
        self.agenda = agenda
        if stream.random() < behaviour.greeting:
            agenda.append(Pending(HELLO, []))
        return UserTurn(self._pop_turn())

    def respond(self, system_acts: Acts) -> UserTurn:
        """React to the system's turn and return the user's next turn."""
        if system_acts[0].type is NULL or system_acts == self._previous_system:
            self.patience -= 1
        if self.patience < 1:
            self.hung_up = True
            return UserTurn((Act(BYE),), ended=True, hung_up=True)
        if self.behaviour.ask_repeat and self.stream.random() < self.behaviour.ask_repeat:
            self._previous_system = ()  # saying it again is then no waste of the user's time
            return UserTurn((Act(REPEAT),))
        self._previous_system = system_acts
        self._last_system_type = system_acts[0].type
        self._receive(system_acts)
        acts = self._pop_turn()
        if acts[0].type is BYE:
            return UserTurn(acts, ended=True, hung_up=self.hung_up)
        return UserTurn(acts)

    def goal_met(self) -> bool:
        """Whether, from the user's side, everything asked for has been delivered."""
        return None not in self.requests.values() and (self.booked or not self.goal.booking)

    # -- receiving the system's turn ------------------------------------------------------------

    def _receive(self, system_acts: Acts) -> None:
        first = system_acts[0]
        kind = first.type
        if (
            self.goal_met()
            and not self.agenda
            and kind is not REQMORE
            and self.stream.random() < self.behaviour.goodbye_when_done
        ):
            self._say_goodbye()
        elif kind is BYE:
            self._say_goodbye()
        elif kind is HELLO:
            if self.stream.random() < self.behaviour.greeting:
                self._push(HELLO)
        elif kind is REQMORE:
            self._receive_reqmore()
        elif kind is REQUEST and first.slot is not None:
            self._receive_request(first.slot)
        elif kind is CONFIRM:
            self._receive_confirm(_items(system_acts))
        elif kind is SELECT and first.slot is not None:
            self._receive_select(first.slot)
        elif kind is OFFER or kind is INFORM:
            self._receive_inform(_items(system_acts), nomatch=False)
        elif kind is NOMATCH:
            self._receive_inform([(self.name_slot, NONE), *_items(system_acts)], nomatch=True)
        elif kind is BOOK:
            self._receive_booking(system_acts)
        else:  # null(), or an act the user has no reaction to: say the last turn again
            last = self._last_turn
            self.agenda.append(Pending(last.type, list(last.items), last.slotless))

    def _receive_reqmore(self) -> None:
        behaviour = self.behaviour
        stream = self.stream
        agenda = self.agenda
        if len(agenda) > 1:
            # Something is still pending: say it next, maybe as "yes, and ...".
            top = agenda[-1]
            if top.type is INFORM and stream.random() < behaviour.affirm_with_agenda_item:
                agenda.pop()
                self._push(AFFIRM, top.items)
            return
        if self.goal_met():
            if stream.random() < behaviour.no_after_reqmore:
                self._push(NEGATE)
            else:
                self._say_goodbye()
        elif self.requests[self.name_slot] is not None:
            if self._booking_pending():
                self._push_booking()  # below the questions: asked for once they are answered
            for slot in self._untold():
                self._push(REQUEST, [(slot, None)])
        elif stream.random() < behaviour.yes_after_reqmore:
            self._push(AFFIRM)  # nothing offered yet: a pointless question gets a pointless yes
        else:
            stated = [(s, v) for s, v in self.constraints.items() if v != DONTCARE]
            self._push(INFORM, [(TYPE_SLOT, self.request_type), *stated])

    def _receive_request(self, slot: str) -> None:
        behaviour = self.behaviour
        stream = self.stream
        if slot in self.domain.booking:  # booking details are always answered (dialogym's)
            self._push(INFORM, [(slot, self.goal.booking.get(slot, DONTCARE))])
            return
        if self.requests[self.name_slot] is not None:
            untold = self._untold()
            if untold:  # a venue is on the table: ask about it instead of answering
                self._push(REQUEST, [(untold[0], None)])
                return
        if slot in self._only_user_requestable:
            self._push(NEGATE)  # "do you know its phone number?": no
            return
        for position in range(len(self.agenda) - 1, -1, -1):
            pending = self.agenda[position]
            if pending.type is INFORM and any(s == slot for s, _ in pending.items):
                self.agenda.append(self.agenda.pop(position))  # say the pending answer now
                return
        if slot in self.constraints:
            self._push(INFORM, [(slot, self.constraints[slot])])
            return
        # Asked about a slot outside the goal.
        roll = stream.random()
        if roll < behaviour.repeat_constraint_when_asked and self.constraints:
            said = stream.choice(list(self.constraints.items()))
            self._push(INFORM, [said])
            return
        self._previous_values.setdefault(slot, set()).add(DONTCARE)
        if roll < behaviour.repeat_constraint_when_asked + behaviour.invent_constraint_when_asked:
            # PyDial's user says this "don't care" without a slot, whatever slotless_dontcare
            self.agenda.append(Pending(INFORM, [(slot, DONTCARE)], slotless=True))
            return
        self.constraints[slot] = DONTCARE
        self._push(INFORM, [(slot, DONTCARE)])

    def _receive_confirm(self, items: list[Item]) -> None:
        if not self._check_mentioned(items, nomatch=False, from_confirm=True):
            return
        for slot, value in items:
            if slot not in self.constraints and value != DONTCARE:
                self._push(NEGATE, [(slot, DONTCARE)])  # "no, I don't care about that"
                return
        answer: list[Item] = []
        agenda = self.agenda
        if agenda and agenda[-1].type is INFORM:
            if self.stream.random() < self.behaviour.affirm_combination:
                answer = agenda.pop().items
        self._push(AFFIRM, answer)

    def _receive_select(self, slot: str) -> None:
        if slot not in self.constraints:
            self.constraints[slot] = DONTCARE
        self._push(INFORM, [(slot, self.constraints[slot])])

    def _receive_inform(self, items: list[Item], nomatch: bool) -> None:
        """An offer, facts about a venue, or "nothing matches" (``name=none``)."""
        behaviour = self.behaviour
        stream = self.stream
        venue = next((v for s, v in items if s == self.name_slot), None)
        if not nomatch and venue is not None and self.requests[self.name_slot] != venue:
            self._forget_requests()  # a new venue: nothing told so far is about it
        if not self._check_mentioned(items, nomatch=nomatch, from_confirm=False):
            return
        change_goal = nomatch
        if not nomatch and venue is not None:
            if self._first_venue:
                self._first_venue = False
                roll = stream.random()
                if roll < behaviour.reqalts_after_first_venue:
                    self.name_not.add(venue)
                    self._push(REQALTS)
                    return
                if (
                    roll
                    < behaviour.reqalts_after_first_venue + behaviour.change_goal_after_first_venue
                ):
                    change_goal = True
                else:
                    self._settle_on(venue)
            else:
                self._settle_on(venue)
        if change_goal and self.constraints:
            self._change_goal(items, venue, nomatch)
            return
        if nomatch:  # nothing to change: leave, or start over
            if stream.random() < behaviour.bye_or_start_over:
                self._say_goodbye()
            else:
                self._push(INFORM, [(TYPE_SLOT, self.request_type)])
            return
        for slot, value in items:
            if slot in self.requests and value is not None:
                self.requests[slot] = value
        if stream.random() < behaviour.inform_to_confirm:
            for pending in self.agenda:
                if pending.type is INFORM and pending.items and pending.items[0][1] != DONTCARE:
                    pending.type = CONFIRM
        roll = stream.random()
        if roll < behaviour.thank:
            self._push(THANKYOU)
            return
        if roll < behaviour.thank + behaviour.ack:
            self._push(ACK)
            return
        if len(self.agenda) > 1 and stream.random() < behaviour.deal_with_pending:
            return
        untold = self._untold()
        if untold:
            asked: list[Item] = [(untold[0], None)]
            for slot in untold[1:]:
                if stream.random() >= behaviour.add_slot_to_request:
                    break
                asked.append((slot, None))
            self._push(REQUEST, asked)
        elif self._booking_pending():
            self._push_booking()

    def _change_goal(self, items: list[Item], venue: str | None, nomatch: bool) -> None:
        """Change one constraint (one the system named, if any) and ask for alternatives."""
        behaviour = self.behaviour
        stream = self.stream
        named = [
            s for s, v in items if s in self._system_requestable and v is not None and v != DONTCARE
        ]
        slot = stream.choice(named) if named else stream.choice(list(self.constraints))
        self.name_is = None
        self.name_not.clear()
        previous = self._previous_values.setdefault(slot, set())
        if stream.random() < behaviour.constraint_relax or not previous:
            value = DONTCARE
        else:
            fresh = [v for v in self._values[slot] if v not in previous]
            value = stream.choice(fresh) if fresh else DONTCARE
        previous.add(value)
        self.constraints[slot] = value
        if nomatch or stream.random() < behaviour.tell_about_change:
            self._push(REQALTS, [(slot, value)])
            return
        self._push(REQALTS)
        if value == DONTCARE:
            if venue is not None:
                self.name_not.add(venue)
        else:
            self.requests[slot] = None  # ask about it later, to check the next venue

    def _receive_booking(self, system_acts: Acts) -> None:
        """The system booked (one ``book(slot=value)`` act per detail); check every detail."""
        wanted = self.goal.booking
        if not wanted or self.requests[self.name_slot] is None:
            self._push(NULL)
            return
        wrong = [
            (slot, wanted[slot])
            for _, slot, value in system_acts
            if slot is not None and slot in wanted and wanted[slot] != value
        ]
        if wrong:
            self._push(NEGATE, wrong)
        else:
            self.booked = True

    # -- checking what the system said ----------------------------------------------------------

    def _check_mentioned(self, items: list[Item], nomatch: bool, from_confirm: bool) -> bool:
        """Check the slots the system named against the goal; push a reaction if one is due.

        Returns:
            True when everything named agrees with the goal and nothing was pushed.
        """
        behaviour = self.behaviour
        stream = self.stream
        name_slot = self.name_slot
        tells_facts = any(s in self._facts for s, _ in items)
        confirming = False
        for slot, value in items:
            wrong = False
            correct: str | None = None
            if slot == name_slot:
                if self.name_is is None and not self.name_not:
                    continue  # no venue settled on or turned down: any name will do
                wrong = value in self.name_not
                if not wrong and not tells_facts:
                    continue  # a new offer replaces the venue settled on
                if not nomatch and self.name_is is not None and value != self.name_is:
                    wrong = True
                correct = self.name_is
            elif slot in self.constraints:
                correct = self.constraints[slot]
                wrong = correct != value and correct != DONTCARE
            elif slot in self._only_user_requestable:
                continue
            planned = None if nomatch else self._unmentioned_constraint(items)
            if wrong:
                if self._gives_up():
                    return False
                if planned is not None and stream.random() < behaviour.overrule_correction:
                    self._push(CONFIRM, [planned])
                elif slot == name_slot and self.name_not:
                    self._push(REQALTS)  # "not that one"
                else:
                    self._push_correction(slot, value, correct or DONTCARE)
                self._forget_requests()
                return False
            if planned is not None and not confirming and not from_confirm:
                if stream.random() < behaviour.confirm_random_constraint:
                    self._push(CONFIRM, [planned])
                    confirming = True
        if confirming:
            every = stream.random() < behaviour.want_offer_facts_after_confirm
            for slot, value in items:
                if value is not None and (every or slot in self.requests):
                    self.requests[slot] = value
            return False
        return True

    def _unmentioned_constraint(self, items: list[Item]) -> Item | None:
        """A real (not ``dontcare``) constraint the system's turn did not name, at random."""
        named = set(items)
        candidates = [
            (s, v) for s, v in self.constraints.items() if v != DONTCARE and (s, v) not in named
        ]
        return self.stream.choice(candidates) if candidates else None

    def _gives_up(self) -> bool:
        """Whether the user, forced to correct the system, gives up (likelier as patience wanes)."""
        worn = 1.0 - self.patience / self.max_patience
        if self.stream.random() < worn * worn:
            self.hung_up = True
            self._say_goodbye()
            return True
        return False

    def _push_correction(self, slot: str, said: str | None, correct: str) -> None:
        roll = self.stream.random()
        behaviour = self.behaviour
        if roll < behaviour.correct_with_negate:
            self._push(NEGATE, [(slot, correct)])
        elif roll < behaviour.correct_with_negate + behaviour.correct_with_deny:
            self._push(DENY, [(slot, said), (slot, correct)])
        else:
            self._push(INFORM, [(slot, correct)])

    # -- the agenda -----------------------------------------------------------------------------

    def _push(self, kind: ActType, items: Sequence[Item] = ()) -> None:
        self.agenda.append(Pending(kind, list(items)))

    def _say_goodbye(self) -> None:
        self.agenda = [Pending(BYE, [])]

    def _push_booking(self) -> None:
        details = list(self.goal.booking.items())
        count = 0
        while count < len(details) and self.stream.random() < self.behaviour.inform_combination:
            count += 1
        self._push(BOOK, details[:count])

    def _settle_on(self, venue: str) -> None:
        self.name_is = venue
        if self.stream.random() >= self.behaviour.keep_refused_venues:
            self.name_not.clear()

    def _forget_requests(self) -> None:
        for slot in self.requests:
            self.requests[slot] = None
        self.booked = False

    def _untold(self) -> list[str]:
        return [slot for slot, value in self.requests.items() if value is None]

    def _booking_pending(self) -> bool:
        return bool(self.goal.booking) and not self.booked

    def _pop_turn(self) -> Acts:
        """Pop the next turn off the agenda, adding pending informs by chance."""
        agenda = self.agenda
        if not agenda:
            agenda.append(Pending(BYE, []))
        turn = agenda.pop()
        kind = turn.type
        if kind in _FILTERED_BY or (kind is NEGATE and turn.items):
            said = {s for s, _ in turn.items}
            agenda[:] = [
                p
                for p in agenda
                if not (p.type in _FILTERED_BY and any(s in said for s, _ in p.items))
            ]
        if (
            kind is INFORM
            and turn.items
            and turn.items[0][1] == DONTCARE
            and self._last_system_type in _ASKING
            and self.stream.random() < self.behaviour.slotless_dontcare
        ):
            turn.slotless = True  # "I don't mind", the slot left for the system to infer
        if (
            kind is REQUEST
            and len(turn.items) == 1
            and self._last_system_type is not REQMORE
            and self.requests[self.name_slot] is not None
            and self.stream.random() < self.behaviour.venue_in_request
        ):
            turn.items = [*turn.items, (self.name_slot, self.requests[self.name_slot])]
        if kind in _COMBINES and self._last_system_type is not REQMORE:
            stream = self.stream
            combination = self.behaviour.inform_combination
            while agenda and (
                agenda[-1].type is INFORM or (agenda[-1].type is REQUEST and kind is HELLO)
            ):
                if stream.random() >= combination:
                    break
                turn.items = turn.items + agenda.pop().items
        self._last_turn = turn
        return turn.acts()


def _items(system_acts: Acts) -> list[Item]:
    """The slot-value pairs of a system turn (acts without a slot left out)."""
    return [(act.slot, act.value) for act in system_acts if act.slot is not None]
