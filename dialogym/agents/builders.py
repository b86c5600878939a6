"""Builders for Stable-Baselines3 / sb3-contrib agents with defaults tuned for dialogue.

SB3's defaults were chosen for Atari and MuJoCo: thousands of steps per episode, dense rewards,
images or joint angles. A dialogue is a handful of turns with one large reward at the end and a
belief vector of a few dozen features, so the defaults here differ.

How they were chosen (CamRestaurants, 4,000 training dialogues, success on 300-500 test
dialogues; budgets were small, so this is a first tuning, not a sweep):

* **MaskablePPO / PPO**: short rollouts (``n_steps=128`` per env, 8 envs: about 150-300
  dialogues per update) so that a 4,000-dialogue budget gives a few dozen updates instead of
  SB3's two (``n_steps=2048``); minibatches of 256, 10 epochs, ``learning_rate=1e-3``,
  ``ent_coef=0.01``, a small ``[64, 64]`` network. This setting reached 100% success on
  PyDialEnv1 within 20,000 steps and on PyDialEnv3 within 15,000 in a first experiment, and 100%
  on env1 for all five seeds of the benchmark; PPO uses the same.
* **A2C**: ``n_steps=8`` per env with 8 envs, ``learning_rate=1e-3``, ``ent_coef=0.01``,
  ``[64, 64]``; RMSprop as in SB3. 100% on env1 for five seeds.
* **DQN**: one env, ``learning_starts=500``, ``batch_size=64``, ``learning_rate=1e-3``,
  ``target_update_interval=250`` (SB3's 10,000 is for Atari: hardly any target update in this
  budget), a 50,000-step buffer, ε from 1 to 0.05 over the first ``exploration_fraction=0.1``
  of the step budget (a dialogue budget is turned into steps as ``dialogues * max_turns``, an
  upper bound, so ε reaches 0.05 after roughly a third of the dialogues). ``train_freq=1`` and
  ``train_freq=4`` both reached 100% on env3 (two seeds each); 4 trains about three times faster
  (20 s instead of 60 s), so it is the default.

Non-maskable algorithms (PPO, A2C, DQN) train without masks: an action the mask forbids is still
carried out (it usually becomes ``null()`` and costs a turn), so they learn to avoid it. When they
are evaluated on a masked env, `dialogym.agents.policy.AgentPolicy` restricts the choice to the
allowed actions by taking the best-scored allowed one (highest logit or Q-value).
"""

from __future__ import annotations

import inspect
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import gymnasium as gym
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.env_util import make_vec_env as sb3_make_vec_env
from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv, VecEnv, VecMonitor

import dialogym.envs  # noqa: F401  (registers the ids)

_SMALL_NET = {"net_arch": [64, 64]}


@dataclass(frozen=True)
class Algorithm:
    """An RL algorithm dialogym knows how to build.

    Attributes:
        name: The name used on the command line (``maskable_ppo``).
        module: Module of the SB3 class.
        class_name: The SB3 class.
        maskable: Whether it honours action masks while training.
        n_envs: Default number of parallel environments.
        defaults: Hyperparameters tuned for dialogue (see the module docstring).
    """

    name: str
    module: str
    class_name: str
    maskable: bool
    n_envs: int
    defaults: Mapping[str, Any]

    @property
    def cls(self) -> type[BaseAlgorithm]:
        """The SB3 class (imported on first use)."""
        import importlib

        return getattr(importlib.import_module(self.module), self.class_name)  # type: ignore[no-any-return]


_PPO_DEFAULTS = {
    "n_steps": 128,
    "batch_size": 256,
    "n_epochs": 10,
    "learning_rate": 1e-3,
    "ent_coef": 0.01,
    "gamma": 0.99,
    "gae_lambda": 0.95,
    "policy_kwargs": _SMALL_NET,
}

ALGORITHMS: dict[str, Algorithm] = {
    algorithm.name: algorithm
    for algorithm in (
        Algorithm("maskable_ppo", "sb3_contrib", "MaskablePPO", True, 8, _PPO_DEFAULTS),
        Algorithm("ppo", "stable_baselines3", "PPO", False, 8, _PPO_DEFAULTS),
        Algorithm(
            "a2c",
            "stable_baselines3",
            "A2C",
            False,
            8,
            {
                "n_steps": 8,
                "learning_rate": 1e-3,
                "ent_coef": 0.01,
                "gamma": 0.99,
                "policy_kwargs": _SMALL_NET,
            },
        ),
        Algorithm(
            "dqn",
            "stable_baselines3",
            "DQN",
            False,
            1,
            {
                "learning_rate": 1e-3,
                "buffer_size": 50_000,
                "learning_starts": 500,
                "batch_size": 64,
                "train_freq": 4,
                "gradient_steps": 1,
                "target_update_interval": 250,
                "exploration_fraction": 0.1,
                "exploration_final_eps": 0.05,
                "gamma": 0.99,
                "policy_kwargs": _SMALL_NET,
            },
        ),
    )
}
"""Every algorithm by name; ``maskable_ppo`` is the default."""


