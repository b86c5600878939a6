"""dialogym finetune: a tiny corpus fine-tuned, saved, loaded and evaluated (the round trip);
examples rebuilt with the live policy's prompt; corpus errors in one line with file and line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dialogym.cli import CommandError
from dialogym.evaluate import main as evaluate_main
from dialogym.finetune import corpus_examples
from dialogym.finetune import main as finetune_main
from dialogym.models import where
from dialogym.policies.llm import MANIFEST, WEIGHTS, load_model
from dialogym.simulate import main as simulate_main

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ENV = ["--env", "dialogym/PyDialEnv3-v0", "--env-kwarg", "channel=semantic"]
needs_model = pytest.mark.skipif(where("smollm2") is None, reason="smollm2 is not on this machine")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "hdc.jsonl"
    assert (
        simulate_main([*ENV, "--episodes", "3", "--seed", "7", "--out", str(path), "--no-progress"])
        == 0
    )
    return path


def test_examples_are_the_teachers_allowed_choices(corpus: Path) -> None:
    examples, dialogues, decisions = corpus_examples(corpus)
    lines = [json.loads(line) for line in corpus.read_text().splitlines()]
    assert dialogues == 3
    assert decisions == sum(len(line["transcript"]) - 1 for line in lines)
    assert 0 < len(examples) <= decisions
    for example in examples:
        assert example.prompt.endswith("Next move:")
        assert 0 <= example.target < len(example.allowed)
    first = lines[0]["transcript"]
    assert any(
        e.allowed[e.target] == first[1]["action"] and first[0]["user_acts"] in e.prompt
        for e in examples
    )


def test_a_line_that_is_no_dialogue_names_file_and_line(corpus: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(corpus.read_text().splitlines()[0] + "\n" + '{"episode": 1}\n')
    with pytest.raises(CommandError, match=rf"{bad} line 2: no 'seed' field .*dialogym simulate"):
        corpus_examples(bad)
    bad.write_text("not json\n")
    with pytest.raises(CommandError, match=rf"{bad} line 1: not JSON"):
        corpus_examples(bad)


def test_cli_errors_are_one_line(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("mine")
    assert finetune_main(["--corpus", str(corpus), "--out", str(tmp_path / "taken")]) == 2
    assert "is not an LLM policy directory" in capsys.readouterr().err
    assert (
        finetune_main(["--corpus", str(corpus), "--out", str(tmp_path / "o"), "--epochs", "0"]) == 2
    )
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "epochs" in error


@needs_model
@pytest.mark.slow
def test_finetune_save_load_evaluate_round_trip(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "policy"
    code = finetune_main(
        ["--corpus", str(corpus), "--out", str(out), "--max-examples", "6", "--batch", "3",
         "--layers", "1", "--lr", "1e-3", "--no-progress", "--export", str(tmp_path / "hf")]
    )  # fmt: skip
    assert code == 0
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["base"] == "smollm2" and manifest["finetune"]["trained_examples"] == 6
    assert (out / WEIGHTS).stat().st_size < 50 * 2**20  # one layer, not the whole model
    tuned = load_model(out)
    base = load_model("smollm2")
    name = manifest["trained"][0]
    changed = dict(tuned.model.named_parameters())[name]
    assert not changed.equal(dict(base.model.named_parameters())[name])
    from transformers import AutoModelForCausalLM  # the export loads outside dialogym

    exported = AutoModelForCausalLM.from_pretrained(tmp_path / "hf")
    assert dict(exported.named_parameters())[name].float().equal(changed.float().cpu())
    report = tmp_path / "eval.json"
    code = evaluate_main(
        [*ENV, "--policy", f"llm:{out}", "--episodes", "2", "--num-envs", "2",
         "--json", str(report), "--no-progress"]
    )  # fmt: skip
    assert code == 0
    assert json.loads(report.read_text())["episodes"] == 2
