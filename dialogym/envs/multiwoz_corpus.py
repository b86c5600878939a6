"""MultiWOZ dialogues in ConvLab-3's unified data format: write one, read one back.

ConvLab-3 keeps every corpus in one format (``data/unified_datasets/README.md`` at 2a168fc;
MultiWOZ 2.1's own conversion is ``data/unified_datasets/multiwoz21/preprocess.py``). A
dialogue played in dialogym's MultiWOZ world (`MultiWozWorld`, whose `MultiWozOutcome` keeps the
goal and every turn) becomes such a dialogue with `unified_dialogue`, a JSON-able ``dict``:

| key | what |
| --- | --- |
| ``dataset``, ``data_split`` | the corpus's name and split (arguments) |
| ``dialogue_id`` | ``"$dataset-$split-$index"`` |
| ``domains`` | the goal's domains in order, then any other domain the acts name (``general``) |
| ``goal`` | ``description`` (one sentence a domain), ``inform`` (domain to unified slot to value: the constraints and booking details; a slot the user first asks with another value holds ``"first|final"``, as ConvLab writes ``fail_info``), ``request`` (domain to requested slot to ``""``) |
| ``user_goal`` | the goal as ConvLab's goal generator writes it (``info``, ``reqt``, ``book``, ``fail_info``, ``domain_ordering``): dialogym's addition, so the goal reads back exactly |
| ``turns`` | ``speaker`` (``user`` first, then alternating), ``utterance`` (``""`` at the semantic level), ``utt_idx``, ``dialogue_acts``, and ``state`` on user turns |

``dialogue_acts`` splits a turn's acts as ConvLab's preprocessing does: an act without value is
``binary`` (``{intent, domain, slot}``); one whose slot is categorical in ConvLab's MultiWOZ 2.1
ontology (`CATEGORICAL`) is ``categorical``, any other ``non-categorical`` (both with ``value``).
Each act also holds ``index``, its place in the turn (dialogym's addition: ConvLab's readers
take the three lists in turn, which loses the order). ``state`` is the system tracker's belief
after the user's turn (the unified ontology's ``state`` slots). ConvLab's optional
``db_results`` and MultiWOZ's ``booked`` are not written.

`read_unified_dialogue` turns such a dict back into the goal and each turn's acts
(`UnifiedDialogue`); `load_unified_dialogues` reads a file of them (a JSON list such as
ConvLab's ``dialogues.json``, one dialogue, or JSON lines). Without ``user_goal`` the goal is
rebuilt from ``goal`` (a ``"first|final"`` value gives ``fail_info`` and ``info``). Files are
untrusted: their size is bounded, they are parsed as JSON only, and a malformed one is a
one-line ``ValueError`` naming the dialogue and the field.

>>> from dialogym.envs.multiwoz_world import MultiWozTurn
>>> from dialogym.simulators.multiwoz_goals import MultiWozGoal
>>> goal = MultiWozGoal.from_convlab({"police": {"info": {}, "reqt": ["phone"]}})
>>> turns = [MultiWozTurn("user", (("request", "police", "phone", ""),), {}),
...          MultiWozTurn("system", (("inform", "police", "phone", "01223358966"),))]
>>> data = unified_dialogue(goal, turns, index=7)
>>> data["dialogue_id"], data["goal"]["request"], data["turns"][0]["dialogue_acts"]["binary"]
('dialogym_multiwoz-train-7', {'police': {'phone': ''}}, [{'intent': 'request', 'domain': 'police', 'slot': 'phone', 'index': 0}])
>>> read_unified_dialogue(data).turns == tuple(turns)
True
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from dialogym.acts import UnifiedAct
from dialogym.domains.domain import excerpt
from dialogym.domains.native import (
    DEFAULT_LIMITS,
    DomainLimits,
    parse_json,
    parse_json_lines,
    read_text,
)
from dialogym.envs.multiwoz_world import MultiWozTurn
from dialogym.simulators.multiwoz_goals import DomainGoal, MultiWozGoal, SlotValues
from dialogym.unified_acts import unified_slot

DATASET = "dialogym_multiwoz"
"""The default ``dataset`` name of a written dialogue."""

CATEGORICAL: Mapping[str, frozenset[str]] = {
    "attraction": frozenset(("area", "type")),
    "hotel": frozenset(("internet", "parking", "area", "stars", "price range", "book day")),
    "restaurant": frozenset(("price range", "area", "book day")),
    "train": frozenset(("day",)),
}
"""The categorical slots of ConvLab-3's MultiWOZ 2.1 ontology (``preprocess.py:12-530``)."""

