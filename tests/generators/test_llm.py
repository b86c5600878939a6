"""The LLM generator: faithfulness check, exact greedy text, per-row seeding, cache, fallbacks,
one batch per vector step, same seed same transcript. SmolLM2 is loaded once per session."""

from __future__ import annotations

import os
import re

import gymnasium as gym
import numpy as np
import pytest

import dialogym  # noqa: F401  (registers the ids)
from dialogym.acts import Acts, parse_acts
from dialogym.domains import Domain, load_domain
from dialogym.envs.vector import DialogueVectorEnv
from dialogym.generators import Request, Speaker, TemplateGenerator
from dialogym.generators.llm import FaithfulnessCheck, LLMGenerator, _shot_messages
from dialogym.models import ModelError
from dialogym.policies import make_policy
from dialogym.simulators import RandomStream
from dialogym.tracking.nlu import RuleNLU

from .test_template import CAFES, HOTELS

WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

os.environ.setdefault("HF_HUB_OFFLINE", "1")

RESTAURANT = load_domain("restaurant")


@pytest.fixture(scope="session")
def llm() -> LLMGenerator:
    try:
        return LLMGenerator(
            RESTAURANT, RuleNLU(RESTAURANT, nbest=1), device="cpu", max_new_tokens=16
        )
    except ModelError as error:
        pytest.skip(str(error))


@pytest.fixture
def fresh(llm: LLMGenerator) -> LLMGenerator:
    """The session's generator with an empty cache, sampling, constrained (restored after)."""
    llm.clear_cache()
    llm.sample = llm.constrained = True
    yield llm
    llm.clear_cache()
    llm.sample = llm.constrained = True


def stream(seed: int = 0) -> RandomStream:
    return RandomStream(np.random.default_rng(seed))


# -- the faithfulness check (no model) ------------------------------------------------------------


@pytest.fixture(scope="module")
def check() -> FaithfulnessCheck:
    return FaithfulnessCheck(RESTAURANT, RuleNLU(RESTAURANT, nbest=1))


USER, SYSTEM = Speaker.USER, Speaker.SYSTEM


@pytest.mark.parametrize(
    ("speaker", "acts", "text", "faithful"),
    [
        (USER, "inform(food=thai)", "Thai food, please.", True),
        (USER, "inform(pricerange=cheap)", "Something affordable.", True),  # a synonym
        (USER, "inform(food=thai)", "Some food, please.", False),  # the value is missing
        (USER, "inform(food=thai)", "Thai food in the north.", False),  # another value
        (USER, "inform(food=thai)", "Thaimania, please.", False),  # whole words only
        (USER, "inform(area=dontcare)", "Any area is fine.", True),
        (USER, "inform(area=dontcare)", "The area is a great place.", False),  # no "don't mind"
        (USER, "affirm()", "Yes, in the west.", False),
        (USER, "affirm()", "Sure.", True),
        (USER, "affirm()", "Okay then.", False),  # read as ack
        (USER, "request(phone)", "What is the phone number?", True),
        (USER, "request(phone)", "The phone number is 123-456-7890.", False),  # not asked
        (USER, "request(phone) & request(postcode)", "Can I have the postcode?", False),  # dropped
        (USER, "bye()", "You're all done.", False),
        (USER, "thankyou() & bye()", "Thanks, bye.", True),
        (USER, "bye()", "Goodbye, have a nice day.", True),  # a set phrase of politeness
        (USER, "inform(pricerange=dontcare)", "The price doesn't matter. Bye.", False),  # a bye
        (USER, "bye()", "The price doesn't matter. Bye.", False),  # a dontcare
        (USER, "inform(food=chinese)", "It's not just chinese food.", False),  # reads as deny
        (USER, "deny(food=chinese)", "Not chinese food.", True),
        (USER, "inform(food=french)", "Can you find me french food?", True),  # asks to be served
        # What SmolLM2 wrote and the check of issue 10 let through:
        (USER, "inform(pricerange=expensive)", "The price isn't too expensive, but there's "
         "something more.", False),  # read as a deny
        (USER, "inform(food=seafood)", "You're looking for seafood food, right?", False),  # role
        (USER, "inform(time=18:30)", "18:30 is a good price range for the area.", False),
        (USER, "inform(people=7)", "I'm sorry, but can you please provide a list of 7?", False),
        (USER, "inform(food=thai)", "Thai food, the best in the world.", False),  # content
        (USER, "request(food)", "What kind of food would you like?", False),  # the system's
        (SYSTEM, "hello()", "Welcome to my blog. What's your blog about?", False),
        (SYSTEM, "offer(name=the salt lantern) & inform(area=west)",
         "The salt lantern refers to the west coast of the island.", False),  # content
        (SYSTEM, "inform(name=the salt lantern) & inform(signature=fish pie)",
         "The salt lantern is a mythical creature. The signature dish is fish pie.", False),
        (SYSTEM, "offer(name=the salt lantern)", "Try the salt lantern.", True),
        (SYSTEM, "offer(name=the salt lantern) & inform(food=british)",
         "How about the salt lantern? It serves british food.", True),
        (SYSTEM, "hello()", "I'm looking for a place near the salt lantern.", False),  # a name
        (SYSTEM, "hello()", "Hello, I'd like a cheap restaurant.", False),  # a value, the user's
        (SYSTEM, "request(food)", "Could you give me their food?", False),  # the user's question
        (SYSTEM, "hello()", "Welcome! What would you like?", True),
        (SYSTEM, "request(pricerange)", "The price isn't specified.", False),  # not a question
        (SYSTEM, "request(pricerange)", "How much do you want to spend?", True),
        (SYSTEM, "request(pricerange)", "How expensive should it be?", True),  # a value, asked
        (SYSTEM, "request(pricerange)", "How expensive is the food?", False),  # another slot
        (SYSTEM, "request(food)", "How about some chinese food?", False),  # offers a value
        # What SmolLM2 wrote and a first version of this check let through:
        (SYSTEM, "confirm(pricerange=dontcare)", "I'm sorry, I'm sorry, I'm sorry.", False),
        (SYSTEM, "confirm(area=dontcare)", "I'm glad you're happy.", False),
        (SYSTEM, "confirm(area=dontcare)", "You don't mind about the area, right?", True),
        (USER, "inform(pricerange=moderate)", "I can suggest a moderate price, but I'd "
         "recommend a little more.", False),
        (SYSTEM, "confirm(food=thai)", "To confirm, to confirm, thai food?", False),
        (SYSTEM, "confirm(food=greek)", "You want Greek food?", True),
        (SYSTEM, "confirm(area=west)", "The west is a part of the west.", False),  # no question
        (USER, "request(phone)", "A phone number is a phone number.", False),  # repeated
        (USER, "inform(food=thai)", "Thai food is a thai food.", False),  # repeated
        (USER, "inform(time=17:00)", "Can you be more than 17:00?", False),  # compared
        (USER, "inform(people=8)", "A table for at least 8, please.", False),  # compared
        (USER, "book()", "Can I book a table?", True),
        (USER, "request(address)", "Where is it?", True),
        (USER, "request(phone)", "I'll give you the number, please.", False),  # the system's
        (SYSTEM, "request(food)", "I'd love to try some food?", False),  # the user's
    ],
)  # fmt: skip
def test_check(
    check: FaithfulnessCheck, speaker: Speaker, acts: str, text: str, faithful: bool
) -> None:
    assert check(speaker, parse_acts(acts), text) is faithful


