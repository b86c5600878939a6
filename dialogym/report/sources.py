"""What a report shows, read from what dialogym wrote: a run folder, a benchmark folder, dialogues.

Each reader turns its source into plain data for the page (`dialogym.report.page`): result
*blocks* (a sortable table, success bars, learning curves, key–value pairs, a note) and, for a
JSONL file of dialogues, one compact record per dialogue. The files are untrusted: each is read
bounded in size, a symbolic link is not followed, and whatever fields a dialogue line holds are
read defensively (a missing field shows as missing; a line that is not a JSON object, or a
dialogue without a ``transcript`` list, is refused naming the file and line).

A dialogue record (what the page's JavaScript reads) holds ``source`` (index into the sources),
``episode``, ``seed``, ``policy``, ``task``, ``success`` (true, false or null), ``hung_up``,
``truncated``, ``turns``, ``return``, ``goal``, ``reasons`` (why it failed, the main reason
first), ``goal_parts`` (``[part, item, verdict, note]``: each constraint, request and booking
slot with what became of it, see `_goal_parts`) and ``transcript``: per turn ``[turn, action, system acts, system
words, user acts, user words, heard, belief, reward]``, where heard is the n-best list
``[[acts, confidence], ...]`` and belief ``[[slot, [[value, probability], ...]], ...]``.
"""

from __future__ import annotations

import json
import math
import re
import statistics
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

from dialogym.cli import CommandError
from dialogym.runs import read_run_json

MAX_JSON_BYTES = 256 * 1024**2
"""The largest JSON file of a run or benchmark folder read."""
MAX_LINE_BYTES = 64 * 1024**2
"""The longest JSONL line read (one dialogue)."""
MAX_CONFIG_BYTES = 1024**2
"""The largest ``config.yaml`` read."""
BELIEF_VALUES = 3
"""Values shown per slot of a belief."""
DIGITS = 3
"""Decimals kept of a probability or a reward (the page shows fewer)."""

Block = dict[str, Any]
"""One thing the results part of the page shows (``{"type": "table" | "bars" | ..., ...}``)."""


class Source:
    """What one path contributes to a report: its kind, result blocks and dialogues."""

    def __init__(self, path: Path, kind: str) -> None:
        self.path = path
        self.kind = kind
        self.blocks: list[Block] = []
        self.dialogues: list[dict[str, Any]] = []
        self.dialogues_total = 0
        """Dialogues in the file (more than `dialogues` when the report keeps only the first)."""


def read_source(path: Path, index: int, max_dialogues: int) -> Source:
    """Read a run folder, a benchmark folder or a JSONL file of dialogues.

    Args:
        path: What ``dialogym report`` was given.
        index: The source's place among the report's sources (its dialogues point to it).
        max_dialogues: Dialogues of a JSONL file kept for the page (all count in its tables).

    Raises:
        CommandError: one line naming the path (and the line of a JSONL file) at fault.
    """
    if path.is_symlink():
        raise CommandError(f"{path}: is a symbolic link; give the file or folder it points to")
    if path.is_dir():
        if (path / "results.json").is_file() or (path / "cells.json").is_file():
            return _benchmark(path)
        if any((path / name).is_file() for name in RUN_FILES):
            return _run(path)
        raise CommandError(
            f"{path}: not a run folder ({', '.join(RUN_FILES)}), a benchmark folder"
            " (results.json or cells.json) nor a JSONL file of dialogues"
        )
    if path.is_file():
        return _dialogues(path, index, max_dialogues)
    raise CommandError(f"{path}: no such file or folder")


# ----------------------------------------------------------------------------------- readers


RUN_FILES = ("config.yaml", "metrics.json", "evaluations.json")
"""What makes a folder a ``dialogym train`` run folder (any of them)."""

FIGURE_COLUMNS = (
    ("success_rate", "success %", 100.0),
    ("avg_return", "return", 1.0),
    ("avg_turns", "turns", 1.0),
    ("hangup_rate", "hang-ups %", 100.0),
)
"""Figures of an evaluation shown as table columns: key, column, display scale."""


