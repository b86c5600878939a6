"""The agenda-based user simulator (after Schatzmann et al. 2007 and PyDial's implementation).

The user keeps a stack of pending acts. Each system turn pushes the user's reactions (answer a
request, affirm or correct a confirm, reject a wrong offer, relax after "no match") on top; the
user then pops the acts of its next turn, combining several informs by chance. Below the
reactions lie the goal's own items: constraints still to say, questions about the offered entity,
the booking, and finally goodbye. Useless or repeated system turns cost patience; when it runs
out the user hangs up. As in PyDial, patience counts repeats in a row: a system turn that is
neither a repeat nor useless restores it.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialogym.acts import (
    AFFIRM,
    BOOK,
    BYE,
    CONFIRM,
    HELLO,
    INFORM,
    NEGATE,
    NOMATCH,
    NULL,
    OFFER,
    REQALTS,
    REQUEST,
    SELECT,
    THANKYOU,
    Act,
    Acts,
)
from dialogym.domains import DONTCARE, Database, Domain
from dialogym.simulators.goal import Goal
from dialogym.simulators.profiles import UserBehaviour
from dialogym.simulators.randomness import RandomStream

_NO_ENTITY = -1

_BYE = Act(BYE)
_THANKYOU = Act(THANKYOU)
_AFFIRM = Act(AFFIRM)
_NEGATE = Act(NEGATE)
_REQALTS = Act(REQALTS)
_HELLO = Act(HELLO)
_BOOK = Act(BOOK)
_NULL = Act(NULL)


@dataclass
class UserTurn:
    """What the user did in one turn.

    Attributes:
        acts: The user's dialogue acts.
        ended: The user closed the dialogue (goodbye, giving up or hanging up).
        hung_up: The user ran out of patience.
    """

    acts: Acts
    ended: bool = False
    hung_up: bool = False


class AgendaUser:
    """A simulated user pursuing one `Goal` with one `UserBehaviour`.

    Call `start` once per dialogue, then `respond` once per system turn.
    """

    def __init__(self, domain: Domain, database: Database | None = None) -> None:
        self.domain = domain
        self.database = database or Database(domain)
        self._name_slot = domain.name_slot

    # -- dialogue state -------------------------------------------------------------------------

    def start(self, goal: Goal, behaviour: UserBehaviour, stream: RandomStream) -> UserTurn:
        """Begin a dialogue: take the goal and return the user's opening turn."""
        self.goal = goal
        self.behaviour = behaviour
        self.stream = stream
        self.constraints = dict(goal.constraints)
        """Current constraints (change when the user relaxes one)."""
        self.answers: dict[str, str | None] = dict.fromkeys(goal.requests)
        """Each requested slot to the value the system gave for the accepted entity."""
        self.booked = False
        self.accepted = _NO_ENTITY
        """The offered entity the user has accepted, or -1."""
        self.gave_up = False
        self.patience = behaviour.patience
        self._reactions: list[Acts] = []
        self._unsaid = [s for s in goal.constraints if goal.constraints[s] != DONTCARE]
        stream.shuffle(self._unsaid)
        self._previous_system: Acts = ()
        acts = self._next_acts()
        if stream.random() < behaviour.greeting:
            acts = (_HELLO, *acts)
        return UserTurn(acts)

    def has_match(self) -> bool:
        """Whether any entity satisfies the user's current constraints."""
        return self.database.match(self.constraints) != 0

    # -- one turn -------------------------------------------------------------------------------

    def respond(self, system_acts: Acts) -> UserTurn:
        """React to the system's turn and return the user's next turn."""
        if system_acts == self._previous_system or system_acts[0].type is NULL:
            self.patience -= 1
            if self.patience <= 0:
                return UserTurn((_BYE,), ended=True, hung_up=True)
        else:
            self.patience = self.behaviour.patience
        self._previous_system = system_acts
        first = system_acts[0].type
        if first is BYE:
            return UserTurn((_BYE,), ended=True)
        if first is OFFER or (first is INFORM and system_acts[0].slot == self._name_slot):
            # An offer, or facts about a named entity: either way that entity is on the table.
            self._react_to_offer(system_acts)
        elif first is BOOK:
            self._react_to_booking(system_acts)
        elif first is NOMATCH:
            self._react_to_nomatch(system_acts)
            if self.gave_up:
                return UserTurn((_BYE,), ended=True)
        else:
            for act in system_acts:
                self._react(act)
        if first is SELECT:
            self._answer(system_acts[0].slot)  # one answer for the whole choice
        acts = self._next_acts()
        if acts[-1] is _BYE:
            return UserTurn(acts, ended=True)
        return UserTurn(acts)

    def _react(self, act: Act) -> None:
        kind = act.type
        if kind is REQUEST:
            if self.stream.random() < self.behaviour.answer_request:
                self._answer(act.slot)
        elif kind is CONFIRM:
            wanted = self._wanted(act.slot)
            if wanted == act.value or wanted == DONTCARE:
                self._reactions.append((_AFFIRM,))
            else:
                self._correct(act.slot, wanted)
        elif kind is INFORM:
            if self.accepted != _NO_ENTITY and act.slot in self.answers:
                self.answers[act.slot] = act.value

    def _wanted(self, slot: str | None) -> str:
        """The user's value for a constraint or booking slot (``dontcare`` if not in the goal)."""
        if slot in self.constraints:
            return self.constraints[slot]
        return self.goal.booking.get(slot, DONTCARE) if slot is not None else DONTCARE

    def _answer(self, slot: str | None) -> None:
        """Push ``inform(slot=wanted)``, dropping any pending inform of that slot."""
        if slot is None or (slot not in self.constraints and slot not in self.domain.booking):
            self._reactions.append((_NULL,))
            return
        if slot in self._unsaid:
            self._unsaid.remove(slot)
        self._reactions.append((Act(INFORM, slot, self._wanted(slot)),))

    def _correct(self, slot: str | None, wanted: str) -> None:
        """Push ``negate() & inform(slot=wanted)``: the system got ``slot`` wrong."""
        if slot in self._unsaid:
            self._unsaid.remove(slot)
        self._reactions.append((_NEGATE, Act(INFORM, slot, wanted)))

    def _react_to_offer(self, system_acts: Acts) -> None:
        entity = self.database.index_of(system_acts[0].value)
        if entity == _NO_ENTITY:
            self._reactions.append((_NULL,))
            return
        violated = [
            slot
            for slot, value in self.constraints.items()
            if value != DONTCARE and self.database.entities[entity][slot] != value
        ]
        if violated:
            slot = violated[self.stream.below(len(violated))]
            self._correct(slot, self.constraints[slot])
            if self.accepted == entity:
                self._forget_entity()
            return
        if entity != self.accepted:
            self._forget_entity()
            self.accepted = entity
            self._unsaid.clear()
        self.answers[self._name_slot] = system_acts[0].value
        for act in system_acts[1:]:
            self._react(act)

    def _forget_entity(self) -> None:
        """A different entity is on the table: earlier answers and bookings no longer count."""
        self.accepted = _NO_ENTITY
        self.booked = False
        for slot in self.answers:
            self.answers[slot] = None

    def _react_to_nomatch(self, system_acts: Acts) -> None:
        stated = {act.slot: act.value for act in system_acts if act.slot is not None}
        wrong = [s for s, v in stated.items() if self.constraints.get(s, DONTCARE) != v]
        if wrong or self.has_match():
            # The system misunderstood: restate what it got wrong (or everything it missed).
            slots = wrong or [
                s for s, v in self.constraints.items() if v != DONTCARE and s not in stated
            ]
            self._reactions.append(
                tuple(Act(INFORM, s, self.constraints[s]) for s in slots) or (_NULL,)
            )
            return
        if self.stream.random() >= self.behaviour.relax:
            self.gave_up = True
            return
        changed = self._relax()
        informs = tuple(Act(INFORM, s, self.constraints[s]) for s in changed)
        if self.stream.random() < self.behaviour.tell_about_change:
            self._reactions.append(informs)
        else:
            self._unsaid.extend(changed)
            self._reactions.append((_REQALTS,))

    def _relax(self) -> list[str]:
        """Change constraints until some entity matches; return the slots changed."""
        changed = []
        while not self.has_match():
            constrained = [s for s, v in self.constraints.items() if v != DONTCARE]
            slot = constrained[self.stream.below(len(constrained))]
            values = [
                v
                for v in self.database.values_with_matches(self.constraints, slot)
                if v != self.constraints[slot]
            ]
            self.constraints[slot] = self.stream.choice(values) if values else DONTCARE
            changed.append(slot)
        return changed

    def _react_to_booking(self, system_acts: Acts) -> None:
        """The system booked (one ``book(slot=value)`` act per detail); check every detail."""
        if not self.goal.booking or self.accepted == _NO_ENTITY:
            self._reactions.append((_NULL,))
            return
        wanted = self.goal.booking
        wrong = [
            Act(INFORM, slot, wanted[slot])
            for _, slot, value in system_acts
            if slot is not None and slot in wanted and wanted[slot] != value
        ]
        if wrong:
            self._reactions.append((_NEGATE, *wrong))
        else:
            self.booked = True

    # -- choosing what to say -------------------------------------------------------------------

    def _next_acts(self) -> Acts:
        """Pop the next turn: reactions first, then the goal's own pending items."""
        behaviour = self.behaviour
        stream = self.stream
        reactions = self._reactions
        if reactions:
            acts = list(reactions.pop())
            if (
                acts[0] is _AFFIRM
                and self._unsaid
                and stream.random() < behaviour.affirm_combination
            ):
                acts.extend(self._pop_unsaid(1))
            while (
                reactions
                and reactions[-1][0].type is INFORM
                and stream.random() < behaviour.inform_combination
            ):
                acts.extend(reactions.pop())
            reactions.clear()
            return tuple(acts)
        if self._unsaid:
            count = 1
            while count < len(self._unsaid) and stream.random() < behaviour.inform_combination:
                count += 1
            return self._pop_unsaid(count)
        unanswered = [s for s, v in self.answers.items() if v is None and s is not self._name_slot]
        if self.accepted == _NO_ENTITY:
            # Everything said and nothing offered: ask about the goal's first question.
            return (Act(REQUEST, unanswered[0]),) if unanswered else (_REQALTS,)
        if unanswered:
            count = 1
            while count < len(unanswered) and stream.random() < behaviour.inform_combination:
                count += 1
            return tuple(Act(REQUEST, s) for s in unanswered[:count])
        if self.goal.booking and not self.booked:
            details = [Act(INFORM, s, v) for s, v in self.goal.booking.items()]
            count = 0
            while count < len(details) and stream.random() < behaviour.inform_combination:
                count += 1
            return (_BOOK, *details[:count])
        return (_THANKYOU, _BYE)

    def _pop_unsaid(self, count: int) -> Acts:
        said = self._unsaid[:count]
        del self._unsaid[:count]
        return tuple(Act(INFORM, s, self.constraints[s]) for s in said)

    def goal_met(self) -> bool:
        """Whether, from the user's side, everything asked for has been delivered."""
        if self.accepted == _NO_ENTITY:
            return False
        if any(v is None for v in self.answers.values()):
            return False
        return self.booked or not self.goal.booking
