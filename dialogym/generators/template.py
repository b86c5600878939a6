"""The template generator: dialogue acts to text through paraphrase tables (the fast default).

Every act pattern has at least five phrasings, picked with the dialogue's own random source (same
seed, same text). Acts that people say together are often said in one sentence: several
constraints (``I'd like cheap thai food in the north.``), a yes, no or greeting before them
(``Yes, somewhere in the east.``), a booking with its details (``Can you book it for 4 people
on friday at 19:30?``), a value denied and its replacement (``Not italian, I want thai food.``),
another venue with a new value (``How about french food?``), several requests (``What are the
phone number and the postcode?``), an offer with its facts. Slots the tables know (``food``,
``area``, ``pricerange``, ``people``, ``day``, ``time``, ...) get phrasing of their own; any
other slot, from any imported domain, is phrased generically from its name (`slot_words`).
Values appear verbatim and every user sentence says its acts in words the rule NLU reads back,
in the order `TemplateGenerator.sentences` lists them.

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
    ACK,
    AFFIRM,
    BOOK,
    DENY,
    HELLO,
    INFORM,
    NEGATE,
    NOMATCH,
    OFFER,
    REQALTS,
    REQUEST,
    SELECT,
    Act,
    Acts,
    ActType,
)
from dialogym.domains import DONTCARE, TYPE_SLOT
from dialogym.domains.words import slot_words
from dialogym.generators.base import RandomSource, Request, Speaker

Table = dict[str, tuple[str, ...]]
"""Phrasings by slot; the ``""`` row serves every slot without a row of its own."""
Sentence = tuple[Acts, str]
"""One sentence of an utterance and the acts it says."""

# --- The user: one act ------------------------------------------------------------------------

_USER_INFORM: Table = {
    TYPE_SLOT: (
        "I'm looking for a {value}.",
        "I need a {value}.",
        "I want to find a {value}.",
        "I want a {value}.",
        "can you help me find a {value}?",
        "I'd like to find a {value}, please.",
        "I'm trying to find a {value}.",
        "I need to find a {value}.",
        "I'd like a {value}.",
        "I'm searching for a {value}.",
        "I'm hoping to find a {value}.",
        "help me find a {value}, please.",
        "could you find a {value} for me?",
    ),
    "name": (
        "I mean {value}.",
        "I'm asking about {value}.",
        "I want {value}.",
        "I'm looking for {value}.",
        "I'd go for {value}.",
        "I'm interested in {value}.",
        "I was thinking of {value}.",
        "I'm thinking of {value}.",
    ),
    "food": (
        "I'd like {value} food.",
        "I'd like a place that serves {value} food.",
        "something that serves {value} food.",
        "I'm in the mood for {value} food.",
        "I'm looking for {value} food.",
        "I'm trying to find {value} food.",
        "I'd prefer {value} food.",
        "I'm interested in {value} food.",
        "I'm seeking {value} food.",
        "the food should be {value}.",
        "somewhere with {value} food, please.",
        "I'm hoping for {value} food.",
        "I want to eat {value} food.",
        "I'd like to have {value} food.",
        "I'd love some {value} food.",
        "some {value} food, please.",
        "I'd like to try {value} food.",
        "we want {value} food.",
        "I want {value} food.",
        "the food should be {value}, please.",
    ),
    "area": (
        "somewhere in the {value}.",
        "in the {value} of town, please.",
        "I'd like the {value} area.",
        "it should be in the {value}.",
        "I'm looking for a place in the {value}.",
        "the {value} part of town would be fine.",
        "somewhere around the {value} area.",
        "I want to stay in the {value}.",
        "I'd prefer the {value} of town.",
        "I'd prefer a place in the {value}.",
        "I'm interested in the {value} part of town.",
        "anywhere in the {value} is great.",
        "I'd like to be in the {value}.",
        "I'm after the {value} area.",
        "the {value} would be fine.",
        "I want to be in the {value}.",
        "in the {value}, if you can.",
        "I'd want something in the {value}.",
        "the {value} part of town, please.",
    ),
    "pricerange": (
        "something in the {value} price range.",
        "the price range should be {value}.",
        "in the {value} price range, please.",
        "I'd like the {value} price range.",
        "I want something in the {value} price range.",
        "my price range is {value}.",
        "I'm after the {value} price range.",
        "I'm interested in the {value} price range.",
        "I'm trying to find something in the {value} price range.",
        "I'd prefer {value} prices.",
        "something with {value} prices.",
        "the {value} price range would be fine.",
    ),
    "people": (
        "for {value} people.",
        "a table for {value}, please.",
        "there will be {value} of us.",
        "we are {value} people.",
        "it's for {value} people.",
        "I need a table for {value} people.",
        "we'll be {value} people.",
        "the table is for {value}.",
        "just {value} of us.",
        "a party of {value}, please.",
    ),
    "day": (
        "on {value}.",
        "I'd like to go on {value}.",
        "we want to come on {value}.",
        "on {value}, please.",
        "we'd like to eat on {value}.",
        "we'll come on {value}.",
        "this {value}, please.",
        "for {value}.",
        "on {value} if you can.",
        "we'd like to go on {value}.",
        "on {value} would be fine.",
    ),
    "time": (
        "at {value}.",
        "around {value}, please.",
        "we'd like to arrive at {value}.",
        "at {value}, please.",
        "let's say {value}.",
        "we'll be there at {value}.",
        "for {value}, please.",
        "we'd like to eat at {value}.",
        "at about {value}.",
        "some time around {value}.",
        "at {value} if you can.",
        "we'd like a table at {value}.",
        "around {value} would be fine.",
        "perhaps at {value}.",
        "say {value}, if you can.",
        "at {value}, if you can.",
    ),
    "": (
        "I want {value} {slot}.",
        "the {slot} should be {value}.",
        "I'm looking for something with {value} {slot}.",
        "I'd like {value} {slot}, please.",
        "it should have {value} {slot}.",
        "I need {value} {slot}.",
        "I'd prefer the {slot} to be {value}.",
        "my {slot} should be {value}.",
        "something with {value} {slot}.",
        "I'm after {value} {slot}.",
        "I'd like the {slot} to be {value}.",
    ),
}
_USER_DONTCARE = (
    "I don't care about the {slot}.",
    "any {slot} is fine.",
    "the {slot} doesn't matter.",
    "I have no preference for the {slot}.",
    "any {slot} will do.",
    "I don't mind about the {slot}.",
    "the {slot} is not important.",
    "the {slot} does not matter to me.",
    "I'm not picky about the {slot}.",
    "I really don't care about the {slot}.",
    "whatever {slot}, I don't mind.",
    "the {slot} doesn't matter at all.",
)
_USER_DONTCARE_SLOTLESS = (
    "I don't mind.",
    "it doesn't matter.",
    "I don't care.",
    "I have no preference.",
    "whatever is fine.",
    "it doesn't matter to me.",
    "any is fine.",
    "I really don't mind.",
)
"""A ``dontcare`` said without its slot (``inform(=dontcare)``): the system's question names it."""
_USER_NOT_ANY = (
    "not any {slot} will do.",
    "not any {slot} is fine.",
    "not any {slot} is okay.",
    "not any {slot} works for me.",
    "not any {slot} will do, sorry.",
)
_USER_DENY: Table = {
    "name": (
        "not {value}.",
        "I don't want {value}.",
        "I'd rather not go to {value}.",
        "please, not {value}.",
        "I do not want {value}.",
        "I really don't want {value}.",
    ),
    "": (
        "I don't want {value} {slot}.",
        "the {slot} should not be {value}.",
        "I'd rather not have {value} {slot}.",
        "I don't want the {slot} to be {value}.",
        "not {value} {slot}, please.",
        "I do not want {value} {slot}.",
    ),
}
_USER_CONFIRM: Table = {
    "name": (
        "is it {value}?",
        "is that {value}?",
        "is this {value}?",
        "is the name {value}?",
    ),
    TYPE_SLOT: (
        "is it a {value}?",
        "is that a {value}?",
        "is it really a {value}?",
        "is that one a {value}?",
        "is it a {value}, then?",
    ),
    "food": (
        "does it serve {value} food?",
        "is it {value} food?",
        "is the food {value}?",
        "does it have {value} food?",
        "is that {value} food?",
        "does it do {value} food?",
        "does it offer {value} food?",
        "is the food there {value}?",
    ),
    "area": (
        "is it in the {value}?",
        "is that in the {value} part of town?",
        "is the area {value}?",
        "is it in the {value} area?",
        "is that place in the {value}?",
        "is it located in the {value}?",
        "is it over in the {value}?",
        "is that in the {value}?",
    ),
    "": (
        "is the {slot} {value}?",
        "does it have {value} {slot}?",
        "is the {slot} {value} there?",
        "is the {slot} {value}, then?",
        "does it have a {slot} of {value}?",
        "is that {value} {slot}?",
        "is it {value} {slot}?",
        "does it offer {value} {slot}?",
        "is the {slot} there {value}?",
    ),
}
_USER_REQUEST = (
    "what is the {slot}?",
    "could you tell me the {slot}?",
    "can I have the {slot}?",
    "what's the {slot}?",
    "can you give me the {slot}?",
    "I'd like to know the {slot}.",
    "tell me the {slot}, please.",
    "what is their {slot}?",
    "may I have the {slot}?",
    "and what's the {slot}?",
    "could I get the {slot}?",
    "what would the {slot} be?",
    "do you know the {slot}?",
    "I need the {slot}.",
    "could you give me the {slot}?",
    "please tell me the {slot}.",
    "could you check the {slot}?",
    "could you tell me their {slot}?",
    "I want to know the {slot}.",
    "what's their {slot}?",
)
_USER_PLAIN: dict[ActType, tuple[str, ...]] = {
    ActType.HELLO: (
        "Hello.",
        "Hi.",
        "Hi there.",
        "Hey.",
        "Hello there.",
        "Hi, hello.",
        "Hey there.",
        "Hello, hi.",
        "Hi, hello there.",
    ),
    ActType.AFFIRM: (
        "Yes.",
        "Yes, that's right.",
        "Correct.",
        "Yeah.",
        "Yep, that's correct.",
        "Exactly.",
        "Sure.",
        "That's right.",
        "Yes, exactly.",
        "Yeah, that's it.",
        "Yes please.",
        "Right.",
        "Yes, correct.",
        "Sure, that's right.",
        "Yes, that's correct.",
        "Yeah, exactly.",
        "Yep.",
        "Correct, yes.",
        "Yes, you got it.",
        "That's correct.",
        "Yeah, right.",
        "Yes, that is right.",
        "Yep, exactly.",
        "Exactly right.",
        "Yes, that's it.",
    ),
    ActType.NEGATE: (
        "No.",
        "No, that's wrong.",
        "Nope.",
        "No, that's not right.",
        "Not really.",
        "That's incorrect.",
        "No, that's incorrect.",
    ),
    ActType.REQALTS: (
        "Is there anything else?",
        "Do you have any other options?",
        "Something else, please.",
        "Are there any alternatives?",
        "Can you suggest another place?",
        "I'd like another option.",
        "Anything else?",
        "What other places are there?",
        "Do you have anything else?",
        "Could you suggest something else?",
        "Can you suggest another option?",
        "Do you have another place?",
        "Are there other options?",
        "Is there another option?",
        "Any alternatives?",
        "Could you find something else?",
    ),
    ActType.BOOK: (
        "Please book it.",
        "Can you reserve it, please?",
        "I'd like to book it.",
        "Book it, please.",
        "Could you reserve it for me?",
        "I want to reserve it.",
        "Can you book that for me?",
        "Let's book it.",
        "Book it for me, please.",
        "I'd like a reservation, please.",
        "I'd like to reserve a table.",
        "Please reserve a table.",
        "Could you book it for me?",
        "I'd like to book, please.",
        "Please reserve it.",
        "Book it now, please.",
    ),
    ActType.THANKYOU: (
        "Thank you.",
        "Thanks.",
        "Thanks a lot.",
        "Thank you very much.",
        "Thanks for your help.",
        "Cheers.",
        "Thank you so much.",
        "Many thanks.",
        "Thank you kindly.",
        "Thanks so much.",
        "I appreciate it, thanks.",
    ),
    ActType.ACK: (
        "Okay.",
        "Alright.",
        "I see.",
        "Ok, got it.",
        "All right.",
        "Okay, I see.",
        "Alright, I see.",
        "Okay, got it.",
        "Okay, fine.",
        "Alright, got it.",
        "Ok.",
    ),
    ActType.REPEAT: (
        "Sorry, could you repeat that?",
        "What did you say?",
        "Pardon?",
        "Sorry?",
        "Could you say that again?",
        "Can you repeat that, please?",
        "Sorry, what did you say?",
    ),
    ActType.BYE: (
        "Goodbye.",
        "Bye.",
        "That's all, goodbye.",
        "Bye bye.",
        "See you.",
        "Goodbye, have a nice day.",
        "Have a nice day, goodbye.",
        "That's all.",
        "Bye for now.",
        "Goodbye then.",
        "Bye then.",
        "That's all I need, goodbye.",
        "Bye, have a nice day.",
        "Goodbye, all done.",
        "Bye, all done.",
        "Goodbye, that's everything.",
        "See you later.",
        "Goodbye now.",
        "Bye, that's all.",
        "Bye, see you.",
        "Goodbye for now.",
    ),
    ActType.NULL: ("Hmm.", "Let me think.", "Um.", "Let me see.", "Er.", "Hmm, let me see."),
}
_USER_OPENERS = (
    "Um, ",
    "Well, ",
    "Uh, ",
    "Oh, ",
    "Er, ",
    "Ah, ",
    "Erm, ",
    "Oh well, ",
    "Well, um, ",
)
"""Hesitations that may start a user's utterance (the rule NLU reads cues after them)."""

