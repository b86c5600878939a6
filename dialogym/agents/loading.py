"""Loading saved agents without running code from the file (the model trust boundary).

An SB3 model zip holds a JSON ``data`` file and PyTorch tensor files (``*.pth``, themselves zip
archives). ``BaseAlgorithm.load`` unpickles the ``":serialized:"`` entries of ``data`` (which
runs whatever code a blob names), makes the env a ``data["env"]`` names (which imports the module
before its ``:``), copies every other entry onto the agent (an entry named ``predict`` would
replace the method) and sizes its buffers and updates from the stored settings. A model file
from elsewhere is a program. Here, by default, one gate stands before SB3 (`safe_objects`):

* the zip is read with bounded sizes; each ``.pth`` member must be one of the tensor files SB3
  writes, a torch archive whose records are stored uncompressed (as ``torch.save`` writes them:
  a deflated record could inflate to any size) within the member's own size, and readable with
  ``torch.load(..., weights_only=True)``;
* every entry of ``data``, plain or serialized, must be on the algorithm's allow-list, and SB3
  gets the gate's value for each, never the file's: the observation and action spaces from the
  env the agent will act in (checked against the stored shapes) or from the stored shapes and
  bounds, the policy class from the algorithm (checked against the stored name), numbers and
  flags checked for type and range, the policy arguments checked against the policy class's
  own parameters (classes only from an allow-list of torch optimizers and activations), the
  schedules as constants; ``env`` is not on the list (the env is never made from the file),
  nor is any entry that is not a setting SB3 saves; rollout state, buffer classes and the
  tensorboard folder are dropped (SB3 recreates them, the caller names the folder);
* the work those settings size is bounded before anything is built: the policy's parameters
  (`MAX_POLICY_PARAMETERS`), the rollout or replay buffer (`MAX_BUFFER_BYTES`), and the work of
  one update (`MAX_UPDATE_WORK`: ``n_epochs`` x rows x parameters, ...).

A file the gate refuses is a one-line ``ValueError`` naming the file, the entry and
``--trust-model``; ``trust=True`` (``--trust-model``) restores SB3's full load, for files whose
origin the caller trusts.
"""

from __future__ import annotations

import inspect
import io
import json
import math
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from dialogym.agents.builders import ALGORITHMS, NOT_POLICY_KWARGS, Algorithm

MAX_MODEL_BYTES = 512 << 20
"""Largest model zip read (on disk, and its members uncompressed together)."""
MAX_DATA_BYTES = 16 << 20
"""Largest ``data`` member (the JSON of an agent's settings is a few dozen KB)."""
MAX_MEMBERS = 64
"""Most members in a model zip (SB3 writes six)."""
MAX_RECORDS = 4096
"""Most records in one ``.pth`` member (a few per tensor)."""
TENSOR_FILES = ("policy.pth", "policy.optimizer.pth", "pytorch_variables.pth")
"""The ``.pth`` members SB3 writes for the algorithms dialogym trains."""
MAX_POLICY_PARAMETERS = 1 << 24
"""Most parameters of a loaded policy (16.8 M: 64 MB of float32, 192 MB with Adam's state)."""
MAX_DEPTH = 32
"""Most hidden layers in a stored ``net_arch``."""
MAX_BUFFER_BYTES = 1 << 30
"""Largest rollout (PPO, A2C) or replay (DQN) buffer the stored settings may ask for."""
MAX_UPDATE_WORK = 1 << 38
"""Most multiply-adds of one update the stored settings may ask for (samples x parameters:
about a minute of one CPU core)."""
MAX_COUNT = 1 << 53
"""Largest stored counter (timesteps, updates, episodes)."""

TRUST_HINT = "pass --trust-model (trust=True) only if you trust where the file came from"
MAX_UPDATES = 1 << 16
"""Most gradient steps in one update (``n_epochs`` x minibatches; DQN's ``gradient_steps``)."""

_CONSTANT = re.compile(r"ConstantSchedule\(val=([-+.\deE]+|inf|nan)\)")
_CLASS = re.compile(r"<class '([\w.]+)'>")


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


