"""Non-learning policies: a rule-based dialogue manager and a uniformly random one."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dialogym.policies.base import SingleObservationPolicy

KNOWN = 0.8
"""A constraint slot whose best value is at least this likely needs no more grounding."""
BOOKABLE = 0.5
"""A booking detail at least this likely is used as it is."""
SURE = 0.8
"""Below this, a constraint slot's best value is confirmed before it is relied on."""
AMBIGUOUS = 0.2
"""A second-best value at least this likely makes the policy ask the user to choose."""
PENDING = 0.3
"""A user request (for a slot, booking or alternative) counts when at least this likely."""


class HandcraftedPolicy(SingleObservationPolicy):
    """A sensible rule-based dialogue manager working from the belief observation.

    In order of priority: answer what the user asked about the offered entity; offer another
    entity when asked; gather and make the booking; select or confirm an uncertain constraint;
    ask for a constraint still unknown while more than one entity matches; offer; ask whether
    anything else is needed. Every rule skips actions the mask forbids.

    Args:
        feature_names: The env's ``feature_names`` (belief observation layout).
        action_names: The env's ``action_names``.
    """

    def __init__(self, feature_names: Sequence[str], action_names: Sequence[str]) -> None:
        self.features = {name: i for i, name in enumerate(feature_names)}
        self.actions = {name: i for i, name in enumerate(action_names)}
        self.n_actions = len(action_names)
        self.constraint_slots = [n.split(":")[1] for n in feature_names if n.endswith(":top")]
        self.booking_slots = [n.split(":")[1] for n in feature_names if n.endswith(":known")]
        self.requested = [i for n, i in self.features.items() if n.startswith("requested:")]
        feature = self.features.__getitem__
        self._slot_features = [
            (
                slot,
                feature(f"slot:{slot}:top"),
                feature(f"slot:{slot}:second"),
                feature(f"slot:{slot}:dontcare"),
            )
            for slot in self.constraint_slots
        ]
        self._booking_features = [
            (slot, feature(f"book:{slot}:known")) for slot in self.booking_slots
        ]
        names = (
            "offered", "offer_fits", "booked", "book_requested", "reqalts", "nomatch",
            "matches:0", "matches:1",
        )  # fmt: skip
        self._flags = {name: feature(name) for name in names}

    @classmethod
    def for_env(cls, env: object) -> HandcraftedPolicy:
        """Build the policy for an env (wrapped or not) from its feature and action names."""
        unwrapped = getattr(env, "unwrapped", env)
        return cls(unwrapped.feature_names, unwrapped.action_names)  # type: ignore[attr-defined]

    def act(self, observation: np.ndarray, action_mask: np.ndarray | None) -> int:
        """Apply the rules to one belief observation."""
        x = observation.tolist()
        allowed = action_mask.tolist() if action_mask is not None else [1] * self.n_actions
        actions = self.actions
        flags = self._flags

        def ok(name: str) -> bool:
            index = actions.get(name)
            return index is not None and allowed[index] == 1

        offered = x[flags["offered"]] > 0.5
        fits = x[flags["offer_fits"]] > 0.5
        if offered and fits:
            if any(x[i] >= PENDING for i in self.requested) and ok("inform"):
                return actions["inform"]
            if x[flags["reqalts"]] >= PENDING and ok("offer_alternative"):
                return actions["offer_alternative"]
            if x[flags["book_requested"]] >= PENDING and x[flags["booked"]] < 0.5:
                for slot, known in self._booking_features:
                    # Book on a likely value: the user corrects a wrong detail.
                    if x[known] < BOOKABLE and ok(f"request:{slot}"):
                        return actions[f"request:{slot}"]
                if ok("book"):
                    return actions["book"]
        for slot, top, second, dontcare in self._slot_features:
            if x[top] > 0.0 and x[second] >= AMBIGUOUS and ok(f"select:{slot}"):
                return actions[f"select:{slot}"]
            if 0.0 < x[top] < SURE and x[dontcare] < x[top] and ok(f"confirm:{slot}"):
                return actions[f"confirm:{slot}"]
        no_match = x[flags["matches:0"]] > 0.5
        single = x[flags["matches:1"]] > 0.5
        if not (no_match or single) or not any(
            x[top] > 0.0 for _, top, _, _ in self._slot_features
        ):
            for slot, top, _, _ in self._slot_features:
                if x[top] < KNOWN and ok(f"request:{slot}"):
                    return actions[f"request:{slot}"]
        if no_match and x[flags["nomatch"]] > 0.5:
            # Already said there is none and the user did not change anything: ask again.
            for slot, _, _, _ in self._slot_features:
                if ok(f"request:{slot}"):
                    return actions[f"request:{slot}"]
        if (not offered or not fits or x[flags["reqalts"]] >= PENDING) and ok("offer"):
            if offered and fits and ok("offer_alternative"):
                return actions["offer_alternative"]
            return actions["offer"]
        if offered and not fits and ok("offer"):
            return actions["offer"]
        if ok("reqmore"):
            return actions["reqmore"]
        return actions["bye"]


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
