"""Screenshots of ``dialogym report`` pages for the README, taken in headless Debian Chromium.

Takes a benchmark's page (its results) and a dialogues page (the failed filter on, one failed
dialogue opened turn by turn, then the end of that dialogue: why it failed and its goal item by
item), and writes them as small palette PNGs::

    dialogym benchmark --task env1 --task env4 --domain restaurant --policy handcrafted \\
        --policy greedy --policy random --policy maskable_ppo --seeds 2 --dialogues 1000 \\
        --eval-every 250 --eval-episodes 100 --episodes 200 --out runs/readme-benchmark
    dialogym report runs/readme-benchmark
    dialogym simulate --env dialogym/PyDialEnv4-v0 --policy handcrafted --episodes 200 \\
        --out runs/readme-dialogues.jsonl
    dialogym report runs/readme-dialogues.jsonl
    python scripts/report_screenshots.py --benchmark runs/readme-benchmark/report.html \\
        --dialogues runs/readme-dialogues.html --dialogue 197 --out docs

Needs ``playwright`` (the dev extras) and Debian's ``chromium`` (``make install``).
"""

from __future__ import annotations

import argparse
import io
import shutil
from pathlib import Path
from typing import Any

from PIL import Image
from playwright.sync_api import sync_playwright

FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]  # fmt: skip


def save_small(png: bytes, path: Path) -> None:
    """Write a screenshot as a 64-colour palette PNG (a fraction of the size, same look)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    print(f"wrote {path} ({path.stat().st_size / 1000:.0f} kB)")


def benchmark_shot(browser: Any, page_path: Path, out: Path) -> None:
    """The results of a benchmark: the sorted table, success bars and learning curves."""
    page = browser.new_page(viewport={"width": 1280, "height": 820})
    page.goto(page_path.resolve().as_uri())
    success = page.locator(".block-table table").first.locator("th", has_text="success %")
    success.click()
    success.click()  # best first
    save_small(page.screenshot(), out / "report-benchmark.png")
    page.close()


def dialogue_shots(browser: Any, page_path: Path, number: int, out: Path) -> None:
    """A failed dialogue opened from the failed filter, and the end of it (why, goal)."""
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.goto(page_path.resolve().as_uri())
    page.click("#tab-dialogues")
    page.select_option("#filter-outcome", "failed")
    page.fill("#filter-max-turns", "10")
    page.locator(f'#dialogue-list tbody tr[data-index="{number - 1}"]').click()
    page.evaluate("window.scrollTo(0, 0)")
    save_small(page.screenshot(), out / "report-failed-dialogue.png")
    # The whole dialogue laid out in the page, then a clip of its last turn and its outcome.
    page.locator("#dialogue-view").evaluate(
        "(pane) => { pane.style.maxHeight = 'none'; pane.style.position = 'static'; }"
    )
    page.evaluate("window.scrollTo(0, 0)")
    turn = page.locator("#dialogue-view .turn").last.bounding_box()
    outcome = page.locator("#dialogue-view .outcome").bounding_box()
    clip = {
        "x": outcome["x"] - 12,
        "y": turn["y"] - 8,
        "width": outcome["width"] + 24,
        "height": outcome["y"] + outcome["height"] + 12 - (turn["y"] - 8),
    }
    save_small(page.screenshot(clip=clip, full_page=True), out / "report-failed-dialogue-end.png")
    page.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark", type=Path, required=True, help="a benchmark's report.html")
    parser.add_argument("--dialogues", type=Path, required=True, help="a dialogues report page")
    parser.add_argument("--dialogue", type=int, required=True, help="the failed dialogue to open")
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=FLAGS)
        benchmark_shot(browser, args.benchmark, args.out)
        dialogue_shots(browser, args.dialogues, args.dialogue, args.out)
        browser.close()


if __name__ == "__main__":
    main()
