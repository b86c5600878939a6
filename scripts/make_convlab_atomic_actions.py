"""Write ``dialogym/data/convlab_atomic_actions.json``: ConvLab-3's atomic system acts for MultiWOZ.

ConvLab-3's PPO acts through ``VectorBinary`` (``convlab/policy/vector/vector_base.py`` at
2a168fc). Its vocabulary is not a file of the repository: ``load_actions_from_data``
(vector_base.py:94-140) builds it on first use from the unified MultiWOZ 2.1 corpus
(``data/unified_datasets/multiwoz21/data.zip``) and caches it in ``action_dicts/``. Every system
turn's acts are flattened in the order categorical, non-categorical, binary, delexicalised
(``convlab/util/multiwoz/lexicalize.py:8-25``: a request's value becomes ``?``, an act without
slot ``none``/``none``, any other value the act's rank among the turn's acts of the same
intent, domain and slot: ``1``, ``2``...), lower-cased and counted; acts seen fewer than 50 times
are dropped and the rest sorted.

With ``--unified DATA.zip`` (ConvLab-3's unified MultiWOZ 2.1 corpus) this script applies that
rule exactly. Without it, it estimates the vocabulary from what ConvLab-3's repository itself
holds, since the corpus (and MultiWOZ 2.1's training split in any form) is not part of it:

- MultiWOZ 2.1's validation and test dialogues (``data/multiwoz/{val,test}.json.zip``, 1,999
  dialogues of 10,438), turned into the unified form with ConvLab-3's own preprocessing
  (``data/unified_datasets/multiwoz21/preprocess.py``: its booking-act remapper, slot
  normalisation and de-duplication of identical acts), with the threshold scaled to the sample:
  ``ceil(50 * 1999 / 10438) = 10``;
- police and hospital, which occur only in the training split: their acts from
  ``data/multiwoz/da_slot_cnt.json`` (ConvLab's counts of delexicalised system-act combinations
  over the whole corpus, MultiWOZ 2.0 names, normalised with the same preprocessing), kept at 50.

The estimate's slot-value pairs are those of ConvLab-3's committed DDPT action dictionary
(``convlab/policy/vtrace_DPT/transformer_model/small_action_dict_multiwoz21.txt``, built from
the real vocabulary) but one (restaurant ``postcode 2``); its exact size is not known here.

    python scripts/make_convlab_atomic_actions.py --convlab ../ConvLab-3
    python scripts/make_convlab_atomic_actions.py --convlab ../ConvLab-3 --unified data.zip
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
import types
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "dialogym" / "data" / "convlab_atomic_actions.json"
THRESHOLD = 50
CORPUS_DIALOGUES = 10438
SAMPLE_DOMAINS_ONLY_IN_TRAIN = ("police", "hospital")

Act = tuple[str, str, str, str]


def delexicalise(acts: Iterable[tuple[str, str, str, str]]) -> Iterator[Act]:
    """ConvLab's ``delexicalize_da`` on (intent, domain, slot, value): (domain, intent, slot, rank)."""
    ranks: Counter[tuple[str, str, str]] = Counter()
    for intent, domain, slot, _ in acts:
        slot = slot or "none"
        if intent == "request":
            value = "?"
        elif slot == "none":
            value = "none"
        else:
            ranks[intent, domain, slot] += 1
            value = str(ranks[intent, domain, slot])
        yield domain.lower(), intent.lower(), slot.lower(), value.lower()


def from_unified(path: Path) -> Counter[Act]:
    """Counts over a unified corpus (data.zip holding ``data/dialogues.json``)."""
    counts: Counter[Act] = Counter()
    with zipfile.ZipFile(path) as archive:
        dialogues = json.loads(archive.read("data/dialogues.json"))
    for dialogue in dialogues:
        for turn in dialogue["turns"]:
            if turn["speaker"] != "system":
                continue
            acts = [
                (a["intent"], a["domain"], a["slot"], a.get("value", ""))
                for kind in ("categorical", "non-categorical", "binary")
                for a in turn["dialogue_acts"].get(kind, [])
            ]
            counts.update(delexicalise(acts))
    return counts


