"""The policy protocol: anything that maps an observation (and mask) to a summary action.

It follows Stable-Baselines3's ``predict`` signature, so handcrafted policies, random policies
and trained agents are interchangeable wherever a policy is expected.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import numpy as np

from dialogym.envs.rollout import Predictor

_RulePolicy = TypeVar("_RulePolicy", bound="BeliefRulePolicy")

Policy = Predictor
"""The protocol every policy follows (defined beside the rollout loop that calls it)."""


class SingleObservationPolicy:
    """Base for policies that decide one observation at a time; batches are looped over.

    Subclasses implement `act`; `predict` handles batching and the SB3 return shape.
    """

    def predict(
        self,
        observation: np.ndarray,
        state: Any = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = True,
        action_masks: np.ndarray | None = None,
    ) -> tuple[np.ndarray, Any]:
        """Choose the action for one observation, or for each row of a batch."""
        observation = np.asarray(observation)
        if observation.ndim == 1:
            return np.int64(self.act(observation, action_masks)), None
        masks = action_masks if action_masks is not None else [None] * len(observation)
        actions = [self.act(row, mask) for row, mask in zip(observation, masks, strict=True)]
        return np.asarray(actions, dtype=np.int64), None

    def act(self, observation: np.ndarray, action_mask: np.ndarray | None) -> int:
        """Choose the action for one observation (a 1-D array)."""
        raise NotImplementedError


class BeliefRulePolicy(SingleObservationPolicy):
    """Base for rule policies that read the belief observation by feature name.

    Args:
        feature_names: The env's ``feature_names`` (belief observation layout).
        action_names: The env's ``action_names``.
    """

    def __init__(self, feature_names: Sequence[str], action_names: Sequence[str]) -> None:
        self.features = {name: i for i, name in enumerate(feature_names)}
        self.actions = {name: i for i, name in enumerate(action_names)}
        self.n_actions = len(action_names)
        self.requested = [i for n, i in self.features.items() if n.startswith("requested:")]

    @classmethod
    def for_env(cls: type[_RulePolicy], env: object) -> _RulePolicy:
        """Build the policy for an env (wrapped or not) from its feature and action names.

        Raises:
            ValueError: the env's observation does not start with its belief features
                (``obs="text"``, a layout other than the flat one), so the rules cannot read
                it; one line saying which observation would do.
        """
        unwrapped: Any = getattr(env, "unwrapped", env)
        names = list(getattr(unwrapped, "feature_names", ()))
        observation = getattr(unwrapped, "observation_space", None)
        reads = {"obs": getattr(unwrapped, "obs_kind", "belief")}
        if hasattr(unwrapped, "layout"):
            reads["layout"] = unwrapped.layout
        shape = getattr(observation, "shape", None) or (0,)
        if (
            not names
            or not reads["obs"].startswith("belief")
            or reads.get("layout", "flat") != "flat"
            or len(shape) != 1
            or shape[0] < len(names)
        ):
            given = ", ".join(f"{key}={value!r}" for key, value in reads.items())
            raise ValueError(
                f"{cls.__name__} reads the belief features at the start of the observation,"
                f" which this env's ({given}) does not hold: use obs=belief or obs=belief+text"
                " (flat layout)"
            )
        try:
            return cls(names, unwrapped.action_names)
        except KeyError as error:
            raise ValueError(
                f"{cls.__name__}: the env has no feature or action {error} that its rules read"
            ) from None

    def act(self, observation: np.ndarray, action_mask: np.ndarray | None) -> int:
        """The first action of `wishes` that the mask allows, else the first allowed action."""
        x = observation.tolist()
        if action_mask is None:
            return next(iter(self.wishes(x)), 0)
        allowed = action_mask.tolist()
        for action in self.wishes(x):
            if allowed[action]:
                return action
        return allowed.index(1)

    def wishes(self, x: list[float]) -> Iterable[int]:
        """The actions the rules want for observation ``x``, most wanted first."""
        raise NotImplementedError
