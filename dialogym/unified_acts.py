"""ConvLab-3's act-name conversions between the unified form and MultiWOZ 2.0's names.

It imports only `dialogym.acts`, so the user (simulators), the evaluator (envs) and the rule
policy (policies) share it.

ConvLab-3's MultiWOZ agenda user and its evaluator speak the unified form
(`~dialogym.acts.UnifiedAct`: ``(intent, domain, slot, value)`` with slots such as
``"price range"`` or ``"book people"``) at their boundary, but work inside with MultiWOZ 2.0's
names (``Price``, ``People``; goal slots ``pricerange``, ``people``). This module holds the
tables and the conversions they apply, rewritten from ConvLab-3 at 2a168fc:

- `reverse_act`, `act_slot_name` and `reverse_turn`: unified acts to MultiWOZ 2.0 act names, as ``reverse_da``
  (``data/unified_datasets/multiwoz21/preprocess.py:832-863``) names and orders them;
- `system_goal_slot`: a system act's MultiWOZ 2.0 slot to the goal slot the agenda user reads
  (``REF_SYS_DA_M``, ``policy_agenda_multiwoz.py:50-62`` from
  ``convlab/util/multiwoz/multiwoz_slot_trans.py``); ``None`` for a slot the user drops;
- `unified_slot`: a MultiWOZ 2.0 slot's unified name;
- `user_act_slot` and `unified_user_act`: a goal slot the user says to its MultiWOZ 2.0 name
  (``REF_USR_DA``) and then to the unified form, as ``normalize_domain_slot_value``
  (``preprocess.py:866-885``) does, including what ConvLab emits when that conversion fails
  (``("inform", "train", "NotBook", "none")``).

>>> reverse_act(("inform", "hotel", "price range", "cheap"))
('hotel', 'inform', 'Price', 'cheap')
>>> system_goal_slot("hotel", "Price")
'pricerange'
>>> unified_user_act("inform", "restaurant", "time", "19:00")
('inform', 'restaurant', 'book time', '19:00')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dialogym.acts import UnifiedAct

_REVERSE_SLOT: Mapping[str, str] = {
    "address": "Addr",
    "postcode": "Post",
    "price range": "Price",
    "arrive by": "Arrive",
    "leave at": "Leave",
    "departure": "Depart",
    "destination": "Dest",
    "entrance fee": "Fee",
    "open hours": "Open",
    "price": "Ticket",
    "train id": "Id",
    "book people": "People",
    "book stay": "Stay",
    "book day": "Day",
    "book time": "Time",
    "duration": "Time",
}
"""``reverse_da_slot_name_map``: unified slot to MultiWOZ 2.0 act slot, every domain."""

_REVERSE_DOMAIN_SLOT: Mapping[str, Mapping[str, str]] = {"taxi": {"type": "Car", "phone": "Phone"}}
"""``reverse_da_slot_name_map``'s per-domain part (taxi only)."""

SYSTEM_SLOTS: Mapping[str, Mapping[str, str | None]] = {
    "attraction": {
        "addr": "address",
        "area": "area",
        "choice": "choice",
        "fee": "entrance fee",
        "name": "name",
        "phone": "phone",
        "post": "postcode",
        "price": "pricerange",
        "type": "type",
        "open": None,
        "none": "none",
    },
    "hospital": {
        "department": "department",
        "addr": "address",
        "post": "postcode",
        "phone": "phone",
        "none": "none",
    },
    "booking": {
        "day": "day",
        "name": "name",
        "people": "people",
        "ref": "ref",
        "stay": "stay",
        "time": "time",
        "none": "none",
    },
    "hotel": {
        "addr": "address",
        "area": "area",
        "choice": "choice",
        "internet": "internet",
        "name": "name",
        "parking": "parking",
        "phone": "phone",
        "post": "postcode",
        "price": "pricerange",
        "ref": "ref",
        "stars": "stars",
        "type": "type",
        "none": "none",
    },
    "restaurant": {
        "addr": "address",
        "area": "area",
        "choice": "choice",
        "name": "name",
        "food": "food",
        "phone": "phone",
        "post": "postcode",
        "price": "pricerange",
        "ref": "ref",
        "none": "none",
    },
    "taxi": {
        "arrive": "arriveBy",
        "car": "car type",
        "depart": "departure",
        "dest": "destination",
        "leave": "leaveAt",
        "phone": "phone",
        "none": "none",
    },
    "train": {
        "arrive": "arriveBy",
        "choice": "choice",
        "day": "day",
        "depart": "departure",
        "dest": "destination",
        "id": "trainID",
        "leave": "leaveAt",
        "people": "people",
        "ref": "ref",
        "time": "duration",
        "ticket": "price",
        "none": "none",
    },
    "police": {
        "addr": "address",
        "post": "postcode",
        "phone": "phone",
        "name": "name",
        "none": "none",
    },
}
"""ConvLab's ``REF_SYS_DA_M``: domain to lower-cased MultiWOZ 2.0 system slot to goal slot.

``None`` marks a slot ConvLab names and maps to nothing (attraction ``open``). The booking
slots of hotel and restaurant are missing, as in ConvLab: its agenda user drops a system's
hotel or restaurant booking details and requests for them."""

