"""The LLM generator: a causal language model writes the utterances, a check keeps them faithful.

Each request's acts are first rendered by the template generator (the *draft*), cut into its
sentences (one per act, or per group of acts); a few-shot prompt then asks the model to say
each sentence in its own words. SmolLM2-135M (the default, ``smollm2``) is small: asked to
write from the acts alone it mostly apologises, asked to paraphrase a whole multi-act draft it
drops half of it, asked to paraphrase one sentence it keeps to the point far more often.

Pipeline, as in transformers' pipelines: `LLMGenerator._preprocess` (CPU: prompts, left-padded
token ids) → `LLMGenerator._forward` (the only code on the device, under ``inference_mode``)
→ `LLMGenerator._postprocess` (decode the new tokens only, cut at the first newline). The
instructions and shots are the same for every prompt: their keys and values are computed once
and shared by every row of every batch.

**Vocabulary.** By default (``constrained``) the model writes each sentence from a closed
vocabulary (`Vocabulary`): the words the template generator says the sentence's acts with (in
any of its phrasings), the acts' own values, synonyms and slot names, the domain's entity type
and English's closed-class words (articles, pronouns, prepositions...). A token that would start
or finish a word outside it is never drawn: the model chooses the wording, the order and the
grammar, not the facts. Measured with SmolLM2-135M on the restaurant domain
(``benchmarks/llm_quality.py``), this is what lets most sentences through the check.

**Faithfulness.** A paraphrase is kept only if it says its acts and nothing more, in its
speaker's role (`FaithfulnessCheck`: its acts' values and no other value, no content word outside
its acts, a user's sentence read back by the NLU as exactly its acts, no question of the other
side). A rejected sentence is sampled again, up to ``attempts`` times
(each retry is one batch of the rejected sentences only); if every attempt is rejected its
draft is said instead: a *fallback*, counted per request in `LLMGenerator.last_fallbacks`
(the environment counts them in ``info["generator_fallbacks"]``).

**Determinism and the cache.** A request draws one number from its dialogue's random source:
the *variant*, one of ``variants``. The variant picks the draft's paraphrases and, with the
attempt, seeds the sampling of each sentence's row alone (a ``torch.Generator`` per row, so a
row's text does not depend on the rest of the batch); ``(speaker, acts, draft, variant)`` is
the cache key of a sentence: same seed, same text.
"""

from __future__ import annotations

import copy
import inspect
import json
import random
import re
import zlib
from collections.abc import Iterable, Sequence
from importlib import resources
from os import PathLike
from typing import Any, NamedTuple

from dialogym.acts import Act, Acts, ActType, format_acts
from dialogym.domains import DONTCARE, Domain, words
from dialogym.domains.phrases import phrase_bank, yes_no_slots
from dialogym.generators.base import Reader, Request, Speaker
from dialogym.generators.template import TemplateGenerator
from dialogym.models import load_causal_lm, select_device

_SYSTEM_PROMPT = (
    "Paraphrase what a customer (user) or an assistant (system) says. "
    "Keep every value word exactly, add no new facts, answer with one short line."
)
_SHOTS = (
    (Speaker.USER, "I'd like chinese food. Somewhere in the south.",
     "I'm looking for a chinese place in the south of town."),
    (Speaker.SYSTEM, "What price range are you looking for?", "Which price range would you like?"),
    (Speaker.USER, "What is the phone number?", "Could you give me their phone number?"),
    (Speaker.SYSTEM, "How about golden house? It serves chinese food.",
     "I can recommend golden house, a chinese restaurant."),
    (Speaker.USER, "Any price range is fine. Goodbye.", "The price doesn't matter. Bye."),
    (Speaker.SYSTEM, "So south for the area?", "You want the south area, right?"),
    (Speaker.USER, "I'm looking for a restaurant.", "Can you help me find a restaurant?"),
    (Speaker.USER, "Something cheap, please.", "I want a cheap place."),
)  # fmt: skip
"""Few-shot examples: speaker, draft, paraphrase."""


class Part(NamedTuple):
    """One sentence to paraphrase, and what determines its text (the cache key)."""

    speaker: Speaker
    acts: Acts
    """The acts the sentence says (checked against the paraphrase)."""
    draft: str
    """The template's sentence, said instead when every paraphrase is rejected."""
    variant: int


class _SeededSource(random.Random):
    """A `RandomSource` of its own, so that a draft depends only on its variant."""

    def below(self, n: int) -> int:
        """An int uniform on [0, n)."""
        return int(self.random() * n)


