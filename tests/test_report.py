"""``dialogym report``: the page of a run, a benchmark and dialogues, read in a real browser.

The browser tests drive Debian's ``chromium`` with Playwright (``pip install playwright``; its
own browser download is not used). Where either is missing they skip with the reason, unless
``DIALOGYM_REQUIRE_BROWSER=1`` (CI): then they fail.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dialogym.cli import main as dialogym_main
from dialogym.report import build_report, main
from dialogym.report.sources import read_source

REQUIRE_BROWSER = os.environ.get("DIALOGYM_REQUIRE_BROWSER") == "1"
CHROMIUM = os.environ.get("DIALOGYM_CHROMIUM") or shutil.which("chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]  # fmt: skip
"""Headless Chromium as root on a machine with no network (no sandbox, no calls home)."""


def run_cli(*args: str) -> tuple[int, str]:
    """Run a dialogym command in this process; its exit status and what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = dialogym_main(list(args))
    return status, out.getvalue()


def dialogym(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dialogym.cli", *args], capture_output=True, text=True, timeout=120
    )


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def page_data(html: str) -> dict[str, Any]:
    """The JSON a report page embeds."""
    found = re.search(
        r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S
    )
    assert found is not None
    return json.loads(found.group(1))  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------- sources


def made_by(command: str, out: Path, *args: str) -> Path:
    """Run a command whose last argument names ``out``; it must end with the report's command."""
    status, printed = run_cli(command, *args, str(out), "--no-progress")
    assert status == 0
    assert printed.splitlines()[-1] == f"read it in a browser: dialogym report {out}"
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real ``simulate`` corpus, random policy: successes, failures and hang-ups."""
    out = made_by(
        "simulate", tmp_path_factory.mktemp("corpus") / "random.jsonl",
        "--env", "dialogym/PyDialEnv4-v0", "--policy", "random", "--episodes", "24",
        "--seed", "5", "--out",
    )  # fmt: skip
    dialogues = read_lines(out)
    assert any(d["success"] for d in dialogues) and any(d["hung_up"] for d in dialogues)
    assert any(not d["success"] and not d["hung_up"] for d in dialogues)
    return out


@pytest.fixture(scope="module")
def transcripts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real ``evaluate --transcripts`` output (the corpus format: env, seed and belief)."""
    return made_by(
        "evaluate", tmp_path_factory.mktemp("transcripts") / "handcrafted.jsonl",
        "--env", "dialogym/PyDialEnv4-v0", "--policy", "handcrafted", "--episodes", "12",
        "--transcripts",
    )  # fmt: skip


