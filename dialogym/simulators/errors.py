"""The semantic error channel: what the system "hears" of the user's acts, as PyDial simulates it.

Instead of speech recognition and understanding, the semantic channel corrupts the user's acts
directly and hands the system an n-best list of readings with confidences. dialogym reproduces the
channel of PyDial's benchmark (``nbestsize = 5``, ``confusionmodel = LevenshteinConfusions``,
``nbestgeneratormodel = DSTC2NBestGenerator``, ``confscorer = DSTC2``, parameter set ``set1`` at a
15% error rate for env3-env5 and ``set3`` at 30% for env6). Its numbers live in the package data
file ``data/pydial_error_model.json``, each with its source named.

What PyDial does, and so what `ErrorModel.corrupt` does:

1. **N-best list (DSTC2 generator).** With probability ``ser`` the turn is heard wrong: the list
   length is drawn from the set's ``incorrect_nbest_length`` weights and the true turn's place from
   ``incorrect_truth_position`` (never the top; a place at or past the end leaves the truth out).
   Otherwise the length comes from ``correct_nbest_length`` and the truth is on top. Lengths are cut
   to ``nbest``. Every other place holds a confusion of the true turn, distinct from the truth and
   from the rest of the list.
2. **Confusions (Levenshtein confusion model).** A confusion changes the act type (probability
   0.2), renames the slots (0.3) or changes one value (0.5); a turn without slots can only change
   type. A new act type, slot or value is drawn from the 6 nearest words by edit distance (act
   types among PyDial's user act types, slots among the requestable slots, values among a slot's
   values and ``dontcare``), weighted by inverse distance softened by 0.15. A new type carries a
   random requestable slot and, where it takes one, a random value of it (no value when that
   slot holds none, e.g. ``inform(phone)``). Renamed slots get a random value of the new slot.
   Values of slots without a neighbour table (PyDial builds them for the system-requestable slots
   and the name) are drawn uniformly. A draw equal to the truth, or a confusion into ``bye``, is
   redrawn.
3. **Confidences (DSTC2 scorer).** Each place ``i`` of the list gets a confidence drawn from a
   normal distribution with the set's mean and variance for place ``i``, clipped to [0.01, 0.99]
   and rounded to 4 decimals; the places past the list's end (up to 5, then "rest") are drawn the
   same way and their sum goes to a ``null()`` reading (added to the list's own ``null()`` when it
   holds one, so readings are never duplicated); everything is then normalised to sum to 1.
   The tables are the "incorrect" ones when the truth sits below the top, and the "correct" ones
   otherwise, *including* wrong turns whose list lost the truth: PyDial tells the two apart by the
   place of the truth, and reproducing that keeps the top confidence of wrong turns as high as
   PyDial's.

With ``ser == 0`` the system hears the truth with confidence 1.0, as PyDial's env1 and env2 do.

PyDial's user act is one act type with items (``negate(area=north)``, ``request(phone,addr)``);
a dialogym turn is a tuple of acts. The channel reads a turn as PyDial's act: its type is the first
act's type and its items are the acts that name a slot (``negate() & inform(area=north)`` is
``negate(area=north)``); a reading with items under a type that takes none in dialogym (affirm,
negate, reqalts) says them as informs. Where dialogym differs from PyDial:

- PyDial shuffles each word list before sorting by distance, so which of several equally
  distant words make the last of the 6 places changes from run to run; dialogym lets all of
  them share those places' probability, which is PyDial's draw averaged over the shuffle (and
  building a channel draws nothing at random).
- dialogym has no ``repeat`` act: a confusion into ``repeat`` is redrawn, as PyDial redraws
  ``bye``. Turns led by a dialogym-only act (``book``) are confused by its edit-distance
  neighbours among PyDial's act types; no confusion becomes ``book``.
- Booking slots (absent from PyDial) join the slots a rename can pick from; their values are
  drawn uniformly.
- PyDial draws each confidence from ``numpy``'s normal generator; dialogym draws it by inverse
  transform from 4096 equally likely quantiles of the same normal (clipped and rounded as
  PyDial's), one uniform and one lookup per place instead of a normal draw.
- PyDial redraws a confusion until it differs from the list without end; dialogym gives up on a
  place after 25 draws and leaves it out (which only a domain with almost nothing to confuse
  would notice).
- The list comes back most confident first (PyDial's tracker sorts it the same way), and may
  hold ``nbest`` readings plus the ``null()`` reading carrying the leftover mass, as PyDial's do.
"""

