"""Dialogue-state tracking: the belief tracker (and, for the text channel, the NLU)."""

from dialogym.tracking.belief import BeliefTracker

__all__ = ["BeliefTracker"]
