"""Batched dialogues: a Gymnasium `VectorEnv` that steps N `DialogueEnv`s together.

Each step runs every dialogue's semantic half (system acts, user reply) in turn, then sends all
the utterances to write as **one** generator batch, hears them, and sends every observation's
text as **one** encoder batch (misses only; cached sentences cost nothing). Dialogues that end
are reset in the same step (Gymnasium's ``SAME_STEP`` autoreset): their openings form a second
generator batch, and their final observations join the encoder batch. Every dialogue keeps its
own random stream, so dialogue ``i`` of a vector env seeded with ``s`` is the dialogue a single
`DialogueEnv` seeded with ``s + i`` plays under the same actions.

>>> venv = DialogueVectorEnv("dialogym/PyDialEnv1-v0", num_envs=4, domain="restaurant")
>>> observations, infos = venv.reset(seed=0)
>>> observations.shape == (4, *venv.single_observation_space.shape)
True
>>> masks = venv.action_masks()
>>> actions = [int(mask.nonzero()[0][0]) for mask in masks]
>>> observations, rewards, terminated, truncated, infos = venv.step(actions)
>>> rewards.shape
(4,)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from dialogym.envs.dialogue import _OPENING, DialogueEnv
from dialogym.envs.language import Texts
from dialogym.envs.registration import ENV_IDS

StepLists = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]
"""Observations, rewards, terminated, truncated, and one info dict per dialogue."""


class DialogueVectorEnv(VectorEnv):
    """N dialogues of one configuration, stepped together with batched generation and encoding.

    Args:
        env_id: A dialogym id (``dialogym/PyDialEnv1-v0``...).
        num_envs: Number of parallel dialogues.
        **kwargs: Arguments of `DialogueEnv` (``domain``, ``channel``, ``obs``, ``generator``,
            ``encoder``...); the generator and encoder are built once and shared (a ``language``
            given is shared as it is).
    """

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": []}

    def __init__(self, env_id: str, num_envs: int, **kwargs: Any) -> None:
        if isinstance(num_envs, bool) or not isinstance(num_envs, int) or num_envs < 1:
            raise ValueError(f"num_envs: must be a positive integer, got {num_envs!r}")
        first = gym.make(env_id, **kwargs).unwrapped
        if not isinstance(first, DialogueEnv):
            raise ValueError(f"env_id: {env_id!r} is not a dialogym environment")
        self.language = first.language
        shared = {**kwargs, "language": self.language}
        others: list[DialogueEnv] = [
            gym.make(env_id, **shared).unwrapped  # type: ignore[misc]
            for _ in range(num_envs - 1)
        ]
        self.envs: list[DialogueEnv] = [first, *others]
        self.num_envs = num_envs
        self.single_observation_space = first.observation_space
        self.single_action_space = first.action_space
        self.observation_space = batch_space(first.observation_space, num_envs)
        self.action_space = batch_space(first.action_space, num_envs)
        self.action_names = first.action_names

    # -- Gymnasium API --------------------------------------------------------------------------

    def reset(
        self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset every dialogue (seeds ``seed, seed + 1, ...`` when ``seed`` is an int)."""
        observations, infos = self.reset_lists(seed)
        return observations, self._merge(infos)

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Step every dialogue; ended ones restart at once (their last observation in ``final_obs``)."""
        observations, rewards, terminated, truncated, infos = self.step_lists(actions)
        return observations, rewards, terminated, truncated, self._merge(infos)

    def action_masks(self) -> np.ndarray:
        """The masks of every dialogue, shape ``(num_envs, n_actions)``, ``np.int8``."""
        return np.stack([env.action_masks() for env in self.envs])

    # -- the same, with one info dict per dialogue (what SB3 wants) -----------------------------

    def reset_lists(
        self, seed: int | Sequence[int | None] | None = None
    ) -> tuple[np.ndarray, list[dict[str, Any]]]:
        """`reset`, with the infos as a list of dicts."""
        if seed is None or isinstance(seed, int):
            seeds: Sequence[int | None] = [
                None if seed is None else seed + i for i in range(self.num_envs)
            ]
        else:
            seeds = seed
        if len(seeds) != self.num_envs:
            raise ValueError(f"seed: expected {self.num_envs} seeds, got {len(seeds)}")
        infos = self._restart(range(self.num_envs), seeds)
        return self._observe(self.envs), infos

    def step_lists(
        self, actions: Any, restart_seed: Callable[[int], int | None] | None = None
    ) -> StepLists:
        """`step`, with the infos as a list of dicts.

        Args:
            actions: One action per dialogue.
            restart_seed: Called with the index of each dialogue that ends in this step, in
                index order: the seed its restart takes (``None``, the default: its random
                stream goes on).
        """
        envs = self.envs
        actions = list(actions)
        if len(actions) != self.num_envs:
            raise ValueError(f"actions: expected {self.num_envs} actions, got {len(actions)}")
        indices = [env._action_index(action) for env, action in zip(envs, actions, strict=True)]
        exchanges = [env._exchange(index) for env, index in zip(envs, indices, strict=True)]
        texts = self._say(
            [(s, reply.acts, env) for env, (s, reply) in zip(envs, exchanges, strict=True)]
        )
        rewards = np.zeros(self.num_envs, np.float64)
        terminated = np.zeros(self.num_envs, bool)
        truncated = np.zeros(self.num_envs, bool)
        infos: list[dict[str, Any]] = []
        ended: list[int] = []
        for i, env in enumerate(envs):
            system_acts, reply = exchanges[i]
            reward, terminated[i], truncated[i], info = env._conclude(
                indices[i], system_acts, reply, texts[i]
            )
            rewards[i] = reward
            infos.append(info)
            if terminated[i] or truncated[i]:
                ended.append(i)
        final_beliefs = [envs[i].encoder.encode(envs[i].tracker) for i in ended]
        final_conversations = [envs[i].conversation for i in ended]
        seeds = [None if restart_seed is None else restart_seed(i) for i in ended]
        for i, info in zip(ended, self._restart(ended, seeds), strict=True):
            info["final_info"] = infos[i]
            infos[i] = info
        observations = self._observe(envs, final_beliefs, final_conversations)
        for row, i in enumerate(ended):
            infos[i]["final_obs"] = observations[self.num_envs + row]
        return observations[: self.num_envs], rewards, terminated, truncated, infos

    # -- batching -------------------------------------------------------------------------------

    def _restart(self, which: Iterable[int], seeds: Sequence[int | None]) -> list[dict[str, Any]]:
        """Reset the dialogues ``which``, their openings said as one batch; their reset infos."""
        envs = [self.envs[i] for i in which]
        openings = [env._begin(seed) for env, seed in zip(envs, seeds, strict=True)]
        texts = self._say([(_OPENING, acts, env) for env, acts in zip(envs, openings, strict=True)])
        return [env._opened(acts, t) for env, acts, t in zip(envs, openings, texts, strict=True)]

    def _say(self, exchanges: list[tuple[Any, Any, DialogueEnv]]) -> list[Texts | None]:
        if self.language is None or not exchanges:
            return [None] * len(exchanges)
        texts = self.language.say_all([(s, u, env._random()) for s, u, env in exchanges])
        for (_, _, env), fallbacks in zip(exchanges, self.language.fallbacks, strict=True):
            env.generator_fallbacks += fallbacks
        return list(texts)

    def _observe(
        self,
        envs: Sequence[DialogueEnv],
        beliefs: Sequence[np.ndarray] = (),
        conversations: Sequence[list[str]] = (),
    ) -> np.ndarray:
        """Observations of ``envs``' current states, then of the extra (final) states given."""
        all_beliefs = [env.encoder.encode(env.tracker) for env in envs] + list(beliefs)
        if self.language is None:
            return np.stack(all_beliefs)
        return self.language.observe(
            all_beliefs, [env.conversation for env in envs] + list(conversations)
        )

    def _merge(self, infos: list[dict[str, Any]]) -> dict[str, Any]:
        return merge_infos(infos, self.num_envs)