GOAL_SLOTS: Mapping[str, str] = {
    "price range": "pricerange",
    "leave at": "leaveAt",
    "arrive by": "arriveBy",
    "train id": "trainID",
}
"""Unified slots whose goal spelling differs (booking slots drop ``book ``; taxi ``type`` is
``car type``)."""

ACT_KINDS = ("categorical", "non-categorical", "binary")
"""The three lists of a turn's ``dialogue_acts``, in the order ConvLab's readers take them."""

MAX_CORPUS_BYTES = 256 * 1024 * 1024
"""A corpus file larger than this is refused."""


@dataclass(frozen=True)
class UnifiedDialogue:
    """A dialogue read back from the unified format.

    Attributes:
        dialogue_id: Its ``dialogue_id``.
        goal: The user's goal.
        turns: Each turn's speaker, acts (in the order said) and, for user turns, the state.
        utterances: Each turn's utterance (``""`` where nothing was said in words).
    """

    dialogue_id: str
    goal: MultiWozGoal
    turns: tuple[MultiWozTurn, ...]
    utterances: tuple[str, ...]


def unified_dialogue(
    goal: MultiWozGoal,
    turns: Sequence[MultiWozTurn],
    *,
    index: int = 0,
    dataset: str = DATASET,
    data_split: str = "train",
    utterances: Sequence[str] | None = None,
) -> dict[str, Any]:
    """One played dialogue in ConvLab-3's unified format (see the module's docstring).

    Args:
        goal: The user's goal (`MultiWozOutcome.goal`).
        turns: The turns, the user's first (`MultiWozOutcome.turns`).
        index: The dialogue's number in its split (the end of ``dialogue_id``).
        dataset: The corpus's name.
        data_split: The split (``train``, ``validation``, ``test``...).
        utterances: Each turn's words, when it was said in words.

    Returns:
        A dict of JSON types only.

    Raises:
        ValueError: ``utterances`` has not one entry per turn.
    """
    if utterances is not None and len(utterances) != len(turns):
        raise ValueError(f"utterances: {len(utterances)} for {len(turns)} turns")
    domains = list(goal.domains)
    written = []
    for number, turn in enumerate(turns):
        acts: dict[str, list[dict[str, Any]]] = {kind: [] for kind in ACT_KINDS}
        for position, (intent, domain, slot, value) in enumerate(turn.acts):
            if domain not in domains:
                domains.append(domain)
            entry: dict[str, Any] = {"intent": intent, "domain": domain, "slot": slot}
            if not value:
                kind = "binary"
            else:
                kind = "categorical" if slot in CATEGORICAL.get(domain, ()) else "non-categorical"
                entry["value"] = value
            entry["index"] = position
            acts[kind].append(entry)
        record: dict[str, Any] = {
            "speaker": turn.speaker,
            "utterance": "" if utterances is None else utterances[number],
            "utt_idx": number,
            "dialogue_acts": acts,
        }
        if turn.speaker == "user":
            belief = turn.belief or {}
            record["state"] = {domain: dict(slots) for domain, slots in belief.items()}
        written.append(record)
    user_goal = goal.to_convlab()
    user_goal["domain_ordering"] = list(user_goal["domain_ordering"])
    return {
        "dataset": dataset,
        "data_split": data_split,
        "dialogue_id": f"{dataset}-{data_split}-{index}",
        "domains": domains,
        "goal": _unified_goal(goal),
        "user_goal": user_goal,
        "turns": written,
    }


