"""A fast, seedable stream of random draws on top of a NumPy ``Generator``.

Calling ``Generator.random()`` once per draw costs about half a microsecond; a dialogue turn makes
dozens of draws. `RandomStream` draws uniforms from the generator in blocks and serves them one by
one, so the sequence is still fully determined by the generator's seed.

It imports nothing of dialogym, so every layer that draws (simulators, generators, policies)
may use it, as it may use `dialogym.acts`.
"""

from __future__ import annotations

from collections.abc import MutableSequence, Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")

_BLOCK = 1024


class RandomStream:
    """Uniform draws, index choices and shuffles, all taken from one NumPy generator.

    >>> stream = RandomStream(np.random.default_rng(0))
    >>> again = RandomStream(np.random.default_rng(0))
    >>> [stream.below(10) for _ in range(5)] == [again.below(10) for _ in range(5)]
    True
    """

    __slots__ = ("_buffer", "_generator")

    def __init__(self, generator: np.random.Generator) -> None:
        self._generator = generator
        self._buffer: list[float] = []

    def random(self) -> float:
        """A float uniform on [0, 1)."""
        buffer = self._buffer
        if not buffer:
            buffer.extend(self._generator.random(_BLOCK).tolist())
        return buffer.pop()

    def below(self, n: int) -> int:
        """An int uniform on [0, n); ``n`` must be positive."""
        return int(self.random() * n)

    def uniform(self, low: float, high: float) -> float:
        """A float uniform on [low, high)."""
        return low + (high - low) * self.random()

    def choice(self, options: Sequence[T]) -> T:
        """One element of a non-empty sequence, uniformly."""
        return options[int(self.random() * len(options))]

    def shuffle(self, items: MutableSequence[T]) -> None:
        """Shuffle a list in place (Fisher-Yates)."""
        for last in range(len(items) - 1, 0, -1):
            other = int(self.random() * (last + 1))
            items[last], items[other] = items[other], items[last]

    def sample(self, options: Sequence[T], k: int) -> list[T]:
        """``k`` distinct elements of ``options`` (all of them if ``k >= len(options)``)."""
        pool = list(options)
        size = len(pool)
        k = min(k, size)
        for position in range(k):  # partial Fisher-Yates: only the first k places
            other = position + int(self.random() * (size - position))
            pool[position], pool[other] = pool[other], pool[position]
        return pool[:k]
