r"""The report's one HTML file: the page template with its style, script and data inside.

The data goes into a ``<script type="application/json">`` element with every ``<`` written as
``\u003c``, so no text from a file can close the element or open another; the script reads it
with ``JSON.parse`` and puts text only into text nodes. The page's Content-Security-Policy
allows nothing to be fetched, so it works (and stays private) offline.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from typing import Any

MARK = "<!-- dialogym report:"
"""How a file written by ``dialogym report`` begins (after its doctype): what makes it ours."""


def asset(name: str) -> str:
    """The text of a file of the page (package data ``dialogym/report/assets/NAME``)."""
    return (resources.files("dialogym.report") / "assets" / name).read_text(encoding="utf-8")


def render(document: dict[str, Any], title: str, version: str) -> str:
    """The HTML of a report.

    Args:
        document: What the page shows (``sources``, ``blocks``, ``dialogues``; see
            `dialogym.report.sources`).
        title: The page's title (escaped here).
        version: dialogym's version, for the page's ``generator``.
    """
    data = json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    data = data.replace("<", "\\u003c")
    before, after = asset("report.html").split("@@DATA@@")
    filled = [
        part.replace("@@CSS@@", asset("report.css"))
        .replace("@@JS@@", asset("report.js"))
        .replace("@@TITLE@@", html.escape(title))
        .replace("@@VERSION@@", html.escape(version))
        for part in (before, after)
    ]
    return filled[0] + data + filled[1]