def _unified_goal(goal: MultiWozGoal) -> dict[str, Any]:
    """ConvLab's unified goal: inform (fail_info, info, fail_book, book), request, description."""
    inform: dict[str, dict[str, str]] = {}
    request: dict[str, dict[str, str]] = {}
    for part in goal.domain_goals:
        domain = part.domain
        slots = inform.setdefault(domain, {})
        for values in (part.fail_info, part.info, part.fail_book, part.book):
            for slot, value in values.items():
                name = unified_slot(domain, slot) or slot
                slots[name] = f"{slots[name]}|{value}" if name in slots else value
        request[domain] = {unified_slot(domain, slot) or slot: "" for slot in part.reqt}
    return {"description": _description(goal), "inform": inform, "request": request}


def _description(goal: MultiWozGoal) -> str:
    """One plain sentence a domain: what the user looks for, asks and books."""
    sentences = []
    for part in goal.domain_goals:
        article = "an" if part.domain[0] in "aeiou" else "a"
        said = [f"You are looking for {article} {part.domain}"]
        if part.info:
            said.append(" with " + ", ".join(f"{s} {v}" for s, v in part.info.items()))
        if part.reqt:
            said.append("; ask for its " + ", ".join(part.reqt))
        if part.book:
            said.append("; book it for " + ", ".join(f"{s} {v}" for s, v in part.book.items()))
        sentences.append("".join(said) + ".")
    return " ".join(sentences)


def read_unified_dialogue(data: object, where: str = "dialogue") -> UnifiedDialogue:
    """The goal and the turns of a dialogue in the unified format.

    Args:
        data: The dialogue as parsed from JSON.
        where: How to name it in an error (a file and a number).

    Raises:
        ValueError: A field is missing or malformed; one line naming it.
    """
    reader = _Reader(where)
    dialogue = reader.mapping("", data)
    dialogue_id = reader.string("dialogue_id", dialogue.get("dialogue_id"))
    if "user_goal" in dialogue:
        try:
            goal = MultiWozGoal.from_convlab(reader.mapping("user_goal", dialogue["user_goal"]))
        except ValueError as err:
            reader.fail("user_goal", str(err).removeprefix("goal: "))
    else:
        goal = _goal_from_unified(reader, reader.mapping("goal", dialogue.get("goal")))
    turns, utterances = [], []
    raw_turns = dialogue.get("turns")
    if not isinstance(raw_turns, list) or not raw_turns:
        reader.fail("turns", "must be a non-empty list")
    for number, raw in enumerate(raw_turns):
        field = f"turns[{number}]"
        turn = reader.mapping(field, raw)
        speaker = turn.get("speaker")
        if speaker != ("user", "system")[number % 2]:
            reader.fail(f"{field}.speaker", f"expected {('user', 'system')[number % 2]!r}")
        if turn.get("utt_idx") != number:
            reader.fail(f"{field}.utt_idx", f"expected {number}")
        utterances.append(reader.string(f"{field}.utterance", turn.get("utterance", "")))
        acts = _read_acts(reader, f"{field}.dialogue_acts", turn.get("dialogue_acts"))
        belief = None
        if speaker == "user" and "state" in turn:
            belief = _read_state(reader, f"{field}.state", turn["state"])
        turns.append(MultiWozTurn(speaker, acts, belief))
    return UnifiedDialogue(dialogue_id, goal, tuple(turns), tuple(utterances))


def load_unified_dialogues(
    path: str | os.PathLike[str], limits: DomainLimits | None = None
) -> list[UnifiedDialogue]:
    """Read a file of unified dialogues: a JSON list, one JSON dialogue, or JSON lines.

    Args:
        path: The file.
        limits: Bounds on the file's size and on JSON nesting and string lengths (default:
            at most `MAX_CORPUS_BYTES`).

    Raises:
        ValueError: The file is missing, too big, not JSON, or a dialogue is malformed; one
            line naming the file, the dialogue's number and the field.
    """
    where = Path(path)
    if limits is None:
        limits = dataclasses.replace(DEFAULT_LIMITS, max_file_bytes=MAX_CORPUS_BYTES)
    text = read_text(where, limits)
    try:
        parsed = parse_json(where, text, limits)
        raw = parsed if isinstance(parsed, list) else [parsed]
    except ValueError:
        if not text.lstrip().startswith("{"):
            raise
        raw = [value for _, value in parse_json_lines(where, text, limits)]
    return [read_unified_dialogue(item, f"{where}: dialogue {n}") for n, item in enumerate(raw)]