def _run(folder: Path) -> Source:
    """A ``dialogym train`` folder: final test, learning curves, evaluations, config."""
    source = Source(folder, "run")
    metrics = _json_file(folder / "metrics.json")
    evaluations = _json_file(folder / "evaluations.json")
    config = _config(folder / "config.yaml")
    if isinstance(metrics, dict):
        figures = [key for key, _, _ in FIGURE_COLUMNS if _number(metrics.get(key)) is not None]
        columns = ["algo", "env", "seed", "dialogues", "timesteps", "episodes", *figures]
        source.blocks.append(_table("Final test", columns, [metrics]))
    else:
        source.blocks.append(_note("No metrics.json: the run has not finished its final test."))
    records = _records(evaluations, folder / "evaluations.json")
    if records:
        label = str(config.get("algo", "run")) if config else "run"
        for key, name in (("success_rate", "success rate"), ("avg_return", "return")):
            source.blocks.append(_curves(f"{name} during training", name, key, {label: [records]}))
        keys = list(dict.fromkeys(key for record in records for key in record))
        source.blocks.append(_table("Evaluations during training", keys, records))
    if config:
        source.blocks.append(
            {"type": "pairs", "title": "Config (config.yaml)", "pairs": _pairs(config)}
        )
    return source


def _benchmark(folder: Path) -> Source:
    """A ``dialogym benchmark`` folder: its aggregated table, success bars, curves and cells."""
    source = Source(folder, "benchmark")
    results = _json_file(folder / "results.json")
    cells_file = _json_file(folder / "cells.json")
    rows: list[dict[str, Any]] = []
    cells: list[dict[str, Any]] = []
    if isinstance(results, dict):
        rows = _records(results.get("rows"), folder / "results.json")
        cells = _records(results.get("cells"), folder / "results.json")
    if not cells and isinstance(cells_file, dict):
        cells = _records(cells_file.get("cells"), folder / "cells.json")
        source.blocks.append(
            _note("No results.json (the benchmark has not finished): the cells done so far.")
        )
    if rows:
        source.blocks.append(_aggregated_table(rows))
    for domain in dict.fromkeys(str(cell.get("domain", "")) for cell in cells):
        mine = [cell for cell in cells if str(cell.get("domain", "")) == domain]
        source.blocks.append(_success_bars(f"{domain}: success rate", mine))
        for task in dict.fromkeys(str(cell.get("task", "")) for cell in mine):
            curves: dict[str, list[list[dict[str, Any]]]] = {}
            flat: dict[str, list[float]] = {}
            """Policies that do not learn: their tests, drawn as a level line across."""
            for cell in mine:
                if str(cell.get("task", "")) != task:
                    continue
                curve = _records(cell.get("curve"), folder / "results.json")
                policy = str(cell.get("policy", ""))
                if curve:
                    curves.setdefault(policy, []).append(curve)
                elif (rate := _number(cell.get("success_rate"))) is not None:
                    flat.setdefault(policy, []).append(rate)
            if curves:
                block = _curves(
                    f"{domain} {task}: learning curves", "success rate", "success_rate", curves
                )
                block["levels"] = [
                    {"label": policy, "value": statistics.fmean(rates)}
                    for policy, rates in flat.items()
                ]
                source.blocks.append(block)
    if cells:
        keys = ["domain", "task", "policy", "seed", "dialogues", "episodes"]
        keys += [key for key, _, _ in FIGURE_COLUMNS]
        source.blocks.append(_table("Cells (one per task, policy and seed)", keys, cells))
    return source


def _aggregated_table(rows: list[dict[str, Any]]) -> Block:
    """``results.json``'s rows: figures as mean ± std over seeds, sorted by the mean."""
    columns: list[dict[str, Any]] = [
        {"label": label, "numeric": label in ("trained dialogues", "seeds")}
        for label in ("domain", "task", "policy", "trained dialogues", "seeds")
    ]
    figures = [
        (key, name, scale) for key, name, scale in FIGURE_COLUMNS if f"{key}_mean" in rows[0]
    ]
    columns += [{"label": name, "numeric": True} for _, name, _ in figures]
    table_rows = []
    for row in rows:
        cells: list[Any] = [
            _cell(row.get(key))
            for key in ("domain", "task", "policy", "trained_dialogues", "seeds")
        ]
        for key, _, scale in figures:
            mean, std = _number(row.get(f"{key}_mean")), _number(row.get(f"{key}_std"))
            seeds = _number(row.get("seeds")) or 0
            if mean is None:
                cells.append(None)
                continue
            digits = 1 if scale == 100.0 else 2
            text = f"{mean * scale:.{digits}f}"
            if std is not None and seeds > 1:
                text += f" ± {std * scale:.{digits}f}"
            cells.append([round(mean * scale, 6), text])
        table_rows.append(cells)
    return {
        "type": "table",
        "title": "Results (mean ± std over seeds)",
        "columns": columns,
        "rows": table_rows,
    }


