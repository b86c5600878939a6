"""The LLM policy: never a masked action, same seed same dialogue, batched scoring equal to one
prompt at a time, the live prompt equal to the one rebuilt from a corpus line, safe loading.
SmolLM2 is loaded once per module (skipped when it is not on this machine)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import dialogym  # noqa: F401  (registers the ids)
from dialogym import dialogues
from dialogym.envs.vector import DialogueVectorEnv
from dialogym.models import ModelError
from dialogym.policies import make_policy
from dialogym.policies.llm import (
    HEADER,
    MANIFEST,
    LLMPolicy,
    LoadedModel,
    describe_action,
    dialogue_prompt,
    exchange_of,
    load_model,
    request_slots,
)

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ENV = "dialogym/PyDialEnv3-v0"


@pytest.fixture(scope="module")
def loaded() -> LoadedModel:
    try:
        return load_model("smollm2", device=None)
    except ModelError as error:
        pytest.skip(str(error))


def bound(loaded: LoadedModel, env: gym.Env, seed: int = 0) -> LLMPolicy:
    return LLMPolicy([env.unwrapped], loaded, seed=seed)


def test_every_action_has_a_description() -> None:
    env = gym.make(ENV)
    names = env.unwrapped.action_names
    assert len({describe_action(name) for name in names}) == len(names)
    with pytest.raises(ValueError, match="unknown summary action 'dance'"):
        describe_action("dance")


def test_never_a_masked_action_even_the_favourite(loaded: LoadedModel) -> None:
    env = gym.make(ENV)
    policy = bound(loaded, env)
    observation, _ = env.reset(seed=3)
    everything = np.ones(env.action_space.n, np.int8)
    favourite = int(policy.predict(observation, action_masks=everything)[0])
    forbidden = everything.copy()
    forbidden[favourite] = 0
    second = int(policy.predict(observation, action_masks=forbidden)[0])
    assert second != favourite and forbidden[second]
    rng = np.random.default_rng(0)
    for _ in range(5):
        mask = (rng.random(env.action_space.n) < 0.3).astype(np.int8)
        mask[rng.integers(env.action_space.n)] = 1
        for deterministic in (True, False):
            action = int(
                policy.predict(observation, deterministic=deterministic, action_masks=mask)[0]
            )
            assert mask[action] == 1
    with pytest.raises(ValueError, match="allows no action"):
        policy.predict(observation, action_masks=np.zeros(env.action_space.n, np.int8))


def test_same_seed_same_dialogue(loaded: LoadedModel) -> None:
    def play(seed: int) -> str:
        env = gym.make(ENV)
        policy = bound(loaded, env)
        observation, _ = env.reset(seed=seed)
        for _ in range(4):
            action, _ = policy.predict(observation, action_masks=env.unwrapped.action_masks())
            observation, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                break
        return env.unwrapped.transcript_text()

    assert play(5) == play(5)


def test_a_batch_scores_as_its_rows_alone(loaded: LoadedModel) -> None:
    venv = DialogueVectorEnv(ENV, num_envs=3)
    observations, _ = venv.reset(seed=0)
    policy = LLMPolicy(venv.envs, loaded)
    phrases = [policy.phrases[:5], policy.phrases[3:], policy.phrases[9:12]]
    prompts = [policy.prompt(env) for env in venv.envs]
    import torch

    with torch.inference_mode():
        together = policy.scorer.score(prompts, phrases)
        alone = [policy.scorer.score([p], [c])[0] for p, c in zip(prompts, phrases, strict=True)]
    for a, b in zip(together, alone, strict=True):
        assert torch.allclose(
            a, b, atol=0.1
        )  # bfloat16 on CPUs that have it: padding moves it a little
        assert int(a.argmax()) == int(b.argmax())
    actions, _ = policy.predict(observations, action_masks=venv.action_masks())
    assert actions.shape == (3,)
    assert all(venv.action_masks()[i, a] for i, a in enumerate(actions))


def test_scores_are_the_models_log_likelihoods(loaded: LoadedModel) -> None:
    """The cached, shared-prefix scoring equals plain forward passes of prompt + phrase."""
    import torch

    env = gym.make(ENV)
    policy = bound(loaded, env)
    prompt = "Belief: food ?.\nNext move:"
    phrases = ["ask for the food", "ask for the area", "say goodbye"]
    tokenizer, model = loaded.tokenizer, loaded.model
    with torch.inference_mode():
        scores = policy.scorer.score([prompt], [phrases])[0]
        head = tokenizer(HEADER, add_special_tokens=False).input_ids
        ids = head + tokenizer(prompt, add_special_tokens=False).input_ids
        for phrase, score in zip(phrases, scores, strict=True):
            tail = tokenizer(" " + phrase, add_special_tokens=False).input_ids
            logits = model(torch.tensor([ids + tail])).logits[0].float().log_softmax(-1)
            plain = np.mean([logits[len(ids) - 1 + j, t].item() for j, t in enumerate(tail)])
            assert float(score) == pytest.approx(plain, abs=0.15)


def test_live_prompt_is_the_one_rebuilt_from_the_corpus_line(
    loaded: LoadedModel, tmp_path: Path
) -> None:
    """One prompt function: a dialogue's recorded turns give the prompts the live policy saw."""
    venv = DialogueVectorEnv(ENV, num_envs=1)
    venv.reset(seed=11)
    policy = LLMPolicy(venv.envs, loaded)
    env = venv.envs[0]
    live = []
    for _ in range(3):
        live.append(policy.prompt(env))
        venv.step_lists([int(np.flatnonzero(env.action_masks())[0])])
    record = json.loads(
        dialogues.play(ENV, {}, "handcrafted", 1, 11, 1)[0].line
    )  # same seed: same opening
    turns = record["transcript"]
    slots = request_slots(env.action_names)
    rebuilt = dialogue_prompt([exchange_of(t) for t in turns[:1]], turns[0]["belief"], slots)
    assert rebuilt == live[0]
    assert exchange_of(env.transcript[0]) == exchange_of(turns[0])


