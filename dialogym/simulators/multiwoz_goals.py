"""MultiWOZ user goals drawn as ConvLab-3's ``GoalGenerator`` draws them.

ConvLab-3's generator (``convlab/task/multiwoz/goal_generator.py`` at 2a168fc, read for its
behaviour; this is a rewrite) draws a goal from a model fitted on MultiWOZ's training goals
(``goal/goal_model.json``, see ``goal_model.md`` in the package data):

1. The domains and their order come from ``domain_ordering_dist``, drawn again while empty.
2. Per domain, until the domain goal has requests or a booking:

   - the set of info slots from ``slots_combination_dist`` (weighted by count), each value
     from ``ind_slot_value_dist``; an empty set is drawn again;
   - a name drawn with other slots is kept alone (p = ``ind_slot_dist`` of the name) or
     dropped (hotel, restaurant, attraction);
   - train and taxi keep one of arriveBy and leaveAt, or gain one when they have neither,
     in proportion to those slots' ``ind_slot_dist``;
   - a train's departure and destination come from a random row of the train database; a
     taxi's missing places are drawn, and one is drawn again when both are the same;
   - each requestable slot not in info is requested with its ``ind_slot_dist`` probability;
   - a booking with probability ``book_dist``: each booking slot with its probability, then
     the slots a booking needs (restaurant time, day, people; hotel stay, day, people; train
     people when it has none);
   - info that matches no entity is mended by up to 100 tries, each giving one slot a value
     drawn uniformly from its values; the first that matches becomes ``info`` and the
     original ``fail_info`` (train: the original is simply replaced); if none matches, the
     domain goal is drawn again;
   - requests whose value is unknown in a matching entity are dropped (train, hotel,
     restaurant, attraction).

3. Links across domains: a taxi after one venue loses its destination, after two its
   departure too (the user names the venues instead); a taxi whose last venue before it is
   a booked restaurant must arrive by the booking time (and keeps no leaveAt); a restaurant
   after an attraction takes the attraction's area with p = 0.5 when an entity still
   matches; a restaurant booking takes the hotel booking's day, and its people with
   p = 0.5; a train to Cambridge runs on the hotel's first day, a train from Cambridge on the
   day after the stay.

ConvLab's request check skips the slot after each one it drops (it removes from the list it
loops over), and so does this one. With ConvLab's databases the skipped slot is always known
(only attraction entrance fees and three restaurant phones are unknown, each the first of its
domain's requestable slots to be checked), so every request is known for the info it was
checked against; the check comes before the links, so a restaurant that takes the
attraction's area may come to match an entity with an unknown phone, as in ConvLab.

Where ConvLab cannot go on, this generator does what ConvLab's code meant: a train made
infeasible by the hotel's day is removed from the goal (ConvLab raises ``TypeError`` there,
``tuple(list.remove(...))``). ConvLab's ``book_again`` (never read) and ``fail_book`` (switched
off in 2020) are not generated. Draws come from a `RandomStream`, not Python's ``random``, so
goals follow ConvLab's distribution but not its exact sequence for a seed.
"""

from __future__ import annotations

import math
import os
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, NoReturn, TypeVar

from dialogym.domains.domain import excerpt
from dialogym.domains.multiwoz import (
    MULTIWOZ_DOMAINS,
    MultiWozData,
    load_from_folder,
    load_multiwoz,
    read_json,
)
from dialogym.domains.native import DEFAULT_LIMITS, DomainLimits, fail
from dialogym.randomness import RandomStream

T = TypeVar("T")

GOAL_MODEL_FILE = "goal/goal_model.json"
"""The goal model's path inside a MultiWOZ folder."""

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
"""The days of the week, in order (a train after a hotel stay leaves ``stay`` days later)."""

NAME_DOMAINS = ("hotel", "restaurant", "attraction")
"""Domains where a name drawn with other info slots is kept alone or dropped."""

TIMED_DOMAINS = ("train", "taxi")
"""Domains whose info keeps exactly one of arriveBy and leaveAt."""

VENUES = ("attraction", "hotel", "restaurant", "police", "hospital")
"""Domains a taxi can take the user to or from."""

