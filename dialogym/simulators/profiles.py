"""User profiles: ranges from which each dialogue draws its user's behaviour.

As in PyDial, a profile holds ranges, and every dialogue samples one probability uniformly from
each range, so users differ from dialogue to dialogue as well as from profile to profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from dialogym.simulators.randomness import RandomStream

Range = tuple[float, float]


class UserBehaviour(NamedTuple):
    """The probabilities one simulated user acts on for a whole dialogue.

    Attributes:
        inform_combination: Chance of adding each further pending constraint to a turn.
        affirm_combination: Chance of adding a pending constraint after a yes.
        greeting: Chance of opening with a greeting.
        relax: Chance of relaxing a constraint when told nothing matches (else give up).
        tell_about_change: Chance of saying the relaxed value at once (else only asking for
            alternatives and saying it when asked).
        answer_request: Chance of answering a system request (else pressing on with the
            user's own agenda).
        patience: Useless or repeated system turns in a row tolerated before hanging up.
    """

    inform_combination: float
    affirm_combination: float
    greeting: float
    relax: float
    tell_about_change: float
    answer_request: float
    patience: int


@dataclass(frozen=True)
class UserProfile:
    """Ranges for every `UserBehaviour` field; `sample` draws one user."""

    name: str
    inform_combination: Range
    affirm_combination: Range
    greeting: Range
    relax: Range
    tell_about_change: Range
    answer_request: Range
    patience: tuple[int, int]

    def sample(self, stream: RandomStream) -> UserBehaviour:
        """Draw the behaviour of one user for one dialogue."""
        low, high = self.patience
        return UserBehaviour(
            inform_combination=stream.uniform(*self.inform_combination),
            affirm_combination=stream.uniform(*self.affirm_combination),
            greeting=stream.uniform(*self.greeting),
            relax=stream.uniform(*self.relax),
            tell_about_change=stream.uniform(*self.tell_about_change),
            answer_request=stream.uniform(*self.answer_request),
            patience=low + stream.below(high - low + 1),
        )


PROFILES: dict[str, UserProfile] = {
    "standard": UserProfile(
        name="standard",
        inform_combination=(0.2, 0.7),
        affirm_combination=(0.2, 0.7),
        greeting=(0.3, 0.7),
        relax=(0.5, 0.8),
        tell_about_change=(0.4, 0.6),
        answer_request=(1.0, 1.0),
        patience=(4, 5),
    ),
    "unfriendly": UserProfile(
        name="unfriendly",
        inform_combination=(0.0, 0.4),
        affirm_combination=(0.0, 0.4),
        greeting=(0.1, 0.4),
        relax=(0.2, 0.5),
        tell_about_change=(0.2, 0.4),
        answer_request=(0.6, 0.9),
        patience=(4, 5),
    ),
}
"""The built-in profiles by name (PyDial's ranges; ``answer_request`` is dialogym's)."""


def get_profile(name: str | UserProfile) -> UserProfile:
    """Look up a built-in profile by name (a profile passed in is returned as is).

    Raises:
        ValueError: unknown profile name; the message lists the known ones.
    """
    if isinstance(name, UserProfile):
        return name
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ValueError(f"user: unknown profile {name!r}; known profiles: {known}") from None
