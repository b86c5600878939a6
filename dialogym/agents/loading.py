"""Loading saved agents without running code from the file (the model trust boundary).

An SB3 model zip holds a JSON ``data`` file, some of whose entries are cloudpickle blobs
(``":serialized:"``), and PyTorch tensor files (``*.pth``). ``BaseAlgorithm.load`` unpickles
those blobs, and unpickling runs whatever code the blob names: a model file from elsewhere is a
program. Here, by default, nothing is unpickled:

* the zip is read with bounded sizes and ``data`` parsed as JSON;
* every serialized entry is rebuilt from plain data instead: the observation and action spaces
  from the env the agent will act in (checked against the stored shapes) or from the stored
  shapes and bounds, the policy class from the algorithm (checked against the stored name), the
  schedules as constants from the stored numbers or the algorithm's defaults, the policy
  arguments from their stored values (classes only from an allow-list of torch optimizers and
  activations); rollout state (last observations, episode buffers) is dropped;
* tensors are read only with ``torch.load(..., weights_only=True)`` (the optimizer state too,
  so that ``dialogym train --resume`` continues a run as before).

A zip that holds a serialized entry none of these rules covers is refused with a one-line error
naming ``--trust-model``; ``trust=True`` (``--trust-model``) restores SB3's full load, for files
whose origin the caller trusts.
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from dialogym.agents.builders import ALGORITHMS, Algorithm

MAX_MODEL_BYTES = 1 << 30
"""Largest model zip read (on disk, and its members uncompressed together)."""
MAX_DATA_BYTES = 16 << 20
"""Largest ``data`` member (the JSON of an agent's settings is a few dozen KB)."""
MAX_MEMBERS = 64
"""Most members in a model zip (SB3 writes six)."""

TRUST_HINT = "pass --trust-model (trust=True) only if you trust where the file came from"

_CONSTANT = re.compile(r"ConstantSchedule\(val=([-+.\deE]+|inf|nan)\)")
_CLASS = re.compile(r"<class '([\w.]+)'>")
_DROPPED = ("_last_obs", "_last_original_obs", "_last_episode_starts", "ep_info_buffer",
            "ep_success_buffer", "rollout_buffer_class", "replay_buffer_class",
            "exploration_schedule")  # fmt: skip
"""Serialized entries that are rebuilt as ``None``: SB3 recreates them (rollout state at the
next ``learn``, buffer classes and DQN's ε schedule in ``_setup_model``)."""


@dataclass(frozen=True)
class ModelFile:
    """A model zip read into memory, its ``data`` parsed, nothing unpickled.

    Attributes:
        path: Where it was read from (for messages).
        raw: The zip's bytes.
        data: The ``data`` member as JSON.
        tensors: Names of its ``.pth`` members.
    """

    path: str
    raw: bytes
    data: dict[str, Any]
    tensors: tuple[str, ...]

    def fail(self, reason: str) -> ValueError:
        """The one-line error for this file."""
        return ValueError(f"{self.path}: {reason}")


def read_model_file(path: str | PathLike[str]) -> ModelFile:
    """Read a model zip: bounded sizes, ``data`` a JSON object; nothing unpickled.

    Raises:
        ValueError: missing, oversized or malformed file (one line, naming it).
    """
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"{path}: no such model file")
    try:
        if file.stat().st_size > MAX_MODEL_BYTES:
            raise ValueError(f"larger than {MAX_MODEL_BYTES >> 20} MB")
        raw = file.read_bytes()
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise ValueError(f"{len(members)} members (at most {MAX_MEMBERS})")
            if sum(member.file_size for member in members) > MAX_MODEL_BYTES:
                raise ValueError(f"unpacks to more than {MAX_MODEL_BYTES >> 20} MB")
            if archive.getinfo("data").file_size > MAX_DATA_BYTES:
                raise ValueError(f"its data member is larger than {MAX_DATA_BYTES >> 20} MB")
            data = json.loads(archive.read("data"))
    except (OSError, KeyError, ValueError, RecursionError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path}: not a saved agent ({_short(error)})") from None
    if not isinstance(data, dict):
        raise ValueError(
            f"{path}: not a saved agent (its data is JSON {type(data).__name__}, not an object)"
        )
    names = tuple(member.filename for member in members if member.filename.endswith(".pth"))
    return ModelFile(str(path), raw, data, names)


def detect_algorithm(path: str | PathLike[str] | ModelFile) -> Algorithm:
    """Which algorithm saved the model ``path`` (read from the zip's JSON; nothing unpickled).

    Raises:
        ValueError: not a readable SB3 model file.
    """
    model = path if isinstance(path, ModelFile) else read_model_file(path)
    policy_class = model.data.get("policy_class")
    module = str(policy_class.get("__module__", "")) if isinstance(policy_class, dict) else ""
    if "maskable" in module:
        return ALGORITHMS["maskable_ppo"]
    if "exploration_rate" in model.data:
        return ALGORITHMS["dqn"]
    return ALGORITHMS["ppo" if "n_epochs" in model.data else "a2c"]


