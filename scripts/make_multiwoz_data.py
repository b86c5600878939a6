"""Copy ConvLab-3's MultiWOZ data into dialogym/domains/data/multiwoz/ as package data.

The source is a folder laid out as ``../shared/data/multiwoz`` is (ConvLab-3's
``data/multiwoz`` at commit 2a168fc, with its goal model converted to JSON): the seven
databases ``db/*_db.json``, the ontology ``value_set.json``, the goal model
``goal/goal_model.json`` with its field notes ``goal/goal_model.md``, and ``NOTICE.md``.
Every file is copied byte for byte, so each database keeps ConvLab's row order (a booking
names a row by its index) and its git blob id; ``SOURCE.md`` is written beside them with
the attribution and the SHA-256 of every file.

The ontology is kept whole rather than reduced: the agenda user matches every value the
system informs (addresses, phone numbers, train ids among them) against it.

    python scripts/make_multiwoz_data.py                     # from ../shared/data/multiwoz
    python scripts/make_multiwoz_data.py PATH/TO/multiwoz    # from another copy
    python scripts/make_multiwoz_data.py --check             # fail if the files are stale
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path

from make_builtin_domains import sync_files  # scripts/ is on the path when a script runs

REPO = Path(__file__).resolve().parents[1]
OUT_DIR = REPO / "dialogym" / "domains" / "data" / "multiwoz"
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "multiwoz"
DOMAINS = ("restaurant", "hotel", "attraction", "train", "taxi", "hospital", "police")
COPIED = (
    *(f"db/{domain}_db.json" for domain in DOMAINS),
    "value_set.json",
    "goal/goal_model.json",
    "goal/goal_model.md",
    "NOTICE.md",
)
"""The files copied, as paths relative to the source folder and to the output folder."""

SOURCE_HEADER = """\
# Source of the MultiWOZ package data

Written by `scripts/make_multiwoz_data.py`; run it again rather than editing these files.

Every file here is a byte-for-byte copy of the same path in `../shared/data/multiwoz`, which
holds ConvLab-3's `data/multiwoz` (https://github.com/ConvLab/ConvLab-3, commit
`2a168fc9843e54a468ddec71e001b7559c36aff4`). `goal/goal_model.json` is ConvLab-3's
`data/multiwoz/goal/new_goal_model.pkl` converted from pickle to JSON (same numbers, same key
order; `goal/goal_model.md` says how it was checked). The row order of every database is
ConvLab's: ConvLab books an entity by its row index.

Licences: ConvLab-3 is under the Apache License 2.0; the MultiWOZ data comes from
https://github.com/budzianowski/multiwoz (MIT licence in that repository; ConvLab-3's dataset
card states Apache-2.0). See `NOTICE.md` for the attribution and the papers to cite.

| file | bytes | sha256 |
|---|---|---|
"""


def outputs(source: Path) -> dict[str, bytes]:
    """Relative output path to content, for every file the script writes."""
    missing = [name for name in COPIED if not (source / name).is_file()]
    if missing:
        raise SystemExit(f"{source}: missing {', '.join(missing)}")
    files = {name: (source / name).read_bytes() for name in COPIED}
    rows = [
        f"| {name} | {len(data)} | {hashlib.sha256(data).hexdigest()} |"
        for name, data in files.items()
    ]
    files["SOURCE.md"] = (SOURCE_HEADER + "\n".join(rows) + "\n").encode("utf-8")
    return files


def main(argv: Sequence[str] | None = None) -> int:
    """Write the package data, or with ``--check`` report whether it is up to date."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "source",
        nargs="?",
        type=Path,
        default=DEFAULT_SOURCE,
        help="the MultiWOZ folder to copy from (default: ../shared/data/multiwoz)",
    )
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args(argv)
    files = outputs(args.source)
    return sync_files(OUT_DIR, files, check=args.check, script=Path(__file__).name)


if __name__ == "__main__":
    sys.exit(main())
