"""Environments: `DialogueEnv`, summary actions and masks, evaluation, registration."""

from dialogym.envs.actions import SummaryActions
from dialogym.envs.dialogue import DialogueEnv, Turn
from dialogym.envs.evaluation import ObjectiveSuccess, RewardConfig
from dialogym.envs.registration import (
    ALL_ENV_IDS,
    ENV_IDS,
    MULTIWOZ_TASKS,
    PYDIAL_TASKS,
    register_envs,
)

__all__ = [
    "ALL_ENV_IDS",
    "ENV_IDS",
    "MULTIWOZ_TASKS",
    "PYDIAL_TASKS",
    "DialogueEnv",
    "ObjectiveSuccess",
    "RewardConfig",
    "SummaryActions",
    "Turn",
    "register_envs",
]
