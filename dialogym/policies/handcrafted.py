"""Non-learning policies: PyDial's handcrafted dialogue manager and a uniformly random one."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from dialogym.policies.base import BeliefRulePolicy, SingleObservationPolicy

GROUNDED = 0.8
"""A slot whose best value is below this still needs a confirm, a select or a request."""
CONFIRM_ABOVE = 0.6
"""Between this and `GROUNDED` the best value is confirmed."""
SELECT_ABOVE = 0.3
"""Between this and `CONFIRM_ABOVE`: select when the two best values are close, else confirm."""
SELECT_MARGIN = 0.2
"""The two best values are close when less than this apart."""
OFFER_ACCEPTED = 3
"""With more accepted slots than this (and the user searching by constraints) the policy offers."""
REQUESTED = 0.5
"""A requestable slot counts as requested above this belief."""
BOOKABLE = 0.5
"""Booking (dialogym's): a detail at least this likely is used as it is; so is a wish to book."""


class HandcraftedPolicy(BeliefRulePolicy):
    """PyDial's handcrafted policy (``policy/HDCPolicy.py``) on the summary actions.

    The thresholds above are PyDial's; slots are taken in alphabetical order, as PyDial sorts
    them. In order:

    1. **Global** (the summary of the tracker): searching by constraints with more than
       `OFFER_ACCEPTED` slots accepted: offer; by alternatives: offer another venue; by name:
       answer the requested slots (when a venue was offered); finished: goodbye; thanks or an
       acknowledgement: ask whether anything else is needed (when a venue was offered).
    2. **Confirm or select** the first slot whose best value is below `GROUNDED`: confirm above
       `CONFIRM_ABOVE`; above `SELECT_ABOVE`, select when the two best values are within
       `SELECT_MARGIN`, else confirm. dialogym never offers ``dontcare`` as a choice: a select
       that would, becomes a confirm of the best value.
    3. **Inform** when nothing or one entity matches, the matches cannot be told apart, or every
       slot is accepted: answer the requested slots if the last system turn offered, else offer
       (or say nothing matches).
    4. **Request** the first slot whose best value is below `GROUNDED`.
    5. Otherwise ask whether anything else is needed.

    dialogym's additions: in domains with booking, a wish to book the offered, fitting venue
    comes first (ask for a missing detail, then book). Every rule skips an action the mask
    forbids; when every rule is masked, the first allowed action is taken.

    PyDial's handcrafted policy acts on the master actions, where nothing is masked, so it
    carries out a first choice that the summary masks would forbid: with the benchmark's masks
    that happens in 4.6% of decisions on Laptops11 env6 and 3.4% on CamRestaurants env6, nearly
    always "offer an alternative" after one was offered. The environment never carries out a
    masked action (the system says ``null()``, as for every learned policy), so a policy that
    ignored masks here would not act as PyDial's does but waste the user's patience instead:
    measured over 1000 dialogues, success would fall by 3 to 10 points on every task
    (CamRestaurants env1 100% to 95.8%, env6 94.4% to 87.0%; Laptops11 env6 80.9% to 72.5%).
    Taking the next rule is the nearest the summary actions come to PyDial's choice.

    Args:
        feature_names: The env's ``feature_names`` (belief observation layout).
        action_names: The env's ``action_names``.
    """

    def __init__(self, feature_names: Sequence[str], action_names: Sequence[str]) -> None:
        super().__init__(feature_names, action_names)
        feature = self.features.__getitem__
        action = self.actions.__getitem__
        slots = sorted(n.split(":")[1] for n in feature_names if n.endswith(":top"))
        self._slots = [
            (
                feature(f"slot:{slot}:top"),
                feature(f"slot:{slot}:second"),
                feature(f"slot:{slot}:dontcare"),
                action(f"request:{slot}"),
                action(f"confirm:{slot}"),
                action(f"select:{slot}"),
            )
            for slot in slots
        ]
        self._accepted = [i for n, i in self.features.items() if n.endswith(":accepted")]
        self._booking = [
            (feature(n), action(f"request:{n.split(':')[1]}"))
            for n in feature_names
            if n.endswith(":known")
        ]
        self._flag = {
            name: feature(name)
            for name in (
                "global:byconstraints", "global:byname", "global:byalternatives",
                "global:finished", "global:thankyou", "global:ack", "offered", "offer_fits",
                "offer_happened", "booked", "book_requested", "discriminable", "matches:0",
                "matches:1",
            )
        }  # fmt: skip
        self._offer = action("offer")
        self._inform = action("inform")
        self._offer_alternative = action("offer_alternative")
        self._book = action("book")
        self._reqmore = action("reqmore")
        self._bye = action("bye")

    def wishes(self, x: list[float]) -> Iterator[int]:
        """PyDial's rules, most wanted action first (see the class docstring)."""
        flag = {name: x[i] > 0.5 for name, i in self._flag.items()}
        offered = flag["offered"]
        if self._booking and offered and flag["offer_fits"] and not flag["booked"]:
            if x[self._flag["book_requested"]] >= BOOKABLE:
                for known, request in self._booking:
                    if x[known] < BOOKABLE:
                        yield request
                yield self._book
        accepted = sum(1 for i in self._accepted if x[i] > 0.5)
        if flag["global:byconstraints"] and accepted > OFFER_ACCEPTED:
            yield self._offer
        elif flag["global:byalternatives"]:
            yield self._offer_alternative
        elif flag["global:byname"]:
            if offered:
                yield self._inform
        elif flag["global:finished"]:
            yield self._bye
        elif (flag["global:thankyou"] or flag["global:ack"]) and offered:
            yield self._reqmore
        for top_at, second_at, dontcare_at, _, confirm, select in self._slots:
            top = x[top_at]
            if top >= GROUNDED:
                continue
            if top > CONFIRM_ABOVE:
                yield confirm
            elif top > SELECT_ABOVE:
                second = x[second_at]
                dontcare = x[dontcare_at]
                offers_dontcare = 0.0 < dontcare >= second
                if top - second < SELECT_MARGIN and not offers_dontcare:
                    yield select
                yield confirm
        if (
            flag["matches:0"]
            or flag["matches:1"]
            or not flag["discriminable"]
            or accepted >= len(self._slots)
        ):
            if flag["offer_happened"] and any(x[i] > REQUESTED for i in self.requested):
                yield self._inform
            yield self._offer
        for top_at, _, _, request, _, _ in self._slots:
            if x[top_at] < GROUNDED:
                yield request
        yield self._reqmore


class RandomPolicy(SingleObservationPolicy):
    """Uniform over the allowed actions (all actions when there is no mask).

    Args:
        n_actions: Size of the action space.
        seed: Seed of the policy's own random generator.
    """

    def __init__(self, n_actions: int, seed: int | None = None) -> None:
        self.n_actions = n_actions
        self.rng = np.random.default_rng(seed)

    @classmethod
    def for_env(cls, env: object, seed: int | None = None) -> RandomPolicy:
        """Build the policy for an env's action space."""
        return cls(int(env.action_space.n), seed)  # type: ignore[attr-defined]

    def act(self, observation: np.ndarray, action_mask: np.ndarray | None) -> int:
        """Pick an allowed action uniformly at random."""
        if action_mask is None:
            return int(self.rng.random() * self.n_actions)
        allowed = np.flatnonzero(action_mask)
        return int(allowed[int(self.rng.random() * len(allowed))])
