"""Template generator: every act renders, five phrasings per pattern, every user phrasing
round-trips through the rule NLU on every domain, seeded choices."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import dialogym  # noqa: F401
from dialogym.acts import Act, Acts, ActType, format_acts, parse_acts, with_referred_slots
from dialogym.domains import BUILTIN_DOMAINS, DONTCARE, TYPE_SLOT, Domain, load_domain, words
from dialogym.generators import Request, Speaker, TemplateGenerator
from dialogym.generators.template import Sentence
from dialogym.policies import HandcraftedPolicy, RandomPolicy
from dialogym.simulators import RandomStream
from dialogym.tracking.nlu import RuleNLU

from ..conftest import CAMRESTAURANTS, PYDIAL_DOMAINS, shared_domain

TEST_DOMAINS = Path(__file__).resolve().parents[1] / "data" / "domains"
CAFES = str(TEST_DOMAINS / "cafes.yaml")
"""FORMAT.md's example domain (`test_cafes_is_format_example` keeps the two the same)."""
HOTELS = str(TEST_DOMAINS / "hotels.yaml")
"""A hotels domain: yes/no slots, numbers of several slots, a value named like the entity."""
DOMAINS = [*BUILTIN_DOMAINS, *(shared_domain(path) for path in PYDIAL_DOMAINS), CAFES, HOTELS]
SYSTEM_ONLY = (ActType.SELECT, ActType.OFFER, ActType.NOMATCH, ActType.REQMORE, ActType.NULL)
SLOTTED = (ActType.INFORM, ActType.REQUEST, ActType.CONFIRM, ActType.DENY)
REPEAT_READ = "repeat" in words.ACT_CUES
"""Whether the rule NLU reads the user's ``repeat`` (its cue is being added; until then the
round trip of ``repeat`` is skipped)."""


class EveryChoice:
    """A random source that walks through every sequence of choices, one per rendering.

    Each `below` call is a choice point; after a rendering, `advance` moves to the next
    sequence, like an odometer, so that rendering until it returns False sees every phrasing.
    """

    def __init__(self) -> None:
        self.path: list[int] = []
        self.limits: list[int] = []
        self.depth = 0

    def random(self) -> float:
        return self.below(1000) / 1000

    def below(self, n: int) -> int:
        if self.depth == len(self.path):
            self.path.append(0)
            self.limits.append(n)
        choice = self.path[self.depth]
        self.depth += 1
        return choice

    def advance(self) -> bool:
        del self.path[self.depth :], self.limits[self.depth :]
        self.depth = 0
        while self.path:
            self.path[-1] += 1
            if self.path[-1] < self.limits[-1]:
                return True
            self.path.pop()
            self.limits.pop()
        return False


def every_rendering(
    speaker: Speaker, acts: Acts, domain: Domain | None = None
) -> Iterator[list[Sentence]]:
    """Every way the generator can say ``acts`` (in ``domain``'s bank; none: neutral)."""
    generator = TemplateGenerator(domain)
    source = EveryChoice()
    while True:
        yield generator.sentences(speaker, acts, source)
        if not source.advance():
            return


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


def user_acts(domain: Domain) -> tuple[list[Acts], list[Acts]]:
    """The user acts the simulator may say: with one value per slot (said every way) and with
    every value (said a few ways), alone and together."""
    values = {**domain.informable, **domain.booking}
    kinds = [k for k in ActType if k not in (*SYSTEM_ONLY, *SLOTTED, ActType.REPEAT)]
    kind = Act(ActType.INFORM, TYPE_SLOT, domain.entity_type or domain.name)
    each_way = [Act(k) for k in kinds] + [kind, Act(ActType.INFORM, None, DONTCARE)]
    every_value = []
    for slot, slot_values in values.items():
        for value in (slot_values[0], DONTCARE):
            each_way += [Act(ActType.INFORM, slot, value), Act(ActType.DENY, slot, value)]
        each_way.append(Act(ActType.CONFIRM, slot, slot_values[0]))
        for value in slot_values:
            every_value += [Act(t, slot, value) for t in (ActType.INFORM, ActType.DENY)]
            every_value.append(Act(ActType.CONFIRM, slot, value))
    each_way += [Act(ActType.REQUEST, slot) for slot in domain.requestable]
    return [(act,) for act in each_way], [(act,) for act in every_value] + together(domain)


