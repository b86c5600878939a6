"""The text encoder: the last utterances of the conversation as a vector, from a transformer.

Each sentence is embedded once by a transformer encoder (mean-pooled over its tokens,
L2-normalised) and kept in a cache keyed by its text; an utterance is the normalised mean of its
sentences' vectors; the history vector is the concatenation of the last ``window`` utterances'
vectors (oldest first, zeros before the dialogue's start). Template dialogues reuse their
sentences again and again, so after a few hundred dialogues almost every sentence is a cache hit
and a step costs no forward pass at all; the misses of many dialogues are encoded as one batch.

The model is any transformers directory or name `dialogym.models.resolve` knows (default
``minilm``); a decoder LLM's last hidden states work the same way. Its files are untrusted: no
code from them runs, weights come from safetensors only (`dialogym.models.load_pretrained`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from os import PathLike
from typing import Any

import numpy as np

from dialogym.models import load_pretrained, resolve, select_device

_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+")


class TextEncoder:
    """Encodes conversations (lists of utterances, oldest first) into ``float32`` vectors.

    Args:
        model: Model name or transformers directory (default ``minilm``).
        window: How many of the last utterances the vector holds.
        device: ``cuda``, ``cpu``...; default CUDA (bfloat16) when present, else CPU.
        batch_size: Most sentences per forward pass.
        max_length: Most tokens per sentence.
        trust: Load the model's files with fewer checks (see `dialogym.models.load_pretrained`;
            its code is never run).

    Raises:
        ModelError: the model cannot be found or loaded (one line).
    """

    def __init__(
        self,
        model: str | PathLike[str] = "minilm",
        window: int = 4,
        device: str | None = None,
        batch_size: int = 256,
        max_length: int = 64,
        trust: bool = False,
    ) -> None:
        if window < 1:
            raise ValueError(f"window: must be >= 1, got {window!r}")
        from transformers import AutoModel

        self.device, dtype = select_device(device)
        self.tokenizer, loaded = load_pretrained(resolve(model), AutoModel, dtype, trust)
        self.model = loaded.to(self.device).eval()
        self.window = window
        self.batch_size = batch_size
        self.max_length = max_length
        self.dim = int(self.model.config.hidden_size)
        self.size = window * self.dim
        self._sentences: dict[str, np.ndarray] = {}
        self._utterances: dict[str, np.ndarray] = {}
        self.forward_passes = 0
        """Forward passes run so far (a measure of how well batching and the cache work)."""

    def encode(self, conversations: Sequence[Sequence[str]]) -> np.ndarray:
        """One history vector per conversation, shape ``(len(conversations), size)``."""
        recent = [conversation[-self.window :] for conversation in conversations]
        self.embed_utterances([u for utterances in recent for u in utterances])
        vectors = np.zeros((len(recent), self.window, self.dim), np.float32)
        for row, utterances in enumerate(recent):
            start = self.window - len(utterances)
            for offset, utterance in enumerate(utterances):
                vectors[row, start + offset] = self._utterances[utterance]
        return vectors.reshape(len(recent), self.size)

    def embed_utterances(self, utterances: Sequence[str]) -> list[np.ndarray]:
        """The vector of each utterance (mean of its sentences), encoding unseen sentences."""
        new = [u for u in dict.fromkeys(utterances) if u not in self._utterances]
        if new:
            split = {u: _sentences(u) for u in new}
            self.embed_sentences([s for parts in split.values() for s in parts])
            for utterance, parts in split.items():
                mean = np.mean([self._sentences[s] for s in parts], axis=0)
                self._utterances[utterance] = mean / max(float(np.linalg.norm(mean)), 1e-12)
        return [self._utterances[u] for u in utterances]

    def embed_sentences(self, sentences: Sequence[str]) -> list[np.ndarray]:
        """Normalised, mean-pooled embeddings; only sentences not in the cache are encoded."""
        cache = self._sentences
        missing = [s for s in dict.fromkeys(sentences) if s not in cache]
        for start in range(0, len(missing), self.batch_size):
            chunk = missing[start : start + self.batch_size]
            embeddings = self._postprocess(self._forward(self._preprocess(chunk)))
            cache.update(zip(chunk, embeddings, strict=True))
        return [cache[s] for s in sentences]

    def clear_cache(self) -> None:
        """Forget every cached embedding."""
        self._sentences.clear()
        self._utterances.clear()

    # -- the pipeline: preprocess (CPU) -> _forward (device) -> postprocess ----------------------

    def _preprocess(self, sentences: Sequence[str]) -> dict[str, Any]:
        return dict(
            self.tokenizer(
                list(sentences),
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
        )

    def _forward(self, inputs: dict[str, Any]) -> np.ndarray:
        import torch

        self.forward_passes += 1
        with torch.inference_mode():
            inputs = {k: v.to(self.device) for k, v in inputs.items()}
            hidden = self.model(**inputs).last_hidden_state
            mask = inputs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
            pooled = torch.nn.functional.normalize(pooled.float(), dim=-1)
        return pooled.cpu().numpy()

    @staticmethod
    def _postprocess(embeddings: np.ndarray) -> list[np.ndarray]:
        return list(embeddings.astype(np.float32))


def _sentences(utterance: str) -> list[str]:
    """An utterance's sentences (the utterance itself when it has one or none)."""
    parts = [p for p in _SENTENCE_END.split(utterance.strip()) if p]
    return parts or [utterance]
