"""The policy protocol: anything that maps an observation (and mask) to a summary action.

It follows Stable-Baselines3's ``predict`` signature, so handcrafted policies, random policies
and trained agents are interchangeable wherever a policy is expected.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dialogym.envs.rollout import Predictor

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
