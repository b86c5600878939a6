"""Issue 17, families 2, 4 and 8: an env named by a file (a corpus, a config, a run folder) is a
dialogym id with dialogym's arguments, never a module to import or a model folder nobody
named; corpora are read line by line."""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dialogym.cli import CommandError
from dialogym.envs.registration import ENV_IDS, checked_env, env_argument_kinds
from dialogym.finetune import corpus_examples
from dialogym.simulate import main as simulate_main

EVIL = "import pathlib; pathlib.Path('IMPORTED').write_text('code ran')\n"
"""A module beside the file: importing it leaves IMPORTED in the working folder."""
TINY = ["--dialogues", "20", "--n-envs", "2", "--algo-kwarg", "n_steps=16", "--algo-kwarg",
        "batch_size=32", "--eval-every", "20", "--eval-episodes", "2", "--test-episodes", "2"]  # fmt: skip


def dialogym(
    *args: str, cwd: Path, limit_bytes: int | None = None
) -> subprocess.CompletedProcess[str]:
    def bounded() -> None:
        if limit_bytes is not None:
            resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

    return subprocess.run(
        [sys.executable, "-m", "dialogym.cli", *args],
        capture_output=True, text=True, timeout=300, cwd=cwd, preexec_fn=bounded,
    )  # fmt: skip


def one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 2 with a one-line error naming ``words``, no traceback."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "error:" in lines[0], result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "hdc.jsonl"
    args = ["--env", "dialogym/PyDialEnv1-v0", "--env-kwarg", "channel=semantic",
            "--episodes", "2", "--seed", "5", "--out", str(path), "--no-progress"]  # fmt: skip
    assert simulate_main(args) == 0
    return path


def rewritten(corpus: Path, where: Path, **changes: object) -> Path:
    """A copy of ``corpus`` whose every line has ``changes`` (env, env_kwargs...)."""
    lines = [{**json.loads(line), **changes} for line in corpus.read_text().splitlines()]
    where.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return where


def with_evil_module(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "helpers.py").write_text(EVIL)
    return folder


# -- the one check -------------------------------------------------------------------------------


def test_checked_env_takes_dialogym_ids_and_arguments_only() -> None:
    for env_id in ENV_IDS:
        assert checked_env(env_id, {}, "f") == (env_id, {})
    kwargs = {"domain": "laptop", "ser": 0.3, "masks": False, "user": {"patience": [2, 3]},
              "reward": {"turn": -1}, "generator": "llm:smollm2", "encoder": "minilm",
              "channel": "text"}  # fmt: skip
    assert checked_env("dialogym/PyDialEnv3-v0", kwargs, "f") == ("dialogym/PyDialEnv3-v0", kwargs)
    refused = [
        ("this:dialogym/PyDialEnv1-v0", {}, "f: env: 'this:dialogym/PyDialEnv1-v0' is not a dialogym"),
        ("CartPole-v1", {}, "f: env: 'CartPole-v1'"),
        ("dialogym/PyDialEnv1", {}, "f: env:"),  # gymnasium would pick a version
        (["dialogym/PyDialEnv1-v0"], {}, "f: env: list"),
        ("dialogym/PyDialEnv1-v0", [], "f: env_kwargs: expected a mapping"),
        ("dialogym/PyDialEnv1-v0", {"entry_point": "os:system"}, "f: env_kwargs.entry_point: not an argument"),
        ("dialogym/PyDialEnv1-v0", {"ser": True}, "f: env_kwargs.ser: expected int or float, got bool"),
        ("dialogym/PyDialEnv1-v0", {"masks": "no"}, "f: env_kwargs.masks: expected bool"),
        ("dialogym/PyDialEnv1-v0", {"max_turns": 2.5}, "f: env_kwargs.max_turns: expected int"),
        ("dialogym/PyDialEnv1-v0", {"language": "x"}, "f: env_kwargs.language: expected null"),
        ("dialogym/PyDialEnv1-v0", {"domain": "x" * 5000}, "f: env_kwargs.domain: longer than"),
        ("dialogym/PyDialEnv1-v0", {"encoder": "/home/me/model"}, "f: env_kwargs.encoder: '/home/me/model' is not a built-in model"),
        ("dialogym/PyDialEnv1-v0", {"generator": "llm:../x"}, "f: env_kwargs.generator: '../x' is not a built-in"),
    ]  # fmt: skip
    for env_id, env_kwargs, message in refused:
        with pytest.raises(ValueError) as raised:
            checked_env(env_id, env_kwargs, "f")
        assert str(raised.value).startswith(message), str(raised.value)
        assert "\n" not in str(raised.value)
    named = {"encoder": "/home/me/model", "generator": "llm:/home/me/gen"}
    assert checked_env("dialogym/Dialogue-v0", named, "f", named.values())[1] == named