_USER_SLOTS: Mapping[str, Mapping[str, str]] = {
    "attraction": {
        "area": "Area",
        "type": "Type",
        "name": "Name",
        "entrance fee": "Fee",
        "address": "Addr",
        "postcode": "Post",
        "phone": "Phone",
    },
    "hospital": {
        "department": "Department",
        "address": "Addr",
        "postcode": "Post",
        "phone": "Phone",
    },
    "hotel": {
        "type": "Type",
        "parking": "Parking",
        "pricerange": "Price",
        "internet": "Internet",
        "area": "Area",
        "stars": "Stars",
        "name": "Name",
        "stay": "Stay",
        "day": "Day",
        "people": "People",
        "address": "Addr",
        "postcode": "Post",
        "phone": "Phone",
    },
    "police": {"address": "Addr", "postcode": "Post", "phone": "Phone", "name": "Name"},
    "restaurant": {
        "food": "Food",
        "pricerange": "Price",
        "area": "Area",
        "name": "Name",
        "time": "Time",
        "day": "Day",
        "people": "People",
        "phone": "Phone",
        "postcode": "Post",
        "address": "Addr",
    },
    "taxi": {
        "leaveAt": "Leave",
        "destination": "Dest",
        "departure": "Depart",
        "arriveBy": "Arrive",
        "car type": "Car",
        "phone": "Phone",
    },
    "train": {
        "destination": "Dest",
        "day": "Day",
        "arriveBy": "Arrive",
        "departure": "Depart",
        "leaveAt": "Leave",
        "people": "People",
        "duration": "Time",
        "price": "Ticket",
        "trainID": "Id",
    },
}
"""``REF_USR_DA``: domain to goal slot to the MultiWOZ 2.0 slot the user says."""

_UNIFIED_SLOTS: Mapping[str, frozenset[str]] = {
    "attraction": frozenset(
        ("area", "name", "type", "entrance fee", "open hours", "address", "phone", "postcode")
        + ("choice",)
    ),
    "hotel": frozenset(
        ("internet", "parking", "area", "stars", "price range", "type", "name", "book people")
        + ("book stay", "book day", "phone", "postcode", "address", "ref", "choice")
    ),
    "taxi": frozenset(("destination", "departure", "leave at", "arrive by", "phone", "type")),
    "restaurant": frozenset(
        ("price range", "area", "food", "name", "address", "postcode", "phone", "book people")
        + ("book time", "book day", "ref", "choice")
    ),
    "train": frozenset(
        ("destination", "arrive by", "departure", "leave at", "duration", "book people", "day")
        + ("ref", "price", "train id", "choice")
    ),
    "police": frozenset(("name", "address", "postcode", "phone")),
    "hospital": frozenset(("department", "address", "phone", "postcode")),
    "general": frozenset(),
}
"""The slots of ConvLab's unified MultiWOZ 2.1 ontology (``preprocess.py:12-530``)."""

_SLOT_NAME_MAP: Mapping[str, str] = {
    "addr": "address",
    "post": "postcode",
    "pricerange": "price range",
    "arrive": "arrive by",
    "arriveby": "arrive by",
    "leave": "leave at",
    "leaveat": "leave at",
    "depart": "departure",
    "dest": "destination",
    "fee": "entrance fee",
    "open": "open hours",
    "car": "type",
    "car type": "type",
    "ticket": "price",
    "trainid": "train id",
    "id": "train id",
    "people": "book people",
    "stay": "book stay",
    "none": "",
}
"""``slot_name_map`` (``preprocess.py:535-571``): lower-cased MultiWOZ 2.0 slot to unified slot."""

_DOMAIN_SLOT_NAME_MAP: Mapping[str, Mapping[str, str]] = {
    "attraction": {"price": "entrance fee"},
    "hotel": {"day": "book day", "price": "price range"},
    "restaurant": {"day": "book day", "time": "book time", "price": "price range"},
    "train": {"day": "day", "time": "duration"},
}
"""``slot_name_map``'s per-domain part."""

_DONTCARE_SPELLINGS = frozenset(("do nt care", "do n't care"))
_EMPTY_SPELLINGS = frozenset(("?", "none", "not mentioned"))


def reverse_act(act: UnifiedAct) -> tuple[str, str, str, str]:
    """A unified act in MultiWOZ 2.0's names, as ConvLab's ``reverse_da`` gives it.

    Args:
        act: ``(intent, domain, slot, value)`` in the unified form.

    Returns:
        ``(domain, intent, slot, value)``: domain and intent lower-cased (``nooffer``,
        ``offerbook``...), the slot in MultiWOZ 2.0's spelling (``Addr``, ``People``; a slot
        without a MultiWOZ 2.0 name is capitalised, an empty one is ``none``), and an empty
        value made ``?`` for a request and ``none`` otherwise.

    >>> reverse_act(("request", "train", "leave at", ""))
    ('train', 'request', 'Leave', '?')
    """
    intent, domain, slot, value = act
    if value == "":
        value = "?" if intent == "request" else "none"
    return domain.lower(), intent.lower(), act_slot_name(domain, slot), value


