"""The text encoder: the last utterances of the conversation as a vector, from a transformer.

An utterance is the normalised mean of its sentences' vectors; the history vector is the
concatenation of the last ``window`` utterances' vectors (oldest first, zeros before the
dialogue's start). A sentence's vector comes from the transformer encoder in one of two ways
(``pooling``):

- ``ngrams`` (the default): the sentence's token bigrams (``i want``, ``want thai``, ``thai
  food``) are each embedded once by the transformer (its outputs at the bigram's two tokens,
  mean-pooled, L2-normalised) and kept in a cache; a sentence is the normalised mean of its
  bigrams. Template text says a few thousand bigrams again and again, in ever new sentences:
  after a few hundred dialogues nearly every bigram is a cache hit and a step costs no forward
  pass, however varied the sentences. Order survives in the bigrams (``not thai, I want
  italian`` and ``not italian, I want thai`` differ).
- ``sentences``: each whole sentence goes through the transformer (mean-pooled over its tokens,
  L2-normalised) and is kept in the cache; more faithful to the sentence, but every new
  sentence costs a forward pass (about 5 times slower on the varied template text).

Either way the misses of many dialogues are encoded as one batch.

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

POOLINGS = ("ngrams", "sentences")
"""How a sentence's vector is made (``pooling=``): from its cached token bigrams, or whole."""

NGRAM = 2
"""Tokens per n-gram of ``ngrams`` pooling."""


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
        pooling: ``ngrams`` (token bigrams embedded once and averaged; fast) or ``sentences``
            (each sentence through the transformer); see the module's docstring.

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
        pooling: str = "ngrams",
    ) -> None:
        if window < 1:
            raise ValueError(f"window: must be >= 1, got {window!r}")
        if pooling not in POOLINGS:
            raise ValueError(f"pooling: must be one of {', '.join(POOLINGS)}, got {pooling!r}")
        from transformers import AutoModel

        self.device, dtype = select_device(device)
        self.tokenizer, loaded = load_pretrained(resolve(model), AutoModel, dtype, trust)
        self.model = loaded.to(self.device).eval()
        self.window = window
        self.batch_size = batch_size
        self.max_length = max_length
        self.dim = int(self.model.config.hidden_size)
        self.size = window * self.dim
        self.pooling = pooling
        self._sentences: dict[str, np.ndarray] = {}
        self._utterances: dict[str, np.ndarray] = {}
        self._ngrams: dict[tuple[int, ...], np.ndarray] = {}
        self._splitter: Any = None
        """The fast tokenizer's core, copied without padding (built on first use)."""
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
        """Normalised embeddings (see ``pooling``); only sentences not in the cache are encoded."""
        cache = self._sentences
        missing = [s for s in dict.fromkeys(sentences) if s not in cache]
        if missing and self.pooling == "ngrams":
            cache.update(zip(missing, self._composed(missing), strict=True))
            missing = []
        for start in range(0, len(missing), self.batch_size):
            chunk = missing[start : start + self.batch_size]
            embeddings = self._postprocess(self._forward(self._preprocess(chunk)))
            cache.update(zip(chunk, embeddings, strict=True))
        return [cache[s] for s in sentences]

    def clear_cache(self) -> None:
        """Forget every cached embedding."""
        self._sentences.clear()
        self._utterances.clear()
        self._ngrams.clear()

    # -- ngrams pooling: each bigram through the model once, sentences composed ------------------

    def _composed(self, sentences: Sequence[str]) -> list[np.ndarray]:
        """Sentence vectors as the normalised mean of their (cached) bigram vectors."""
        grams = [_ngrams(ids[: self.max_length]) for ids in self._token_ids(sentences)]
        self._embed_ngrams([g for sentence in grams for g in sentence])
        cache = self._ngrams
        vectors = []
        for sentence in grams:
            if not sentence:
                vectors.append(np.zeros(self.dim, np.float32))
                continue
            total = cache[sentence[0]].copy()
            for gram in sentence[1:]:
                total += cache[gram]
            vectors.append(total / max(float(np.linalg.norm(total)), 1e-12))
        return vectors

    def _token_ids(self, sentences: Sequence[str]) -> list[list[int]]:
        """The sentences' token ids, without the model's special tokens."""
        if self._splitter is None and hasattr(self.tokenizer, "backend_tokenizer"):
            # a fast tokenizer: a copy of its Rust core (no padding) without Python's overhead
            from tokenizers import Tokenizer

            self._splitter = Tokenizer.from_str(self.tokenizer.backend_tokenizer.to_str())
            self._splitter.no_padding()
            self._splitter.no_truncation()
        if self._splitter is not None:
            encoded = self._splitter.encode_batch(list(sentences), add_special_tokens=False)
            return [e.ids for e in encoded]
        ids: list[list[int]] = self.tokenizer(list(sentences), add_special_tokens=False)[
            "input_ids"
        ]
        return ids

    def _embed_ngrams(self, grams: Sequence[tuple[int, ...]]) -> None:
        """Put the vectors of the n-grams not yet cached into the cache, a batch at a time."""
        missing = [g for g in dict.fromkeys(grams) if g not in self._ngrams]
        for start in range(0, len(missing), self.batch_size):
            chunk = missing[start : start + self.batch_size]
            self._ngrams.update(
                zip(chunk, self._postprocess(self._forward_ngrams(chunk)), strict=True)
            )

    def _forward_ngrams(self, grams: Sequence[tuple[int, ...]]) -> np.ndarray:
        """Each n-gram alone between the model's start and end tokens, pooled over its tokens."""
        import torch

        start = self.tokenizer.cls_token_id
        end = self.tokenizer.sep_token_id
        if start is None or end is None:  # a decoder: the n-gram alone, no special tokens
            start = end = None
        width = max(len(g) for g in grams)
        ids = torch.zeros((len(grams), width + 2), dtype=torch.long)
        keep = torch.zeros((len(grams), width + 2), dtype=torch.long)  # the n-gram's tokens
        attention = torch.zeros_like(ids)
        for row, gram in enumerate(grams):
            tokens = [t for t in (start, *gram, end) if t is not None]
            offset = 0 if start is None else 1
            ids[row, : len(tokens)] = torch.tensor(tokens)
            attention[row, : len(tokens)] = 1
            keep[row, offset : offset + len(gram)] = 1
        inputs = {"input_ids": ids, "attention_mask": attention}
        if self.device.type != "cpu":
            return self._forward(inputs, keep)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # a few 4-token rows: threads only wait on each other
        try:
            return self._forward(inputs, keep)
        finally:
            torch.set_num_threads(threads)

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

    def _forward(self, inputs: dict[str, Any], pooled_over: Any = None) -> np.ndarray:
        """Mean-pooled, normalised outputs over the attended tokens (or ``pooled_over``'s)."""
        import torch

        self.forward_passes += 1
        with torch.inference_mode():
            inputs = {k: v.to(self.device) for k, v in inputs.items()}
            hidden = self.model(**inputs).last_hidden_state
            kept = inputs["attention_mask"] if pooled_over is None else pooled_over.to(self.device)
            mask = kept.unsqueeze(-1).to(hidden.dtype)
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


def _ngrams(ids: Sequence[int]) -> list[tuple[int, ...]]:
    """A sentence's token n-grams (`NGRAM` tokens; a shorter sentence: itself)."""
    if len(ids) <= NGRAM:
        return [tuple(ids)] if ids else []
    return [tuple(ids[i : i + NGRAM]) for i in range(len(ids) - NGRAM + 1)]
