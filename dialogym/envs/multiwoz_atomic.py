"""ConvLab-3's atomic system acts over MultiWOZ: a multi-binary action, its masks and its acts.

ConvLab-3's PPO (``convlab/policy/ppo/ppo.py`` at 2a168fc) chooses a *set* of delexicalised acts
each turn through ``VectorBinary`` (``convlab/policy/vector/vector_binary.py``,
``vector_base.py``; "VB" below): one bit per act of a vocabulary such as
``("restaurant", "inform", "food", "1")`` (inform the food of the first matching restaurant),
``("hotel", "request", "area", "?")`` or ``("general", "bye", "none", "none")``. This module
rewrites what VB does with such a vector, as its semantic-level configuration runs it
(``convlab/policy/ppo/configs/RuleUser-Semantic-RuleDST.json``: masking on, no entity names
added):

**Vocabulary** (`load_vocabulary`). VB builds it from the unified MultiWOZ 2.1 corpus at run
time (VB:94-140: system acts seen 50 times or more, sorted); the corpus is not part of
ConvLab's repository, so the package's vocabulary (``dialogym/data/convlab_atomic_actions.json``)
is estimated from what the repository holds, by ConvLab's own preprocessing
(``scripts/make_convlab_atomic_actions.py`` says how; with the corpus it gives the exact one).
ConvLab's own file (``action_dicts/multiwoz21_VectorBinary/sys_da_voc.txt``, one JSON list a
line) loads as well.

**Mask** (VB ``get_mask``, VB:241-300; the domain mask is switched off). An act may be chosen
unless: it informs, recommends or selects entity ``k`` of a domain where fewer than ``k``
entities match the belief (at most 10 are looked up, hospital and police all); it is a
``nooffer`` or ``nobook`` while a database domain has a match; it is a ``nooffer`` or
``nobook`` naming a slot; it informs a booking slot (``book day``...) the belief lacks; it
informs a taxi slot the belief lacks. For MaskablePPO the mask has two entries per act
(``[may be 0, may be 1]``, sb3-contrib's ``MultiBinary`` layout); act ``i`` may be chosen when
entry ``2 i + 1`` is 1.

**From vector to acts** (``action_devectorize``, VB:368-445, and ``lexicalize_da``,
``convlab/util/multiwoz/lexicalize.py:45-104``). Masked acts are not carried out (ConvLab's
masked policy never chooses them). With no act left the system says ``reqmore``. The acts are
grouped by (domain, intent) in order of first appearance, each domain's entities are looked up
(the first 10 rows matching the belief, in database order; taxi: a car drawn at random), then:

- ``nooffer``: its slot becomes the belief slot whose removal from the query finds an entity
  (the first, in belief order), else one of the first such pair at random, else ``none``;
- ``nobook``: a random booking slot the belief holds, or ``none``;
- ``request``: value ``?``; ``general`` acts stay ``none``/``none``;
- ``book``: value the ``Ref`` (8-digit row index) of the first entity, when there is one;
- ``choice``: the number of entities looked up (so at most 10 for a database domain);
- any other slot of entity ``k``: the entity's value (the slot, its spaceless spelling, its
  capitalised spelling, or its MultiWOZ 2.0 column: train ``leaveAt``, ``arriveBy``,
  ``trainID``; taxi ``taxi_types``, ``taxi_phone``), else the belief's value, else
  ``not available``; past the last entity, the belief's value or ``none``;
- the result is ``(intent, domain, slot, value)`` with ``none`` where ConvLab writes ``none``
  (VB's default ``use_none``), which ConvLab's user and evaluator read as it is.

``VectorBinary.__init__`` passes its ``seed`` where ``VectorBase`` expects
``always_inform_booking_reference`` (VB:13 against vector_base.py:22-23), so ConvLab adds an
``inform ref`` to each ``book`` only when trained with a seed other than 0;
``booking_reference=True`` does that here (default off, as with seed 0).

>>> from dialogym.tracking.multiwoz_dst import MultiWozTracker
>>> from dialogym.randomness import RandomStream
>>> actions = MultiWozAtomicActions()
>>> state = MultiWozTracker().update([("inform", "restaurant", "food", "chinese")])
>>> mask = actions.update(state)
>>> vector = actions.vector([("restaurant", "inform", "choice", "1"),
...                          ("restaurant", "inform", "name", "1")])
>>> actions.execute(vector, state, RandomStream(np.random.default_rng(0)))
[('inform', 'restaurant', 'choice', '10'), ('inform', 'restaurant', 'name', 'the good luck chinese food takeaway')]
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dialogym.acts import UnifiedAct
from dialogym.domains.domain import excerpt
from dialogym.domains.multiwoz import MultiWozDatabase, load_multiwoz
from dialogym.domains.native import (
    DEFAULT_LIMITS,
    fail,
    parse_json,
    parse_json_lines,
    read_text,
)
from dialogym.envs.multiwoz_actions import COLUMNS, offer_stands
from dialogym.randomness import RandomStream
from dialogym.tracking.multiwoz_dst import MultiWozState

AtomicAct = tuple[str, str, str, str]
"""A delexicalised act as ConvLab writes it: ``(domain, intent, slot, value)``, the value ``?``
(request), ``none`` (no slot) or the entity's rank ``1``, ``2``..."""

