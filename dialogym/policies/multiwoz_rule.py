"""ConvLab-3's rule system policy for MultiWOZ, reading dialogym's rule-tracker state directly.

ConvLab-3's ``RuleBasedMultiwozBot`` (``convlab/policy/rule/multiwoz/rule_based_multiwoz_bot.py``
at 2a168fc, read for its behaviour; this is a rewrite) still reads ConvLab-2's state layout and
crashes on ConvLab-3's own tracker, so ConvLab's figures were measured through an adapter that
converted the state and the acts. `MultiWozRulePolicy` reads `MultiWozState` as it is and
answers in ConvLab's unified acts, as that adapter passed them on. It keeps the bot's
decisions, its defects included, because they are what ConvLab's figures measure:

- **general**: ``bye`` → ``bye``, and ``welcome`` with p = 0.3; ``thank`` → ``welcome``. These
  acts carry no slot, so a turn holding nothing else becomes ``greet`` (below): the bot never
  says a lone ``bye``.
- **taxi** (any taxi act): with neither ``leave at`` nor ``arrive by`` known, request one or both
  of them (departure and destination are never asked); otherwise inform a random car ``type``
  and a random 11-digit ``phone``.
- **restaurant, hotel, attraction, hospital, police**: query the database with the domain's
  non-empty belief slots (``dontcare`` matches everything). A ``request`` is answered from the
  *first* match (``unknown`` where it has no such column), or ``nooffer`` listing the
  constraints when nothing matches. Any other intent: ``nooffer`` with no match; with one match,
  inform 1..k of the domain's belief slots (k of them, random, empty ones included) with the
  entity's values; with more, inform ``choice`` = the number of matches and recommend a random
  match: its ``name`` (not for hospital), and 0-2 random properties of it.
- **train** (`_update_train`): with no time known, request ``leave at``, ``arrive by`` or both
  (p ≈ ⅓ each); request each missing ``day``, ``destination``, ``departure``. A ``request`` is
  answered from the first match. Otherwise ``nooffer`` listing the constraints when nothing
  matches, and ``offerbook`` echoing the constraints once the four (or five) are known, after
  every train inform; a train id is never offered.
- **booking** (`_judge_booking`): when the user informs a booking slot (train: people;
  restaurant: time, day, people; hotel: stay, day, people) of a domain that had matches this
  turn, book its first match: ``("book", d, "", "")`` + ``("inform", d, "ref", "<row index, 8
  digits>")``, with ``d`` the domain the user spoke about last (the adapter's rule; the
  reference is still the booking domain's). Every other act of the turn is dropped, the
  ``reqmore`` added with p = 0.5 first included, so the bot never sends ``reqmore``.
- **greet**: when no act carries a slot (and none is a ``nooffer``), the turn is
  ``("greet", "general", "", "")``; so is a turn whose user acts are empty (ConvLab then diffs the
  state against the last one, and finds no change).

Slot names are turned back into unified names as the adapter did (ConvLab's
``normalize_domain_slot_value``), and so are values: ``?``, ``none`` and ``not mentioned``
become ``""``, ``do n't care`` becomes ``dontcare``. A recommended attraction's ``Ref`` has no
unified slot (that normaliser rejects it) and is left out. ConvLab's ``recommend_flag``,
``choice`` and ``candidate`` are written but never read by any decision, so nothing of them is
kept here. All randomness comes from a `RandomStream`: the same stream gives the same acts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dialogym.acts import UnifiedAct
from dialogym.domains.multiwoz import MultiWozDatabase, load_multiwoz
from dialogym.envs.rollout import ActsPolicy
from dialogym.randomness import RandomStream
from dialogym.tracking.multiwoz_dst import BELIEF_SLOTS, MultiWozState
from dialogym.unified_acts import act_slot_name

VENUE_DOMAINS = ("restaurant", "hotel", "attraction", "hospital", "police")
"""The domains answered by a database query on their belief slots (ConvLab's ``_update_DA``)."""

NAMED_DOMAINS = frozenset(("hotel", "attraction", "police", "restaurant"))
"""The domains whose recommendation names the entity (hospital's does not)."""

REF_DOMAINS = frozenset(("restaurant", "hotel", "attraction", "train"))
"""The domains whose query results carry a ``Ref`` (ConvLab's query adds none for hospital and
police)."""

INFO_SLOTS: Mapping[str, tuple[str, ...]] = {
    domain: tuple(s for s in BELIEF_SLOTS.get(domain, ()) if not s.startswith("book "))
    for domain in VENUE_DOMAINS
}
"""Per venue domain, the belief slots queried and informed (ConvLab-2's ``semi`` part)."""

COLUMNS: Mapping[str, str] = {
    "price range": "pricerange",
    "leave at": "leaveAt",
    "arrive by": "arriveBy",
}
"""Unified slot names whose database column is spelled otherwise (the others are the same)."""

BOOKING_SLOTS: Mapping[str, frozenset[str]] = {
    "train": frozenset(("People",)),
    "restaurant": frozenset(("Time", "Day", "People")),
    "hotel": frozenset(("Stay", "Day", "People")),
}
"""Per domain, the booking slots (ConvLab's short names) whose inform makes the bot book."""

REQUEST_COLUMNS: Mapping[str, Mapping[str, str]] = {
    "attraction": {
        "Addr": "address",
        "Area": "area",
        "Choice": "choice",
        "Fee": "entrance fee",
        "Name": "name",
        "Phone": "phone",
        "Post": "postcode",
        "Price": "pricerange",
        "Type": "type",
    },
    "hospital": {
        "Department": "department",
        "Addr": "address",
        "Post": "postcode",
        "Phone": "phone",
    },
    "hotel": {
        "Addr": "address",
        "Area": "area",
        "Choice": "choice",
        "Internet": "internet",
        "Name": "name",
        "Parking": "parking",
        "Phone": "phone",
        "Post": "postcode",
        "Price": "pricerange",
        "Ref": "Ref",
        "Stars": "stars",
        "Type": "type",
    },
    "restaurant": {
        "Addr": "address",
        "Area": "area",
        "Choice": "choice",
        "Name": "name",
        "Food": "food",
        "Phone": "phone",
        "Post": "postcode",
        "Price": "pricerange",
        "Ref": "Ref",
    },
    "train": {
        "Arrive": "arriveBy",
        "Choice": "choice",
        "Day": "day",
        "Depart": "departure",
        "Dest": "destination",
        "Id": "trainID",
        "Leave": "leaveAt",
        "People": "people",
        "Ref": "Ref",
        "Time": "duration",
        "Ticket": "price",
    },
    "police": {"Addr": "address", "Post": "postcode", "Phone": "phone", "Name": "name"},
}
"""Per domain, the short name of a requested slot to the column that answers it (ConvLab's
``REF_SYS_DA``; a name it lacks is looked up as it is, so only ``Ref`` can still answer)."""

RECOMMEND_SLOTS: Mapping[str, Mapping[str, str]] = {
    "restaurant": {
        "address": "address",
        "area": "area",
        "food": "food",
        "name": "name",
        "phone": "phone",
        "postcode": "postcode",
        "pricerange": "price range",
        "Ref": "ref",
    },
    "hotel": {
        "address": "address",
        "area": "area",
        "internet": "internet",
        "parking": "parking",
        "name": "name",
        "phone": "phone",
        "postcode": "postcode",
        "pricerange": "price range",
        "stars": "stars",
        "type": "type",
        "Ref": "ref",
    },
    "attraction": {
        "address": "address",
        "area": "area",
        "entrance fee": "entrance fee",
        "name": "name",
        "phone": "phone",
        "postcode": "postcode",
        "type": "type",
    },
    "hospital": {
        "department": "department",
        "address": "address",
        "postcode": "postcode",
        "phone": "phone",
    },
    "police": {"address": "address", "postcode": "postcode", "phone": "phone", "name": "name"},
}
"""Per venue domain, the columns a recommendation may inform, to their unified slots (the
columns whose short name is one the bot informs; attraction's ``Ref`` is left out)."""

NOOFFER_SKIPPED = frozenset(("do nt care", "do n't care", "dontcare"))
"""Belief values a venue's ``nooffer`` does not list (train's lists every constraint)."""

_TRAIN_TIMES = (("leave at", "leaveAt"), ("arrive by", "arriveBy"))
_TRAIN_PLACES = ("day", "destination", "departure")
_Key = tuple[str, str]
"""(domain, intent) of a group of system acts; the booking is ``("booking", "book")``."""
_BOOKING: _Key = ("booking", "book")


def system_value(value: object) -> str:
    """A value as the adapter passed it on (ConvLab's ``normalize_domain_slot_value``).

    >>> system_value(" ? "), system_value("do n't care"), system_value(3)
    ('', 'dontcare', '3')
    """
    text = str(value).strip()
    if text in ("do nt care", "do n't care"):
        return "dontcare"
    return "" if text in ("?", "none", "not mentioned") else text


class MultiWozRulePolicy(ActsPolicy):
    """ConvLab-3's rule system policy for MultiWOZ (see the module's docstring for its rules).

    It speaks acts (`ActsPolicy`): the world's `play` plays it, and so does the rollout through
    a `MultiWozEnv` (``make_policy("handcrafted", env)``), with the same dialogues.

    Args:
        random: The stream every random choice is drawn from.
        database: The MultiWOZ databases; by default the package data's.
    """

    def __init__(self, random: RandomStream, database: MultiWozDatabase | None = None) -> None:
        self.random = random
        self.database = load_multiwoz().database if database is None else database
        self._last_domain = ""
        self._matches: dict[str, tuple[int, ...]] = {}

    def reset(self, random: RandomStream | None = None) -> None:
        """Start a new dialogue, optionally drawing from another stream from now on."""
        if random is not None:
            self.random = random
        self._last_domain = ""

    def act(self, state: MultiWozState) -> list[UnifiedAct]:
        """The system's acts for the user's latest turn.

        Reads ``state.user_acts`` (the turn's user acts, in order) and ``state.belief`` (the
        constraints the database is queried with); nothing else of the state.

        Args:
            state: The rule tracker's state after the user's turn.

        Returns:
            The acts, in ConvLab's unified form and order.
        """
        grouped: dict[_Key, list[tuple[str, str]]] = {}
        for user_act in state.user_acts:
            if user_act[1] != "general":
                self._last_domain = user_act[1]
        for intent, domain, slot, value in state.user_acts:
            grouped.setdefault((domain, intent), []).append((slot, value))
        self._matches = {}
        acts: dict[_Key, list[tuple[str, str]]] = {}
        for (domain, intent), slots in grouped.items():
            if domain == "general":
                self._update_greeting(intent, acts)
            elif domain == "taxi":
                self._book_taxi(state.belief.get("taxi", {}), acts)
            elif domain == "train":
                self._update_train(intent, slots, state.belief.get("train", {}), acts)
            elif domain in INFO_SLOTS:
                self._update_venue(domain, intent, slots, state.belief.get(domain, {}), acts)
            self._judge_booking(domain, slots, acts)
            if _BOOKING in acts:
                self.random.random()  # the reqmore draw; the reqmore is dropped with the rest
                booking = acts[_BOOKING]
                acts.clear()
                acts[_BOOKING] = booking
        return self._flatten(acts)

    def _flatten(self, acts: dict[_Key, list[tuple[str, str]]]) -> list[UnifiedAct]:
        if _BOOKING in acts:
            domain = self._last_domain
            ((_, ref),) = acts[_BOOKING]
            return [("book", domain, "", ""), ("inform", domain, "ref", ref)]
        if not any(slots or intent == "nooffer" for (_, intent), slots in acts.items()):
            return [("greet", "general", "", "")]
        out: list[UnifiedAct] = []
        for (domain, intent), slots in acts.items():
            if domain == "general":
                out.append((intent, domain, "", ""))
            else:
                out.extend((intent, domain, slot, system_value(value)) for slot, value in slots)
        return out

    def _update_greeting(self, intent: str, acts: dict[_Key, list[tuple[str, str]]]) -> None:
        if intent == "bye":
            acts.setdefault(("general", "bye"), [])
            if self.random.random() < 0.3:
                acts.setdefault(("general", "welcome"), [])
        elif intent == "thank":
            acts[("general", "welcome")] = []

    def _book_taxi(
        self, belief: Mapping[str, str], acts: dict[_Key, list[tuple[str, str]]]
    ) -> None:
        if not belief.get("leave at") and not belief.get("arrive by"):
            count = self.random.below(2) + 1
            requests = acts.setdefault(("taxi", "request"), [])
            requests.extend((slot, "") for slot in ("leave at", "arrive by")[:count])
            return
        car = self.random.choice(self.database.taxi.types)
        phone = "".join(str(self.random.below(10)) for _ in range(11))
        acts.setdefault(("taxi", "inform"), []).extend((("type", car), ("phone", phone)))

    def _update_venue(
        self,
        domain: str,
        intent: str,
        slots: Sequence[tuple[str, str]],
        belief: Mapping[str, str],
        acts: dict[_Key, list[tuple[str, str]]],
    ) -> None:
        info = [(slot, belief.get(slot, "")) for slot in INFO_SLOTS[domain]]
        constraints = [(COLUMNS.get(slot, slot), value) for slot, value in info if value]
        found = self.database.match(domain, constraints)
        self._matches[domain] = found
        if not found:
            nooffer = acts.setdefault((domain, "nooffer"), [])
            nooffer.extend((s, v) for s, v in info if v and v not in NOOFFER_SKIPPED)
        if intent == "request":
            inform = acts.setdefault((domain, "inform"), [])
            if found:
                for slot, _ in slots:
                    value = self._column_value(domain, found[0], _request_column(domain, slot))
                    inform.append((slot, "unknown" if value is None else str(value)))
        elif len(found) == 1:
            inform = acts.setdefault((domain, "inform"), [])
            row = self.database.rows(domain)[found[0]]
            props = list(INFO_SLOTS[domain])
            if props:
                count = self.random.below(len(props)) + 1
                self.random.shuffle(props)
                inform.extend((slot, str(row[COLUMNS.get(slot, slot)])) for slot in props[:count])
        elif found:
            acts.setdefault((domain, "inform"), []).append(("choice", str(len(found))))
            recommend = acts.setdefault((domain, "recommend"), [])
            index = found[self.random.below(len(found))]
            row = self.database.rows(domain)[index]
            if domain in NAMED_DOMAINS:
                recommend.append(("name", row["name"]))
            columns = [*row, "Ref"] if domain in REF_DOMAINS else list(row)
            count = min(self.random.below(3), len(columns))
            self.random.shuffle(columns)
            for column in columns[:count]:
                unified = RECOMMEND_SLOTS[domain].get(column)
                if unified is not None:
                    recommend.append((unified, str(self._column_value(domain, index, column))))

    def _update_train(
        self,
        intent: str,
        slots: Sequence[tuple[str, str]],
        belief: Mapping[str, str],
        acts: dict[_Key, list[tuple[str, str]]],
    ) -> None:
        constraints = [
            (slot, column, belief[slot]) for slot, column in _TRAIN_TIMES if belief.get(slot)
        ]
        if not constraints:
            requests = acts.setdefault(("train", "request"), [])
            draw = self.random.random()
            if draw < 0.33:
                requests.append(("leave at", ""))
            elif draw < 0.66:
                requests.append(("arrive by", ""))
            else:
                requests.extend((("leave at", ""), ("arrive by", "")))
        requests = acts.setdefault(("train", "request"), [])
        for slot in _TRAIN_PLACES:
            if belief.get(slot):
                constraints.append((slot, slot, belief[slot]))
            else:
                requests.append((slot, ""))
        found = self.database.match("train", [(column, value) for _, column, value in constraints])
        self._matches["train"] = found
        if intent == "request":
            del acts[("train", "request")]
            inform = acts.setdefault(("train", "inform"), [])
            if found:
                for slot, _ in slots:
                    value = self._column_value("train", found[0], _request_column("train", slot))
                    if value is not None:
                        inform.append((slot, str(value)))
        elif not found:
            acts.pop(("train", "request"), None)
            nooffer = acts.setdefault(("train", "nooffer"), [])
            nooffer.extend((slot, value) for slot, _, value in constraints)
        elif len(constraints) >= 4:
            acts.pop(("train", "request"), None)
            offerbook = acts.setdefault(("train", "offerbook"), [])
            offerbook.extend((slot, value) for slot, _, value in constraints)

    def _judge_booking(
        self, domain: str, slots: Sequence[tuple[str, str]], acts: dict[_Key, list[tuple[str, str]]]
    ) -> None:
        wanted = BOOKING_SLOTS.get(domain)
        if wanted is None or _BOOKING in acts or not self._matches.get(domain):
            return
        if any(act_slot_name(domain, slot) in wanted for slot, _ in slots):
            acts[_BOOKING] = [("ref", f"{self._matches[domain][0]:08d}")]

    def _column_value(self, domain: str, index: int, column: str) -> object | None:
        """A result's value for a column, ``None`` when it has none (``Ref`` = the row index)."""
        if column == "Ref":
            return f"{index:08d}" if domain in REF_DOMAINS else None
        return self.database.rows(domain)[index].get(column)


def _request_column(domain: str, slot: str) -> str:
    name = act_slot_name(domain, slot)
    return REQUEST_COLUMNS[domain].get(name, name)
