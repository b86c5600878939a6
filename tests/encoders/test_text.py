"""Text encoder and the text observations: cache, composition, check_env for channel x obs."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import dialogym  # noqa: F401
from dialogym.encoders.text import TextEncoder
from dialogym.envs.language import make_encoder
from dialogym.envs.vector import DialogueVectorEnv
from dialogym.models import ModelError, resolve

pytestmark = pytest.mark.slow


def test_each_sentence_is_encoded_once(minilm: TextEncoder) -> None:
    minilm.clear_cache()
    passes = minilm.forward_passes
    first = minilm.encode([["Hello. What food?", "I want thai food."], ["Hi."]])
    assert first.shape == (2, 2 * minilm.dim) and first.dtype == np.float32
    assert minilm.forward_passes == passes + 1
    again = minilm.encode([["Hello. What food?", "I want thai food."]])
    assert minilm.forward_passes == passes + 1
    np.testing.assert_array_equal(again[0], first[0])
    assert np.all(first[1, : minilm.dim] == 0.0)  # a one-utterance history: zeros first
    assert np.isclose(np.linalg.norm(first[1, minilm.dim :]), 1.0, atol=1e-5)


def test_embeddings_carry_meaning(minilm: TextEncoder) -> None:
    thai, cuisine, phone = minilm.embed_sentences(
        ["I want thai food.", "Thai cuisine, please.", "What is the phone number?"]
    )
    assert float(thai @ cuisine) > float(thai @ phone) + 0.2


@pytest.mark.parametrize("channel", ["semantic", "text"])
@pytest.mark.parametrize("obs", ["belief", "text", "belief+text"])
def test_checkers_pass_for_every_channel_and_observation(
    minilm: TextEncoder, channel: str, obs: str
) -> None:
    env = gym.make("dialogym/PyDialEnv3-v0", channel=channel, obs=obs, encoder=minilm)
    gym_check_env(env.unwrapped, skip_render_check=True)
    sb3_check_env(env.unwrapped, warn=True)
    observation, info = env.reset(seed=0)
    assert env.observation_space.contains(observation)
    has_text = channel == "text" or obs != "belief"
    assert ("user_text" in info) == has_text


def test_text_observations_are_deterministic_and_batched(minilm: TextEncoder) -> None:
    kwargs = {"channel": "text", "obs": "text", "encoder": minilm}
    venv = DialogueVectorEnv("dialogym/PyDialEnv1-v0", num_envs=4, **kwargs)
    single = gym.make("dialogym/PyDialEnv1-v0", **kwargs)
    observations, _ = venv.reset(seed=5)
    single_observation, _ = single.reset(seed=7)
    np.testing.assert_allclose(observations[2], single_observation, atol=1e-5)
    passes = minilm.forward_passes
    for _ in range(5):
        actions = [int(np.flatnonzero(m)[0]) for m in venv.action_masks()]
        venv.step(actions)
    assert minilm.forward_passes - passes <= 5 * 2  # one batch per step (plus one for resets)


def test_ngrams_pooling_composes_new_sentences_without_the_model(minilm: TextEncoder) -> None:
    """Issue 21: a sentence never seen, made of bigrams seen, costs no forward pass; word order
    still tells sentences apart."""
    assert minilm.pooling == "ngrams"
    minilm.clear_cache()
    thai, italian = minilm.embed_sentences(["I want thai food.", "So I want italian food."])
    passes = minilm.forward_passes
    (new,) = minilm.embed_sentences(["I want italian food."])
    assert minilm.forward_passes == passes
    assert np.isclose(np.linalg.norm(new), 1.0, atol=1e-5)
    assert float(new @ italian) > float(new @ thai)
    first, second = minilm.embed_sentences(
        ["Not thai, I want italian food.", "Not italian, I want thai food."]
    )
    assert not np.allclose(first, second, atol=1e-3)


def test_same_seed_same_observations_with_fresh_encoders() -> None:
    """Two runs, each with its own encoder and cache: the observations are equal, bit for bit."""

    def observations() -> np.ndarray:
        encoder = TextEncoder("minilm", device="cpu")
        venv = DialogueVectorEnv(
            "dialogym/PyDialEnv1-v0", num_envs=4, channel="text", obs="text", encoder=encoder
        )
        rng = np.random.default_rng(3)
        seen = [venv.reset(seed=3)[0]]
        for _ in range(10):
            actions = [int(rng.choice(np.flatnonzero(m))) for m in venv.action_masks()]
            seen.append(venv.step(actions)[0])
        return np.stack(seen)

    np.testing.assert_array_equal(observations(), observations())


def test_sentences_pooling_is_kept_by_name() -> None:
    """``sentences:minilm`` is the encoder text observations had before issue 21."""
    encoder = make_encoder("sentences:minilm", "cpu")
    assert encoder.pooling == "sentences"
    encoder.embed_sentences(["I want thai food."])
    passes = encoder.forward_passes
    encoder.embed_sentences(["I want thai food.", "Thai food, I want."])
    assert encoder.forward_passes == passes + 1  # a new sentence: the model runs
    with pytest.raises(ValueError, match="pooling"):
        TextEncoder("minilm", pooling="words")


def test_missing_model_says_how_to_get_it() -> None:
    with pytest.raises(ModelError, match="give a known model"):
        resolve("no-such-model")
    with pytest.raises(ValueError, match="window"):
        TextEncoder("minilm", window=0)
