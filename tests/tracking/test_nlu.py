"""Rule NLU: reads template utterances back (>= 98% of user turns), cues, synonyms, n-best."""

from __future__ import annotations

import dataclasses

import gymnasium as gym
import numpy as np
import pytest

import dialogym  # noqa: F401
from dialogym.acts import Act, ActType, format_acts, parse_acts, with_referred_slots
from dialogym.domains import BUILTIN_DOMAINS, load_domain
from dialogym.generators import Speaker, TemplateGenerator
from dialogym.policies import HandcraftedPolicy, RandomPolicy
from dialogym.simulators import RandomStream
from dialogym.tracking.nlu import RuleNLU

from ..conftest import CAMRESTAURANTS, requires_shared, shared_domain


@pytest.fixture(scope="module")
def restaurant() -> RuleNLU:
    return RuleNLU(load_domain("restaurant"))


def top(nlu: RuleNLU, text: str, system: str = "") -> str:
    return format_acts(nlu.parse(text, parse_acts(system))[0].acts)


@pytest.mark.parametrize(
    "domain", [*BUILTIN_DOMAINS, shared_domain(CAMRESTAURANTS)], ids=lambda d: d[-12:]
)
def test_recovers_template_user_turns(domain: str) -> None:
    env = gym.make("dialogym/PyDialEnv1-v0", domain=domain)
    nlu = RuleNLU(env.unwrapped.domain)
    generator = TemplateGenerator(env.unwrapped.domain)
    rng = RandomStream(np.random.default_rng(0))
    right = total = 0
    for policy in (RandomPolicy.for_env(env, seed=0), HandcraftedPolicy.for_env(env)):
        for episode in range(40):
            observation, info = env.reset(seed=episode)
            done = False
            while True:
                text = generator.render(Speaker.USER, info["user_acts"], rng)
                heard = nlu.parse(text, info["system_acts"])[0].acts
                meant = with_referred_slots(info["user_acts"], info["system_acts"])
                right += sorted(heard, key=str) == sorted(meant, key=str)
                total += 1
                if done:
                    break
                action, _ = policy.predict(observation, action_masks=env.unwrapped.action_masks())
                observation, _, terminated, truncated, info = env.step(action)
                done = terminated or truncated
    assert total > 300
    assert right / total >= 0.98


@pytest.mark.parametrize(
    ("text", "system", "expected"),
    [
        (
            "I'd like something inexpensive in the city centre.",
            "",
            "inform(pricerange=cheap) & inform(area=centre)",
        ),
        ("Sushi, please.", "", "inform(food=japanese)"),
        ("I don't care.", "request(area)", "inform(area=dontcare)"),
        ("The price range doesn't matter.", "", "inform(pricerange=dontcare)"),
        ("Not italian.", "", "deny(food=italian)"),
        ("No, I want italian food.", "confirm(food=thai)", "negate() & inform(food=italian)"),
        ("Yes, that's right.", "confirm(food=thai)", "affirm()"),
        ("What is the phone number? And the address?", "", "request(phone) & request(address)"),
        ("Is there anything else?", "", "reqalts()"),
        (
            "Please book it for four people on friday at 19:30.",
            "",
            "book() & inform(people=4) & inform(day=friday) & inform(time=19:30)",
        ),
        ("Thank you, goodbye.", "", "thankyou() & bye()"),
        ("Hmm.", "", "null()"),
    ],
)
def test_reads_cues_values_and_synonyms(
    restaurant: RuleNLU, text: str, system: str, expected: str
) -> None:
    assert top(restaurant, text, system) == expected


def test_ambiguous_value_gives_an_nbest_list() -> None:
    nlu = RuleNLU(load_domain("laptop"))
    hypotheses = nlu.parse("Something budget.")
    assert len(hypotheses) == 2
    assert {h.acts[0].slot for h in hypotheses} == {"type", "pricerange"}
    assert sum(h.confidence for h in hypotheses) <= 1.0 + 1e-9
    asked = nlu.parse("Budget.", (Act(ActType.REQUEST, "pricerange"),))
    assert asked[0].acts == (Act(ActType.INFORM, "pricerange", "budget"),)
    assert top(nlu, "I want budget type.") == "inform(type=budget)"


def test_confidence_reflects_understanding(restaurant: RuleNLU) -> None:
    assert restaurant.parse("I want thai food.")[0].confidence == 1.0
    assert restaurant.parse("Blah blah. I want thai food.")[0].confidence < 1.0


def test_nbest_must_be_positive() -> None:
    with pytest.raises(ValueError, match="nbest"):
        RuleNLU(load_domain("restaurant"), nbest=0)