class FaithfulnessCheck:
    """Does an utterance say its acts, all of them and nothing more, in its speaker's role?

    An utterance passes when

    * every slot value of its acts appears (the value or a synonym of it, as whole words) and no
      other value of the ontology or entity name of the database does;
    * it holds no word outside its acts: every word is a word of its acts' values, their
      synonyms, their slots' names (`dialogym.domains.words.slot_names`, the domain's own slot
      synonyms), the domain's entity type, or of the short lists of function, politeness and
      dialogue words and set phrases in ``dialogym/data/faithful_words.json`` (their purpose
      and source are named there). "Welcome to my blog", "a mythical creature", "a list of 7"
      fail here. A system's question about a slot may name the slot's values after "how" or
      "your" ("how expensive should it be?", "what is your budget?"). No negation outside its
      own words ("not", "no", "nothing"...), unless its acts deny, negate, find nothing, fail
      to book or say ``dontcare``: "the price isn't too expensive" turns
      ``inform(pricerange=expensive)`` round. No comparison ("more than", "at least"), which no
      act says: "can you be more than 17:00?" is not ``inform(time=17:00)``;
    * a user's utterance is read by the NLU (`dialogym.tracking.nlu.RuleNLU`, top hypothesis,
      no system turn before it) as exactly its acts, as a set (the NLU reads users only);
    * it keeps its speaker's role: a user does not ask the system's questions or speak of what
      "you" are looking for, and asks a question only for a request, a confirm, alternatives, a
      booking or a repeat (or asks to be served: "can you find me french food?"); a system does
      not say what "I" want or ask for the entity's details as a customer would; a system's
      ``confirm``, ``select`` and ``reqmore`` are questions, its ``request`` a question or a
      "tell me", its ``hello`` and ``bye`` have their cue words.

    Args:
        domain: Supplies the values (informable and booking slots, entity names), their synonyms
            and the slot names.
        reader: Reads a user's sentence back (the environment's NLU, top hypothesis).

    >>> from dialogym.acts import parse_acts
    >>> from dialogym.domains import load_domain
    >>> from dialogym.tracking.nlu import RuleNLU
    >>> restaurant = load_domain("restaurant")
    >>> check = FaithfulnessCheck(restaurant, RuleNLU(restaurant, nbest=1))
    >>> acts = parse_acts("inform(food=thai) & inform(area=centre)")
    >>> check(Speaker.USER, acts, "A Thai place downtown, please.")
    True
    >>> check.verdict(Speaker.USER, acts, "Thai food in the centre, not the north.")
    'another value: north'
    >>> check.verdict(Speaker.USER, acts, "Thai food downtown, the best in the world.")
    'outside content: best, world'
    >>> check.verdict(Speaker.USER, parse_acts("request(phone)"), "Thanks for the phone number.")
    'read as request(phone) & thankyou()'
    >>> check.verdict(Speaker.USER, parse_acts("inform(food=thai)"), "You want thai food?")
    'wrong role'
    """

    def __init__(self, domain: Domain, reader: Reader) -> None:
        self.surfaces: dict[str, set[str]] = {}
        """Value to its surface forms (itself and its synonyms), lower-case."""
        self._yes_no: dict[tuple[str, str], set[str]] = {}
        """A yes/no slot's value to its forms: "with wifi", never "yes" (see `phrase_bank`)."""
        yes_no = yes_no_slots(domain)
        bank = phrase_bank(domain)
        for table in (domain.informable, domain.booking):
            for slot, values in table.items():
                synonyms = domain.synonyms.get(slot, {})
                for value in values:
                    forms = {value, *synonyms.get(value, ())}
                    if slot in yes_no:
                        forms = {
                            form
                            for name in words.slot_names(slot, domain)
                            for form in bank.yes_no(name, value)
                        } | set(synonyms.get(value, ()))
                        self._yes_no[(slot, value)] = {form.lower() for form in forms}
                        continue
                    self.surfaces.setdefault(value.lower(), set()).update(f.lower() for f in forms)
        for entity in domain.entities:
            name = entity.get(domain.name_slot, "").lower()
            if name:
                self.surfaces.setdefault(name, {name})
        every_form = (*self.surfaces.values(), *self._yes_no.values())
        self._ontology = _words(s for forms in every_form for s in forms)
        self._patterns: dict[frozenset[str], re.Pattern[str]] = {}
        self._domain = domain
        self._slot_names: dict[str, set[str]] = {}
        self._slot_values = {
            slot: {form for value in values for form in self._forms(slot, value)}
            for table in (domain.informable, domain.booking)
            for slot, values in table.items()
        }
        """Slot to the surface forms of its values."""
        entity_type = (domain.entity_type or domain.name).lower()
        self._entity_words = frozenset({entity_type, f"{entity_type}s"})
        self._known_words = FAITHFUL_WORDS | self._entity_words
        self.nlu = reader

    def __call__(self, speaker: Speaker, acts: Acts, text: str) -> bool:
        """True when ``text``, said by ``speaker``, says ``acts`` and nothing more."""
        return self.verdict(speaker, acts, text) is None

    def verdict(self, speaker: Speaker, acts: Acts, text: str) -> str | None:
        """Why ``text`` is not faithful to ``acts`` (one short phrase), or None when it is."""
        said = text.lower().replace("\u2019", "'")
        sentences = [s.strip(" .!,;") for s in _SENTENCE_END.split(said)]
        own: set[str] = set(FAITHFUL_PHRASES)  # what may be said: values, slot names, phrases
        asked = {act.slot for act in acts if act.type is ActType.REQUEST and act.slot}
        for act in acts:
            if speaker is Speaker.SYSTEM and not _system_cued(act, sentences):
                return f"not said: {format_acts((act,))}"
            if act.slot is not None:
                own.update(self._slot_phrases(act.slot))
            if act.value == DONTCARE:
                own.add(DONTCARE)
            elif act.value is not None:
                forms = self._forms(act.slot, act.value)
                if self._pattern(forms).search(said) is None:
                    return f"missing value: {act.value}"
                own |= forms
        if speaker is Speaker.SYSTEM:  # "how expensive should it be?" asks about the price
            own.update(
                f"{lead} {form}"
                for slot in asked
                for form in self._slot_values.get(slot, ())
                for lead in ("how", "your")
            )
        rest, marked = self._covered(said, own)
        other = self._ontology.search(rest)
        if other is not None:
            return f"another value: {other.group()}"
        outside = [w for w in _WORD.findall(rest) if w not in self._known_words]
        if outside:
            return "outside content: " + ", ".join(dict.fromkeys(outside))
        if _wrong_role(speaker, acts, sentences):
            return "wrong role"
        if _NEGATION.search(rest) and not any(_negative(act) for act in acts):
            return "negated"
        if _COMPARATIVE.search(rest):
            return "compared"
        if any(_repeats(_WORD.findall(s)) for s in _SENTENCE_END.split(marked)):
            return "repeated"
        if speaker is Speaker.SYSTEM:
            return None  # the NLU reads users; a system's values are checked above
        reading = self.nlu.parse(text)[0].acts
        if set(reading) == set(acts or (Act(ActType.NULL),)):
            return None
        return f"read as {format_acts(reading)}"

    def own_words(self, acts: Acts) -> set[str]:
        """The words that say ``acts``' own content, lower-case, as `_WORD` cuts them.

        Their values and the values' synonyms, their slots' names, the domain's entity type.
        """
        phrases = set(self._entity_words)
        for act in acts:
            if act.slot is not None:
                phrases |= self._slot_phrases(act.slot)
            if act.value is not None and act.value != DONTCARE:
                phrases |= self._forms(act.slot, act.value)
        return {word for phrase in phrases for word in _WORD.findall(phrase)}

    def _forms(self, slot: str | None, value: str) -> set[str]:
        """How a slot's value may be said, lower-case.

        The value and its synonyms, or a yes/no slot's words ("with wifi").
        """
        return self._yes_no.get((slot or "", value)) or self.surfaces.get(
            value.lower(), {value.lower()}
        )

    def _covered(self, said: str, phrases: set[str]) -> tuple[str, str]:
        """``said`` with ``phrases`` (whole words) blanked out, and with each replaced by a word.

        The word names the phrase. Occurrences may overlap ("small drive range": the value
        ``small``'s synonym ``small drive`` and the slot name ``drive range``); every character
        any of them covers is blanked, and marked by the longest phrase that covers it. The marked text is what loops
        are looked for in: "japanese food is a japanese food" repeats a pair of phrases, while a
        long value's own words ("... of up to 40 guests is available ...") are one word.
        """
        marks = [0] * len(said)
        for number, phrase in enumerate(sorted(phrases, key=len, reverse=True), 1):
            for match in self._pattern((phrase,)).finditer(said):
                for at in range(match.start(), match.end()):
                    marks[at] = marks[at] or number
        blanked = "".join(" " if mark else char for char, mark in zip(said, marks, strict=True))
        pieces, previous = [], 0
        for char, mark in zip(said, marks, strict=True):
            if mark == 0:
                pieces.append(char)
            elif mark != previous:
                pieces.append(f" own{mark} ")
            previous = mark
        return blanked, "".join(pieces)

    def _slot_phrases(self, slot: str) -> set[str]:
        """The ways to name a slot (and their plurals), lower-case."""
        phrases = self._slot_names.get(slot)
        if phrases is None:
            named = (slot, *words.slot_names(slot, self._domain))
            phrases = self._slot_names[slot] = {
                form for name in named for form in (name.lower(), f"{name.lower()}s")
            }
        return phrases

    def _pattern(self, phrases: Iterable[str]) -> re.Pattern[str]:
        """The whole-word pattern of ``phrases``, compiled once."""
        key = frozenset(phrases)
        pattern = self._patterns.get(key)
        if pattern is None:
            pattern = self._patterns[key] = _words(key)
        return pattern


