"""How slots are said in words, shared by the generators (which say them) and the NLU (which reads them).

>>> slot_words("pricerange"), slot_words("phone"), slot_words("near_station")
('price range', 'phone number', 'near station')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dialogym.domains.domain import Domain

SLOT_WORDS = {
    "pricerange": "price range",
    "weightrange": "weight range",
    "batteryrating": "battery rating",
    "driverange": "drive range",
    "processorclass": "processor class",
    "isforbusiness": "business use",
    "phone": "phone number",
    "signature": "signature dish",
    "opening": "opening hours",
    "addr": "address",
    "allowedforkids": "allowed for kids",
    "goodformeal": "good for meal",
    "isforbusinesscomputing": "business computing",
    "sysmemory": "system memory",
    "graphadaptor": "graphics adaptor",
}
"""Slots whose names are not plain English; any other slot is said with ``_``/``-`` as spaces."""

SLOT_ALIASES = {
    "pricerange": ("price", "prices", "cost", "priced"),
    "phone": ("phone", "telephone", "telephone number", "number"),
    "postcode": ("post code", "postal code", "zip code", "postcodes"),
    "address": ("where it is", "where is it", "where are they", "directions"),
    "addr": ("address", "where it is", "where is it", "where are they", "directions"),
}
"""Further ways to name the slots that PyDial's domains share (``addr``, ``phone``,
``postcode``, ``pricerange``); a domain names its own slots' synonyms (`Domain.slot_synonyms`).
Read by the NLU, never produced by the templates. The NLU also reads the plural of a slot's
name or alias ("addresses")."""


def slot_names(slot: str, domain: Domain | None = None) -> tuple[str, ...]:
    """Every way to name a slot: its words, the shared aliases, the domain's own synonyms.

    >>> slot_names("addr")
    ('address', 'where it is', 'where is it', 'where are they', 'directions')
    """
    own = domain.slot_synonyms.get(slot, ()) if domain is not None else ()
    return tuple(dict.fromkeys((slot_words(slot), *SLOT_ALIASES.get(slot, ()), *own)))


def slot_words(slot: str) -> str:
    """The words for a slot in an utterance (``pricerange`` -> ``price range``)."""
    return SLOT_WORDS.get(slot) or slot.replace("_", " ").replace("-", " ")


FILLER = r"(?:(?:uh|uhm|um|umm|hmm|hm|mm|er|erm|ah|oh|well|so|and|okay|ok)\W+)*"
"""Hesitations a cue that starts a sentence may follow ("uh yes i want ...")."""

ACT_CUES = {
    "ack": rf"^{FILLER}(?:okay|ok|alright|all right|i see)\b",
    "hello": rf"^{FILLER}(?:hello|hi|hey|good (?:morning|afternoon|evening))\b",
    "negate": (
        rf"^{FILLER}(?:no|nope|not really)\b|\bthat'?s (?:wrong|not right|incorrect)\b|\bwrong\b"
    ),
    "affirm": (
        rf"^{FILLER}(?:yes|yeah|yea|yep|yup|uh huh|mhm|correct|right|sure|exactly|of course"
        r"|absolutely|certainly)\b|\bthat'?s (?:right|correct)\b"
    ),
    "book": r"\bbook\b|\breserv(?:e|ation)\b",
    "reqalts": (
        r"\b(?:anything|something|somewhere|any ?where|any ?one) else\b|\bother (?:options?|ones?|places?)\b"
        r"|\banother\b|\balternatives?\b|\b(?:any|some) others\b|\bwhat else\b"
        r"|\b(?:something|anything|a|any) (?:different|other)(?: (?:one|ones|option|options|place|places))?\W*$"
        r"|\bnext (?:one|option|place|suggestion)\b|^next$"
    ),
    "repeat": (
        r"\brepeat\b|\bsay (?:that|it|this) again\b|\bwhat did you (?:just )?say\b|\bpardon\b"
        r"|\bcome again\b|\bdid(?:n'?t| not) (?:catch|get|hear) (?:that|you|it|what you said)\b"
        rf"|^{FILLER}(?:sorry|excuse me|what|pardon)\W*$"
    ),
    "thankyou": r"\bthank(?:s| you)\b|\bcheers\b",
    "bye": r"\b(?:good ?)?bye\b|\bsee you\b|\bthat'?s all\b",
}
"""How a user says the act types that carry no slot: act type name to a regex over one
lower-case sentence (``^`` is the sentence's start). The NLU reads acts by them; the LLM
generator's faithfulness check asks an utterance to contain them."""

DONTCARE_CUE = (
    r"\b(?:don'?t|do not|doesn'?t|does not|dose not|dosen'?t) (?:really )?(?:care|mind|matter)"
    r"|\b(?:no|not have a|not have any|n'?t have a|n'?t have any) preference\b"
    r"|\beither (?:one )?(?:is fine|will do|is ok|is okay|works)\b|\bwhatever\b|\bany\b.*\b(?:is fine|will do|is ok|is okay|works)\b"
    r"|\bnot important\b|\bnot picky\b|\bdoes(?:n'?t| not) make a difference\b"
    r"|^(?:any|anything|anywhere|any ?where)(?: (?:is fine|will do|at all|really))?$"
    r"|^any (?:part|area|place|kind|type|sort|price|thing|one)$"
)
"""How a user says that any value of a slot will do (a regex over one lower-case sentence)."""

QUESTION_CUE = (
    r"\?|\bwhat\b|\bwhats\b|\btell me\b|\b(?:can|could|may) (?:i|you|we) (?:have|get|give)\b"
    r"|\bgive me\b|\bi need the\b|\bi'd like to know\b|\bi want to know\b"
)
"""How a user asks for something (a regex over one lower-case sentence)."""

DENY_CUE = r"\bnot\b|\b(?:don'?t|do not) want\b|\brather not\b"
"""How a user says a value is not what they want (a regex over one lower-case sentence)."""

CONFIRM_CUE = rf"^{FILLER}(?:is it|is the|is that|is this|does it|do they|are they|does that)\b"
"""How a user asks whether the offered entity has a value (a regex over one lower-case sentence)."""

NOT_ANY_CUE = r"^not any\b"
"""How a user denies ``dontcare`` ("not any price range will do")."""

ALTERNATIVE_CUE = rf"^{FILLER}(?:how|what) about\b"
"""How a user asks for another entity with a new value ("how about french food?")."""

ANY_CUE = r"\bany (?:kind of |type of |sort of )?$"
"""Before a slot's name, says that any value will do ("any part of town"); tried on the text
that comes before the slot's name in the sentence."""

SAME_CUE = (
    r"\b(?:that|this|the same|a similar|same) $"
    r"|\b(?:in|on|at|near|around|from|within|like) (?:the|their|its|my|your) $"
)
"""Before a slot's name, refers to a value already said ("in that price range") or to a place
("restaurants in the area", "I don't like the food"), which asks for nothing; tried on the text
that comes before the slot's name in the sentence."""

NAMED_CUE = r"(?:^|\b(?:the|their|its|and|also|plus|about)\s+|,\s*)$"
"""Before a slot's name, asks for it without a question ("and the price range"); tried on the
text before the name. A slot one can inform is asked for without a question only so: after
another word ("fair prices", "medium price range") the name belongs to a value not read."""

ONE_PRONOUN_BEFORE = (
    r"\b(?:another|this|that|the|which|any|no|each|every|a|an|some|other|different|similar|new"
    r"|good|nice|best|first|second|last|next|about)\s+$"
)
ONE_PRONOUN_AFTER = r"\s+(?:with|that|which|of|serving|where|in the|on the|near)\b"
"""Around ``one``, say that it stands for an entity, not the number ("another one", "one with
wifi"); tried on the text before and after it."""

SET_PHRASES = r"\bgood (?:morning|afternoon|evening|night|day|bye)\b"
"""Set phrases whose words are not values ("good morning" against a laptop's battery rating
``good``)."""

COMMON_WORDS = frozenset(
    "a an the so as is it its to too for of or and but if in on at by up out off all any some "
    "ask can do go get see one two what how who yes no not just well very much more".split()
)
"""Everyday words that a domain may also use as a value (SFRestaurants has a restaurant "so",
CamRestaurants one called "ask"). Said as such a value, one of them ends its sentence ("I want
so."); followed by more words ("thank you so much", "can I ask for...") it is the word."""

TYPE_CUE = (
    r"\b(?:looking for|searching for|search for|seeking|after|find|need|want|like|suggest|recommend"
    r"|know of|is there) an? ({entity_type})\b"
)
"""How a user says what it is looking for; ``{entity_type}`` is the domain's entity type."""
