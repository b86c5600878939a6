"""The semantic error channel: what the system "hears" of the user's acts.

Instead of speech recognition and understanding, the semantic channel corrupts the user's acts
directly, as in PyDial's error simulation: with probability ``ser`` (the semantic error rate) a
turn is confused (its act type, a slot or a value replaced), and the system receives an n-best
list of hypotheses with confidence scores in which the true turn may be ranked low or missing.
"""

from __future__ import annotations

from dialogym.acts import (
    AFFIRM,
    BOOK,
    BYE,
    DENY,
    HELLO,
    INFORM,
    NEGATE,
    NULL,
    REQALTS,
    REQUEST,
    THANKYOU,
    Act,
    Acts,
    Hypotheses,
    Hypothesis,
)
from dialogym.domains import DONTCARE, Domain
from dialogym.simulators.randomness import RandomStream

SER_PRESETS: dict[str, float] = {"none": 0.0, "low": 0.15, "high": 0.30}
"""The semantic error rates of PyDial's benchmark (env1-2, env3-5, env6)."""

_TYPE_SWAPS = {
    AFFIRM: NEGATE,
    NEGATE: AFFIRM,
    THANKYOU: NULL,
    HELLO: NULL,
    REQALTS: NULL,
    BOOK: NULL,
    NULL: REQALTS,
    BYE: NULL,
}


class ErrorModel:
    """Confuses user acts at a given semantic error rate and returns n-best lists.

    Args:
        domain: Supplies the slots and values confusions are drawn from.
        ser: Semantic error rate: the chance that the top hypothesis is not the true turn.
        nbest: Most hypotheses in a list.
        drop_true: When the top hypothesis is wrong, the chance that the true turn is missing
            from the list altogether.
    """

    def __init__(self, domain: Domain, ser: float, nbest: int = 3, drop_true: float = 0.3) -> None:
        if not 0.0 <= ser <= 1.0:
            raise ValueError(f"ser: semantic error rate must lie in [0, 1], got {ser!r}")
        if nbest < 1:
            raise ValueError(f"nbest: must be >= 1, got {nbest!r}")
        self.ser = ser
        self.nbest = nbest
        self.drop_true = drop_true
        self._values = {**domain.informable, **domain.booking}
        self._value_slots = tuple(self._values)
        self._requestable = domain.requestable

    def corrupt(self, acts: Acts, stream: RandomStream) -> Hypotheses:
        """Return the n-best hypotheses the system receives for the user's ``acts``."""
        if self.ser == 0.0:
            return (Hypothesis(acts, 1.0),)
        correct = stream.random() >= self.ser
        readings = [acts if correct else self._confuse(acts, stream)]
        size = 1 + stream.below(self.nbest)
        if not correct and (size > 1 or stream.random() >= self.drop_true):
            readings.append(acts)
            size = max(size, 2)
        while len(readings) < size:
            readings.append(self._confuse(acts, stream))
        top = stream.uniform(0.6, 1.0) if correct else stream.uniform(0.3, 0.8)
        rest = (1.0 - top) * stream.uniform(0.5, 1.0)
        weights = sorted((stream.random() for _ in readings[1:]), reverse=True)
        total = sum(weights) or 1.0
        hypotheses = [Hypothesis(readings[0], top)]
        hypotheses.extend(
            Hypothesis(r, min(top, rest * w / total)) for r, w in zip(readings[1:], weights, strict=True)
        )
        return tuple(hypotheses)

    def _confuse(self, acts: Acts, stream: RandomStream) -> Acts:
        """Replace one act's type, slot or value."""
        if not acts:
            return (Act(NULL),)
        position = stream.below(len(acts))
        changed = list(acts)
        changed[position] = self._confuse_act(acts[position], stream)
        return tuple(changed)

    def _confuse_act(self, act: Act, stream: RandomStream) -> Act:
        kind = act.type
        if kind is INFORM and act.slot in self._values:
            roll = stream.random()
            if roll < 0.15:
                return Act(REQUEST, act.slot)
            slot = act.slot if roll < 0.7 else stream.choice(self._value_slots)
            return Act(INFORM, slot, self._other_value(slot, act.value, stream))
        if kind is REQUEST:
            if stream.random() < 0.3 and act.slot in self._values:
                return Act(INFORM, act.slot, stream.choice(self._values[act.slot]))
            return Act(REQUEST, stream.choice(self._requestable))
        if kind is DENY and act.slot in self._values:
            return Act(INFORM, act.slot, act.value)
        return Act(_TYPE_SWAPS.get(kind, NULL))

    def _other_value(self, slot: str, value: str | None, stream: RandomStream) -> str:
        values = self._values[slot]
        if len(values) == 1:
            return DONTCARE if value != DONTCARE else values[0]
        other = stream.choice(values)
        while other == value:
            other = stream.choice(values)
        return other
