"""The rule NLU of the text channel: a user utterance to n-best dialogue-act hypotheses.

Everything it knows of a domain comes from the domain: slot values and their synonyms, entity
names, slot names and their synonyms (`Domain.slot_synonyms`, plus the names PyDial's domains
share, in `dialogym.domains.words`); the code holds only cue phrases for the act types
(``yes``, ``no``, ``anything else``, ``book``, ``don't care``, ``not``, ``repeat``...). The
utterance is read sentence by sentence; one sentence may carry several acts (``No, I want
italian food.``). When a value belongs to several slots (``budget`` is a laptop type and a price
range), the slot named in the sentence decides, then the slot the system just asked about (a
``confirm`` asks about what the system did not just say); each other reading becomes a
lower-ranked hypothesis.

Human text is read loosely: case and apostrophes do not matter (``dont care``, ``nandos`` for
``nando's``), a name may drop its "the", a cue that starts a sentence may follow a hesitation
(``uh yes``), a slot named without a value is a request even without a question word (``and the
phone number``) unless it refers back (``in that price range``) or follows a value (``cheap
food``), ``any <slot>`` is ``dontcare``, ``how about <value>`` is ``reqalts`` with the inform,
``is it <value>`` is the user's ``confirm``, a one-word value also reads as its adverb
(``moderately``), and a word of five letters or more one edit from exactly one value word is
read as that word (``itailian``, ``center``).

>>> from dialogym.acts import format_acts
>>> from dialogym.domains import load_domain
>>> nlu = RuleNLU(load_domain("restaurant"))
>>> best = nlu.parse("Hi. I want cheap thai food, and what is the phone number?")[0]
>>> format_acts(best.acts), best.confidence
('hello() & inform(pricerange=cheap) & inform(food=thai) & request(phone)', 1.0)
"""

from __future__ import annotations

import re
from collections.abc import Iterable

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
    NULL,
    OFFER,
    REPEAT,
    REQALTS,
    REQUEST,
    THANKYOU,
    Act,
    Acts,
    ActType,
    Hypotheses,
    Hypothesis,
    referred_slot,
)
from dialogym.domains import DONTCARE, TYPE_SLOT, Domain
from dialogym.domains.phrases import phrase_bank, yes_no_slots
from dialogym.domains.words import (
    ACT_CUES,
    ALTERNATIVE_CUE,
    ANY_CUE,
    COMMON_WORDS,
    CONFIRM_CUE,
    DENY_CUE,
    DONTCARE_CUE,
    NAMED_CUE,
    NOT_ANY_CUE,
    ONE_PRONOUN_AFTER,
    ONE_PRONOUN_BEFORE,
    QUESTION_CUE,
    SAME_CUE,
    SET_PHRASES,
    TYPE_CUE,
    slot_names,
)

_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\s+(?:and|but)\s+(?=what|can|could|is|do|please|tell)")
_DONTCARE = re.compile(DONTCARE_CUE)
_DENY = re.compile(DENY_CUE)
_REQUEST = re.compile(QUESTION_CUE)
_CONFIRM = re.compile(CONFIRM_CUE)
_NOT_ANY = re.compile(NOT_ANY_CUE)
_ALTERNATIVE = re.compile(ALTERNATIVE_CUE)
_ANY = re.compile(ANY_CUE)
_SAME = re.compile(SAME_CUE)
_NAMED = re.compile(NAMED_CUE)
_WORD = re.compile(r"[a-z]+")
_LINK = re.compile(r"\W*(?:(?:the|is|be|should|would|must|will)\W+)*")
"""What may stand between a slot's name and its value ("near the castro", "price range: cheap")."""
_ONE_BEFORE = re.compile(ONE_PRONOUN_BEFORE)
_SET_PHRASE = re.compile(SET_PHRASES)
_SUBJECT_BEFORE = re.compile(r"\b(?:i|we|you|they)\s+$")
_ONE_AFTER = re.compile(ONE_PRONOUN_AFTER)
_POSSESSIVE = re.compile(r"(?<=\w)'(?=s\b)")
_CUE_WORDS = frozenset(
    word
    for cue in (*ACT_CUES.values(), ALTERNATIVE_CUE, CONFIRM_CUE, DENY_CUE, DONTCARE_CUE)
    for word in _WORD.findall(cue)
)
"""Words of the cues: English the NLU reads as such, never respelt as a value ("place")."""
_FUZZY_LENGTH = 5
"""Words this long or longer may be misspelt by one edit and still be read as a value."""
_Cues = tuple[tuple[ActType, re.Pattern[str]], ...]
_LEADING_CUES: _Cues = tuple(
    (t, re.compile(ACT_CUES[t.value])) for t in (HELLO, ACK, REPEAT, NEGATE, AFFIRM, BOOK)
)
"""Act types without slot or value that come before a sentence's informs, and their cues."""
_TRAILING_CUES: _Cues = tuple((t, re.compile(ACT_CUES[t.value])) for t in (REQALTS, THANKYOU, BYE))
"""Act types without slot or value that come after a sentence's informs, and their cues."""

