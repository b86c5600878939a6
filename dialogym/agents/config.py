"""`TrainConfig`: everything a training run depends on, as one frozen dataclass.

The same fields come from command-line flags (``--n-envs``), from a YAML file (``n_envs: 8``)
or from code; the help text of each flag is the field's ``help`` metadata below.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import yaml

from dialogym.domains.domain import DomainError, excerpt, shorten
from dialogym.domains.native import DOMAIN_YAML_TAGS, DomainLimits, check_yaml_events, read_text
from dialogym.envs.registration import checked_env

CONFIG_LIMITS = DomainLimits(
    max_file_bytes=1024 * 1024, max_depth=16, max_yaml_aliases=100, max_yaml_nodes=10_000
)
"""Bounds on a config file, far above any real one: a small YAML alias bomb is refused."""

CONFIG_YAML_TAGS = DOMAIN_YAML_TAGS | {
    f"tag:yaml.org,2002:{kind}" for kind in ("int", "float", "bool")
}
"""The explicit YAML tags a config file may use."""

MAX_THREADS = 256
"""The most torch CPU threads a run may ask for (far past any CPU's cores; libgomp aborts the
process on a count it cannot start)."""

MAX_MESSAGE_CHARS = 500
"""The longest error message about a config (a value it quotes is cut)."""


def read_yaml(path: Path, what: str = "config") -> Any:
    """The data of an untrusted YAML settings file, read within `CONFIG_LIMITS`.

    Only plain YAML is built (``yaml.safe_load``, the tags of `CONFIG_YAML_TAGS`), after the
    file's size, nesting and aliases were checked (a small alias bomb is refused).

    Args:
        path: The file (a ``--config`` file, a ``dialogym sweep --space`` file).
        what: What the file is, for the message.

    Raises:
        ValueError: a missing, oversized or malformed file: one line naming it.
    """
    if not path.exists():
        raise ValueError(f"{path}: no such {what} file")
    try:
        text = read_text(path, CONFIG_LIMITS)
        check_yaml_events(path, text, CONFIG_LIMITS, CONFIG_YAML_TAGS)
        return yaml.safe_load(text)
    except DomainError as error:
        problem = str(error).removeprefix(f"{path}: ")
        raise ValueError(f"{path}: cannot read {what}: {problem}") from None
    except (yaml.YAMLError, ValueError, TypeError, IndexError) as error:  # bad YAML, !!int
        lines = str(error).splitlines()
        first = shorten(lines[0] if lines else type(error).__name__, MAX_MESSAGE_CHARS)
        raise ValueError(f"{path}: cannot read {what}: {first}") from None


@dataclass(frozen=True)
class TrainConfig:
    """One training run. Budgets count dialogues (episodes) or environment steps."""

    env: str = field(default="dialogym/PyDialEnv1-v0", metadata={"help": "environment id"})
    env_kwargs: Mapping[str, Any] = field(
        default_factory=dict,
        metadata={"help": "environment arguments (domain, ser, masks, ...)"},
    )
    algo: str = field(
        default="structured_ppo",
        metadata={
            "help": "structured_ppo (MaskablePPO, which is PPO with action masks, with the"
            " slot-shared policy: any domain), maskable_ppo (the same with a flat MLP), ppo"
            " (no masks: the unmasked protocol), a2c or dqn"
        },
    )
    algo_kwargs: Mapping[str, Any] = field(
        default_factory=dict,
        metadata={"help": "overrides of the algorithm's tuned defaults (learning_rate, ...)"},
    )
    dialogues: int | None = field(
        default=None,
        metadata={"help": "training budget in dialogues (default 5000 if no --timesteps)"},
    )
    timesteps: int | None = field(
        default=None, metadata={"help": "training budget in environment steps"}
    )
    seed: int = field(default=0, metadata={"help": "seed of the agent and the envs"})
    n_envs: int | None = field(
        default=None, metadata={"help": "parallel envs (default: the algorithm's)"}
    )
    subprocess: bool = field(
        default=False, metadata={"help": "one process per env (SubprocVecEnv)"}
    )
    eval_every: int = field(
        default=500, metadata={"help": "evaluate and checkpoint every N dialogues"}
    )
    eval_episodes: int = field(default=200, metadata={"help": "dialogues per periodic evaluation"})
    test_episodes: int = field(
        default=500, metadata={"help": "dialogues of the final evaluation (metrics.json)"}
    )
    target_success: float | None = field(
        default=None, metadata={"help": "stop once a periodic evaluation reaches this success rate"}
    )
    reward_scale: float | None = field(
        default=None,
        metadata={"help": "factor on the rewards the agent learns from (default: the algorithm's)"},
    )
    init: str | None = field(
        default=None,
        metadata={
            "help": "start from this trained agent's weights (a model.zip of the same algorithm;"
            " a structured_ppo agent from any domain)"
        },
    )
    threads: int = field(default=1, metadata={"help": "torch CPU threads"})
    device: str = field(default="cpu", metadata={"help": "torch device"})

    def __post_init__(self) -> None:
        from dialogym.agents.builders import (  # SB3: not at import
            algorithms_for,
            check_algo_kwargs,
            get_algorithm,
        )

        algorithm = get_algorithm(self.algo)
        check_algo_kwargs(algorithm, self.algo_kwargs)
        if isinstance(self.env, str) and not algorithm.plays(self.env):
            needed = ", ".join(f"{key}={value!r}" for key, value in algorithm.env_kwargs.items())
            raise ValueError(
                f"algo: {self.algo} needs the env argument {needed} (the PyDial world's per-slot"
                f" layout), which {self.env} does not take; choose one of"
                f" {', '.join(algorithms_for(self.env))}"
            )
        for name in ("dialogues", "timesteps", "n_envs"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"{name}: must be a positive integer, got {value!r}")
        for name in ("eval_every", "eval_episodes", "test_episodes", "threads"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: must be a positive integer, got {value!r}")
        if self.threads > MAX_THREADS:
            raise ValueError(f"threads: must be at most {MAX_THREADS}, got {self.threads}")
        if self.reward_scale is not None and (
            isinstance(self.reward_scale, bool)
            or not isinstance(self.reward_scale, int | float)
            or not self.reward_scale > 0.0
        ):
            raise ValueError(f"reward_scale: must be a positive number, got {self.reward_scale!r}")
        train_freq = {**algorithm.defaults, **self.algo_kwargs}.get("train_freq")
        if (
            isinstance(train_freq, tuple | list)
            and "episode" in train_freq
            and self.parallel_envs > 1
        ):
            raise ValueError(
                f"n_envs: {algorithm.class_name} trains every {train_freq[0]} dialogues"
                " (train_freq in episodes), which SB3 allows with one env only; set n_envs to 1"
                " or train_freq to a number of steps"
            )
        if self.target_success is not None and not 0.0 < self.target_success <= 1.0:
            raise ValueError(f"target_success: must lie in (0, 1], got {self.target_success!r}")
        if self.init is not None and (
            not isinstance(self.init, str) or not self.init.endswith(".zip")
        ):
            raise ValueError(f"init: must be the path of a model .zip, got {self.init!r}")
        if not isinstance(self.env_kwargs, Mapping) or not isinstance(self.algo_kwargs, Mapping):
            raise ValueError("env_kwargs and algo_kwargs: must be mappings")
        for key, needed in algorithm.env_kwargs.items():
            if self.env_kwargs.get(key, needed) != needed:
                raise ValueError(
                    f"env_kwargs: {self.algo} needs {key}={needed!r}, got {self.env_kwargs[key]!r}"
                )

    @property
    def env_arguments(self) -> dict[str, Any]:
        """The env's arguments: ``env_kwargs`` with those the algorithm's policy needs."""
        from dialogym.agents.builders import get_algorithm

        return {**get_algorithm(self.algo).env_kwargs, **self.env_kwargs}

    @property
    def training_env_arguments(self) -> dict[str, Any]:
        """The arguments of the envs the agent learns in (never of those it is tested in).

        `env_arguments`, with the algorithm's training reward under the rewards ``env_kwargs``
        sets.
        """
        from dialogym.agents.builders import get_algorithm

        arguments = self.env_arguments
        shaping = get_algorithm(self.algo).training_reward
        reward = arguments.get("reward")
        if shaping and (reward is None or isinstance(reward, Mapping)):
            arguments["reward"] = {**shaping, **(reward or {})}
        return arguments

    @property
    def budget_dialogues(self) -> int | None:
        """The dialogue budget in force (5000 when neither budget is given)."""
        if self.dialogues is None and self.timesteps is None:
            return 5000
        return self.dialogues

    @property
    def learning_reward_scale(self) -> float:
        """``reward_scale``, or the algorithm's."""
        if self.reward_scale is not None:
            return float(self.reward_scale)
        from dialogym.agents.builders import get_algorithm

        return get_algorithm(self.algo).reward_scale

    @property
    def parallel_envs(self) -> int:
        """``n_envs``, or the algorithm's default."""
        from dialogym.agents.builders import get_algorithm

        return self.n_envs or get_algorithm(self.algo).n_envs

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str = "config") -> TrainConfig:
        """Build from a mapping such as a parsed YAML file.

        Raises:
            ValueError: unknown key or bad value, one line naming ``source`` and the key.
        """
        known = [f.name for f in dataclasses.fields(cls)]
        for key in data:
            if key not in known:
                known_keys = ", ".join(known)
                raise ValueError(f"{source}: unknown key {excerpt(key)}; known: {known_keys}")
        try:
            return cls(**data)
        except ValueError as error:
            message = " ".join(f"{source}: {error}".split())
            raise ValueError(shorten(message, MAX_MESSAGE_CHARS)) from None

    @classmethod
    def load(cls, path: str | PathLike[str], named_by_user: Collection[str] = ()) -> TrainConfig:
        """Read a YAML config file, within :data:`CONFIG_LIMITS` (size, aliases, nesting).

        The file is untrusted: its ``env`` and ``env_kwargs`` must pass `checked_env` (a
        dialogym id, the env's own arguments, no model the user did not name).

        Args:
            path: The file (a ``--config`` file, a run folder's ``config.yaml``).
            named_by_user: Values the user gave on the command line (``--env-kwarg``): the
                models the file may name besides the built-in ones.

        Raises:
            ValueError: missing, malformed or oversized file, or a bad field: one line naming
                the file (and the field).
        """
        path = Path(path)
        data = read_yaml(path)
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise ValueError(f"{path}: expected a mapping of settings, got {type(data).__name__}")
        if "env" in data or "env_kwargs" in data:
            checked_env(
                data.get("env", cls.env), data.get("env_kwargs", {}), str(path), named_by_user
            )
        return cls.from_mapping(data, source=str(path))

    def to_dict(self) -> dict[str, Any]:
        """Plain data, for ``config.yaml`` (resolved: every field written)."""
        data = dataclasses.asdict(self)
        data["env_kwargs"] = dict(self.env_kwargs)
        data["algo_kwargs"] = dict(self.algo_kwargs)
        return data

    def to_yaml(self) -> str:
        """The resolved config as YAML."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False)