# --- The user: acts said together ---------------------------------------------------------------

_USER_LEAD: dict[ActType, tuple[str, ...]] = {
    HELLO: ("Hello, ", "Hi, ", "Hi there, ", "Hey, ", "Hello there, ", "Hey there, "),
    AFFIRM: (
        "Yes, ",
        "Yeah, ",
        "Yes, and ",
        "Right, ",
        "Yep, ",
        "That's right, ",
        "Sure, ",
        "Correct, ",
        "Exactly, ",
    ),
    NEGATE: (
        "No, ",
        "Nope, ",
        "No, that's wrong, ",
        "No, actually ",
        "No, no, ",
        "No, sorry, ",
        "No, I meant ",
    ),
    ACK: ("Okay, ", "Alright, ", "Ok, ", "All right, ", "I see, ", "Okay then, "),
}
"""How a greeting, yes, no or okay starts a sentence that goes on with constraints."""
_USER_WANT = (
    "I want {constraints}.",
    "I'd like {constraints}.",
    "I'm looking for {constraints}.",
    "I need {constraints}.",
    "I'm after {constraints}.",
    "can you find me {constraints}?",
    "I'd love {constraints}.",
    "I'm hoping for {constraints}.",
)
"""Sentences of several constraints, said as one noun phrase (``cheap thai food``)."""
_USER_WANT_TYPE = (
    "I'm looking for a {value}",
    "I need a {value}",
    "I want a {value}",
    "I want to find a {value}",
    "can you help me find a {value}",
    "I'm trying to find a {value}",
)
"""The start of a sentence that says what the user is looking for, then its constraints."""
_USER_ALTERNATIVE = (
    "how about {constraints}?",
    "what about {constraints}?",
    "how about {constraints} instead?",
    "what about {constraints}, then?",
    "how about something with {constraints}?",
    "what about {constraints} instead?",
)
"""Another venue, with new constraints (``reqalts`` then the informs)."""
_USER_REPLACE: Table = {
    "name": (
        "not {denied}. I want {wanted}.",
        "I said {wanted}. Not {denied}.",
        "I don't want {denied}. I'd like {wanted}.",
        "not {denied}. I'm looking for {wanted}.",
        "I meant {wanted}. Not {denied}.",
        "I'd rather not go to {denied}. I mean {wanted}.",
    ),
    "": (
        "not {denied}, I want {wanted} {slot}.",
        "I want {wanted} {slot}, not {denied}.",
        "I said {wanted} {slot}, not {denied}.",
        "I don't want {denied} {slot}, I want {wanted}.",
        "the {slot} should be {wanted}, not {denied}.",
        "I meant {wanted}, not {denied} {slot}.",
        "not {denied}, I'd like {wanted} {slot}.",
        "I'd rather have {wanted} {slot}, not {denied}.",
    ),
}
"""A denied value and the value wanted instead, in one sentence (deny first or inform first).

A name is said last in its sentence: the NLU reads a name that is a common word (``ask``,
``so``) only there."""
_USER_REQUESTS = (
    "what are the {slots}?",
    "what's the {slots}?",
    "tell me the {slots}, please.",
    "could you tell me the {slots}?",
    "can I have the {slots}?",
    "I need the {slots}.",
    "can you give me the {slots}?",
    "I'd like to know the {slots}.",
    "may I have the {slots}?",
)
"""Several requests in one question; ``{slots}`` is ``phone number and the postcode``."""
_USER_BOOK = (
    "please book it {details}.",
    "can you book it {details}?",
    "I'd like to book it {details}.",
    "could you reserve it {details}?",
    "I want to book {details}.",
    "book it {details}, please.",
    "I'd like a reservation {details}.",
    "can I book {details}?",
)
"""A booking request with its details (``for 4 people on friday at 19:30``)."""
_USER_DETAILS = (
    "{details}.",
    "{details}, please.",
    "we'd like to come {details}.",
    "we'll come {details}.",
    "it's {details}.",
    "we'd like a table {details}.",
)
"""Booking details said without a booking request."""
_DETAIL: Table = {
    "people": ("for {value} people", "for {value}", "for a party of {value}", "for {value} guests"),
    "day": ("on {value}", "this {value}", "for {value}"),
    "time": ("at {value}", "for {value}", "at around {value}"),
    "": ("with {value} {slot}",),
}
"""How a booking detail is said inside a sentence."""