def together(domain: Domain) -> list[Acts]:
    """Acts the agenda simulator says in one turn: constraints, leads, bookings, requests."""
    informable = [slot for slot in domain.informable if slot != "name"][:4]

    def inform(slot: str, index: int = 0) -> Act:
        slot_values = {**domain.informable, **domain.booking}[slot]
        return Act(ActType.INFORM, slot, slot_values[index % len(slot_values)])

    kind = Act(ActType.INFORM, TYPE_SLOT, domain.entity_type or domain.name)
    turns: list[Acts] = []
    for size in (2, 3):
        for slots in itertools.permutations(informable, size):
            turns.append(tuple(inform(slot, i) for i, slot in enumerate(slots)))
    for lead in (ActType.HELLO, ActType.AFFIRM, ActType.NEGATE, ActType.ACK, ActType.REQALTS):
        turns += [(Act(lead), inform(slot, 1)) for slot in informable]
        turns.append((Act(lead), *(inform(slot, 2) for slot in informable[:3])))
        turns.append((Act(lead), kind, *(inform(slot, 3) for slot in informable[:2])))
    turns += [
        (kind, *(inform(s) for s in slots)) for slots in itertools.permutations(informable[:3], 2)
    ]
    turns += [(Act(ActType.INFORM, None, DONTCARE), inform(slot)) for slot in informable]
    for slot in [*informable, *(["name"] if "name" in domain.informable else [])]:
        turns.append((Act(ActType.DENY, *inform(slot)[1:]), inform(slot, 1)))
        turns.append((Act(ActType.DENY, slot, DONTCARE), inform(slot, 1)))
    requests = list(domain.requestable)
    turns.append(tuple(Act(ActType.REQUEST, slot) for slot in requests[:2]))
    turns.append(tuple(Act(ActType.REQUEST, slot) for slot in requests[-3:]))
    if domain.booking:
        booking = list(domain.booking)
        turns.append((Act(ActType.BOOK), *(inform(slot, 3) for slot in booking)))
        turns.append((Act(ActType.BOOK), Act(ActType.INFORM, booking[0], "1")))
        turns.append(tuple(inform(slot, 4) for slot in booking))
        turns.append((Act(ActType.NEGATE), inform(booking[1], 2)))
    return turns


def ambiguous_names(domain: Domain) -> set[str]:
    """Venue names that are another slot's value too (SFRestaurants' ``nopa`` is a name and a
    ``near``): said without a slot word, the NLU reads the other slot."""
    others = {v for slot, vs in domain.informable.items() if slot != "name" for v in vs}
    return {name for name in domain.informable.get("name", ()) if name in others}


def heard(nlu: RuleNLU, sentences: list[Sentence], system: Acts = ()) -> tuple[Acts, Acts]:
    """The acts the sentences say, in their order, and what the NLU reads from them (said in
    reply to the system's acts ``system``)."""
    said = tuple(act for acts, _ in sentences for act in acts)
    text = " ".join(sentence for _, sentence in sentences)
    return with_referred_slots(said, system), nlu.parse(text, system)[0].acts


def some_renderings(
    speaker: Speaker, acts: Acts, count: int, domain: Domain
) -> Iterator[list[Sentence]]:
    """``count`` renderings of ``acts``, each with a random source of its own seed."""
    generator = TemplateGenerator(domain)
    for seed in range(count):
        yield generator.sentences(speaker, acts, RandomStream(np.random.default_rng(seed)))


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_user_phrasing_round_trips(domain: str) -> None:
    """Acceptance 2 of issue 10: what the generator says, the NLU reads back exactly.

    Every phrasing of every act pattern, with one value per slot; every value of every slot,
    and the acts said together, a few random ways each.
    """
    loaded = load_domain(domain)
    nlu = RuleNLU(loaded)
    unclear = ambiguous_names(loaded)
    each_way, some_ways = user_acts(loaded)
    said_ways = [(acts, every_rendering(Speaker.USER, acts, loaded)) for acts in each_way]
    said_ways += [(acts, some_renderings(Speaker.USER, acts, 12, loaded)) for acts in some_ways]
    wrong: list[str] = []
    renderings = 0
    for acts, ways in said_ways:
        if any(a.slot == "name" and a.value in unclear for a in acts):
            continue
        for sentences in ways:
            renderings += 1
            said, read = heard(nlu, sentences)
            if read != said or sorted(said, key=str) != sorted(acts, key=str):
                wrong.append(f"{format_acts(acts)}: {sentences} -> {format_acts(read)}")
    assert renderings > 3_000
    assert not wrong, f"{len(wrong)} of {renderings} not read back, e.g. {wrong[:5]}"


