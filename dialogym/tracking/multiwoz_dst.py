"""ConvLab-3's rule dialogue-state tracker for MultiWOZ, at the semantic level.

ConvLab-3's ``RuleDST`` (``convlab/dst/rule/multiwoz/dst.py`` at 2a168fc, read for its
behaviour; this is a rewrite) keeps, per domain, the user's constraints and booking details
under ConvLab's unified slot names, and reads the user's acts in ConvLab's unified form:

- ``inform`` sets a belief slot the domain has, the value normalised as ConvLab normalises it
  (`normalize_value`); an inform of a slot the domain lacks, or with slot ``""`` / ``"none"``,
  is ignored;
- ``request`` adds the slot to the domain's requests, which are never cleared;
- every other intent is ignored, and so is every act of a domain the belief lacks: ``general``,
  and ``police``, which ConvLab's belief state has no entry for (its requests go unrecorded).

ConvLab's environment also records each system ``book`` act in the state's ``booked`` part
(``convlab/dialog_agent/env.py:41-44``); `MultiWozTracker.record_system_acts` does that.

>>> tracker = MultiWozTracker()
>>> state = tracker.update([("inform", "hotel", "area", "East"), ("request", "hotel", "phone", "")])
>>> state.belief["hotel"]["area"], state.requests["hotel"]
('east', ['phone'])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

from dialogym.acts import UnifiedAct
from dialogym.domains.multiwoz import MultiWozData, load_multiwoz

BELIEF_SLOTS: Mapping[str, tuple[str, ...]] = {
    "attraction": ("type", "name", "area"),
    "hotel": (
        "name",
        "area",
        "parking",
        "price range",
        "stars",
        "internet",
        "type",
        "book stay",
        "book day",
        "book people",
    ),
    "restaurant": (
        "food",
        "price range",
        "name",
        "area",
        "book time",
        "book day",
        "book people",
    ),
    "taxi": ("leave at", "destination", "departure", "arrive by"),
    "train": ("leave at", "destination", "day", "arrive by", "departure", "book people"),
    "hospital": ("department",),
}
"""The belief slots per domain, in the order of ConvLab-3's MultiWOZ 2.1 ontology ``state``
(the order the rule policy lists and shuffles them in). Police has none, as in ConvLab."""

_CACHE_SIZE = 65536

ValueLists = Mapping[str, Mapping[str, Sequence[str]]]
"""Domain to slot to the values an informed value is normalised towards."""


def lowered_ontology(data: MultiWozData | None = None) -> ValueLists:
    """The MultiWOZ ontology with every value lower-cased: the default normalisation lists.

    ConvLab's tracker normalises towards ``data/multiwoz/value_dict.json``, which holds the
    ontology's values lower-cased, listed in another order. The order only matters for a
    value contained in two of a slot's values: tried on every belief slot with every
    ontology value of those slots and the ``dontcare`` spellings, only ``no``, ``centre``
    and ``center`` informed as a restaurant name normalise to another name than in ConvLab.

    Args:
        data: The MultiWOZ data whose ontology to lower (`dialogym.domains.multiwoz`);
            ``None`` for the package data's, computed once per process and shared.
    """
    if data is None:
        return _package_values()
    return {
        domain: {
            slot.lower(): [value.lower() for value in values] for slot, values in slots.items()
        }
        for domain, slots in data.ontology.items()
    }


@cache
def _package_values() -> ValueLists:
    return lowered_ontology(load_multiwoz())


def normalize_value(values: ValueLists, domain: str, slot: str, value: str) -> str:
    """Normalise an informed value as ConvLab's ``normalize_value`` does.

    The value is lower-cased and its blanks collapsed. When the domain's lists hold the slot,
    the first of these that finds a listed value wins: the value itself; a listed value that
    contains it or is contained in it; for a value of 10 or more characters, a listed value at
    most 2 edits away (3 from 15 characters); then the same three tests on the value with
    `` 's`` → ``'s``, `` - `` → ``-``, ``center`` ↔ ``centre``, and a ``the `` prefix. Otherwise
    the lower-cased value is kept. (ConvLab's extra time, price, train-id and duration patterns
    apply to slots named ``arriveby``, ``leaveat``, ``price``, ``entrance fee``, ``trainid`` and
    ``duration``, none of which is a belief slot, so they are left out.)

    >>> normalize_value({"hotel": {"area": ["centre", "east"]}}, "hotel", "area", "Center")
    'centre'
    """
    value = " ".join(value.lower().split())
    listed = values.get(domain, {}).get(slot.lower())
    if listed is None:
        return value
    for candidate in (value, *_variants(value)):
        found = _match_or_contain(candidate, listed)
        if found is not None:
            return found
    return value


def _variants(value: str) -> list[str]:
    """ConvLab's rewrites of a value that matched nothing, in its order."""
    variants = []
    if " 's" in value:
        variants.append(value.replace(" 's", "'s"))
    if " - " in value:
        variants.append(value.replace(" - ", "-"))
    if value == "center":
        variants.append("centre")
    elif value == "centre":
        variants.append("center")
    if not value.startswith("the "):
        variants.append("the " + value)
    return variants