# The constraints of a restaurant search said as one noun phrase, by the slots said.
_DISH = ("{food} food",)
_PRICED_DISH = (
    "{pricerange} {food} food",
    "{food} food in the {pricerange} price range",
    "{food} food at {pricerange} prices",
)
_PLACE = (
    "in the {area}",
    "in the {area} of town",
    "in the {area} part of town",
    "in the {area} area",
    "over in the {area}",
    "in the {area} of the city",
    "located in the {area}",
    "somewhere in the {area}",
)
_PRICED_PLACE = (
    "somewhere {pricerange} in the {area}",
    "something {pricerange} in the {area}",
    "something in the {pricerange} price range in the {area}",
    "a {pricerange} place in the {area}",
)
_SERVING = ("serving {dish}", "that serves {dish}", "with {dish}", "that has {dish}")
_SEARCH_SLOTS = frozenset(("food", "pricerange", "area"))

# --- The system ---------------------------------------------------------------------------------

_SYSTEM_REQUEST: Table = {
    "food": (
        "What kind of food would you like?",
        "What type of food are you looking for?",
        "What food would you like?",
        "Do you have a preference for the food?",
        "Which food do you fancy?",
        "Any particular type of food?",
        "What type of food do you prefer?",
        "What would you like to eat today?",
        "Which food?",
        "What food, then?",
        "Any cuisine?",
        "What sort of food do you have in mind?",
        "Any particular cuisine?",
        "Which cuisine would you like?",
        "What are you in the mood for?",
        "Any food you'd like in particular?",
        "What cuisine do you prefer?",
        "What would you like to eat?",
        "Which kind of food?",
        "What food are you after?",
    ),
    "area": (
        "Which part of town?",
        "What area would you like?",
        "Where in town would you like to be?",
        "Do you have an area in mind?",
        "Which area do you prefer?",
        "Which side of town?",
        "Which area?",
        "Where, then?",
        "What area?",
        "Any particular area?",
        "Where would you like to dine?",
        "In which part of town should it be?",
        "Where would you like it to be?",
        "Any part of town in mind?",
        "Which part of the city?",
        "Where should I look?",
        "What part of town do you prefer?",
        "Where do you want to go?",
        "Which neighbourhood?",
        "Any area you prefer?",
        "Where in the city?",
    ),
    "pricerange": (
        "What price range are you looking for?",
        "How much would you like to spend?",
        "Do you have a price range in mind?",
        "Which price range would you like?",
        "Any particular price range?",
        "How much would you like to pay?",
        "What price range do you prefer?",
        "Which price range?",
        "What price range?",
        "What is your budget?",
        "What prices are you thinking of?",
        "Which price range suits you?",
        "Any price range in mind?",
        "What's your price range?",
        "What would you like to spend?",
        "How much do you want to pay?",
        "How expensive should it be?",
    ),
    "people": (
        "How many people?",
        "For how many people?",
        "How many of you will there be?",
        "How many people is the booking for?",
        "What is the size of your party?",
        "How many guests?",
        "How many will you be?",
        "How many people should I book for?",
        "A table for how many?",
        "For how many guests?",
        "How many people will come?",
        "How many are you?",
    ),
    "day": (
        "Which day?",
        "On what day?",
        "What day would you like to go?",
        "For which day?",
        "When would you like to come?",
        "Which day should I book?",
        "What day works for you?",
        "On which day?",
        "What day do you want?",
        "When do you want to go?",
        "What day would suit you?",
        "Which day suits you?",
    ),
    "time": (
        "What time?",
        "At what time?",
        "What time would you like to arrive?",
        "For what time?",
        "When should I book it for?",
        "What time suits you?",
        "What time works for you?",
        "At what time should I book it?",
        "What time should I book?",
        "When would you like the table?",
        "What time should it be?",
        "What time do you want?",
    ),
    "": (
        "What {slot} would you like?",
        "Which {slot} are you looking for?",
        "Any preference for the {slot}?",
        "Do you have a {slot} in mind?",
        "What should the {slot} be?",
        "Any particular {slot}?",
        "Which {slot} do you prefer?",
        "What {slot} would suit you?",
        "What {slot} do you need?",
        "Tell me the {slot} you want.",
        "Which {slot} would suit you?",
        "Is there a {slot} you prefer?",
    ),
}
_SYSTEM_FACT: Table = {
    "food": (
        "It serves {value} food.",
        "The food is {value}.",
        "They serve {value} food.",
        "It serves {value} cuisine.",
        "They do {value} food.",
        "You can get {value} food there.",
    ),
    "area": (
        "It is in the {value}.",
        "It's in the {value} of town.",
        "It is located in the {value}.",
        "You'll find it in the {value}.",
        "It is in the {value} part of town.",
        "It's over in the {value}.",
    ),
    "pricerange": (
        "It is {value}.",
        "It is in the {value} price range.",
        "Its prices are {value}.",
        "The price range is {value}.",
        "It's {value}.",
        "Prices there are {value}.",
    ),
    "phone": (
        "You can call them on {value}.",
        "Their number is {value}.",
        "Call {value} to reach them.",
        "You can reach them at {value}.",
        "Their phone number: {value}.",
    ),
    "address": (
        "It is at {value}.",
        "You'll find it at {value}.",
        "It's located at {value}.",
        "Their address: {value}.",
        "They are at {value}.",
    ),
    "postcode": (
        "Its postcode: {value}.",
        "It's in postcode {value}.",
        "Their postcode is {value}.",
        "The post code there is {value}.",
    ),
    "": (
        "Its {slot} is {value}.",
        "The {slot} is {value}.",
        "The {slot} there is {value}.",
        "Its {slot}: {value}.",
        "For the {slot}, it's {value}.",
        "The {slot} would be {value}.",
        "It lists {value} as its {slot}.",
    ),
}
_SYSTEM_FACT["opening"] = ("Opening hours are {value}.", "The opening hours are {value}.")
_SYSTEM_FACT["rating"] = ("It has a rating of {value}.", "Its rating is {value}.")
_SYSTEM_FACT["signature"] = ("Their signature dish is {value}.", "The dish to try is {value}.")
_SYSTEM_FACT["addr"] = _SYSTEM_FACT["address"]
_SYSTEM_NAME = (
    "About {value}:",
    "Here is what I know about {value}.",
    "As for {value}:",
    "Regarding {value}:",
    "Here's the information on {value}.",
    "You asked about {value}.",
    "I can tell you about {value}.",
)
"""The sentence before the facts of a named venue."""
_SYSTEM_NAMED_FACT: Table = {
    "food": ("{name} serves {value} food.", "At {name} they serve {value} food."),
    "area": ("{name} is in the {value}.", "{name} is located in the {value} of town."),
    "pricerange": ("{name} is in the {value} price range.", "Prices at {name} are {value}."),
    "phone": ("You can call {name} on {value}.", "{name} can be reached at {value}."),
    "address": ("{name} is at {value}.", "You'll find {name} at {value}."),
    "postcode": ("{name} is in postcode {value}.", "The postcode of {name} is {value}."),
    "opening": ("The opening hours of {name} are {value}.", "{name} has opening hours of {value}."),
    "rating": ("{name} has a rating of {value}.", "The rating of {name} is {value}."),
    "signature": (
        "The signature dish of {name} is {value}.",
        "The dish to try at {name} is {value}.",
    ),
    "": (
        "The {slot} of {name} is {value}.",
        "For {name}, the {slot} is {value}.",
        "The {slot} for {name} is {value}.",
        "{name}: the {slot} is {value}.",
        "The {slot} at {name} is {value}.",
        "{name} lists its {slot} as {value}.",
        "{name} has {value} as its {slot}.",
        "If you go to {name}, the {slot} is {value}.",
        "At {name}, the {slot} is {value}.",
        "Regarding {name}, the {slot} is {value}.",
        "Here is the {slot} of {name}: {value}.",
        "The information for {name}: the {slot} is {value}.",
        "I can tell you the {slot} of {name} is {value}.",
        "{name}'s {slot} is {value}.",
        "Here you go: the {slot} of {name} is {value}.",
        "As for {name}, its {slot} is {value}.",
        "The {slot} you asked for, at {name}, is {value}.",
    ),
}
"""A named venue and one fact about it, in one sentence (a slot's own rows and the generic)."""
_SYSTEM_NAMED_FACT["addr"] = _SYSTEM_NAMED_FACT["address"]
_SYSTEM_NAMED = (
    "It's called {value}.",
    "The name is {value}.",
    "That is {value}.",
    "It is {value}.",
    "Its name is {value}.",
    "That would be {value}.",
)
"""A venue's name said alone."""
_SYSTEM_CONFIRM: Table = {
    "food": (
        "You want {value} food, is that right?",
        "Did you say {value}?",
        "So {value} for the food?",
        "You'd like {value} food, right?",
        "Just to check: {value} food?",
        "Let me confirm: {value} food?",
        "To check, you want {value} food?",
        "Just to confirm, {value} food?",
        "So, {value} food?",
        "Right, {value} food?",
        "And {value} food?",
        "Am I right that you want {value} food?",
        "So you're after {value} food?",
        "Did I get that right, {value} food?",
        "Is {value} food what you want?",
        "So you want {value} food, is that correct?",
        "So that's {value} food?",
        "You said {value} food, right?",
        "Should it be {value} food?",
        "Is it {value} food you want?",
        "To confirm: {value} food?",
        "Okay, {value} food?",
        "Are you looking for {value} food?",
    ),
    "area": (
        "You want the {value}, is that right?",
        "Did you say the {value}?",
        "So {value} for the area?",
        "Somewhere in the {value}, correct?",
        "Just to check: the {value} area?",
        "Let me confirm: the {value}?",
        "To check, you want the {value}?",
        "So, the {value}?",
        "Right, the {value}?",
        "The {value}, then?",
        "So you'd like to be in the {value}?",
        "In the {value} of town, right?",
        "Are you looking for the {value}?",
        "Okay, the {value}?",
        "Did I get that right, the {value}?",
        "Is the {value} what you want?",
        "So you want the {value}, is that correct?",
        "So that's the {value}?",
        "You said the {value}, right?",
        "Should it be in the {value}?",
        "Is it the {value} you want?",
        "To confirm: the {value}?",
    ),
    "pricerange": (
        "You want something {value}, is that right?",
        "Did you say {value}?",
        "So {value} for the price range?",
        "Just to check: {value} prices?",
        "Let me confirm: {value}?",
        "To check, you want something {value}?",
        "So, {value}?",
        "Right, {value}?",
        "Something {value}, then?",
        "You're looking for the {value} price range, right?",
        "So the price range is {value}?",
        "A {value} place, correct?",
        "Are you looking for something {value}?",
        "Okay, {value}?",
        "Did I get that right, {value} prices?",
        "Is {value} what you want?",
        "So you want something {value}, is that correct?",
        "So that's the {value} price range?",
        "You said {value}, right?",
        "Should it be {value}?",
        "Is it {value} you want?",
        "To confirm: {value}?",
    ),
    "": (
        "You want {value} {slot}, is that right?",
        "Did you say {value}?",
        "So {value} for the {slot}?",
        "You're looking for {value} {slot}, right?",
        "Let me check: the {slot} should be {value}?",
        "Just to confirm, {value} {slot}?",
        "So the {slot} is {value}?",
        "Okay, {value} {slot}?",
        "Did I get that right, {value} {slot}?",
        "Is {value} the {slot} you want?",
        "So you want {value} for the {slot}, is that correct?",
        "The {slot} should be {value}, right?",
        "Is the {slot} {value}, then?",
    ),
}
_SYSTEM_CONFIRM_DONTCARE = (
    "So any {slot} is fine?",
    "You don't mind about the {slot}, right?",
    "The {slot} doesn't matter to you?",
    "Just to check: no preference for the {slot}?",
    "Any {slot} will do, is that right?",
    "So you don't care about the {slot}?",
    "Okay, any {slot}?",
    "You have no preference for the {slot}?",
)
_SYSTEM_OFFER = (
    "How about {value}?",
    "{value} matches what you want.",
    "I recommend {value}.",
    "You could try {value}.",
    "There is {value}.",
    "I found {value}.",
    "What about {value}?",
    "I suggest {value}.",
    "There's {value}.",
    "Try {value}.",
    "{value} would suit you.",
    "Would {value} do?",
)
_SYSTEM_OFFER_FACTS = (
    "How about {name}? It has {facts}.",
    "{name} has {facts}.",
    "I recommend {name}, with {facts}.",
    "You could try {name}: {facts}.",
    "I found {name}, which has {facts}.",
    "What about {name}? It offers {facts}.",
    "Try {name}, with {facts}.",
    "{name} would suit you, with {facts}.",
    "Would {name} do? It has {facts}.",
)
"""An offer and its facts in one sentence; ``{facts}`` is ``thai food and cheap price range``."""
_SYSTEM_OFFER_PLACE = (
    "How about {name}? It serves {dish} {place}.",
    "{name} serves {dish} {place}.",
    "I recommend {name}, which serves {dish} {place}.",
    "There is {name}, serving {dish} {place}.",
    "You could try {name}; they serve {dish} {place}.",
    "{name} has {dish}, and it is {place}.",
    "For {dish} {place}, I suggest {name}.",
    "I found {name}. It offers {dish} {place}.",
    "What about {name}? They have {dish} {place}.",
    "{name} matches: {dish} {place}.",
    "{name} would suit you: {dish} {place}.",
    "Try {name}, which has {dish} {place}.",
    "{name} fits, with {dish} {place}.",
    "Would {name} do? It serves {dish} {place}.",
    "Have a look at {name}: {dish} {place}.",
    "{name}, {place}, serves {dish}.",
    "{place}, {name} serves {dish}.",
    "{name} offers {dish} {place}.",
    "{name} meets your criteria: {dish} {place}.",
    "A place that matches is {name}: {dish} {place}.",
    "{name} is a spot with {dish} {place}.",
    "You might try {name}, a place with {dish} {place}.",
    "How about trying {name}? It serves {dish} {place}.",
    "I can recommend {name}, with {dish} {place}.",
    "Let me recommend {name}: {dish} {place}.",
    "The place I'd suggest is {name}, serving {dish} {place}.",
    "{name} is situated {place} and serves {dish}.",
    "{name} is located {place}; it serves {dish}.",
    "I'd suggest {name}: {dish} {place}.",
    "{name} is an option: {dish} {place}.",
    "One place is {name}, with {dish} {place}.",
    "You might like {name}; it has {dish} {place}.",
    "Try {name}, serving {dish} {place}.",
    "{name} could work: it serves {dish} {place}.",
    "Let me suggest {name}, which serves {dish} {place}.",
    "There's {name}, with {dish} {place}.",
    "How does {name} sound? It has {dish} {place}.",
    "I'd go with {name}: {dish} {place}.",
)
"""An offer of a restaurant: ``{dish}`` is ``cheap thai food``, ``{place}`` ``in the north``."""
_SYSTEM_DISH = (
    "{pricerange} {food} food",
    "{food} food in the {pricerange} price range",
    "{food} food at {pricerange} prices",
    "{pricerange} {food} cuisine",
    "{pricerange} {food} dishes",
    "{food} dishes at {pricerange} prices",
    "{food} food that is {pricerange}",
)
_SYSTEM_SELECT = (
    "Would you like {options}?",
    "Do you prefer {options}?",
    "Which would you like: {options}?",
    "Should it be {options}?",
    "Would {options} suit you better?",
    "Which one: {options}?",
    "Would you prefer {options}?",
    "Shall I look for {options}?",
    "What would you like, {options}?",
)
_SYSTEM_NOMATCH = (
    "Sorry, there is nothing with {parts}.",
    "I'm afraid nothing matches {parts}.",
    "I couldn't find anything with {parts}.",
    "Sorry, I have no match for {parts}.",
    "Unfortunately there is nothing with {parts}.",
    "There is no place with {parts}, sorry.",
    "Nothing matches {parts}, I'm afraid.",
    "I found no place with {parts}.",
)
_SYSTEM_BOOK = (
    "I have booked it {parts}.",
    "Your booking is done: {parts}.",
    "Done, it is booked {parts}.",
    "All set: booked {parts}.",
    "I've made the reservation {parts}.",
    "Your table is reserved {parts}.",
    "Booked! That's {parts}.",
    "You're booked {parts}.",
    "The reservation is made {parts}.",
    "Booking confirmed {parts}.",
    "I reserved a table {parts}.",
    "Booked {parts}.",
    "Done: {parts}.",
    "Reserved {parts}.",
)
_SYSTEM_BOOK_FAILED = (
    "Sorry, I could not book it.",
    "I'm sorry, the booking failed.",
    "Unfortunately I couldn't make that booking.",
    "Sorry, that booking is not possible.",
    "I'm afraid I couldn't book it.",
)
_SYSTEM_PLAIN: dict[ActType, tuple[str, ...]] = {
    ActType.HELLO: (
        "Hello, welcome! How can I help you?",
        "Hi! What are you looking for?",
        "Welcome! What can I do for you?",
        "Hello! How may I help you today?",
        "Hi there, how can I help?",
        "Good day! What can I find for you?",
        "Hello, what are you looking for today?",
        "Hi, how can I help you today?",
        "Welcome, what would you like?",
        "Hello! What can I help you find?",
        "Hi! Tell me what you need.",
        "Good day, how may I help?",
        "Hello and welcome! What do you need?",
        "Hi, what can I find for you today?",
        "Hey! What do you need today?",
        "Hello there! What can I do for you?",
        "Welcome! How can I be of help?",
        "Hi! Looking for something?",
        "Good day! How can I help you?",
        "Hello, how can I assist you?",
        "Hi, welcome! What do you need?",
        "Welcome, how may I assist?",
        "Hi, how can I help?",
        "Hello! What do you need?",
        "Welcome! How can I help?",
        "Hi there! What can I do?",
        "Hello, how can I assist?",
    ),
    ActType.REQMORE: (
        "Is there anything else I can help with?",
        "Can I help with anything else?",
        "Anything else I can do for you?",
        "Do you need anything else?",
        "What else can I do for you?",
        "Is there something else you need?",
        "Can I do anything else for you?",
        "Would you like anything else?",
        "Need anything else?",
        "Is that everything?",
        "Can I help you with something else?",
        "Anything more I can help with?",
    ),
    ActType.BYE: (
        "Goodbye!",
        "Thank you, goodbye.",
        "Bye, have a nice day!",
        "Thanks, bye!",
        "See you, goodbye!",
        "Have a good day, goodbye!",
        "Bye now!",
    ),
    ActType.NULL: (
        "Sorry, I can't do that.",
        "Hmm, let me see.",
        "Sorry, I can't help with that.",
        "I'm not sure I can do that.",
    ),
}
_SYSTEM_OPENERS = (
    "Okay. ",
    "Alright. ",
    "Right. ",
    "Okay, so ",
    "Well, ",
    "Sure. ",
    "I see. ",
    "Got it. ",
    "Thanks. ",
    "Alright, so ",
    "Sure, ",
    "Alright, ",
    "Okay then. ",
    "Right, so ",
    "Well then, ",
)
"""Words that may start the system's utterance, before anything but a greeting or goodbye (none
with "let me": the phrasings after them use it, and the check refuses a pair said twice)."""


