"""The LLM policy: a local causal language model picks the next summary action from the dialogue.

The model reads a short prompt, the same for a live dialogue and for a recorded one
(`dialogue_prompt`): the belief in words (each slot's best value and its probability, or ``?``)
and the last exchange (the words said on the text channel, the acts as text on the semantic
one: what the system said and what it *heard*, the top hypothesis). It never writes anything:
each allowed summary action has a short description (`describe_action`: ``ask for the food``,
``offer a venue``...) and the policy takes the description the model finds most likely after the
prompt (mean log-probability per token). A masked action is never a candidate.

Scoring is batched (`CandidateScorer`): a fixed header is encoded once per model; each step,
the prompts of every dialogue of a vector env go through the model as one left-padded batch
whose key/value cache every candidate continuation is then scored from, candidates sharing a
prefix sharing a row. On CUDA the model runs in bfloat16, likewise on CPUs that compute bfloat16
natively (AVX512-BF16, AMX), else in float32; log-probabilities are always taken in float32.

Models: a known name (``smollm2``), any local transformers causal-LM directory (or what
`dialogym.models.resolve` accepts), or a policy directory written by ``dialogym finetune``
(`save_policy_model`): ``dialogym-llm.json`` names the base model and the tensors that
``weights.safetensors`` replaces in it. Nothing is unpickled and no code is run from a model
directory (safetensors only, no ``trust_remote_code``, no chat template: see
`dialogym.models.load_pretrained`).
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from dialogym.acts import format_acts
from dialogym.domains.words import slot_words
from dialogym.models import ModelError, load_causal_lm, select_device

DEFAULT_MODEL = "smollm2"
"""The model ``--policy llm`` uses."""
HEADER = "A system helps a user find a place. It picks its next move from its belief and the last exchange.\n"
"""The fixed start of every prompt (encoded once per model)."""
WINDOW = 1
"""Exchanges of the conversation the prompt shows (the last ones)."""
MAX_PROMPT_TOKENS = 160
"""Longest prompt after the header, in tokens; longer ones lose their beginning."""
MANIFEST = "dialogym-llm.json"
"""The file that makes a directory a fine-tuned LLM policy."""
WEIGHTS = "weights.safetensors"
"""The tensors a fine-tuned policy directory replaces in its base model."""
MANIFEST_FORMAT = "dialogym-llm-policy/1"
MAX_WEIGHTS_BYTES = 2 << 30
"""Largest ``weights.safetensors`` a policy directory may hold (2 GiB)."""
MAX_MANIFEST_BYTES = 1 << 20


def describe_action(name: str) -> str:
    """A summary action's short description, the text the model scores.

    >>> describe_action("request:pricerange"), describe_action("offer"), describe_action("bye")
    ('ask for the price range', 'offer a venue', 'say goodbye')
    """
    kind, _, slot = name.partition(":")
    if slot:
        verb = {"request": "ask for the", "confirm": "confirm the", "select": "offer a choice of"}
        if kind not in verb:
            raise ValueError(f"action: unknown summary action {name!r}")
        return f"{verb[kind]} {slot_words(slot)}"
    phrases = {
        "offer": "offer a venue",
        "inform": "tell about the offered venue",
        "offer_alternative": "offer another venue",
        "book": "book the offered venue",
        "reqmore": "ask if anything else is needed",
        "bye": "say goodbye",
    }
    if name not in phrases:
        raise ValueError(f"action: unknown summary action {name!r}")
    return phrases[name]


class Exchange(NamedTuple):
    """One exchange as the prompt shows it: what the system said, what it heard of the user."""

    system: str
    user: str


def exchange_of(turn: Any) -> Exchange:
    """The exchange of a live turn (`dialogym.envs.dialogue.Turn`) or of a recorded one (a dict).

    A recorded turn is one of a corpus line's ``transcript`` (see `dialogym.simulate`): its acts
    are already text and its ``hypotheses`` a list of ``{"acts", "confidence"}``. Words are used
    when the turn was said in words, else the acts; of the user, what the system heard (the top
    hypothesis).

    Raises:
        ValueError: a recorded turn lacks a field or has one of the wrong type (named).
    """
    if isinstance(turn, Mapping):
        system_text, user_text = turn.get("system_text") or "", turn.get("user_text") or ""
        system_acts = turn.get("system_acts")
        hypotheses = turn.get("hypotheses")
        if not isinstance(system_acts, str):
            raise ValueError("system_acts: expected the acts as text")
        if not isinstance(hypotheses, list) or not hypotheses:
            raise ValueError("hypotheses: expected a non-empty list")
        heard = hypotheses[0].get("acts") if isinstance(hypotheses[0], Mapping) else None
        if not isinstance(heard, str):
            raise ValueError("hypotheses: expected objects with the acts as text")
        if not isinstance(system_text, str) or not isinstance(user_text, str):
            raise ValueError("system_text: expected text")
    else:
        system_text, user_text = turn.system_text, turn.user_text
        system_acts = format_acts(turn.system_acts)
        heard = format_acts(turn.hypotheses[0].acts)
    return Exchange(system_text or system_acts, user_text or heard)


def dialogue_prompt(
    exchanges: Sequence[Exchange],
    belief: Mapping[str, Sequence[Any]],
    slots: Sequence[str],
    window: int = WINDOW,
) -> str:
    r"""The prompt after the header: the belief in words, the last exchanges, ``Next move:``.

    The one function that makes a prompt, for the live policy and for fine-tuning examples.

    Args:
        exchanges: The dialogue so far (`exchange_of` each turn).
        belief: Slot to ``(best value, probability)``, as ``tracker.summary()`` and the corpus
            give it.
        slots: The slots the system can ask for, in the action space's order.
        window: How many of the last exchanges to show.

    >>> dialogue_prompt([Exchange("hello()", "inform(food=thai)")],
    ...                 {"food": ("thai", 0.93)}, ["food", "area"])
    'Belief: food thai 0.9, area ?.\nSystem: hello()\nUser: inform(food=thai)\nNext move:'
    """
    said = []
    for slot in slots:
        value = belief.get(slot)
        if value is None or value[0] is None:
            said.append(f"{slot} ?")
        else:
            said.append(f"{slot} {value[0]} {float(value[1]):.1f}")
    lines = [f"Belief: {', '.join(said)}."]
    for exchange in exchanges[-window:] if window > 0 else ():
        lines += [f"System: {exchange.system}", f"User: {exchange.user}"]
    lines.append("Next move:")
    return "\n".join(lines)


def request_slots(action_names: Sequence[str]) -> list[str]:
    """The slots the system can ask for (``request:S`` actions), in the action space's order."""
    return [name.split(":", 1)[1] for name in action_names if name.startswith("request:")]


