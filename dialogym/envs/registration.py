"""Registration of dialogym's environment ids with Gymnasium (done on ``import dialogym``)."""

from __future__ import annotations

import inspect
from collections.abc import Collection
from typing import Any

import gymnasium as gym
from gymnasium.envs.registration import register, registry

ENTRY_POINT = "dialogym.envs.dialogue:DialogueEnv"

PYDIAL_TASKS: dict[str, dict[str, object]] = {
    "dialogym/PyDialEnv1-v0": {"ser": 0.0, "masks": True, "user": "standard"},
    "dialogym/PyDialEnv2-v0": {"ser": 0.0, "masks": False, "user": "standard"},
    "dialogym/PyDialEnv3-v0": {"ser": 0.15, "masks": True, "user": "standard"},
    "dialogym/PyDialEnv4-v0": {"ser": 0.15, "masks": False, "user": "standard"},
    "dialogym/PyDialEnv5-v0": {"ser": 0.15, "masks": True, "user": "unfriendly"},
    "dialogym/PyDialEnv6-v0": {"ser": 0.30, "masks": True, "user": "standard"},
}
"""PyDial's benchmark configurations env1..env6 (Casanueva et al. 2017), each taking ``domain=``."""

ENV_IDS: tuple[str, ...] = ("dialogym/Dialogue-v0", *PYDIAL_TASKS)
"""The ids of the PyDial world: each builds a `DialogueEnv` and takes its arguments
(``domain=`` among them). `ALL_ENV_IDS` adds the MultiWOZ ids."""


MULTIWOZ_ENTRY_POINT = "dialogym.envs.multiwoz_env:MultiWozEnv"
"""What a MultiWOZ id builds: one `MultiWozEnv`."""

MULTIWOZ_TASKS: dict[str, dict[str, object]] = {
    "dialogym/MultiWOZ-v0": {"user": "convlab"},
    "dialogym/MultiWOZ-fixed-v0": {"user": "fixed"},
}
"""The MultiWOZ ids: ConvLab-3's user (its defects included), and the user with every fix on.
Each builds a `MultiWozEnv` and takes its arguments (no ``domain=``: the world is MultiWOZ's
seven domains)."""

ALL_ENV_IDS: tuple[str, ...] = (*ENV_IDS, *MULTIWOZ_TASKS)
"""Every id dialogym registers: the PyDial world's (`ENV_IDS`) and the MultiWOZ world's."""


VECTOR_ENTRY_POINT = "dialogym.envs.vector:make_vector_env"
"""What ``gymnasium.make_vec`` builds for a dialogym id: one batched `DialogueVectorEnv`."""


def register_envs() -> None:
    """Register every dialogym id (idempotent).

    The environments are registered without Gymnasium's passive checker, order-enforcing and
    ``TimeLimit`` wrappers, so ``gymnasium.make`` returns the `DialogueEnv` itself:
    ``env.action_masks()`` works directly, and a step costs no wrapper overhead (the
    test-suite runs the checkers). The env truncates a dialogue itself, at ``max_turns``, and
    judges it there; its ``spec.max_episode_steps`` says so (`DialogueEnv.spec`), so no
    ``TimeLimit`` cuts a dialogue short of its verdict, whatever ``max_turns`` is.
    ``gymnasium.make_vec`` builds one `DialogueVectorEnv` (batched text generation and
    encoding). The MultiWOZ ids (`MULTIWOZ_TASKS`) build a `MultiWozEnv` the same way, whose
    spec's ``max_episode_steps`` is its turn cap (20 system turns).
    """
    for env_id in ENV_IDS:
        if env_id in registry:
            continue
        register(
            id=env_id,
            entry_point=ENTRY_POINT,
            vector_entry_point=VECTOR_ENTRY_POINT,
            kwargs=dict(PYDIAL_TASKS.get(env_id, {})),
            order_enforce=False,
            disable_env_checker=True,
        )
    for env_id, kwargs in MULTIWOZ_TASKS.items():
        if env_id not in registry:
            register(
                id=env_id,
                entry_point=MULTIWOZ_ENTRY_POINT,
                kwargs=dict(kwargs),
                order_enforce=False,
                disable_env_checker=True,
            )


def is_multiwoz(env_id: str) -> bool:
    """Whether an id builds the MultiWOZ world (a `MultiWozEnv`).

    >>> is_multiwoz("dialogym/MultiWOZ-v0"), is_multiwoz("dialogym/PyDialEnv1-v0")
    (True, False)
    """
    return env_id in MULTIWOZ_TASKS


def env_class(env_id: str) -> type[gym.Env[Any, Any]]:
    """The class a dialogym id builds: `MultiWozEnv` for a MultiWOZ id, else `DialogueEnv`."""
    if is_multiwoz(env_id):
        from dialogym.envs.multiwoz_env import MultiWozEnv

        return MultiWozEnv
    from dialogym.envs.dialogue import DialogueEnv

    return DialogueEnv


PLAIN_KINDS: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "None": (type(None),),
    "Mapping": (dict,),
}
"""What each annotation of an env's ``__init__`` admits of plain data (JSON, YAML); a type
not listed (``Domain``, ``TextEncoder``, ``Language``...) admits none."""

