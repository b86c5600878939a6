"""The dialogue-act vocabulary shared by simulators, trackers, generators and environments.

A dialogue act is a small immutable value: an act type, and optionally a slot and a value, as in
``inform(food=italian)`` or ``request(phone)``. A turn is a tuple of acts. An inform may leave
its slot out (``inform(=dontcare)``, "I don't mind"): it then refers to the slot the system just
asked about (`referred_slot`), as PyDial's slotless ``dontcare`` answers do.

>>> act = Act(ActType.INFORM, "food", "italian")
>>> str(act)
'inform(food=italian)'
>>> format_acts((Act(ActType.HELLO), Act(ActType.REQUEST, "area")))
'hello() & request(area)'
"""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple


class ActType(str, Enum):
    """Kinds of dialogue act, for both the user and the system."""

    HELLO = "hello"
    """Greeting (system: opening prompt; user: greeting)."""
    INFORM = "inform"
    """User: a constraint or booking detail. System: a fact about the offered entity."""
    REQUEST = "request"
    """User: asks an entity's slot. System: asks the user for a slot."""
    CONFIRM = "confirm"
    """System: checks that ``slot=value`` is what the user wants. User: checks that the offered
    entity has ``slot=value``."""
    SELECT = "select"
    """System: asks the user to choose between values of a slot (one act per option)."""
    OFFER = "offer"
    """System: proposes the entity named by ``value``."""
    NOMATCH = "nomatch"
    """System: no entity satisfies ``slot=value`` together with the other nomatch acts."""
    BOOK = "book"
    """User: asks to book the offered entity. System: booking made (value ``ok``) or failed."""
    AFFIRM = "affirm"
    """User: yes."""
    NEGATE = "negate"
    """User: no (to a confirm or an offer)."""
    DENY = "deny"
    """User: not ``slot=value``."""
    REQALTS = "reqalts"
    """User: asks for another entity."""
    REQMORE = "reqmore"
    """System: asks whether the user needs anything else."""
    THANKYOU = "thankyou"
    """User: thanks."""
    ACK = "ack"
    """User: acknowledges what the system said ("okay") without asking for anything."""
    REPEAT = "repeat"
    """User: asks the system to say its last turn again ("sorry, could you repeat that?")."""
    BYE = "bye"
    """Either side ends the dialogue."""
    NULL = "null"
    """Nothing meaningful (a system action that could not be carried out, silence)."""


# Module-level aliases of the act types: hot loops compare against these (a global name costs a
# tenth of an ``ActType.X`` attribute lookup).
HELLO, INFORM, REQUEST, CONFIRM = ActType.HELLO, ActType.INFORM, ActType.REQUEST, ActType.CONFIRM
SELECT, OFFER, NOMATCH, BOOK = ActType.SELECT, ActType.OFFER, ActType.NOMATCH, ActType.BOOK
AFFIRM, NEGATE, DENY, REQALTS = ActType.AFFIRM, ActType.NEGATE, ActType.DENY, ActType.REQALTS
REQMORE, THANKYOU, BYE, NULL = ActType.REQMORE, ActType.THANKYOU, ActType.BYE, ActType.NULL
ACK, REPEAT = ActType.ACK, ActType.REPEAT


class Act(NamedTuple):
    """One dialogue act: type, optional slot, optional value."""

    type: ActType
    slot: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        if self.slot is None:
            return (
                f"{self.type.value}()"
                if self.value is None
                else f"{self.type.value}(={self.value})"
            )
        if self.value is None:
            return f"{self.type.value}({self.slot})"
        return f"{self.type.value}({self.slot}={self.value})"

    def __deepcopy__(self, memo: dict[int, object]) -> Act:
        """Itself: an act is immutable (SB3's ``DummyVecEnv`` deep-copies every step's info)."""
        return self


Acts = tuple[Act, ...]
"""One side's turn: the acts it performs, in order."""


class Hypothesis(NamedTuple):
    """One reading of the user's turn, as the system receives it, and its confidence."""

    acts: Acts
    confidence: float

    def __deepcopy__(self, memo: dict[int, object]) -> Hypothesis:
        """Itself: a hypothesis is immutable (see `Act.__deepcopy__`)."""
        return self


Hypotheses = tuple[Hypothesis, ...]
"""An n-best list, most confident first; confidences sum to at most 1."""

UnifiedAct = tuple[str, str, str, str]
"""One act in ConvLab-3's unified form, as its MultiWOZ user and system exchange them:
``(intent, domain, slot, value)``, e.g. ``("inform", "restaurant", "area", "centre")``,
``("request", "hotel", "phone", "")``, ``("bye", "general", "", "")`` (the MultiWOZ world)."""


def format_acts(acts: Acts) -> str:
    """Render a turn's acts on one line, e.g. ``inform(food=thai) & inform(area=north)``."""
    return " & ".join(map(str, acts)) if acts else "null()"


def parse_act(text: str) -> Act:
    """Parse one act written as ``type()``, ``type(slot)``, ``type(slot=value)`` or ``type(=value)``.

    >>> parse_act("inform(food=italian)")
    Act(type=<ActType.INFORM: 'inform'>, slot='food', value='italian')
    >>> parse_act("inform(=dontcare)")
    Act(type=<ActType.INFORM: 'inform'>, slot=None, value='dontcare')

    Raises:
        ValueError: the text is not an act, or names an unknown act type.
    """
    text = text.strip()
    head, open_paren, rest = text.partition("(")
    if not open_paren or not rest.endswith(")"):
        raise ValueError(f"not a dialogue act: {text!r} (expected type(slot=value))")
    try:
        act_type = ActType(head.strip())
    except ValueError:
        known = ", ".join(t.value for t in ActType)
        raise ValueError(f"unknown act type {head.strip()!r} in {text!r}; known: {known}") from None
    body = rest[:-1].strip()
    if not body:
        return Act(act_type)
    slot, equals, value = body.partition("=")
    return Act(act_type, slot.strip() or None, value.strip() if equals else None)


def parse_acts(text: str) -> Acts:
    """Parse a turn written as acts joined by ``&`` (the inverse of `format_acts`)."""
    if text.strip() in ("", "null()"):
        return ()
    return tuple(parse_act(part) for part in text.split("&"))


def referred_slot(system_acts: Acts) -> str | None:
    """The slot a slotless inform answers (PyDial's ``this``).

    The last slot the system asked about, offered a choice of or confirmed in ``system_acts``;
    None when it did none of these.
    """
    slot = None
    for act in system_acts:
        if act.type is REQUEST or act.type is SELECT or act.type is CONFIRM:
            slot = act.slot
    return slot


def with_referred_slots(acts: Acts, system_acts: Acts) -> Acts:
    """``acts`` with each slotless inform given the slot it refers to (`referred_slot`).

    When the system's turn refers to no slot, they stay as they are.
    """
    slot = referred_slot(system_acts)
    if slot is None:
        return acts
    return tuple(
        act if act.slot is not None or act.value is None else act._replace(slot=slot)
        for act in acts
    )