VOCABULARY_FILE = Path(__file__).resolve().parents[1] / "data" / "convlab_atomic_actions.json"
"""The package's vocabulary (see the module's docstring)."""

MAX_VOCABULARY_BYTES = 1 << 20
"""A vocabulary file larger than this is refused."""

ENTITY_LIMIT = 10
"""VB's ``topk``: at most this many entities of a database domain are looked up."""

DATABASE_DOMAINS = ("restaurant", "hotel", "attraction", "train", "hospital", "police")
"""The domains VB counts entities in (``db_domains``); taxi counts as one entity."""

UNLIMITED_DOMAINS = ("hospital", "police")
"""Domains whose lookup returns every matching entity (ConvLab's query ignores ``topk``)."""

ENTITY_INTENTS = frozenset(("inform", "recommend", "select"))
"""Intents whose rank names an entity the mask checks."""

REFUSALS = frozenset(("nooffer", "nobook"))
"""Intents that say nothing matched or nothing could be booked."""

ENTITY_COLUMNS: Mapping[str, Mapping[str, str]] = {
    "train": {"leave at": "leaveAt", "arrive by": "arriveBy", "train id": "trainID"},
    "taxi": {"type": "taxi_types", "phone": "taxi_phone"},
}
"""The entity keys ``lexicalize_da`` reaches through MultiWOZ 2.0's names (``REF_SYS_DA``)
that no other spelling of the slot finds."""

HOSPITAL_ENTITY: Mapping[str, str] = {"postcode": "cb20qq", "address": "Hills Rd, Cambridge"}
"""What ConvLab's unified database sets on every hospital entity
(``data/unified_datasets/multiwoz21/database.py:27-30``)."""

REQMORE: AtomicAct = ("general", "reqmore", "none", "none")
"""What an empty choice says (VB:385-389)."""


def load_vocabulary(path: str | os.PathLike[str] | None = None) -> tuple[AtomicAct, ...]:
    """Read a vocabulary of atomic acts, in file order.

    Args:
        path: The package's JSON file (``{"acts": [[domain, intent, slot, value], ...]}``) by
            default; or such a file; or ConvLab's ``sys_da_voc.txt`` (one JSON list a line).

    Raises:
        ValueError: The file is missing, too big, or malformed; one line naming the file and
            the field or line at fault. Nothing in the file is executed.
    """
    where = Path(VOCABULARY_FILE if path is None else path)
    limits = DEFAULT_LIMITS
    if limits.max_file_bytes > MAX_VOCABULARY_BYTES:
        limits = dataclasses.replace(limits, max_file_bytes=MAX_VOCABULARY_BYTES)
    text = read_text(where, limits)
    if text.lstrip().startswith("{"):
        document = parse_json(where, text, limits)
        rows = document.get("acts") if isinstance(document, dict) else None
        if not isinstance(rows, list):
            fail(where, "acts", "must be a list of [domain, intent, slot, value] lists")
        fields = [f"acts[{i}]" for i in range(len(rows))]
    else:
        parsed = parse_json_lines(where, text, limits)
        fields = [f"line {number}" for number, _ in parsed]
        rows = [row for _, row in parsed]
    acts = tuple(_atomic_act(where, field, row) for field, row in zip(fields, rows, strict=True))
    if not acts:
        fail(where, None, "holds no act")
    if len(set(acts)) != len(acts):
        fail(where, None, "lists an act twice")
    return acts


