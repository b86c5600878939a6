"""The language layer of `DialogueEnv`: what is said in words, how it is heard, how it is observed.

On the fast path (``channel="semantic"``, ``obs="belief"``, no generator asked for) a
`DialogueEnv` has no `Language` at all and runs exactly as before. Otherwise `Language` holds the
utterance generator (both sides' acts to text), the NLU (user text to hypotheses, for the text
channel) and the text encoder (the conversation to the observation), shared by every
environment of a batched vector environment so that their calls can be gathered into one batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike
from typing import TYPE_CHECKING, Any

import numpy as np
from gymnasium import spaces

from dialogym.acts import Acts, Hypotheses
from dialogym.domains import Domain
from dialogym.generators import Generator, RandomSource, Request, Speaker
from dialogym.simulators import ErrorModel, RandomStream
from dialogym.tracking.nlu import RuleNLU

if TYPE_CHECKING:
    from dialogym.encoders.text import TextEncoder

CHANNELS = ("semantic", "text")
"""How the system hears the user (``channel=``): the error model on acts, or the NLU on text."""

OBSERVATIONS = ("belief", "text", "belief+text")
"""Observation encoders available (``obs=``)."""

GENERATORS = ("template", "llm")
"""Utterance generators by name (``generator=``)."""

Texts = tuple[str, str]
"""What the system said and what the user said, in one exchange."""


def make_generator(
    generator: str | Generator, domain: Domain, device: str | None = None
) -> Generator:
    """A generator from its name (``template``, ``llm``, ``llm:MODEL``) or the generator itself.

    ``MODEL`` is what `dialogym.models.resolve` takes: a known name, a local transformers
    causal-LM directory or a GGUF file.
    """
    if not isinstance(generator, str):
        return generator
    if generator == "template":
        from dialogym.generators import TemplateGenerator

        return TemplateGenerator(domain)
    kind, _, model = generator.partition(":")
    if kind == "llm":
        from dialogym.generators.llm import LLMGenerator
        from dialogym.tracking.nlu import RuleNLU

        reader = RuleNLU(domain, nbest=1)
        return LLMGenerator(domain, reader, model=model or "smollm2", device=device)
    raise ValueError(
        f"generator: unknown generator {generator!r}; choose one of {GENERATORS} or llm:MODEL"
    )


def make_encoder(encoder: str | PathLike[str] | TextEncoder, device: str | None) -> TextEncoder:
    """A text encoder from a model name or directory (``minilm`` by default), or itself.

    ``POOLING:MODEL`` picks the pooling (`dialogym.encoders.text.POOLINGS`): ``sentences:minilm``
    encodes each whole sentence, as text observations did before issue 21; a bare ``MODEL``
    pools token bigrams (``ngrams``, the fast default).
    """
    from dialogym.encoders.text import POOLINGS, TextEncoder

    if isinstance(encoder, TextEncoder):
        return encoder
    pooling, _, model = str(encoder).partition(":")
    if model and pooling in POOLINGS:
        return TextEncoder(model, device=device, pooling=pooling)
    return TextEncoder(encoder, device=device)


class Language:
    """Generator, NLU and text encoder of one environment (or of a whole vector of them).

    Args:
        domain: The environment's domain (the NLU's vocabulary).
        channel: ``"semantic"`` or ``"text"``.
        obs: ``"belief"``, ``"text"`` or ``"belief+text"``.
        generator: Name or instance of the utterance generator.
        encoder: Model name, directory or `TextEncoder` (used when ``obs`` has text).
        nbest: Most NLU hypotheses per user turn.
        device: Device for the models (``None``: CUDA when present, else CPU).
    """

    def __init__(
        self,
        domain: Domain,
        channel: str,
        obs: str,
        generator: str | Generator = "template",
        encoder: str | PathLike[str] | TextEncoder = "minilm",
        nbest: int = 3,
        device: str | None = None,
    ) -> None:
        self.generator = make_generator(generator, domain, device)
        self.fallbacks: list[int] = []
        """Per exchange of the last `say` / `say_all`: utterances the generator's check rejected."""
        self.nlu = RuleNLU(domain, nbest=nbest) if channel == "text" else None
        self.text_encoder = make_encoder(encoder, device) if obs != "belief" else None
        self.with_belief = obs != "text"

    # -- words ----------------------------------------------------------------------------------

    def say(self, system_acts: Acts, user_acts: Acts, rng: RandomSource) -> Texts:
        """Both sides' utterances for one exchange."""
        return self.say_all([(system_acts, user_acts, rng)])[0]

    def say_all(self, exchanges: Sequence[tuple[Acts, Acts, RandomSource]]) -> list[Texts]:
        """The utterances of many exchanges (one per dialogue), generated as one batch."""
        requests = []
        for system_acts, user_acts, rng in exchanges:
            requests += [
                Request(Speaker.SYSTEM, system_acts, rng),
                Request(Speaker.USER, user_acts, rng),
            ]
        texts = self.generator.generate(requests)
        # A generator that checks its output (the LLM's) says which requests fell back.
        rejected = getattr(self.generator, "last_fallbacks", None) or [False] * len(texts)
        self.fallbacks = [
            int(a) + int(b) for a, b in zip(rejected[::2], rejected[1::2], strict=True)
        ]
        return list(zip(texts[::2], texts[1::2], strict=True))

    def hear(
        self, user_text: str, system_acts: Acts, errors: ErrorModel, stream: RandomStream
    ) -> Hypotheses:
        """The NLU's reading of the user; with a semantic error rate, then confused as acts."""
        assert self.nlu is not None
        hypotheses = self.nlu.parse(user_text, system_acts)
        if errors.ser > 0.0:
            return errors.corrupt(hypotheses[0].acts, stream)
        return hypotheses

    # -- observations ---------------------------------------------------------------------------

    def observation_space(self, belief_size: int) -> spaces.Box:
        """The Box of observations: belief features in [0, 1], then text features in [-1, 1]."""
        text_size = self.text_encoder.size if self.text_encoder is not None else 0
        belief = belief_size if self.with_belief else 0
        low = np.concatenate([np.zeros(belief, np.float32), -np.ones(text_size, np.float32)])
        return spaces.Box(low, np.ones_like(low), dtype=np.float32)

    def observe(
        self, beliefs: Sequence[np.ndarray], conversations: Sequence[Sequence[str]]
    ) -> np.ndarray:
        """Observations of many dialogues at once (one text-encoder batch), one row each."""
        parts: list[Any] = [np.stack(beliefs)] if self.with_belief else []
        if self.text_encoder is not None:
            parts.append(self.text_encoder.encode(conversations))
        return np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]