class TemplateGenerator:
    """Renders acts with paraphrase tables; fast, needs no model, covers any domain.

    The generator keeps no state between calls; every choice comes from the request's random
    source, so a dialogue's text depends only on its own seed.
    """

    def generate(self, requests: Sequence[Request]) -> list[str]:
        """One utterance per request, in order."""
        return [self.render(r.speaker, r.acts, r.rng) for r in requests]

    def render(self, speaker: Speaker, acts: Acts, rng: RandomSource) -> str:
        """The utterance for one side's acts, one sentence per act or group of acts."""
        return " ".join(sentence for _, sentence in self.sentences(speaker, acts, rng))

    def sentences(self, speaker: Speaker, acts: Acts, rng: RandomSource) -> list[Sentence]:
        """The utterance's sentences, each with the acts it says (no acts: a filler).

        The sentences say every act once. A user sentence lists its acts in the order the
        rule NLU reads them from its words, which may differ from the order of ``acts``.
        """
        if speaker is Speaker.USER:
            sentences = _user_sentences(acts, rng)
            if sentences and not any(a.type is DENY and a.value == DONTCARE for a in acts):
                _opened(sentences, _USER_OPENERS, rng)
        else:
            sentences = _system_sentences(acts, rng)
            if sentences and acts[0].type not in (HELLO, ActType.BYE):
                _opened(sentences, _SYSTEM_OPENERS, rng)
        if not sentences:
            return [((), _pick(_USER_PLAIN[ActType.NULL], rng))]
        return [(said, _capitalised(sentence)) for said, sentence in sentences]


