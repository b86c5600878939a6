"""The model resolver and ``dialogym models``: names, GGUF files keyed by content, paths that
are not models, models that would run code, one-line errors."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from dialogym.models import ModelError, fetch, load_causal_lm, main, resolve, where


def test_missing_model_says_how_to_fetch_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIALOGYM_CACHE", str(tmp_path))
    assert where("smollm2") is None
    with pytest.raises(ModelError, match=r"run `dialogym models fetch smollm2`"):
        resolve("smollm2")


def test_a_transformers_directory_resolves_to_itself(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    assert resolve(tmp_path) == tmp_path


def test_unknown_name_is_one_line() -> None:
    with pytest.raises(ModelError, match="unknown model 'gpt'; known: minilm, smollm2"):
        fetch("gpt")


def test_fetch_command_reports_errors_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fetch", "gpt"]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0


def test_list_command_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dialogym.cli", "models", "list"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["minilm", "smollm2"]


def fake_gguf(path: Path, payload: bytes) -> Path:
    """A file that starts as GGUF files do (not a loadable model)."""
    path.write_bytes(b"GGUF" + payload)
    return path


def test_a_gguf_file_is_cached_under_its_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two different files never share a directory; the same bytes elsewhere do."""
    monkeypatch.setenv("DIALOGYM_CACHE", str(tmp_path / "cache"))
    first = fake_gguf(tmp_path / "model.gguf", b"one")
    (tmp_path / "other").mkdir()
    second = fake_gguf(tmp_path / "other" / "model.gguf", b"two")
    copy = fake_gguf(tmp_path / "copy.gguf", b"one")
    converted = {}
    for path in (first, second):  # as if converted already: resolve must not convert again
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        converted[path] = tmp_path / "cache" / "gguf" / digest
        converted[path].mkdir(parents=True)
        (converted[path] / "config.json").write_text("{}")
    assert resolve(first) == converted[first] != converted[second] == resolve(second)
    assert resolve(copy) == converted[first]


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda folder: folder, "a directory without config.json"),
        (lambda folder: folder / "missing.gguf", "not found"),
        (lambda folder: fake_text(folder / "weights.bin"), "a file that is not GGUF"),
    ],
)
def test_a_path_that_is_not_a_model_is_one_line(
    tmp_path: Path, make: Callable[[Path], Path], says: str
) -> None:
    with pytest.raises(ModelError, match=says) as raised:
        resolve(make(tmp_path))
    assert "\n" not in str(raised.value) and "a transformers model directory" in str(raised.value)


def fake_text(path: Path) -> Path:
    path.write_text("not a model")
    return path


def test_a_broken_gguf_file_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIALOGYM_CACHE", str(tmp_path / "cache"))
    with pytest.raises(ModelError, match="broken.gguf cannot be sized") as raised:
        resolve(fake_gguf(tmp_path / "broken.gguf", b"\x03\x00\x00\x00garbage"))
    assert "\n" not in str(raised.value)
    assert not (tmp_path / "cache" / "gguf").exists() or not any(
        (tmp_path / "cache" / "gguf").iterdir()
    )  # nothing half-written is left to be used


def test_a_model_that_needs_its_own_code_is_refused(tmp_path: Path) -> None:
    """config.json asking for remote code: refused in one line, nothing of it run."""
    (tmp_path / "config.json").write_text(
        json.dumps(
            {
                "model_type": "evil",
                "auto_map": {"AutoModelForCausalLM": "modeling_evil.EvilModel"},
                "architectures": ["EvilModel"],
            }
        )
    )
    (tmp_path / "modeling_evil.py").write_text("raise SystemExit('ran code from the model')\n")
    with pytest.raises(
        ModelError, match="config.json cannot be sized: .* model type `evil`"
    ) as raised:
        load_causal_lm(tmp_path)
    assert "\n" not in str(raised.value)
