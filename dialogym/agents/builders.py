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
* **DQN**: PyDial's DQN benchmark settings (``config/pydial_benchmarks/env*-dqn-CR.cfg``,
  ``[dqnpolicy]``; ``policy/DQNPolicy.py`` and ``policy/DRL/dqn.py`` for what they mean), so
  that its figures can be set beside PyDial's logged ones. Where they map:

  ======================================  ==============================================
  PyDial                                  here (SB3 ``DQN``)
  ======================================  ==============================================
  ``gamma = 0.99``                        ``gamma=0.99``
  ``learning_rate = 0.001`` (Adam)        ``learning_rate=1e-3`` (Adam)
  ``minibatch_size = 64``                 ``batch_size=64``
  ``capacity = 6000`` (transitions)       ``buffer_size=6000``
  ``h1_size = 300``, ``h2_size = 100``    ``net_arch=[300, 100]`` (ReLU in both)
  ``training_frequency = 2`` (dialogues)  ``train_freq=(2, "episode")``, one gradient step
  training starts at 10 minibatches       ``learning_starts=640`` (steps)
  Huber loss (``clipped_error``)          SB3's smooth L1 loss (the same)
  ε from ``epsilon_start = 0.3`` to       ``exploration_initial_eps=0.3``,
  ``epsilon_end = 0.0``, linearly over    ``exploration_final_eps=0.0``,
  ``maxiter = 4000`` dialogues            ``exploration_fraction=1.0`` of the dialogue
                                          budget (`DialogueSchedule`: per dialogue, as
                                          PyDial, not per step as SB3)
  rewards divided by 20 for learning      ``reward_scale = 1/20`` (`ScaledReward`)
  ``tau = 0.02``: soft target update      ``tau=0.02`` every ``target_update_interval=16``
  after each gradient step                steps (about two dialogues: see below)
  ======================================  ==============================================

  What does not map: SB3 updates the target network every N *steps*, not after each gradient
  step; 16 steps is about two dialogues (PyDial's turns per dialogue are 6-9), so about one
  soft update per gradient step. PyDial explores and bootstraps only over the actions its mask
  allows; SB3's DQN knows no masks (it explores over every action and learns that forbidden
  ones waste a turn; evaluated, it takes its best allowed action). SB3 acts uniformly at
  random until ``learning_starts``; PyDial is ε-greedy on its untrained network from the first
  dialogue. PyDial clips each gradient element to ±3; SB3 clips the gradient's norm at 10.
  PyDial's observation is its 268-feature flattened belief; here it is the env's encoder's.
Non-maskable algorithms (PPO, A2C, DQN) train without masks: an action the mask forbids is still
carried out (it usually becomes ``null()`` and costs a turn), so they learn to avoid it. When they
are evaluated on a masked env, `dialogym.agents.policy.AgentPolicy` restricts the choice to the
allowed actions by taking the best-scored allowed one (highest logit or Q-value).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from os import PathLike
from typing import Any

import gymnasium as gym
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.env_util import make_vec_env as sb3_make_vec_env
from stable_baselines3.common.utils import LinearSchedule
from stable_baselines3.common.vec_env import (
    DummyVecEnv,
    SubprocVecEnv,
    VecEnv,
    VecEnvWrapper,
    VecMonitor,
)
from stable_baselines3.common.vec_env.base_vec_env import VecEnvObs, VecEnvStepReturn