@pytest.fixture(scope="module")
def benchmark(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real benchmark folder: two tasks, three policies that do not learn, two seeds."""
    return made_by(
        "benchmark", tmp_path_factory.mktemp("bench") / "bench",
        "--task", "env1", "--task", "env2", "--policy", "handcrafted", "--policy", "random",
        "--policy", "greedy", "--seeds", "2", "--episodes", "8", "--out",
    )  # fmt: skip


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real (tiny) ``train`` run: config, evaluations, final test."""
    out = tmp_path_factory.mktemp("run") / "run"
    status, _ = run_cli(
        "train", "--env", "dialogym/PyDialEnv1-v0", "--algo", "maskable_ppo", "--dialogues",
        "24", "--eval-every", "8", "--eval-episodes", "4", "--test-episodes", "4",
        "--out", str(out),
    )  # fmt: skip
    assert status == 0
    return out


def test_evaluate_without_transcripts_says_how_to_get_a_report() -> None:
    status, printed = run_cli(
        "evaluate", "--env", "dialogym/PyDialEnv1-v0", "--episodes", "2", "--no-progress"
    )
    assert status == 0
    assert printed.splitlines()[-1] == (
        "read the dialogues in a browser: add --transcripts FILE.jsonl, then dialogym report"
        " FILE.jsonl"
    )


def test_corpus_dialogues_carry_every_turn(corpus: Path) -> None:
    lines = read_lines(corpus)
    source = read_source(corpus, 0, 1000)
    assert source.kind == "dialogues" and len(source.dialogues) == len(lines)
    for line, dialogue in zip(lines, source.dialogues, strict=True):
        assert dialogue["success"] is line["success"] and dialogue["turns"] == line["turns"]
        assert dialogue["task"] == "env4" and dialogue["policy"] == "random"
        assert len(dialogue["transcript"]) == len(line["transcript"])
        for raw, turn in zip(line["transcript"], dialogue["transcript"], strict=True):
            (
                number,
                action,
                system_acts,
                system_words,
                user_acts,
                user_words,
                heard,
                belief,
                reward,
            ) = turn
            assert (number, action, system_acts, user_acts) == (
                raw["turn"], raw["action"], raw["system_acts"], raw["user_acts"],
            )  # fmt: skip
            assert system_words == raw["system_text"] and user_words == raw["user_text"]
            assert [acts for acts, _ in heard] == [h["acts"] for h in raw["hypotheses"]]
            assert heard[0][1] == pytest.approx(raw["hypotheses"][0]["confidence"], abs=1e-3)
            assert {slot: values[0][0] for slot, values in belief} == {
                slot: value for slot, (value, _) in raw["belief"].items()
            }
            assert reward == raw["reward"]
        # a failure says why, the main reason first; a success has no reason
        assert bool(dialogue["reasons"]) is (not line["success"])
        if line["hung_up"]:
            assert dialogue["reasons"][0].startswith("the user hung up")
        parts = {part for part, *_ in dialogue["goal_parts"]}
        assert "constraint" in parts and "request" in parts


def test_goal_items_carry_the_verdict_of_their_part(corpus: Path) -> None:
    lines = read_lines(corpus)
    misheard = 0
    for line, dialogue in zip(lines, read_source(corpus, 0, 1000).dialogues, strict=True):
        parts, belief = line["success_parts"], line["transcript"][-1]["belief"]
        for part, item, verdict, _ in dialogue["goal_parts"]:
            slot, _, value = item.partition("=")
            if part == "constraint":
                if parts["venue"]:
                    assert verdict == "met"
                elif slot in belief:
                    assert verdict == ("heard" if belief[slot][0] == value else "misheard")
                    misheard += verdict == "misheard"
                    assert (verdict == "misheard") is any(
                        r.startswith(f"misheard {slot}: ") for r in dialogue["reasons"]
                    )
                else:
                    assert verdict == "not met"
            elif part == "request":
                assert (
                    verdict == "met" if parts["requests"] else verdict in ("given", "never given")
                )
            else:
                assert verdict == ("met" if parts["booking"] else "not met")
    assert misheard > 0  # the corpus shows the case


def test_evaluate_transcripts_are_read_with_their_belief(transcripts: Path) -> None:
    source = read_source(transcripts, 0, 1000)
    assert len(source.dialogues) == 12
    assert all(turn[6] for d in source.dialogues for turn in d["transcript"])
    assert all(any(turn[7] for turn in d["transcript"]) for d in source.dialogues)
    assert {d["policy"] for d in source.dialogues} == {"handcrafted"}  # the file's name
    table = source.blocks[0]
    assert table["type"] == "table" and table["rows"][0][:3] == ["handcrafted", "env4", 12]


def test_max_dialogues_keeps_the_first_and_counts_all(corpus: Path) -> None:
    source = read_source(corpus, 0, 5)
    assert [d["episode"] for d in source.dialogues] == [0, 1, 2, 3, 4]
    assert source.dialogues_total == 24
    assert source.blocks[0]["rows"][0][2] == 24  # the table counts every dialogue
    assert any(b["type"] == "note" and "first 5" in b["text"] for b in source.blocks)


def test_benchmark_folder(benchmark: Path) -> None:
    results = json.loads((benchmark / "results.json").read_text(encoding="utf-8"))
    source = read_source(benchmark, 0, 1000)
    table, bars, cells = source.blocks
    assert [row[:3] for row in table["rows"]] == [
        [r["domain"], r["task"], r["policy"]] for r in results["rows"]
    ]
    assert len(cells["rows"]) == len(results["cells"]) == 2 * 3 * 2
    handcrafted = [
        bar for group in bars["groups"] if group["label"] == "env1" for bar in group["bars"]
        if bar["label"] == "handcrafted"
    ]  # fmt: skip
    wanted = [r for r in results["rows"] if r["task"] == "env1" and r["policy"] == "handcrafted"]
    assert handcrafted[0]["value"] == pytest.approx(wanted[0]["success_rate_mean"])


def test_run_folder(run_folder: Path) -> None:
    evaluations = json.loads((run_folder / "evaluations.json").read_text(encoding="utf-8"))
    source = read_source(run_folder, 0, 1000)
    kinds = [block["type"] for block in source.blocks]
    assert kinds == ["table", "curves", "curves", "table", "pairs"]
    success = source.blocks[1]
    assert [p[0] for p in success["series"][0]["points"]] == [e["dialogues"] for e in evaluations]
    assert [p[1] for p in success["series"][0]["points"]] == [
        e["success_rate"] for e in evaluations
    ]
    assert ["algo", "maskable_ppo"] in source.blocks[4]["pairs"]


def test_report_command_writes_one_self_contained_page(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    assert main([str(corpus), "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>\n<!-- dialogym report:")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)  # nothing fetched
    assert "default-src 'none'" in html
    assert len(page_data(html)["dialogues"]) == 24
    assert main([str(corpus), "--out", str(out)]) == 0  # its own page is replaced


def test_default_output_beside_the_file_and_in_the_folder(benchmark: Path, tmp_path: Path) -> None:
    copy = tmp_path / "corpus.jsonl"
    assert main([str(benchmark)]) == 0
    assert (benchmark / "report.html").is_file()
    copy.write_text('{"transcript": []}\n', encoding="utf-8")
    assert main([str(copy)]) == 0
    assert (tmp_path / "corpus.html").is_file()


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ('{"transcript": []}\n{"transcript": [\n', "{path}:2: not JSON"),
        ('\n["a list"]\n', "{path}:2: expected a JSON object (one dialogue)"),
        ('{"episode": 0}\n', "{path}:1: not a dialogue (no 'transcript' list)"),
        ('{"transcript": ["hello"]}\n', "{path}:1: transcript turn 0 is not a JSON object"),
        ("\n\n", "{path}: holds no dialogue"),
        (b'{"transcript": "\xff"}\n', "{path}:1: not UTF-8 text"),
    ],
)
def test_malformed_jsonl_is_one_line_naming_file_and_line(
    tmp_path: Path, content: str | bytes, error: str
) -> None:
    path = tmp_path / "bad.jsonl"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    result = dialogym("report", str(path))
    assert result.returncode == 2
    assert result.stderr.startswith(f"dialogym report: error: {error.format(path=path)}")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_bad_paths_are_one_line(tmp_path: Path, benchmark: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("x", encoding="utf-8")
    (tmp_path / "link.jsonl").symlink_to(tmp_path / "notes" / "a.txt")
    (tmp_path / "mine.html").write_text("<p>my notes</p>", encoding="utf-8")
    cases = {
        str(tmp_path / "nope"): "no such file or folder",
        str(tmp_path / "notes"): "not a run folder (config.yaml, metrics.json, evaluations.json)",
        str(tmp_path / "link.jsonl"): "is a symbolic link",
    }
    for path, error in cases.items():
        result = dialogym("report", path)
        assert result.returncode == 2 and error in result.stderr, result.stderr
        assert result.stderr.count("\n") == 1 and path in result.stderr
    result = dialogym("report", str(benchmark), "--out", str(tmp_path / "mine.html"))
    assert result.returncode == 2 and "is not a dialogym report; use --force" in result.stderr
    assert (tmp_path / "mine.html").read_text(encoding="utf-8") == "<p>my notes</p>"
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "results.json").write_text("{not json", encoding="utf-8")
    result = dialogym("report", str(broken))
    assert result.returncode == 2
    assert f"{broken / 'results.json'}: not readable as JSON" in result.stderr