def _match_or_contain(value: str, listed: Sequence[str]) -> str | None:
    if value in listed:
        return value
    for option in listed:
        if option in value or value in option:
            return option
    if len(value) >= 10:
        for option in listed:
            distance = edit_distance(value, option)
            if distance <= 2 or (distance <= 3 and len(value) >= 15):
                return option
    return None


def edit_distance(first: str, second: str) -> int:
    """The Levenshtein distance between two strings (insert, delete, substitute: 1 each).

    >>> edit_distance("archaeology", "archaelogy")
    1
    """
    previous = list(range(len(second) + 1))
    for i, char in enumerate(first, 1):
        current = [i]
        for j, other in enumerate(second, 1):
            cost = (
                previous[j - 1]
                if char == other
                else 1 + min(previous[j - 1], previous[j], current[j - 1])
            )
            current.append(cost)
        previous = current
    return previous[-1]


@dataclass
class MultiWozState:
    """The system's dialogue state in the MultiWOZ world, as ConvLab's rule tracker keeps it.

    Attributes:
        belief: Domain to belief slot (`BELIEF_SLOTS`, unified names such as
            ``price range`` and ``book day``) to its value; ``""`` when not informed.
        requests: Domain to the slots the user has requested, in the order first asked;
            never cleared during a dialogue.
        booked: Domain to the ``(slot, value)`` of the last system ``book`` act on it.
        user_acts: The user's acts of the latest turn.
        system_acts: The system's acts of the latest turn.
    """

    belief: dict[str, dict[str, str]] = field(
        default_factory=lambda: {d: dict.fromkeys(slots, "") for d, slots in BELIEF_SLOTS.items()}
    )
    requests: dict[str, list[str]] = field(default_factory=dict)
    booked: dict[str, tuple[str, str]] = field(default_factory=dict)
    user_acts: tuple[UnifiedAct, ...] = ()
    system_acts: tuple[UnifiedAct, ...] = ()

    def copy(self) -> MultiWozState:
        """An independent copy (changing one never changes the other)."""
        return MultiWozState(
            {domain: dict(slots) for domain, slots in self.belief.items()},
            {domain: list(slots) for domain, slots in self.requests.items()},
            dict(self.booked),
            self.user_acts,
            self.system_acts,
        )


class MultiWozTracker:
    """ConvLab-3's rule tracker: user acts in, `MultiWozState` out.

    Args:
        values: The lists informed values are normalised towards (`normalize_value`); by
            default the package ontology lower-cased (`lowered_ontology`).

    Attributes:
        state: The current dialogue's state, updated in place by `update` and
            `record_system_acts`; take `MultiWozState.copy` to keep a turn's state.
    """

    def __init__(self, values: ValueLists | None = None) -> None:
        self.values: ValueLists = lowered_ontology() if values is None else values
        self.state = MultiWozState()
        self._normalised: dict[tuple[str, str, str], str] = {}

    def reset(self) -> MultiWozState:
        """Start a new dialogue: an empty belief, no requests, nothing booked."""
        self.state = MultiWozState()
        return self.state

    def update(self, user_acts: Iterable[UnifiedAct]) -> MultiWozState:
        """Read the user's acts of one turn into the state, and return the state.

        Args:
            user_acts: ``(intent, domain, slot, value)`` acts in ConvLab's unified form.

        Returns:
            The tracker's state (the same object, updated in place).
        """
        state = self.state
        state.user_acts = tuple(user_acts)
        for intent, domain, slot, value in state.user_acts:
            slots = state.belief.get(domain)
            if slots is None:
                continue
            if intent == "inform":
                if slot in slots:
                    slots[slot] = self._normalise(domain, slot, value)
            elif intent == "request":
                requested = state.requests.setdefault(domain, [])
                if slot not in requested:
                    requested.append(slot)
        return state

    def record_system_acts(self, system_acts: Iterable[UnifiedAct]) -> None:
        """Keep the system's acts of a turn, and its ``book`` acts in ``booked``."""
        state = self.state
        state.system_acts = tuple(system_acts)
        for intent, domain, slot, value in state.system_acts:
            if intent == "book":
                state.booked[domain] = (slot, value)

    def _normalise(self, domain: str, slot: str, value: str) -> str:
        key = (domain, slot, value)
        found = self._normalised.get(key)
        if found is None:
            if len(self._normalised) >= _CACHE_SIZE:
                self._normalised.clear()
            found = self._normalised[key] = normalize_value(self.values, domain, slot, value)
        return found