_CERTAIN = 1.0
_AMBIGUOUS = 0.7
_PARTLY_UNDERSTOOD = 0.6

Mention = tuple[str, str | None]
"""A mention in the text: ``(slot, value)`` for a value, ``(slot, None)`` for a slot name."""


class RuleNLU:
    """Reads user utterances in a domain's vocabulary.

    Args:
        domain: Supplies slot names, values and synonyms.
        nbest: Most hypotheses returned per utterance.
    """

    def __init__(self, domain: Domain, nbest: int = 3) -> None:
        if nbest < 1:
            raise ValueError(f"nbest: must be >= 1, got {nbest!r}")
        self.nbest = nbest
        self.requestable = frozenset(domain.requestable)
        values = {**domain.informable, **domain.booking}
        self.value_slots = frozenset(values)
        if domain.name_slot not in values:  # entities are named even where names are not informable
            names = (entity[domain.name_slot] for entity in domain.entities)
            values[domain.name_slot] = tuple(dict.fromkeys(names))
        surfaces: dict[str, list[Mention]] = {}
        yes_no = yes_no_slots(domain)
        bank = phrase_bank(domain)
        for slot, slot_values in values.items():
            synonyms = domain.synonyms.get(slot, {})
            for value in slot_values:
                said = _surfaces(value, synonyms.get(value, ()))
                if slot in yes_no:  # "yes" alone is an affirm: the value is said with the slot
                    said = {
                        form
                        for name in slot_names(slot, domain)
                        for form in bank.yes_no(name, value)
                    }
                    said = {_normalised(form) for form in said} | set(synonyms.get(value, ()))
                for surface in said:
                    readings = surfaces.setdefault(surface, [])
                    if (slot, value) not in readings:
                        readings.append((slot, value))
        slots = tuple(dict.fromkeys((*values, *domain.requestable)))
        own = [(slot, (slot_names(slot)[0], slot)) for slot in slots]
        others = [(slot, slot_names(slot, domain)[1:]) for slot in slots]
        for slot, forms in own + others:  # a slot's own name wins over another's synonym
            for surface in forms:
                surfaces.setdefault(_normalised(surface), [(slot, None)])
        for slot, forms in own + others:  # then the plurals: "addresses", "phone numbers"
            for surface in forms:
                surfaces.setdefault(_plural(_normalised(surface)), [(slot, None)])
        self._mentions = surfaces
        self.entity_type = domain.entity_type or domain.name
        entity_type = re.escape(_normalised(self.entity_type))
        self._type = re.compile(TYPE_CUE.format(entity_type=entity_type))
        self._type_word = re.compile(rf"\b{entity_type}\b")
        self._other = re.compile(rf"\b(?:other|different) {entity_type}s?\b")
        """Asking for alternatives by the entity type: "any other restaurants"."""
        ordered = sorted(surfaces, key=len, reverse=True)
        self._pattern = re.compile(
            r"(?<![\w:£$€])(" + "|".join(map(re.escape, ordered)) + r")(?![\w:])"
        )
        self._vocabulary = frozenset(w for surface in surfaces for w in _WORD.findall(surface))
        self._kept = self._vocabulary | _CUE_WORDS  # never respelt
        self._spelt: dict[str, str] = {}

    def parse(self, text: str, system_acts: Acts = ()) -> Hypotheses:
        """The n-best hypotheses for the user's ``text``, said in reply to ``system_acts``.

        Confidence is 1.0 when every sentence was understood without ambiguity, lower when a
        value could belong to several slots or a sentence was not understood at all.
        """
        asked = referred_slot(system_acts)
        told = frozenset(
            (a.slot, a.value) for a in system_acts if a.type in (INFORM, OFFER) and a.slot
        )
        acts: list[Act] = []
        alternatives: list[tuple[int, list[Act]]] = []  # (position in acts, other readings)
        understood = True
        said = self._respell(_normalised(text))
        for sentence in _SENTENCE.split(said):
            sentence = sentence.strip(" .!,;")
            if not sentence:
                continue
            found = self._sentence_acts(sentence, asked, told, acts, alternatives)
            understood = understood and found
        if not acts:
            return (Hypothesis((Act(NULL),), _CERTAIN if not text.strip() else _PARTLY_UNDERSTOOD),)
        best = tuple(acts)
        if not alternatives:
            return (Hypothesis(best, _CERTAIN if understood else _PARTLY_UNDERSTOOD),)
        hypotheses = [Hypothesis(best, _AMBIGUOUS)]
        others = [(p, o) for p, readings in alternatives for o in readings][: self.nbest - 1]
        share = (1.0 - _AMBIGUOUS) / len(others) if others else 0.0
        for position, other in others:
            changed = list(best)
            changed[position] = other
            hypotheses.append(Hypothesis(tuple(changed), share))
        return tuple(hypotheses)

    def _sentence_acts(
        self,
        sentence: str,
        asked: str | None,
        told: frozenset[Mention],
        acts: list[Act],
        alternatives: list[tuple[int, list[Act]]],
    ) -> bool:
        """Append the acts of one sentence; return whether anything was understood.

        ``asked`` is the slot the system just asked about, ``told`` what it just said.
        """
        before = len(acts)
        phrases = [m.span() for m in _SET_PHRASE.finditer(sentence)]
        kind_said = self._type.search(sentence)
        if kind_said:  # "a hotel" says what is looked for, not the value hotel of a slot
            phrases.append(kind_said.span(1))
        found = [
            m
            for m in self._pattern.finditer(sentence)
            if not _plain_word(sentence, m)
            and not any(start <= m.start() < end for start, end in phrases)
        ]
        mentions = [self._mentions[m.group(1)] for m in found]
        named = [m[0][0] for m in mentions if m[0][1] is None]
        named_at = [(m.start(), m.end(), self._mentions[m.group(1)][0][0]) for m in found]
        valued = [m for m in mentions if m[0][1] is not None]
        valued_slots = {slot for readings in valued for slot, _ in readings}
        anything = [  # "any part of town": any value of the slot named will do
            self._mentions[m.group(1)][0][0]
            for m in found
            if self._mentions[m.group(1)][0][1] is None and _ANY.search(sentence[: m.start()])
        ]
        for kind, pattern in _LEADING_CUES:
            if pattern.search(sentence) and not (
                kind is NEGATE and valued and _DENY.search(sentence)
            ):
                acts.append(Act(kind))
        if kind_said:
            acts.append(Act(INFORM, TYPE_SLOT, self.entity_type))
        elif not valued and _CONFIRM.search(sentence) and self._type_word.search(sentence):
            acts.append(Act(CONFIRM, TYPE_SLOT, self.entity_type))  # "is it a restaurant?"
        dontcare: list[str] = []
        dontcare_cue = _DONTCARE.search(sentence) is not None
        if dontcare_cue:
            free = [s for s in named if s in self.value_slots and s not in valued_slots]
            dontcare = free or ([asked] if asked and asked not in valued_slots else [])
        dontcare += [s for s in anything if s in self.value_slots and s not in valued_slots]
        if dontcare:
            kind = DENY if _NOT_ANY.search(sentence) else INFORM
            acts.extend(Act(kind, slot, DONTCARE) for slot in dict.fromkeys(dontcare))
        elif dontcare_cue and not named and not valued and not _NOT_ANY.search(sentence):
            acts.append(Act(INFORM, None, DONTCARE))  # "I don't mind", said to no question
        kind = INFORM
        if valued and not (dontcare and _NOT_ANY.search(sentence)):
            said = CONFIRM if _CONFIRM.search(sentence) else INFORM
            if said is INFORM and _ALTERNATIVE.search(sentence):
                acts.append(Act(REQALTS))
            start = 0  # a value is denied by a cue between it and the value before it
            for match in found:
                readings = self._mentions[match.group(1)]
                if readings[0][1] is None:
                    continue
                denied = _DENY.search(sentence[start : match.start()]) and not dontcare_cue
                start = match.end()
                if said is CONFIRM:  # one asks about what the system did not just say
                    readings = [r for r in readings if r not in told] or readings
                nearest = sorted(  # the slot named closest to the value first
                    (max(start - match.end(), match.start() - end), slot)
                    for start, end, slot in named_at
                    if slot in named and start != match.start()
                )
                chosen, others = _resolve(readings, [slot for _, slot in nearest], asked)
                value_kind = DENY if denied else said
                kind = DENY if denied else kind if kind is DENY else said
                if others:
                    alternatives.append((len(acts), [Act(value_kind, s, v) for s, v in others]))
                acts.append(Act(value_kind, *chosen))
        question = _REQUEST.search(sentence) is not None
        valued_at = [m for m in found if self._mentions[m.group(1)][0][1] is not None]
        value_ends = {m.end() for m in valued_at}
        value_starts = [  # where each value starts, and the slots it may belong to
            (m.start(), {reading[0] for reading in self._mentions[m.group(1)]}) for m in valued_at
        ]
        asking = [  # an informable slot's name next to its value ("cheap food") or "that" asks nothing
            slot
            for m in found
            for slot, value in self._mentions[m.group(1)][:1]
            if value is None
            and not (
                slot in self.value_slots
                and (
                    _SAME.search(sentence[: m.start()])
                    or len(sentence[: m.start()].rstrip()) in value_ends
                    or any(
                        slot in slots and _LINK.fullmatch(sentence[m.end() : v])
                        for v, slots in value_starts
                    )
                    or not (question or _NAMED.search(sentence[: m.start()]))
                )
            )
        ]
        asking = [
            s for s in asking if s in self.requestable and s not in {*valued_slots, *dontcare}
        ]
        if asking and (kind is INFORM or question):
            acts.extend(Act(REQUEST, slot) for slot in dict.fromkeys(asking))
        for kind, pattern in _TRAILING_CUES:
            if pattern.search(sentence) or (kind is REQALTS and self._other.search(sentence)):
                acts.append(Act(kind))
        return len(acts) > before

    def _respell(self, text: str) -> str:
        """``text`` with words one edit away from exactly one value word spelt as that word."""
        return _WORD.sub(lambda m: self._spelling(m.group(0)), text)

    def _spelling(self, word: str) -> str:
        if len(word) < _FUZZY_LENGTH or word in self._kept:
            return word
        known = self._spelt.get(word)
        if known is None:
            near = [
                w
                for w in self._vocabulary
                if len(w) >= _FUZZY_LENGTH and w[0] == word[0] and _one_edit(word, w)
            ]
            known = self._spelt[word] = near[0] if len(near) == 1 else word
        return known