@pytest.mark.skipif(not REPEAT_READ, reason="the rule NLU does not read repeat() yet (issue 10)")
@pytest.mark.parametrize("domain", DOMAINS)
def test_repeat_round_trips(domain: str) -> None:
    loaded = load_domain(domain)
    nlu = RuleNLU(loaded)
    for sentences in every_rendering(Speaker.USER, (Act(ActType.REPEAT),), loaded):
        said, read = heard(nlu, sentences)
        assert read == said == (Act(ActType.REPEAT),), sentences


@pytest.mark.parametrize("domain", DOMAINS)
def test_simulated_user_turns_round_trip(domain: str) -> None:
    """The turns the agenda simulator says, in context, are all read back."""
    env = gym.make("dialogym/PyDialEnv1-v0", domain=domain)
    nlu = RuleNLU(env.unwrapped.domain)
    unclear = ambiguous_names(env.unwrapped.domain)
    entity = env.unwrapped.domain.entity_type or env.unwrapped.domain.name
    kind_checked = (Act(ActType.CONFIRM, TYPE_SLOT, entity),)
    kind_read = nlu.parse(f"Is it a {entity}?")[0].acts == kind_checked
    generator = TemplateGenerator(env.unwrapped.domain)
    rng = RandomStream(np.random.default_rng(0))
    total = 0
    for policy in (RandomPolicy.for_env(env, seed=0), HandcraftedPolicy.for_env(env)):
        for episode in range(25):
            observation, info = env.reset(seed=episode)
            while True:
                acts = info["user_acts"]
                unread = (ActType.REPEAT in {a.type for a in acts} and not REPEAT_READ) or (
                    kind_checked[0] in acts and not kind_read
                )  # the NLU does not read these yet (issue 10)
                if not unread:
                    sentences = generator.sentences(Speaker.USER, acts, rng)
                    said, read = heard(nlu, sentences, info["system_acts"])
                    named = any(a.slot == "name" and a.value in unclear for a in acts)
                    assert named or (
                        read == said
                        and sorted(said, key=str)
                        == sorted(with_referred_slots(acts, info["system_acts"]), key=str)
                    ), sentences
                    total += 1
                if info.get("done"):
                    break
                masks = env.unwrapped.action_masks()
                action, _ = policy.predict(observation, action_masks=masks)
                observation, _, terminated, truncated, info = env.step(action)
                info["done"] = terminated or truncated
    assert total > 200


def pattern(speaker: Speaker, acts: Acts, domain: Domain) -> set[str]:
    """The distinct texts of every rendering, values replaced by ``V`` (the phrasings)."""
    texts = set()
    for sentences in every_rendering(speaker, acts, domain):
        text = " ".join(sentence for _, sentence in sentences)
        for act in acts:
            text = text.replace(str(act.value), "V") if act.value else text
        texts.add(text)
    return texts