class Vocabulary:
    """The closed set of words a sentence may be written with, checked as it is written.

    Args:
        words: The words, lower-case, as `FaithfulnessCheck` cuts a text into words (letters
            and digits, with an apostrophe's ending: ``don't``, ``i'm``).

    >>> vocabulary = Vocabulary({"i", "want", "thai", "food"})
    >>> vocabulary.allows("i want th", "ai"), vocabulary.allows("i want", " thaimania")
    (True, False)
    >>> vocabulary.allows("i want thai", " food."), vocabulary.allows("i want", " \u2764")
    (True, False)
    """

    def __init__(self, words: Iterable[str]) -> None:
        self.words = frozenset(words)
        self._starts = frozenset(w[:end] for w in self.words for end in range(1, len(w) + 1))

    def finished(self, text: str) -> bool:
        """Whether ``text`` (lower-case) does not end inside a word ("a table for 8 guest")."""
        open_word = _OPEN_WORD.search(text)
        return open_word is None or open_word.group() in self.words

    def allows(self, text: str, more: str) -> bool:
        """Whether ``text`` (lower-case, allowed so far) may go on with ``more`` (lower-case).

        Every word ``more`` finishes must be a word of the vocabulary, the word the text then
        ends in must begin one, and ``more`` may hold no character but letters, digits, spaces
        and ``.,?!'-:``.
        """
        if not _WRITABLE.fullmatch(more):
            return False
        open_word = _OPEN_WORD.search(text)
        start = open_word.start() if open_word else len(text)
        written = text[start:] + more
        for word in _WORD_SO_FAR.finditer(written):
            if word.end() == len(written):
                if word.group() not in self._starts:
                    return False
            elif word.group() not in self.words:
                return False
        return True