def test_report_help_is_quick_and_imports_nothing_heavy() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from dialogym.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    try: main(['report', '--help'])\n"
        "    except SystemExit: pass\n"
        "heavy = [m for m in ('torch', 'stable_baselines3', 'sb3_contrib', 'transformers', 'matplotlib') if m in sys.modules]\n"
        "print(heavy, 'PATH' in out.getvalue())\n"
    )
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "[] True", result.stderr
    assert time.perf_counter() - started < 5  # generous: the point is no SB3/torch import


# ---------------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright, or a skip saying what is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "playwright is not installed (pip install playwright; see the Makefile)"
        pytest.fail(reason) if REQUIRE_BROWSER else pytest.skip(reason)
    if CHROMIUM is None or not Path(CHROMIUM).is_file():
        reason = (
            f"no chromium ({CHROMIUM or 'not on PATH'}; apt-get install chromium: see the Makefile)"
        )
        pytest.fail(reason) if REQUIRE_BROWSER else pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


class Page:
    """A report opened in the browser, with every console message, page error and request."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.problems: list[str] = []
        self.requests: list[str] = []
        self.page.on(
            "console",
            lambda m: (
                self.problems.append(f"{m.type}: {m.text}")
                if m.type in ("error", "warning")
                else None
            ),
        )
        self.page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)

    def texts(self, selector: str) -> list[str]:
        return [text.strip() for text in self.page.locator(selector).all_inner_texts()]


def report_of(source: Path, folder: Path) -> Path:
    """Write the report of ``source`` (a file or folder) into ``folder``; the page's path."""
    out = folder / f"{source.name}.html"
    assert main([str(source), "--out", str(out)]) == 0
    return out


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    pages: list[Page] = []

    def opener(path: Path) -> Page:
        pages.append(Page(browser, path))
        return pages[-1]

    yield opener
    for page in pages:
        assert page.problems == [], page.problems  # no console error, no script error
        assert page.requests == [page.url], page.requests  # nothing fetched
        page.page.close()