@pytest.fixture(scope="module")
def camrestaurants() -> RuleNLU:
    if not CAMRESTAURANTS.exists():
        pytest.skip(f"needs {CAMRESTAURANTS}")
    return RuleNLU(load_domain(str(CAMRESTAURANTS)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Can I get the address?", "request(addr)"),
        ("I would like the address and the postcode.", "request(addr) & request(postcode)"),
        ("Golden house phone number then.", "inform(name=golden house) & request(phone)"),
        ("Where is it?", "request(addr)"),
    ],
)
def test_slot_aliases_name_pydial_slots(camrestaurants: RuleNLU, text: str, expected: str) -> None:
    assert top(camrestaurants, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("phone number", "request(phone)"),
        ("Postcode, please.", "request(postcode)"),
        ("And the price range.", "request(pricerange)"),
        ("I need the address of that place.", "request(address)"),
        ("Thai food in the north, and the phone number.", "inform(food=thai) & inform(area=north)"
         " & request(phone)"),
        ("I want cheap food. The address too.", "inform(pricerange=cheap) & request(address)"),
        ("Can you give me that phone number?", "request(phone)"),
        ("What are their addresses and phone numbers?", "request(address) & request(phone)"),
    ],
)  # fmt: skip
def test_requests_need_no_question_cue(restaurant: RuleNLU, text: str, expected: str) -> None:
    assert top(restaurant, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Are there any others in that price range?", "reqalts()"),
        ("Something else in the same area, please.", "reqalts()"),
        ("A restaurant in the same price range.", "null()"),
    ],
)
def test_a_slot_said_as_before_is_no_request(restaurant: RuleNLU, text: str, expected: str) -> None:
    assert top(restaurant, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("How about french food?", "reqalts() & inform(food=french)"),
        ("are there any other restaurants", "reqalts()"),  # the domain's entity type
        ("a different restaurant please", "reqalts()"),
        ("what about indian food", "reqalts() & inform(food=indian)"),
        ("Uh, how about something in the north?", "reqalts() & inform(area=north)"),
        ("Is there anyone else?", "reqalts()"),
        ("Any others?", "reqalts()"),
    ],
)
def test_reads_reqalts(restaurant: RuleNLU, text: str, expected: str) -> None:
    assert top(restaurant, text) == expected


@pytest.mark.parametrize(
    ("text", "system", "expected"),
    [
        ("dont care", "request(area)", "inform(area=dontcare)"),
        ("I dont mind.", "request(food)", "inform(food=dontcare)"),
        ("it doesnt matter", "request(pricerange)", "inform(pricerange=dontcare)"),
        ("Any part of town.", "", "inform(area=dontcare)"),
        ("Any.", "request(food)", "inform(food=dontcare)"),
        ("any kind of food is ok", "", "inform(food=dontcare)"),
        ("I have no preference.", "request(area)", "inform(area=dontcare)"),
        ("I do not have a preference.", "request(area)", "inform(area=dontcare)"),
        ("Either is fine.", "request(pricerange)", "inform(pricerange=dontcare)"),
        ("I want italian food in any part of town.", "", "inform(area=dontcare)"
         " & inform(food=italian)"),
        ("Italian food, I dont care about the price.", "", "inform(pricerange=dontcare)"
         " & inform(food=italian)"),
    ],
)  # fmt: skip
def test_dontcare_without_apostrophes_and_any(
    restaurant: RuleNLU, text: str, system: str, expected: str
) -> None:
    assert top(restaurant, text, system) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A moderately priced restaurant.", "inform(pricerange=moderate)"),
        ("Somewhere in the center.", "inform(area=centre)"),
        ("itailian food please", "inform(food=italian)"),
        ("chinnese food", "inform(food=chinese)"),
        ("Expensve food.", "inform(pricerange=expensive)"),
        ("THAI FOOD IN THE NORTH", "inform(food=thai) & inform(area=north)"),
        ("I want a restaurant over there.", "inform(request_type=restaurant)"),
        ("I would like it, it would be nice.", "null()"),
    ],
)
def test_variants_misspellings_and_case(restaurant: RuleNLU, text: str, expected: str) -> None:
    assert top(restaurant, text) == expected


@pytest.mark.parametrize(
    ("text", "system", "expected"),
    [
        ("uh yes i want thai food", "confirm(food=thai)", "affirm() & inform(food=thai)"),
        ("Um, no, I want thai food.", "confirm(food=french)", "negate() & inform(food=thai)"),
        ("Well, ok.", "", "ack()"),
        ("thats right", "confirm(food=thai)", "affirm()"),
        ("Uh, is it in the centre?", "", "confirm(area=centre)"),
    ],
)
def test_cues_after_hesitations(restaurant: RuleNLU, text: str, system: str, expected: str) -> None:
    assert top(restaurant, text, system) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I want vegetarian food, not italian.", "inform(food=vegetarian) & deny(food=italian)"),
        (
            "Thai food, the price is not important.",
            "inform(pricerange=dontcare) & inform(food=thai)",
        ),
        ("I don't want thai food.", "deny(food=thai)"),
    ],
)
def test_not_denies_the_value_it_comes_before(
    restaurant: RuleNLU, text: str, expected: str
) -> None:
    assert top(restaurant, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A place with fair prices.", "null()"),
        ("Something in the medium price range.", "null()"),
        ("And their price range.", "request(pricerange)"),
        ("What is the price range?", "request(pricerange)"),
        ("Phone number, address, and area.", "request(phone) & request(address) & request(area)"),
    ],
)
def test_a_value_slot_named_after_an_unknown_word_is_no_request(
    restaurant: RuleNLU, text: str, expected: str
) -> None:
    assert top(restaurant, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Sorry, could you repeat that?",
        "What did you say?",
        "uh pardon?",
        "Sorry?",
        "I didn't catch that.",
    ],
)
def test_reads_repeat(restaurant: RuleNLU, text: str) -> None:
    assert top(restaurant, text, "request(area)") == "repeat()"