def _system_cued(act: Act, sentences: list[str]) -> bool:
    """Whether ``sentences`` hold the cue a system act needs (a confirm's question...)."""
    cue = _SYSTEM_CUES.get(act.type)
    return cue is None or any(cue.search(s) for s in sentences)


def _wrong_role(speaker: Speaker, acts: Acts, sentences: list[str]) -> bool:
    """Whether the sentences speak in the other side's role.

    A user who says what "you" want or asks the system's questions, or asks a question with
    acts that ask nothing ("You're looking for seafood food, right?"); a system that says what
    "I" want or asks for an entity's details as a customer would.
    """
    if speaker is Speaker.SYSTEM:
        return any(_CUSTOMER.search(s) for s in sentences)
    if any(_CLERK.search(s) for s in sentences):
        return True
    if any(act.type in _USER_QUESTIONS for act in acts):
        return False
    return any("?" in s and not _SERVICE_QUESTION.search(s) for s in sentences)


def _repeats(said: list[str]) -> bool:
    """Whether a pair of words, not both of them function words, is said twice in a sentence.

    "I'm sorry, I'm sorry", "to confirm, to confirm": a small model's loop, not a sentence.
    """
    pairs = [p for p in zip(said, said[1:], strict=False) if not set(p) <= _GLUE]
    return len(pairs) != len(set(pairs))


_GLUE = frozenset({"the", "a", "an", "in", "of", "for", "to", "and", "on", "at", "is", "it"})
"""Words a sentence may repeat in pairs ("in the north ... in the cheap price range")."""


def _negative(act: Act) -> bool:
    """Whether an act may be said with a negation ("not chinese", "nothing matches")."""
    return act.type in _NEGATIVE_ACTS or act.value in (DONTCARE, "failed")


def _load_faithful(suffix: str) -> frozenset[str]:
    """The lists of ``dialogym/data/faithful_words.json`` whose names end with ``suffix``."""
    text = resources.files("dialogym").joinpath("data/faithful_words.json").read_text("utf-8")
    data = json.loads(text)
    return frozenset(w for key, listed in data.items() if key.endswith(suffix) for w in listed)


