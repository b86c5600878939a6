"""Variety of a simulated corpus's text: distinct-1 and distinct-2 of its utterances.

distinct-n is the number of distinct word n-grams over the number of n-grams, counted over
every utterance of a speaker (n-grams never cross two utterances). Words are the lower-cased
runs of letters and digits, with inner apostrophes and colons kept (``don't``, ``13:30``);
punctuation is dropped. The figures are printed for the user's utterances, the system's, and
both together, with the counts they come from.

Reads a corpus written by ``dialogym simulate`` (``--corpus``), or simulates one first with the
same arguments as that command (``--env``, ``--env-kwarg``, ``--policy``, ``--episodes``,
``--seed``), in a temporary folder::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/text_variety.py --corpus corpus.jsonl
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/text_variety.py --env dialogym/PyDialEnv3-v0 \
        --env-kwarg domain=restaurant --episodes 1000 --seed 0

The corpus is untrusted input: it is read one bounded line at a time, as JSON only.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dialogym.simulate import main as simulate

SPEAKERS = ("user", "system")
MAX_LINE_BYTES = 16 * 1024 * 1024
"""The longest corpus line read (one dialogue); a longer one is refused."""
_WORD = re.compile(r"[^\W_]+(?:['’:][^\W_]+)*")


@dataclass
class Variety:
    """The n-gram counts of one speaker's utterances (or of all of them)."""

    utterances: int = 0
    words: int = 0
    bigrams: int = 0
    distinct_words: set[str] = field(default_factory=set)
    distinct_bigrams: set[tuple[str, str]] = field(default_factory=set)
    distinct_utterances: set[str] = field(default_factory=set)

    def add(self, utterance: str) -> None:
        """Count one utterance's words and bigrams."""
        words = _WORD.findall(utterance.lower())
        pairs = list(zip(words, words[1:], strict=False))
        self.utterances += 1
        self.words += len(words)
        self.bigrams += len(pairs)
        self.distinct_words.update(words)
        self.distinct_bigrams.update(pairs)
        self.distinct_utterances.add(utterance)

    @property
    def distinct_1(self) -> float:
        """Distinct words over words."""
        return len(self.distinct_words) / self.words if self.words else 0.0

    @property
    def distinct_2(self) -> float:
        """Distinct bigrams over bigrams."""
        return len(self.distinct_bigrams) / self.bigrams if self.bigrams else 0.0


def utterances(corpus: Path) -> Iterator[tuple[str, str]]:
    """``(speaker, text)`` of every turn of every dialogue of a ``dialogym simulate`` corpus.

    Raises:
        ValueError: a line is too long, is not JSON, or lacks a dialogue's transcript texts.
    """
    with corpus.open(encoding="utf-8") as file:
        for number, line in enumerate(iter(lambda: file.readline(MAX_LINE_BYTES + 1), ""), 1):
            if len(line) > MAX_LINE_BYTES:
                raise ValueError(f"--corpus: line {number} is longer than {MAX_LINE_BYTES} bytes")
            if not line.strip():
                continue
            try:
                transcript = json.loads(line)["transcript"]
                for turn in transcript:
                    for speaker in SPEAKERS:
                        text = turn[f"{speaker}_text"]
                        if not isinstance(text, str):
                            raise TypeError(f"{speaker}_text is not a string")
                        yield speaker, text
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(
                    f"--corpus: line {number} is not a dialogym simulate dialogue ({error})"
                ) from None


def measure(said: Iterable[tuple[str, str]]) -> dict[str, Variety]:
    """The variety of each speaker's utterances and of all of them (key ``all``)."""
    varieties = {name: Variety() for name in (*SPEAKERS, "all")}
    for speaker, text in said:
        varieties[speaker].add(text)
        varieties["all"].add(text)
    return varieties


def report(varieties: dict[str, Variety]) -> str:
    """The figures as a Markdown table."""
    rows = [
        "| utterances of | utterances | distinct utterances | words | distinct-1 | bigrams | "
        "distinct bigrams | distinct-2 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, v in varieties.items():
        rows.append(
            f"| {name} | {v.utterances} | {len(v.distinct_utterances)} | {v.words} | "
            f"{v.distinct_1:.4f} | {v.bigrams} | {len(v.distinct_bigrams)} | {v.distinct_2:.4f} |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="a corpus written by dialogym simulate")
    parser.add_argument("--env", default="dialogym/PyDialEnv3-v0", help="environment id")
    parser.add_argument(
        "--env-kwarg", action="append", default=[], metavar="KEY=VALUE",
        help="environment argument, repeatable (as dialogym simulate; default channel=text)",
    )  # fmt: skip
    parser.add_argument("--policy", default="handcrafted", help="handcrafted, greedy or random")
    parser.add_argument("--episodes", type=int, default=1000, help="dialogues to simulate")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first reset")
    args = parser.parse_args()
    if args.corpus is not None:
        print(report(measure(utterances(args.corpus))))
        return
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "corpus.jsonl"
        options = [f"--env-kwarg={kwarg}" for kwarg in args.env_kwarg]
        code = simulate(
            [
                f"--env={args.env}", *options, f"--policy={args.policy}",
                f"--episodes={args.episodes}", f"--seed={args.seed}", f"--out={corpus}",
                "--no-progress",
            ]
        )  # fmt: skip
        if code:
            raise SystemExit(code)
        print(report(measure(utterances(corpus))))


if __name__ == "__main__":
    main()