def load_agent(
    path: str | PathLike[str] | ModelFile,
    device: str = "cpu",
    env: Any = None,
    *,
    spaces: tuple[gym.Space[Any], gym.Space[Any]] | None = None,
    trust: bool = False,
    algo_kwargs: Mapping[str, Any] | None = None,
    **load_kwargs: Any,
) -> Any:
    """Load an agent saved by ``dialogym train`` (``model.zip`` or a checkpoint).

    Args:
        path: The model zip (or the file already read).
        device: Torch device.
        env: An env to attach (as SB3's ``load`` does, to continue training); its spaces are
            the ones the agent gets.
        spaces: The observation and action spaces the agent will act in, when no ``env`` is
            attached (default: rebuilt from the stored shapes and bounds).
        trust: Unpickle the file's serialized entries as SB3 does (runs code from the file:
            only for files whose origin you trust).
        algo_kwargs: The run's overrides of the algorithm's defaults: where a setting cannot be
            read without unpickling (DQN's ``train_freq``), it comes from these, then from the
            defaults.
        **load_kwargs: Passed on to SB3's ``load`` (``tensorboard_log``, ...).

    Returns:
        The SB3 agent.

    Raises:
        ValueError: missing, malformed or untrusted file (one line, naming it).
    """
    model = path if isinstance(path, ModelFile) else read_model_file(path)
    algorithm = detect_algorithm(model)
    if env is not None:
        spaces = (env.observation_space, env.action_space)
    if trust:
        custom: dict[str, Any] | None = None
    else:
        _check_tensors(model)
        custom = safe_objects(model, algorithm, spaces, algo_kwargs or {})
    try:
        return algorithm.cls.load(
            io.BytesIO(model.raw), env=env, device=device, custom_objects=custom, **load_kwargs
        )
    except (ValueError, KeyError, TypeError, AttributeError, RuntimeError, AssertionError) as error:
        raise model.fail(f"not a loadable {algorithm.name} agent ({_short(error)})") from None


def safe_objects(
    model: ModelFile,
    algorithm: Algorithm,
    spaces: tuple[gym.Space[Any], gym.Space[Any]] | None,
    algo_kwargs: Mapping[str, Any],
) -> dict[str, Any]:
    """A replacement for every serialized entry of ``model.data`` (SB3's ``custom_objects``).

    Raises:
        ValueError: an entry that only unpickling could restore, or stored spaces that do not
            fit ``spaces``.
    """
    settings = {**algorithm.defaults, **algo_kwargs}
    rebuilders: dict[str, Callable[[dict[str, Any]], Any]] = {
        "policy_class": lambda entry: _policy_class(model, algorithm, entry),
        "observation_space": lambda entry: _space(model, "observations", entry, spaces, 0),
        "action_space": lambda entry: _space(model, "actions", entry, spaces, 1),
        "policy_kwargs": lambda entry: _policy_kwargs(model, entry),
        "lr_schedule": lambda entry: _schedule(entry, settings.get("learning_rate", 3e-4)),
        "learning_rate": lambda entry: _constant(entry, settings.get("learning_rate", 3e-4)),
        "clip_range": lambda entry: _constant(entry, settings.get("clip_range", 0.2)),
        "clip_range_vf": lambda entry: _constant(entry, settings.get("clip_range_vf")),
        "train_freq": lambda entry: _train_freq(settings.get("train_freq", 4)),
        **{name: lambda entry: None for name in _DROPPED},
    }
    custom: dict[str, Any] = {}
    for key, entry in model.data.items():
        if isinstance(entry, dict) and ":serialized:" in entry:
            if key not in rebuilders:
                raise model.fail(
                    f"its entry {key!r} can only be restored by unpickling, which can run any"
                    f" code; {TRUST_HINT}"
                )
            custom[key] = rebuilders[key](entry)
    return custom


def _check_tensors(model: ModelFile) -> None:
    """Read every ``.pth`` member with ``weights_only=True``: a bad one is a one-line error."""
    import torch

    with zipfile.ZipFile(io.BytesIO(model.raw)) as archive:
        for name in model.tensors:
            try:
                torch.load(io.BytesIO(archive.read(name)), map_location="cpu", weights_only=True)
            except Exception as error:  # noqa: BLE001 - any failure of untrusted bytes is one line
                raise model.fail(
                    f"{name} is not a plain tensor file ({_short(error)}); {TRUST_HINT}"
                ) from None


def _policy_class(model: ModelFile, algorithm: Algorithm, entry: dict[str, Any]) -> type:
    """The algorithm's ``MlpPolicy``, if that is the class the file names."""
    expected = algorithm.cls.policy_aliases["MlpPolicy"]
    init = str(entry.get("__init__", ""))
    if entry.get("__module__") != expected.__module__ or not init.startswith(
        f"<function {expected.__qualname__}.__init__ "
    ):
        raise model.fail(
            f"its policy class (module {_excerpt(entry.get('__module__'))}) is not the"
            f" {expected.__qualname__} dialogym trains; {TRUST_HINT}"
        )
    return expected  # type: ignore[no-any-return]