def _success_bars(title: str, cells: list[dict[str, Any]]) -> Block:
    """Success rate per task and policy at the end of training: mean and std over seeds."""
    groups: dict[str, dict[str, list[float]]] = {}
    for cell in cells:
        rate = _number(cell.get("success_rate"))
        if rate is not None:
            by_policy = groups.setdefault(str(cell.get("task", "")), {})
            by_policy.setdefault(str(cell.get("policy", "")), []).append(rate)
    return {
        "type": "bars",
        "title": title,
        "groups": [
            {
                "label": task,
                "bars": [
                    {"label": policy, "value": statistics.fmean(rates), "error": _spread(rates)}
                    for policy, rates in policies.items()
                ],
            }
            for task, policies in groups.items()
        ],
    }


def _curves(title: str, axis: str, key: str, runs: dict[str, list[list[dict[str, Any]]]]) -> Block:
    """Learning curves: per label, the mean over its runs of the k-th test, min–max shaded.

    Args:
        title: The chart's title.
        axis: The y axis's name.
        key: The figure drawn (``success_rate``, ``avg_return``).
        runs: Label (a policy) to its runs, each a list of evaluation records with
            ``dialogues`` and ``key``.
    """
    series = []
    for label, curves in runs.items():
        points = []
        for k in range(max(len(curve) for curve in curves)):
            tests = [
                (x, y)
                for curve in curves
                if k < len(curve)
                for x, y in [(_number(curve[k].get("dialogues")), _number(curve[k].get(key)))]
                if x is not None and y is not None
            ]
            if tests:
                ys = [y for _, y in tests]
                points.append(
                    [statistics.fmean(x for x, _ in tests), statistics.fmean(ys), min(ys), max(ys)]
                )
        if points:
            series.append({"label": label, "points": points})
    return {
        "type": "curves",
        "title": title,
        "x": "training dialogues",
        "y": axis,
        "rate": key.endswith("_rate"),
        "series": series,
    }


def _dialogues(path: Path, index: int, max_dialogues: int) -> Source:
    """A JSONL file of dialogues (``evaluate --transcripts``, ``simulate``): tables and dialogues."""
    source = Source(path, "dialogues")
    beyond: list[dict[str, Any]] = []
    """Dialogues past ``max_dialogues``: counted in the tables, their turns left out."""
    for number, record in _jsonl(path):
        source.dialogues_total += 1
        dialogue = _dialogue(record, f"{path}:{number}", path.stem)
        dialogue["source"] = index
        if len(source.dialogues) < max_dialogues:
            source.dialogues.append(dialogue)
        else:
            beyond.append({**dialogue, "transcript": []})
    everything = source.dialogues + beyond
    if not everything:
        raise CommandError(f"{path}: holds no dialogue")
    source.blocks.append(_dialogue_table(everything))
    source.blocks.append(_dialogue_bars(everything))
    if beyond:
        source.blocks.append(
            _note(
                f"{path.name}: the tables count all {source.dialogues_total} dialogues; the"
                f" page holds the first {len(source.dialogues)} (--max-dialogues)."
            )
        )
    return source


def _group_key(dialogue: dict[str, Any]) -> tuple[str, str]:
    return dialogue["policy"], dialogue["task"]