@pytest.fixture
def corpus_page(corpus: Path, tmp_path: Path, open_page: Any) -> Page:
    """The corpus's report, open on its dialogues."""
    page: Page = open_page(report_of(corpus, tmp_path))
    page.page.click("#tab-dialogues")
    return page


def test_browser_benchmark_table_rows_and_sorting(
    benchmark: Path, tmp_path: Path, open_page: Any
) -> None:
    results = json.loads((benchmark / "results.json").read_text(encoding="utf-8"))
    page = open_page(report_of(benchmark, tmp_path))
    table = page.page.locator(".block-table table").first
    rows = table.locator("tbody tr")
    assert rows.count() == len(results["rows"])
    assert [rows.nth(i).locator("td").nth(2).inner_text() for i in range(rows.count())] == [
        r["policy"] for r in results["rows"]
    ]
    success = table.locator("th", has_text="success %")
    success.click()
    success.click()  # descending
    assert success.get_attribute("aria-sort") == "descending"
    shown = [
        float(t.split(" ")[0]) for t in table.locator("tbody tr td:nth-child(6)").all_inner_texts()
    ]
    assert shown == sorted(shown, reverse=True)
    assert shown[0] == pytest.approx(
        100 * max(r["success_rate_mean"] for r in results["rows"]), abs=0.06
    )
    bars = page.page.locator("svg.bars rect.bar")
    assert bars.count() == len(results["rows"])  # one bar per task and policy


