"""The template generator: dialogue acts to text through paraphrase tables (the fast default).

Each act becomes one sentence, picked among several paraphrases with the dialogue's own random
source. Slots the tables know (``food``, ``area``, ``pricerange``, ``people``, ``day``, ``time``,
``phone``, ...) get phrasing of their own; any other slot, from any imported domain, is
phrased generically from its name (`slot_words`). Values appear verbatim, so the rule NLU reads
them back.

>>> import numpy as np
>>> from dialogym.acts import parse_acts
>>> from dialogym.simulators import RandomStream
>>> generator = TemplateGenerator()
>>> rng = RandomStream(np.random.default_rng(0))
>>> text = generator.render(Speaker.USER, parse_acts("inform(food=thai) & request(phone)"), rng)
>>> "thai" in text and "phone number" in text
True
"""

from __future__ import annotations

from collections.abc import Sequence

from dialogym.acts import (
    BOOK,
    INFORM,
    NOMATCH,
    OFFER,
    SELECT,
    Act,
    Acts,
    ActType,
)
from dialogym.domains import DONTCARE, TYPE_SLOT
from dialogym.domains.words import slot_words
from dialogym.generators.base import RandomSource, Request, Speaker

Table = dict[str, tuple[str, ...]]
Sentence = tuple[Acts, str]
"""One sentence of an utterance and the acts it says."""

_USER_INFORM: Table = {
    TYPE_SLOT: ("I'm looking for a {value}.", "I need a {value}.", "I want to find a {value}."),
    "name": ("I mean {value}.", "I'm asking about {value}.", "I want {value}."),
    "food": (
        "I'd like {value} food.",
        "I want a {value} restaurant.",
        "Something that serves {value} food.",
    ),
    "area": (
        "Somewhere in the {value}.",
        "In the {value} of town, please.",
        "I'd like the {value} area.",
    ),
    "pricerange": (
        "Something in the {value} price range.",
        "The price range should be {value}.",
        "In the {value} price range.",
    ),
    "people": (
        "For {value} people.",
        "A table for {value}, please.",
        "There will be {value} of us.",
    ),
    "day": ("On {value}.", "I'd like to go on {value}.", "We want to come on {value}."),
    "time": ("At {value}.", "Around {value}, please.", "We'd like to arrive at {value}."),
    "": (
        "I want {value} {slot}.",
        "The {slot} should be {value}.",
        "I'm looking for one with {value} {slot}.",
    ),
}
_USER_DONTCARE = (
    "I don't care about the {slot}.",
    "Any {slot} is fine.",
    "The {slot} doesn't matter.",
)
_USER_NOT_ANY = ("Not any {slot} will do.",)
_USER_DENY = ("Not {value}.", "I don't want {value} {slot}.")
_USER_CONFIRM = ("Is it {value}?", "Is the {slot} {value}?", "Does it have {value} {slot}?")
_USER_REQUEST = ("What is the {slot}?", "Could you tell me the {slot}?", "Can I have the {slot}?")
_USER_PLAIN: dict[ActType, tuple[str, ...]] = {
    ActType.HELLO: ("Hello.", "Hi.", "Hi there."),
    ActType.AFFIRM: ("Yes.", "Yes, that's right.", "Correct."),
    ActType.NEGATE: ("No.", "No, that's wrong.", "Nope."),
    ActType.REQALTS: (
        "Is there anything else?",
        "Do you have any other options?",
        "Something else, please.",
    ),
    ActType.BOOK: ("Please book it.", "Can you make a reservation?", "I'd like to book it."),
    ActType.THANKYOU: ("Thank you.", "Thanks.", "Thanks a lot."),
    ActType.ACK: ("Okay.", "Alright.", "I see."),
    ActType.BYE: ("Goodbye.", "Bye.", "That's all, goodbye."),
    ActType.NULL: ("Hmm.", "Let me think.", "Um."),
}

_SYSTEM_REQUEST: Table = {
    "food": ("What kind of food would you like?", "What type of food are you looking for?"),
    "area": ("Which part of town?", "What area would you like?"),
    "pricerange": ("What price range are you looking for?", "How much would you like to spend?"),
    "people": ("How many people?", "For how many people?"),
    "day": ("Which day?", "On what day?"),
    "time": ("What time?", "At what time?"),
    "": (
        "What {slot} would you like?",
        "Which {slot} are you looking for?",
        "Any preference for the {slot}?",
    ),
}
_SYSTEM_FACT: Table = {
    "food": ("It serves {value} food.", "The food is {value}."),
    "area": ("It is in the {value}.", "It's in the {value} of town."),
    "pricerange": ("It is {value}.", "It is in the {value} price range."),
    "": ("Its {slot} is {value}.", "The {slot} is {value}."),
}
_SYSTEM_CONFIRM = (
    "You want {value} {slot}, is that right?",
    "Did you say {value}?",
    "So {value} for the {slot}?",
)
_SYSTEM_OFFER = ("How about {value}?", "{value} matches what you want.", "I recommend {value}.")
_SYSTEM_NAME = ("About {value}:", "Here is what I know about {value}.")
_SYSTEM_SELECT = ("Would you like {options}?", "Do you prefer {options}?")
_SYSTEM_NOMATCH = ("Sorry, there is nothing with {parts}.", "I'm afraid nothing matches {parts}.")
_SYSTEM_BOOK = ("I have booked it: {parts}.", "Your booking is done: {parts}.")
_SYSTEM_BOOK_FAILED = ("Sorry, I could not book it.",)
_SYSTEM_PLAIN: dict[ActType, tuple[str, ...]] = {
    ActType.HELLO: ("Hello, welcome! How can I help you?", "Hi! What are you looking for?"),
    ActType.REQMORE: ("Is there anything else I can help with?", "Can I help with anything else?"),
    ActType.BYE: ("Goodbye!", "Thank you, goodbye."),
    ActType.NULL: ("Sorry, I can't do that.", "Hmm, let me see."),
}