from __future__ import annotations

import json
import math
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from importlib import resources
from numbers import Integral, Real
from operator import itemgetter
from statistics import NormalDist
from typing import Any

import numpy as np

from dialogym.acts import (
    CONFIRM,
    DENY,
    INFORM,
    NULL,
    REQUEST,
    Act,
    Acts,
    ActType,
    Hypotheses,
    Hypothesis,
)
from dialogym.domains import DONTCARE, TYPE_SLOT, Domain
from dialogym.randomness import RandomStream

SER_PRESETS: dict[str, float] = {"none": 0.0, "low": 0.15, "high": 0.30}
"""The semantic error rates of PyDial's benchmark (env1-2, env3-5, env6)."""

_DATA: dict[str, Any] = json.loads(
    resources.files("dialogym.simulators").joinpath("data/pydial_error_model.json").read_text()
)

PARAMETER_SETS: tuple[str, ...] = tuple(_DATA["sets"])
"""Names of the shipped parameter sets (PyDial's ``set1`` and ``set3``)."""

_Draw = tuple[tuple[str, ...], tuple[float, ...]]
"""Options and their cumulative probabilities (draw one with `bisect_right` on a uniform)."""

_Grids = tuple[tuple[float, ...], ...]
"""Per place in the list (the last: the leftover mass), its equally likely confidences."""
_GRID_POINTS = 4096
"""Quantiles per confidence grid: each place's confidence is one of this many equally likely values."""

_NULL_TURN: Acts = (Act(NULL),)
_NULL_KEY = frozenset(_NULL_TURN)
_SLOTTED_TYPES = frozenset((INFORM, REQUEST, CONFIRM, DENY))
"""Act types that name their slot themselves; others say their items as informs."""
_CONFIDENCE = itemgetter(1)
"""Sort key of a `Hypothesis`: its confidence."""
_PLACES_SCORED = 6
"""Confidence draws per turn: places 0-4 of the list, then the leftover ("rest") mass."""


def _cumulative(weights: Sequence[float]) -> tuple[float, ...]:
    """Running sums of ``weights`` normalised to end at exactly 1.0 (zero weights never drawn)."""
    total = math.fsum(weights)
    if not total > 0.0 or min(weights) < 0.0:
        raise ValueError(f"weights must be non-negative with a positive sum, got {list(weights)!r}")
    running, sums = 0.0, []
    for weight in weights:
        running += weight / total
        sums.append(running)
    last = max(i for i, weight in enumerate(weights) if weight > 0.0)
    sums[last:] = [1.0] * (len(sums) - last)
    return tuple(sums)


class _EditDistances:
    """Levenshtein distances from any word to every word of a list.

    The dynamic programme runs against many words at once, one character of the query at a time,
    insertions within a row resolved with a running minimum. A short list is one padded block; a
    long one is grouped by word length, so that time and memory grow linearly with its
    characters, never with the longest word times the number of words.
    """

    def __init__(self, words: Sequence[str]) -> None:
        self.count = len(words)
        longest = max((len(word) for word in words), default=0)
        if self.count * longest <= _PADDED_CELLS:
            groups = [list(range(self.count))]
        else:
            by_length: dict[int, list[int]] = {}
            for index, word in enumerate(words):
                by_length.setdefault(len(word), []).append(index)
            groups = [by_length[length] for length in sorted(by_length)]
        self._groups: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for indices in groups:
            width = max(len(words[i]) for i in indices)
            codes = np.full((len(indices), width), -1, dtype=np.int32)
            for row, i in enumerate(indices):
                codes[row, : len(words[i])] = [ord(char) for char in words[i]]
            lengths = np.array([len(words[i]) for i in indices])
            self._groups.append((np.array(indices, dtype=np.intp), codes, lengths))

    def from_word(self, word: str) -> np.ndarray:
        """The distance from ``word`` to each word of the list, as an int array."""
        distances = np.empty(self.count, dtype=np.int32)
        chars = [ord(char) for char in word]
        for indices, codes, lengths in self._groups:
            steps = np.arange(codes.shape[1] + 1)
            row = np.tile(steps, (len(indices), 1))  # from the empty prefix of `word`
            for done, char in enumerate(chars, 1):
                best = np.empty_like(row)
                best[:, 0] = done
                np.minimum(row[:, :-1] + (codes != char), row[:, 1:] + 1, out=best[:, 1:])
                row = np.minimum.accumulate(best - steps, axis=1) + steps
            distances[indices] = row[np.arange(len(indices)), lengths]
        return distances


