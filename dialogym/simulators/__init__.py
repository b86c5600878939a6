"""User simulation: goals, the agenda-based user, user profiles and the semantic error channel."""

from dialogym.randomness import RandomStream
from dialogym.simulators.agenda import AgendaUser, UserTurn
from dialogym.simulators.errors import SER_PRESETS, ErrorModel
from dialogym.simulators.goal import Goal, GoalConfig, GoalGenerator
from dialogym.simulators.multiwoz_goals import (
    DomainGoal,
    MultiWozGoal,
    MultiWozGoalGenerator,
    load_goal_model,
)
from dialogym.simulators.profiles import PROFILES, UserBehaviour, UserProfile, get_profile

__all__ = [
    "PROFILES",
    "SER_PRESETS",
    "AgendaUser",
    "DomainGoal",
    "ErrorModel",
    "Goal",
    "GoalConfig",
    "GoalGenerator",
    "MultiWozGoal",
    "MultiWozGoalGenerator",
    "RandomStream",
    "UserBehaviour",
    "UserProfile",
    "UserTurn",
    "get_profile",
    "load_goal_model",
]