def _atomic_act(where: Path, field: str, row: object) -> AtomicAct:
    if not (isinstance(row, list) and len(row) == 4 and all(isinstance(x, str) for x in row)):
        fail(where, field, f"expected [domain, intent, slot, value] strings, got {excerpt(row)}")
    domain, intent, slot, value = row
    if intent == "request":
        expected = value == "?"
    elif slot == "none":
        expected = value == "none"
    else:
        expected = value.isdigit() and value.isascii() and 0 < int(value) <= 1000
    if not expected or not domain or not intent or not slot:
        fail(where, field, f"{excerpt(' '.join(row))} is not a delexicalised act")
    return domain, intent, slot, value


class MultiWozAtomicActions:
    """ConvLab-3's atomic acts as a multi-binary action: mask, and the acts a vector makes.

    Call `update` with the tracker's state each turn (it looks entities up and returns the
    mask), then `execute` with the chosen vector.

    Args:
        database: The MultiWOZ databases (default: the package data's).
        vocabulary: The atomic acts (default: `load_vocabulary`'s).
        booking_reference: Add an ``inform ref`` to each ``book``, as ConvLab does when its
            vectoriser's seed is not 0 (see the module's docstring).

    Attributes:
        vocabulary: The atomic acts, one per bit.
        names: Their names, ``domain_intent_slot_value`` (ConvLab's ``flat_da``).
        matches: Per domain, how many entities matched the belief at the last `update`
            (taxi and police: 1), for the belief encoder.
        offered: Per domain, the row of the entity the system last spoke about.
        informed: Per domain, the slots the system has informed in this dialogue.
    """

    def __init__(
        self,
        database: MultiWozDatabase | None = None,
        vocabulary: Sequence[AtomicAct] | None = None,
        booking_reference: bool = False,
    ) -> None:
        self.database = load_multiwoz().database if database is None else database
        self.vocabulary: tuple[AtomicAct, ...] = tuple(
            load_vocabulary() if vocabulary is None else vocabulary
        )
        self.names = tuple("_".join(act) for act in self.vocabulary)
        self.booking_reference = booking_reference
        self._index = {act: i for i, act in enumerate(self.vocabulary)}
        self.matches: dict[str, int] = {}
        self.offered: dict[str, int] = {}
        self.informed: dict[str, set[str]] = {}
        self._rows: dict[str, int] = {}
        self._entities: dict[str, list[int]] = {}
        self._allowed = np.ones(len(self.vocabulary), dtype=bool)

    @property
    def size(self) -> int:
        """The number of atomic acts (bits of the action)."""
        return len(self.vocabulary)

    def reset(self) -> None:
        """Start a new dialogue: nothing offered, nothing informed."""
        self.offered = {}
        self.informed = {}

    def vector(self, acts: Iterable[AtomicAct]) -> np.ndarray:
        """The 0/1 ``np.int8`` action that chooses ``acts`` (each one of the vocabulary).

        Raises:
            ValueError: An act is not in the vocabulary.
        """
        chosen = np.zeros(self.size, dtype=np.int8)
        for act in acts:
            if act not in self._index:
                raise ValueError(f"action: {act!r} is not in the atomic vocabulary")
            chosen[self._index[act]] = 1
        return chosen

    def read(self, action: Any) -> np.ndarray:
        """Check an action of the ``MultiBinary`` space and return it as a bool vector.

        Raises:
            ValueError: It is not a 0/1 vector with one entry per act.
        """
        vector = np.asarray(action)
        if vector.shape != (self.size,) or not np.isin(vector, (0, 1)).all():
            raise ValueError(
                f"action: expected a 0/1 vector of length {self.size}, got shape {vector.shape}"
            )
        return vector.astype(bool)

    def update(self, state: MultiWozState) -> np.ndarray:
        """Look the belief's entities up and compute the mask (VB's ``get_mask``).

        Returns:
            The 0/1 ``np.int8`` mask in sb3-contrib's ``MultiBinary`` layout: two entries per
            act, ``[1, allowed]``.
        """
        counts: dict[str, int] = {}
        for domain in DATABASE_DOMAINS:
            rows = self.database.mask(domain, _constraints(state, domain))
            self._rows[domain] = rows
            self.matches[domain] = rows.bit_count()
            limit = None if domain in UNLIMITED_DOMAINS else ENTITY_LIMIT
            self._entities[domain] = _first_rows(rows, limit)
            counts[domain] = len(self._entities[domain])
        self.matches["taxi"] = 1
        self.matches["police"] = 1
        belief = state.belief
        for i, (domain, intent, slot, value) in enumerate(self.vocabulary):
            allowed = True
            if intent in ENTITY_INTENTS and value != "none":
                allowed = int(value) <= counts.get(domain, 1)
            if intent in REFUSALS:
                allowed = slot == "none" and not counts.get(domain, 0)
            if intent == "inform" and ("book" in slot or domain == "taxi"):
                slots = belief.get(domain, {})
                allowed = allowed and (
                    bool(slots.get(slot)) or ("book" not in slot and slot not in slots)
                )
            self._allowed[i] = allowed
        mask = np.ones((self.size, 2), dtype=np.int8)
        mask[:, 1] = self._allowed
        return mask.reshape(-1)

    def offer_stands(self, domain: str) -> bool:
        """Whether the entity last spoken about in ``domain`` still matches the belief."""
        return offer_stands(self.offered, self._rows, domain)

    def execute(self, action: Any, state: MultiWozState, random: RandomStream) -> list[UnifiedAct]:
        """The acts of a multi-binary action in the state of the last `update`.

        Args:
            action: One 0/1 entry per act of the vocabulary.
            state: The tracker's state, as given to the last `update`.
            random: The dialogue's stream (taxi's car, the slot of a nooffer or nobook).
        """
        chosen = self.read(action) & self._allowed
        acts = [self.vocabulary[i] for i in np.flatnonzero(chosen)] or [REQMORE]
        grouped: dict[tuple[str, str], list[list[str]]] = {}
        for domain, intent, slot, value in acts:
            grouped.setdefault((domain, intent), []).append([slot, value])
        entities = {
            domain: self._lookup(domain, random) for domain, _ in grouped if domain != "general"
        }
        belief = state.belief
        for (domain, intent), pairs in grouped.items():
            if intent == "nooffer":
                slot = self._nooffer_slot(domain, belief.get(domain, {}), random)
                pairs[:] = [[slot, "1" if slot != "none" else "none"]]
            elif intent == "nobook":
                held = [s for s, v in belief.get(domain, {}).items() if v and "book" in s]
                slot = random.choice([*held, "none"])
                pairs[:] = [[slot, "1" if slot != "none" else "none"]]
        if self.booking_reference:
            grouped = _with_references(grouped)
        result: list[UnifiedAct] = []
        for (domain, intent), pairs in grouped.items():
            for slot, value in pairs:
                if domain != "general":
                    value = self._lexicalise(domain, intent, slot, value, entities, belief)
                result.append((intent, domain, slot, value))
        self._remember(acts, result)
        return result

    def _lookup(self, domain: str, random: RandomStream) -> list[Mapping[str, Any]]:
        """VB's ``dbquery_domain``: the entities of a domain, with ``Ref`` on table rows."""
        if domain == "taxi":
            taxi = self.database.taxi
            phone = "".join(str(1 + random.below(9)) for _ in range(11))
            return [
                {
                    "taxi_colors": random.choice(taxi.colors),
                    "taxi_types": random.choice(taxi.types),
                    "taxi_phone": phone,
                }
            ]
        if domain not in self._entities:
            return []
        rows = self.database.rows(domain)
        if domain == "hospital":
            return [{**rows[i], **HOSPITAL_ENTITY} for i in self._entities[domain]]
        if domain in UNLIMITED_DOMAINS:
            return [rows[i] for i in self._entities[domain]]
        return [{**rows[i], "Ref": f"{i:08d}"} for i in self._entities[domain]]

    def _nooffer_slot(self, domain: str, belief: Mapping[str, str], random: RandomStream) -> str:
        """VB's ``find_nooffer_slot``: the constraint that keeps anything from matching."""
        if domain not in DATABASE_DOMAINS and domain != "taxi":
            return "none"
        slots = list(belief)
        for slot in slots:
            if self._any_match(domain, belief, {slot}):
                return slot
        for i, first in enumerate(slots):
            for second in slots[i + 1 :]:
                if self._any_match(domain, belief, {first, second}):
                    return random.choice((first, second))
        return "none"

    def _any_match(self, domain: str, belief: Mapping[str, str], left_out: set[str]) -> bool:
        if domain == "taxi":
            return True
        kept = [(COLUMNS.get(s, s), v) for s, v in belief.items() if s not in left_out]
        return bool(self.database.mask(domain, kept))

    @staticmethod
    def _lexicalise(
        domain: str,
        intent: str,
        slot: str,
        value: str,
        entities: Mapping[str, list[Mapping[str, Any]]],
        belief: Mapping[str, Mapping[str, str]],
    ) -> str:
        """``lexicalize_da`` for one act of a domain (not ``general``)."""
        found = entities.get(domain, [])
        if intent == "request":
            return "?"
        if intent == "book":
            rank = int(value) - 1 if value != "none" else 0
            if rank < len(found) and "Ref" in found[rank]:
                return str(found[rank]["Ref"])
            return value
        if value == "none":
            return value
        if slot.lower() == "choice":
            return str(len(found))
        rank = int(value) - 1
        slots = belief.get(domain)
        if rank >= len(found):
            return (slots.get(slot) or "none") if slots is not None and slot in slots else "none"
        entity = found[rank]
        keys = (
            slot,
            slot.replace(" ", ""),
            slot.capitalize(),
            ENTITY_COLUMNS.get(domain, {}).get(slot, slot),
        )
        for key in keys:
            if key in entity:
                return str(entity[key])
        if slots is not None and slot in slots:
            return slots[slot]
        return "not available"

    def _remember(self, chosen: Sequence[AtomicAct], said: Sequence[UnifiedAct]) -> None:
        """Note the slots informed, and the entity the system last spoke about (by its rank)."""
        for intent, domain, slot, _ in said:
            if intent in ("inform", "recommend", "offerbook") and slot not in ("none", "choice"):
                self.informed.setdefault(domain, set()).add(slot)
        for domain, intent, slot, value in chosen:
            rank = int(value) if value.isdigit() and slot != "choice" else 1
            if intent in (*ENTITY_INTENTS, "offerbook", "book") and domain == "taxi":
                self.offered[domain] = 0
            elif intent in (*ENTITY_INTENTS, "offerbook", "book"):
                rows = self._entities.get(domain, [])
                if rank <= len(rows):
                    self.offered[domain] = rows[rank - 1]


