"""The belief tracker: PyDial's focus tracker (``belieftype = focus``), from n-best hypotheses.

What the system believes the user wants, kept as PyDial's benchmark keeps it
(``belieftracking/baseline.py``, ``FocusTracker``, and the features of ``BeliefTracker.py``):

* **Scores.** The n-best confidences are normalised to sum to one (a ``null()`` hypothesis
  carries the leftover mass, as the error channel gives it).
* **Slot beliefs, focus rule.** Each hypothesis informs at most one value per slot (the last it
  names; ``affirm()`` names the value of the system's explicit ``confirm``); with ``e(v)`` the
  summed score of value ``v`` this turn and ``E`` the slot's total,
  ``b'(v) = b(v) * (1 - E) + e(v)``. Mass on no value is PyDial's ``**NONE**``.
  ``deny`` and ``negate`` leave slot beliefs alone (PyDial's focus tracker ignores its denied
  goals); a correction moves belief through the value it informs. Informs of slots outside the
  ontology (``type=restaurant``) are dropped, as PyDial's act filter drops them, before anything
  else looks at the hypothesis.
* **Accepted slots** (PyDial's ``getTopBeliefs``): the best value beats the ``**NONE**`` mass and
  ``1 / (number of informable values - 0.1)``. Database matches, the count of accepted slots and
  whether a question could still tell the matches apart (``acceptanceListCanBeDiscriminated``)
  follow the accepted values (``dontcare`` matches everything and discriminates nothing).
* **Requested slots**: ``request(s)`` and a user ``confirm(s=v)`` (asking whether the offered
  venue has ``s=v``) add their score; a slot the system informs is cleared first; capped at one.
  PyDial counts a slot as requested above `REQUESTED_THRESHOLD`.
* **Method** (how the user searches), per hypothesis: ``reqalts`` -> by alternatives, ``bye`` ->
  finished, an inform -> by constraints (by name for the venue's name), a request or confirm
  with neither inform nor deny once a venue was offered -> by name, else none. The none score
  keeps last turn's methods (focus rule). PyDial's quirks are reproduced: the ``none`` entry is
  set once, at the first turn, and then only rescaled; the summary recomputes ``none`` as one
  minus everything else (`method`).
* **Discourse act** (thank you, ack, hello, bye, else none): this turn's scores only.
* **Global summary** (PyDial's ``globalSummary``): the top method gives `summary_method`
  (by alternatives, by name, finished when above one half, else by constraints); `thankyou` and
  `ack` when that discourse act is above one half.
* **System features** (``_updateMactFeat``): the venue offered last (``lastInformedVenue``; a
  system ``inform(name=X, ...)`` answering requests is an offer too, as in PyDial), whether the
  last system turn offered (``offerHappened``) or said nothing matches
  (``lastActionInformNone``), and the venues offered since the last no-match
  (``informedVenueSinceNone``).

dialogym's own additions for domains with booking (PyDial's have none): booking details are
slots with beliefs like constraints; ``book()`` asks to book the offered venue; ``negate()`` to a
system booking asks to book again.
"""

from __future__ import annotations

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
    NOMATCH,
    OFFER,
    REQALTS,
    REQUEST,
    SELECT,
    THANKYOU,
    Acts,
    ActType,
    Hypotheses,
    referred_slot,
)
from dialogym.domains import DONTCARE, NOT_AVAILABLE, Database, Domain

_PRUNE = 1e-4
"""Slot values whose belief falls below this are dropped (their mass joins ``**NONE**``)."""

REQUESTED_THRESHOLD = 0.5
"""A requestable slot counts as requested above this belief (PyDial's ``REQUESTING_THRESHOLD``)."""

FINISHED_THRESHOLD = 0.5
"""The method ``finished`` counts only above this belief (PyDial's ``globalSummary``)."""

DISCOURSE_THRESHOLD = 0.5
"""A discourse act (thank you, ack) counts only above this belief (PyDial's ``globalSummary``)."""

ACCEPTANCE_OFFSET = 0.1
"""A slot is accepted when its best value beats ``1 / (values - ACCEPTANCE_OFFSET)``."""

METHODS = ("none", "byconstraints", "byname", "byalternatives", "finished")
"""PyDial's search methods (``restart`` left out: no user act leads to it), in `method` order.
Ties for the top method go to the earlier one."""