def _space(
    model: ModelFile,
    what: str,
    entry: dict[str, Any],
    spaces: tuple[gym.Space[Any], gym.Space[Any]] | None,
    index: int,
) -> gym.Space[Any]:
    """The space given (checked against the stored one), or the stored one rebuilt."""
    stored = _stored_space(entry)
    if spaces is not None:
        given = spaces[index]
        if stored is None or _space_key(stored) != _space_key(given):
            mine = _space_key(stored) if stored is not None else _excerpt(entry.get(":type:"))
            raise model.fail(
                f"the agent was trained on {what} {mine}, this env has {_space_key(given)}"
                " (another domain?)"
            )
        return given
    if stored is None:
        raise model.fail(
            f"its {what} space ({_excerpt(entry.get(':type:'))}) cannot be rebuilt without"
            f" unpickling; give the env it acts in, or {TRUST_HINT}"
        )
    return stored


def _space_key(space: gym.Space[Any]) -> str:
    """What must agree between a stored and a given space: kind, shape or size, dtype."""
    if isinstance(space, gym.spaces.Discrete):
        return f"Discrete({int(space.n)}, start={int(space.start)})"
    return f"{type(space).__name__}(shape={space.shape}, dtype={space.dtype})"


def _stored_space(entry: dict[str, Any]) -> gym.Space[Any] | None:
    """A ``Box`` or ``Discrete`` rebuilt from its stored fields; None if they do not parse."""
    kind = entry.get(":type:")
    try:
        if kind == "<class 'gymnasium.spaces.discrete.Discrete'>":
            return gym.spaces.Discrete(int(str(entry["n"])), start=int(str(entry["start"])))
        if kind == "<class 'gymnasium.spaces.box.Box'>":
            shape = tuple(int(size) for size in entry["_shape"])
            dtype = np.dtype(str(entry["dtype"]))
            size = math.prod(shape)
            if dtype.kind not in "fiub" or size > MAX_DATA_BYTES:
                return None
            low, high = (_array(entry[name], size, dtype) for name in ("low", "high"))
            if low is None or high is None:
                return None
            return gym.spaces.Box(low.reshape(shape), high.reshape(shape), shape, dtype)
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    return None


def _array(text: Any, size: int, dtype: np.dtype[Any]) -> np.ndarray | None:
    """The numbers of a printed numpy array (None if it was summarised with ``...``)."""
    words = str(text).replace("[", " ").replace("]", " ").split()
    if len(words) != size:
        return None
    return np.array([float(word) for word in words], dtype=dtype)


def _policy_kwargs(model: ModelFile, entry: dict[str, Any]) -> dict[str, Any]:
    """The policy arguments: stored plain values, and classes from the allow-list."""
    kwargs = {}
    for name, value in entry.items():
        if name.startswith(":"):
            continue
        if isinstance(value, str) and value.startswith("<"):
            found = _CLASS.fullmatch(value)
            known = _allowed_class(found.group(1)) if found else None
            if known is None:
                raise model.fail(
                    f"its policy_kwargs {name!r} ({_excerpt(value)}) can only be restored by"
                    f" unpickling; {TRUST_HINT}"
                )
            value = known
        kwargs[name] = value
    return kwargs


def _allowed_class(qualified: str) -> type | None:
    """A torch optimizer or activation class by its full name; None for anything else."""
    import torch

    name = qualified.rpartition(".")[2]
    for home, base in ((torch.optim, torch.optim.Optimizer), (torch.nn, torch.nn.Module)):
        found = getattr(home, name, None)
        if (
            isinstance(found, type)
            and issubclass(found, base)
            and f"{found.__module__}.{found.__qualname__}" == qualified
            and (base is torch.optim.Optimizer or found.__module__ == "torch.nn.modules.activation")
        ):
            return found
    return None


def _constant(entry: dict[str, Any], default: Any) -> Any:
    """The number of a stored constant schedule, else ``default``."""
    found = _CONSTANT.search(str(entry.get("value_schedule", "")))
    return float(found.group(1)) if found else default


def _schedule(entry: dict[str, Any], default: Any) -> Any:
    """A constant schedule at the stored number (else ``default``)."""
    from stable_baselines3.common.utils import FloatSchedule

    value = _constant(entry, default)
    return FloatSchedule(value) if isinstance(value, int | float) else value


def _train_freq(value: Any) -> Any:
    """DQN's ``train_freq`` from the run's settings (a YAML list becomes SB3's tuple)."""
    return tuple(value) if isinstance(value, list) else value


def _excerpt(value: Any, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters (file contents never flood a message)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _short(error: BaseException, limit: int = 200) -> str:
    """An exception's first line, cut to ``limit`` characters."""
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
