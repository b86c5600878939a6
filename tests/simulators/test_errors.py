"""The semantic error channel."""

from __future__ import annotations

import numpy as np
import pytest

from dialogym.acts import Act, ActType
from dialogym.domains import load_domain
from dialogym.simulators import ErrorModel, RandomStream

DOMAIN = load_domain("restaurant")
TURN = (
    Act(ActType.INFORM, "food", DOMAIN.informable["food"][0]),
    Act(ActType.INFORM, "area", "north"),
)


def test_no_errors_passes_the_turn_through_with_full_confidence() -> None:
    hypotheses = ErrorModel(DOMAIN, 0.0).corrupt(TURN, RandomStream(np.random.default_rng(0)))
    assert len(hypotheses) == 1 and hypotheses[0].acts == TURN and hypotheses[0].confidence == 1.0


@pytest.mark.parametrize("ser", [0.15, 0.3])
def test_error_rate_confidences_and_dropped_truth(ser: float) -> None:
    model = ErrorModel(DOMAIN, ser, nbest=3)
    stream = RandomStream(np.random.default_rng(1))
    wrong_top = missing_truth = 0
    trials = 4000
    for _ in range(trials):
        hypotheses = model.corrupt(TURN, stream)
        assert 1 <= len(hypotheses) <= 3
        confidences = [h.confidence for h in hypotheses]
        assert confidences == sorted(confidences, reverse=True)
        assert 0.0 < sum(confidences) <= 1.0 + 1e-9
        wrong_top += hypotheses[0].acts != TURN
        missing_truth += all(h.acts != TURN for h in hypotheses)
    assert abs(wrong_top / trials - ser) < 0.03
    assert 0 < missing_truth < wrong_top


def test_invalid_error_rate_is_rejected() -> None:
    with pytest.raises(ValueError, match="ser"):
        ErrorModel(DOMAIN, 1.2)
