"""Stable-Baselines3 and sb3-contrib agents for dialogym: builders, config, callbacks, plots, warm start.

A trained agent loads back as a policy (`AgentPolicy`) that plays wherever a handcrafted or
random policy does.
"""

from __future__ import annotations

from dialogym.agents.builders import (
    ALGORITHMS,
    Algorithm,
    build_agent,
    get_algorithm,
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
    "build_agent",
    "detect_algorithm",
    "get_algorithm",
    "load_agent",
    "make_vec_env",
    "replay_corpus",
    "warm_start",
]
