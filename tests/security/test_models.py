"""Model zips are data, not programs: nothing in one is unpickled unless the user trusts it.

Issue 9, defect 1 (a model zip ran code on load) and the model files of defect 9 (a garbage
``policy.pth`` or a ``data`` that is a JSON list gave tracebacks).
"""

from __future__ import annotations

import base64
import io
import json
import pickle
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from dialogym.agents import AgentPolicy, TrainConfig
from dialogym.benchmark import main as benchmark_main
from dialogym.cli import make_env
from dialogym.evaluate import main as evaluate_main
from dialogym.train import main as train_main
from dialogym.train import train

ENV = TrainConfig().env
SETTINGS: dict[str, dict[str, Any]] = {
    "maskable_ppo": {"n_envs": 2, "algo_kwargs": {"n_steps": 8, "batch_size": 16}},
    "ppo": {"n_envs": 2, "algo_kwargs": {"n_steps": 8, "batch_size": 16}},
    "a2c": {"n_envs": 2, "algo_kwargs": {"n_steps": 8}},
    "dqn": {"n_envs": 1, "algo_kwargs": {"learning_starts": 20}},
}


class Marker:
    """Pickles to a call of ``open(path, "w")``: unpickling it creates ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return open, (str(self.path), "w")


def tiny_run(algo: str, run_dir: Path, dialogues: int = 8) -> TrainConfig:
    config = TrainConfig(algo=algo, dialogues=dialogues, eval_every=4, eval_episodes=2,
                         test_episodes=2, **SETTINGS[algo])  # fmt: skip
    train(config, run_dir, progress=False)
    return config


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A MaskablePPO ``model.zip`` written by ``dialogym train``."""
    run_dir = tmp_path_factory.mktemp("run")
    tiny_run("maskable_ppo", run_dir)
    return run_dir / "model.zip"


def rewrite(
    source: Path, target: Path, data: Any = None, members: dict[str, bytes] | None = None
) -> Path:
    """A copy of the zip ``source`` with ``data`` (as JSON) and ``members`` replaced."""
    with zipfile.ZipFile(source) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    if data is not None:
        contents["data"] = json.dumps(data).encode()
    contents.update(members or {})
    with zipfile.ZipFile(target, "w") as archive:
        for name, content in contents.items():
            archive.writestr(name, content)
    return target


def poisoned(source: Path, target: Path, key: str, marker: Path, **fields: str) -> Path:
    """``source`` with the entry ``key`` of its data a pickle that creates ``marker``.

    The entry keeps its stored fields (``fields`` replace some), as a forger would.
    """
    data = json.loads(zipfile.ZipFile(source).read("data"))
    blob = base64.b64encode(pickle.dumps(Marker(marker))).decode()
    entry = data.get(key) if isinstance(data.get(key), dict) else {}
    data[key] = {**entry, ":type:": "<class 'object'>", ":serialized:": blob, **fields}
    return rewrite(source, target, data)


def evaluate(policy: Path, *flags: str) -> int:
    return evaluate_main(["--env", ENV, "--policy", str(policy), "--episodes", "2",
                          "--no-progress", *flags])  # fmt: skip


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("dialogym evaluate: error:")
    return lines[0]


