"""ConvLab-3's MultiWOZ evaluator, rebuilt: success, complete, book rate, inform P/R/F1, reward.

This is a rewrite of ``MultiWozEvaluator`` (``convlab/evaluator/multiwoz_eval.py`` at 2a168fc,
"EV" below) as ConvLab configures it (``check_book_constraints=True``), read for its
behaviour. It is given the user's goal when a dialogue starts and every system turn
(acts in the unified form, and the system's belief state when the turn was chosen); it never
sees the user's acts.

- **Goal.** A copy of the goal at the start: the feasible ``info``, the ``reqt`` slots and the
  ``book`` part. Each value the system informs or recommends for a requested slot becomes that
  slot's value in the copy (the last one counts, EV:690-708).
- **Bookings** (EV:160-207). A ``book`` act without value takes the value of an
  ``inform ref`` of the same domain in the same turn. A ``book`` on taxi books the taxi;
  otherwise a value of 8 digits below the domain's number of rows books that row (ConvLab's
  ``Ref`` is the row index), with the system's belief of the domain at that turn. Only the
  first booking of a domain counts.
- **Book rate** (EV:226-274): per goal domain with a booking and constraints, 0 if nothing was
  booked, else the share of constraints the booked row meets (departure and destination left
  out; leaveAt and arriveBy compared as times); the mean, or ``None`` without such domain.
- **Book constraints** (EV:276-319): per booking domain (taxi aside), the share of the goal's
  booking slots the stored belief holds (``book people``...); 1 when the belief holds no
  booking slot, 0 when nothing was booked.
- **Inform precision / recall / F1** (EV:321-390, 445-471): the slots the system informed
  (inform, recommend, offerbook, offerbooked) pass a format check (an 11-digit phone, a ``cb``
  postcode, a ``tr`` and 4 digits train id, a price with "pound"...) or count as false
  positives. True positives are requested slots informed, false negatives requested slots
  not informed; an informed slot that is neither requested nor a constraint is also a false
  positive when it is in ConvLab's requestable list for the domain. That list holds MultiWOZ
  2.0 act names (``addr``, ``post``), compared with goal names (``address``, ``postcode``), so
  only the slots spelt alike count (phone, area, type, food, ref, internet, parking, stars),
  as in ConvLab.
- **Final goal** (EV:609-650): per goal domain, the database is queried with the constraints
  and the requested values as the system gave them; the domain fails when nothing matches, or
  when its booking's row is not among the matches.
- **Success** (EV:473-497): book rate 1 and recall 1, or one of them 1 and the other
  ``None``, and the final goal 1; and the book constraints 1 or ``None`` (ConvLab's
  ``success_strict``, what its ``task_success`` returns). **Complete**: success, or every
  booking domain has a booking and recall is 1 or ``None``.
- **Reward** (EV:652-675): −1 per turn, and on the turn the user ends the dialogue +80 for a
  success, −40 otherwise.

ConvLab's loops read success and complete only when the user has ended the dialogue, and score
0 otherwise (``convlab/util/custom_util.py:464-473``); `MultiWozEvaluator.evaluate` does the
same. Where ConvLab would raise (a ``book`` act on a domain outside the seven, a belief state
without the booked domain, a booked row without a constrained column), this evaluator ignores
the act, stores no belief, or counts the constraint unmet.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dialogym.acts import UnifiedAct
from dialogym.domains.multiwoz import MULTIWOZ_DOMAINS, MultiWozData, load_multiwoz, time_value
from dialogym.simulators.multiwoz_goals import MultiWozGoal
from dialogym.unified_acts import SYSTEM_SLOTS, reverse_turn

INFORMING = frozenset(("inform", "recommend", "offerbook", "offerbooked"))
"""System intents whose slots count as informed (EV:337)."""

EMPTY_VALUES = frozenset(
    ("", "dont care", "not mentioned", "don't care", "dontcare", "do n't care")
)
"""Informed values that inform nothing (ConvLab's ``NUL_VALUE``, EV:61)."""

NOT_SURE = frozenset(("?", "dontcare", "none", "no"))
"""Values stored quoted when the system informs them for a requested slot (EV:704-705)."""

INFORM_SLOTS: Mapping[str, Mapping[str, str]] = {
    "restaurant": {
        "addr": "address",
        "area": "area",
        "food": "food",
        "name": "name",
        "phone": "phone",
        "post": "postcode",
        "price": "pricerange",
        "ref": "ref",
    },
    "hotel": {
        "addr": "address",
        "area": "area",
        "internet": "internet",
        "parking": "parking",
        "name": "name",
        "phone": "phone",
        "post": "postcode",
        "price": "pricerange",
        "stars": "stars",
        "type": "type",
        "ref": "ref",
    },
    "attraction": {
        "addr": "address",
        "area": "area",
        "fee": "entrance fee",
        "name": "name",
        "phone": "phone",
        "post": "postcode",
        "type": "type",
    },
    "train": {
        "id": "trainID",
        "arrive": "arriveBy",
        "day": "day",
        "depart": "departure",
        "dest": "destination",
        "time": "duration",
        "leave": "leaveAt",
        "ticket": "price",
        "ref": "ref",
    },
    "taxi": {"car": "car type", "phone": "phone"},
    "hospital": {
        "post": "postcode",
        "phone": "phone",
        "addr": "address",
        "department": "department",
    },
    "police": {"post": "postcode", "phone": "phone", "addr": "address"},
}
"""ConvLab's ``mapping`` (EV:47-57): lower-cased MultiWOZ 2.0 act slot to goal slot, for the
slots inform precision and recall count."""

REQUESTABLE: Mapping[str, frozenset[str]] = {
    "attraction": frozenset(("post", "phone", "addr", "fee", "area", "type")),
    "restaurant": frozenset(("addr", "phone", "post", "ref", "price", "area", "food")),
    "train": frozenset(("ticket", "time", "ref", "id", "arrive", "leave")),
    "hotel": frozenset(
        ("addr", "post", "phone", "ref", "price", "internet", "parking", "area", "type", "stars")
    ),
    "taxi": frozenset(("car", "phone")),
    "hospital": frozenset(("post", "phone", "addr")),
    "police": frozenset(("addr", "post", "phone")),
}
"""ConvLab's ``requestable`` (EV:36-43), in act names; compared with goal names (see above)."""

_TIME = re.compile(r"^(([01]\d|2[0-4]):([0-5]\d)|24:00)$")
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_REF = re.compile(r"^\d{8}$")


@dataclass(frozen=True)
class MultiWozRewards:
    """ConvLab's reward (EV:652-675): a cost per turn, and a prize or a penalty at the end.

    Attributes:
        turn: Reward of every turn but the last.
        success: Reward of the last turn of a successful dialogue (ConvLab: 2 × max_turn).
        failure: Reward of the last turn of a failed dialogue (ConvLab: −max_turn).
    """

    turn: float = -1.0
    success: float = 80.0
    failure: float = -40.0


@dataclass(frozen=True)
class MultiWozEvaluation:
    """ConvLab's figures for one dialogue.

    Attributes:
        success: ConvLab's ``task_success`` (strict: booking details checked); False when
            the user had not ended the dialogue.
        complete: ConvLab's evaluator ``complete``; False when the user had not ended it.
        book_rate: Mean share of constraints the booked entities meet; None without booking.
        inform_precision: Inform precision; None when the goal requests nothing.
        inform_recall: Inform recall; None when the goal requests nothing.
        inform_f1: Inform F1; None when the goal requests nothing.
        turns: System turns recorded.
    """

    success: bool
    complete: bool
    book_rate: float | None
    inform_precision: float | None
    inform_recall: float | None
    inform_f1: float | None
    turns: int


@dataclass
class _DomainRecord:
    """The evaluator's copy of one domain goal."""

    info: dict[str, str]
    reqt: dict[str, str]
    book: dict[str, str]


Belief = Mapping[str, Mapping[str, str]]
"""A system belief state in ConvLab-3's unified form: domain to slot (``book people``...) to
value."""


class MultiWozEvaluator:
    """Scores MultiWOZ dialogues as ConvLab-3's ``MultiWozEvaluator`` does.

    Call `reset` with the goal when a dialogue starts, `add_system_acts` after each system
    turn, `reward` for the turn's reward, and `evaluate` at the end. See the module's
    docstring for the definitions.

    Args:
        data: The databases bookings and final goals are checked against (default: the
            package data).
        rewards: The reward scheme (default: ConvLab's).

    >>> goal = MultiWozGoal.from_convlab({"police": {"info": {}, "reqt": ["phone"]}})
    >>> evaluator = MultiWozEvaluator()
    >>> evaluator.reset(goal)
    >>> evaluator.add_system_acts([("inform", "police", "phone", "01223358966")])
    >>> evaluator.reward(terminated=True)
    80.0
    >>> evaluator.evaluate(terminated=True).inform_recall
    1.0
    """

    def __init__(
        self, data: MultiWozData | None = None, rewards: MultiWozRewards = MultiWozRewards()
    ) -> None:
        self.data = data or load_multiwoz()
        self.rewards = rewards
        self._database = self.data.database
        self.goal: dict[str, _DomainRecord] = {}
        self._informed: list[tuple[str, str, str, str]] = []
        self._booked: dict[str, int | None] = {}
        self._belief: dict[str, dict[str, str] | None] = {}
        self._turns = 0

    def reset(self, goal: MultiWozGoal) -> None:
        """Start a dialogue: copy the goal and forget the last dialogue (EV:138-151)."""
        self.goal = {
            g.domain: _DomainRecord(dict(g.info), dict.fromkeys(g.reqt, "?"), dict(g.book))
            for g in goal.domain_goals
        }
        self._informed = []
        self._booked = {}
        self._belief = {}
        self._turns = 0

    def add_system_acts(self, acts: Sequence[UnifiedAct], belief: Belief | None = None) -> None:
        """Record one system turn (EV:160-207).

        The acts are read grouped by domain and intent, in order of first appearance, as
        ConvLab's ``reverse_da`` groups them: with two values for a requested slot, the last
        of its group counts.

        Args:
            acts: The system's acts in the unified form.
            belief: The system's belief state when it chose the acts; a booking stores the
                booked domain's part, which the booking details are checked against. Without
                it, a booking's details count as unmet.
        """
        self._turns += 1
        filled = []
        for intent, domain, slot, value in acts:
            if intent.lower() == "book" and not value:
                value = next(
                    (
                        v
                        for i, d, s, v in acts
                        if d == domain and i.lower() == "inform" and s.lower() == "ref"
                    ),
                    "",
                )
            filled.append((intent, domain, slot, value))
        for domain, intent, slot, value in reverse_turn(filled):
            slot = slot.lower()
            self._informed.append((domain, intent, slot, value))
            if intent == "book":
                self._book(domain, value, belief)
            elif intent in ("inform", "recommend") and domain in self.goal:
                reqt = self.goal[domain].reqt
                key = SYSTEM_SLOTS.get(domain, {}).get(slot, slot)
                if key in reqt:
                    reqt[key] = f'"{value}"' if value in NOT_SURE else value

    def _book(self, domain: str, value: str, belief: Belief | None) -> None:
        if domain not in MULTIWOZ_DOMAINS or domain in self._booked:
            return
        if domain == "taxi":
            self._booked[domain] = None
        elif _REF.match(value) and int(value) < len(self._database.rows(domain)):
            self._booked[domain] = int(value)
            part = None if belief is None else belief.get(domain)
            self._belief[domain] = None if part is None else dict(part)

    # -- the figures ----------------------------------------------------------------------------

    def book_rate(self) -> float | None:
        """Mean share of its domain's constraints each booked entity meets (EV:226-274, 392)."""
        scores = []
        for domain, goal in self.goal.items():
            if not goal.book or not goal.info:
                continue
            if domain not in self._booked:
                scores.append(0.0)
                continue
            index = self._booked[domain]
            if index is None:
                scores.append(1.0)
                continue
            row = self._database.rows(domain)[index]
            total = len(goal.info)
            met = 0
            for slot, wanted in goal.info.items():
                if slot in ("destination", "departure"):
                    total -= 1
                elif _meets(slot, wanted, row.get(slot)):
                    met += 1
            if total:
                scores.append(met / total)
        return sum(scores) / len(scores) if scores else None

    def book_constraints(self) -> float | None:
        """Mean share of booking details the booked belief holds (EV:276-319, 410)."""
        scores = []
        for domain, goal in self.goal.items():
            if domain == "taxi" or not goal.book:
                continue
            state = self._belief.get(domain)
            if state is None:
                scores.append(0.0)
            elif not any("book" in slot for slot in state):
                scores.append(1.0)
            else:
                met = sum(
                    value == state.get(f"book {slot}", "") for slot, value in goal.book.items()
                )
                scores.append(met / len(goal.book))
        return sum(scores) / len(scores) if scores else None

    def inform_counts(self) -> tuple[int, int, int]:
        """True positives, false positives and false negatives of the informs (EV:321-363)."""
        informed: dict[str, set[str]] = {domain: set() for domain in INFORM_SLOTS}
        false_positives = 0
        for domain, intent, slot, value in self._informed:
            names = INFORM_SLOTS.get(domain)
            if (
                intent in INFORMING
                and names is not None
                and slot in names
                and value.strip() not in EMPTY_VALUES
            ):
                key = names[slot]
                if _well_formed(domain, key, value):
                    informed[domain].add(key)
                else:
                    false_positives += 1
        true_positives = false_negatives = 0
        for domain, keys in informed.items():
            goal = self.goal.get(domain)
            reqt = goal.reqt if goal is not None else {}
            info = goal.info if goal is not None else {}
            for slot in reqt:
                if slot in keys:
                    true_positives += 1
                else:
                    false_negatives += 1
            false_positives += sum(
                key not in reqt and key not in info and key in REQUESTABLE[domain] for key in keys
            )
        return true_positives, false_positives, false_negatives

    def inform_f1(self) -> tuple[float | None, float | None, float | None]:
        """Inform precision, recall and F1 (EV:445-471).

        ``(None, None, None)`` when the goal requests nothing; ``(0, recall, 0)`` when nothing
        was informed (or nothing right).
        """
        true_positives, false_positives, false_negatives = self.inform_counts()
        if true_positives + false_negatives == 0:
            return None, None, None
        recall = true_positives / (true_positives + false_negatives)
        if true_positives == 0:
            return 0.0, recall, 0.0
        precision = true_positives / (true_positives + false_positives)
        return precision, recall, 2 * precision * recall / (precision + recall)

    def final_goal_analyze(self) -> float:
        """Share of goal domains whose final goal matches the database (EV:609-650)."""
        met = unmet = 0
        for domain, goal in self.goal.items():
            constraints = [*goal.info.items(), *goal.reqt.items()]
            index = self._booked.get(domain)
            if not self._database.has_match(domain, constraints):
                unmet += 1
            elif not goal.book or index is None:
                met += 1
            elif self._database.mask(domain, constraints) >> index & 1:
                met += 1
            else:
                unmet += 1
        return 1.0 if met == unmet == 0 else met / (met + unmet)

    def task_success(self) -> bool:
        """ConvLab's strict success (EV:473-497); see the module's docstring."""
        return self._judge()[0]

    def _judge(self) -> tuple[bool, bool]:
        """(success, complete), as ConvLab's ``task_success`` sets them."""
        book_rate = self.book_rate()
        recall = self.inform_f1()[1]
        if (
            (book_rate == 1 and recall == 1)
            or (book_rate == 1 and recall is None)
            or (book_rate is None and recall == 1)
        ) and self.final_goal_analyze() == 1:
            constraints = self.book_constraints()
            return constraints is None or constraints == 1, True
        booking_done = all(domain in self._booked for domain, g in self.goal.items() if g.book)
        return False, booking_done and (recall is None or recall == 1)

    def reward(self, terminated: bool) -> float:
        """The turn's reward: ``turn``, or at the end ``success`` or ``failure``."""
        if not terminated:
            return self.rewards.turn
        return self.rewards.success if self.task_success() else self.rewards.failure

    def evaluate(self, terminated: bool) -> MultiWozEvaluation:
        """The dialogue's figures; success and complete count only if the user ended it."""
        success, complete = self._judge() if terminated else (False, False)
        precision, recall, f1 = self.inform_f1()
        return MultiWozEvaluation(
            success=success,
            complete=complete,
            book_rate=self.book_rate(),
            inform_precision=precision,
            inform_recall=recall,
            inform_f1=f1,
            turns=self._turns,
        )


def _meets(slot: str, wanted: str, found: object) -> bool:
    """Whether a booked row's value meets a constraint (EV:245-271)."""
    if not isinstance(found, str):
        return False
    if slot in ("leaveAt", "arriveBy"):
        try:
            wanted_time, found_time = time_value(wanted), time_value(found)
        except (ValueError, IndexError):
            return True
        return wanted_time <= found_time if slot == "leaveAt" else wanted_time >= found_time
    return wanted.strip() == found.strip()


def _well_formed(domain: str, slot: str, value: str) -> bool:
    """ConvLab's format check of an informed value (EV:365-390)."""
    if slot == "area":
        return value.lower() in ("centre", "east", "south", "west", "north")
    if slot in ("arriveBy", "leaveAt"):
        return _TIME.match(value) is not None
    if slot == "day":
        return value.lower() in _DAYS
    if slot == "duration":
        return "minute" in value
    if slot in ("internet", "parking"):
        return value in ("yes", "no", "none")
    if slot == "phone":
        return re.match(r"^\d{11}$", value) is not None or domain == "restaurant"
    if slot == "price":
        return "pound" in value
    if slot == "pricerange":
        return value in ("cheap", "expensive", "moderate", "free") or domain == "attraction"
    if slot == "postcode":
        return re.match(r"^cb\d{1,3}[a-z]{2,3}$", value) is not None or value == "pe296fl"
    if slot == "stars":
        return re.match(r"^\d$", value) is not None
    if slot == "trainID":
        return re.match(r"^tr\d{4}$", value.lower()) is not None
    return True