def inference_dtype(device: Any) -> Any:
    """bfloat16 on CUDA and on CPUs that compute it natively (AVX512-BF16, AMX), else float32.

    The CPU's flags are read from ``/proc/cpuinfo`` (Linux); elsewhere the CPU gets float32.
    """
    import torch

    if device.type == "cuda":
        return torch.bfloat16
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return torch.float32
    return torch.bfloat16 if ("avx512_bf16" in flags or "amx_bf16" in flags) else torch.float32


@dataclass(frozen=True)
class LoadedModel:
    """A causal LM ready to score, with what it came from.

    Attributes:
        model: The transformers causal LM (eval mode).
        tokenizer: Its tokenizer.
        base: The base model's name or directory (what a fine-tuned policy names).
        trained: Names of the tensors a fine-tuned directory replaced (empty for a plain model).
    """

    model: Any
    tokenizer: Any
    base: str
    trained: tuple[str, ...]


def load_model(
    spec: str | PathLike[str], device: Any = None, dtype: Any = None, trust: bool = False
) -> LoadedModel:
    """Load a model for the LLM policy: a name, a transformers directory, or a policy directory.

    The model's files are untrusted: see `dialogym.models.load_pretrained` for what is checked
    and what ``trust`` lifts.

    Raises:
        ModelError: the model cannot be found, or a policy directory is malformed (one line).
    """
    text = os.fspath(spec)
    folder = Path(text).expanduser()
    manifest = _read_manifest(folder) if (folder / MANIFEST).is_file() else None
    base = str(manifest["base"]) if manifest else text
    tokenizer, model = load_causal_lm(base, dtype or "float32", trust)
    trained: tuple[str, ...] = ()
    if manifest is not None:
        trained = _load_weights(model, folder, manifest)
    if device is not None:
        model.to(device)
    model.eval()
    return LoadedModel(model, tokenizer, base, trained)


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise ModelError(f"model: {path} is larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise ModelError(f"model: {path} is not JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise ModelError(f"model: {path}: format is not {MANIFEST_FORMAT!r}")
    if not isinstance(manifest.get("base"), str) or not isinstance(manifest.get("trained"), list):
        raise ModelError(f"model: {path}: expected 'base' (text) and 'trained' (a list)")
    return manifest


def _load_weights(model: Any, folder: Path, manifest: Mapping[str, Any]) -> tuple[str, ...]:
    """Replace the manifest's tensors in ``model`` with those of ``weights.safetensors``."""
    from safetensors.torch import load_file

    path = folder / WEIGHTS
    if not path.is_file() or path.stat().st_size > MAX_WEIGHTS_BYTES:
        raise ModelError(f"model: {path} is missing or larger than {MAX_WEIGHTS_BYTES} bytes")
    tensors = load_file(path)
    parameters = dict(model.named_parameters())
    names = tuple(str(name) for name in manifest["trained"])
    if set(names) != set(tensors):
        raise ModelError(f"model: {path} does not hold exactly the tensors {MANIFEST} names")
    for name in names:
        target = parameters.get(name)
        if target is None or target.shape != tensors[name].shape:
            raise ModelError(f"model: {path}: {name!r} does not fit the base model")
        target.data.copy_(tensors[name].to(target.dtype))
    return names


def save_policy_model(
    loaded: LoadedModel,
    trained: Sequence[str],
    out: Path,
    about: Mapping[str, Any] | None = None,
) -> None:
    """Write a policy directory: the manifest, the trained tensors and the tokenizer.

    ``about`` (JSON data: how the model was trained) goes into the manifest.

    Written beside ``out`` first and moved into place, so ``out`` is complete or absent. An
    existing ``out`` is replaced only if it is a policy directory (holds the manifest).

    Raises:
        ModelError: ``out`` exists and is not a policy directory.
    """
    from safetensors.torch import save_file

    if out.exists() and not (out / MANIFEST).is_file():
        raise ModelError(f"{out} exists and is not an LLM policy directory; refusing to replace it")
    partial = out.with_name(f".{out.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    parameters = dict(loaded.model.named_parameters())
    tensors = {name: parameters[name].detach().float().contiguous().cpu() for name in trained}
    save_file(tensors, str(partial / WEIGHTS))
    manifest = {
        "format": MANIFEST_FORMAT,
        "base": loaded.base,
        "trained": list(trained),
        **(about or {}),
    }
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    loaded.tokenizer.save_pretrained(partial)
    if out.exists():
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        out.replace(old)
        partial.replace(out)
        shutil.rmtree(old)
    else:
        partial.replace(out)


def export_model(loaded: LoadedModel, out: Path) -> None:
    """Write the whole model as a transformers folder: ``AutoModelForCausalLM.from_pretrained(out)``.

    A policy directory (`save_policy_model`) holds only the trained tensors and names its base;
    this writes every tensor, the config and the tokenizer, for tools outside dialogym. Written
    beside ``out`` first and moved into place, so ``out`` is complete or absent.

    Raises:
        ModelError: ``out`` exists already (never replaced: it may be someone's model).
    """
    if out.exists():
        raise ModelError(f"{out} exists; export into a new folder")
    partial = out.with_name(f".{out.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    loaded.model.save_pretrained(partial, safe_serialization=True)
    loaded.tokenizer.save_pretrained(partial)
    partial.replace(out)


class CandidateScorer:
    """Scores candidate continuations of prompts with a causal LM, prompts batched, cache shared.

    Args:
        model: A transformers causal LM whose ``.model`` gives hidden states and ``.lm_head``
            projects them (Llama, Qwen, SmolLM... all do).
        tokenizer: Its tokenizer.
        header: Fixed text every prompt starts with, encoded once (`refresh` after training).
    """

    def __init__(self, model: Any, tokenizer: Any, header: str = HEADER) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.header_ids: list[int] = tokenizer(header, add_special_tokens=False).input_ids
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self._header: list[tuple[Any, Any]] | None = None
        self._phrases: dict[str, list[int]] = {}
        head = model.lm_head.weight
        self._head = (
            head if head.dtype == head.new_empty(0).float().dtype else head.detach().float()
        )

    def refresh(self) -> None:
        """Forget the encoded header (its keys and values change when the weights do)."""
        self._header = None

    def phrase_ids(self, phrase: str) -> list[int]:
        """The token ids of a candidate continuation (a space, then the phrase)."""
        ids = self._phrases.get(phrase)
        if ids is None:
            ids = self.tokenizer(" " + phrase, add_special_tokens=False).input_ids
            self._phrases[phrase] = ids
        return ids

    def _header_states(self, keep: bool) -> list[tuple[Any, Any]]:
        import torch
        from transformers import DynamicCache

        if keep and self._header is not None:
            return self._header
        device = self.model.device
        cache = DynamicCache(config=self.model.config)
        ids = torch.tensor([self.header_ids], device=device)
        self.model.model(input_ids=ids, cache=cache, use_cache=True)
        states = _key_values(cache)
        if keep:
            self._header = states
        return states

    def score(
        self, prompts: Sequence[str], candidates: Sequence[Sequence[str]], keep_header: bool = True
    ) -> list[Any]:
        """Mean log-probability per token of each candidate phrase after its prompt.

        Args:
            prompts: One prompt per row (the header is put before each).
            candidates: Per prompt, the phrases to score (at least one each).
            keep_header: Reuse the header's encoding across calls (inference); ``False``
                encodes it again, inside the autograd graph (training).

        Returns:
            Per prompt, a float32 tensor of its candidates' scores (differentiable when called
            with gradients enabled).
        """
        import torch
        from transformers import DynamicCache

        model = self.model
        device = model.device
        rows = len(prompts)
        header_length = len(self.header_ids)
        prompt_ids = [
            self.tokenizer(p, add_special_tokens=False).input_ids[-MAX_PROMPT_TOKENS:]
            for p in prompts
        ]
        width = max(len(ids) for ids in prompt_ids)
        tokens = torch.full((rows, width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((rows, width), dtype=torch.long)
        for index, ids in enumerate(prompt_ids):
            tokens[index, width - len(ids) :] = torch.tensor(ids)
            mask[index, width - len(ids) :] = 1
        header = self._header_states(keep_header)
        cache = DynamicCache(
            ddp_cache_data=[
                (k.expand(rows, -1, -1, -1), v.expand(rows, -1, -1, -1)) for k, v in header
            ]
        )
        attention = torch.cat([torch.ones((rows, header_length), dtype=torch.long), mask], 1)
        positions = header_length + (mask.cumsum(1) - 1).clamp(min=0)
        out = model.model(
            input_ids=tokens.to(device),
            attention_mask=attention.to(device),
            position_ids=positions.to(device),
            cache=cache,
            use_cache=True,
        )
        last = out.last_hidden_state[:, -1]

        # Continuation rows: each distinct input (a phrase without its last token) once,
        # shorter inputs read from a longer row that starts with them.
        phrase_ids = [[self.phrase_ids(p) for p in row] for row in candidates]
        row_of: list[int] = []
        row_inputs: list[tuple[int, ...]] = []
        where: dict[tuple[int, tuple[int, ...]], int] = {}
        for b, phrases in enumerate(phrase_ids):
            inputs = sorted(
                {tuple(ids[:-1]) for ids in phrases if len(ids) > 1}, key=len, reverse=True
            )
            for prefix in inputs:
                found = next(
                    (
                        r
                        for r, t in enumerate(row_inputs)
                        if row_of[r] == b and t[: len(prefix)] == prefix
                    ),
                    None,
                )
                if found is None:
                    found = len(row_inputs)
                    row_inputs.append(prefix)
                    row_of.append(b)
                where[(b, prefix)] = found
        hidden_rows = None
        if row_inputs:
            length = max(len(t) for t in row_inputs)
            count = len(row_inputs)
            row_tokens = torch.full((count, length), self.pad_id, dtype=torch.long)
            row_mask = torch.zeros((count, length), dtype=torch.long)
            for r, prefix in enumerate(row_inputs):
                row_tokens[r, : len(prefix)] = torch.tensor(prefix)
                row_mask[r, : len(prefix)] = 1
            owners = torch.tensor(row_of, device=device)
            row_cache = DynamicCache(
                ddp_cache_data=[
                    (keys.index_select(0, owners), values.index_select(0, owners))
                    for keys, values in _key_values(cache)
                ]
            )
            lengths = mask.sum(1)[row_of]
            row_attention = torch.cat([attention[row_of], row_mask], 1)
            row_positions = header_length + lengths[:, None] + torch.arange(length)[None, :]
            hidden_rows = model.model(
                input_ids=row_tokens.to(device),
                attention_mask=row_attention.to(device),
                position_ids=row_positions.to(device),
                cache=row_cache,
                use_cache=True,
            ).last_hidden_state

        # The hidden state each candidate token is predicted from, and the token.
        states = []
        targets = []
        for b, phrases in enumerate(phrase_ids):
            for ids in phrases:
                for j, token in enumerate(ids):
                    if j == 0:
                        states.append(last[b])
                    else:
                        assert hidden_rows is not None
                        states.append(hidden_rows[where[(b, tuple(ids[:-1]))], j - 1])
                    targets.append(token)
        logits = torch.stack(states).float() @ self._head.T
        picked = logits.log_softmax(-1).gather(1, torch.tensor(targets, device=device)[:, None])[
            :, 0
        ]
        scores = []
        start = 0
        for phrases in phrase_ids:
            parts = []
            for ids in phrases:
                parts.append(picked[start : start + len(ids)].mean())
                start += len(ids)
            scores.append(torch.stack(parts))
        return scores


def _key_values(cache: Any) -> list[tuple[Any, Any]]:
    """Each layer's keys and values in a `transformers.DynamicCache`."""
    return [(layer.keys, layer.values) for layer in cache.layers]


class LLMPolicy:
    """A language model choosing among the allowed summary actions (see the module docstring).

    Bound to an environment (`for_env`): a `DialogueEnv` (wrapped or not), a
    `DialogueVectorEnv` or its SB3 face; the conversation is read from it, so ``predict``
    must be called with the observations of that env's current dialogues, in its order.

    Args:
        dialogues: The `DialogueEnv` of each row of a batch, in order.
        loaded: The model (`load_model`).
        seed: Seed of the sampling when ``deterministic=False`` (an int or a sequence of ints,
            as `numpy.random.default_rng` takes it).
        window: How many last exchanges the prompt shows.
    """

    def __init__(
        self,
        dialogues: Sequence[Any],
        loaded: LoadedModel,
        seed: int | Sequence[int] | None = None,
        window: int = WINDOW,
    ) -> None:
        if not dialogues:
            raise ValueError("env: no dialogues to bind the LLM policy to")
        self.dialogues = list(dialogues)
        self.loaded = loaded
        self.scorer = CandidateScorer(loaded.model, loaded.tokenizer)
        self.action_names: tuple[str, ...] = tuple(self.dialogues[0].action_names)
        self.slots = request_slots(self.action_names)
        self.phrases = [describe_action(name) for name in self.action_names]
        self.window = window
        self.rng = np.random.default_rng(seed)

    @classmethod
    def for_env(
        cls,
        env: Any,
        model: str | PathLike[str] = DEFAULT_MODEL,
        device: str | None = None,
        seed: int | None = None,
        trust: bool = False,
    ) -> LLMPolicy:
        """Load the model and bind the policy to an environment's dialogues.

        ``trust`` lifts the checks on the model's files that `load_model` describes.

        Raises:
            ModelError: the model cannot be loaded.
            ValueError: ``env`` is not a dialogym environment.
        """
        torch_device, _ = select_device(device)
        loaded = load_model(model, torch_device, inference_dtype(torch_device), trust)
        return cls(bound_dialogues(env), loaded, seed)

    def bound_to(self, env: Any) -> LLMPolicy:
        """The same model bound to another env's dialogues (see `bound_dialogues`)."""
        return LLMPolicy(bound_dialogues(env), self.loaded, window=self.window)

    def prompt(self, dialogue: Any) -> str:
        """The prompt for a live dialogue's next move (`dialogue_prompt` of its transcript).

        Raises:
            ValueError: the dialogue has not begun (the policy is bound to an env that is not
                the one being played: bind it to that one, `bound_to`).
        """
        if not dialogue.transcript:
            raise ValueError(
                "env: the LLM policy's dialogue has not begun; bind the policy to the env being"
                " played (LLMPolicy.bound_to)"
            )
        exchanges = [exchange_of(turn) for turn in dialogue.transcript[-self.window :]]
        return dialogue_prompt(exchanges, dialogue.tracker.summary(), self.slots, self.window)

    def predict(
        self,
        observation: np.ndarray,
        state: Any = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = True,
        action_masks: np.ndarray | None = None,
    ) -> tuple[np.ndarray, Any]:
        """Choose the next action of each bound dialogue among its allowed actions.

        Args:
            observation: One observation, or a batch of one per bound dialogue (only its shape
                is read: the conversation comes from the env).
            state: Returned as given (the policy keeps no recurrent state).
            episode_start: Unused (SB3's signature).
            deterministic: The most likely action; else one drawn from the softmax of the
                candidates' scores.
            action_masks: 0/1 allowed actions, one row per dialogue (``None``: all allowed).

        Raises:
            ValueError: the batch does not match the bound dialogues, or a mask allows nothing.
        """
        import torch

        single = np.asarray(observation).ndim == 1
        rows = 1 if single else len(observation)
        if rows != len(self.dialogues):
            raise ValueError(
                f"observation: {rows} rows, but the policy is bound to {len(self.dialogues)} dialogues"
            )
        n_actions = len(self.action_names)
        masks = (
            np.ones((rows, n_actions), np.int8)
            if action_masks is None
            else np.asarray(action_masks).reshape(rows, n_actions)
        )
        allowed = [np.flatnonzero(row).tolist() for row in masks]
        if any(not actions for actions in allowed):
            raise ValueError("action_masks: a mask allows no action")
        prompts = [self.prompt(dialogue) for dialogue in self.dialogues]
        with torch.inference_mode():
            scores = self.scorer.score(
                prompts, [[self.phrases[a] for a in actions] for actions in allowed]
            )
        chosen = [
            actions[self._choose(row.tolist(), deterministic)]
            for actions, row in zip(allowed, scores, strict=True)
        ]
        if single:
            return np.int64(chosen[0]), state
        return np.asarray(chosen, dtype=np.int64), state

    def _choose(self, scores: list[float], deterministic: bool) -> int:
        if deterministic:
            return max(range(len(scores)), key=scores.__getitem__)
        top = max(scores)
        weights = np.array([math.exp(s - top) for s in scores])
        return int(self.rng.choice(len(scores), p=weights / weights.sum()))


def bound_dialogues(env: Any) -> list[Any]:
    """The `DialogueEnv` of each row: one for a (wrapped) env, every one of a vector env.

    Raises:
        ValueError: ``env`` is none of the dialogym environments.
    """
    from dialogym.envs.dialogue import DialogueEnv

    inner = getattr(env, "venv", env)  # SB3VecEnv wraps a DialogueVectorEnv
    envs = getattr(inner, "envs", None)
    if envs is not None and all(isinstance(e, DialogueEnv) for e in envs):
        return list(envs)
    unwrapped = getattr(env, "unwrapped", env)
    if isinstance(unwrapped, DialogueEnv):
        return [unwrapped]
    raise ValueError(f"env: the LLM policy needs a dialogym environment, got {type(env).__name__}")