def test_a_poisoned_schedule_is_rebuilt_not_run(
    saved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "pwned"
    evil = poisoned(saved, tmp_path / "evil.zip", "lr_schedule", marker)
    assert evaluate(evil) == 0  # the schedule is rebuilt from the stored learning rate
    assert "success" in capsys.readouterr().out
    assert not marker.exists()
    # The test is real: SB3's own load (what --trust-model asks for) runs the pickle.
    assert evaluate(evil, "--trust-model") == 0
    assert marker.exists()


def test_an_entry_that_needs_unpickling_is_refused_in_one_line(
    saved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "pwned"
    evil = poisoned(saved, tmp_path / "evil.zip", "custom_thing", marker)
    assert evaluate(evil) == 2
    line = one_error_line(capsys)
    assert str(evil) in line and "'custom_thing'" in line and "--trust-model" in line
    assert not marker.exists()
    with pytest.raises(ValueError, match="custom_thing"):
        AgentPolicy.load(evil)
    assert not marker.exists()


def test_a_poisoned_entry_naming_the_expected_class_is_rebuilt(saved: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    evil = poisoned(saved, tmp_path / "evil.zip", "policy_class", marker)
    assert AgentPolicy.load(evil).algorithm.name == "maskable_ppo"
    assert not marker.exists()


@pytest.mark.parametrize(
    ("key", "fields", "needle"),
    [
        ("policy_class", {"__module__": "evil.policies"}, "policy class"),
        ("observation_space", {}, "observations space"),
        (
            "policy_kwargs",
            {"activation_fn": "<class 'os.system'>"},
            "policy_kwargs 'activation_fn'",
        ),
    ],
)
def test_a_poisoned_class_space_or_argument_is_refused(
    saved: Path, tmp_path: Path, key: str, fields: dict[str, str], needle: str
) -> None:
    marker = tmp_path / "pwned"
    evil = poisoned(saved, tmp_path / "evil.zip", key, marker, **fields)
    with pytest.raises(ValueError, match=f"{needle}.*--trust-model"):
        AgentPolicy.load(evil)
    assert not marker.exists()


def test_stored_spaces_must_fit_the_env(saved: Path, tmp_path: Path) -> None:
    data = json.loads(zipfile.ZipFile(saved).read("data"))
    data["action_space"]["n"] = "99"
    other = rewrite(saved, tmp_path / "other.zip", data)
    with pytest.raises(ValueError, match=r"trained on actions Discrete\(99.*another domain"):
        AgentPolicy.load(other, env=make_env(ENV, {}))


@pytest.mark.parametrize(
    ("members", "data", "needle"),
    [
        ({"policy.pth": b"garbage"}, None, "policy.pth is not a plain tensor file"),
        ({}, [1, 2, 3], "its data is JSON list"),
        ({"data": b"{not json"}, None, "not a saved agent"),
    ],
    ids=["garbage-pth", "data-list", "data-not-json"],
)
def test_a_broken_zip_is_a_one_line_error(
    saved: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    members: dict[str, bytes],
    data: Any,
    needle: str,
) -> None:
    broken = rewrite(saved, tmp_path / "broken.zip", data, members)
    assert evaluate(broken) == 2
    line = one_error_line(capsys)
    assert str(broken) in line and needle in line


def test_a_pickle_inside_a_tensor_file_is_not_run(saved: Path, tmp_path: Path) -> None:
    import torch

    marker = tmp_path / "pwned"
    buffer = io.BytesIO()
    torch.save({"weights": Marker(marker)}, buffer)
    evil = rewrite(saved, tmp_path / "evil.zip", members={"policy.pth": buffer.getvalue()})
    with pytest.raises(ValueError, match="policy.pth is not a plain tensor file"):
        AgentPolicy.load(evil)
    assert not marker.exists()


@pytest.mark.parametrize("algo", sorted(SETTINGS))
def test_our_own_models_load_and_resume_without_trust(algo: str, tmp_path: Path) -> None:
    config = tiny_run(algo, tmp_path)
    env = make_env(ENV, {})
    for name in ("model.zip", "checkpoint.zip"):
        safe = AgentPolicy.load(tmp_path / name, env=env)
        trusted = AgentPolicy.load(tmp_path / name, env=env, trust=True)
        assert safe.algorithm.name == algo
        for (key, mine), theirs in zip(
            safe.model.policy.state_dict().items(),
            trusted.model.policy.state_dict().values(),
            strict=True,
        ):
            assert mine.equal(theirs), key
        assert safe.model.policy.optimizer.state_dict()["state"].keys() == (
            trusted.model.policy.optimizer.state_dict()["state"].keys()
        )
    (tmp_path / "model.zip").unlink()
    longer = TrainConfig(**{**config.to_dict(), "dialogues": 12})
    metrics = train(longer, tmp_path, resume=True, progress=False)
    assert metrics["dialogues"] >= 12


def test_resume_of_a_poisoned_checkpoint_is_refused(
    saved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "pwned"
    run_dir = tmp_path / "run"
    shutil.copytree(saved.parent, run_dir)
    (run_dir / "model.zip").unlink()
    (run_dir / "metrics.json").unlink()
    poisoned(saved, run_dir / "checkpoint.zip", "custom_thing", marker)
    assert train_main(["--resume", str(run_dir), "--no-progress"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dialogym train: error: --resume:"), lines
    assert "'custom_thing'" in lines[0] and "--trust-model" in lines[0]
    assert not marker.exists()


def test_benchmark_policy_loads_a_poisoned_zip_without_running_it(
    saved: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    evil = poisoned(saved, tmp_path / "evil.zip", "lr_schedule", marker)
    argv = ["--policy", str(evil), "--task", "env1", "--seeds", "1", "--episodes", "2",
            "--out", str(tmp_path / "bench"), "--no-progress"]  # fmt: skip
    assert benchmark_main(argv) == 0
    assert not marker.exists()