@pytest.mark.parametrize("bank", ["restaurant", HOTELS])
@pytest.mark.parametrize("speaker", list(Speaker))
def test_five_phrasings_per_act_pattern(speaker: Speaker, bank: str) -> None:
    """Every act type, every slot with a table of its own and the generic slot, ``dontcare``;
    in the restaurant bank and in the neutral one (with yes/no slots)."""
    domain = load_domain(bank)
    user = speaker is Speaker.USER
    slots = ["food", "area", "pricerange", "people", "day", "time", "name", "phone", "colour"]
    slots += [slot for slot in ("wifi", "parking") if slot in domain.informable]
    turns: list[Acts] = [(Act(k),) for k in ActType if (k in SYSTEM_ONLY) != user]
    turns += [(Act(ActType.INFORM, slot, "x1"),) for slot in slots]
    turns += [(Act(ActType.REQUEST, slot),) for slot in slots]
    turns += [(Act(ActType.CONFIRM, slot, "x1"),) for slot in slots]
    turns += [(Act(ActType.CONFIRM if not user else ActType.INFORM, "area", DONTCARE),)]
    if user:
        turns += [(Act(ActType.DENY, slot, "x1"),) for slot in slots]
        turns += [(Act(ActType.DENY, "area", DONTCARE),)]
    else:
        turns += [
            parse_acts(
                "offer(name=x0) & inform(food=x1) & inform(pricerange=x2) & inform(area=x3)"
            ),
            parse_acts("offer(name=x0) & inform(colour=x1)"),
            parse_acts("select(food=x1) & select(food=x2)"),
            parse_acts("nomatch(food=x1) & nomatch(area=x2)"),
            parse_acts("book(people=4) & book(day=x1) & book(time=x2)"),
            parse_acts("book(name=failed)"),
        ]
    for acts in turns:
        assert len(pattern(speaker, acts, domain)) >= 5, format_acts(acts)


@pytest.mark.parametrize("domain", [*BUILTIN_DOMAINS, shared_domain(CAMRESTAURANTS)])
@pytest.mark.parametrize("speaker", list(Speaker))
def test_every_act_renders_with_its_value(domain: str, speaker: Speaker) -> None:
    generator = TemplateGenerator(load_domain(domain))
    rng = RandomStream(np.random.default_rng(0))
    for act in every_act(domain, speaker):
        text = generator.render(speaker, (act,), rng)
        assert text and text[0].isupper() and text.rstrip()[-1] in ".?!:"
        if act.value not in (None, DONTCARE) and act.type is not ActType.BOOK:
            assert act.value in text, (act, text)


def test_acts_said_together() -> None:
    """Several constraints in one sentence, booking details, replacements, offers, requests."""
    generator = TemplateGenerator(load_domain("restaurant"))
    seen: dict[str, set[str]] = {}
    turns = {
        "constraints": ("user", "inform(pricerange=cheap) & inform(food=italian) & inform(area=centre)"),
        "book": ("user", "book() & inform(people=4) & inform(day=friday) & inform(time=19:30)"),
        "replace": ("user", "deny(food=italian) & inform(food=thai)"),
        "offer": ("system", "offer(name=Bella) & inform(food=thai) & inform(area=north)"),
        "requests": ("user", "request(phone) & request(postcode)"),
        "select": ("system", "select(food=thai) & select(food=greek)"),
        "nomatch": ("system", "nomatch(food=thai) & nomatch(area=north)"),
        "booked": ("system", "book(people=4) & book(day=friday)"),
    }  # fmt: skip
    for name, (speaker, acts) in turns.items():
        texts = seen[name] = set()
        for seed in range(200):
            rng = RandomStream(np.random.default_rng(seed))
            texts.add(generator.render(Speaker(speaker), parse_acts(acts), rng))
    assert any("cheap italian food in the centre" in t for t in seen["constraints"])
    assert any("for 4 people on friday at 19:30" in t for t in seen["book"])
    assert any("not italian, i want thai food" in t.lower() for t in seen["replace"])
    assert any(t.startswith("Bella") and "thai food in the north" in t for t in seen["offer"])
    assert any("phone number and the postcode?" in t for t in seen["requests"])
    assert all("thai or greek" in t for t in seen["select"])
    assert all("thai food and north area" in t for t in seen["nomatch"])
    assert all("4" in t and "friday" in t for t in seen["booked"])
    assert all(len(texts) >= 5 for texts in seen.values()), {k: len(v) for k, v in seen.items()}


def test_paraphrases_follow_the_random_source() -> None:
    generator = TemplateGenerator()
    acts = parse_acts("inform(food=thai)")

    def texts(seed: int) -> list[str]:
        rng = RandomStream(np.random.default_rng(seed))
        return generator.generate([Request(Speaker.USER, acts, rng) for _ in range(60)])

    assert texts(3) == texts(3)
    assert texts(3) != texts(4)
    assert len(set(texts(3))) >= 10


def test_empty_turn_is_said_as_nothing_meaningful() -> None:
    rng = RandomStream(np.random.default_rng(0))
    assert TemplateGenerator().render(Speaker.USER, (), rng)