def test_make_policy_binds_every_dialogue_of_a_vector_env(loaded: LoadedModel) -> None:
    venv = DialogueVectorEnv(ENV, num_envs=2)
    policy = make_policy("llm", venv, seed=0)
    assert isinstance(policy, LLMPolicy) and len(policy.dialogues) == 2
    observations, _ = venv.reset(seed=0)
    with pytest.raises(ValueError, match="bound to 2 dialogues"):
        policy.predict(observations[0], action_masks=venv.action_masks()[0])


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ("not json", "is not JSON"),
        (json.dumps({"format": "other"}), "format is not"),
        (
            json.dumps({"format": "dialogym-llm-policy/1", "base": "smollm2", "trained": ["x"]}),
            "missing",
        ),
    ],
)
def test_a_malformed_policy_directory_is_one_line(
    tmp_path: Path, manifest: str, message: str
) -> None:
    (tmp_path / MANIFEST).write_text(manifest, encoding="utf-8")
    with pytest.raises(ModelError, match=message):
        load_model(tmp_path)


def test_benchmark_names_llm_cells_by_the_policy_directory(tmp_path: Path) -> None:
    from dialogym.benchmark import cell_dir, fingerprint

    policy = tmp_path / "ft-1000"
    policy.mkdir()
    assert cell_dir(tmp_path, "dom", ENV, f"llm:{policy}", 0).name == "llm-ft-1000-s0"
    assert cell_dir(tmp_path, "dom", ENV, "llm", 0).name == "llm-s0"
    assert fingerprint(f"llm:{policy}") == ""
    (policy / "weights.safetensors").write_bytes(b"weights")
    assert len(fingerprint(f"llm:{policy}")) == 64  # retrained weights run the cell again


def test_a_policy_bound_to_an_env_not_played_says_so(loaded: LoadedModel) -> None:
    idle, played = gym.make(ENV), gym.make(ENV)
    policy = bound(loaded, idle)
    observation, _ = played.reset(seed=0)
    with pytest.raises(ValueError, match="has not begun; bind the policy to the env being played"):
        policy.predict(observation, action_masks=played.unwrapped.action_masks())
    action, _ = policy.bound_to(played).predict(
        observation, action_masks=played.unwrapped.action_masks()
    )
    assert played.unwrapped.action_masks()[int(action)]