def _dialogue_table(dialogues: list[dict[str, Any]]) -> Block:
    """Per policy and task: dialogues, success, turns, return, hang-ups and run-outs."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for dialogue in dialogues:
        groups.setdefault(_group_key(dialogue), []).append(dialogue)
    columns = [
        {"label": "policy", "numeric": False},
        {"label": "task", "numeric": False},
        *(
            {"label": label, "numeric": True}
            for label in (
                "dialogues",
                "success %",
                "turns",
                "return",
                "hang-ups %",
                "out of turns %",
            )
        ),
    ]
    rows = []
    for (policy, task), group in groups.items():
        judged = [d["success"] for d in group if d["success"] is not None]
        rows.append(
            [
                policy,
                task,
                len(group),
                _percent(judged),
                _mean(d["turns"] for d in group),
                _mean(d["return"] for d in group),
                _percent([d["hung_up"] for d in group]),
                _percent([d["truncated"] for d in group]),
            ]
        )
    return {
        "type": "table",
        "title": "Dialogues by policy and task",
        "columns": columns,
        "rows": rows,
    }


def _dialogue_bars(dialogues: list[dict[str, Any]]) -> Block:
    """Success rate per task (groups) and policy (bars)."""
    groups: dict[str, dict[str, list[bool]]] = {}
    for dialogue in dialogues:
        if dialogue["success"] is not None:
            policies = groups.setdefault(dialogue["task"], {})
            policies.setdefault(dialogue["policy"], []).append(dialogue["success"])
    return {
        "type": "bars",
        "title": "Success rate",
        "groups": [
            {
                "label": task,
                "bars": [
                    {"label": policy, "value": sum(verdicts) / len(verdicts), "error": None}
                    for policy, verdicts in policies.items()
                ],
            }
            for task, policies in groups.items()
        ],
    }


# ------------------------------------------------------------------------------ one dialogue

PART_FAILURES = {
    "venue": "no venue meeting the constraints was named",
    "requests": "a request was left unanswered",
    "booking": "the booking was not made",
}
"""Why a dialogue failed, per part of the success verdict (``success_parts``)."""

_INFORMED = re.compile(r"\b(?:inform|offer|book)\(([^=()&]+)=")
"""A slot the system gave a value for in its acts' text (``inform(phone=...)``)."""


def _dialogue(record: dict[str, Any], where: str, default_policy: str) -> dict[str, Any]:
    """A dialogue line as the page reads it (see the module doc)."""
    transcript = record.get("transcript")
    if not isinstance(transcript, list):
        raise CommandError(f"{where}: not a dialogue (no 'transcript' list)")
    turns: list[list[Any]] = []
    for position, turn in enumerate(transcript):
        if not isinstance(turn, dict):
            raise CommandError(f"{where}: transcript turn {position} is not a JSON object")
        turns.append(
            [
                _integer(turn.get("turn"), position),
                _text(turn.get("action")),
                _text(_either(turn, "system_acts", "system", "acts")),
                _text(_either(turn, "system_text", "system", "text")),
                _text(_either(turn, "user_acts", "user", "acts")),
                _text(_either(turn, "user_text", "user", "text")),
                _hypotheses(turn.get("hypotheses")),
                _belief(turn.get("belief")),
                _rounded(turn.get("reward")),
            ]
        )
    success = record.get("success")
    hung_up, truncated = record.get("hung_up") is True, record.get("truncated") is True
    parts = record.get("success_parts")
    parts = {str(k): v for k, v in parts.items()} if isinstance(parts, dict) else {}
    env = record.get("env")
    env_kwargs = record.get("env_kwargs")
    domain = env_kwargs.get("domain") if isinstance(env_kwargs, dict) else None
    task = " · ".join(str(part) for part in (_task(env), domain) if part)
    turn_count = _number(record.get("turns"))
    episode_return = _number(record.get("return"))
    goal = record.get("goal")
    said = {slot.strip() for turn in turns for slot in _INFORMED.findall(turn[2])}
    goal_parts = _goal_parts(goal, parts, said, turns[-1][7] if turns else [])
    return {
        "episode": _number(record.get("episode")),
        "seed": _number(record.get("seed")),
        "policy": _text(record.get("policy")) or default_policy,
        "task": task or "–",
        "success": success if isinstance(success, bool) else None,
        "hung_up": hung_up,
        "truncated": truncated,
        "turns": int(turn_count) if turn_count is not None else max(len(turns) - 1, 0),
        "return": (
            round(episode_return, DIGITS)
            if episode_return is not None
            else round(sum(turn[8] or 0.0 for turn in turns), DIGITS)
        ),
        "goal": _text(goal),
        "reasons": _reasons(success, hung_up, truncated, parts, turn_count, goal_parts),
        "goal_parts": goal_parts,
        "transcript": turns,
    }


