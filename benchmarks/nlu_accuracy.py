"""The rule NLU on human text: WOZ 2.0 user turns read by `RuleNLU` on PyDial's CamRestaurants.

Reads a WOZ 2.0 format file (a JSON list of dialogues whose turns carry ``transcript``,
``system_acts`` and ``turn_label``) from the path given; the data itself is never part of the
project. Each user turn's text is parsed with the system acts WOZ gives for it (a requested
slot as ``request(slot)``, a ``[slot, value]`` pair as ``confirm(slot=value)``), and the top
hypothesis is compared with the turn's labels. Prints, over the user turns:

* exact-turn match: the turn's informs and requests equal its labels, as sets;
* act type P / R: over the act types (inform, request) present in each turn;
* inform slot-value P / R / F1, request slot P / R / F1;
* all act-slot-value F1: over every (act type, slot, value) item.

WOZ labels only informs and requests, so only those are compared: the NLU's other acts
(affirm, negate, thankyou, bye, reqalts, confirm, deny, hello, ...) are neither counted nor
errors, even in exact-turn match; nor is ``inform(type=restaurant)`` ("looking for a
restaurant"), which WOZ never labels, nor informs of slots WOZ does not label informs of
(its ontology's informable slots are food, area and price range: a restaurant's name in "the
phone number of Nandos" is PyDial's ``inform(name=nandos)``, not an error). WOZ's names are mapped to PyDial's explicitly below
(``price range`` -> ``pricerange``, ``address`` -> ``addr``); ``dontcare`` stays ``dontcare``.

    .venv/bin/python benchmarks/nlu_accuracy.py --woz ../shared/data/woz/woz_validate_en.json
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from pathlib import Path

from dialogym.acts import Act, ActType
from dialogym.domains import load_domain
from dialogym.tracking.nlu import RuleNLU

DEFAULT_DOMAIN = (
    Path(__file__).resolve().parent.parent / "../shared/data/pydial/CamRestaurants-rules.json"
)

WOZ_SLOTS = {
    "food": "food",
    "area": "area",
    "price range": "pricerange",
    "name": "name",
    "address": "addr",
    "phone": "phone",
    "phone number": "phone",
    "number": "phone",
    "postcode": "postcode",
    "signature": "signature",
}
"""WOZ 2.0 (DSTC2 ontology) slot names to PyDial CamRestaurants slot names."""

WOZ_INFORMABLE = frozenset({"food", "area", "pricerange"})
"""The slots WOZ labels informs of, in PyDial's names."""

Item = tuple[str, str, str | None]
"""(act type, slot, value): ``("inform", "food", "thai")``, ``("request", "addr", None)``."""


def _slot(name: str) -> str:
    return WOZ_SLOTS.get(name, name.replace(" ", ""))


def gold_items(turn_label: Iterable[list[str]]) -> set[Item]:
    """A WOZ turn's labels as items in PyDial's names."""
    items: set[Item] = set()
    for slot, value in turn_label:
        if slot == "request":
            items.add(("request", _slot(value), None))
        else:
            items.add(("inform", _slot(slot), value))
    return items


def system_acts(woz_acts: Iterable[str | list[str]], informable: Iterable[str]) -> tuple[Act, ...]:
    """WOZ's system acts for a turn: requested informable slots, and confirmed slot-value pairs."""
    slots = set(informable)
    acts = []
    for act in woz_acts:
        if isinstance(act, str):
            if _slot(act) in slots:
                acts.append(Act(ActType.REQUEST, _slot(act)))
        else:
            acts.append(Act(ActType.CONFIRM, _slot(act[0]), act[1]))
    return tuple(acts)


def heard_items(acts: Iterable[Act]) -> set[Item]:
    """The informs and requests of a hypothesis, as items (other acts are not compared)."""
    items: set[Item] = set()
    for act in acts:
        if act.type is ActType.INFORM and act.slot in WOZ_INFORMABLE:
            items.add(("inform", act.slot, act.value))
        elif act.type is ActType.REQUEST and act.slot is not None:
            items.add(("request", act.slot, None))
    return items


def _prf(right: int, predicted: int, gold: int) -> tuple[float, float, float]:
    p = right / predicted if predicted else 1.0
    r = right / gold if gold else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def measure(nlu: RuleNLU, dialogues: list[dict], informable: Iterable[str]) -> dict[str, float]:
    """The table's figures over every user turn of ``dialogues``."""
    informable = tuple(informable)
    turns = exact = 0
    counts = {k: [0, 0, 0] for k in ("type", "inform", "request", "all")}  # right, predicted, gold
    for dialogue in dialogues:
        for turn in dialogue["dialogue"]:
            gold = gold_items(turn["turn_label"])
            said = system_acts(turn.get("system_acts", ()), informable)
            heard = heard_items(nlu.parse(turn["transcript"], said)[0].acts)
            turns += 1
            exact += heard == gold
            pairs = (
                ("type", {i[0] for i in heard}, {i[0] for i in gold}),
                ("inform", {i for i in heard if i[0] == "inform"}, {i for i in gold if i[0] == "inform"}),
                ("request", {i for i in heard if i[0] == "request"}, {i for i in gold if i[0] == "request"}),
                ("all", heard, gold),
            )  # fmt: skip
            for key, h, g in pairs:
                counts[key][0] += len(h & g)  # type: ignore[operator]
                counts[key][1] += len(h)
                counts[key][2] += len(g)
    figures = {"turns": float(turns), "exact": exact / turns if turns else 0.0}
    for key, (right, predicted, gold) in counts.items():
        figures[f"{key}_p"], figures[f"{key}_r"], figures[f"{key}_f1"] = _prf(
            right, predicted, gold
        )
    return figures


def table(columns: dict[str, dict[str, float]]) -> str:
    """The issue's table, one column per file."""
    names = list(columns)
    rows = [
        "| figure | " + " | ".join(names) + " |",
        "| --- |" + " --- |" * len(names),
        "| user turns | " + " | ".join(f"{int(c['turns'])}" for c in columns.values()) + " |",
    ]

    def row(label: str, keys: tuple[str, ...]) -> str:
        cells = [" / ".join(f"{c[k]:.3f}" for k in keys) for c in columns.values()]
        return f"| {label} | " + " | ".join(cells) + " |"

    rows += [
        row("exact-turn match", ("exact",)),
        row("act type P / R", ("type_p", "type_r")),
        row("inform slot-value P / R / F1", ("inform_p", "inform_r", "inform_f1")),
        row("request slot P / R / F1", ("request_p", "request_r", "request_f1")),
        row("all act-slot-value F1", ("all_f1",)),
    ]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--woz", action="append", required=True, type=Path, help="WOZ 2.0 file (repeatable)"
    )
    parser.add_argument(
        "--domain", default=str(DEFAULT_DOMAIN), help="PyDial CamRestaurants rules file"
    )
    args = parser.parse_args(argv)
    domain = load_domain(args.domain)
    nlu = RuleNLU(domain)
    columns = {}
    for path in args.woz:
        dialogues = json.loads(path.read_text(encoding="utf-8"))
        columns[path.stem] = measure(nlu, dialogues, domain.informable)
    print(table(columns))


if __name__ == "__main__":
    main()
