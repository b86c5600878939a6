"""User profiles: ranges from which each dialogue draws its simulated user's behaviour.

As in PyDial, a profile holds a range per behaviour, and every dialogue samples one probability
uniformly from each range, so users differ from dialogue to dialogue as well as from profile to
profile. The built-in profiles are PyDial's benchmark user models, read from the package data
file ``data/user-profiles.json`` (its ``source`` field names where each number comes from).

A profile is data: make the world easier or harder by changing ranges, not code.

>>> easy = get_profile({"base": "standard", "patience": [9, 9], "inform_combination": [1, 1]})
>>> easy.patience, easy.inform_combination
((9, 9), (1.0, 1.0))
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any, NamedTuple

from dialogym.randomness import RandomStream

Range = tuple[float, float]


class UserBehaviour(NamedTuple):
    """The probabilities one simulated user acts on for a whole dialogue (PyDial's names in brackets).

    Attributes:
        inform_combination: Chance of adding the next pending inform to a turn (InformCombination).
        add_slot_to_request: Chance of asking for one more slot in the same request (AddSlotToReq).
        no_after_reqmore: Chance of a plain "no" to "anything else?" once satisfied (NoAfterReqmore).
        yes_after_reqmore: Chance of a pointless "yes" to "anything else?" before any offer
            (YesAfterReqmore).
        greeting: Chance of greeting back (Greeting).
        constraint_relax: Chance that a changed constraint becomes ``dontcare`` rather than
            another value (ConstraintRelax).
        tell_about_change: Chance of saying the changed constraint when asking for an alternative
            (TellAboutChange).
        bye_or_start_over: Chance of leaving when nothing matches and no constraint can change
            (ByeOrStartOver).
        deal_with_pending: Chance of saying pending constraints before asking about an offered
            venue (DealWithPending).
        inform_to_confirm: Chance that pending informs become ``confirm`` questions once a venue
            is offered (InformToConfirm).
        affirm_with_agenda_item: Chance of answering "anything else?" with a yes plus the next
            pending constraint (CombAffirmWithAgdItem).
        overrule_correction: Chance of confirming another constraint instead of correcting the
            system (OverruleCorrection).
        confirm_random_constraint: Chance, per correct item of an offer, of asking whether the
            venue meets a constraint the system did not mention (ConfirmRandomConstr).
        reqalts_after_first_venue: Chance of asking for another venue at the first one offered
            (ReqAltsAfterVenRec1).
        change_goal_after_first_venue: Chance of changing a constraint at the first venue offered
            (ReqAltsAfterVenRec2).
        repeat_constraint_when_asked: Chance of answering a question about a slot outside the goal
            with a constraint of the goal (NewRequestResp1).
        invent_constraint_when_asked: Chance of answering it with ``dontcare`` without making it a
            constraint (NewRequestResp2); otherwise ``dontcare`` becomes a constraint.
        correct_with_negate: Chance of correcting with ``negate() & inform(slot=right)``
            (CorrectingAct1).
        correct_with_deny: Chance of correcting with ``deny(slot=wrong) & inform(slot=right)``
            (CorrectingAct2); otherwise a plain inform of the right value.
        thank: Chance of a thank-you turn after an acceptable offer or answer (ThankAck1).
        ack: Chance of an acknowledgement turn instead (ThankAck2).
        affirm_combination: Chance of adding the next pending inform to a yes
            (AffirmCombination).
        goodbye_when_done: Chance of leaving at once when everything is done and the system says
            anything but "anything else?".
        slotless_dontcare: Chance of leaving the slot out of a ``dontcare`` answer to a system
            ``request`` or ``select`` ("I don't mind": ``inform(=dontcare)``, NoSlotWithDontcare);
            the error channel can then only confuse the whole act, as PyDial's does.
        venue_in_request: Chance of naming the venue in a question about one of its facts
            ("what is the phone number of X?": ``request(phone) & inform(name=X)``,
            AddVenueNameToRequest).
        keep_refused_venues: Chance that venues the user turned down stay turned down once it
            settles on another (PyDial's goal keeps its ``name!=X`` constraints beside
            ``name=Y``: 1 in PyDial's users).
        want_offer_facts_after_confirm: Chance that, having asked to confirm a constraint the
            offer did not name, the user also wants to hear every fact the offer named (PyDial's
            ``fill_requests`` adds them to the goal's requests, so a later venue must tell them
            too: 1 in PyDial's users).
        ask_repeat: Chance, per system turn, of asking the system to say it again instead of
            reacting to it (``repeat()``); a dialogym addition, absent from PyDial's users, so
            0 in the built-in profiles.
        patience: Repeated or void system turns tolerated in all; never restored (PyDial's
            benchmark sets ``oldstylepatience = False``). Corrections get likelier to end in a
            goodbye as patience wears down.
    """

    inform_combination: float
    add_slot_to_request: float
    no_after_reqmore: float
    yes_after_reqmore: float
    greeting: float
    constraint_relax: float
    tell_about_change: float
    bye_or_start_over: float
    deal_with_pending: float
    inform_to_confirm: float
    affirm_with_agenda_item: float
    overrule_correction: float
    confirm_random_constraint: float
    reqalts_after_first_venue: float
    change_goal_after_first_venue: float
    repeat_constraint_when_asked: float
    invent_constraint_when_asked: float
    correct_with_negate: float
    correct_with_deny: float
    thank: float
    ack: float
    affirm_combination: float
    goodbye_when_done: float
    slotless_dontcare: float
    venue_in_request: float
    keep_refused_venues: float
    want_offer_facts_after_confirm: float
    ask_repeat: float
    patience: int


PROBABILITIES: tuple[str, ...] = UserBehaviour._fields[:-1]
"""Every behaviour that is a probability (all but ``patience``)."""
ADDITIONS: tuple[str, ...] = ("ask_repeat",)
"""Behaviours PyDial's users lack. They are drawn after the others, and only when their range
is not a single point, so that a world without them keeps PyDial's random stream."""


@dataclass(frozen=True)
class UserProfile:
    """A named range for every `UserBehaviour` field; `sample` draws one user.

    Attributes:
        name: The profile's name (shown in transcripts and errors).
        ranges: Behaviour name to its (low, high) range, for every name in `PROBABILITIES`.
        patience: Lowest and highest patience (inclusive), drawn uniformly.
    """

    name: str
    ranges: Mapping[str, Range]
    patience: tuple[int, int]

    def __post_init__(self) -> None:
        """Reject a missing or unknown behaviour, or a range outside [0, 1]."""
        where = f"user profile {self.name!r}"
        unknown = sorted(set(self.ranges) - set(PROBABILITIES))
        if unknown:
            raise ValueError(f"{where}: unknown behaviour {unknown[0]!r}")
        missing = [name for name in PROBABILITIES if name not in self.ranges]
        if missing:
            raise ValueError(f"{where}: missing behaviour {missing[0]!r}")
        for name, (low, high) in self.ranges.items():
            if not 0.0 <= low <= high <= 1.0:
                raise ValueError(f"{where}: {name} must be a range 0 <= low <= high <= 1")
        low, high = self.patience
        if not 1 <= low <= high:
            raise ValueError(f"{where}: patience must be a range 1 <= low <= high")

    def __getattr__(self, name: str) -> Range:
        """A behaviour's range as an attribute (``profile.greeting``)."""
        ranges = self.__dict__.get("ranges", {})
        if name in ranges:
            return ranges[name]  # type: ignore[no-any-return]
        raise AttributeError(name)

    def sample(self, stream: RandomStream) -> UserBehaviour:
        """Draw the behaviour of one user for one dialogue."""
        ranges = self.ranges
        drawn = {name: stream.uniform(*ranges[name]) for name in PROBABILITIES[: -len(ADDITIONS)]}
        low, high = self.patience
        patience = low + stream.below(high - low + 1)
        for name in ADDITIONS:
            low_chance, high_chance = ranges[name]
            point = low_chance == high_chance
            drawn[name] = low_chance if point else stream.uniform(low_chance, high_chance)
        return UserBehaviour(**drawn, patience=patience)

    def with_changes(self, changes: Mapping[str, Any]) -> UserProfile:
        """A copy with some ranges (or ``patience``, or ``name``) replaced.

        Raises:
            ValueError: an unknown behaviour or a malformed range; the message names it.
        """
        ranges = dict(self.ranges)
        patience = self.patience
        name = self.name
        for key, value in changes.items():
            if key == "name":
                name = str(value)
            elif key == "patience":
                patience = _int_range(self.name, key, value)
            elif key in PROBABILITIES:
                ranges[key] = _float_range(self.name, key, value)
            else:
                raise ValueError(f"user profile {self.name!r}: unknown behaviour {key!r}")
        return replace(self, name=name, ranges=ranges, patience=patience)


def _float_range(profile: str, key: str, value: Any) -> Range:
    """A (low, high) pair of floats from a number or a two-item list."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (float(value), float(value))
    if (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    ):
        return (float(value[0]), float(value[1]))
    raise ValueError(f"user profile {profile!r}: {key} must be a number or [low, high]")


def _int_range(profile: str, key: str, value: Any) -> tuple[int, int]:
    """A (low, high) pair of ints from an int or a two-item list."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    if (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return (value[0], value[1])
    raise ValueError(f"user profile {profile!r}: {key} must be an integer or [low, high]")


def _load_builtin() -> dict[str, UserProfile]:
    """The profiles of the package data file."""
    text = resources.files("dialogym.simulators").joinpath("data/user-profiles.json").read_text()
    table = json.loads(text)["profiles"]
    profiles = {}
    for name, values in table.items():
        empty = UserProfile(name, {k: (0.0, 0.0) for k in PROBABILITIES}, (1, 1))
        profiles[name] = empty.with_changes(values)
    return profiles


PROFILES: dict[str, UserProfile] = _load_builtin()
"""The built-in profiles by name: ``standard`` (PyDial's sampledUM) and ``unfriendly``."""


def get_profile(spec: str | UserProfile | Mapping[str, Any]) -> UserProfile:
    """Look up or build a profile.

    Args:
        spec: A built-in profile's name, a profile (returned as it is), or a mapping of changes
            to a built-in profile: ``{"base": "standard", "patience": [6, 8], "greeting": 0.5}``
            (``base`` defaults to ``standard``).

    Raises:
        ValueError: an unknown profile or behaviour, or a malformed range; the message names it.
    """
    if isinstance(spec, UserProfile):
        return spec
    if isinstance(spec, Mapping):
        changes = dict(spec)
        base = get_profile(str(changes.pop("base", "standard")))
        changes.setdefault("name", f"{base.name}*")
        return base.with_changes(changes)
    try:
        return PROFILES[spec]
    except (KeyError, TypeError):
        known = ", ".join(sorted(PROFILES))
        raise ValueError(f"user: unknown profile {spec!r}; known profiles: {known}") from None
