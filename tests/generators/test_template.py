"""Template generator: every act of every domain renders, values verbatim, seeded choices."""

from __future__ import annotations

import numpy as np
import pytest

from dialogym.acts import Act, ActType, parse_acts
from dialogym.domains import BUILTIN_DOMAINS, DONTCARE, load_domain
from dialogym.generators import Request, Speaker, TemplateGenerator
from dialogym.simulators import RandomStream

from ..conftest import CAMRESTAURANTS, shared_domain


def every_act(domain_name: str, speaker: Speaker) -> list[Act]:
    """Every act with a slot the speaker may say, and every act type without one."""
    domain = load_domain(domain_name)
    values = {**domain.informable, **domain.booking}
    checked = ActType.DENY if speaker is Speaker.USER else ActType.CONFIRM
    acts = [Act(kind) for kind in ActType]
    for slot, slot_values in values.items():
        acts += [Act(ActType.INFORM, slot, v) for v in (*slot_values, DONTCARE)]
        acts.append(Act(checked, slot, slot_values[0]))
    acts += [Act(ActType.REQUEST, slot) for slot in domain.requestable]
    return acts


@pytest.mark.parametrize(
    "domain", [*BUILTIN_DOMAINS, shared_domain(CAMRESTAURANTS)], ids=lambda d: d[-12:]
)
@pytest.mark.parametrize("speaker", list(Speaker))
def test_every_act_renders_with_its_value(domain: str, speaker: Speaker) -> None:
    generator = TemplateGenerator()
    rng = RandomStream(np.random.default_rng(0))
    for act in every_act(domain, speaker):
        text = generator.render(speaker, (act,), rng)
        assert text and text[0].isupper() and text.rstrip()[-1] in ".?!:"
        if act.value not in (None, DONTCARE) and act.type is not ActType.BOOK:
            assert act.value in text, (act, text)


def test_grouped_system_acts() -> None:
    generator = TemplateGenerator()
    rng = RandomStream(np.random.default_rng(1))
    select = generator.render(
        Speaker.SYSTEM, parse_acts("select(food=thai) & select(food=greek)"), rng
    )
    assert "thai or greek" in select
    nomatch = generator.render(
        Speaker.SYSTEM, parse_acts("nomatch(food=thai) & nomatch(area=north)"), rng
    )
    assert "thai food and north area" in nomatch
    booked = generator.render(Speaker.SYSTEM, parse_acts("book(people=4) & book(day=friday)"), rng)
    assert "4 people, friday day" in booked
    offer = generator.render(
        Speaker.SYSTEM, parse_acts("offer(name=Bella) & inform(food=thai)"), rng
    )
    assert offer.count(".") + offer.count("?") == 2 and "Bella" in offer and "thai" in offer


def test_paraphrases_follow_the_random_source() -> None:
    generator = TemplateGenerator()
    acts = parse_acts("inform(food=thai)")

    def texts(seed: int) -> list[str]:
        rng = RandomStream(np.random.default_rng(seed))
        return generator.generate([Request(Speaker.USER, acts, rng) for _ in range(30)])

    assert texts(3) == texts(3)
    assert len(set(texts(3))) >= 3


def test_empty_turn_is_said_as_nothing_meaningful() -> None:
    rng = RandomStream(np.random.default_rng(0))
    assert TemplateGenerator().render(Speaker.USER, (), rng)