import dialogym.envs  # noqa: F401  (registers the ids)
from dialogym.agents.callbacks import DialogueSchedule
from dialogym.envs.registration import env_argument_kinds

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
        reward_scale: Factor on the rewards it learns from (the reported returns are never
            scaled).
        policy: The policy network: SB3's ``MlpPolicy`` of the algorithm, or the structured
            policy (``module:Class``, `dialogym.agents.structured`).
        env_kwargs: Env arguments the policy needs (the structured one: ``layout="slots"``).
        training_reward: Reward settings of the envs it trains on, never of those it is tested
            on (the structured one: ``forbidden=-1``, see `dialogym.envs.evaluation.RewardConfig`).
    """

    name: str
    module: str
    class_name: str
    maskable: bool
    n_envs: int
    defaults: Mapping[str, Any]
    reward_scale: float = 1.0
    policy: str = "MlpPolicy"
    env_kwargs: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    training_reward: Mapping[str, float] = dataclasses.field(default_factory=dict)

    @property
    def cls(self) -> type[BaseAlgorithm]:
        """The SB3 class (imported on first use)."""
        return getattr(importlib.import_module(self.module), self.class_name)  # type: ignore[no-any-return]

    def plays(self, env_id: str) -> bool:
        """Whether its policy can play the env ``env_id`` builds.

        It can when the env takes every argument the policy needs (`env_kwargs`): the
        structured policy's per-slot layout is the PyDial world's, which the MultiWOZ ids do
        not take.

        >>> get_algorithm("structured_ppo").plays("dialogym/MultiWOZ-v0")
        False
        """
        return set(self.env_kwargs) <= set(env_argument_kinds(env_id))

    @property
    def policy_cls(self) -> type[Any]:
        """The policy class the agent is built with."""
        if self.policy == "MlpPolicy":
            return self.cls.policy_aliases["MlpPolicy"]
        module, _, name = self.policy.partition(":")
        return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


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

FINAL_LEARNING_RATE = "final_learning_rate"
"""dialogym's own algorithm argument: the learning rate at the end of the training budget. The
rate then falls linearly from ``learning_rate``, per training dialogue over a ``--dialogues``
budget (`DialogueSchedule`), or over the steps of a ``--timesteps`` budget."""

_STRUCTURED_DEFAULTS = {
    **_PPO_DEFAULTS,
    "n_steps": 64,
    "learning_rate": 1e-3,
    FINAL_LEARNING_RATE: 3e-4,
    "policy_kwargs": {"width": 64},
}
"""The structured policy's: the rate falls from 1e-3 to 3e-4 over the budget, and it updates
every 64 steps per env (chosen on training seeds: docs/structured-benchmark/learning-rate.md)."""

ALGORITHMS: dict[str, Algorithm] = {
    algorithm.name: algorithm
    for algorithm in (
        Algorithm(
            "structured_ppo",
            "sb3_contrib",
            "MaskablePPO",
            True,
            8,
            _STRUCTURED_DEFAULTS,
            reward_scale=1 / 20,
            policy="dialogym.agents.structured:MaskableSlotPolicy",
            env_kwargs={"layout": "slots"},
            training_reward={"forbidden": -1.0},
        ),
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
                "buffer_size": 6000,
                "learning_starts": 640,
                "batch_size": 64,
                "train_freq": (2, "episode"),
                "gradient_steps": 1,
                "tau": 0.02,
                "target_update_interval": 16,
                "exploration_initial_eps": 0.3,
                "exploration_final_eps": 0.0,
                "exploration_fraction": 1.0,
                "gamma": 0.99,
                "policy_kwargs": {"net_arch": [300, 100]},
            },
            reward_scale=1 / 20,
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


def algorithms_for(env_id: str) -> list[str]:
    """The algorithms whose policy can play the env ``env_id`` builds (`Algorithm.plays`).

    >>> algorithms_for("dialogym/MultiWOZ-v0")
    ['maskable_ppo', 'ppo', 'a2c', 'dqn']
    """
    return [name for name, algorithm in ALGORITHMS.items() if algorithm.plays(env_id)]


SET_BY_DIALOGYM = {
    "policy": "the policy is always MlpPolicy",
    "env": "the environment is --env",
    "seed": "use --seed",
    "device": "use --device",
    "tensorboard_log": "the run folder's tb/ holds the logs",
    "verbose": "dialogym sets it",
}
"""Constructor arguments dialogym sets itself, with what to do instead."""
POSITIVE = frozenset(
    {"n_steps", "batch_size", "n_epochs", "buffer_size", "target_update_interval", "learning_rate"}
)
"""Numeric constructor arguments that must be > 0."""
LARGEST_INTEGER = 2**31 - 1
"""The largest integer argument taken (sizes and counts; torch and numpy index with these)."""
NOT_POLICY_KWARGS = frozenset(
    {"self", "observation_space", "action_space", "lr_schedule", "use_sde"}
)
"""Parameters of a policy class that SB3 passes itself (never from ``policy_kwargs``)."""


def policy_arguments(algorithm: Algorithm) -> frozenset[str] | None:
    """The ``policy_kwargs`` names the algorithm's policy class takes; None if it takes any.

    A class whose ``__init__`` passes ``**kwargs`` on (the structured policy's) takes its own
    parameters and those of the next class in its MRO.

    >>> sorted(policy_arguments(get_algorithm("structured_ppo")))[-2:]
    ['share_features_extractor', 'width']
    """
    names: set[str] = set()
    for cls in algorithm.policy_cls.__mro__:
        init = vars(cls).get("__init__")
        if init is None:
            continue
        parameters = inspect.signature(init).parameters.values()
        names.update(
            p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        )
        if all(p.kind != p.VAR_KEYWORD for p in parameters):
            return frozenset(names - NOT_POLICY_KWARGS)
    return None


def check_algo_kwargs(algorithm: Algorithm, kwargs: Mapping[str, Any]) -> None:
    """Fail early, in one line, on a keyword the constructor does not take or a bad value.

    A keyword dialogym sets itself (`SET_BY_DIALOGYM`) is refused, and so is a ``policy_kwargs``
    name the policy class does not take (`policy_arguments`). A value must fit the
    constructor's default: true or false for a boolean one; for an integer one an integer (or
    a list, as DQN's ``train_freq`` takes); for a float one a finite number (or a callable
    schedule). `POSITIVE` ones must be > 0; SB3 checks the rest when the agent is built.

    Raises:
        ValueError: ``algo_kwargs: MaskablePPO takes no argument 'foo'``, and the like.
    """
    parameters = inspect.signature(algorithm.cls.__init__).parameters
    for key, value in kwargs.items():
        if key == "policy_kwargs" and value is not None:
            _check_policy_kwargs(algorithm, value)
            continue
        if key == FINAL_LEARNING_RATE:
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not (math.isfinite(value) and value > 0)
            ):
                raise ValueError(f"algo_kwargs: {key} must be a number > 0, got {value!r}")
            continue
        if key in SET_BY_DIALOGYM:
            raise ValueError(f"algo_kwargs: {key!r} is not allowed ({SET_BY_DIALOGYM[key]})")
        if key not in parameters or key == "self":
            raise ValueError(
                f"algo_kwargs: {algorithm.class_name} takes no argument {key!r}"
                f" (see its documentation for the ones it takes)"
            )
        default = parameters[key].default
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if isinstance(default, bool):
            expected, ok = "true or false", isinstance(value, bool)
        elif isinstance(default, int):
            expected = "an integer"
            whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
            ok = isinstance(value, list | tuple) or (number and whole)
        elif isinstance(default, float):
            expected = "a finite number"
            ok = callable(value) or (number and math.isfinite(value))
        else:
            continue
        if not ok:
            raise ValueError(f"algo_kwargs: {key} must be {expected}, got {value!r}")
        if isinstance(default, int) and number and abs(value) > LARGEST_INTEGER:
            shown = f"{value:.3g}" if isinstance(value, float) else f"{str(value)[:12]}..."
            raise ValueError(f"algo_kwargs: {key} must be at most {LARGEST_INTEGER}, got {shown}")
        if key in POSITIVE and number and value <= 0:
            raise ValueError(f"algo_kwargs: {key} must be > 0, got {value!r}")


def _check_policy_kwargs(algorithm: Algorithm, value: Any) -> None:
    """Refuse ``policy_kwargs`` that are not a mapping, or name an argument the policy lacks.

    Raises:
        ValueError: one line naming the argument.
    """
    if not isinstance(value, Mapping):
        raise ValueError(f"algo_kwargs: policy_kwargs must be a mapping, got {value!r}")
    known = policy_arguments(algorithm)
    for name in value:
        if known is not None and name not in known:
            policy = algorithm.policy_cls.__name__
            raise ValueError(
                f"algo_kwargs: policy_kwargs: {policy} takes no argument {str(name)[:80]!r}"
                f" (it takes: {', '.join(sorted(known))})"
            )


def check_device(device: str) -> None:
    """Fail in one line on a device name torch does not know, or one this machine lacks.

    ``banana`` is no device; ``cuda`` without CUDA, ``cuda:3`` with one GPU and ``mps`` off a
    Mac are devices this machine lacks.

    Raises:
        ValueError: ``device: ...``.
    """
    import torch

    try:
        chosen = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"device: {device!r} is not a torch device (cpu, cuda, cuda:0, mps, ...)"
        ) from None
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device: {device!r} asked for, but CUDA is not available here (cpu?)")
    if chosen.type == "cuda" and (chosen.index or 0) >= torch.cuda.device_count():
        count = torch.cuda.device_count()
        raise ValueError(f"device: {device!r} asked for, but this machine has {count} CUDA devices")
    if chosen.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device: {device!r} asked for, but MPS is not available here (cpu?)")


def speaks(env_kwargs: Mapping[str, Any]) -> bool:
    """Whether env arguments ask for the language layer (words, not only dialogue acts)."""
    return (
        env_kwargs.get("channel", "semantic") != "semantic"
        or env_kwargs.get("obs", "belief") != "belief"
        or env_kwargs.get("generator") is not None
    )


class ScaledReward(VecEnvWrapper):
    """Multiplies every reward an agent learns from by ``scale`` (PyDial's DQN learns from 1/20).

    It wraps the monitored env, so episode returns in logs and evaluations stay unscaled.
    """

    def __init__(self, venv: VecEnv, scale: float) -> None:
        super().__init__(venv)
        self.scale = scale

    def reset(self) -> VecEnvObs:
        """Reset every env (rewards are not involved)."""
        return self.venv.reset()

    def step_wait(self) -> VecEnvStepReturn:
        """The wrapped step, its rewards scaled."""
        observations, rewards, dones, infos = self.venv.step_wait()
        return observations, rewards * self.scale, dones, infos


def make_vec_env(
    env_id: str,
    env_kwargs: Mapping[str, Any],
    n_envs: int,
    seed: int,
    subprocess: bool = False,
    reward_scale: float = 1.0,
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
        reward_scale: Factor on the rewards the agent sees (`ScaledReward`; 1: none).
    """
    monitored: VecEnv
    if not subprocess and speaks(env_kwargs):
        from dialogym.envs.sb3 import SB3VecEnv
        from dialogym.envs.vector import DialogueVectorEnv

        batched = SB3VecEnv(DialogueVectorEnv(env_id, n_envs, **env_kwargs))
        batched.seed(seed)
        monitored = VecMonitor(batched)
    else:
        monitored = sb3_make_vec_env(
            env_id,
            n_envs=n_envs,
            seed=seed,
            env_kwargs={"render_mode": None, **env_kwargs},  # SB3 would ask for rgb_array
            vec_env_cls=SubprocVecEnv if subprocess else DummyVecEnv,
        )
    return monitored if reward_scale == 1.0 else ScaledReward(monitored, reward_scale)


def learning_rate_schedule(
    algorithm: Algorithm, algo_kwargs: Mapping[str, Any], dialogues: int | None
) -> DialogueSchedule | Callable[[float], float] | None:
    """The falling learning rate `FINAL_LEARNING_RATE` asks for, or None for a constant one.

    Args:
        algorithm: The algorithm (its defaults apply where ``algo_kwargs`` is silent).
        algo_kwargs: The run's overrides.
        dialogues: The dialogue budget; None for a budget in steps (SB3's linear schedule
            over the steps of the ``learn`` call).

    Raises:
        ValueError: ``learning_rate`` is a schedule already, so it cannot fall (one line).
    """
    settings = {**algorithm.defaults, **algo_kwargs}
    if "learning_rate" in algo_kwargs and FINAL_LEARNING_RATE not in algo_kwargs:
        settings.pop(FINAL_LEARNING_RATE, None)  # a rate given alone stays as given
    final = settings.get(FINAL_LEARNING_RATE)
    if final is None:
        return None
    start = settings.get("learning_rate", 3e-4)
    if callable(start):
        raise ValueError(f"algo_kwargs: {FINAL_LEARNING_RATE} needs a number as learning_rate")
    if dialogues is None:
        return LinearSchedule(float(start), float(final), 1.0)
    return DialogueSchedule(float(start), float(final), dialogues)


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

    Raises:
        ValueError: a bad keyword or value, or one SB3's constructor rejects (one line).
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
    kwargs.pop(FINAL_LEARNING_RATE, None)  # dialogym's: `learning_rate_schedule`
    try:
        return algorithm.cls(
            algorithm.policy_cls,
            env,
            seed=seed,
            verbose=0,
            device=device,
            tensorboard_log=str(tensorboard_log) if tensorboard_log is not None else None,
            **kwargs,
        )
    except (AssertionError, TypeError, ValueError) as error:  # SB3's own checks
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise ValueError(f"algo_kwargs: {algorithm.class_name} refused them: {first}") from None