FAITHFUL_WORDS = _load_faithful("_words")
"""Words a sentence may hold besides its acts' own (package data; see `FaithfulnessCheck`)."""
FUNCTION_WORDS = _load_faithful("function_words")
"""English's closed-class words (package data): they say no content of their own."""
FAITHFUL_PHRASES = _load_faithful("_phrases")
"""Set phrases of politeness a sentence may hold ("have a nice day"), whose words alone may
not be said ("a nice place")."""
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
_WORD_SO_FAR = re.compile(r"[a-z0-9]+(?:'[a-z]*)?")
"""A word, or the beginning of one (``don'``)."""
_OPEN_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]*)?$")
"""The word a text ends in, perhaps not finished."""
_WRITABLE = re.compile(r"[a-z0-9 .,?!'\-:]*")
"""What a constrained sentence may hold besides words."""
CONSIDERED_TOKENS = 128
"""The likeliest tokens a constrained step looks among for those its vocabulary allows."""
VOCABULARY_RENDERINGS = 24
"""Template renderings of a sentence's acts whose words go into its vocabulary."""
_SYSTEM_QUESTION = re.compile(r"\?")
_SYSTEM_CUES = {
    ActType.HELLO: re.compile(
        r"\b(?:hello|hi|hey|welcome|good (?:day|morning|afternoon|evening))\b"
    ),
    ActType.BYE: re.compile(words.ACT_CUES["bye"]),
    ActType.REQUEST: re.compile(r"\?|\btell me\b|\blet me know\b"),
    ActType.CONFIRM: _SYSTEM_QUESTION,
    ActType.SELECT: _SYSTEM_QUESTION,
    ActType.REQMORE: _SYSTEM_QUESTION,
}
"""What a system act must contain (whatever its value)."""
_USER_QUESTIONS = frozenset(
    {ActType.REQUEST, ActType.REQALTS, ActType.CONFIRM, ActType.BOOK, ActType.REPEAT}
)
"""User acts that may be said as questions."""
_NEGATION = re.compile(r"\bnot\b|n't\b|\bno\b|\bnever\b|\bnothing\b|\bnone\b|\bneither\b|\bnor\b")
"""A negation: outside the acts that deny, it turns a value's meaning round ("the price isn't
too expensive")."""
_COMPARATIVE = re.compile(
    r"\b(?:more|less|fewer|later|earlier|cheaper|bigger|smaller) than\b|\bat (?:least|most)\b"
    r"|\b(?:up to|or (?:more|less|so))\b"
)
"""A comparison, which no act says: "more than 17:00" is not ``inform(time=17:00)``."""
_NEGATIVE_ACTS = frozenset({ActType.DENY, ActType.NEGATE, ActType.NOMATCH, ActType.NULL})
"""Acts said with a negation."""
_SERVICE_QUESTION = re.compile(
    rf"(?:^|,\s*){words.FILLER}(?:(?:can|could|would) you|(?:do|does) (?:you|it|they) have|is there"
    r"|are there|have you got)\b"
)
"""How a user asks to be served ("can you find me french food?"): a question with informs."""
_CLERK = re.compile(
    r"\byou(?:'re| are| were)? (?:looking|want|wanted|need|prefer)\b"
    r"|\b(?:would|do|did) you (?:like|want|need|prefer|say|mean)\b|\bare you\b"
    r"|\b(?:can|may|could) i help\b|\bhelp you\b"
    r"|\byour (?:booking|table|reservation|order)\b|\bwelcome\b|\bi(?:'m| am) afraid\b"
    r"|\bi(?:'ll| will| can| could|'d| would)? ?(?:give|help|offer|recommend|suggest)\b"
    r"|\b(?:give|offer|show|find|book) you\b|\bhere to help\b"
)
"""What the system says and a user does not: asking what the other side wants, serving it."""
_CUSTOMER = re.compile(
    r"\bi(?:'m| am) looking\b|\bi (?:want|need|prefer)\b|\bi'd (?:like|prefer|love)\b"
    r"|\bi would (?:like|prefer|love)\b|\b(?:can|could|may) i (?:have|get)\b"
    r"|\b(?:could|can) you (?:tell|give|find|book)\b|\bmy\b|\bfor me\b"
    r"|\bi(?:'d| would) love\b|\bi'll have\b|\bi(?:'d| would) like to (?:try|have|eat|go)\b"
)
"""What a user says and the system does not: what it wants, asking to be served."""


def _words(phrases: Iterable[str]) -> re.Pattern[str]:
    """A pattern matching any of ``phrases`` as whole words, the longest first."""
    ordered = sorted(set(phrases), key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, ordered)) + r")(?!\w)")