def _task(env: Any) -> str:
    """A short name of an environment id: ``env3`` for ``dialogym/PyDialEnv3-v0``.

    >>> _task("dialogym/PyDialEnv3-v0"), _task("dialogym/Dialogue-v0"), _task(None)
    ('env3', 'Dialogue-v0', '')
    """
    if not isinstance(env, str):
        return ""
    return re.sub(r"^PyDialEnv(\d+)-v\d+$", r"env\1", env.split("/")[-1])


def _reasons(
    success: Any,
    hung_up: bool,
    truncated: bool,
    parts: dict[str, Any],
    turns: float | None,
    goal_parts: list[list[str]],
) -> list[str]:
    """Why a dialogue failed, the main reason first (empty for a success).

    First how it ended (the user hung up, out of turns), then each constraint the system
    believed otherwise at the end, then each failed part of the verdict (a failed ``requests``
    part names the requests never given).
    """
    if success is True:
        return []
    reasons = []
    if hung_up:
        reasons.append(f"the user hung up (after {turns:g} turns)" if turns else "the user hung up")
    if truncated:
        reasons.append(f"out of turns ({turns:g})" if turns else "out of turns")
    reasons += [
        f"misheard {item.partition('=')[0]}: the user wants {item.partition('=')[2]}, the system"
        f" {note}"
        for part, item, verdict, note in goal_parts
        if part == "constraint" and verdict == "misheard"
    ]
    never = [item for part, item, verdict, _ in goal_parts if verdict == NEVER_GIVEN]
    for part, met in parts.items():
        if met is False:
            if part == "requests" and never:
                reasons.append(f"never told the user: {', '.join(never)}")
            else:
                reasons.append(PART_FAILURES.get(part, f"{part}: not met"))
    if not reasons and success is False:
        reasons.append("not successful")
    return reasons


NEVER_GIVEN = "never given"
"""The note of a request the system never gave a value for."""


def _goal_parts(
    goal: Any, parts: dict[str, Any], said: set[str], belief: list[Any]
) -> list[list[str]]:
    """Each item of the goal with what became of it: ``[part, item, verdict, note]``.

    A constraint is ``met`` when the venue part of the verdict is; otherwise ``misheard`` when
    the system believed another value at the end, ``heard`` when it believed the right one
    (the note says what it believed). A request is ``met`` with the requests part, otherwise
    ``given`` or `NEVER_GIVEN` (whether the system ever gave a value for the slot). A booking
    item is ``met`` or ``not met`` with the booking part. An unknown part leaves ``""``.
    """
    constraints, requests, booking = _goal_items(goal)
    believed = {slot: values[0] for slot, values in belief if values}
    items: list[list[str]] = []
    for slot, value in constraints:
        verdict, note = _verdict(parts.get("venue")), ""
        if slot in believed:
            heard, probability = believed[slot]
            note = f"believed {heard}" + (
                f" ({probability:.2f})" if probability is not None else ""
            )
            if verdict != "met":
                verdict = "heard" if heard == value else "misheard"
        items.append(["constraint", f"{slot}={value}", verdict, note])
    for slot in requests:
        verdict = _verdict(parts.get("requests"))
        if verdict != "met":
            verdict = "given" if slot in said else NEVER_GIVEN
        items.append(["request", slot, verdict, ""])
    for slot, value in booking:
        items.append(["booking", f"{slot}={value}", _verdict(parts.get("booking")), ""])
    return items


def _verdict(met: Any) -> str:
    """``met``, ``not met``, or ``""`` for a part of the verdict that is not a bool."""
    return {True: "met", False: "not met"}.get(met, "") if isinstance(met, bool) else ""


_PAIR = re.compile(r"([^\s=]+)=(.*?)(?=\s+[^\s=]+=|$)")
"""``slot=value`` in a goal's text, where a value may hold spaces (``food=modern european``)."""