def _constraints(state: MultiWozState, domain: str) -> list[tuple[str, str]]:
    """The belief of a domain as query constraints (database columns; none for police)."""
    belief = state.belief.get(domain, {})
    return [(COLUMNS.get(slot, slot), value) for slot, value in belief.items() if value]


def _first_rows(rows: int, limit: int | None) -> list[int]:
    """The indices of the lowest set bits of ``rows``, at most ``limit`` of them."""
    found: list[int] = []
    while rows and (limit is None or len(found) < limit):
        lowest = rows & -rows
        found.append(lowest.bit_length() - 1)
        rows ^= lowest
    return found


def _with_references(
    grouped: dict[tuple[str, str], list[list[str]]],
) -> dict[tuple[str, str], list[list[str]]]:
    """VB's ``add_booking_reference``: a ``book`` becomes ``book`` + ``inform ref`` (VB:447-465)."""
    result: dict[tuple[str, str], list[list[str]]] = {}
    for (domain, intent), pairs in grouped.items():
        if intent == "book" and pairs:
            result.setdefault((domain, "inform"), []).append(["ref", "1"])
            result.setdefault((domain, intent), []).append(["none", "1"])
        elif (domain, intent) in result:
            result[domain, intent] += pairs
        else:
            result[domain, intent] = pairs
    return result