def act_slot_name(domain: str, slot: str) -> str:
    """A unified slot's MultiWOZ 2.0 act name (``reverse_da``'s), as ConvLab's bots read it.

    >>> act_slot_name("hotel", "book stay"), act_slot_name("taxi", "type")
    ('Stay', 'Car')
    >>> act_slot_name("train", "")
    'none'
    """
    if slot in _REVERSE_SLOT:
        return _REVERSE_SLOT[slot]
    if slot in _REVERSE_DOMAIN_SLOT.get(domain, {}):
        return _REVERSE_DOMAIN_SLOT[domain][slot]
    return slot.capitalize() or "none"


def reverse_turn(acts: Sequence[UnifiedAct]) -> list[tuple[str, str, str, str]]:
    """A turn's acts through `reverse_act`, in the order ConvLab reads them back.

    ``reverse_da`` gathers the acts under their domain and intent, in order of first
    appearance, so ConvLab reads ``[inform a, request b, inform c]`` as
    ``[inform a, inform c, request b]``.

    >>> reverse_turn([("inform", "hotel", "area", "north"), ("request", "hotel", "stars", ""),
    ...               ("inform", "hotel", "stars", "4")])
    [('hotel', 'inform', 'Area', 'north'), ('hotel', 'inform', 'Stars', '4'), ('hotel', 'request', 'Stars', '?')]
    """
    grouped: dict[tuple[str, str], list[tuple[str, str, str, str]]] = {}
    for act in acts:
        reversed_act = reverse_act(act)
        grouped.setdefault(reversed_act[:2], []).append(reversed_act)
    return [reversed_act for group in grouped.values() for reversed_act in group]


def system_goal_slot(domain: str, slot: str) -> str | None:
    """The goal slot a system act's MultiWOZ 2.0 slot stands for, for ConvLab's agenda user.

    Args:
        domain: The act's domain, lower-cased.
        slot: The slot as `reverse_act` gives it.

    Returns:
        The goal slot (``none`` for an act without slot), or ``None`` when ConvLab's user
        drops the slot (a domain or slot its table lacks).
    """
    return SYSTEM_SLOTS.get(domain, {}).get(slot.lower())


def user_act_slot(domain: str, slot: str) -> str | None:
    """The MultiWOZ 2.0 name of a goal slot the user says, or ``None`` if ConvLab drops it."""
    return _USER_SLOTS.get(domain, {}).get(slot)


def unified_user_act(intent: str, domain: str, slot: str, value: str) -> UnifiedAct:
    """A user act given in MultiWOZ 2.0 names, in the unified form ConvLab's user emits.

    ConvLab's ``normalize_domain_slot_value`` maps the slot to the unified ontology and
    the value ``?``/``none``/``not mentioned`` to ``""``. Where it fails (a slot the domain's
    unified ontology lacks, as ``NotBook``), ConvLab's user keeps the act as it was, and so
    does this function.

    Args:
        intent: The intent, lower-cased.
        domain: The domain, lower-cased.
        slot: The MultiWOZ 2.0 slot (`user_act_slot`), or ``none``, ``Choice``, ``NotBook``.
        value: The value.

    Returns:
        The unified act.

    >>> unified_user_act("inform", "train", "NotBook", "none")
    ('inform', 'train', 'NotBook', 'none')
    >>> unified_user_act("bye", "general", "none", "none")
    ('bye', 'general', '', '')
    """
    unified = _unified_slot(domain, slot.lower())
    if unified is None:
        return (intent, domain, slot, value)
    text = value.strip()
    if text in _DONTCARE_SPELLINGS:
        text = "dontcare"
    elif text in _EMPTY_SPELLINGS:
        text = ""
    return (intent, domain, unified, text)


def unified_slot(domain: str, slot: str) -> str | None:
    """A MultiWOZ 2.0 slot (a goal's or an act's) in the unified ontology's name.

    As ConvLab's ``normalize_domain_slot_value`` names it; ``None`` for a slot it cannot name.

    >>> unified_slot("hotel", "pricerange"), unified_slot("train", "day"), unified_slot("hotel", "day")
    ('price range', 'day', 'book day')
    """
    return _unified_slot(domain, slot.lower())


def _unified_slot(domain: str, slot: str) -> str | None:
    known = _UNIFIED_SLOTS.get(domain)
    if known is None:
        return None
    if slot in known:
        return slot
    if slot in _SLOT_NAME_MAP:
        slot = _SLOT_NAME_MAP[slot]
    elif slot in _DOMAIN_SLOT_NAME_MAP.get(domain, {}):
        slot = _DOMAIN_SLOT_NAME_MAP[domain][slot]
    else:
        return None
    return slot if slot == "" or slot in known else None
