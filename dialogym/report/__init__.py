r"""``dialogym report``: one self-contained HTML page to read results and dialogues in a browser.

Example::

    dialogym evaluate --env dialogym/PyDialEnv1-v0 --policy handcrafted --episodes 1000 \
        --transcripts dialogues.jsonl
    dialogym report dialogues.jsonl            # writes dialogues.html
    dialogym report runs/benchmark             # writes runs/benchmark/report.html

``PATH`` is a ``dialogym train`` run folder (its final test, learning curves from
``evaluations.json``, evaluations and config), a ``dialogym benchmark`` folder (its results
table, success bars per domain and learning curves per task from ``results.json``, or the cells
done so far from ``cells.json``), or a JSONL file of dialogues (``evaluate --transcripts``,
``simulate --out``). Several paths make one page (two policies' transcripts side by side).

The page has the results (sortable tables: click a header; success bars; learning curves drawn
as SVG) and the dialogues: a list with filters (outcome: failed, hung up, out of turns; policy;
task; turns; words) and, for the dialogue clicked, every turn (the system's act and words, the
user's, what the system heard as an n-best list with confidence bars, the belief's top values,
the reward), then the goal, item by item, with what was met and what was not, the failure reason
first. A dialogue's policy is its line's ``policy``, else its file's name; its task is its
``env`` and domain. Everything is inside the file (style, script, data; nothing is fetched), and
the page renders one page of the list at a time and a dialogue's turns only when it is opened,
so 1,000 dialogues make a file of a few megabytes that opens at once. ``--max-dialogues`` caps
the dialogues kept per file (the tables still count them all).

The output (``--out``; default ``report.html`` in a folder, ``NAME.html`` beside ``NAME.jsonl``)
is written atomically; an existing file that ``dialogym report`` did not write is replaced only
with ``--force``.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dialogym.cli import CommandError, check_output, run_command, write_atomically
from dialogym.report.page import MARK, render
from dialogym.report.sources import read_source

MAX_DIALOGUES = 1000
"""Dialogues kept per JSONL file by default (1,000 text-channel dialogues of env4, with words,
n-best lists and beliefs, make a page of 4.7 MB with the handcrafted policy, 6.2 MB with the
random one)."""


def report_hint(path: str | Path, missing: str = "") -> str:
    """The line the other commands end with: how to read what they wrote in a browser.

    Args:
        path: What they wrote (a folder, a JSONL file).
        missing: The flag that would have written it, when it was not given.

    >>> report_hint("runs/my bench")
    "read it in a browser: dialogym report 'runs/my bench'"
    >>> report_hint("FILE.jsonl", "--transcripts")
    'read the dialogues in a browser: add --transcripts FILE.jsonl, then dialogym report FILE.jsonl'
    """
    command = f"dialogym report {shlex.quote(str(path))}"
    if missing:
        return f"read the dialogues in a browser: add {missing} {path}, then {command}"
    return f"read it in a browser: {command}"


def default_output(path: Path) -> Path:
    """``PATH/report.html`` for a folder, ``NAME.html`` beside a file ``NAME.jsonl``.

    >>> str(default_output(Path("runs/x.jsonl")))
    'runs/x.html'
    """
    return path / "report.html" if path.is_dir() else path.with_suffix(".html")


def build_report(paths: Sequence[Path], max_dialogues: int = MAX_DIALOGUES) -> str:
    """The HTML of the report of ``paths`` (run folders, benchmark folders, JSONL files).

    Raises:
        CommandError: a path is missing, of no known kind, or malformed (one line naming it).
    """
    from dialogym import __version__

    document: dict[str, Any] = {"sources": [], "blocks": [], "dialogues": []}
    for index, path in enumerate(paths):
        source = read_source(path, index, max_dialogues)
        document["sources"].append(
            {
                "path": str(path),
                "kind": source.kind,
                "dialogues": source.dialogues_total,
                "kept": len(source.dialogues),
            }
        )
        document["blocks"] += [{**block, "source": index} for block in source.blocks]
        document["dialogues"] += source.dialogues
    title = "dialogym report: " + ", ".join(path.name or str(path) for path in paths)
    return render(document, title, __version__)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``dialogym report``."""
    parser = argparse.ArgumentParser(
        prog="dialogym report",
        description="Write one self-contained HTML page (no network) to read a run, a"
        " benchmark or dialogues in a browser: sortable tables, success bars, learning curves,"
        " and every dialogue turn by turn.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    paths_help = (
        "a train run folder, a benchmark folder, or a JSONL file of dialogues (evaluate"
        " --transcripts, simulate --out); several make one page"
    )
    out_help = (
        "the page to write (default: PATH/report.html for a folder, NAME.html beside NAME.jsonl)"
    )
    max_help = "dialogues kept per JSONL file (the tables count them all)"
    parser.add_argument("paths", nargs="+", metavar="PATH", help=paths_help)
    parser.add_argument("--out", metavar="FILE.html", help=out_help)
    parser.add_argument(
        "--max-dialogues", type=int, default=MAX_DIALOGUES, metavar="N", help=max_help
    )
    parser.add_argument(
        "--force", action="store_true", help="overwrite an --out file that dialogym did not write"
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Write the report the parsed arguments ask for; print where it went."""
    if args.max_dialogues < 0:
        raise CommandError(f"--max-dialogues: must be >= 0, got {args.max_dialogues}")
    paths = [Path(path) for path in args.paths]
    out = Path(args.out) if args.out else default_output(paths[0])
    check_output(str(out), "--out", frozenset(), force=True)  # a folder, a link, unwritable
    if out.exists() and not args.force and not _is_report(out):
        raise CommandError(
            f"--out: {out} exists and is not a dialogym report; use --force to overwrite it"
        )
    if out.resolve() in {path.resolve() for path in paths}:
        raise CommandError(f"--out: {out} is one of the paths to report on")
    page = build_report(paths, args.max_dialogues)
    write_atomically(out, page)
    print(f"wrote {out} ({len(page.encode('utf-8')) / 1e6:.1f} MB): open it in a browser")
    return 0


def _is_report(path: Path) -> bool:
    """Whether an existing file was written by ``dialogym report`` (or is empty)."""
    try:
        with path.open("rb") as stream:
            head = stream.read(200).decode("utf-8", errors="replace")
    except OSError:
        return False
    return not head or MARK in head


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``dialogym report``."""
    return run_command("report", run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