def load_preprocess(root: Path) -> Any:
    """ConvLab-3's multiwoz21 preprocessing module, with stand-ins for its tokenisers."""
    for name, attrs in (
        ("nltk", {}),
        ("nltk.tokenize", {"TreebankWordTokenizer": object, "PunktSentenceTokenizer": object}),
    ):
        module = types.ModuleType(name)
        module.__dict__.update(attrs)
        sys.modules.setdefault(name, module)
    relative = "data/unified_datasets/multiwoz21/preprocess.py"
    spec = importlib.util.spec_from_file_location("convlab_multiwoz21_preprocess", root / relative)
    assert spec is not None and spec.loader is not None, relative
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def system_turns(preprocess: Any, dialogues: dict[str, Any]) -> Iterator[list[Act]]:
    """Each system turn's acts as ConvLab's preprocessing writes them, in flattening order."""
    for dialogue in dialogues.values():
        remapper = preprocess.BookingActRemapper(preprocess.ontology)
        for turn_id in range(1, len(dialogue["log"]), 2):
            acts, _ = remapper.remap(turn_id, dialogue["log"])
            unique: dict[tuple[str, str, str, str], None] = {}
            for domain_intent, pairs in acts.items():
                domain, intent = domain_intent.lower().split("-")
                for slot, value in pairs:
                    d, s, v = preprocess.normalize_domain_slot_value(domain, slot, value)
                    unique[intent, d, s, v] = None
            kinds: dict[str, list[tuple[str, str, str, str]]] = {"c": [], "n": [], "b": []}
            for intent, domain, slot, value in unique:
                slots = preprocess.ontology["domains"][domain]["slots"]
                if intent == "request" or not slot or not value:
                    kinds["b"].append((intent, domain, slot, ""))
                else:
                    kinds["c" if slots[slot]["is_categorical"] else "n"].append(
                        (intent, domain, slot, value)
                    )
            yield list(delexicalise(kinds["c"] + kinds["n"] + kinds["b"]))


def estimate(root: Path) -> tuple[list[Act], str]:
    """The vocabulary estimated from ConvLab-3's validation and test dialogues (see above)."""
    preprocess = load_preprocess(root)
    sample: Counter[Act] = Counter()
    dialogues = 0
    for split in ("val", "test"):
        with zipfile.ZipFile(root / f"data/multiwoz/{split}.json.zip") as archive:
            data = json.loads(archive.read(f"{split}.json"))
        dialogues += len(data)
        for acts in system_turns(preprocess, data):
            sample.update(acts)
    threshold = math.ceil(THRESHOLD * dialogues / CORPUS_DIALOGUES)
    kept = {
        act for act, n in sample.items() if n >= threshold and act[0] not in ("police", "hospital")
    }
    combos = json.loads((root / "data/multiwoz/da_slot_cnt.json").read_text(encoding="utf-8"))
    whole: Counter[Act] = Counter()
    for combo, n in combos.items():
        for act in combo.split(";"):
            domain, intent, slot, rank = act.split("-")
            if domain.lower() in SAMPLE_DOMAINS_ONLY_IN_TRAIN:
                _, unified, _ = preprocess.normalize_domain_slot_value(domain, slot, "")
                whole[domain.lower(), intent.lower(), unified or "none", rank.lower()] += n
    kept |= {act for act, n in whole.items() if n >= THRESHOLD}
    how = (
        f"estimated: MultiWOZ 2.1 validation and test ({dialogues} dialogues, "
        f"data/multiwoz/{{val,test}}.json.zip) through ConvLab-3's multiwoz21 preprocessing, "
        f"kept at {threshold} occurrences (50 scaled to the sample); police and hospital from "
        f"data/multiwoz/da_slot_cnt.json, kept at {THRESHOLD}"
    )
    return sorted(kept), how


def main() -> None:
    """Parse the arguments, build the vocabulary and write it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--convlab", type=Path, required=True, help="a ConvLab-3 checkout")
    parser.add_argument("--unified", type=Path, help="ConvLab-3's unified multiwoz21 data.zip")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if args.unified:
        counts = from_unified(args.unified)
        acts = sorted(act for act, n in counts.items() if n >= THRESHOLD)
        how = f"exact: ConvLab-3's rule on {args.unified.name}, kept at {THRESHOLD} occurrences"
    else:
        acts, how = estimate(args.convlab)
    document = {
        "source": "ConvLab-3 (https://github.com/ConvLab/ConvLab-3) at 2a168fc: the system acts "
        "of VectorBinary (convlab/policy/vector/vector_base.py:94-140), Apache-2.0; MultiWOZ "
        "2.1 (Budzianowski et al. 2018; Eric et al. 2020)",
        "derivation": how + "; written by scripts/make_convlab_atomic_actions.py",
        "acts": [list(act) for act in acts],
    }
    head = json.dumps({k: v for k, v in document.items() if k != "acts"}, indent=1)[:-2]
    rows = ",\n".join(f"  {json.dumps(act)}" for act in document["acts"])
    args.out.write_text(f'{head},\n "acts": [\n{rows}\n ]\n}}\n', encoding="utf-8")
    print(f"{len(acts)} acts -> {args.out}")


if __name__ == "__main__":
    main()
