"""A trained agent as a dialogym policy: SB3's ``predict`` that always honours the mask."""

from __future__ import annotations

from os import PathLike
from typing import Any

import numpy as np
import torch
from stable_baselines3.common.base_class import BaseAlgorithm

from dialogym.agents.builders import Algorithm
from dialogym.agents.loading import detect_algorithm, load_agent, read_model_file


class AgentPolicy:
    """Wraps a trained SB3 agent so that it plays like any `dialogym.policies.Policy`.

    MaskablePPO receives the mask as it did in training. PPO, A2C and DQN never saw masks; when
    one is given, the agent's scores (policy logits, or Q-values for DQN) of forbidden actions
    are set to minus infinity and the best allowed action is taken (always the best one: with a
    mask, ``deterministic`` is ignored).

    Args:
        model: The trained agent.
        algorithm: Which algorithm it is (decides how the mask is applied).
    """

    def __init__(self, model: BaseAlgorithm, algorithm: Algorithm) -> None:
        self.model = model
        self.algorithm = algorithm

    @classmethod
    def load(
        cls,
        path: str | PathLike[str],
        device: str = "cpu",
        env: Any = None,
        trust: bool = False,
    ) -> AgentPolicy:
        """Load ``model.zip`` (or a checkpoint) written by ``dialogym train``.

        Nothing from the file is unpickled unless ``trust`` (see `dialogym.agents.loading`).

        Args:
            path: The model zip.
            device: Torch device.
            env: The env the agent will play in: the agent gets its spaces, and must fit them.
            trust: Load as SB3 does, unpickling the file's serialized entries (runs code from
                the file: only for files whose origin you trust).

        Raises:
            ValueError: missing, unreadable or untrusted file, or an agent that does not fit
                ``env`` (one line).
        """
        model = read_model_file(path, trust)
        spaces = None if env is None else (env.observation_space, env.action_space)
        agent = cls(load_agent(model, device, spaces=spaces, trust=trust), detect_algorithm(model))
        return agent if env is None else agent.check_env(env)

    def check_env(self, env: Any) -> AgentPolicy:
        """Return self if the agent fits ``env``'s spaces.

        Raises:
            ValueError: the agent was trained on other observation or action spaces (another
                domain, most likely).
        """
        for what, mine, theirs in (
            ("observations", self.model.observation_space, env.observation_space),
            ("actions", self.model.action_space, env.action_space),
        ):
            if mine != theirs:
                raise ValueError(
                    f"the agent was trained on {what} {mine}, this env has {theirs}"
                    " (another domain?)"
                )
        return self

    def predict(
        self,
        observation: np.ndarray,
        state: Any = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = True,
        action_masks: np.ndarray | None = None,
    ) -> tuple[np.ndarray, Any]:
        """Choose the action(s) for ``observation`` (one or a batch), within ``action_masks``."""
        if self.algorithm.maskable:
            return self._masked_choice(observation, deterministic, action_masks), state
        if action_masks is None:
            return self.model.predict(observation, state, episode_start, deterministic)
        single = observation.ndim == 1
        scores = self._scores(observation[None] if single else observation)
        allowed = np.asarray(action_masks, dtype=bool).reshape(scores.shape)
        actions = np.where(allowed, scores, -np.inf).argmax(axis=1)
        return (actions[0] if single else actions), state

    def _masked_choice(
        self, observation: np.ndarray, deterministic: bool, action_masks: np.ndarray | None
    ) -> np.ndarray:
        """MaskablePPO's ``predict``, switching to evaluation mode only when not in it.

        SB3's walks every module on every call: a third of an evaluation's time.
        """
        policy = self.model.policy
        if policy.training:
            policy.set_training_mode(False)
        tensor, vectorized = policy.obs_to_tensor(observation)
        with torch.no_grad():
            distribution = policy.get_distribution(tensor, action_masks)  # type: ignore[call-arg,operator]
            chosen = distribution.get_actions(deterministic).cpu().numpy()
        return chosen if vectorized else chosen[0]  # type: ignore[no-any-return]

    def _scores(self, observations: np.ndarray) -> np.ndarray:
        """Logits (policy-gradient agents) or Q-values (DQN), one row per observation."""
        policy = self.model.policy
        with torch.no_grad():
            tensor, _ = policy.obs_to_tensor(observations)
            if self.algorithm.name == "dqn":
                values = policy.q_net(tensor)  # type: ignore[attr-defined,operator]
            else:
                values = policy.get_distribution(tensor).distribution.logits  # type: ignore[attr-defined,operator]
        return values.cpu().numpy().astype(np.float64)
