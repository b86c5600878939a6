"""The model resolver and ``dialogym models``: names, missing models, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dialogym.models import ModelError, fetch, main, resolve, where


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