_PADDED_CELLS = 1 << 16
"""A list whose words times its longest word's length is at most this is one padded block."""


_DRAWS_KEPT = 4096
"""Words whose neighbours a `_Nearest` keeps (others are found again when asked about)."""


class _Nearest:
    """Each word's ``size`` nearest other words by edit distance, found when first asked (`get`).

    Probabilities are inverse distances normalised, plus ``softening``, normalised again (PyDial's
    weighting). Where words tie for the last places, PyDial keeps the ones its random shuffle put
    first; here every tied word shares those places' probability equally, which is PyDial's draw
    averaged over its shuffle and needs no randomness. ``never``, if given, takes its place among
    the nearest and is then removed, the rest renormalised, as PyDial removes ``name`` from the
    slots' lists. A word with no other word gets None. One word's draw takes time linear in the
    list and the last `_DRAWS_KEPT` are kept, so a domain with many values costs no more than the
    values its dialogues confuse.
    """

    def __init__(
        self, words: tuple[str, ...], size: int, softening: float, never: str | None
    ) -> None:
        self.words = words
        self.size = size
        self.softening = softening
        self.never = never
        self._index = {word: index for index, word in enumerate(words)}
        self._distances: _EditDistances | None = None
        self.get: Callable[[str], _Draw | None] = lru_cache(maxsize=_DRAWS_KEPT)(self._draw)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as what it is built from; unpickled as this process's shared one."""
        return _nearest, (self.words, self.size, self.softening, self.never)

    def _draw(self, word: str) -> _Draw | None:
        """The neighbours of ``word`` and their cumulative probabilities."""
        if self._distances is None:
            self._distances = _EditDistances(self.words)
        distances = self._distances.from_word(word).astype(np.float64)
        own = self._index.get(word)
        if own is not None:
            distances[own] = np.inf
        others = len(distances) - (own is not None)
        if others == 0:
            return None
        order = np.argsort(distances, kind="stable")[: min(self.size, others)]
        places = [(float(distances[j]), int(j)) for j in order]  # by distance, then list order
        inverse = [1.0 / d for d, _ in places]
        total = sum(inverse)
        weights = [w / total + self.softening for w in inverse]
        boundary = places[-1][0]
        kept = [(j, w) for (d, j), w in zip(places, weights, strict=True) if d < boundary]
        shared = sum(w for (d, _), w in zip(places, weights, strict=True) if d == boundary)
        tied = np.flatnonzero(distances == boundary).tolist()
        kept += [(j, shared / len(tied)) for j in tied]
        chosen = [(self.words[j], w) for j, w in kept if self.words[j] != self.never]
        if not chosen:
            return None
        return tuple(w for w, _ in chosen), _cumulative([p for _, p in chosen])


@lru_cache(maxsize=128)
def _nearest(
    words: tuple[str, ...], size: int, softening: float, never: str | None = None
) -> _Nearest:
    """The shared `_Nearest` of a word list: each word's draw is found once per process."""
    return _Nearest(words, size, softening, never)


def _capped_lengths(weights: Sequence[float], nbest: int) -> tuple[float, ...]:
    """Cumulative weights of list lengths 1, 2, ..., with lengths above ``nbest`` cut to ``nbest``."""
    return _cumulative([*weights[: nbest - 1], math.fsum(weights[nbest - 1 :])])