def get_algorithm(name: str) -> Algorithm:
    """The algorithm called ``name``.

    Raises:
        ValueError: unknown name; the message lists the known ones.
    """
    try:
        return ALGORITHMS[name]
    except KeyError:
        raise ValueError(
            f"algo: unknown algorithm {name!r}; choose one of {', '.join(ALGORITHMS)}"
        ) from None


def check_algo_kwargs(algorithm: Algorithm, kwargs: Mapping[str, Any]) -> None:
    """Fail early, in one line, on a keyword the algorithm's constructor does not take.

    Raises:
        ValueError: ``algo_kwargs: MaskablePPO takes no argument 'foo'``.
    """
    accepted = set(inspect.signature(algorithm.cls.__init__).parameters) - {"self", "env"}
    for key in kwargs:
        if key not in accepted:
            raise ValueError(
                f"algo_kwargs: {algorithm.class_name} takes no argument {key!r}"
                f" (see its documentation for the ones it takes)"
            )


def speaks(env_kwargs: Mapping[str, Any]) -> bool:
    """Whether env arguments ask for the language layer (words, not only dialogue acts)."""
    return (
        env_kwargs.get("channel", "semantic") != "semantic"
        or env_kwargs.get("obs", "belief") != "belief"
        or env_kwargs.get("generator") is not None
    )


def make_vec_env(
    env_id: str,
    env_kwargs: Mapping[str, Any],
    n_envs: int,
    seed: int,
    subprocess: bool = False,
) -> VecEnv:
    """``n_envs`` copies of the env, each with SB3's ``Monitor``, seeded ``seed, seed+1, ...``.

    Environments that speak (a text channel, text observations or a generator asked for) run as
    one batched `DialogueVectorEnv` behind `SB3VecEnv` and ``VecMonitor``, so that each step
    writes every utterance in one generator batch and encodes every observation in one encoder
    batch; ``subprocess=True`` keeps one process per env instead.

    Args:
        env_id: A registered id (``dialogym/PyDialEnv1-v0``).
        env_kwargs: Its keyword arguments (``domain``, ``ser``, ...).
        n_envs: How many envs run side by side.
        seed: Seed of the first env.
        subprocess: One process per env (`SubprocVecEnv`) instead of one loop (`DummyVecEnv`);
            dialogue steps are cheap, so this only pays with many cores.
    """
    if not subprocess and speaks(env_kwargs):
        from dialogym.envs.vector import DialogueVectorEnv, SB3VecEnv

        batched = SB3VecEnv(DialogueVectorEnv(env_id, n_envs, **env_kwargs))
        batched.seed(seed)
        return VecMonitor(batched)
    return sb3_make_vec_env(
        env_id,
        n_envs=n_envs,
        seed=seed,
        env_kwargs={"render_mode": None, **env_kwargs},  # SB3 would ask for rgb_array
        vec_env_cls=SubprocVecEnv if subprocess else DummyVecEnv,
    )


def build_agent(
    algorithm: Algorithm,
    env: VecEnv | gym.Env,
    seed: int,
    algo_kwargs: Mapping[str, Any] | None = None,
    tensorboard_log: str | PathLike[str] | None = None,
    device: str = "cpu",
) -> BaseAlgorithm:
    """A fresh agent: the tuned defaults, overridden by ``algo_kwargs``.

    ``policy_kwargs`` is merged key by key, so ``{"policy_kwargs": {"net_arch": [128]}}`` keeps
    the other defaults.
    """
    kwargs = dict(algorithm.defaults)
    overrides = dict(algo_kwargs or {})
    check_algo_kwargs(algorithm, overrides)
    if "policy_kwargs" in overrides:
        overrides["policy_kwargs"] = {
            **kwargs.get("policy_kwargs", {}),
            **overrides["policy_kwargs"],
        }
    kwargs.update(overrides)
    return algorithm.cls(
        "MlpPolicy",
        env,
        seed=seed,
        verbose=0,
        device=device,
        tensorboard_log=str(tensorboard_log) if tensorboard_log is not None else None,
        **kwargs,
    )


def detect_algorithm(path: str | PathLike[str]) -> Algorithm:
    """Which algorithm saved the model ``path`` (read from the zip, nothing unpickled).

    Raises:
        ValueError: not a readable SB3 model file.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            data = json.loads(archive.read("data"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path}: not a saved agent ({error})") from None
    policy = str(data.get("policy_class", {}).get("__module__", ""))
    if "maskable" in policy:
        return ALGORITHMS["maskable_ppo"]
    if "exploration_rate" in data:
        return ALGORITHMS["dqn"]
    return ALGORITHMS["ppo" if "n_epochs" in data else "a2c"]


def load_agent(path: str | PathLike[str], device: str = "cpu") -> BaseAlgorithm:
    """Load an agent saved by ``dialogym train`` (``model.zip`` or a checkpoint).

    Raises:
        ValueError: missing or unreadable file (one line, naming it).
    """
    if not Path(path).is_file():
        raise ValueError(f"{path}: no such model file")
    algorithm = detect_algorithm(path)
    return algorithm.cls.load(str(path), device=device)