def test_browser_click_opens_a_dialogues_turns(corpus: Path, corpus_page: Page) -> None:
    lines = read_lines(corpus)
    page = corpus_page
    assert page.page.locator("#dialogue-list tbody tr").count() == len(lines)
    assert page.page.locator("#dialogue-view .turn").count() == 0  # nothing rendered yet
    page.page.locator("#dialogue-list tbody tr").nth(3).click()
    turns = page.page.locator("#dialogue-view .turn")
    assert turns.count() == len(lines[3]["transcript"])
    first = lines[3]["transcript"][1]
    second_turn = turns.nth(1)
    assert second_turn.locator(".said.system code").inner_text() == first["system_acts"]
    assert second_turn.locator(".said.user code").inner_text() == first["user_acts"]
    assert second_turn.locator(".said.user .words").inner_text() == first["user_text"]
    assert second_turn.locator(".heard li").count() == len(first["hypotheses"])
    assert second_turn.locator(".belief li").count() == len(first["belief"])

    def acts(text: str) -> list[str]:
        return sorted(text.split(" & "))

    misheard = [
        turn["turn"]
        for turn in lines[3]["transcript"]
        if acts(turn["hypotheses"][0]["acts"]) != acts(turn["user_acts"])
    ]
    shown = page.page.locator("#dialogue-view .turn.misheard")
    assert [int(shown.nth(i).get_attribute("data-turn")) for i in range(shown.count())] == misheard
    goal_rows = page.page.locator("#dialogue-view .goal-parts tbody tr")
    assert goal_rows.count() >= 2
    assert page.page.evaluate("location.hash") == "#dialogue-4"


def test_browser_failed_filter_shows_exactly_the_failed(corpus: Path, corpus_page: Page) -> None:
    lines = read_lines(corpus)
    page = corpus_page
    wanted = {
        "failed": [i + 1 for i, d in enumerate(lines) if not d["success"]],
        "success": [i + 1 for i, d in enumerate(lines) if d["success"]],
        "hung_up": [i + 1 for i, d in enumerate(lines) if d["hung_up"]],
    }
    for outcome, numbers in wanted.items():
        page.page.select_option("#filter-outcome", outcome)
        shown = [int(n) for n in page.texts("#dialogue-list tbody tr td:first-child")]
        assert shown == numbers, outcome
    page.page.select_option("#filter-outcome", "failed")
    page.page.locator("#dialogue-list tbody tr").first.click()
    failed = lines[wanted["failed"][0] - 1]
    outcome = page.page.locator("#dialogue-view .outcome h3").inner_text()
    assert outcome.startswith("Failed: ")
    if failed["hung_up"]:
        assert "the user hung up" in outcome
    # by length: exactly the dialogues of 10 turns or fewer
    page.page.select_option("#filter-outcome", "all")
    page.page.fill("#filter-max-turns", "10")
    shown = [int(n) for n in page.texts("#dialogue-list tbody tr td:first-child")]
    assert shown == [i + 1 for i, d in enumerate(lines) if d["turns"] <= 10]


def test_browser_text_from_a_file_is_only_text(tmp_path: Path, open_page: Any) -> None:
    attack = "</script><img src=x onerror=\"document.title='owned'\"><b>bold</b>"
    line = {
        "episode": 0, "goal": attack, "success": False, "success_parts": {"venue": False},
        "policy": attack, "transcript": [
            {"turn": 0, "action": "start", "system_acts": attack, "user_acts": "hello()",
             "user_text": attack, "hypotheses": [{"acts": attack, "confidence": 2.5}],
             "belief": {attack: [attack, 0.5]}, "reward": 0.0},
        ],
    }  # fmt: skip
    path = tmp_path / "attack.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    out = report_of(path, tmp_path)
    assert (
        "</script><img"
        not in out.read_text(encoding="utf-8").split('id="report-data">')[1].split("</script>")[0]
    )
    page = open_page(out)
    page.page.click("#tab-dialogues")
    page.page.locator("#dialogue-list tbody tr").first.click()
    assert (
        page.page.locator("img").count() == 0 and page.page.locator("#dialogue-view b").count() == 0
    )
    assert page.page.title() != "owned"
    assert page.page.locator("#dialogue-view .said.system code").inner_text() == attack