class LLMGenerator:
    """Renders acts with a causal language model, batched, checked, cached.

    Args:
        domain: The dialogue's domain (for the faithfulness check).
        reader: The NLU the check reads user sentences back with (the environment's).
        model: Model name (``smollm2``, the default), local transformers causal-LM directory or
            GGUF file (`dialogym.models.resolve`); nothing in its files is run.
        device: ``cuda``, ``cpu``...; default CUDA when present, else CPU; bfloat16 on CUDA,
            float32 on CPU.
        variants: Distinct utterances per speaker and acts (the sampling seed's range).
        sample: Sample (temperature ``temperature``, top ``top_k`` tokens) or decode greedily.
        attempts: Paraphrases tried per sentence before its draft is said (sampling only).
        temperature: Sampling temperature.
        top_k: Tokens sampled among.
        max_new_tokens: Most tokens per sentence (generation also stops at a newline).
        batch_size: Most prompts per batch.
        constrained: Write each sentence from its `Vocabulary` only (see the module docstring).

    Raises:
        ModelError: the model is not on this machine (the message says how to fetch it), or its
            path is not a causal language model (one line).
        ValueError: the tokenizer has no pad token and no end-of-text token to pad with.
    """

    def __init__(
        self,
        domain: Domain,
        reader: Reader,
        model: str | PathLike[str] = "smollm2",
        device: str | None = None,
        variants: int = 4,
        sample: bool = True,
        attempts: int = 3,
        temperature: float = 0.4,
        top_k: int = 20,
        max_new_tokens: int = 32,
        batch_size: int = 64,
        constrained: bool = True,
    ) -> None:
        for name, value in (("variants", variants), ("attempts", attempts)):
            if value < 1:
                raise ValueError(f"{name}: must be >= 1, got {value!r}")
        self.device, dtype = select_device(device)
        tokenizer, loaded = load_causal_lm(model, dtype)
        if tokenizer.pad_token is None:
            if tokenizer.eos_token is None:
                raise ValueError(
                    f"model: {model} has no pad token; set one (tokenizer.pad_token = ...) "
                    "or pass a model whose tokenizer has one"
                )
            tokenizer.pad_token = tokenizer.eos_token
        tokenizer.padding_side = "left"  # decoder-only: new tokens follow the prompt directly
        self.tokenizer = tokenizer
        self.model = loaded.to(self.device).eval()
        self.check = FaithfulnessCheck(domain, reader)
        self.drafts = TemplateGenerator(domain)
        self.variants = variants
        self.sample = sample
        self.attempts = attempts
        self.temperature = temperature
        self.top_k = top_k
        self.max_new_tokens = max_new_tokens
        self.batch_size = batch_size
        self.constrained = constrained
        self._vocabularies: dict[tuple[Speaker, Acts], Vocabulary] = {}
        quiet = ((), (Act(ActType.NULL),))
        self._plain_words = frozenset(
            w for w in FUNCTION_WORDS if tuple(reader.parse(w)[0].acts) in quiet
        )
        """The closed-class words that say no act by themselves ("yes", "okay" do)."""
        self._value_words = (
            frozenset(
                w for forms in self.check.surfaces.values() for f in forms for w in _WORD.findall(f)
            )
            - FUNCTION_WORDS
        )
        """Words of the domain's values and names (a sentence says only its own)."""
        self._token_texts: list[str] | None = None
        newline = [i for i in range(len(tokenizer)) if "\n" in tokenizer.decode([i])]
        ends = [tokenizer.eos_token_id] if tokenizer.eos_token else []
        self._stops = frozenset([*newline, *ends])
        accepted = inspect.signature(self.model.forward).parameters
        self._cache_argument = "cache" if "cache" in accepted else "past_key_values"
        self._takes_positions = "position_ids" in accepted
        self._takes_logits_to_keep = "logits_to_keep" in accepted
        self._prefix, self._before_line, self._after_line = self._split_prompt()
        self._prefix_kv: tuple[Any, int] | None = None
        self._cache: dict[Part, str | None] = {}
        """Part to its accepted paraphrase, or ``None`` when its draft is said."""
        self.last_fallbacks: tuple[int, ...] = ()
        """Per request of the last `generate` call: its sentences said by their drafts."""
        self.forward_passes = 0
        """Batches run through the model so far."""
        self.checked = 0
        """Paraphrases the faithfulness check has seen so far."""
        self.rejected = 0
        """Paraphrases it rejected so far (``rejected / checked`` is its rejection rate)."""

    def generate(self, requests: Sequence[Request]) -> list[str]:
        """One utterance per request, in order.

        The sentences not in the cache are paraphrased as one batch; those the check rejects
        are tried again (up to ``attempts`` batches in all, each with only the rejected ones),
        and those still rejected are said by their drafts.
        """
        plans = [self._plan(request) for request in requests]
        pending = [
            p for p in dict.fromkeys(p for plan in plans for p in plan) if p not in self._cache
        ]
        for attempt in range(self.attempts if self.sample else 1):
            if not pending:
                break
            rejected = []
            for part, text in zip(pending, self._paraphrase(pending, attempt), strict=True):
                if text and self.check(part.speaker, part.acts, text):
                    self._cache[part] = text
                else:
                    rejected.append(part)
            self.checked += len(pending)
            self.rejected += len(rejected)
            pending = rejected
        for part in pending:
            self._cache[part] = None
        said = [[(part, self._cache[part]) for part in plan] for plan in plans]
        self.last_fallbacks = tuple(sum(text is None for _, text in parts) for parts in said)
        return [
            " ".join(part.draft if text is None else text for part, text in parts) for parts in said
        ]

    def clear_cache(self) -> None:
        """Forget every cached sentence."""
        self._cache.clear()

    def _plan(self, request: Request) -> list[Part]:
        """The request's sentences to paraphrase: its draft, cut where the templates cut it."""
        variant = request.rng.below(self.variants)
        drafts = self.drafts.sentences(request.speaker, request.acts, _SeededSource(variant))
        return [Part(request.speaker, acts, draft, variant) for acts, draft in drafts]

    def _paraphrase(self, parts: Sequence[Part], attempt: int) -> list[str]:
        """The model's paraphrase of each part's draft (batches of ``batch_size``)."""
        texts = []
        for start in range(0, len(parts), self.batch_size):
            chunk = parts[start : start + self.batch_size]
            texts += self._postprocess(self._forward(self._preprocess(chunk, attempt)))
        return texts

    def prompt(self, speaker: Speaker, draft: str) -> str:
        """The few-shot prompt asking to paraphrase ``draft``, said by ``speaker``."""
        return self._prefix + self._suffix(speaker, draft)

    def _split_prompt(self) -> tuple[str, str, str]:
        """The prompt's shared prefix, and the text before and after the ``who: draft`` line.

        The prefix holds the instructions and shots. The chat template is rendered once, with a marker where the line goes; it is used when
        the model has one and the prompt splits cleanly after the shots. Otherwise a plain
        ``who: text`` / ``paraphrase: text`` layout.
        """
        if self.tokenizer.chat_template:
            shots = _shot_messages()
            prefix = str(self.tokenizer.apply_chat_template(shots, tokenize=False))
            marker = "\x00draft\x00"
            full = str(
                self.tokenizer.apply_chat_template(
                    [*shots, {"role": "user", "content": marker}],
                    tokenize=False,
                    add_generation_prompt=True,
                )
            )
            if full.startswith(prefix) and full.count(marker) == 1:
                before, after = full[len(prefix) :].split(marker)
                return prefix, before, after
        lines = [_SYSTEM_PROMPT]
        for who, before, after in _SHOTS:
            lines += [f"{who.value}: {before}", f"paraphrase: {after}"]
        return "\n".join(lines) + "\n", "", "\nparaphrase:"

    def _suffix(self, speaker: Speaker, draft: str) -> str:
        """The prompt after the shared prefix: the draft to paraphrase, then the answer cue."""
        return f"{self._before_line}{speaker.value}: {draft}{self._after_line}"

    def _prefix_cache(self, rows: int) -> tuple[Any, int]:
        """The key-value cache of the shared prefix, repeated for ``rows`` rows, and its length.

        The prefix (about 230 tokens for SmolLM2) is run through the model once per generator;
        each batch then only runs its drafts, a tenth of the prompt.
        """
        import torch

        if self._prefix_kv is None:
            ids = self.tokenizer(self._prefix, return_tensors="pt").input_ids.to(self.device)
            with torch.inference_mode():
                self._prefix_kv = (self._model_call(ids, None, None, None).cache, ids.shape[1])
        cache, length = self._prefix_kv
        repeated = copy.deepcopy(cache)
        repeated.batch_repeat_interleave(rows)
        return repeated, length

    def _model_call(self, ids: Any, mask: Any, positions: Any, cache: Any) -> _Step:
        """One forward pass; the output has ``logits`` (last position only) and ``cache``."""
        arguments = {self._cache_argument: cache, "input_ids": ids, "use_cache": True}
        if mask is not None:
            arguments["attention_mask"] = mask
        if positions is not None and self._takes_positions:
            arguments["position_ids"] = positions
        if self._takes_logits_to_keep:
            arguments["logits_to_keep"] = 1
        output = self.model(**arguments)
        return _Step(output.logits[:, -1], output[self._cache_argument])

    # -- the pipeline: preprocess (CPU) -> _forward (device) -> postprocess ----------------------

    def _preprocess(self, parts: Sequence[Part], attempt: int) -> dict[str, Any]:
        suffixes = [self._suffix(part.speaker, part.draft) for part in parts]
        inputs = dict(
            self.tokenizer(suffixes, padding=True, return_tensors="pt", add_special_tokens=False)
        )
        inputs["seeds"] = [_seed(part, attempt) for part in parts]
        inputs["vocabularies"] = [self.vocabulary(p) for p in parts] if self.constrained else None
        return inputs

    def vocabulary(self, part: Part) -> Vocabulary:
        """The words ``part``'s sentence may be written with (cached per speaker and acts).

        The words of `VOCABULARY_RENDERINGS` template renderings of its acts that the check
        knows, their own words (`FaithfulnessCheck.own_words`) and English's closed-class words
        that say no act by themselves; no word of another value ("city" of "city centre"), and
        no negation unless an act may be said with one (the check would reject it).
        """
        key = (part.speaker, part.acts)
        vocabulary = self._vocabularies.get(key)
        if vocabulary is None:
            renderings = " ".join(
                sentence
                for variant in range(VOCABULARY_RENDERINGS)
                for _, sentence in self.drafts.sentences(
                    part.speaker, part.acts, _SeededSource(variant)
                )
            )
            said = set(_WORD.findall(renderings.lower().replace("\u2019", "'")))
            own = self.check.own_words(part.acts)
            words = ((said & FAITHFUL_WORDS) | own | self._plain_words) - (self._value_words - own)
            if not any(_negative(act) for act in part.acts):
                words = {w for w in words if w in own or not _NEGATION.search(w)}
            vocabulary = Vocabulary(words)
            self._vocabularies[key] = vocabulary
        return vocabulary

    def _texts_of_tokens(self) -> list[str]:
        """Each token id's text, lower-case, apostrophes straightened (computed once)."""
        if self._token_texts is None:
            decode = self.tokenizer.decode
            self._token_texts = [
                decode([token]).lower().replace("\u2019", "'")
                for token in range(len(self.tokenizer))
            ]
        return self._token_texts

    def _forward(self, inputs: dict[str, Any]) -> list[list[int]]:
        """The new tokens of each row (without its stop token).

        A row is ``[prefix][padding][draft]``: the cached prefix, left padding of the drafts
        (masked out) and the draft; positions count the unmasked tokens only, so a row's text
        does not depend on how much it was padded. Rows leave the batch when they stop.
        """
        import torch

        ids = inputs["input_ids"].to(self.device)
        draft_mask = inputs["attention_mask"].to(self.device)
        rows = ids.shape[0]
        cache, prefix_length = self._prefix_cache(rows)
        mask = torch.cat([draft_mask.new_ones(rows, prefix_length), draft_mask], dim=1)
        positions = (prefix_length + draft_mask.cumsum(-1) - 1).clamp(min=prefix_length)
        vocabularies = inputs["vocabularies"]
        picker = _TokenPicker(
            inputs["seeds"], self.temperature if self.sample else None, self.top_k,
            vocabularies, self._texts_of_tokens() if vocabularies else [], self._stops,
        )  # fmt: skip
        live = list(range(rows))  # batch row of each row still writing
        tokens: list[list[int]] = [[] for _ in range(rows)]
        self.forward_passes += 1
        with torch.inference_mode():
            for _ in range(self.max_new_tokens):
                step = self._model_call(ids, mask, positions, cache)
                chosen = picker(step.logits, live)
                going = [i for i, token in enumerate(chosen.tolist()) if token not in self._stops]
                for i in going:
                    tokens[live[i]].append(int(chosen[i]))
                if not going:
                    break
                cache = step.cache
                if len(going) < len(live):
                    kept = torch.tensor(going, device=self.device)
                    cache.batch_select_indices(kept)
                    chosen, mask, positions = chosen[kept], mask[kept], positions[kept]
                    live = [live[i] for i in going]
                ids = chosen[:, None]
                positions = positions[:, -1:] + 1
                mask = torch.cat([mask, mask.new_ones(len(live), 1)], dim=1)
        for row in picker.unfinished():
            tokens[row] = []  # no text: the check rejects it
        return tokens

    def _postprocess(self, new_tokens: list[list[int]]) -> list[str]:
        texts = self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        return [" ".join(text.strip().split("\n", 1)[0].split()) for text in texts]