MAX_VALUE_CHARS = 4096
"""The longest string an env argument read from a file may hold (a path's limit on Linux)."""


def _annotation_kinds(annotation: str) -> tuple[type, ...]:
    """The plain-data kinds an annotation (``"str | Mapping[str, Any] | None"``) admits."""
    alternatives, depth, start = [], 0, 0
    for index, char in enumerate(annotation + "|"):
        depth += (char == "[") - (char == "]")
        if char == "|" and depth == 0:
            alternatives.append(annotation[start:index].strip())
            start = index + 1
    kinds: tuple[type, ...] = ()
    for alternative in alternatives:
        kinds += PLAIN_KINDS.get(alternative.partition("[")[0], ())
    return kinds


def env_argument_kinds(env_id: str = ENV_IDS[0]) -> dict[str, tuple[type, ...]]:
    """Each argument of the env an id builds that plain data can give, with the kinds it may have.

    Derived from the signature of the env's ``__init__`` (`env_class`: `DialogueEnv`, or
    `MultiWozEnv` for a MultiWOZ id): an argument whose annotation admits no plain data cannot
    come from a file (``language`` can only be left out, or None).

    >>> env_argument_kinds()["ser"], env_argument_kinds()["language"]
    ((<class 'int'>, <class 'float'>), (<class 'NoneType'>,))
    >>> env_argument_kinds("dialogym/MultiWOZ-v0")["accept_offerbook"]
    (<class 'bool'>, <class 'NoneType'>)
    """
    kinds = {
        name: _annotation_kinds(str(parameter.annotation))
        for name, parameter in inspect.signature(env_class(env_id).__init__).parameters.items()
        if name != "self"
    }
    return {name: admitted for name, admitted in kinds.items() if admitted}


def _is_kind(value: object, kinds: tuple[type, ...]) -> bool:
    """Whether ``value`` has one of ``kinds`` (a bool is no int or float)."""
    if isinstance(value, bool):
        return bool in kinds
    return isinstance(value, kinds)


def _model_named(key: str, value: str) -> str | None:
    """The model a ``generator`` or ``encoder`` value names (``llm:PATH`` names PATH), or None."""
    if key == "encoder":
        return value
    kind, colon, model = value.partition(":")
    return model if key == "generator" and kind == "llm" and colon else None


def checked_env(
    env_id: object,
    env_kwargs: object,
    where: str,
    named_by_user: Collection[str] = (),
) -> tuple[str, dict[str, Any]]:
    """An env id and arguments read from a file (corpus, config, run folder), made safe to build.

    The id must be one dialogym registers (`ALL_ENV_IDS`): never ``module:id``, which would make
    Gymnasium import the module. Each argument must be one of the env's (`DialogueEnv`'s, or
    `MultiWozEnv`'s for a MultiWOZ id), of a kind its signature admits (`env_argument_kinds`),
    strings at most `MAX_VALUE_CHARS` long. A model
    (``encoder=``, ``generator=llm:MODEL``) must be a built-in one (`dialogym.models.MODELS`)
    or a value the user named on the command line (``named_by_user``): a file cannot make
    dialogym read a model folder the user did not name. ``domain=`` may name a built-in domain
    or a domain file, which is loaded as untrusted data like any other (see `load_domain`).

    Args:
        env_id: The id as read.
        env_kwargs: The arguments as read.
        where: The file (and line) they were read from, for the message: ``FILE: env: ...``.
        named_by_user: Values given on the command line (``--env-kwarg`` values), accepted
            for a model.

    Returns:
        The id and a copy of the arguments.

    Raises:
        ValueError: one line naming ``where`` and the field (``env`` or ``env_kwargs.KEY``).
    """
    from dialogym.models import MODELS

    if not isinstance(env_id, str) or env_id not in ALL_ENV_IDS:
        shown = repr(env_id[:200]) if isinstance(env_id, str) else type(env_id).__name__
        raise ValueError(
            f"{where}: env: {shown} is not a dialogym env id ({', '.join(ALL_ENV_IDS)})"
        )
    if not isinstance(env_kwargs, dict):
        raise ValueError(
            f"{where}: env_kwargs: expected a mapping, got {type(env_kwargs).__name__}"
        )
    kinds = env_argument_kinds(env_id)
    for key, value in env_kwargs.items():
        field = f"{where}: env_kwargs.{str(key)[:80]}"
        if key not in kinds:
            raise ValueError(f"{field}: not an argument of {env_id} (known: {', '.join(kinds)})")
        if not _is_kind(value, kinds[key]):
            expected = " or ".join(
                "null" if kind is type(None) else kind.__name__ for kind in kinds[key]
            )
            raise ValueError(f"{field}: expected {expected}, got {type(value).__name__}")
        if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
            raise ValueError(f"{field}: longer than {MAX_VALUE_CHARS} characters")
        model = _model_named(key, value) if isinstance(value, str) else None
        if model is not None and model not in MODELS and value not in named_by_user:
            raise ValueError(
                f"{field}: {model[:200]!r} is not a built-in model ({', '.join(MODELS)}); a model"
                f" folder named by a file is loaded only if you name it too (--env-kwarg"
                f" {key}={value[:200]})"
            )
    return env_id, dict(env_kwargs)