class Recording:
    """The template generator, keeping every (speaker, acts, text) it writes."""

    def __init__(self, domain: Domain) -> None:
        self.template = TemplateGenerator(domain)
        self.said: list[tuple[Speaker, Acts, str]] = []

    def generate(self, requests: list[Request]) -> list[str]:
        texts = self.template.generate(requests)
        self.said += [(r.speaker, r.acts, t) for r, t in zip(requests, texts, strict=True)]
        return texts


@pytest.mark.parametrize("domain", ["restaurant", "laptop", "camrestaurants", CAFES, HOTELS])
def test_every_template_utterance_passes_the_check(
    domain: str, request: pytest.FixtureRequest
) -> None:
    """The fallback must itself be faithful: else the check would reject what it falls back to
    (in the restaurant bank and in the neutral one)."""
    spec = request.getfixturevalue("camrestaurants") if domain == "camrestaurants" else domain
    recording = Recording(load_domain(spec))
    env = gym.make("dialogym/PyDialEnv3-v0", domain=spec, channel="text", generator=recording)
    policy = make_policy("handcrafted", env)
    rng = np.random.default_rng(0)
    for seed in range(200):
        observation, _ = env.reset(seed=seed)
        done = False
        while not done:
            mask = env.unwrapped.action_masks()
            random_action = int(rng.choice(np.flatnonzero(mask)))
            action = policy.act(observation, mask) if seed % 2 else random_action
            observation, _, terminated, truncated, _ = env.step(action)
            done = terminated or truncated
    check = FaithfulnessCheck(env.unwrapped.domain, RuleNLU(env.unwrapped.domain, nbest=1))
    rejected = [said for said in recording.said if not check(*said)]
    assert len(recording.said) > 1000
    assert rejected == []


# -- the generator ------------------------------------------------------------------------------