def test_sorry_before_content_is_no_repeat(restaurant: RuleNLU) -> None:
    assert top(restaurant, "Sorry, I want thai food.") == "inform(food=thai)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm asking about chen's dhaba.", "inform(name=chen's dhaba)"),
        ("I'm asking about chens dhaba.", "inform(name=chen's dhaba)"),
        ("I want salt lantern.", "inform(name=the salt lantern)"),
        ("Is it a restaurant?", "confirm(request_type=restaurant)"),
    ],
)
def test_entity_names_and_the_entity_type(restaurant: RuleNLU, text: str, expected: str) -> None:
    assert top(restaurant, text) == expected


def test_a_confirm_asks_about_what_the_system_did_not_say() -> None:
    nlu = RuleNLU(load_domain("laptop"))  # "budget" is a laptop type and a price range
    assert top(nlu, "Is it budget?", "inform(type=budget)") == "confirm(pricerange=budget)"
    assert top(nlu, "Is it budget?", "inform(pricerange=budget)") == "confirm(type=budget)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Can you suggest another one?", "reqalts()"),
        ("How about one with cheap prices?", "reqalts() & inform(pricerange=cheap)"),
        ("A table for one, please.", "inform(people=1)"),
    ],
)
def test_one_as_a_pronoun_is_no_number(restaurant: RuleNLU, text: str, expected: str) -> None:
    assert top(restaurant, text) == expected


def test_an_ambiguous_value_takes_the_slot_named_next_to_it() -> None:
    nlu = RuleNLU(load_domain("laptop"))
    text = "I'd like convertible type and budget price range."
    assert top(nlu, text) == "inform(type=convertible) & inform(pricerange=budget)"


def test_a_value_that_is_an_everyday_word_is_read_only_at_the_end(restaurant: RuleNLU) -> None:
    domain = load_domain("restaurant")
    synonyms = {**domain.synonyms, "food": {"thai": ("so",)}}
    nlu = RuleNLU(dataclasses.replace(domain, synonyms=synonyms))
    assert top(nlu, "Thank you so much.") == "thankyou()"
    assert top(nlu, "I want so.") == "inform(food=thai)"


@pytest.mark.parametrize("text", ["Hmm, yes.", "uh yeah", "Well, of course."])
def test_affirm_after_hesitations(restaurant: RuleNLU, text: str) -> None:
    assert top(restaurant, text, "confirm(area=north)") == "affirm()"


def test_a_slot_named_as_a_place_asks_nothing(restaurant: RuleNLU) -> None:
    assert top(restaurant, "Are there chinese restaurants in the area?") == "inform(food=chinese)"


@pytest.mark.parametrize(
    ("text", "system", "expected"),
    [
        ("any part", "request(area)", "inform(area=dontcare)"),
        ("anywhere", "request(area)", "inform(area=dontcare)"),
        ("any thai", "request(area)", "inform(food=thai)"),
        ("next one", "offer(name=the salt lantern)", "reqalts()"),
        ("what else", "offer(name=the salt lantern)", "reqalts()"),
    ],
)
def test_short_answers(restaurant: RuleNLU, text: str, system: str, expected: str) -> None:
    assert top(restaurant, text, system) == expected


def test_a_slot_named_before_its_value_asks_nothing(restaurant: RuleNLU) -> None:
    assert top(restaurant, "Price range: cheap.") == "inform(pricerange=cheap)"
    assert top(restaurant, "The area should be the north.") == "inform(area=north)"
    assert top(restaurant, "What price range is the salt lantern?") == (
        "inform(name=the salt lantern) & request(pricerange)"
    )


def test_the_entity_type_in_other_words(restaurant: RuleNLU) -> None:
    assert top(restaurant, "I'd like a restaurant.") == "inform(request_type=restaurant)"


def test_set_phrases_and_other_words_are_no_values() -> None:
    laptop = RuleNLU(load_domain("laptop"))
    assert top(laptop, "Good morning.") == "hello()"
    assert top(laptop, "I need a good battery rating.") == "inform(batteryrating=good)"
    assert top(laptop, "Can you make a reservation?") == "book()"


def test_a_different_place_is_reqalts(restaurant: RuleNLU) -> None:
    assert top(restaurant, "Can you suggest a different place?") == "reqalts()"


@requires_shared(CAMRESTAURANTS)
def test_a_value_word_after_a_subject_is_a_verb() -> None:
    nlu = RuleNLU(load_domain(CAMRESTAURANTS))
    assert top(nlu, "I fancy some thai food.") == "inform(food=thai)"
    assert top(nlu, "A fancy restaurant, please.") == "inform(pricerange=expensive)"