class TemplateGenerator:
    """Renders acts with paraphrase tables; fast, needs no model, covers any domain.

    The generator keeps no state between calls; every choice comes from the request's random
    source, so a dialogue's text depends only on its own seed.
    """

    def generate(self, requests: Sequence[Request]) -> list[str]:
        """One utterance per request, in order."""
        return [self.render(r.speaker, r.acts, r.rng) for r in requests]

    def render(self, speaker: Speaker, acts: Acts, rng: RandomSource) -> str:
        """The utterance for one side's acts, one sentence per act (or per group of acts)."""
        return " ".join(sentence for _, sentence in self.sentences(speaker, acts, rng))

    def sentences(self, speaker: Speaker, acts: Acts, rng: RandomSource) -> list[Sentence]:
        """The utterance's sentences, each with the acts it says (no acts: a filler)."""
        sentences: list[Sentence]
        if speaker is Speaker.USER:
            sentences = [((act,), _user_sentence(act, rng)) for act in acts]
        else:
            sentences = _system_sentences(acts, rng)
        if not sentences:
            return [((), _pick(_USER_PLAIN[ActType.NULL], rng))]
        return [(said, _capitalised(sentence)) for said, sentence in sentences]


def _pick(options: Sequence[str], rng: RandomSource) -> str:
    return options[rng.below(len(options))] if len(options) > 1 else options[0]


def _capitalised(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def _fill(table: Table, act: Act, rng: RandomSource) -> str:
    slot = act.slot or ""
    options = table.get(slot) or table[""]
    return _pick(options, rng).format(slot=slot_words(slot), value=act.value)


def _user_sentence(act: Act, rng: RandomSource) -> str:
    kind = act.type
    if act.slot is not None:
        if kind is INFORM:
            if act.value == DONTCARE:
                return _pick(_USER_DONTCARE, rng).format(slot=slot_words(act.slot))
            return _fill(_USER_INFORM, act, rng)
        if kind is ActType.DENY:
            if act.value == DONTCARE:
                return _pick(_USER_NOT_ANY, rng).format(slot=slot_words(act.slot))
            return _pick(_USER_DENY, rng).format(slot=slot_words(act.slot), value=act.value)
        if kind is ActType.REQUEST:
            return _pick(_USER_REQUEST, rng).format(slot=slot_words(act.slot))
        if kind is ActType.CONFIRM:
            return _pick(_USER_CONFIRM, rng).format(slot=slot_words(act.slot), value=act.value)
    return _pick(_USER_PLAIN.get(kind, _USER_PLAIN[ActType.NULL]), rng)


def _described(acts: Sequence[Act], joiner: str) -> str:
    """``value slot`` phrases of several acts, e.g. ``italian food and north area``."""
    return joiner.join(f"{a.value} {slot_words(a.slot or '')}" for a in acts)


def _system_sentences(acts: Acts, rng: RandomSource) -> list[Sentence]:
    """System acts come in groups: select options, no-match constraints, booking details."""
    first = acts[0].type if acts else ActType.NULL
    if first is SELECT:
        options = " or ".join(str(a.value) for a in acts)
        return [(acts, _pick(_SYSTEM_SELECT, rng).format(options=options))]
    if first is NOMATCH:
        return [(acts, _pick(_SYSTEM_NOMATCH, rng).format(parts=_described(acts, " and ")))]
    if first is BOOK:
        details = [a for a in acts if a.slot is not None]
        if not details or details[0].value in (None, "failed"):
            return [(acts, _pick(_SYSTEM_BOOK_FAILED, rng))]
        return [(acts, _pick(_SYSTEM_BOOK, rng).format(parts=_described(details, ", ")))]
    return [((act,), _system_sentence(act, position, rng)) for position, act in enumerate(acts)]


def _system_sentence(act: Act, position: int, rng: RandomSource) -> str:
    """The sentence of one system act; ``position`` is its place among the system's acts."""
    kind = act.type
    if kind is OFFER:
        return _pick(_SYSTEM_OFFER, rng).format(value=act.value)
    if kind is INFORM and position == 0 and act.slot is not None:
        return _pick(_SYSTEM_NAME, rng).format(value=act.value)
    if kind is INFORM:
        return _fill(_SYSTEM_FACT, act, rng)
    if kind is ActType.REQUEST:
        return _fill(_SYSTEM_REQUEST, act, rng)
    if kind is ActType.CONFIRM:
        return _pick(_SYSTEM_CONFIRM, rng).format(slot=slot_words(act.slot or ""), value=act.value)
    return _pick(_SYSTEM_PLAIN.get(kind, _SYSTEM_PLAIN[ActType.NULL]), rng)