def test_browser_a_thousand_dialogues_stay_quick(
    corpus: Path, tmp_path: Path, open_page: Any
) -> None:
    lines = read_lines(corpus)
    many = tmp_path / "many.jsonl"
    with many.open("w", encoding="utf-8") as stream:
        for number in range(1000):
            stream.write(json.dumps({**lines[number % len(lines)], "episode": number}) + "\n")
    out = report_of(many, tmp_path)
    assert out.stat().st_size <= 10 * 1024**2
    started = time.perf_counter()
    page = open_page(out)
    page.page.click("#tab-dialogues")
    assert page.page.locator("#dialogue-list tbody tr").count() == 100  # one page of the list
    assert page.page.locator("#filter-count").inner_text() == "1000 of 1000 dialogues"
    page.page.locator("#dialogue-list tbody tr").nth(5).click()
    assert page.page.locator("#dialogue-view .turn").count() == len(lines[5]["transcript"])
    assert time.perf_counter() - started < 10
    page.page.select_option("#filter-outcome", "failed")
    failed = sum(not lines[n % len(lines)]["success"] for n in range(1000))
    assert page.page.locator("#filter-count").inner_text() == f"{failed} of 1000 dialogues"
    page.page.click("#page-next")
    assert int(page.texts("#dialogue-list tbody tr td:first-child")[0]) > 100


def test_build_report_of_several_sources(corpus: Path, transcripts: Path) -> None:
    data = page_data(build_report([corpus, transcripts]))
    assert [s["kind"] for s in data["sources"]] == ["dialogues", "dialogues"]
    assert len(data["dialogues"]) == 24 + 12
    assert {d["source"] for d in data["dialogues"]} == {0, 1}
    assert {b["source"] for b in data["blocks"]} == {0, 1}


def test_failure_reasons_name_the_misheard_constraint_and_the_unanswered_request(
    tmp_path: Path,
) -> None:
    line = {
        "goal": "pricerange=cheap food=modern european | name phone | book day=friday",
        "success": False, "hung_up": True, "truncated": False, "turns": 7,
        "success_parts": {"venue": False, "requests": False, "booking": False},
        "transcript": [
            {"turn": 0, "system_acts": "hello()", "belief": {}},
            {"turn": 1, "system_acts": "inform(name=bruno's) & inform(area=east)",
             "belief": {"pricerange": ["expensive", 0.84], "food": ["modern european", 0.9]}},
        ],
    }  # fmt: skip
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    (dialogue,) = read_source(path, 0, 10).dialogues
    assert dialogue["reasons"] == [
        "the user hung up (after 7 turns)",
        "misheard pricerange: the user wants cheap, the system believed expensive (0.84)",
        "no venue meeting the constraints was named",
        "never told the user: phone",
        "the booking was not made",
    ]
    assert dialogue["goal_parts"] == [
        ["constraint", "pricerange=cheap", "misheard", "believed expensive (0.84)"],
        ["constraint", "food=modern european", "heard", "believed modern european (0.90)"],
        ["request", "name", "given", ""],
        ["request", "phone", "never given", ""],
        ["booking", "day=friday", "not met", ""],
    ]
    assert dialogue["turns"] == 7 and dialogue["task"] == "–" and dialogue["policy"] == "one"


def test_browser_run_page_draws_its_curves(
    run_folder: Path, tmp_path: Path, open_page: Any
) -> None:
    evaluations = json.loads((run_folder / "evaluations.json").read_text(encoding="utf-8"))
    page = open_page(report_of(run_folder, tmp_path))
    curves = page.page.locator("svg.curves")
    assert curves.count() == 2  # success and return
    assert curves.first.locator("circle").count() == len(evaluations)
    assert page.page.locator("#tab-dialogues").count() == 0  # a run holds no dialogues
    # records with nothing to draw: a note, no broken chart
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "evaluations.json").write_text('[{"success_rate": 0.5}]', encoding="utf-8")
    page = open_page(report_of(odd, tmp_path))
    assert page.page.locator("svg.curves").count() == 0
    assert "No test records" in page.page.locator(".block-curves").first.inner_text()