@pytest.mark.slow
def test_greedy_output_is_the_models_own(fresh: LLMGenerator) -> None:
    """Unconstrained greedy text is what transformers' own generate writes for the whole prompt
    (no shared prefix cache), kept if the check accepts it, else the draft is said."""
    fresh.sample = False
    fresh.constrained = False
    for seed, (speaker, acts) in enumerate(
        [(Speaker.SYSTEM, "request(area)"), (Speaker.USER, "inform(food=italian)")]
    ):
        [part] = fresh._plan(Request(speaker, parse_acts(acts), stream(seed)))
        prompt = fresh.tokenizer(
            fresh.prompt(part.speaker, part.draft), return_tensors="pt", add_special_tokens=False
        )
        output = fresh.model.generate(
            **prompt, max_new_tokens=fresh.max_new_tokens, do_sample=False,
            eos_token_id=sorted(fresh._stops), pad_token_id=fresh.tokenizer.pad_token_id,
        )  # fmt: skip
        new = [t for t in output[0, prompt.input_ids.shape[1] :].tolist() if t not in fresh._stops]
        own = " ".join(fresh.tokenizer.decode(new, skip_special_tokens=True).split())
        [text] = fresh.generate([Request(speaker, parse_acts(acts), stream(seed))])
        faithful = fresh.check(part.speaker, part.acts, own)
        assert text == (own if faithful else part.draft)
        assert fresh.last_fallbacks == (0 if faithful else 1,)


@pytest.mark.slow
@pytest.mark.parametrize("sample", [False, True])
def test_constrained_text_keeps_to_its_vocabulary(fresh: LLMGenerator, sample: bool) -> None:
    """The model's own text, before the check: every word is in its sentence's vocabulary (a
    sentence cut inside a word is no text at all); unconstrained, it strays."""
    requests = [
        Request(Speaker.SYSTEM, parse_acts("hello()"), stream(0)),
        Request(Speaker.USER, parse_acts("inform(food=thai) & inform(area=north)"), stream(1)),
        Request(Speaker.USER, parse_acts("request(phone)"), stream(2)),
        Request(Speaker.SYSTEM, parse_acts("offer(name=pizza hut city centre)"), stream(3)),
    ]
    parts = [part for request in requests for part in fresh._plan(request)]
    fresh.sample = sample
    strays = 0
    for constrained in (True, False):
        fresh.constrained = constrained
        for part, text in zip(parts, fresh._paraphrase(parts, attempt=0), strict=True):
            vocabulary = fresh.vocabulary(part)
            said = WORD.findall(text.lower().replace("\u2019", "'"))
            if constrained:
                assert all(word in vocabulary.words for word in said), text
            else:
                strays += any(word not in vocabulary.words for word in said)
    assert strays > 0


def test_vocabulary_leaves_out_negations_and_act_words(llm: LLMGenerator) -> None:
    [part] = llm._plan(Request(Speaker.USER, parse_acts("inform(food=thai)"), stream()))
    vocabulary = llm.vocabulary(part)
    assert {"thai", "food", "the", "i"} <= vocabulary.words
    assert not {"not", "no", "yes", "correct", "north", "blog", "city"} & vocabulary.words
    [denial] = llm._plan(Request(Speaker.USER, parse_acts("negate()"), stream()))
    assert "no" in llm.vocabulary(denial).words


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
    assert fresh.forward_passes - passes <= fresh.attempts  # one batch, then the rejected ones


def test_unknown_generator_is_one_line() -> None:
    with pytest.raises(ValueError, match="unknown generator 'gpt'"):
        gym.make("dialogym/Dialogue-v0", channel="text", generator="gpt")


@pytest.mark.slow
def test_vector_env_same_seed_same_transcripts(fresh: LLMGenerator) -> None:
    def transcripts() -> list[list[str]]:
        fresh.clear_cache()
        venv = DialogueVectorEnv(
            "dialogym/PyDialEnv1-v0", num_envs=2, domain="restaurant", channel="text",
            generator=fresh, max_turns=2,
        )  # fmt: skip
        venv.reset(seed=11)
        for step in range(3):
            venv.step([int(np.flatnonzero(mask)[step % 2]) for mask in venv.action_masks()])
        return [list(env.conversation) for env in venv.envs]

    first = transcripts()
    assert all(len(conversation) >= 2 for conversation in first)
    assert transcripts() == first


@pytest.mark.slow
def test_prompt_is_the_chat_template_with_the_draft_last(llm: LLMGenerator) -> None:
    """The cached prefix plus a row's suffix is exactly the whole prompt the template renders."""
    draft = "What is the phone number?"
    messages = [*_shot_messages(), {"role": "user", "content": f"user: {draft}"}]
    whole = llm.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert llm.prompt(Speaker.USER, draft) == whole


@pytest.mark.parametrize("argument", ["variants", "attempts"])
def test_counts_below_one_are_one_line_errors(argument: str) -> None:
    with pytest.raises(ValueError, match=rf"^{argument}: must be >= 1, got 0$"):
        LLMGenerator(RESTAURANT, RuleNLU(RESTAURANT, nbest=1), **{argument: 0})
