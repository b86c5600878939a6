"""State encoders: turn the belief state (and, later, the conversation) into observations."""

from dialogym.encoders.belief import BeliefEncoder

__all__ = ["BeliefEncoder"]