DISCOURSE_ACTS = ("none", "thankyou", "ack", "hello", "bye")
"""PyDial's discourse acts that a dialogym user can perform, in `discourse` order. A user's
``repeat()`` (dialogym's ``ask_repeat`` user, off in PyDial's worlds) changes no belief and
counts as ``none``: there is no system action that says a turn again."""

BYCONSTRAINTS, BYNAME, BYALTERNATIVES, FINISHED = METHODS[1:]

SlotStats = tuple[str | None, float, float, float, float, float]
"""Per slot: best value (``None`` if nothing known; ``dontcare`` counts as a value), its
probability, the second-best probability, the probability of ``dontcare``, the mass on no value
(``**NONE**``) and 1.0 when the slot is accepted (else 0.0)."""

_UNKNOWN: SlotStats = (None, 0.0, 0.0, 0.0, 1.0, 0.0)

# Bits of one hypothesis' act types.
_INFORMS, _NAMES, _DENIES, _ASKS, _REQALTS, _BYE, _THANKS, _ACKS, _HELLOS = (
    1 << i for i in range(9)
)


class BeliefTracker:
    """Tracks one dialogue's belief state; `reset` per dialogue, `update` per turn.

    Attributes (read by encoders and the action layer; treat them as read-only):
        belief: Slot (system-requestable and booking) to a mapping value -> probability.
        stats: Slot to its `SlotStats`, kept up to date as the belief changes.
        accepted: Accepted slot to its best value (``dontcare`` included), in domain order.
        matches: Bitset of entities matching the accepted values.
        discriminable: Two or more entities match and some slot not accepted tells them apart.
        requested: Requestable slot to the belief that the user is waiting for it.
        method: Belief of each of `METHODS`, ``none`` as PyDial's summary recomputes it.
        summary_method: PyDial's global summary of the method: ``"byalternatives"`` or
            ``"byname"`` when on top, ``"finished"`` when on top above one half, else
            ``"byconstraints"``.
        discourse: Belief of each of `DISCOURSE_ACTS` this turn.
        thankyou: The user thanked (above one half). ack: The user acknowledged (same).
        alternatives_requested: The user asked for alternatives and none was offered since
            (PyDial's summary-action flag: set while the summary method is by alternatives and
            the user neither thanks nor acknowledges; the action layer clears it on offering one).
        reqalts: Score of ``reqalts()`` this turn.
        book_requested: Belief that the user wants the offered entity booked.
        bye: Score of the user's goodbye this turn (PyDial's method ``finished``).
        user_acts: The top hypothesis of the last user turn.
        offered: Index of the entity the system offered last (first of that name), or -1.
        offered_entities: Bitset of every entity with the name offered last.
        offered_set: Bitset of every entity offered since the last no-match.
        offer_happened: The last system turn offered an entity.
        nomatch: The last system turn said that nothing matches.
        booked: The system booked the offered entity.
        turn: System turns taken so far.
        asked: How many times the system asked for each slot (``request``), this dialogue.
        last_asked: What the last system turn did with each slot it named: ``request``,
            ``confirm`` or ``select`` (dialogym's addition, for the per-slot observation).
    """

    def __init__(self, domain: Domain, database: Database | None = None) -> None:
        self.domain = domain
        self.database = database or Database(domain)
        self.constraint_slots = domain.system_requestable
        self.booking_slots = domain.booking_slots
        self.name_slot = domain.name_slot
        values = {**domain.informable, **domain.booking}
        self._thresholds = {
            slot: 1.0 / (len(values[slot]) - ACCEPTANCE_OFFSET)
            for slot in (*self.constraint_slots, *self.booking_slots)
        }
        self._informable = frozenset(domain.informable)
        self._booking = frozenset(self.booking_slots)
        self.accepted: dict[str, str] = {}
        self.matches = self.database.all_entities
        self._discriminable_at_start = self._can_discriminate()  # with nothing accepted
        self.reset()

    def reset(self) -> None:
        """Forget everything: a new dialogue begins."""
        self.belief: dict[str, dict[str, float]] = {slot: {} for slot in self._thresholds}
        self.stats: dict[str, SlotStats] = dict.fromkeys(self.belief, _UNKNOWN)
        self.accepted = {}
        self.matches = self.database.all_entities
        self.discriminable = self._discriminable_at_start
        self.requested: dict[str, float] = dict.fromkeys(self.domain.requestable, 0.0)
        self._method_label = [0.0, 0.0, 0.0, 0.0, 0.0]
        self._method_none_set = False
        self.method = [1.0, 0.0, 0.0, 0.0, 0.0]
        self.summary_method = BYCONSTRAINTS
        self.discourse = [1.0, 0.0, 0.0, 0.0, 0.0]
        self.thankyou = False
        self.ack = False
        self.alternatives_requested = False
        self.reqalts = 0.0
        self.book_requested = 0.0
        self.bye = 0.0
        self.user_acts: Acts = ()
        self.offered = -1
        self.offered_entities = 0
        self.offered_set = 0
        self.offer_happened = False
        self.nomatch = False
        self.booked = False
        self.turn = 0
        self.asked: dict[str, int] = dict.fromkeys(self._thresholds, 0)
        self.last_asked: dict[str, ActType] = {}

    # -- the system's side ----------------------------------------------------------------------

    def system_acted(self, acts: Acts) -> None:
        """Record what the system just said (offers, answers, bookings, no-match)."""
        self.turn += 1
        offer_happened = nomatch = False
        first = acts[0]
        last_asked = {}
        for act in acts:
            kind = act.type
            if kind is REQUEST or kind is CONFIRM or kind is SELECT:
                if act.slot in self.asked:
                    last_asked[act.slot] = kind
                    if kind is REQUEST:
                        self.asked[act.slot] += 1
            elif kind is OFFER or (kind is INFORM and act is first and act.slot == self.name_slot):
                index = self.database.index_of(act.value)
                if index >= 0:
                    if index != self.offered:
                        self.booked = False
                    self.offered = index
                    self.offered_entities = self.database.named(act.value)
                    offer_happened = True
            elif kind is INFORM:
                if act.slot in self.requested:
                    self.requested[act.slot] = 0.0  # type: ignore[index]
            elif kind is BOOK:
                self.booked = True
                self.book_requested = 0.0
            elif kind is NOMATCH:
                nomatch = True
        if nomatch:
            self.offered_set = 0
        if offer_happened:
            self.offered_set |= self.offered_entities
        self.offer_happened = offer_happened
        self.nomatch = nomatch
        self.last_asked = last_asked

    # -- the user's side ------------------------------------------------------------------------

    def update(self, hypotheses: Hypotheses, system_acts: Acts) -> None:
        """Fold in the n-best hypotheses of the user's reply to ``system_acts``."""
        belief = self.belief
        requested = self.requested
        informable = self._informable
        booking = self._booking
        name_slot = self.name_slot
        venue_known = self.offered >= 0
        total = 0.0
        for hypothesis in hypotheses:
            total += hypothesis[1]
        scale = 1.0 / total if total > 0.0 else 0.0
        confirmed: tuple[str, str] | None = None  # found when an affirm() needs it
        this_slot: str | None = None  # the slot "it" refers to, found when first needed
        evidence: dict[str, dict[str, float]] = {}
        asked: dict[str, float] = {}
        by_none = by_constraints = by_name = by_alternatives = finished = 0.0
        thanks = acks = hellos = byes = plain = 0.0
        reqalts = book = refused = 0.0
        for acts, confidence in hypotheses:
            score = confidence * scale
            said = 0
            informed: dict[str, str] | None = None
            for kind, slot, value in acts:
                if kind is INFORM:
                    if value is None:
                        continue
                    if slot is None:
                        this_slot = this_slot or referred_slot(system_acts)
                        slot = this_slot
                    if slot in belief:
                        if informed is None:
                            informed = {slot: value}  # type: ignore[dict-item]
                        else:
                            informed[slot] = value  # type: ignore[index]
                        if slot not in booking:
                            said |= _INFORMS
                    elif slot == name_slot:
                        said |= _NAMES
                    elif slot in informable:
                        said |= _INFORMS
                elif kind is REQUEST:
                    said |= _ASKS
                    if slot in requested:
                        asked[slot] = asked.get(slot, 0.0) + score  # type: ignore[index]
                elif kind is AFFIRM:
                    confirmed = confirmed or _explicit_confirm(system_acts)
                    if confirmed is not None:
                        if informed is None:
                            informed = {confirmed[0]: confirmed[1]}
                        else:
                            informed[confirmed[0]] = confirmed[1]
                elif kind is CONFIRM:
                    if slot in informable:
                        said |= _ASKS
                        if slot in requested:
                            asked[slot] = asked.get(slot, 0.0) + score  # type: ignore[index]
                elif kind is DENY:
                    if slot in informable and value is not None:
                        said |= _DENIES
                elif kind is REQALTS:
                    said |= _REQALTS
                elif kind is BYE:
                    said |= _BYE
                elif kind is THANKYOU:
                    said |= _THANKS
                elif kind is ACK:
                    said |= _ACKS
                elif kind is HELLO:
                    said |= _HELLOS
                elif kind is BOOK:
                    book += score
                elif kind is NEGATE:
                    refused += score
            if informed is not None:
                for slot, value in informed.items():
                    values = evidence.get(slot)
                    if values is None:
                        evidence[slot] = {value: score}
                    else:
                        values[value] = values.get(value, 0.0) + score
            if not said:
                by_none += score
                plain += score
                continue
            if said & _REQALTS:
                by_alternatives += score
                reqalts += score
            elif said & _BYE:
                finished += score
            elif said & _NAMES:
                by_name += score
            elif said & _INFORMS:
                by_constraints += score
            elif venue_known and said & _ASKS and not said & _DENIES:
                by_name += score
            else:
                by_none += score
            if said & _THANKS:
                thanks += score
            elif said & _ACKS:
                acks += score
            elif said & _HELLOS:
                hellos += score
            elif said & _BYE:
                byes += score
            else:
                plain += score
        if evidence:
            self._focus(evidence)
        for slot, score in asked.items():
            score += requested[slot]
            requested[slot] = score if score < 1.0 else 1.0
        self._update_method(by_none, by_constraints, by_name, by_alternatives, finished)
        discourse_total = plain + thanks + acks + hellos + byes
        if discourse_total > 1.0:
            plain, thanks, acks, hellos, byes = (
                p / discourse_total for p in (plain, thanks, acks, hellos, byes)
            )
        self.discourse = [plain, thanks, acks, hellos, byes]
        self.thankyou = thanks > DISCOURSE_THRESHOLD
        self.ack = acks > DISCOURSE_THRESHOLD
        if self.summary_method == BYALTERNATIVES and not self.thankyou and not self.ack:
            self.alternatives_requested = True
        self.reqalts = reqalts if reqalts < 1.0 else 1.0
        if book or refused:
            self._booking_wish(book, refused, system_acts)
        self.bye = finished if finished < 1.0 else 1.0
        self.user_acts = hypotheses[0].acts

    def _booking_wish(self, book: float, refused: float, system_acts: Acts) -> None:
        """Booking (dialogym's): the user asks to book (again), or says no to a booking."""
        if refused and system_acts[0].type is BOOK:
            book += refused  # "no" to a booking: a detail was wrong, book again
        book = min(1.0, book)
        if book >= 0.5:
            self.booked = False  # asking to book (again) means no booking satisfies yet
        if book > self.book_requested or self.booked:
            self.book_requested = book

    def _focus(self, evidence: dict[str, dict[str, float]]) -> None:
        """The focus rule for every slot with evidence this turn; then the accepted values."""
        belief = self.belief
        stats = self.stats
        for slot, values in evidence.items():
            if len(values) == 1:
                ((value, total),) = values.items()
                if total >= 1.0:  # certain: the focus rule leaves this value alone
                    belief[slot] = {value: 1.0}
                    stats[slot] = (
                        value,
                        1.0,
                        0.0,
                        1.0 if value == DONTCARE else 0.0,
                        0.0,
                        1.0 if 1.0 > self._thresholds[slot] else 0.0,
                    )
                    continue
            total = sum(values.values())
            if total > 1.0:
                values = {v: e / total for v, e in values.items()}
                total = 1.0
            keep = 1.0 - total
            updated = {v: p * keep for v, p in belief[slot].items() if p * keep > _PRUNE}
            for value, weight in values.items():
                updated[value] = updated.get(value, 0.0) + weight
            belief[slot] = updated
            self._refresh(slot)
        accepted = {s: stats[s][0] for s in self.constraint_slots if stats[s][5]}
        if accepted != self.accepted:
            self.accepted = accepted  # type: ignore[assignment]
            self.matches = self.database.match(accepted)  # type: ignore[arg-type]
            self.discriminable = self._can_discriminate()

    def _refresh(self, slot: str) -> None:
        """Recompute a slot's `SlotStats` after its belief changed."""
        top_value = None
        top = second = total = 0.0
        for value, probability in self.belief[slot].items():
            total += probability
            if probability > top:
                second = top
                top = probability
                top_value = value
            elif probability > second:
                second = probability
        if top_value is None:
            self.stats[slot] = _UNKNOWN
            return
        top = top if top < 1.0 else 1.0
        unknown = 1.0 - total if total < 1.0 else 0.0
        dontcare = self.belief[slot].get(DONTCARE, 0.0)
        self.stats[slot] = (
            top_value,
            top,
            second,
            dontcare if dontcare < 1.0 else 1.0,
            unknown,
            1.0 if top > unknown and top > self._thresholds[slot] else 0.0,
        )

    def _can_discriminate(self) -> bool:
        """PyDial's ``constraintsCanBeDiscriminated`` on the accepted values.

        True when at least two entities match and, among them, some system-requestable slot
        that is not accepted takes two or more values (``not available`` counting as a value,
        as in PyDial's database). PyDial looks at its informable slots but the name and
        ``price``: in its three benchmark domains those are the system-requestable slots.
        """
        matches = self.matches
        if matches & (matches - 1) == 0:
            return False
        database = self.database
        first = database.entities[database.first(matches)]
        for slot in self.constraint_slots:
            if slot in self.accepted:
                continue  # a constraint (all matches share it) or dontcare (never discriminates)
            value = first[slot]
            if value == NOT_AVAILABLE:
                if len(database.values_among(slot, matches)) > 1:
                    return True
            elif matches & ~database.match({slot: value}):
                return True
        return False

    def _update_method(
        self, by_none: float, by_constraints: float, by_name: float, by_alternatives: float,
        finished: float,
    ) -> None:  # fmt: skip
        """PyDial's focus update of the method belief (this turn's scores), then its summary."""
        none, constraints, name, alternatives, done = self._method_label
        keep = by_none if by_none < 1.0 else 1.0  # the score of "no method this turn"
        constraints = constraints * keep + by_constraints
        name = name * keep + by_name
        alternatives = alternatives * keep + by_alternatives
        done = done * keep + finished
        if not self._method_none_set:  # PyDial sets "none" once, then only rescales it
            none = 1.0 - (constraints + name + alternatives + done)
            none = none if none > 0.0 else 0.0
            self._method_none_set = True
        total = none + constraints + name + alternatives + done
        if total > 1.0:
            none, constraints, name, alternatives, done = (
                p / total for p in (none, constraints, name, alternatives, done)
            )
            total = 1.0
        self._method_label = [none, constraints, name, alternatives, done]
        summary_none = 1.0 - total  # PyDial's summary recomputes "none"
        summary_none = summary_none if summary_none > 0.0 else 0.0
        self.method = [summary_none, constraints, name, alternatives, done]
        best = summary_none if summary_none > constraints else constraints
        summary = BYCONSTRAINTS
        if name > best:
            best = name
            summary = BYNAME
        if alternatives > best:
            best = alternatives
            summary = BYALTERNATIVES
        if done > best:
            summary = FINISHED if done > FINISHED_THRESHOLD else BYCONSTRAINTS
        self.summary_method = summary

    # -- reading the belief ---------------------------------------------------------------------

    def top(self, slot: str) -> tuple[str | None, float]:
        """The most likely value of a slot and its probability (``(None, 0.0)`` if unknown)."""
        stats = self.stats[slot]
        return stats[0], stats[1]

    def top_two(self, slot: str) -> list[tuple[str, float]]:
        """The two most likely values of a slot with their probabilities (fewer if unknown)."""
        ranked = sorted(self.belief[slot].items(), key=lambda item: -item[1])
        return ranked[:2]

    def constraints(self) -> dict[str, str]:
        """The accepted value of every accepted constraint slot (``dontcare`` included)."""
        return self.accepted

    def requested_slots(self) -> list[str]:
        """The requestable slots the user is waiting for (above `REQUESTED_THRESHOLD`)."""
        return [s for s, p in self.requested.items() if p > REQUESTED_THRESHOLD]

    def booking(self) -> dict[str, str]:
        """The most likely value of every booking slot the user has given (not ``dontcare``)."""
        found = {}
        for slot in self.booking_slots:
            value = self.stats[slot][0]
            if value is not None and value != DONTCARE:
                found[slot] = value
        return found

    def summary(self) -> dict[str, tuple[str, float]]:
        """Every slot with a belief, to its most likely value and probability (for ``info``)."""
        return {s: (stats[0], stats[1]) for s, stats in self.stats.items() if stats[0] is not None}


def _explicit_confirm(system_acts: Acts) -> tuple[str, str] | None:
    """The slot and value of the system's explicit confirm, if it confirmed exactly one."""
    found = None
    for act in system_acts:
        if act.type is CONFIRM and act.slot is not None and act.value is not None:
            if found is not None:
                return None  # PyDial affirms nothing when several slots were confirmed
            found = (act.slot, act.value)
    return found