def test_the_argument_kinds_are_the_signatures() -> None:
    kinds = env_argument_kinds()
    assert kinds["domain"] == (str,) and kinds["masks"] == (bool,) and kinds["nbest"] == (int,)
    assert kinds["user"] == (str, dict) and kinds["render_mode"] == (str, type(None))


# -- family 2: a corpus names the world -----------------------------------------------------------


def test_finetune_does_not_import_a_module_a_corpus_names(corpus: Path, tmp_path: Path) -> None:
    folder = with_evil_module(tmp_path / "work")
    bad = rewritten(corpus, folder / "c.jsonl", env="helpers:dialogym/PyDialEnv1-v0")
    result = dialogym("finetune", "--corpus", "c.jsonl", "--out", "p", "--no-progress", cwd=folder)
    one_line_error(result, "c.jsonl line 1", "env", "helpers:dialogym/PyDialEnv1-v0")
    assert not (folder / "IMPORTED").exists()
    with pytest.raises(CommandError, match="line 1: env: 'helpers:"):
        corpus_examples(bad)


def test_improve_does_not_import_a_module_its_corpus_names(corpus: Path, tmp_path: Path) -> None:
    folder = with_evil_module(tmp_path / "work")
    rewritten(corpus, folder / "c.jsonl", env="helpers:dialogym/PyDialEnv1-v0")
    examples = corpus_examples  # improve replays its corpus in its own world, checked per line
    with pytest.raises(CommandError, match="line 1: env: 'helpers:"):
        examples(folder / "c.jsonl", ("dialogym/PyDialEnv1-v0", {"channel": "semantic"}))
    assert not (folder / "IMPORTED").exists()


@pytest.mark.parametrize(
    ("env_kwargs", "field"),
    [
        ({"channel": "semantic", "encoder": "/etc"}, "env_kwargs.encoder"),
        ({"channel": "text", "generator": "llm:/etc"}, "env_kwargs.generator"),
        ({"channel": "semantic", "trust_remote_code": True}, "env_kwargs.trust_remote_code"),
        ({"channel": "semantic", "ser": "0.1"}, "env_kwargs.ser"),
    ],
)
def test_a_corpus_cannot_name_model_folders_or_unknown_arguments(
    corpus: Path, tmp_path: Path, env_kwargs: dict[str, object], field: str
) -> None:
    bad = rewritten(corpus, tmp_path / "c.jsonl", env_kwargs=env_kwargs)
    with pytest.raises(CommandError, match=rf"--corpus: {bad} line 1: {field}"):
        corpus_examples(bad)


def test_warm_start_refuses_a_corpus_naming_a_model_folder(corpus: Path, tmp_path: Path) -> None:
    from dialogym.agents.warm_start import check_same_world

    with pytest.raises(ValueError, match="c line 1: env_kwargs.encoder"):
        check_same_world("dialogym/PyDialEnv1-v0", {}, "dialogym/PyDialEnv1-v0",
                         {"encoder": "/etc"}, "c line 1")  # fmt: skip
    check_same_world("dialogym/PyDialEnv1-v0", {"encoder": "/m"}, "dialogym/PyDialEnv1-v0",
                     {"encoder": "/m"}, "c line 1")  # the training env's own model: compared  # fmt: skip


def test_our_corpora_keep_loading(corpus: Path) -> None:
    examples, dialogues, decisions = corpus_examples(corpus)
    assert dialogues == 2 and 0 < len(examples) <= decisions


def test_bad_belief_values_are_one_line_errors(corpus: Path, tmp_path: Path) -> None:
    line = json.loads(corpus.read_text().splitlines()[0])
    for bad in (
        {"food": 5},
        {"food": ["thai", "high"]},
        {"food": ["thai"]},
        {"food": ["thai", None]},
    ):
        line["transcript"][1]["belief"] = bad
        (tmp_path / "c.jsonl").write_text(json.dumps(line) + "\n")
        with pytest.raises(CommandError, match=r"c.jsonl line 1: turn 1: belief 'food'"):
            corpus_examples(tmp_path / "c.jsonl")


# -- family 4: configs name the env ---------------------------------------------------------------