class _Step(NamedTuple):
    """What one forward pass gives the decoding loop."""

    logits: Any
    cache: Any


def _shot_messages() -> list[dict[str, str]]:
    """The instructions and few-shot examples as chat messages."""
    messages = [{"role": "system", "content": _SYSTEM_PROMPT}]
    for who, before, after in _SHOTS:
        messages.append({"role": "user", "content": f"{who.value}: {before}"})
        messages.append({"role": "assistant", "content": after})
    return messages


def _seed(part: Part, attempt: int) -> int:
    """A sampling seed that depends on the part and attempt only (not on ``PYTHONHASHSEED``)."""
    text = f"{part.speaker.value}|{format_acts(part.acts)}|{part.draft}|{part.variant}|{attempt}"
    return zlib.crc32(text.encode())


class _TokenPicker:
    """Picks each row's next token, among those its `Vocabulary` allows when it has one.

    The likeliest token, or one sampled with the row's own seeded ``torch.Generator`` (its
    draws depend on its seed alone, not on the other rows).

    Args:
        seeds: Each row's sampling seed.
        temperature: Sampling temperature, or ``None`` to pick the likeliest token.
        top_k: Tokens sampled among (the likeliest allowed ones).
        vocabularies: Each row's vocabulary, or ``None`` for no constraint.
        token_texts: Each token id's text, lower-case (what `Vocabulary.allows` reads).
        stops: Token ids that end a sentence (always allowed).
    """

    def __init__(
        self,
        seeds: Sequence[int],
        temperature: float | None,
        top_k: int,
        vocabularies: Sequence[Vocabulary] | None,
        token_texts: Sequence[str],
        stops: frozenset[int],
    ) -> None:
        import torch

        self.generators = [torch.Generator().manual_seed(seed) for seed in seeds]
        self.temperature = temperature
        self.top_k = 1 if temperature is None else top_k
        self.vocabularies = vocabularies
        self.token_texts = token_texts
        self.stops = stops
        self.stop = min(stops)
        self.texts = [""] * len(seeds)
        """Each row's text so far, lower-case."""
        self.cut: set[int] = set()
        """Rows ended because their vocabulary allowed no next token."""

    def unfinished(self) -> set[int]:
        """Rows whose sentence was cut, or stopped (out of tokens) inside a word."""
        if self.vocabularies is None:
            return set()
        inside = {r for r, text in enumerate(self.texts) if not self.vocabularies[r].finished(text)}
        return self.cut | inside

    def __call__(self, logits: Any, rows: Sequence[int]) -> Any:
        """The next token of each row; ``rows[i]`` is the batch row of ``logits[i]``."""
        import torch

        if self.vocabularies is None and self.temperature is None:
            return logits.argmax(-1)
        width = self.top_k if self.vocabularies is None else CONSIDERED_TOKENS
        top = logits.float().topk(min(width, logits.shape[-1]), dim=-1)
        values, indices = top.values.cpu(), top.indices.cpu().tolist()
        picks = []
        for i, row in enumerate(rows):
            positions = self._allowed(row, indices[i])
            if not positions:
                picks.append(self.stop)  # nothing it may say comes next: the sentence is cut
                self.cut.add(row)
                continue
            pick = positions[0]
            if self.temperature is not None and len(positions) > 1:
                weights = torch.softmax(values[i, positions] / self.temperature, dim=-1)
                pick = positions[int(torch.multinomial(weights, 1, generator=self.generators[row]))]
            picks.append(indices[i][pick])
        if self.vocabularies is not None:
            for row, token in zip(rows, picks, strict=True):
                self.texts[row] += self.token_texts[token]
        return torch.tensor(picks, device=logits.device)

    def _allowed(self, row: int, candidates: Sequence[int]) -> list[int]:
        """Positions in ``candidates`` (best first) of the ``top_k`` first tokens row may say."""
        if self.vocabularies is None:
            return list(range(len(candidates)))
        vocabulary, text = self.vocabularies[row], self.texts[row]
        positions = []
        for position, token in enumerate(candidates):
            if (
                vocabulary.finished(text)
                if token in self.stops
                else vocabulary.allows(text, self.token_texts[token])
            ):
                positions.append(position)
                if len(positions) == self.top_k:
                    break
        return positions
