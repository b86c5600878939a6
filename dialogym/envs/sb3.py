"""`SB3VecEnv`: the batched `DialogueVectorEnv` as Stable-Baselines3's ``VecEnv``.

Kept apart from `dialogym.envs.vector` so that batching dialogues needs no SB3 (nor torch).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env import VecEnv

from dialogym.envs.vector import DialogueVectorEnv


class SB3VecEnv(VecEnv):
    """`DialogueVectorEnv` as Stable-Baselines3's `VecEnv` (``terminal_observation`` included).

    MaskablePPO reads the masks through ``env_method("action_masks")``, which this provides.

    Args:
        venv: The vector environment to drive.
    """

    def __init__(self, venv: DialogueVectorEnv) -> None:
        self.venv = venv
        super().__init__(venv.num_envs, venv.single_observation_space, venv.single_action_space)
        self._actions: Any = None

    def reset(self) -> np.ndarray:
        """Reset every dialogue, with the seeds given to `seed` if any."""
        seeds = self._seeds if any(s is not None for s in self._seeds) else None
        observations, infos = self.venv.reset_lists(seeds)
        self.reset_infos = infos
        self._reset_seeds()
        return observations

    def step_async(self, actions: np.ndarray) -> None:
        """Keep the actions for `step_wait`."""
        self._actions = actions

    def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
        """Step every dialogue; ended ones restart, their last observation kept in the info."""
        observations, rewards, terminated, truncated, infos = self.venv.step_lists(self._actions)
        results = []
        for i, info in enumerate(infos):
            if "final_info" in info:
                final = dict(info.pop("final_info"))
                final["terminal_observation"] = info.pop("final_obs")
                final["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
                self.reset_infos[i] = info
                info = final
            results.append(info)
        return observations, rewards.astype(np.float32), terminated | truncated, results

    def close(self) -> None:
        """Nothing to release."""

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        """An attribute of the selected dialogues' environments."""
        return [getattr(self.venv.envs[i], attr_name) for i in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        """Set an attribute on the selected dialogues' environments."""
        for i in self._get_indices(indices):
            setattr(self.venv.envs[i], attr_name, value)

    def env_method(
        self, method_name: str, *method_args: Any, indices: Any = None, **method_kwargs: Any
    ) -> list[Any]:
        """Call a method of the selected dialogues' environments."""
        return [
            getattr(self.venv.envs[i], method_name)(*method_args, **method_kwargs)
            for i in self._get_indices(indices)
        ]

    def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices: Any = None) -> list[bool]:
        """The dialogues' environments are never wrapped."""
        return [False for _ in self._get_indices(indices)]