def test_train_config_cannot_import_a_module(tmp_path: Path) -> None:
    folder = with_evil_module(tmp_path / "work")
    (folder / "c.yaml").write_text(yaml.safe_dump({"env": "helpers:dialogym/PyDialEnv1-v0"}))
    result = dialogym(
        "train", "--config", "c.yaml", "--out", "run", "--no-progress", *TINY, cwd=folder
    )
    one_line_error(result, "c.yaml: env:", "helpers:")
    assert not (folder / "IMPORTED").exists()
    (folder / "c.yaml").write_text(yaml.safe_dump({"env_kwargs": {"encoder": "/etc"}}))
    result = dialogym(
        "train", "--config", "c.yaml", "--out", "run", "--no-progress", *TINY, cwd=folder
    )
    one_line_error(result, "c.yaml: env_kwargs.encoder")


def test_a_resumed_runs_config_cannot_import_a_module(tmp_path: Path) -> None:
    folder = with_evil_module(tmp_path / "work")
    run = folder / "run"
    first = dialogym("train", "--out", "run", "--no-progress", *TINY, cwd=folder)
    assert first.returncode == 0, first.stderr
    (run / "metrics.json").unlink()
    config = yaml.safe_load((run / "config.yaml").read_text())
    (run / "config.yaml").write_text(
        yaml.safe_dump({**config, "env": "helpers:dialogym/PyDialEnv1-v0"})
    )
    one_line_error(dialogym("train", "--resume", "run", cwd=folder), "config.yaml: env:")
    (run / "config.yaml").write_text(yaml.safe_dump({**config, "env_kwargs": {"encoder": "/m"}}))
    one_line_error(
        dialogym("train", "--resume", "run", cwd=folder),
        "env_kwargs.encoder",
        "--env-kwarg encoder=/m",
    )
    assert not (folder / "IMPORTED").exists()
    (run / "config.yaml").write_text(yaml.safe_dump(config))  # as written: resumes, no flag
    again = dialogym("train", "--resume", "run", "--no-progress", cwd=folder)
    assert again.returncode == 0, again.stderr


def test_a_resumed_improve_json_cannot_import_a_module(tmp_path: Path) -> None:
    folder = with_evil_module(tmp_path / "work")
    (folder / "run").mkdir()
    config = {"env": "helpers:dialogym/PyDialEnv1-v0", "env_kwargs": {}, "start": "smollm2",
              "rounds": 1, "dialogues": 1}  # fmt: skip
    (folder / "run" / "improve.json").write_text(json.dumps(config))
    one_line_error(dialogym("improve", "--resume", "run", cwd=folder), "improve.json: env:")
    (folder / "run" / "improve.json").write_text(json.dumps({**config, "env": "dialogym/PyDialEnv1-v0", "finetune": {"x": 1}}))  # fmt: skip
    one_line_error(dialogym("improve", "--resume", "run", cwd=folder), "improve.json", "finetune")
    assert not (folder / "IMPORTED").exists()


# -- family 8: corpora are streamed ---------------------------------------------------------------


def test_improve_refuses_a_huge_corpus_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "big.jsonl"
    with big.open("wb") as stream:  # 3 GB, sparse: no disk used
        stream.truncate(3 * 1024**3)
    (tmp_path / "start").mkdir()
    result = dialogym(
        "improve", "--env", "dialogym/PyDialEnv1-v0", "--env-kwarg", "channel=semantic",
        "--start", "start", "--corpus", "big.jsonl", "--out", "run",
        cwd=tmp_path, limit_bytes=2 * 1024**3,
    )  # fmt: skip
    one_line_error(result, "--corpus", "big.jsonl", "bytes")
    assert not (tmp_path / "run" / "corpus.jsonl").exists()


def test_a_corpus_line_without_end_is_refused_after_a_bounded_read(tmp_path: Path) -> None:
    from dialogym.agents.warm_start import CorpusLimits, corpus_lines

    endless = tmp_path / "c.jsonl"
    endless.write_bytes(b"{" + b" " * 5000)
    with pytest.raises(ValueError, match="c.jsonl line 1: longer than 1000 bytes"):
        list(corpus_lines(endless, CorpusLimits(max_line_bytes=1000)))


def test_improve_copies_the_start_corpus_line_by_line(corpus: Path, tmp_path: Path) -> None:
    from dialogym.improve import _copy_corpus

    shutil.copy(corpus, tmp_path / "start.jsonl")
    _copy_corpus(tmp_path / "start.jsonl", tmp_path / "run.jsonl", added=['{"episode": 9}'])
    lines = (tmp_path / "run.jsonl").read_text().splitlines()
    assert lines == [*corpus.read_text().splitlines(), '{"episode": 9}']
    _copy_corpus(tmp_path / "run.jsonl", tmp_path / "run.jsonl", dialogues=1)
    assert (tmp_path / "run.jsonl").read_text().splitlines() == lines[:1]