def _pick(options: Sequence[str], rng: RandomSource) -> str:
    return options[rng.below(len(options))] if len(options) > 1 else options[0]


def _capitalised(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def _row(table: Table, slot: str | None) -> tuple[str, ...]:
    """The slot's phrasings, or the generic ones."""
    return table.get(slot or "") or table[""]


def _rows(table: Table, slot: str | None) -> tuple[str, ...]:
    """The slot's phrasings and the generic ones."""
    return table.get(slot or "", ()) + table[""]


def _opened(sentences: list[Sentence], openers: Sequence[str], rng: RandomSource) -> None:
    """Start the first sentence, one time in three, with one of ``openers`` (in place).

    A sentence that starts with a value is left as it is (the value stays verbatim).
    """
    said, first = sentences[0]
    if rng.below(3) or any(a.value and first.startswith(a.value) for a in said):
        return
    opener = _pick(openers, rng)
    if not (opener.endswith(". ") or first.startswith(("I ", "I'"))):
        first = first[:1].lower() + first[1:]
    sentences[0] = (said, opener + first)


def _said(act: Act) -> bool:
    """Whether an act is an inform of a value (not ``dontcare``), which may join others."""
    return act.type is INFORM and act.slot is not None and act.value not in (None, DONTCARE)


def _joined(phrases: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]


# --- The user -----------------------------------------------------------------------------------


def _user_sentences(acts: Acts, rng: RandomSource) -> list[Sentence]:
    """The user's sentences: groups of acts said together where that is natural, else one each."""
    sentences: list[Sentence] = []
    start = 0
    while start < len(acts):
        taken, sentence = _user_group(acts, start, rng)
        sentences.append(sentence)
        start += taken
    return sentences


def _user_group(acts: Acts, start: int, rng: RandomSource) -> tuple[int, Sentence]:
    """The sentence of the acts from ``start`` on, and how many acts it says."""
    act = acts[start]
    rest = acts[start + 1 :]
    informs = _inform_run(rest)
    if act.type is BOOK and informs:
        return 1 + len(informs), _booking(informs, rng, book=True)
    if act.type in _USER_LEAD and informs and rng.below(3):
        said, clause = _constraints_sentence(informs, rng)
        return 1 + len(said), ((act, *said), _pick(_USER_LEAD[act.type], rng) + clause)
    if act.type is REQALTS and informs and _searchable(informs):
        said, phrase = _constraints(informs, rng)
        return 1 + len(informs), (
            (act, *said),
            _pick(_USER_ALTERNATIVE, rng).format(constraints=phrase),
        )
    replaced = act.value != DONTCARE and rest and _said(rest[0]) and rest[0].slot == act.slot
    if act.type is DENY and replaced:
        return 2, _replacement(act, rest[0], rng)
    if act.type is REQUEST and act.slot is not None:
        asked = [act, *_request_run(rest)]
        if len(asked) > 1:
            slots = _joined([slot_words(a.slot or "") for a in asked]).replace(" and ", " and the ")
            return len(asked), (tuple(asked), _pick(_USER_REQUESTS, rng).format(slots=slots))
    if _said(act):
        run = (act, *informs)
        if len(run) > 1 and rng.below(4):
            said, text = _constraints_sentence(run, rng)
            return len(said), (said, text)
    return 1, ((act,), _user_sentence(act, rng))


def _inform_run(acts: Sequence[Act]) -> Acts:
    """The informs of values that start ``acts``."""
    run: list[Act] = []
    for act in acts:
        if not _said(act) or any(a.slot == act.slot for a in run):
            break
        run.append(act)
    return tuple(run)


def _request_run(acts: Sequence[Act]) -> Acts:
    """The requests of slots that start ``acts``."""
    run: list[Act] = []
    for act in acts:
        if act.type is not REQUEST or act.slot is None:
            break
        run.append(act)
    return tuple(run)


def _searchable(informs: Acts) -> bool:
    """Whether informs can be said as a noun phrase after ``how about`` (no name, no type)."""
    return all(a.slot not in ("name", TYPE_SLOT) for a in informs)


def _constraints_sentence(informs: Acts, rng: RandomSource) -> Sentence:
    """A sentence of one or more informs: what is looked for and its constraints."""
    if len(informs) == 1:
        return informs, _user_sentence(informs[0], rng)
    if informs[0].slot == TYPE_SLOT:
        said, phrase = _typed(informs, rng)
        return said, phrase + "."
    if informs[0].slot in _BOOKING_SLOTS or not _searchable(informs):
        if all(a.slot in _BOOKING_SLOTS for a in informs):
            return _booking(informs, rng, book=False)
        return informs[:1], _user_sentence(informs[0], rng)
    said, phrase = _constraints(informs, rng)
    return said, _pick(_USER_WANT, rng).format(constraints=phrase)


_BOOKING_SLOTS = frozenset(_DETAIL) - {""}


def _typed(informs: Acts, rng: RandomSource) -> tuple[Acts, str]:
    """``I'm looking for a restaurant serving thai food in the north`` (type first)."""
    kind, *others = informs
    start = _pick(_USER_WANT_TYPE, rng).format(value=kind.value)
    if not others or not _searchable(tuple(others)):
        return (kind,), start
    values = {a.slot: a.value for a in others}
    if set(values) <= _SEARCH_SLOTS:
        said, phrase = _restaurant(tuple(others), values, rng, after_type=True)
    else:
        said, phrase = tuple(others), "with " + _generic_constraints(tuple(others))
    return (kind, *said), f"{start} {phrase}"


def _constraints(informs: Acts, rng: RandomSource) -> tuple[Acts, str]:
    """Informs (no name, no type) as one noun phrase, and the acts in the order it says them."""
    values = {a.slot: a.value for a in informs}
    if set(values) <= _SEARCH_SLOTS and ({"food", "area"} & set(values)):
        return _restaurant(informs, values, rng, after_type=False)
    return informs, _generic_constraints(informs)


def _generic_constraints(informs: Acts) -> str:
    """``good battery rating and light weight range``."""
    return _joined([f"{a.value} {slot_words(a.slot or '')}" for a in informs])


def _restaurant(
    informs: Acts, values: dict[str | None, str | None], rng: RandomSource, after_type: bool
) -> tuple[Acts, str]:
    """Food, price range and area as one phrase (``cheap thai food in the north``).

    Returns the acts in the order the phrase says them, and the phrase. ``after_type``: the
    phrase follows ``a restaurant``, so food is said with a verb (``serving thai food``).
    """
    by_slot = {a.slot: a for a in informs}
    food, price, area = values.get("food"), values.get("pricerange"), values.get("area")
    parts: list[str] = []
    order: list[str] = []
    if food is not None:
        priced = price is not None
        dish = _pick(_PRICED_DISH if priced else _DISH, rng)
        order += ["pricerange", "food"] if dish.startswith("{pricerange}") else ["food"]
        order += ["pricerange"] if priced and "pricerange" not in order else []
        dish = dish.format(food=food, pricerange=price)
        parts.append(_pick(_SERVING, rng).format(dish=dish) if after_type else dish)
    elif price is not None and area is not None and not after_type:
        parts.append(_pick(_PRICED_PLACE, rng).format(pricerange=price, area=area))
        order += ["pricerange", "area"]
    elif price is not None:
        parts.append(f"in the {price} price range")
        order.append("pricerange")
    if area is not None and "area" not in order:
        parts.append(_pick(_PLACE, rng).format(area=area))
        order.append("area")
    return tuple(by_slot[slot] for slot in order), " ".join(parts)


def _details(details: Acts, rng: RandomSource) -> str:
    """Booking details inside a sentence: ``for 4 people on friday at 19:30``."""
    phrases = []
    for act in details:
        phrase = _pick(_row(_DETAIL, act.slot), rng)
        if act.slot == "people" and act.value == "1":
            phrase = "for {value} person"
        phrases.append(phrase.format(value=act.value, slot=slot_words(act.slot or "")))
    return " ".join(phrases)


def _rotated(details: Acts, rng: RandomSource) -> Acts:
    """The details in one of their rotations (``on friday at 19:30 for 4 people``)."""
    turn = rng.below(len(details)) if len(details) > 1 else 0
    return details[turn:] + details[:turn]


def _booking(details: Acts, rng: RandomSource, book: bool) -> Sentence:
    """A booking request and its details, or the details alone, in one sentence."""
    details = _rotated(details, rng)
    said = _details(details, rng)
    if book:
        return (Act(BOOK), *details), _pick(_USER_BOOK, rng).format(details=said)
    return details, _pick(_USER_DETAILS, rng).format(details=said)


def _replacement(denied: Act, wanted: Act, rng: RandomSource) -> Sentence:
    """``Not italian, I want thai food.``: the acts in the order the sentence says them."""
    frame = _pick(_row(_USER_REPLACE, denied.slot), rng)
    text = frame.format(
        denied=denied.value, wanted=wanted.value, slot=slot_words(denied.slot or "")
    )
    first = frame.index("{denied}") < frame.index("{wanted}")
    return ((denied, wanted) if first else (wanted, denied)), text


def _user_sentence(act: Act, rng: RandomSource) -> str:
    """The sentence of one user act."""
    kind = act.type
    if act.slot is not None:
        slot = slot_words(act.slot)
        if kind is INFORM and act.value == DONTCARE:
            return _pick(_USER_DONTCARE, rng).format(slot=slot)
        if kind is INFORM:
            return _pick(_row(_USER_INFORM, act.slot), rng).format(slot=slot, value=act.value)
        if kind is DENY and act.value == DONTCARE:
            return _pick(_USER_NOT_ANY, rng).format(slot=slot)
        if kind is DENY:
            return _pick(_row(_USER_DENY, act.slot), rng).format(slot=slot, value=act.value)
        if kind is REQUEST:
            return _pick(_USER_REQUEST, rng).format(slot=slot)
        if kind is ActType.CONFIRM:
            return _pick(_row(_USER_CONFIRM, act.slot), rng).format(slot=slot, value=act.value)
    if kind is INFORM and act.value == DONTCARE:
        return _pick(_USER_DONTCARE_SLOTLESS, rng)
    return _pick(_USER_PLAIN.get(kind, _USER_PLAIN[ActType.NULL]), rng)


# --- The system ---------------------------------------------------------------------------------


def _described(acts: Sequence[Act]) -> list[str]:
    """``value slot`` phrases of acts, e.g. ``italian food``, ``north area``."""
    return [f"{a.value} {slot_words(a.slot or '')}" for a in acts]


def _system_sentences(acts: Acts, rng: RandomSource) -> list[Sentence]:
    """The system's sentences, one per act or group of acts.

    Select options, no-match constraints and booking details are each one sentence; an offer or
    a named venue and its facts are one sentence or one each.
    """
    first = acts[0].type if acts else ActType.NULL
    if first is SELECT:
        options = " or ".join(str(a.value) for a in acts)
        return [(acts, _pick(_SYSTEM_SELECT, rng).format(options=options))]
    if first is NOMATCH:
        return [(acts, _pick(_SYSTEM_NOMATCH, rng).format(parts=_joined(_described(acts))))]
    if first is BOOK:
        details = tuple(a for a in acts if a.slot is not None)
        if not details or details[0].value in (None, "failed"):
            return [(acts, _pick(_SYSTEM_BOOK_FAILED, rng))]
        return [
            (acts, _pick(_SYSTEM_BOOK, rng).format(parts=_details(_rotated(details, rng), rng)))
        ]
    facts = tuple(a for a in acts[1:] if a.type is INFORM and a.slot is not None)
    named = first is OFFER or (first is INFORM and acts[0].slot == "name")
    if named and acts[0].slot is not None and facts == acts[1:]:
        return _named_sentences(acts[0], facts, rng)
    return [((act,), _system_sentence(act, rng)) for act in acts]


def _named_sentences(named: Act, facts: Acts, rng: RandomSource) -> list[Sentence]:
    """An offer, or the name of the venue the user asked about, and the facts about it."""
    name = named.value
    if not facts:
        return [((named,), _system_sentence(named, rng))]
    values = {a.slot: a.value for a in facts}
    together = rng.below(4) > 0
    if together and named.type is OFFER and {"food", "area"} <= set(values) <= _SEARCH_SLOTS:
        price, food = values.get("pricerange"), values["food"]
        dishes = _SYSTEM_DISH if price is not None else ("{food} food", "{food} cuisine")
        dish = _pick(dishes, rng).format(food=food, pricerange=price)
        place = _pick(_PLACE, rng).format(area=values["area"])
        text = _pick(_SYSTEM_OFFER_PLACE, rng).format(name=name, dish=dish, place=place)
        return [((named, *facts), text)]
    if together and named.type is OFFER:
        text = _pick(_SYSTEM_OFFER_FACTS, rng).format(name=name, facts=_joined(_described(facts)))
        return [((named, *facts), text)]
    if together and len(facts) == 1:
        fact = facts[0]
        text = _pick(_rows(_SYSTEM_NAMED_FACT, fact.slot), rng).format(
            name=name, slot=slot_words(fact.slot or ""), value=fact.value
        )
        return [((named, fact), text)]
    opening = _SYSTEM_OFFER if named.type is OFFER else _SYSTEM_NAME
    sentences: list[Sentence] = [((named,), _pick(opening, rng).format(value=name))]
    return sentences + [((fact,), _system_sentence(fact, rng)) for fact in facts]


def _system_sentence(act: Act, rng: RandomSource) -> str:
    """The sentence of one system act."""
    kind = act.type
    slot = slot_words(act.slot or "")
    if kind is OFFER:
        return _pick(_SYSTEM_OFFER, rng).format(value=act.value)
    if kind is INFORM and act.slot == "name":
        return _pick(_SYSTEM_NAMED, rng).format(value=act.value)
    if kind is INFORM:
        return _pick(_rows(_SYSTEM_FACT, act.slot), rng).format(slot=slot, value=act.value)
    if kind is REQUEST:
        return _pick(_row(_SYSTEM_REQUEST, act.slot), rng).format(slot=slot)
    if kind is ActType.CONFIRM and act.value == DONTCARE:
        return _pick(_SYSTEM_CONFIRM_DONTCARE, rng).format(slot=slot)
    if kind is ActType.CONFIRM:
        return _pick(_row(_SYSTEM_CONFIRM, act.slot), rng).format(slot=slot, value=act.value)
    return _pick(_SYSTEM_PLAIN.get(kind, _SYSTEM_PLAIN[ActType.NULL]), rng)