@lru_cache(maxsize=1)
def _standard_quantiles() -> np.ndarray:
    """The `_GRID_POINTS` midpoint quantiles of the standard normal distribution."""
    unit = NormalDist()
    return np.array([unit.inv_cdf((point + 0.5) / _GRID_POINTS) for point in range(_GRID_POINTS)])


@lru_cache(maxsize=64)
def _confidence_grid(
    mean: float, std: float, clip: tuple[float, float], decimals: int
) -> tuple[float, ...]:
    """Equally likely confidences of one place: normal quantiles, clipped and rounded as PyDial.

    Drawing an index uniformly samples the normal by inverse transform on a grid of
    `_GRID_POINTS` quantiles (midpoints), which saves the arithmetic of a normal draw per place.
    """
    values = np.clip(mean + std * _standard_quantiles(), *clip)
    return tuple(np.round(values, decimals).tolist())


def _grids(means: Sequence[float], variances: Sequence[float], scorer: Mapping[str, Any]) -> _Grids:
    """Confidence grids by place; standard deviations floored at ``min_std`` as PyDial does."""
    if len(means) != _PLACES_SCORED or len(variances) != _PLACES_SCORED:
        raise ValueError(f"params: a set gives {_PLACES_SCORED} confidence means and variances")
    clip, decimals, min_std = tuple(scorer["clip"]), int(scorer["decimals"]), scorer["min_std"]
    return tuple(
        _confidence_grid(mean, max(min_std, math.sqrt(variance)), clip, decimals)
        for mean, variance in zip(means, variances, strict=True)
    )


def _choose_set(ser: float, params: str | None) -> str:
    """The parameter set named by ``params``, or the one the benchmark uses at error rate ``ser``."""
    if params is None:
        rules = _DATA["selection"]["by_error_rate"]
        return str(next(rule["set"] for rule in rules if ser >= rule["min_rate"]))
    if params not in _DATA["sets"]:
        raise ValueError(
            f"params: unknown error-model parameter set {params!r}; known: {', '.join(PARAMETER_SETS)}"
        )
    return params


