"""What every utterance generator shares: speakers, requests, the `Generator` protocol.

A generator renders dialogue acts as text. It is handed a batch of requests at once (one per
parallel dialogue), each with the random source of its own dialogue, so that an LLM generator
can run one forward pass for the whole batch while every dialogue stays reproducible on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import NamedTuple, Protocol

from dialogym.acts import Acts, Hypotheses


class Speaker(str, Enum):
    """Who says an utterance."""

    SYSTEM = "system"
    USER = "user"


class RandomSource(Protocol):
    """The draws a generator takes (`dialogym.simulators.RandomStream` provides them)."""

    def random(self) -> float:
        """A float uniform on [0, 1)."""
        ...

    def below(self, n: int) -> int:
        """An int uniform on [0, n)."""
        ...


class Request(NamedTuple):
    """One utterance to write: who says it, which acts, and the dialogue's random source."""

    speaker: Speaker
    acts: Acts
    rng: RandomSource


class Generator(Protocol):
    """Renders dialogue acts as utterances, a batch at a time."""

    def generate(self, requests: Sequence[Request]) -> list[str]:
        """One utterance per request, in order."""
        ...


class Reader(Protocol):
    """Reads an utterance back into acts: what a faithfulness check asks of an NLU.

    `dialogym.tracking.nlu.RuleNLU` is one; the environment hands it to the LLM generator, so
    that generators need not import the tracking layer.
    """

    def parse(self, text: str, system_acts: Acts = ()) -> Hypotheses:
        """The n-best readings of ``text``, best first."""
        ...
