"""Stable-Baselines3 and sb3-contrib agents for dialogym: builders, config, callbacks, plots, warm start.

A trained agent loads back as a policy (`AgentPolicy`) that plays wherever a handcrafted or
random policy does.

The names below load their module (and with most of them torch and SB3) on first use, so that
a command parses its flags, and answers ``--help``, before those heavy imports.
"""

from __future__ import annotations

import ast
import importlib
import sys
import types
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dialogym.agents.builders import (
        ALGORITHMS,
        Algorithm,
        algorithms_for,
        build_agent,
        get_algorithm,
        learning_rate_schedule,
        make_vec_env,
    )
    from dialogym.agents.callbacks import DialogueCallback, DialogueSchedule
    from dialogym.agents.config import TrainConfig
    from dialogym.agents.loading import detect_algorithm, load_agent
    from dialogym.agents.policy import AgentPolicy
    from dialogym.agents.warm_start import (
        BehaviourCloning,
        CorpusLimits,
        Demonstrations,
        WarmStartReport,
        replay_corpus,
        warm_start,
    )

__all__ = [
    "ALGORITHMS",
    "AgentPolicy",
    "Algorithm",
    "BehaviourCloning",
    "CorpusLimits",
    "Demonstrations",
    "DialogueCallback",
    "DialogueSchedule",
    "TrainConfig",
    "WarmStartReport",
    "algorithms_for",
    "build_agent",
    "detect_algorithm",
    "get_algorithm",
    "learning_rate_schedule",
    "load_agent",
    "make_vec_env",
    "replay_corpus",
    "warm_start",
]


@cache
def _module_of() -> dict[str, str]:
    """Each public name to its module, read from the imports above (the one list of them)."""
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    guard = next(node for node in tree.body if isinstance(node, ast.If))
    return {
        alias.name: str(node.module)
        for node in guard.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def __getattr__(name: str) -> Any:
    """The public ``name``, from its module (imported now if it was not)."""
    module = _module_of().get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


class _Package(types.ModuleType):
    """This package, whose public names a submodule of the same name never hides.

    Importing ``dialogym.agents.warm_start`` binds the package's ``warm_start`` to that module;
    the public ``warm_start`` is the function, which `__getattr__` finds.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if not (isinstance(value, types.ModuleType) and name in __all__):
            super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