def make_vector_env(
    num_envs: int, max_episode_steps: int | None = None, **kwargs: Any
) -> DialogueVectorEnv:
    """``gymnasium.make_vec``'s vector entry point for every dialogym id.

    ``kwargs`` are the id's own arguments with the caller's (``make_vec`` merges them);
    ``max_episode_steps`` (the id's, or the caller's) ends the dialogues unless ``max_turns``
    is given.

    >>> import gymnasium as gym
    >>> venv = gym.make_vec("dialogym/PyDialEnv3-v0", num_envs=2)
    >>> type(venv).__name__, venv.num_envs, venv.envs[0].ser, venv.envs[0].max_turns
    ('DialogueVectorEnv', 2, 0.15, 25)
    """
    if max_episode_steps is not None:
        kwargs.setdefault("max_turns", max_episode_steps)
    return DialogueVectorEnv(ENV_IDS[0], num_envs, **kwargs)  # Dialogue-v0 takes every argument


def merge_infos(infos: Sequence[Mapping[str, Any]], size: int) -> dict[str, Any]:
    """The infos of ``size`` envs in Gymnasium's vector layout, built a key at a time.

    The same dict as `gymnasium.vector.VectorEnv._add_info` called env by env builds (per key an
    array over the envs and a ``_key`` mask of the envs that have it; dicts merged recursively;
    ``final_obs`` an object array), in half the time (16 envs: 140 us, not 290 us, of a text
    channel step's 8 ms).
    """
    merged: dict[str, Any] = {}
    for key in dict.fromkeys(key for info in infos for key in info):
        rows = [i for i, info in enumerate(infos) if key in info]
        first = infos[rows[0]][key]
        if isinstance(first, dict) and key != "final_obs":
            merged[key] = merge_infos([info.get(key, {}) for info in infos], size)
        else:
            array = _info_array(first, size) if key != "final_obs" else np.full(size, None, object)
            for i in rows:
                array[i] = infos[i][key]
            merged[key] = array
        mask = np.zeros(size, np.bool_)
        mask[rows] = True
        merged[f"_{key}"] = mask
    return merged


def _info_array(value: Any, size: int) -> np.ndarray:
    """An empty array over ``size`` envs for info values like ``value`` (as Gymnasium makes it)."""
    if type(value) in (int, float, bool) or isinstance(value, np.number):
        return np.zeros(size, dtype=type(value))
    if isinstance(value, np.ndarray):
        return np.zeros((size, *value.shape), dtype=value.dtype)
    return np.full(size, None, dtype=object)
