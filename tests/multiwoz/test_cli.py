"""The MultiWOZ ids on the command line: evaluate, simulate, train (and --resume), benchmark
--suite multiwoz, and the one-line errors of what does not play there."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import yaml

from dialogym.agents import TrainConfig
from dialogym.benchmark import main as benchmark_main
from dialogym.envs.multiwoz_corpus import load_unified_dialogues
from dialogym.evaluate import main as evaluate_main
from dialogym.simulate import main as simulate_main
from dialogym.train import main as train_main
from dialogym.train import train

ENV = ["--env", "dialogym/MultiWOZ-v0", "--no-progress"]
TINY = ["--dialogues", "40", "--n-envs", "2", "--algo-kwarg", "n_steps=16", "--algo-kwarg",
        "batch_size=32", "--eval-every", "20", "--eval-episodes", "4", "--test-episodes", "6"]  # fmt: skip
CONVLAB = ("complete_rate", "book_rate", "inform_precision", "inform_recall", "inform_f1")

Main = Callable[[Sequence[str]], int]


def one_line_error(main: Main, args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run a command that must fail: exit 2, one line on stderr, no traceback."""
    assert main(args) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "error:" in lines[0], lines
    return lines[0]


# -- evaluate and simulate ------------------------------------------------------------------------


def test_evaluate_prints_convlabs_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "m.json"
    args = [*ENV, "--policy", "handcrafted", "--episodes", "30", "--seed", "4"]
    assert evaluate_main([*args, "--json", str(report)]) == 0
    out = capsys.readouterr().out
    assert "| complete | book rate | inform P | inform R | inform F1 | turns | return |" in out
    assert "| handcrafted | dialogym/MultiWOZ-v0 | 30 |" in out
    first = json.loads(report.read_text())
    assert set(CONVLAB) <= first.keys() and first["success_rate"] > 0.3
    assert evaluate_main([*args, "--json", str(report), "--num-envs", "4"]) == 0
    assert json.loads(report.read_text()) == first  # same seed, same figures; one at a time


def test_evaluate_shows_a_dialogue_turn_by_turn(capsys: pytest.CaptureFixture[str]) -> None:
    assert evaluate_main([*ENV, "--policy", "random", "--episodes", "2", "--show", "1"]) == 0
    out = capsys.readouterr().out
    assert out.count("goal: ") == 1 and "[ 0] USR: " in out and "[ 1] SYS (" in out