class ErrorModel:
    """PyDial's semantic error channel: confuses user acts and returns scored n-best lists.

    Args:
        domain: Supplies the slots and values confusions are drawn from.
        ser: Semantic error rate in [0, 1]: the chance that the true turn is not on top.
        nbest: Most readings in a list (PyDial's benchmark: 5), besides the ``null()`` reading
            that carries the leftover confidence.
        params: Name of the parameter set (one of `PARAMETER_SETS`); by default the set the
            benchmark uses at this error rate (``set3`` from 0.30 up, ``set1`` below).

    Raises:
        ValueError: ``ser`` outside [0, 1], ``nbest`` below 1, or an unknown ``params``.

    >>> from dialogym.domains import load_domain
    >>> channel = ErrorModel(load_domain("restaurant"), 0.15)
    >>> channel.params, channel.nbest
    ('set1', 5)
    """

    def __init__(
        self, domain: Domain, ser: float, nbest: int = 5, *, params: str | None = None
    ) -> None:
        if isinstance(ser, bool) or not isinstance(ser, Real) or not 0.0 <= ser <= 1.0:
            raise ValueError(f"ser: semantic error rate must lie in [0, 1], got {ser!r}")
        if isinstance(nbest, bool) or not isinstance(nbest, Integral) or nbest < 1:
            raise ValueError(f"nbest: must be an int >= 1, got {nbest!r}")
        self.ser: float = float(ser)
        self.nbest: int = int(nbest)
        self.params: str = _choose_set(self.ser, params)
        table = _DATA["sets"][self.params]
        self._correct_length: tuple[float, ...] = _capped_lengths(
            table["correct_nbest_length"], nbest
        )
        self._incorrect_length: tuple[float, ...] = _capped_lengths(
            table["incorrect_nbest_length"], nbest
        )
        self._truth_place: tuple[float, ...] = _cumulative(table["incorrect_truth_position"])
        scorer = _DATA["scorer"]
        self._correct_grids: _Grids = _grids(
            table["correct_mean"], table["correct_variance"], scorer
        )
        self._incorrect_grids: _Grids = _grids(
            table["incorrect_mean"], table["incorrect_variance"], scorer
        )
        self._setup_confusions(domain, _DATA["confusion"])

    def _setup_confusions(self, domain: Domain, confusion: Mapping[str, Any]) -> None:
        """Precompute the draws of the confusion model for ``domain`` (tables cached per domain)."""
        choice = confusion["choice"]
        total = choice["type"] + choice["slot"] + choice["value"]
        self._p_type = choice["type"] / total
        self._p_type_or_slot = (choice["type"] + choice["slot"]) / total
        self._attempts = int(confusion["attempts"])
        size, softening = int(confusion["neighbours"]), float(confusion["softening"])
        type_names = tuple(confusion["act_types"])
        known = {t.value for t in ActType}
        rejected = set(confusion["rejected_types"])
        self._type_of = {
            n: ActType(n) if n in known and n not in rejected else None for n in type_names
        }
        self._arguments: dict[str, int] = dict(confusion["arguments"])
        # Turns led by a dialogym-only act type are confused too; no confusion becomes one.
        self._type_neighbours: dict[str, _Draw] = {}
        for name in (*type_names, *sorted(known - set(type_names))):
            draw = _nearest(tuple(dict.fromkeys((*type_names, name))), size, softening).get(name)
            if draw is not None:
                self._type_neighbours[name] = draw
        self._requestable = tuple(domain.requestable)
        valued = {**domain.informable, **domain.booking}
        self._values = {slot: (*values, DONTCARE) for slot, values in valued.items()}
        slots = tuple(dict.fromkeys((*domain.requestable, *valued)))
        self._slot_neighbours = _nearest(slots, size, softening, domain.name_slot)
        tabled = [
            s
            for s in dict.fromkeys((*domain.system_requestable, domain.name_slot))
            if s in domain.informable
        ]
        self._value_neighbours = {
            slot: _nearest(tuple(dict.fromkeys(self._values[slot])), size, softening)
            for slot in tabled
        }

    # -- the channel ----------------------------------------------------------------------------

    def corrupt(self, acts: Acts, stream: RandomStream) -> Hypotheses:
        """Return the n-best readings the system receives for the user's ``acts``.

        Readings are distinct (order of acts aside), most confident first, and their confidences
        sum to 1 (within rounding); the leftover mass is on a ``null()`` reading.
        """
        if self.ser == 0.0:
            return (Hypothesis(acts, 1.0),)
        random = stream.random
        if random() < self.ser:
            size = bisect_right(self._incorrect_length, random()) + 1
            truth_place = bisect_right(self._truth_place, random())
            grids = self._incorrect_grids if truth_place < size else self._correct_grids
        else:
            size = bisect_right(self._correct_length, random()) + 1
            truth_place = 0
            grids = self._correct_grids
        truth_key = frozenset(acts) if acts else _NULL_KEY
        readings: list[Acts] = []
        keys: list[frozenset[Act]] = []
        items = self._confusable_items(acts)
        for place in range(size):
            if place == truth_place:
                readings.append(acts)
                keys.append(truth_key)
            else:
                self._add_confusion(acts, items, truth_key, readings, keys, stream)
        confidences = self._confidences(grids, len(readings), stream)
        rest = confidences.pop()
        if _NULL_KEY in keys:
            confidences[keys.index(_NULL_KEY)] += rest
        else:
            readings.append(_NULL_TURN)
            confidences.append(rest)
        scale = 1.0 / sum(confidences)
        hypotheses = [Hypothesis(r, c * scale) for r, c in zip(readings, confidences, strict=True)]
        hypotheses.sort(key=_CONFIDENCE, reverse=True)
        return tuple(hypotheses)

    @staticmethod
    def _confusable_items(acts: Acts) -> list[int]:
        """Indices of the acts whose slot or value a confusion may change.

        PyDial decides what may be confused by the act's first item: none when the turn has no
        item or its first item has no slot (a slotless ``inform(=dontcare)``), and then only the
        act type changes.
        """
        items = [index for index, act in enumerate(acts) if act.slot is not None]
        if items and any(act.value is not None for act in acts[: items[0]]):
            return []  # a slotless item comes first
        return items

    @staticmethod
    def _confidences(grids: _Grids, count: int, stream: RandomStream) -> list[float]:
        """Confidences of the first ``count`` places, then the summed mass of the places after."""
        random = stream.random
        drawn = [grid[int(random() * _GRID_POINTS)] for grid in grids]
        return [*drawn[:count], sum(drawn[count:])]

    def _add_confusion(
        self,
        acts: Acts,
        items: list[int],
        truth_key: frozenset[Act],
        readings: list[Acts],
        keys: list[frozenset[Act]],
        stream: RandomStream,
    ) -> None:
        """Append a confusion of ``acts`` unlike the truth and every reading so far (and its key).

        A confusion changes the act type, the slots or one value (only the type when no act
        names a slot); a draw PyDial would reject is redrawn, at most `_attempts` times.
        """
        random = stream.random
        for _ in range(self._attempts):
            roll = random()
            confused: Acts | None
            if not items or roll < self._p_type:
                confused = self._confuse_type(acts, stream)
            elif roll < self._p_type_or_slot:
                confused = self._confuse_slots(acts, stream)
            else:
                confused = self._confuse_value(acts, items, stream)
            if confused is not None:
                key = frozenset(confused)
                if key != truth_key and key not in keys:
                    readings.append(confused)
                    keys.append(key)
                    return

    def _confuse_type(self, acts: Acts, stream: RandomStream) -> Acts | None:
        """A new act type near the turn's, carrying a random slot (and value) where it takes one."""
        names, weights = self._type_neighbours[acts[0].type.value if acts else NULL.value]
        name = names[bisect_right(weights, stream.random())]
        new_type = self._type_of[name]
        if new_type is None:
            return None
        arguments = self._arguments.get(name, 0)
        if arguments == 0:
            return (Act(new_type),)
        slot = stream.choice(self._requestable)
        if arguments == 1:
            return (Act(new_type, slot),)
        value = self._random_value(slot, stream)
        if new_type in _SLOTTED_TYPES:
            return (Act(new_type, slot, value),)
        return (Act(new_type), Act(INFORM, slot, value))

    def _confuse_slots(self, acts: Acts, stream: RandomStream) -> Acts:
        """Slots renamed to near slots; a renamed slot with a value gets a random value.

        Renaming goes in order and stops at the first slotless item or the entity type, as
        PyDial's does.
        """
        changed = list(acts)
        for index, act in enumerate(acts):
            if act.slot == TYPE_SLOT or (act.slot is None and act.value is not None):
                break
            draw = self._slot_neighbours.get(act.slot) if act.slot is not None else None
            if draw is None:
                continue
            slot = draw[0][bisect_right(draw[1], stream.random())]
            value = act.value if act.value is None else self._random_value(slot, stream)
            changed[index] = Act(act.type, slot, value)
        return tuple(dict.fromkeys(changed))

    def _confuse_value(self, acts: Acts, items: list[int], stream: RandomStream) -> Acts | None:
        """One item's value changed to a near value of its slot; None if that item has no value."""
        index = items[stream.below(len(items))]
        act = acts[index]
        if act.value is None or act.slot is None or act.slot == TYPE_SLOT:
            return None  # nothing to change (PyDial leaves the entity type alone)
        table = self._value_neighbours.get(act.slot)
        draw = table.get(act.value) if table is not None else None
        if draw is not None:
            value: str | None = draw[0][bisect_right(draw[1], stream.random())]
        else:
            value = self._other_value(act.slot, act.value, stream)
        changed = list(acts)
        changed[index] = Act(act.type, act.slot, value)
        return tuple(dict.fromkeys(changed))

    def _random_value(self, slot: str, stream: RandomStream) -> str | None:
        """A uniform value of ``slot`` or ``dontcare``; None for a slot that holds no values."""
        values = self._values.get(slot)
        return None if values is None else stream.choice(values)

    def _other_value(self, slot: str, value: str, stream: RandomStream) -> str | None:
        """A uniform value of ``slot`` (or ``dontcare``) other than ``value``."""
        values = self._values.get(slot)
        if values is None:
            return None
        others = [other for other in values if other != value]
        return stream.choice(others) if others else DONTCARE