def read_model_file(path: str | PathLike[str], trust: bool = False) -> ModelFile:
    """Read a model zip: bounded sizes (unless ``trust``), ``data`` a JSON object; nothing unpickled.

    Raises:
        ValueError: missing, oversized or malformed file (one line, naming it).
    """
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"{path}: no such model file")
    try:
        if file.stat().st_size > MAX_MODEL_BYTES and not trust:
            raise ValueError(f"larger than {MAX_MODEL_BYTES >> 20} MB")
        raw = file.read_bytes()
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = archive.infolist()
            if not trust:
                _check_sizes(members, archive.getinfo("data"))
            data = json.loads(archive.read("data"))
    except (OSError, KeyError, ValueError, RecursionError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path}: not a saved agent ({_short(error)})") from None
    if not isinstance(data, dict):
        raise ValueError(
            f"{path}: not a saved agent (its data is JSON {type(data).__name__}, not an object)"
        )
    names = tuple(member.filename for member in members if member.filename.endswith(".pth"))
    return ModelFile(str(path), raw, data, names)


def _check_sizes(members: Sequence[zipfile.ZipInfo], data: zipfile.ZipInfo) -> None:
    """The member count and inflated sizes a model zip may have.

    Raises:
        ValueError: too many members, or members that inflate past the limits.
    """
    if len(members) > MAX_MEMBERS:
        raise ValueError(f"{len(members)} members (at most {MAX_MEMBERS})")
    if sum(member.file_size for member in members) > MAX_MODEL_BYTES:
        raise ValueError(f"unpacks to more than {MAX_MODEL_BYTES >> 20} MB")
    if data.file_size > MAX_DATA_BYTES:
        raise ValueError(f"its data member is larger than {MAX_DATA_BYTES >> 20} MB")