class _Reader:
    """Checks fields of one dialogue and names the one at fault in a one-line error."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, field: str, problem: str) -> NoReturn:
        place = f"{self.where}: {field}" if field else self.where
        raise ValueError(" ".join(f"{place}: {problem}".split()))

    def mapping(self, field: str, value: object) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            self.fail(field, f"expected an object, got {excerpt(value)}")
        return value

    def string(self, field: str, value: object) -> str:
        if not isinstance(value, str):
            self.fail(field, f"expected a string, got {excerpt(value)}")
        return value


def _read_acts(reader: _Reader, field: str, raw: object) -> tuple[UnifiedAct, ...]:
    """A turn's acts, in the order said (``index``) or else in ConvLab's reading order."""
    lists = reader.mapping(field, raw)
    placed: list[tuple[int, UnifiedAct]] = []
    for kind in ACT_KINDS:
        entries = lists.get(kind, [])
        if not isinstance(entries, list):
            reader.fail(f"{field}.{kind}", "must be a list")
        for number, entry in enumerate(entries):
            where = f"{field}.{kind}[{number}]"
            act = reader.mapping(where, entry)
            intent, domain, slot = (
                reader.string(f"{where}.{key}", act.get(key))
                for key in ("intent", "domain", "slot")
            )
            value = "" if kind == "binary" else reader.string(f"{where}.value", act.get("value"))
            position = act.get("index", len(placed))
            if not isinstance(position, int) or isinstance(position, bool):
                reader.fail(f"{where}.index", f"expected an integer, got {excerpt(position)}")
            placed.append((position, (intent, domain, slot, value)))
    if sorted(position for position, _ in placed) != list(range(len(placed))):
        reader.fail(field, "the acts' index values are not 0, 1, 2... once each")
    return tuple(act for _, act in sorted(placed, key=lambda pair: pair[0]))


def _read_state(reader: _Reader, field: str, raw: object) -> dict[str, dict[str, str]]:
    state: dict[str, dict[str, str]] = {}
    for domain, slots in reader.mapping(field, raw).items():
        values = reader.mapping(f"{field}.{domain}", slots)
        state[domain] = {
            slot: reader.string(f"{field}.{domain}.{slot}", value) for slot, value in values.items()
        }
    return state


def _goal_from_unified(reader: _Reader, goal: Mapping[str, Any]) -> MultiWozGoal:
    """A goal rebuilt from ConvLab's unified ``inform`` and ``request``."""
    inform = reader.mapping("goal.inform", goal.get("inform", {}))
    request = reader.mapping("goal.request", goal.get("request", {}))
    parts = []
    for domain in dict.fromkeys([*inform, *request]):
        info: dict[str, str] = {}
        fail_info: dict[str, str] = {}
        book: dict[str, str] = {}
        fail_book: dict[str, str] = {}
        constraints = reader.mapping(f"goal.inform.{domain}", inform.get(domain, {}))
        for slot, value in constraints.items():
            text = reader.string(f"goal.inform.{domain}.{slot}", value)
            first, _, final = text.rpartition("|")
            booking = slot.startswith("book ")
            name = _goal_slot(domain, slot)
            (book if booking else info)[name] = final
            if first:
                (fail_book if booking else fail_info)[name] = first
        if fail_info:
            fail_info = {**info, **fail_info}
        asked = reader.mapping(f"goal.request.{domain}", request.get(domain, {}))
        parts.append(
            DomainGoal(
                domain,
                info=SlotValues(info),
                reqt=tuple(_goal_slot(domain, slot) for slot in asked),
                book=SlotValues(book),
                fail_info=SlotValues(fail_info),
                fail_book=SlotValues(fail_book),
            )
        )
    return MultiWozGoal(tuple(parts))


def _goal_slot(domain: str, slot: str) -> str:
    """A unified slot in the goal's spelling (``price range`` → ``pricerange``)."""
    if slot.startswith("book "):
        return slot.removeprefix("book ")
    if domain == "taxi" and slot == "type":
        return "car type"
    return GOAL_SLOTS.get(slot, slot)