def _goal_items(goal: Any) -> tuple[list[tuple[str, str]], list[str], list[tuple[str, str]]]:
    """A goal's constraints, requests and booking, from its text or from an object.

    >>> _goal_items("food=modern european area=dontcare | name phone | book day=friday")
    ([('food', 'modern european'), ('area', 'dontcare')], ['name', 'phone'], [('day', 'friday')])
    """
    if isinstance(goal, dict):

        def pairs(value: Any) -> list[tuple[str, str]]:
            return [(str(k), _text(v)) for k, v in value.items()] if isinstance(value, dict) else []

        requests = goal.get("requests")
        return (
            pairs(goal.get("constraints")),
            [_text(r) for r in requests] if isinstance(requests, list) else [],
            pairs(goal.get("booking")),
        )
    if not isinstance(goal, str):
        return [], [], []
    sections = [section.strip() for section in goal.split(" | ")]
    constraints = _PAIR.findall(sections[0]) if sections else []
    requests = sections[1].split() if len(sections) > 1 else []
    booking = _PAIR.findall(sections[2].removeprefix("book")) if len(sections) > 2 else []
    return constraints, requests, booking


# ------------------------------------------------------------------------------ plain values


def _either(turn: dict[str, Any], key: str, outer: str, inner: str) -> Any:
    """``turn[key]``, else ``turn[outer][inner]`` (a format that nests what each side said)."""
    if key in turn:
        return turn[key]
    nested = turn.get(outer)
    return nested.get(inner) if isinstance(nested, dict) else None


def _text(value: Any) -> str:
    """A value as the text the page shows: acts joined by ``&``, a number as written."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " & ".join(_text(item) for item in value)
    return json.dumps(value, ensure_ascii=False)


def _number(value: Any) -> float | None:
    """A finite number, or None (a bool is no number)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _integer(value: Any, default: int) -> int:
    number = _number(value)
    return int(number) if number is not None else default


def _rounded(value: Any) -> float | None:
    number = _number(value)
    return None if number is None else round(number, DIGITS)


def _hypotheses(value: Any) -> list[list[Any]]:
    """An n-best list as ``[[acts, confidence], ...]``, from objects or pairs."""
    if not isinstance(value, list):
        return []
    heard = []
    for item in value:
        if isinstance(item, dict):
            heard.append([_text(item.get("acts")), _rounded(item.get("confidence"))])
        elif isinstance(item, list) and len(item) == 2:
            heard.append([_text(item[0]), _rounded(item[1])])
        else:
            heard.append([_text(item), None])
    return heard


def _belief(value: Any) -> list[list[Any]]:
    """A belief as ``[[slot, [[value, probability], ...]], ...]``, most likely values first.

    Reads ``slot -> [value, probability]`` (the env's summary), ``slot -> {value: probability}``
    and ``slot -> [[value, probability], ...]``.
    """
    if not isinstance(value, dict):
        return []
    belief = []
    for slot, entry in value.items():
        values: list[list[Any]] = []
        if isinstance(entry, dict):
            values = [[_text(v), _rounded(p)] for v, p in entry.items()]
        elif isinstance(entry, list) and len(entry) == 2 and not isinstance(entry[0], list):
            values = [[_text(entry[0]), _rounded(entry[1])]]
        elif isinstance(entry, list):
            values = [
                [_text(item[0]), _rounded(item[1])]
                for item in entry
                if isinstance(item, list) and len(item) == 2
            ]
        else:
            values = [[_text(entry), None]]
        values.sort(key=lambda pair: -(pair[1] or 0.0))
        belief.append([str(slot), values[:BELIEF_VALUES]])
    return belief


def _cell(value: Any) -> Any:
    """A table cell: a number (rounded) or text; None stays empty."""
    number = _number(value)
    if number is not None:
        return round(number, 6)
    return None if value is None else _text(value)


def _percent(verdicts: list[bool]) -> list[Any] | None:
    """A rate as a sortable table cell ``[percent, "93.0"]``; None with nothing to count."""
    if not verdicts:
        return None
    rate = 100.0 * sum(verdicts) / len(verdicts)
    return [round(rate, 6), f"{rate:.1f}"]