def detect_algorithm(path: str | PathLike[str] | ModelFile) -> Algorithm:
    """Which algorithm saved the model ``path`` (read from the zip's JSON; nothing unpickled).

    Raises:
        ValueError: not a readable SB3 model file.
    """
    model = path if isinstance(path, ModelFile) else read_model_file(path)
    policy_class = model.data.get("policy_class")
    module = str(policy_class.get("__module__", "")) if isinstance(policy_class, dict) else ""
    for algorithm in ALGORITHMS.values():
        if algorithm.policy != "MlpPolicy" and module == algorithm.policy.partition(":")[0]:
            return algorithm
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
        trust: Load as SB3 does: unpickle the file's serialized entries and take its settings
            as they are (runs code from the file: only for files whose origin you trust).
        algo_kwargs: The run's overrides of the algorithm's defaults: where a setting cannot be
            read without unpickling (DQN's ``train_freq``), it comes from these, then from the
            defaults.
        **load_kwargs: Passed on to SB3's ``load`` (``tensorboard_log``, ...).

    Returns:
        The SB3 agent.

    Raises:
        ValueError: missing, malformed or untrusted file (one line, naming it).
    """
    model = path if isinstance(path, ModelFile) else read_model_file(path, trust)
    algorithm = detect_algorithm(model)
    if env is not None:
        spaces = (env.observation_space, env.action_space)
    if trust:
        custom: dict[str, Any] | None = None
    else:
        custom = safe_objects(model, algorithm, spaces, algo_kwargs or {})
        _check_tensors(model)
    try:
        return algorithm.cls.load(
            io.BytesIO(model.raw), env=env, device=device, custom_objects=custom, **load_kwargs
        )
    except (ValueError, KeyError, TypeError, AttributeError, RuntimeError, AssertionError) as error:
        raise model.fail(f"not a loadable {algorithm.name} agent ({_short(error)})") from None


class _Refused(Exception):
    """A stored value the gate does not take; its message says why."""


Rule = Callable[[Any], Any]
"""Turns a stored entry of ``data`` into the value SB3 gets, or raises `_Refused`."""


def _number(low: float, high: float, *, integer: bool = False, optional: bool = False) -> Rule:
    """A rule: a plain number (an integer if ``integer``; also null if ``optional``) in range."""
    kind = ("an integer" if integer else "a number") + (" or null" if optional else "")

    def rule(value: Any) -> Any:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int if integer else int | float):
            raise _Refused(f"must be {kind}, not {_excerpt(value)}")
        if not low <= value <= high:
            raise _Refused(f"must be within [{low:g}, {high:g}], not {_excerpt(value)}")
        return value

    return rule


def _exactly(expected: Any) -> Rule:
    """A rule: the value SB3 writes for the agents dialogym builds, and no other."""

    def rule(value: Any) -> Any:
        if value != expected or type(value) is not type(expected):
            raise _Refused(f"must be {json.dumps(expected)}, not {_excerpt(value)}")
        return value

    return rule


def _flag(value: Any) -> bool:
    """A rule: true or false."""
    if not isinstance(value, bool):
        raise _Refused(f"must be true or false, not {_excerpt(value)}")
    return value


def _dropped(value: Any) -> None:
    """A rule: whatever is stored, SB3 gets None (and recreates the thing, or goes without)."""
    return None


def _schedule(default: Any, low: float, high: float, optional: bool = False) -> Rule:
    """A rule: a number, or the number of a stored constant schedule (else ``default``)."""
    plain = _number(low, high, optional=optional)

    def rule(value: Any) -> Any:
        if isinstance(value, dict) and ":serialized:" in value:
            found = _CONSTANT.search(str(value.get("value_schedule", "")))
            value = float(found.group(1)) if found else default
        return plain(value)

    return rule


_COUNTER = _number(0, MAX_COUNT, integer=True)
_SIZE = _number(1, MAX_COUNT, integer=True)
_FRACTION = _number(0, 1)
_BASE: dict[str, Rule] = {
    "verbose": _number(0, 2, integer=True),
    **dict.fromkeys(
        (
            "num_timesteps",
            "_total_timesteps",
            "_num_timesteps_at_start",
            "_episode_num",
            "_n_updates",
        ),
        _COUNTER,
    ),  # fmt: skip
    "seed": _number(0, 2**32 - 1, integer=True, optional=True),
    "action_noise": _exactly(None),
    "start_time": _number(0, 2**64, integer=True),
    "use_sde": _exactly(False),
    "sde_sample_freq": _number(-1, MAX_COUNT, integer=True),
    "_current_progress_remaining": _number(-1, 1),
    "_stats_window_size": _number(1, 1 << 20, integer=True),
    "n_envs": _number(1, 1 << 12, integer=True),
    "gamma": _FRACTION,
    "max_grad_norm": _number(0, 1e9),
    **dict.fromkeys(
        (
            "tensorboard_log",
            "lr_schedule",
            "_last_obs",
            "_last_episode_starts",
            "_last_original_obs",
            "ep_info_buffer",
            "ep_success_buffer",
        ),
        _dropped,
    ),  # fmt: skip
}
"""Entries every algorithm saves. Dropped ones are recreated by SB3 (the learning-rate schedule
from ``learning_rate``, rollout state at the next ``learn``) or named by the caller (the
tensorboard folder: never one a file names)."""
_ON_POLICY: dict[str, Rule] = {
    "n_steps": _SIZE,
    "gae_lambda": _FRACTION,
    "ent_coef": _number(0, 1e3),
    "vf_coef": _number(0, 1e3),
    "normalize_advantage": _flag,
    "rollout_buffer_class": _dropped,
    "rollout_buffer_kwargs": _exactly({}),
}
"""Entries of PPO, MaskablePPO and A2C."""
_PPO: dict[str, Rule] = {
    "batch_size": _SIZE,
    "n_epochs": _SIZE,
    "target_kl": _number(0, 1e9, optional=True),
}
"""Entries of PPO and MaskablePPO (and the clip ranges, in `_rules`)."""
_DQN: dict[str, Rule] = {
    "buffer_size": _SIZE,
    "batch_size": _SIZE,
    "learning_starts": _COUNTER,
    "tau": _FRACTION,
    "gradient_steps": _number(-1, MAX_COUNT, integer=True),
    "optimize_memory_usage": _flag,
    "replay_buffer_class": _dropped,
    "replay_buffer_kwargs": _exactly({}),
    "n_steps": _number(1, 1 << 12, integer=True),
    "use_sde_at_warmup": _flag,
    "exploration_initial_eps": _FRACTION,
    "exploration_final_eps": _FRACTION,
    "exploration_fraction": _FRACTION,
    "target_update_interval": _SIZE,
    "_n_calls": _COUNTER,
    "exploration_rate": _FRACTION,
    **dict.fromkeys(
        ("batch_norm_stats", "batch_norm_stats_target", "exploration_schedule"), _dropped
    ),
}
"""Entries of DQN (and ``train_freq``, in `_rules`); ε's schedule and the batch-norm lists are
recreated by SB3."""
_TABLES: dict[str, tuple[dict[str, Rule], ...]] = {
    "structured_ppo": (_BASE, _ON_POLICY, _PPO),
    "maskable_ppo": (_BASE, _ON_POLICY, _PPO),
    "ppo": (_BASE, _ON_POLICY, _PPO),
    "a2c": (_BASE, _ON_POLICY),
    "dqn": (_BASE, _DQN),
}


def safe_objects(
    model: ModelFile,
    algorithm: Algorithm,
    spaces: tuple[gym.Space[Any], gym.Space[Any]] | None,
    algo_kwargs: Mapping[str, Any],
) -> dict[str, Any]:
    """The gate: a checked value for every entry of ``model.data`` (SB3's ``custom_objects``).

    SB3 takes each entry from ``custom_objects`` when it is there, so with a value for every
    entry nothing of the file reaches SB3 unchecked, and nothing is unpickled.

    Raises:
        ValueError: an entry not on the algorithm's allow-list, a value out of type or range,
            stored spaces that do not fit ``spaces``, or settings that would size the work past
            the limits (one line, naming the file and the entry).
    """
    rules = _rules(model, algorithm, spaces, algo_kwargs)
    values: dict[str, Any] = {}
    for key, entry in model.data.items():
        rule = rules.get(key)
        if rule is None:
            raise model.fail(
                f"its entry {_excerpt(key)} is not a setting SB3 saves for"
                f" {algorithm.class_name}; {TRUST_HINT}"
            )
        try:
            values[key] = rule(entry)
        except _Refused as refused:
            raise model.fail(f"its {key} {refused}; {TRUST_HINT}") from None
    _check_work(model, algorithm, values)
    return values


def _rules(
    model: ModelFile,
    algorithm: Algorithm,
    spaces: tuple[gym.Space[Any], gym.Space[Any]] | None,
    algo_kwargs: Mapping[str, Any],
) -> dict[str, Rule]:
    """The allow-list of ``algorithm``: each entry it saves and the rule that checks it."""
    rules = {key: rule for table in _TABLES[algorithm.name] for key, rule in table.items()}

    def setting(name: str, default: Any) -> Any:
        return algo_kwargs.get(name, algorithm.defaults.get(name, default))

    rules |= {
        "policy_class": lambda entry: _policy_class(model, algorithm, entry),
        "observation_space": lambda entry: _space(model, "observations", entry, spaces, 0),
        "action_space": lambda entry: _space(model, "actions", entry, spaces, 1),
        "policy_kwargs": lambda entry: _policy_kwargs(algorithm, entry),
        "learning_rate": _schedule(setting("learning_rate", 3e-4), 0, 10),
    }
    if "n_epochs" in rules:
        rules["clip_range"] = _schedule(setting("clip_range", 0.2), 0, 1e3)
        rules["clip_range_vf"] = _schedule(setting("clip_range_vf", None), 0, 1e3, True)
    if algorithm.name == "dqn":
        rules["train_freq"] = lambda entry: _train_freq(setting("train_freq", 4))
    return rules


def _check_work(model: ModelFile, algorithm: Algorithm, values: Mapping[str, Any]) -> None:
    """Refuse settings that would size the policy, the buffer or one update past the limits.

    Raises:
        ValueError: naming the entry that sizes the work, what it would cost, and the limit.
    """
    for name in ("policy_class", "observation_space", "action_space"):
        if name not in values:
            raise model.fail(f"not a saved agent (its data has no {name})")
    parameters_of = inspect.signature(algorithm.cls.__init__).parameters

    def setting(name: str) -> int:
        found = parameters_of.get(name)
        return int(values.get(name, 1 if found is None else found.default))

    features = gym.spaces.flatdim(values["observation_space"])
    choices = gym.spaces.flatdim(values["action_space"])
    dqn = algorithm.name == "dqn"
    policy_kwargs = values.get("policy_kwargs") or {}
    if algorithm.policy == "MlpPolicy":
        net_arch = policy_kwargs.get("net_arch") or [64, 64]
        layers = net_arch if isinstance(net_arch, dict) else {"pi": net_arch, "vf": net_arch}
        # Actor and critic; for DQN, the Q-network and its target, both with one output per action.
        outputs = {"pi": choices, "vf": choices if dqn else 1}
        parameters = sum(_mlp([features, *layers.get(head, []), outputs[head]]) for head in outputs)
        sized_by = f"net_arch {_excerpt(net_arch)}"
    else:
        from dialogym.agents.structured import DEFAULT_WIDTH, parameter_count

        width = policy_kwargs.get("width", DEFAULT_WIDTH)
        parameters = parameter_count(width)
        sized_by = f"width {width}"
    if parameters > MAX_POLICY_PARAMETERS:
        raise model.fail(
            f"its policy_kwargs {sized_by} makes a policy of"
            f" {parameters:.3g} parameters (at most {MAX_POLICY_PARAMETERS:.3g}); {TRUST_HINT}"
        )
    row_bytes = 4 * (2 * features + choices + 8)  # observations (twice for DQN), mask, scalars
    if dqn:
        sizing, rows = "buffer_size", setting("buffer_size")
        batch = setting("batch_size")
        field, count = "gradient_steps", max(setting("gradient_steps"), 1)
    elif "n_epochs" in parameters_of:
        sizing, rows = "n_steps", setting("n_steps") * setting("n_envs")
        batch = min(setting("batch_size"), rows)
        field, count = "n_epochs", setting("n_epochs") * math.ceil(rows / batch)
    else:  # A2C: one gradient step over the whole rollout
        sizing, rows = "n_steps", setting("n_steps") * setting("n_envs")
        field, batch, count = "n_steps", rows, 1
    if rows * row_bytes > MAX_BUFFER_BYTES:
        raise model.fail(
            f"its {sizing} {setting(sizing)} makes a buffer of {rows:.3g} rows of {row_bytes}"
            f" bytes, {rows * row_bytes / (1 << 30):.3g} GiB (at most"
            f" {MAX_BUFFER_BYTES >> 20} MiB); {TRUST_HINT}"
        )
    if count > MAX_UPDATES or count * batch * parameters > MAX_UPDATE_WORK:
        raise model.fail(
            f"its {field} {setting(field)} makes one update {count:.3g} gradient steps of"
            f" {batch} samples x {parameters:.3g} parameters (at most {MAX_UPDATES:.3g} steps"
            f" and {MAX_UPDATE_WORK:.3g} multiply-adds); {TRUST_HINT}"
        )


def _mlp(widths: Sequence[int]) -> int:
    """Parameters (weights and biases) of fully connected layers of these widths."""
    return sum((before + 1) * after for before, after in zip(widths, widths[1:], strict=False))


def _policy_class(model: ModelFile, algorithm: Algorithm, entry: Any) -> type:
    """The algorithm's policy class, if that is the class the file names."""
    expected = algorithm.policy_cls
    entry = entry if isinstance(entry, dict) else {}
    if "__init__" in vars(expected):  # SB3 stores the repr of the class's own __init__
        named = str(entry.get("__init__", "")).startswith(
            f"<function {expected.__init__.__qualname__} "
        )
    else:  # it inherits __init__ (the structured policies): their docstring tells them apart
        named = entry.get("__doc__") == expected.__doc__
    if entry.get("__module__") != expected.__module__ or not named:
        raise model.fail(
            f"its policy class (module {_excerpt(entry.get('__module__'))}) is not the"
            f" {expected.__qualname__} dialogym trains; {TRUST_HINT}"
        )
    return expected  # type: ignore[no-any-return]


def _space(
    model: ModelFile,
    what: str,
    entry: Any,
    spaces: tuple[gym.Space[Any], gym.Space[Any]] | None,
    index: int,
) -> gym.Space[Any]:
    """The space given (checked against the stored one), or the stored one rebuilt."""
    entry = entry if isinstance(entry, dict) else {}
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


def _policy_kwargs(algorithm: Algorithm, entry: Any) -> dict[str, Any]:
    """The policy arguments: each a parameter of the algorithm's policy class, checked.

    ``net_arch`` is a list of layer widths (or ``pi`` and ``vf`` lists); a class (activation,
    optimizer, features extractor) one of its allowed kind (`_allowed_class`); ``*_kwargs``
    plain numbers and flags; the rest fit the type of the parameter's default.
    """
    if not isinstance(entry, dict):
        raise _Refused(f"must be an object, not {_excerpt(entry)}")
    policy = algorithm.policy_cls
    parameters = inspect.signature(policy.__init__).parameters
    kwargs = {}
    for name, value in entry.items():
        if name.startswith(":"):
            continue
        if name in NOT_POLICY_KWARGS or name not in parameters:
            raise _Refused(f"{_excerpt(name)} is not an argument of {policy.__qualname__}")
        kwargs[name] = _policy_argument(name, value, parameters[name].default)
    return kwargs


def _policy_argument(name: str, value: Any, default: Any) -> Any:
    """One policy argument, checked against what its parameter takes (see `_policy_kwargs`)."""
    if name == "net_arch":
        return _net_arch(value)
    if isinstance(default, type):
        found = _CLASS.fullmatch(value) if isinstance(value, str) else None
        known = _allowed_class(found.group(1), default) if found else None
        if known is None:
            raise _Refused(f"{name!r} ({_excerpt(value)}) can only be restored by unpickling")
        return known
    if name.endswith("_kwargs"):
        if not isinstance(value, dict) or not all(_plain(item) for item in value.values()):
            raise _Refused(f"{name!r} must map names to numbers or flags, not {_excerpt(value)}")
        return value
    if isinstance(default, bool):
        return _flag(value)
    if isinstance(default, int | float):
        return _number(-1e6, 1e6)(value)
    raise _Refused(f"{name!r} is not an argument dialogym restores ({_excerpt(value)})")


def _plain(value: Any) -> bool:
    """Whether an optimizer or extractor argument is plain data.

    Plain: null, a flag, a finite number, or a short list of numbers (Adam's ``betas``).
    """
    if isinstance(value, list):
        return len(value) <= 8 and all(
            _plain(item) and not isinstance(item, list) for item in value
        )
    return (
        value is None
        or isinstance(value, bool)
        or (isinstance(value, int | float) and math.isfinite(value))
    )


def _net_arch(value: Any) -> list[int] | dict[str, list[int]]:
    """Layer widths: a list, or ``pi`` and ``vf`` lists; each at most `MAX_DEPTH` long."""
    if isinstance(value, dict) and set(value) <= {"pi", "vf"}:
        return {head: _widths(widths) for head, widths in value.items()}
    return _widths(value)


def _widths(value: Any) -> list[int]:
    """A list of at most `MAX_DEPTH` layer widths, each in [1, `MAX_POLICY_PARAMETERS`]."""
    if (
        not isinstance(value, list)
        or len(value) > MAX_DEPTH
        or not all(
            isinstance(width, int) and not isinstance(width, bool)
            and 1 <= width <= MAX_POLICY_PARAMETERS
            for width in value
        )
    ):  # fmt: skip
        raise _Refused(
            f"net_arch must be at most {MAX_DEPTH} layer widths (or pi and vf lists of them),"
            f" not {_excerpt(value)}"
        )
    return value


def _allowed_class(qualified: str, default: type) -> type | None:
    """The class a policy argument names by its full name, if it is of the allowed kind.

    A torch optimizer where the default is one, a torch activation where the default is one,
    else only the default class itself; None for anything else.
    """
    import torch

    name = qualified.rpartition(".")[2]
    if issubclass(default, torch.optim.Optimizer):
        found = getattr(torch.optim, name, None)
        allowed = isinstance(found, type) and issubclass(found, torch.optim.Optimizer)
    elif default.__module__ == "torch.nn.modules.activation":
        found = getattr(torch.nn.modules.activation, name, None)
        allowed = isinstance(found, type) and issubclass(found, torch.nn.Module)
    else:
        found, allowed = default, True
    if (
        allowed
        and isinstance(found, type)
        and f"{found.__module__}.{found.__qualname__}" == qualified
    ):
        return found
    return None


def _train_freq(value: Any) -> Any:
    """DQN's ``train_freq`` from the run's settings (a YAML list becomes SB3's tuple)."""
    return tuple(value) if isinstance(value, list) else value


def _check_tensors(model: ModelFile) -> None:
    """Check every ``.pth`` member before SB3 reads it: one-line errors for any failure.

    It must be one of `TENSOR_FILES`, a torch archive whose records are stored uncompressed
    within the member's own size (what ``torch.save`` writes: so reading it cannot inflate),
    readable with ``torch.load(..., weights_only=True)``; ``pytorch_variables.pth`` must hold
    no variables (SB3 would set each on the agent by the name the file gives).
    """
    import torch

    with zipfile.ZipFile(io.BytesIO(model.raw)) as archive:
        for name in model.tensors:
            if name not in TENSOR_FILES:
                raise model.fail(
                    f"its member {_excerpt(name)} is not one of the tensor files SB3 writes"
                    f" ({', '.join(TENSOR_FILES)}); {TRUST_HINT}"
                )
            content = archive.read(name)
            _check_records(model, name, content)
            try:
                loaded = torch.load(io.BytesIO(content), map_location="cpu", weights_only=True)
            except Exception as error:  # noqa: BLE001 - any failure of untrusted bytes is one line
                raise model.fail(
                    f"{name} is not a plain tensor file ({_short(error)}); {TRUST_HINT}"
                ) from None
            if name == "pytorch_variables.pth" and loaded != {}:
                raise model.fail(f"{name} holds variables to set on the agent; {TRUST_HINT}")


def _check_records(model: ModelFile, name: str, content: bytes) -> None:
    """A ``.pth`` member is a torch archive of stored (uncompressed) records within its size.

    Raises:
        ValueError: not a zip archive, too many records, or a record that would inflate.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as inner:
            records = inner.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise model.fail(
            f"{name} is not a plain tensor file (not a torch archive: {_short(error)}); {TRUST_HINT}"
        ) from None
    if len(records) > MAX_RECORDS:
        raise model.fail(f"{name} holds {len(records)} records (at most {MAX_RECORDS})")
    for record in records:
        if record.compress_type != zipfile.ZIP_STORED or record.file_size != record.compress_size:
            raise model.fail(
                f"{name}: its record {_excerpt(record.filename)} is compressed ({record.compress_size}"
                f" bytes inflating to {record.file_size}); torch.save stores records as they are;"
                f" {TRUST_HINT}"
            )
    if sum(record.file_size for record in records) > len(content):
        raise model.fail(f"{name}: its records are larger than the member that holds them")


def _excerpt(value: Any, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters (file contents never flood a message)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _short(error: BaseException, limit: int = 200) -> str:
    """An exception's first line, cut to ``limit`` characters."""
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
