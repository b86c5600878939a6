"""Model folders and GGUF files are data: no code from them runs, their size is known first.

Issue 17, family 3 (``from_pretrained`` without ``trust_remote_code=False`` asked on stdin and
ran the folder's code; chat templates are Jinja that can loop without end) and the smaller
defects beside it (``pytorch_model.bin`` loaded against the "safetensors only" promise; a
``config.json`` that does not fit its weights gave a traceback).
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from dialogym.encoders.text import TextEncoder
from dialogym.models import ModelError, load_causal_lm, where
from dialogym.policies.llm import load_model

ENDLESS = "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}"
"""A chat template that never ends when rendered."""

LOADERS: dict[str, Callable[..., Any]] = {
    "llm-policy": load_model,
    "text-encoder": lambda path, **kwargs: TextEncoder(path, device="cpu", **kwargs),
    "generator": load_causal_lm,
}


def tiny_model(folder: Path, **config: Any) -> Path:
    """A real (tiny, random) Llama model folder with a word-level tokenizer, in safetensors."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    words = ["<unk>", "<pad>", "hello", "there", "ask", "for", "the", "food"]
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, unk_token="<unk>", pad_token="<pad>"
    ).save_pretrained(folder)
    settings = {"vocab_size": 16, "hidden_size": 16, "intermediate_size": 32,
                "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 2}  # fmt: skip
    torch.manual_seed(0)
    LlamaForCausalLM(LlamaConfig(**settings)).save_pretrained(folder)
    if config:
        (folder / "config.json").write_text(json.dumps({**read_config(folder), **config}))
    return folder


def read_config(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / "config.json").read_text()))


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_a_folder_asking_for_its_own_code_runs_none_even_if_the_user_says_yes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loader: str
) -> None:
    """transformers asks on stdin whether to run a folder's code: the answer is never asked."""
    marker = tmp_path / "pwned"
    folder = tiny_model(tmp_path / "evil")
    config = {**read_config(folder), "model_type": "evil"}
    config["auto_map"] = {
        "AutoConfig": "configuration_evil.EvilConfig",
        "AutoModel": "modeling_evil.EvilModel",
        "AutoModelForCausalLM": "modeling_evil.EvilModel",
    }
    (folder / "config.json").write_text(json.dumps(config))
    code = f"open({str(marker)!r}, 'w').close()\n"
    for module in ("configuration_evil", "modeling_evil"):
        (folder / f"{module}.py").write_text(code)
    monkeypatch.setenv("HF_MODULES_CACHE", str(tmp_path / "modules"))
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n" * 10))
    with pytest.raises(ModelError) as raised:
        LOADERS[loader](folder)
    assert str(folder) in str(raised.value) and "\n" not in str(raised.value)
    assert not marker.exists()


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_pickled_weights_load_only_with_trust(tmp_path: Path, loader: str) -> None:
    folder = tiny_model(tmp_path / "model")
    weights = __import__("safetensors.torch").torch.load_file(folder / "model.safetensors")
    torch.save(weights, folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()
    with pytest.raises(ModelError, match="model: .* not a model to load") as raised:
        LOADERS[loader](folder)
    assert "\n" not in str(raised.value)
    LOADERS[loader](folder, trust=True)


def test_an_architecture_too_large_is_refused_before_it_is_allocated(tmp_path: Path) -> None:
    """A 10**10-word vocabulary asks for 3.2e11 parameters (1.3 TB): refused in one line, fast."""
    folder = tiny_model(tmp_path / "model", vocab_size=10**10)
    began = time.perf_counter()
    with pytest.raises(ModelError, match=r"config.json describes 3.2e\+11 parameters .*at most"):
        load_model(folder)
    assert time.perf_counter() - began < 30


@pytest.mark.parametrize(
    ("config", "needle"),
    [
        ({"hidden_size": 512, "intermediate_size": 2048}, "does not fit its weights: it describes"),
        ({"num_hidden_layers": 2000}, r"cannot be sized: .*at most 1024 each"),
        ({"intermediate_size": 48}, "does not fit its weights: 3 tensors missing or of another"),
    ],
    ids=["larger", "layers", "other-shapes"],
)
def test_a_config_that_does_not_fit_its_weights_is_one_line(
    tmp_path: Path, config: dict[str, Any], needle: str
) -> None:
    folder = tiny_model(tmp_path / "model", **config)
    with pytest.raises(ModelError, match=needle) as raised:
        load_model(folder)
    assert str(folder / "config.json") in str(raised.value) and "\n" not in str(raised.value)


def test_a_chat_template_from_a_folder_is_not_kept(tmp_path: Path) -> None:
    folder = tiny_model(tmp_path / "model")
    (folder / "chat_template.jinja").write_text(ENDLESS)
    tokenizer, _ = load_causal_lm(folder)
    assert tokenizer.chat_template is None  # prompts are laid out as plain text
    assert load_causal_lm(folder, trust=True)[0].chat_template == ENDLESS


@pytest.mark.skipif(where("smollm2") is None, reason="smollm2 is not fetched")
def test_our_own_models_load_with_their_chat_template() -> None:
    assert load_model("smollm2").tokenizer.chat_template is not None
    assert TextEncoder("minilm", device="cpu").dim == 384


def test_trust_model_reaches_the_llm_policy_of_the_commands(tmp_path: Path) -> None:
    """``--trust-model`` in evaluate, simulate and benchmark lifts the folder checks too."""
    import gymnasium as gym

    from dialogym.cli import CommandError
    from dialogym.dialogues import load_policy

    folder = tiny_model(tmp_path / "model")
    weights = __import__("safetensors.torch").torch.load_file(folder / "model.safetensors")
    torch.save(weights, folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()
    env = gym.make("dialogym/PyDialEnv1-v0")
    with pytest.raises(CommandError, match="--policy: .*not a model to load"):
        load_policy(f"llm:{folder}", env, seed=0)
    policy = load_policy(f"llm:{folder}", env, seed=0, trust=True)
    observation, _ = env.reset(seed=0)
    action, _ = policy.predict(observation, action_masks=env.unwrapped.action_masks())
    assert env.unwrapped.action_masks()[int(action)]