def _mean(values: Iterable[float]) -> list[Any] | None:
    items = list(values)
    if not items:
        return None
    mean = statistics.fmean(items)
    return [round(mean, 6), f"{mean:.2f}"]


def _spread(values: list[float]) -> float | None:
    return statistics.stdev(values) if len(values) > 1 else None


def _note(text: str) -> Block:
    return {"type": "note", "text": text}


def _table(title: str, keys: list[str], records: list[dict[str, Any]]) -> Block:
    """A table of records, one column per key (scaled figures as in `FIGURE_COLUMNS`)."""
    scales = {key: (name, scale) for key, name, scale in FIGURE_COLUMNS}
    columns = []
    for key in keys:
        name = scales[key][0] if key in scales else key.replace("_", " ")
        numeric = all(_number(r.get(key)) is not None for r in records if r.get(key) is not None)
        columns.append({"label": name, "numeric": numeric})
    rows = []
    for record in records:
        row = []
        for key in keys:
            value = record.get(key)
            if key in scales and _number(value) is not None:
                scaled = _number(value) * scales[key][1]  # type: ignore[operator]
                row.append([round(scaled, 6), f"{scaled:.{1 if scales[key][1] == 100.0 else 2}f}"])
            else:
                row.append(_cell(value))
        rows.append(row)
    return {"type": "table", "title": title, "columns": columns, "rows": rows}


def _pairs(config: dict[str, Any], prefix: str = "") -> list[list[str]]:
    """A config as ``[key, value]`` text pairs, nested keys dotted."""
    pairs = []
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            pairs += _pairs(value, f"{name}.")
        else:
            pairs.append([name, _text(value) if not isinstance(value, str) else value])
    return pairs


def _records(value: Any, path: Path) -> list[dict[str, Any]]:
    """A list of JSON objects (evaluations, rows, cells), or a one-line error naming the file."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise CommandError(f"{path}: expected a list of JSON objects")
    return value


def _json_file(path: Path) -> Any:
    """A JSON file of a run or benchmark folder, bounded; None when it is not there."""
    if not path.exists() and not path.is_symlink():
        return None
    if path.is_symlink() or not path.is_file():
        raise CommandError(f"{path}: not a plain file; refusing to read it")
    try:
        return read_run_json(path, MAX_JSON_BYTES)
    except (OSError, ValueError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CommandError(f"{path}: not readable as JSON ({message[:200]})") from None


def _config(path: Path) -> dict[str, Any]:
    """A run's ``config.yaml`` as a mapping (empty when it is not there)."""
    if not path.exists() and not path.is_symlink():
        return {}
    if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_CONFIG_BYTES:
        raise CommandError(f"{path}: not a plain file of at most {MAX_CONFIG_BYTES} bytes")
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CommandError(f"{path}: not readable as YAML ({message[:200]})") from None
    if not isinstance(config, dict):
        raise CommandError(f"{path}: expected a mapping of config fields")
    return config


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each non-blank line of a JSONL file as (line number, object), bounded per line.

    Raises:
        CommandError: ``PATH:LINE: ...`` for a line too long, not UTF-8, not JSON or not an object.
    """
    try:
        stream = path.open("rb")
    except OSError as error:
        raise CommandError(f"{path}: cannot read ({error.strerror})") from None
    with stream:
        number = 0
        while line := stream.readline(MAX_LINE_BYTES + 1):
            number += 1
            if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                raise CommandError(f"{path}:{number}: line longer than {MAX_LINE_BYTES} bytes")
            if not line.strip():
                continue
            try:
                record = json.loads(line.decode("utf-8"))
            except UnicodeDecodeError:
                raise CommandError(f"{path}:{number}: not UTF-8 text") from None
            except RecursionError:
                raise CommandError(f"{path}:{number}: nested too deeply") from None
            except ValueError as error:
                raise CommandError(
                    f"{path}:{number}: not JSON ({error}); expected one dialogue per line (JSONL)"
                ) from None
            if not isinstance(record, dict):
                raise CommandError(f"{path}:{number}: expected a JSON object (one dialogue)")
            yield number, record