REQUEST_CHECKED = ("train", "hotel", "restaurant", "attraction")
"""Domains whose requests are checked against the database's unknown values."""

BOOKING_NEEDS: Mapping[str, tuple[str, ...]] = {
    "restaurant": ("time", "day", "people"),
    "hotel": ("stay", "day", "people"),
    "train": ("people",),
}
"""The booking slots each domain's booking is completed with (train: only when it has none)."""

MAX_ADJUSTMENTS = 100
"""One-slot mends tried on info that matches no entity before the domain goal is redrawn."""


# --------------------------------------------------------------------------------------------
# Goals
# --------------------------------------------------------------------------------------------


class SlotValues(Mapping[str, str]):
    """An immutable, ordered, hashable mapping slot -> value (a part of a domain goal).

    >>> SlotValues({"area": "north", "stars": "4"})
    SlotValues({'area': 'north', 'stars': '4'})
    """

    __slots__ = ("_data",)

    def __init__(self, items: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        self._data = dict(items)

    def __getitem__(self, slot: str) -> str:
        return self._data[slot]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(tuple(self._data.items()))

    def __repr__(self) -> str:
        return f"SlotValues({self._data!r})"

    def __reduce__(self) -> tuple[type[SlotValues], tuple[tuple[tuple[str, str], ...]]]:
        return SlotValues, (tuple(self._data.items()),)


@dataclass(frozen=True)
class DomainGoal:
    """What the user wants in one domain.

    Attributes:
        domain: The domain.
        info: Constraints an entity must meet (the feasible ones).
        reqt: Slots the user wants to learn, in ConvLab's order.
        book: Booking slots and values; empty when the user books nothing.
        fail_info: Constraints the user states first and that match no entity; empty for
            most goals.
        fail_book: A booking the user tries first and that fails; ConvLab no longer draws
            one, but its goals may carry it.
    """

    domain: str
    info: SlotValues = field(default_factory=SlotValues)
    reqt: tuple[str, ...] = ()
    book: SlotValues = field(default_factory=SlotValues)
    fail_info: SlotValues = field(default_factory=SlotValues)
    fail_book: SlotValues = field(default_factory=SlotValues)


@dataclass(frozen=True)
class MultiWozGoal:
    """A multi-domain user goal: one `DomainGoal` per domain, in the order the user takes them.

    >>> goal = MultiWozGoal.from_convlab({"police": {"info": {}, "reqt": ["phone"]}})
    >>> goal.domains, goal["police"].reqt
    (('police',), ('phone',))
    """

    domain_goals: tuple[DomainGoal, ...]

    @property
    def domains(self) -> tuple[str, ...]:
        """The goal's domains in order (ConvLab's ``domain_ordering``)."""
        return tuple(goal.domain for goal in self.domain_goals)

    def __getitem__(self, domain: str) -> DomainGoal:
        for goal in self.domain_goals:
            if goal.domain == domain:
                return goal
        raise KeyError(domain)

    def __contains__(self, domain: object) -> bool:
        return any(goal.domain == domain for goal in self.domain_goals)

    def describe(self) -> str:
        """One line for transcripts: each domain's constraints, requests and booking.

        >>> MultiWozGoal.from_convlab(
        ...     {"hotel": {"info": {"area": "east"}, "reqt": ["phone"], "book": {"day": "monday"}}}
        ... ).describe()
        'hotel: area=east | phone | book day=monday'
        """
        parts = []
        for goal in self.domain_goals:
            text = f"{goal.domain}: {' '.join(f'{s}={v}' for s, v in goal.info.items())}"
            text += f" | {' '.join(goal.reqt)}"
            if goal.book:
                text += " | book " + " ".join(f"{s}={v}" for s, v in goal.book.items())
            parts.append(text)
        return "; ".join(parts)

    def to_convlab(self) -> dict[str, Any]:
        """The goal as ConvLab's ``GoalGenerator.get_user_goal`` returns it.

        A dict ``{domain: {"info": {...}, "reqt": [...], "book": {...}, "fail_info": {...}},
        "domain_ordering": (domain, ...)}``; parts a domain goal lacks are left out, except
        ``info``.
        """
        out: dict[str, Any] = {}
        for goal in self.domain_goals:
            part: dict[str, Any] = {"info": dict(goal.info)}
            if goal.reqt:
                part["reqt"] = list(goal.reqt)
            for name in ("book", "fail_info", "fail_book"):
                if getattr(goal, name):
                    part[name] = dict(getattr(goal, name))
            out[goal.domain] = part
        out["domain_ordering"] = self.domains
        return out

    @classmethod
    def from_convlab(cls, data: Mapping[str, Any]) -> MultiWozGoal:
        """Read a goal in ConvLab's form (:meth:`to_convlab`, or a goal read back from JSON).

        ``reqt`` may be a list or, as ConvLab's agenda user keeps it, a mapping whose keys
        are the slots. ``book_again`` and ``booked`` are accepted and ignored. Without
        ``domain_ordering`` the domains are taken in the mapping's order.

        Raises:
            ValueError: A part is malformed; the message names it.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"goal: must be a mapping, not {type(data).__name__}")
        ordering = data.get("domain_ordering", [key for key in data if key != "domain_ordering"])
        if not isinstance(ordering, (list, tuple)):
            raise ValueError("goal: domain_ordering must be a list of domains")
        return cls(tuple(_domain_goal_from_convlab(domain, data) for domain in ordering))


def _domain_goal_from_convlab(domain: object, data: Mapping[str, Any]) -> DomainGoal:
    if not isinstance(domain, str) or not isinstance(data.get(domain), Mapping):
        raise ValueError(f"goal: {excerpt(domain)} has no domain goal (a mapping)")
    part = data[domain]
    unknown = set(part) - {"info", "reqt", "book", "fail_info", "fail_book", "book_again", "booked"}
    if unknown:
        raise ValueError(f"goal: {domain}: unknown part {excerpt(sorted(unknown)[0])}")
    reqt = part.get("reqt", ())
    if not isinstance(reqt, (list, tuple, Mapping)) or not all(isinstance(s, str) for s in reqt):
        raise ValueError(f"goal: {domain}.reqt: must be a list of slots")
    parts = {
        name: _slot_values(f"{domain}.{name}", part.get(name, {}))
        for name in ("info", "book", "fail_info", "fail_book")
    }
    return DomainGoal(domain, reqt=tuple(reqt), **parts)


def _slot_values(where: str, raw: object) -> SlotValues:
    if not isinstance(raw, Mapping) or not all(
        isinstance(slot, str) and isinstance(value, str) for slot, value in raw.items()
    ):
        raise ValueError(f"goal: {where}: must map slots to string values")
    return SlotValues(raw)


# --------------------------------------------------------------------------------------------
# The goal model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Categorical(Generic[T]):
    """A distribution over labels, drawn with one uniform by bisection.

    Attributes:
        labels: The outcomes, in the model file's order.
        cumulative: Upper bounds of the first ``len(labels) - 1`` outcomes on [0, 1); the last
            outcome takes the rest, as NumPy's ``multinomial`` (ConvLab's ``nomial_sample``)
            gives the last category whatever the others leave.
    """

    labels: tuple[T, ...]
    cumulative: tuple[float, ...]

    @classmethod
    def from_weights(cls, labels: Sequence[T], weights: Sequence[float]) -> Categorical[T]:
        """Outcomes with probability proportional to their weights (``random.choices``)."""
        total = math.fsum(weights)
        return cls.from_probabilities(labels, [w / total for w in weights])

    @classmethod
    def from_probabilities(cls, labels: Sequence[T], probs: Sequence[float]) -> Categorical[T]:
        """Outcomes with the given probabilities; the last one takes what the others leave."""
        running = 0.0
        cumulative = []
        for p in probs[:-1]:
            running += p
            cumulative.append(running)
        return cls(tuple(labels), tuple(cumulative))

    def draw(self, stream: RandomStream) -> T:
        """One outcome."""
        return self.labels[bisect_right(self.cumulative, stream.random())]


@dataclass(frozen=True)
class DomainModel:
    """ConvLab's goal model for one domain (see ``goal_model.md``).

    Attributes:
        domain: The domain.
        info_sets: The distribution of info slot sets; ``None`` when goals of this domain
            have no info (police).
        info_values: Info slot to the distribution of its values.
        info_share: Info slot to P(the slot is in a goal of the domain) (``ind_slot_dist``).
        reqt_share: Requestable slot and P(requested), in the model's order.
        book_share: P(the domain goal has a booking) (``book_dist``).
        book_slot_share: Booking slot and P(included in a booking), in the model's order;
            empty when the domain has no bookings.
        book_values: Booking slot to the distribution of its values.
    """

    domain: str
    info_sets: Categorical[tuple[str, ...]] | None
    info_values: Mapping[str, Categorical[str]]
    info_share: Mapping[str, float]
    reqt_share: tuple[tuple[str, float], ...]
    book_share: float
    book_slot_share: tuple[tuple[str, float], ...]
    book_values: Mapping[str, Categorical[str]]


@dataclass(frozen=True)
class MultiWozGoalModel:
    """ConvLab-3's MultiWOZ goal model, ready to draw from.

    Attributes:
        orderings: The distribution of domain orderings (the empty one included, as in the
            file; the generator draws again on it).
        domains: Domain to its model.
    """

    orderings: Categorical[tuple[str, ...]]
    domains: Mapping[str, DomainModel]


def load_goal_model(
    folder: str | os.PathLike[str] | None = None, *, limits: DomainLimits = DEFAULT_LIMITS
) -> MultiWozGoalModel:
    """Load ConvLab's goal model from the package data or a MultiWOZ folder.

    Args:
        folder: A folder holding ``goal/goal_model.json``; ``None`` for the package data.
        limits: Bounds on what may be read.

    Returns:
        The model (the package data's is loaded once and shared).

    Raises:
        DomainError: The file is missing, outside the folder, too big or malformed; the
            one-line message names the file and the field.
    """
    return load_from_folder(_load_goal_model, folder, limits)


def _load_goal_model(folder: Path, limits: DomainLimits) -> MultiWozGoalModel:
    reader = _ModelReader(folder / GOAL_MODEL_FILE, read_json(folder, GOAL_MODEL_FILE, limits))
    return reader.model()


class _ModelReader:
    """Checks goal_model.json field by field while turning it into a `MultiWozGoalModel`."""

    def __init__(self, path: Path, data: object) -> None:
        self.path = path
        self.data = self.mapping("", data)

    def fail(self, where: str, problem: str) -> NoReturn:
        fail(self.path, where or None, problem)

    def mapping(self, where: str, raw: object) -> Mapping[str, Any]:
        if not isinstance(raw, Mapping):
            self.fail(where, f"must be a JSON object, not {type(raw).__name__}")
        return raw

    def entries(self, where: str, raw: object) -> list[Mapping[str, Any]]:
        if not isinstance(raw, list) or not raw:
            self.fail(where, "must be a non-empty list")
        return [self.mapping(f"{where}[{i}]", entry) for i, entry in enumerate(raw)]

    def number(self, where: str, raw: object, *, share: bool) -> float:
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
            self.fail(where, f"{excerpt(raw)} is not a number")
        if raw < 0 or (share and raw > 1):
            self.fail(where, f"{raw} is not a {'probability' if share else 'count >= 0'}")
        return float(raw)

    def strings(self, where: str, raw: object) -> tuple[str, ...]:
        if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
            self.fail(where, "must be a list of strings")
        return tuple(raw)

    def shares(self, where: str, raw: object) -> dict[str, float]:
        table = self.mapping(where, raw)
        return {k: self.number(f"{where}.{k}", v, share=True) for k, v in table.items()}

    def values(self, where: str, raw: object) -> Categorical[str]:
        table = self.shares(where, raw)
        if not table:
            self.fail(where, "has no value")
        return Categorical.from_probabilities(list(table), list(table.values()))

    def need(self, table: Mapping[str, Any], where: str, key: str) -> Any:
        if key not in table:
            self.fail(f"{where}.{key}" if where else key, "missing")
        return table[key]

    def table(self, key: str) -> Mapping[str, Any]:
        return self.mapping(key, self.need(self.data, "", key))

    def model(self) -> MultiWozGoalModel:
        where = "domain_ordering_dist"
        orderings, probs = [], []
        for i, entry in enumerate(self.entries(where, self.need(self.data, "", where))):
            here = f"{where}[{i}]"
            domains = self.strings(f"{here}.domains", self.need(entry, here, "domains"))
            for domain in domains:
                if domain not in MULTIWOZ_DOMAINS:
                    self.fail(f"{here}.domains", f"unknown domain {excerpt(domain)}")
            orderings.append(domains)
            probs.append(self.number(f"{here}.p", self.need(entry, here, "p"), share=True))
        if not any(orderings):
            self.fail(where, "has no non-empty ordering")
        return MultiWozGoalModel(
            Categorical.from_probabilities(orderings, probs),
            {domain: self.domain(domain) for domain in MULTIWOZ_DOMAINS},
        )

    def part(self, key: str, domain: str) -> Mapping[str, Any]:
        """``data[key][domain]``, checked to be an object."""
        return self.mapping(f"{key}.{domain}", self.need(self.table(key), key, domain))

    def domain(self, domain: str) -> DomainModel:
        slot_dist = self.part("ind_slot_dist", domain)
        value_dist = self.part("ind_slot_value_dist", domain)
        here = f"book_dist.{domain}"
        book_share = self.number(
            here, self.need(self.table("book_dist"), "book_dist", domain), share=True
        )
        info_share = self.shares(f"ind_slot_dist.{domain}.info", slot_dist.get("info", {}))
        info_sets = None
        info_slots: set[str] = set()
        if "info" in slot_dist:
            info_sets = self.info_sets(domain)
            info_slots = {slot for slots in info_sets.labels for slot in slots}
            needed: tuple[str, ...] = ()
            if domain in NAME_DOMAINS and any("name" in s and len(s) > 1 for s in info_sets.labels):
                needed = ("name",)
            if domain in TIMED_DOMAINS:
                info_slots |= {"arriveBy", "leaveAt", "departure", "destination"}
                needed = ("arriveBy", "leaveAt")
                needed += ("departure", "destination") if domain == "taxi" else ()
            for slot in needed:
                self.need(info_share, f"ind_slot_dist.{domain}.info", slot)
        info_values = self.value_tables(domain, "info", value_dist, sorted(info_slots))
        reqt_share = tuple(
            self.shares(f"ind_slot_dist.{domain}.reqt", slot_dist.get("reqt", {})).items()
        )
        book_slot_share: tuple[tuple[str, float], ...] = ()
        book_values: dict[str, Categorical[str]] = {}
        if "book" in slot_dist:
            book_slot_share = tuple(
                self.shares(f"ind_slot_dist.{domain}.book", slot_dist["book"]).items()
            )
            slots = dict.fromkeys(
                [s for s, _ in book_slot_share] + list(BOOKING_NEEDS.get(domain, ()))
            )
            book_values = self.value_tables(domain, "book", value_dist, list(slots))
            where = f"ind_slot_value_dist.{domain}.book"
            if "day" in book_values and not set(book_values["day"].labels) <= set(DAYS):
                self.fail(f"{where}.day", "holds a value that is not a day of the week")
            if "stay" in book_values and not all(v.isdigit() for v in book_values["stay"].labels):
                self.fail(f"{where}.stay", "holds a value that is not a number of nights")
        return DomainModel(
            domain,
            info_sets,
            info_values,
            info_share,
            reqt_share,
            book_share,
            book_slot_share,
            book_values,
        )

    def info_sets(self, domain: str) -> Categorical[tuple[str, ...]]:
        """The info slot sets of ``slots_combination_dist``, weighted by their counts."""
        where = f"slots_combination_dist.{domain}.info"
        parts = self.part("slots_combination_dist", domain)
        sets, counts = [], []
        for i, entry in enumerate(
            self.entries(where, self.need(parts, where.rsplit(".", 1)[0], "info"))
        ):
            here = f"{where}[{i}]"
            sets.append(self.strings(f"{here}.slots", self.need(entry, here, "slots")))
            counts.append(
                self.number(f"{here}.count", self.need(entry, here, "count"), share=False)
            )
        if not math.fsum(counts) > 0:
            self.fail(where, "counts sum to zero")
        return Categorical.from_weights(sets, counts)

    def value_tables(
        self, domain: str, part: str, value_dist: Mapping[str, Any], slots: Sequence[str]
    ) -> dict[str, Categorical[str]]:
        """The value distributions of ``slots`` in ``ind_slot_value_dist[domain][part]``."""
        where = f"ind_slot_value_dist.{domain}.{part}"
        tables = self.mapping(where, value_dist.get(part, {}))
        return {
            slot: self.values(f"{where}.{slot}", self.need(tables, where, slot)) for slot in slots
        }


# --------------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------------


@dataclass
class _Draft:
    """A domain goal being drawn (mutable until the cross-domain links are made)."""

    info: dict[str, str]
    fail_info: dict[str, str]
    reqt: list[str]
    book: dict[str, str]


class MultiWozGoalGenerator:
    """Draws multi-domain MultiWOZ goals as ConvLab-3's ``GoalGenerator`` does.

    Every draw comes from the `RandomStream` passed to :meth:`sample`, so the same seed gives
    the same goals. See the module's docstring for the procedure.

    Args:
        model: The goal model (default: the package data's, ConvLab-3's).
        data: The databases goals are checked against (default: the package data).

    >>> import numpy as np
    >>> generator = MultiWozGoalGenerator()
    >>> goal = generator.sample(RandomStream(np.random.default_rng(0)))
    >>> goal == generator.sample(RandomStream(np.random.default_rng(0)))
    True
    """

    def __init__(
        self,
        model: MultiWozGoalModel | None = None,
        data: MultiWozData | None = None,
    ) -> None:
        self.model = model or load_goal_model()
        self.data = data or load_multiwoz()
        self._database = self.data.database
        self._trains = self._database.rows("train")

    def sample(self, stream: RandomStream) -> MultiWozGoal:
        """Draw one goal."""
        ordering: tuple[str, ...] = ()
        while not ordering:
            ordering = self.model.orderings.draw(stream)
        drafts = {domain: self._draw_domain(domain, stream) for domain in ordering}
        self._link(ordering, drafts, stream)
        return MultiWozGoal(
            tuple(
                DomainGoal(
                    domain,
                    info=SlotValues(draft.info),
                    reqt=tuple(draft.reqt),
                    book=SlotValues(draft.book),
                    fail_info=SlotValues(draft.fail_info),
                )
                for domain, draft in drafts.items()
            )
        )

    def _draw_domain(self, domain: str, stream: RandomStream) -> _Draft:
        """One domain goal, drawn until it has requests or a booking."""
        model = self.model.domains[domain]
        while True:
            info: dict[str, str] = {}
            if model.info_sets is not None:
                info = self._draw_info(model, stream)
                if not info:
                    continue
            reqt = [
                slot
                for slot, share in model.reqt_share
                if stream.random() < share and slot not in info
            ]
            book: dict[str, str] = {}
            if model.book_slot_share and stream.random() < model.book_share:
                book = self._draw_booking(model, stream)
            fail_info: dict[str, str] = {}
            if not self._database.has_match(domain, info.items()):
                mended = self._mend(model, info, stream)
                if mended is None:
                    continue
                if domain != "train":
                    fail_info = info
                info = mended
            if reqt and domain in REQUEST_CHECKED:
                reqt = self._known_requests(domain, info, reqt)
            if reqt or book:
                return _Draft(info, fail_info, reqt, book)

    def _draw_info(self, model: DomainModel, stream: RandomStream) -> dict[str, str]:
        """The info constraints: a slot set, its values, then the per-domain rules."""
        assert model.info_sets is not None
        values = model.info_values
        share = model.info_share
        info = {slot: values[slot].draw(stream) for slot in model.info_sets.draw(stream)}
        domain = model.domain
        if domain in NAME_DOMAINS and "name" in info and len(info) > 1:
            if stream.random() < share["name"]:
                info = {"name": info["name"]}
            else:
                del info["name"]
        if domain in TIMED_DOMAINS:
            arrive, leave = share["arriveBy"], share["leaveAt"]
            if "arriveBy" in info and "leaveAt" in info:
                del info["arriveBy" if stream.random() < leave / (arrive + leave) else "leaveAt"]
            elif "arriveBy" not in info and "leaveAt" not in info:
                slot = "arriveBy" if stream.random() < arrive / (arrive + leave) else "leaveAt"
                info[slot] = values[slot].draw(stream)
        if domain == "train":
            row = stream.choice(self._trains)
            info["departure"] = row["departure"]
            info["destination"] = row["destination"]
        elif domain == "taxi":
            for slot in ("departure", "destination"):
                if slot not in info:
                    info[slot] = values[slot].draw(stream)
            if info["departure"] == info["destination"]:
                departure, destination = share["departure"], share["destination"]
                place = (
                    "departure"
                    if stream.random() < departure / (departure + destination)
                    else "destination"
                )
                info[place] = values[place].draw(stream)
        return info

    @staticmethod
    def _draw_booking(model: DomainModel, stream: RandomStream) -> dict[str, str]:
        """A booking: each slot with its share, then what the domain's booking needs."""
        values = model.book_values
        book = {
            slot: values[slot].draw(stream)
            for slot, share in model.book_slot_share
            if stream.random() < share
        }
        needs = BOOKING_NEEDS.get(model.domain, ())
        if model.domain == "train" and book:
            needs = ()
        for slot in needs:
            if slot not in book:
                book[slot] = values[slot].draw(stream)
        return book

    def _mend(
        self, model: DomainModel, info: dict[str, str], stream: RandomStream
    ) -> dict[str, str] | None:
        """ConvLab's ``_adjust_info``: one slot given a uniform value, up to 100 tries."""
        slots = list(info)
        for _ in range(MAX_ADJUSTMENTS):
            slot = stream.choice(slots)
            mended = dict(info)
            mended[slot] = stream.choice(model.info_values[slot].labels)
            if self._database.has_match(model.domain, mended.items()):
                return mended
        return None

    def _known_requests(self, domain: str, info: dict[str, str], reqt: list[str]) -> list[str]:
        """Drop requests whose value is unknown in some matching entity (ConvLab's check)."""
        database = self._database
        matching = database.mask(domain, info.items())
        kept = []
        skip = False  # ConvLab removes from the list it loops over: the next slot goes unchecked
        for slot in reqt:
            if skip:
                kept.append(slot)
                skip = False
            elif matching & database.unknown_mask(domain, slot):
                skip = True
            else:
                kept.append(slot)
        return kept

    def _link(
        self, ordering: tuple[str, ...], drafts: dict[str, _Draft], stream: RandomStream
    ) -> None:
        """The cross-domain links, in ConvLab's order (taxi, area, booking day, train day)."""
        if "taxi" in ordering:
            places = [d for d in ordering[: ordering.index("taxi")] if d in VENUES]
            taxi = drafts["taxi"].info
            if places:
                del taxi["destination"]
                if places[-1] == "restaurant" and drafts["restaurant"].book:
                    taxi["arriveBy"] = drafts["restaurant"].book["time"]
                    taxi.pop("leaveAt", None)
            if len(places) >= 2:
                del taxi["departure"]
        restaurant, attraction = drafts.get("restaurant"), drafts.get("attraction")
        if (
            restaurant is not None
            and attraction is not None
            and not restaurant.fail_info
            and ordering.index("restaurant") > ordering.index("attraction")
            and "area" in restaurant.info
            and "area" in attraction.info
        ):
            area = attraction.info["area"]
            if (
                self._database.has_match("restaurant", {**restaurant.info, "area": area}.items())
                and stream.random() < 0.5
            ):
                restaurant.info["area"] = area
        hotel = drafts.get("hotel")
        if restaurant is not None and hotel is not None and restaurant.book and hotel.book:
            if stream.random() < 0.5:
                restaurant.book["people"] = hotel.book["people"]
            restaurant.book["day"] = hotel.book["day"]
        train = drafts.get("train")
        if hotel is not None and train is not None and hotel.book:
            info, book = train.info, hotel.book
            if info["destination"] == "cambridge":
                info["day"] = book["day"]
            elif info["departure"] == "cambridge":
                info["day"] = DAYS[(DAYS.index(book["day"]) + int(book["stay"])) % 7]
            if not self._database.has_match("train", info.items()):
                del drafts["train"]  # ConvLab means to drop the train here, and crashes instead