def _one_edit(word: str, other: str) -> bool:
    """Whether ``word`` is one insertion, deletion, swap of neighbours or substitution away.

    A substitution or swap counts in words of six letters or more only: short words one such
    edit apart are often both English ("world" and "would", "there" and "three"), so they are
    not taken for each other.
    """
    if abs(len(word) - len(other)) > 1 or word == other:
        return False
    if len(word) == len(other):
        diff = [i for i, (a, b) in enumerate(zip(word, other, strict=True)) if a != b]
        if len(word) <= _FUZZY_LENGTH:
            return False
        if len(diff) == 2 and diff[1] == diff[0] + 1:
            i = diff[0]
            return word[i] == other[i + 1] and word[i + 1] == other[i]
        return len(diff) == 1
    short, long = sorted((word, other), key=len)
    i = next((k for k, (a, b) in enumerate(zip(short, long, strict=False)) if a != b), len(short))
    return short[i:] == long[i + 1 :]


def _plural(phrase: str) -> str:
    """The plural of a phrase's last word (``phone number`` -> ``phone numbers``)."""
    if not phrase[-1:].isalpha():
        return phrase
    return phrase + ("es" if phrase.endswith(("s", "x", "ch", "sh")) else "s")


def _normalised(text: str) -> str:
    """Text as the NLU reads it: lower case, one kind of apostrophe, none before a final ``s``.

    So ``Nando's``, ``nandos`` and ``NANDO’S`` read the same.
    """
    text = text.lower().replace("’", "'").replace("`", "'").strip()
    return _POSSESSIVE.sub("", text)