def test_simulate_writes_the_same_corpus_for_the_same_seed(tmp_path: Path) -> None:
    first, second, transcripts = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "t.jsonl"
    args = [*ENV, "--policy", "handcrafted", "--episodes", "8", "--seed", "9"]
    assert simulate_main([*args, "--out", str(first)]) == 0
    assert simulate_main([*args, "--out", str(second), "--num-envs", "3"]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert evaluate_main([*args, "--transcripts", str(transcripts)]) == 0
    assert transcripts.read_bytes() == first.read_bytes()  # one dialogue format
    lines = [json.loads(line) for line in first.read_text().splitlines()]
    assert [line["episode"] for line in lines] == list(range(8))
    assert [line["seed"] for line in lines] == list(range(9, 17))
    line = lines[0]
    assert line["env"] == "dialogym/MultiWOZ-v0" and line["env_kwargs"] == {}  # no channel
    assert line["goal"]["domain_ordering"] and all(
        domain in line["goal"] for domain in line["goal"]["domain_ordering"]
    )
    assert set(CONVLAB[1:]) | {"success", "complete", "turns", "return", "capped"} <= line.keys()
    opening, *turns = line["transcript"]
    assert opening["action"] == "start" and opening["system_acts"] == []
    assert len(turns) == line["turns"] and all(turn["action"] is None for turn in turns)
    for turn in line["transcript"]:
        for act in turn["system_acts"] + turn["user_acts"]:
            assert len(act) == 4 and all(isinstance(part, str) for part in act)
    assert opening["belief"]  # the user's first words, in the system's belief
    assert sum(turn["reward"] for turn in turns) == line["return"]


def test_simulate_with_random_records_the_summary_actions(tmp_path: Path) -> None:
    corpus = tmp_path / "r.jsonl"
    assert simulate_main([*ENV, "--policy", "random", "--episodes", "2", "--out", str(corpus)]) == 0
    turns = json.loads(corpus.read_text().splitlines()[0])["transcript"][1:]
    assert all(turn["action"] and turn["system_acts"] for turn in turns)


def test_simulate_in_convlabs_unified_format_reads_back_to_the_same_acts(tmp_path: Path) -> None:
    ours, unified = tmp_path / "d.jsonl", tmp_path / "u.jsonl"
    args = [*ENV, "--policy", "handcrafted", "--episodes", "6", "--seed", "3"]
    assert simulate_main([*args, "--out", str(ours)]) == 0
    assert simulate_main([*args, "--out", str(unified), "--format", "unified"]) == 0
    assert simulate_main([*args, "--out", str(unified), "--format", "unified"]) == 0  # ours again
    read = load_unified_dialogues(unified)
    lines = [json.loads(line) for line in ours.read_text().splitlines()]
    assert len(read) == len(lines) == 6
    for dialogue, line in zip(read, lines, strict=True):
        said = [tuple(act) for act in line["transcript"][0]["user_acts"]]
        assert list(dialogue.turns[0].acts) == said and dialogue.turns[0].speaker == "user"
        for number, turn in enumerate(line["transcript"][1:]):
            system, user = dialogue.turns[1 + 2 * number], dialogue.turns[2 + 2 * number]
            assert system.speaker == "system" and user.speaker == "user"
            assert list(system.acts) == [tuple(act) for act in turn["system_acts"]]
            assert list(user.acts) == [tuple(act) for act in turn["user_acts"]]
        assert dialogue.goal.to_convlab() == {
            **line["goal"],
            "domain_ordering": tuple(line["goal"]["domain_ordering"]),
        }


# -- what does not play there: one line -------------------------------------------------------------


@pytest.mark.parametrize(
    ("main", "args", "needle"),
    [
        (evaluate_main, [*ENV, "--policy", "greedy"], "--policy: greedy (PyDial's three-rule trick) plays the PyDial world only"),
        (evaluate_main, [*ENV, "--policy", "llm"], "--policy: llm (the LLM policy)"),
        (evaluate_main, [*ENV, "--env-kwarg", "foo=1"], "--env-kwarg: dialogym/MultiWOZ-v0 takes no argument 'foo'"),
        (evaluate_main, [*ENV, "--env-kwarg", "domain=laptop"], "takes no argument 'domain'"),
        (evaluate_main, [*ENV, "--env-kwarg", "user=nice"], "user: expected one of convlab, fixed"),
        (simulate_main, [*ENV, "--policy", "greedy", "--out", "x.jsonl"], "--policy: greedy"),
        (simulate_main, ["--env", "dialogym/PyDialEnv1-v0", "--format", "unified", "--out", "x.jsonl"], "--format unified: ConvLab-3's unified format holds MultiWOZ dialogues"),
        (evaluate_main, [*ENV, "--policy", "random", "--env-kwarg", "actions=atomic"], "--policy: random picks among the summary actions"),
        (train_main, [*ENV, "--algo", "structured_ppo"], "algo: structured_ppo needs the env argument layout='slots'"),
        (train_main, [*ENV, "--algo", "ppo", "--env-kwarg", "foo=1"], "takes no argument 'foo'"),
        (benchmark_main, ["--suite", "multiwoz", "--domain", "laptop"], "--domain: the multiwoz suite's tasks take no domain"),
        (benchmark_main, ["--suite", "multiwoz", "--policy", "structured_ppo"], "--policy: algo: structured_ppo needs"),
        (benchmark_main, ["--suite", "multiwoz", "--policy", "greedy"], "--policy: greedy"),
        (benchmark_main, ["--suite", "multiwoz", "--task", "env1"], "--task: none of ['env1']"),
    ],
)  # fmt: skip
def test_what_does_not_play_the_multiwoz_world_is_one_line(
    main: Main, args: list[str], needle: str, capsys: pytest.CaptureFixture[str],
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)  # nothing is written here either
    assert needle in one_line_error(main, args, capsys)
    assert list(tmp_path.iterdir()) == []


def test_warm_start_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "c.jsonl"
    assert simulate_main([*ENV, "--episodes", "2", "--out", str(corpus)]) == 0
    capsys.readouterr()
    args = [*ENV, "--algo", "ppo", "--warm-start", str(corpus), "--out", str(tmp_path / "run")]
    assert "--warm-start: corpora are replayed in the PyDial world only" in one_line_error(
        train_main, args, capsys
    )
    assert not (tmp_path / "run").exists()


# -- train and benchmark --------------------------------------------------------------------------


@pytest.mark.slow
def test_a_short_training_run_writes_its_files_and_convlabs_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    args = [*ENV, "--algo", "maskable_ppo", "--dialogues", "300", "--eval-every", "150",
            "--eval-episodes", "10", "--test-episodes", "20", "--out", str(out)]  # fmt: skip
    assert train_main(args) == 0
    for name in ("config.yaml", "evaluations.json", "evaluations.csv", "checkpoint.zip",
                 "checkpoint.json", "model.zip", "metrics.json", "curves.png"):  # fmt: skip
        assert (out / name).is_file(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["env"] == "dialogym/MultiWOZ-v0" and metrics["dialogues"] >= 300
    assert metrics["episodes"] == 20 and set(CONVLAB) <= metrics.keys()
    header = (out / "evaluations.csv").read_text().splitlines()[0].split(",")
    assert header[:6] == ["dialogues", "timesteps", "train_seconds", "success_rate",
                          "avg_return", "avg_turns"] and set(CONVLAB) <= set(header)  # fmt: skip
    capsys.readouterr()
    assert evaluate_main([*ENV, "--policy", str(out / "model.zip"), "--episodes", "5"]) == 0
    assert "| complete | book rate |" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.parametrize("algo", ["ppo", "a2c", "dqn"])
def test_the_other_algorithms_train_there(algo: str, tmp_path: Path) -> None:
    out = tmp_path / algo
    budget = {"ppo": TINY, "a2c": TINY[:4] + TINY[8:], "dqn": TINY[:2] + TINY[8:]}[algo]
    assert train_main([*ENV, "--algo", algo, *budget, "--out", str(out)]) == 0
    assert json.loads((out / "metrics.json").read_text())["algo"] == algo


@pytest.mark.slow
def test_an_interrupted_run_resumes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    config = TrainConfig(env="dialogym/MultiWOZ-v0", algo="maskable_ppo", dialogues=60, n_envs=2,
                         algo_kwargs={"n_steps": 16, "batch_size": 32}, eval_every=20,
                         eval_episodes=3, test_episodes=5)  # fmt: skip
    logged: list[str] = []

    def stop_at_the_second_test(line: str) -> None:
        logged.append(line)
        if len(logged) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(config, out, progress=False, log=stop_at_the_second_test)
    assert not (out / "metrics.json").exists()
    seen = json.loads((out / "checkpoint.json").read_text())["dialogues"]
    assert 20 <= seen < 60
    assert train_main(["--resume", str(out), "--no-progress"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["dialogues"] >= 60 and set(CONVLAB) <= metrics.keys()
    assert yaml.safe_load((out / "config.yaml").read_text())["env"] == "dialogym/MultiWOZ-v0"


@pytest.mark.slow
def test_benchmark_suite_multiwoz_reports_convlabs_figures_and_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench"
    args = ["--suite", "multiwoz", "--policy", "handcrafted", "--policy", "random", "--policy",
            "ppo", "--seeds", "1", "--dialogues", "40", "--eval-every", "20", "--eval-episodes",
            "3", "--episodes", "6", "--jobs", "2", "--out", str(out), "--no-progress"]  # fmt: skip
    assert benchmark_main(args) == 0
    table = (out / "results.md").read_text()
    assert "### MultiWOZ" in table
    for column in ("success % @40", "return @40", "turns @40", "complete % @40", "book rate @40",
                   "inform P @40", "inform R @40", "inform F1 @40", "success % @20"):  # fmt: skip
        assert column in table, column
    for task in ("MultiWOZ-v0", "MultiWOZ-fixed-v0"):
        for policy in ("handcrafted", "random", "ppo"):
            assert f"| {task} | {policy} |" in table
    header = (out / "results.csv").read_text().splitlines()[0]
    assert "complete_rate_mean" in header and "inform_f1_std" in header
    results = json.loads((out / "results.json").read_text())
    assert len(results["cells"]) == 6 and all(set(CONVLAB) <= c.keys() for c in results["cells"])
    assert (out / "runs" / "MultiWOZ" / "MultiWOZ-v0" / "ppo-s0" / "model.zip").is_file()
    cells = (out / "cells.json").read_bytes()
    assert benchmark_main(args) == 0  # every cell done: nothing runs again
    assert (out / "cells.json").read_bytes() == cells
    assert (out / "results.md").read_text() == table


def test_the_default_policies_of_the_multiwoz_suite() -> None:
    from dialogym.benchmark import default_policies

    assert default_policies("multiwoz", "dialogym/MultiWOZ-v0") == [
        "handcrafted", "random", "maskable_ppo", "ppo", "a2c", "dqn"
    ]  # fmt: skip
    assert default_policies("pydial", "dialogym/PyDialEnv1-v0")[:3] == [
        "handcrafted", "greedy", "random"
    ]  # fmt: skip
