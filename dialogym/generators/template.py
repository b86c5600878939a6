"""The template generator: dialogue acts to text through a phrase bank (the fast default).

What it says is data: a phrase bank (`dialogym.domains.phrases`; the format is in
``dialogym/domains/FORMAT.md``). A restaurant domain speaks with the ``restaurant`` bank, any
other with the ``neutral`` one, and a domain file may bring fields of its own. This module holds
only how sentences are put together.

Every act pattern has at least five phrasings, picked with the dialogue's own random source (same
seed, same text). Acts that people say together are often said in one sentence: several
constraints (``I'd like cheap thai food in the north.``), a yes, no or greeting before them
(``Yes, somewhere in the east.``), a booking with its details (``Can you book it for 4 people
on friday at 19:30?``), a value denied and its replacement (``Not italian, I want thai food.``),
another venue with a new value (``How about french food?``), several requests (``What are the
phone number and the postcode?``), an offer with its facts. Slots with a row of their own in the
bank (``food``, ``area``, ``pricerange``, ``people``, ``day``, ``time``, ...) get their own
phrasing; a slot valued ``yes``/``no`` is said with the bank's ``yes_no`` words (``with wifi``,
``without wifi``); any other slot, from any imported domain, is phrased generically from its
name (`slot_words`). Values appear verbatim and every user sentence says its acts in words the
rule NLU reads back, in the order `TemplateGenerator.sentences` lists them.

>>> import numpy as np
>>> from dialogym.acts import parse_acts
>>> from dialogym.randomness import RandomStream
>>> generator = TemplateGenerator()
>>> rng = RandomStream(np.random.default_rng(0))
>>> text = generator.render(Speaker.USER, parse_acts("inform(food=thai) & request(phone)"), rng)
>>> "thai" in text and "phone number" in text
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dialogym.acts import (
    BOOK,
    DENY,
    HELLO,
    INFORM,
    NOMATCH,
    OFFER,
    REQALTS,
    REQUEST,
    SELECT,
    Act,
    Acts,
    ActType,
)
from dialogym.domains import DONTCARE, TYPE_SLOT, Domain
from dialogym.domains.phrases import GENERIC, YES_NO, PhraseBank, phrase_bank, yes_no_slots
from dialogym.domains.words import slot_words
from dialogym.generators.base import RandomSource, Request, Speaker

Table = Mapping[str, tuple[str, ...]]
"""Phrasings by slot; the ``""`` row serves every slot without a row of its own."""
Sentence = tuple[Acts, str]
"""One sentence of an utterance and the acts it says."""


class TemplateGenerator:
    """Renders acts with a phrase bank; fast, needs no model, covers any domain.

    The generator keeps no state between calls; every choice comes from the request's random
    source, so a dialogue's text depends only on its own seed.

    Args:
        domain: The domain spoken about: its bank (`dialogym.domains.phrases.phrase_bank`), its
            yes/no slots and its booking slots. ``None``: the neutral bank, no yes/no slot.
        bank: A bank to speak with instead of the domain's.
    """

    def __init__(self, domain: Domain | None = None, bank: PhraseBank | None = None) -> None:
        self.bank = bank or phrase_bank(domain)
        self._yes_no = yes_no_slots(domain) if domain is not None else frozenset()
        detail = self.bank.table("booking", "detail")
        self._booking = (
            frozenset(domain.booking) if domain is not None else frozenset(detail) - {GENERIC}
        )
        self._roles = self.bank.roles("search", "slots") if self.bank.has("search") else {}
        self._search = frozenset(self._roles.values())

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
            sentences = self._user_sentences(acts, rng)
            if sentences and not any(a.type is DENY and a.value == DONTCARE for a in acts):
                _opened(sentences, self._user("openers"), rng)
        else:
            sentences = self._system_sentences(acts, rng)
            if sentences and acts[0].type not in (HELLO, ActType.BYE):
                _opened(sentences, self._system("openers"), rng)
        if not sentences:
            return [((), _pick(self._user_acts(ActType.NULL), rng))]
        return [(said, _capitalised(sentence)) for said, sentence in sentences]

    # -- the bank -------------------------------------------------------------------------------

    def _user(self, field: str) -> tuple[str, ...]:
        return self.bank.rows("user", field)

    def _system(self, field: str) -> tuple[str, ...]:
        return self.bank.rows("system", field)

    def _user_acts(self, kind: ActType) -> tuple[str, ...]:
        said = self.bank.table("user", "acts")
        return said.get(kind.value) or said[ActType.NULL.value]

    def _system_acts(self, kind: ActType) -> tuple[str, ...]:
        said = self.bank.table("system", "acts")
        return said.get(kind.value) or said[ActType.NULL.value]

    def _row(self, table: Table, slot: str | None) -> tuple[str, ...]:
        """The slot's phrasings, else those of yes/no slots (for one), else the generic ones."""
        own = table.get(slot or GENERIC)
        if own:
            return own
        if slot in self._yes_no and YES_NO in table:
            return table[YES_NO]
        return table[GENERIC]

    def _rows(self, table: Table, slot: str | None) -> tuple[str, ...]:
        """The slot's phrasings and the generic ones (or those of yes/no slots, for one)."""
        shared = YES_NO if slot in self._yes_no and YES_NO in table else GENERIC
        return table.get(slot or GENERIC, ()) + table[shared]

    def _value(self, act: Act) -> str | None:
        """How an act's value is said: verbatim, or a yes/no slot's words (``with wifi``)."""
        if act.slot in self._yes_no and act.value in ("yes", "no"):
            return self.bank.yes_no(slot_words(act.slot), act.value)[0]
        return act.value

    def _described(self, acts: Sequence[Act], rng: RandomSource) -> list[str]:
        """Constraint phrases of acts, e.g. ``italian food``, ``north area``, ``with wifi``."""
        table = self.bank.table("constraint", "phrase")
        return [
            _pick(self._row(table, a.slot), rng).format(
                value=self._value(a), slot=slot_words(a.slot or "")
            )
            for a in acts
        ]

    # -- the user -------------------------------------------------------------------------------

    def _user_sentences(self, acts: Acts, rng: RandomSource) -> list[Sentence]:
        """The user's sentences: groups of acts said together where that is natural."""
        sentences: list[Sentence] = []
        start = 0
        while start < len(acts):
            taken, sentence = self._user_group(acts, start, rng)
            sentences.append(sentence)
            start += taken
        return sentences

    def _user_group(self, acts: Acts, start: int, rng: RandomSource) -> tuple[int, Sentence]:
        """The sentence of the acts from ``start`` on, and how many acts it says."""
        act = acts[start]
        rest = acts[start + 1 :]
        informs = _inform_run(rest)
        leads = self.bank.table("user", "leads")
        if act.type is BOOK and informs:
            return 1 + len(informs), self._booking_sentence(informs, rng, book=True)
        if act.type.value in leads and informs and rng.below(3):
            said, clause = self._constraints_sentence(informs, rng)
            return 1 + len(said), ((act, *said), _pick(leads[act.type.value], rng) + clause)
        if act.type is REQALTS and informs and _searchable(informs):
            said, phrase = self._constraints(informs, rng)
            return 1 + len(informs), (
                (act, *said),
                _pick(self._user("alternative"), rng).format(constraints=phrase),
            )
        replaced = act.value != DONTCARE and rest and _said(rest[0]) and rest[0].slot == act.slot
        if act.type is DENY and replaced:
            return 2, self._replacement(act, rest[0], rng)
        if act.type is REQUEST and act.slot is not None:
            asked = [act, *_request_run(rest)]
            if len(asked) > 1:
                slots = _joined([slot_words(a.slot or "") for a in asked])
                slots = slots.replace(" and ", " and the ")
                return len(asked), (
                    tuple(asked),
                    _pick(self._user("requests"), rng).format(slots=slots),
                )
        if _said(act):
            run = (act, *informs)
            if len(run) > 1 and rng.below(4):
                said, text = self._constraints_sentence(run, rng)
                return len(said), (said, text)
        return 1, ((act,), self._user_sentence(act, rng))

    def _constraints_sentence(self, informs: Acts, rng: RandomSource) -> Sentence:
        """A sentence of one or more informs: what is looked for and its constraints."""
        if len(informs) == 1:
            return informs, self._user_sentence(informs[0], rng)
        if informs[0].slot == TYPE_SLOT:
            said, phrase = self._typed(informs, rng)
            return said, phrase + "."
        if informs[0].slot in self._booking or not _searchable(informs):
            if all(a.slot in self._booking for a in informs):
                return self._booking_sentence(informs, rng, book=False)
            return informs[:1], self._user_sentence(informs[0], rng)
        said, phrase = self._constraints(informs, rng)
        return said, _pick(self._user("want"), rng).format(constraints=phrase)

    def _typed(self, informs: Acts, rng: RandomSource) -> tuple[Acts, str]:
        """``I'm looking for a restaurant serving thai food in the north`` (type first)."""
        kind, *others = informs
        start = _pick(self._user("want_type"), rng).format(value=kind.value)
        if not others or not _searchable(tuple(others)):
            return (kind,), start
        values = {a.slot: a.value for a in others}
        if set(values) <= self._search:
            said, phrase = self._search_phrase(tuple(others), values, rng, after_type=True)
        else:
            said, phrase = self._listed(tuple(others), rng)
            phrase = phrase if said[0].slot in self._yes_no else "with " + phrase
        return (kind, *said), f"{start} {phrase}"

    def _constraints(self, informs: Acts, rng: RandomSource) -> tuple[Acts, str]:
        """Informs (no name, no type) as one noun phrase, and the acts in the order it says."""
        values = {a.slot: a.value for a in informs}
        roles = self._roles
        if (
            roles
            and set(values) <= self._search
            and ({roles["kind"], roles["where"]} & set(values))
        ):
            return self._search_phrase(informs, values, rng, after_type=False)
        return self._listed(informs, rng)

    def _listed(self, informs: Acts, rng: RandomSource) -> tuple[Acts, str]:
        """Constraints one after another (``good battery rating and light weight range``).

        Yes/no slots come last (``4 stars and cheap price range, with wifi``).
        """
        plain = tuple(a for a in informs if a.slot not in self._yes_no)
        yes_no = tuple(a for a in informs if a.slot in self._yes_no)
        parts = [_joined(self._described(said, rng)) for said in (plain, yes_no) if said]
        return plain + yes_no, ", ".join(parts)

    def _search_phrase(
        self,
        informs: Acts,
        values: dict[str | None, str | None],
        rng: RandomSource,
        after_type: bool,
    ) -> tuple[Acts, str]:
        """The bank's ``search`` noun phrase of its three roles (``cheap thai food in the north``).

        Returns the acts in the order the phrase says them, and the phrase. ``after_type``: the
        phrase follows ``a restaurant``, so the kind is said with a verb (``serving thai food``).
        """
        roles = self._roles
        kind_slot, price_slot, where_slot = roles["kind"], roles["price"], roles["where"]

        def search(field: str) -> tuple[str, ...]:
            return self.bank.rows("search", field)

        by_slot = {a.slot: a for a in informs}
        kind, price, where = values.get(kind_slot), values.get(price_slot), values.get(where_slot)
        parts: list[str] = []
        order: list[str] = []
        if kind is not None:
            priced = price is not None
            dish = _pick(search("priced_dish" if priced else "dish"), rng)
            order += [price_slot, kind_slot] if dish.startswith("{price}") else [kind_slot]
            order += [price_slot] if priced and price_slot not in order else []
            dish = dish.format(kind=kind, price=price)
            parts.append(_pick(search("serving"), rng).format(dish=dish) if after_type else dish)
        elif price is not None and where is not None and not after_type:
            parts.append(_pick(search("priced_place"), rng).format(price=price, where=where))
            order += [price_slot, where_slot]
        elif price is not None:
            parts.append(f"in the {price} {slot_words(price_slot)}")
            order.append(price_slot)
        if where is not None and where_slot not in order:
            parts.append(_pick(search("place"), rng).format(where=where))
            order.append(where_slot)
        return tuple(by_slot[slot] for slot in order), " ".join(parts)

    def _details(self, details: Acts, rng: RandomSource) -> str:
        """Booking details inside a sentence: ``for 4 people on friday at 19:30``."""
        detail = self.bank.table("booking", "detail")
        one = self.bank.table("booking", "detail_one")
        phrases = []
        for act in details:
            phrase = _pick(self._row(detail, act.slot), rng)
            if act.value == "1" and act.slot in one:
                phrase = _pick(one[act.slot or GENERIC], rng)
            phrases.append(phrase.format(value=self._value(act), slot=slot_words(act.slot or "")))
        return " ".join(phrases)

    def _booking_sentence(self, details: Acts, rng: RandomSource, book: bool) -> Sentence:
        """A booking request and its details, or the details alone, in one sentence."""
        details = _rotated(details, rng)
        said = self._details(details, rng)
        if book:
            return (Act(BOOK), *details), _pick(self._user("book"), rng).format(details=said)
        return details, _pick(self._user("details"), rng).format(details=said)

    def _replacement(self, denied: Act, wanted: Act, rng: RandomSource) -> Sentence:
        """``Not italian, I want thai food.``: the acts in the order the sentence says them."""
        frame = _pick(self._row(self.bank.table("user", "replace"), denied.slot), rng)
        text = frame.format(
            denied=self._value(denied),
            wanted=self._value(wanted),
            slot=slot_words(denied.slot or ""),
        )
        first = frame.index("{denied}") < frame.index("{wanted}")
        return ((denied, wanted) if first else (wanted, denied)), text

    def _user_sentence(self, act: Act, rng: RandomSource) -> str:
        """The sentence of one user act."""
        kind = act.type
        if act.slot is not None:
            slot = slot_words(act.slot)
            if kind is INFORM and act.value == DONTCARE:
                return _pick(self._user("dontcare"), rng).format(slot=slot)
            if kind is DENY and act.value == DONTCARE:
                return _pick(self._user("not_any"), rng).format(slot=slot)
            if kind is REQUEST:
                return _pick(self._user("request"), rng).format(slot=slot)
            field = {INFORM: "inform", DENY: "deny", ActType.CONFIRM: "confirm"}.get(kind)
            if field is not None:
                rows = self._row(self.bank.table("user", field), act.slot)
                return _pick(rows, rng).format(slot=slot, value=self._value(act))
        if kind is INFORM and act.value == DONTCARE:
            return _pick(self._user("dontcare_slotless"), rng)
        return _pick(self._user_acts(kind), rng)

    # -- the system -----------------------------------------------------------------------------

    def _system_sentences(self, acts: Acts, rng: RandomSource) -> list[Sentence]:
        """The system's sentences, one per act or group of acts.

        Select options, no-match constraints and booking details are each one sentence; an
        offer or a named venue and its facts are one sentence or one each.
        """
        first = acts[0].type if acts else ActType.NULL
        if first is SELECT:
            options = " or ".join(str(self._value(a)) for a in acts)
            return [(acts, _pick(self._system("select"), rng).format(options=options))]
        if first is NOMATCH:  # the frame is drawn first, then what fills it
            frame = _pick(self._system("nomatch"), rng)
            return [(acts, frame.format(parts=_joined(self._described(acts, rng))))]
        if first is BOOK:
            details = tuple(a for a in acts if a.slot is not None)
            if not details or details[0].value in (None, "failed"):
                return [(acts, _pick(self._system("book_failed"), rng))]
            frame = _pick(self._system("book"), rng)
            return [(acts, frame.format(parts=self._details(_rotated(details, rng), rng)))]
        facts = tuple(a for a in acts[1:] if a.type is INFORM and a.slot is not None)
        named = first is OFFER or (first is INFORM and acts[0].slot == "name")
        if named and acts[0].slot is not None and facts == acts[1:]:
            return self._named_sentences(acts[0], facts, rng)
        return [((act,), self._system_sentence(act, rng)) for act in acts]

    def _named_sentences(self, named: Act, facts: Acts, rng: RandomSource) -> list[Sentence]:
        """An offer, or the name of the venue the user asked about, and the facts about it."""
        name = named.value
        if not facts:
            return [((named,), self._system_sentence(named, rng))]
        values = {a.slot: a.value for a in facts}
        together = rng.below(4) > 0
        roles = self._roles
        if (
            together
            and named.type is OFFER
            and roles
            and {roles["kind"], roles["where"]} <= set(values) <= self._search
        ):
            price = values.get(roles["price"])
            dishes = self.bank.rows(
                "search", "system_priced_dish" if price is not None else "system_dish"
            )
            dish = _pick(dishes, rng).format(kind=values[roles["kind"]], price=price)
            place = _pick(self.bank.rows("search", "place"), rng)
            place = place.format(where=values[roles["where"]])
            text = _pick(self.bank.rows("search", "offer"), rng)
            return [((named, *facts), text.format(name=name, dish=dish, place=place))]
        if together and named.type is OFFER:
            frame = _pick(self._system("offer_facts"), rng)
            text = frame.format(name=name, facts=_joined(self._described(facts, rng)))
            return [((named, *facts), text)]
        if together and len(facts) == 1:
            fact = facts[0]
            rows = self._rows(self.bank.table("system", "named_fact"), fact.slot)
            text = _pick(rows, rng).format(
                name=name, slot=slot_words(fact.slot or ""), value=self._value(fact)
            )
            return [((named, fact), text)]
        opening = self._system("offer" if named.type is OFFER else "name")
        sentences: list[Sentence] = [((named,), _pick(opening, rng).format(value=name))]
        return sentences + [((fact,), self._system_sentence(fact, rng)) for fact in facts]

    def _system_sentence(self, act: Act, rng: RandomSource) -> str:
        """The sentence of one system act."""
        kind = act.type
        slot = slot_words(act.slot or "")
        if kind is OFFER:
            return _pick(self._system("offer"), rng).format(value=act.value)
        if kind is INFORM and act.slot == "name":
            return _pick(self._system("named"), rng).format(value=act.value)
        if kind is INFORM:
            rows = self._rows(self.bank.table("system", "fact"), act.slot)
            return _pick(rows, rng).format(slot=slot, value=self._value(act))
        if kind is REQUEST:
            rows = self._row(self.bank.table("system", "request"), act.slot)
            return _pick(rows, rng).format(slot=slot)
        if kind is ActType.CONFIRM and act.value == DONTCARE:
            return _pick(self._system("confirm_dontcare"), rng).format(slot=slot)
        if kind is ActType.CONFIRM:
            rows = self._row(self.bank.table("system", "confirm"), act.slot)
            return _pick(rows, rng).format(slot=slot, value=self._value(act))
        return _pick(self._system_acts(kind), rng)


def _pick(options: Sequence[str], rng: RandomSource) -> str:
    return options[rng.below(len(options))] if len(options) > 1 else options[0]


def _capitalised(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


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


def _rotated(details: Acts, rng: RandomSource) -> Acts:
    """The details in one of their rotations (``on friday at 19:30 for 4 people``)."""
    turn = rng.below(len(details)) if len(details) > 1 else 0
    return details[turn:] + details[:turn]