def _surfaces(value: str, synonyms: Iterable[str]) -> set[str]:
    """Normalised surface forms of a value.

    The value itself, with spaces for ``_``/``-``, its synonyms, the adverb of a one-word value
    ("moderately" for "moderate"), and a form that starts with "the" without it (so that "the
    richmond" does not take the start of "the richmond district").
    """
    forms = {value, value.replace("_", " "), value.replace("-", " "), *synonyms}
    forms |= {f"{form}ly" for form in forms if form.isalpha() and len(form) >= _FUZZY_LENGTH}
    normalised = {_normalised(form) for form in forms if form.strip()}
    return {
        form[4:] if form.startswith("the ") and form[4:].strip() else form for form in normalised
    }


def _plain_word(sentence: str, match: re.Match[str]) -> bool:
    """Whether a value's surface is meant as the everyday word it also is.

    ``one`` is the pronoun around `ONE_PRONOUN_BEFORE` / `ONE_PRONOUN_AFTER` ("another one",
    "one with wifi"); another of `COMMON_WORDS` is the word unless it ends the sentence.
    """
    surface, rest = match.group(1), sentence[match.end() :]
    if _SUBJECT_BEFORE.search(sentence[: match.start()]):
        return True  # a verb: "I fancy thai food", not the value "fancy"
    if surface == "one":
        before = sentence[: match.start()]
        return bool(_ONE_BEFORE.search(before) or _ONE_AFTER.match(rest))
    return surface in COMMON_WORDS and bool(_WORD.search(rest))


def _resolve(
    readings: list[Mention], named: list[str], asked: str | None
) -> tuple[tuple[str, str | None], list[Mention]]:
    """Pick the slot of an ambiguous value: named (``named``, nearest first), asked, or first."""
    if len(readings) == 1:
        return readings[0], []
    for preferred in (*named, asked):
        for reading in readings:
            if reading[0] == preferred:
                return reading, [r for r in readings if r is not reading]
    return readings[0], readings[1:]
