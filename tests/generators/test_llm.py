"""The LLM generator: faithfulness check, exact greedy text, per-row seeding, cache, fallbacks,
one batch per vector step, same seed same transcript. SmolLM2 is loaded once per session."""

from __future__ import annotations

import os

import gymnasium as gym
import numpy as np
import pytest

import dialogym  # noqa: F401  (registers the ids)
from dialogym.acts import parse_acts
from dialogym.domains import load_domain
from dialogym.envs.vector import DialogueVectorEnv
from dialogym.generators import Request, Speaker
from dialogym.generators.llm import FaithfulnessCheck, LLMGenerator
from dialogym.models import ModelError
from dialogym.simulators import RandomStream

os.environ.setdefault("HF_HUB_OFFLINE", "1")

RESTAURANT = load_domain("restaurant")


@pytest.fixture(scope="session")
def llm() -> LLMGenerator:
    try:
        return LLMGenerator(RESTAURANT, device="cpu", max_new_tokens=16)
    except ModelError as error:
        pytest.skip(str(error))


@pytest.fixture
def fresh(llm: LLMGenerator) -> LLMGenerator:
    """The session's generator with an empty cache, sampling (restored afterwards)."""
    llm.clear_cache()
    llm.sample = True
    yield llm
    llm.clear_cache()
    llm.sample = True


def stream(seed: int = 0) -> RandomStream:
    return RandomStream(np.random.default_rng(seed))


# -- the faithfulness check (no model) ------------------------------------------------------------


@pytest.fixture(scope="module")
def check() -> FaithfulnessCheck:
    return FaithfulnessCheck(RESTAURANT)


@pytest.mark.parametrize(
    ("acts", "text", "faithful"),
    [
        ("inform(food=thai)", "Thai food, please.", True),
        ("inform(pricerange=cheap)", "Something affordable.", True),  # a synonym
        ("inform(food=thai)", "Some food, please.", False),  # the value is missing
        ("inform(food=thai)", "Thai food in the north.", False),  # another value
        ("inform(food=thaimania)", "Thaimania please.", True),  # whole words only
        ("inform(area=dontcare)", "Any area is fine.", True),  # dontcare needs no word
        ("offer(name=pizza hut city centre)", "Try pizza hut city centre.", True),
        ("affirm()", "Yes, in the west.", False),
        ("request(phone)", "What is the phone number?", True),
    ],
)
def test_check(check: FaithfulnessCheck, acts: str, text: str, faithful: bool) -> None:
    assert check(parse_acts(acts), text) is faithful


# -- the generator ------------------------------------------------------------------------------


@pytest.mark.slow
def test_greedy_output_is_exact(fresh: LLMGenerator) -> None:
    fresh.sample = False
    requests = [
        Request(Speaker.SYSTEM, parse_acts("request(area)"), stream()),
        Request(Speaker.USER, parse_acts("inform(food=italian)"), stream()),
    ]
    # SmolLM2-135M, greedy: the first paraphrase names another area, so its draft is said.
    assert fresh.generate(requests) == ["Which part of town?", "Italian food is a great choice."]
    assert fresh.last_fallbacks == (True, False)


@pytest.mark.slow
def test_a_rows_text_does_not_depend_on_its_batch(fresh: LLMGenerator) -> None:
    target = Request(Speaker.USER, parse_acts("inform(area=north)"), stream(3))
    alone = fresh.generate([target])
    fresh.clear_cache()
    others = [
        Request(Speaker.SYSTEM, parse_acts("offer(name=pizza hut city centre)"), stream(1)),
        Request(Speaker.USER, parse_acts("request(phone) & request(addr)"), stream(2)),
    ]
    together = fresh.generate([*others, Request(target.speaker, target.acts, stream(3))])
    assert together[-1] == alone[0]


@pytest.mark.slow
def test_cache_serves_repeats_without_a_forward_pass(fresh: LLMGenerator) -> None:
    request = Request(Speaker.USER, parse_acts("hello()"), stream())
    first = fresh.generate([request])
    passes = fresh.forward_passes
    again = fresh.generate([Request(Speaker.USER, parse_acts("hello()"), stream())])
    assert again == first
    assert fresh.forward_passes == passes


@pytest.mark.slow
def test_unfaithful_text_falls_back_to_the_draft(
    fresh: LLMGenerator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fresh, "_postprocess", lambda tokens: ["Thai food in the west."])
    [text] = fresh.generate([Request(Speaker.USER, parse_acts("inform(food=italian)"), stream())])
    assert fresh.last_fallbacks == (True,)
    assert "italian" in text and "west" not in text


def play(env: gym.Env, seed: int) -> list[str]:
    """A short dialogue with always the first allowed action; its utterances and fallbacks."""
    _, info = env.reset(seed=seed)
    lines = [info["system_text"], info["user_text"]]
    done = False
    while not done:
        action = int(np.flatnonzero(env.unwrapped.action_masks())[0])
        _, _, terminated, truncated, info = env.step(action)
        lines += [info["system_text"], info["user_text"], str(info["generator_fallbacks"])]
        done = terminated or truncated
    return lines


@pytest.mark.slow
def test_same_seed_same_transcript(fresh: LLMGenerator) -> None:
    env = gym.make(
        "dialogym/Dialogue-v0", domain="restaurant", channel="text", generator=fresh, max_turns=2
    )
    first = play(env, seed=5)
    fresh.clear_cache()
    assert play(env, seed=5) == first


@pytest.mark.slow
def test_vector_env_writes_a_step_in_one_batch(fresh: LLMGenerator) -> None:
    venv = DialogueVectorEnv(
        "dialogym/PyDialEnv1-v0", num_envs=3, domain="restaurant", channel="text", generator=fresh
    )
    _, infos = venv.reset(seed=0)
    assert list(infos["generator_fallbacks"]) == [env.generator_fallbacks for env in venv.envs]
    passes = fresh.forward_passes
    venv.step([int(np.flatnonzero(mask)[0]) for mask in venv.action_masks()])
    assert fresh.forward_passes - passes <= 1  # every dialogue's two utterances, one batch


def test_unknown_generator_is_one_line() -> None:
    with pytest.raises(ValueError, match="unknown generator 'gpt'"):
        gym.make("dialogym/Dialogue-v0", channel="text", generator="gpt")
