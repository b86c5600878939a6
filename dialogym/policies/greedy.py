"""The greedy baseline: offer at once, answer what is asked, offer another when asked.

It is the trick that a simulated user who gives its goal away rewards: three rules and no
dialogue management (no questions, no confirmations). Every benchmark table carries it, so that
a learner's figures can be read against what the trick scores in the same world.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from dialogym.policies.base import BeliefRulePolicy

REQUESTED = 0.5
"""A requestable slot counts as requested above this belief (PyDial's threshold)."""

RULE_ACTIONS = ("inform", "offer_alternative", "offer")
"""The actions of the three rules; with the rest of the action space in its own order they are
also the fixed order the policy falls back on when the rule's action is masked."""


class GreedyPolicy(BeliefRulePolicy):
    """The three rules of the trick, each honouring the mask.

    ``inform`` if the user asked for something, ``offer_alternative`` if asked for another
    venue, otherwise ``offer``.

    When the rule's action is masked, the policy takes the first allowed action of a fixed
    order: `RULE_ACTIONS`, then every other action in the action space's order. It is
    deterministic and never picks a masked action.

    Args:
        feature_names: The env's ``feature_names`` (belief observation layout).
        action_names: The env's ``action_names``.
    """

    def __init__(self, feature_names: Sequence[str], action_names: Sequence[str]) -> None:
        super().__init__(feature_names, action_names)
        self._inform, self._offer_alternative, self._offer = (
            self.actions[name] for name in RULE_ACTIONS
        )
        self._alternatives = self.features["global:byalternatives"]
        first = [self.actions[name] for name in RULE_ACTIONS]
        self._fallback = first + [i for i in range(self.n_actions) if i not in first]

    def wishes(self, x: list[float]) -> Iterator[int]:
        """The rule's action, then the fixed fallback order."""
        if any(x[i] > REQUESTED for i in self.requested):
            yield self._inform
        elif x[self._alternatives] > 0.5:
            yield self._offer_alternative
        else:
            yield self._offer
        yield from self._fallback
