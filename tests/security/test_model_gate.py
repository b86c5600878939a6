"""One gate for every SB3 zip: every entry of ``data`` checked, the work it sizes bounded.

Issue 17, families 1 (a plain ``env`` entry made SB3 import a module), 5 (plain settings sized
the work before any check: a wide ``net_arch``, ``n_steps=10**9``, ``n_epochs=10**9`` in a
checkpoint, a ``predict`` entry shadowing the method) and 6 (deflate bombs in the ``.pth``
members, torch's own zip archives).
"""

from __future__ import annotations

import io
import json
import shutil
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from dialogym.agents import AgentPolicy, load_agent
from dialogym.cli import make_env
from dialogym.train import main as train_main
from tests.security.test_models import ENV, rewrite, tiny_run


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A MaskablePPO run folder written by ``dialogym train``."""
    run_dir = tmp_path_factory.mktemp("run")
    tiny_run("maskable_ppo", run_dir)
    return run_dir


def with_data(source: Path, target: Path, **changes: Any) -> Path:
    """A copy of the zip ``source`` with entries of its data changed (None: removed)."""
    data = json.loads(zipfile.ZipFile(source).read("data"))
    data.update(changes)
    return rewrite(source, target, {key: value for key, value in data.items() if value is not None})


def test_a_stored_env_is_never_made(
    saved: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``env: "module:id"`` made SB3 call ``gym.make``, which imports the module."""
    module = f"gate_probe_{tmp_path.name.replace('-', '_')}"
    marker = tmp_path / "pwned"
    (tmp_path / f"{module}.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(__import__("sys").modules, module, raising=False)
    evil = with_data(saved / "model.zip", tmp_path / "evil.zip", env=f"{module}:{ENV}")
    with pytest.raises(
        ValueError, match=r"evil.zip: its entry 'env' is not a setting.*--trust-model"
    ):
        AgentPolicy.load(evil)
    assert not marker.exists()


def test_an_entry_that_is_not_a_setting_is_refused(saved: Path, tmp_path: Path) -> None:
    """A plain ``predict`` entry would replace the agent's method."""
    evil = with_data(saved / "model.zip", tmp_path / "evil.zip", predict="shadowed")
    with pytest.raises(ValueError, match=r"its entry 'predict' is not a setting SB3 saves for"):
        AgentPolicy.load(evil, env=make_env(ENV, {}))


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"n_steps": "8"}, r"its n_steps must be an integer, not '8'"),
        ({"gamma": 2.0}, r"its gamma must be within \[0, 1\], not 2.0"),
        ({"seed": -1}, r"its seed must be within"),
        ({"rollout_buffer_kwargs": {"device": "cuda"}}, r"its rollout_buffer_kwargs must be \{\}"),
        ({"policy_kwargs": {"net_arch": [64], "features_dim": 3}}, r"'features_dim' is not an"),
        ({"policy_kwargs": {"optimizer_kwargs": {"x": {"y": 1}}}}, r"'optimizer_kwargs' must"),
        ({"observation_space": None}, r"its data has no observation_space"),
    ],
    ids=["type", "range", "seed", "buffer-kwargs", "policy-argument", "nested-kwargs", "missing"],
)
def test_every_plain_entry_is_checked(
    saved: Path, tmp_path: Path, changes: dict[str, Any], needle: str
) -> None:
    bad = with_data(saved / "model.zip", tmp_path / "bad.zip", **changes)
    with pytest.raises(ValueError, match=needle) as raised:
        AgentPolicy.load(bad, env=make_env(ENV, {}))
    assert str(raised.value).startswith(f"{bad}: ") and "\n" not in str(raised.value)


def test_a_stored_tensorboard_folder_is_not_used(saved: Path, tmp_path: Path) -> None:
    other = with_data(saved / "model.zip", tmp_path / "other.zip", tensorboard_log=str(tmp_path))
    assert AgentPolicy.load(other, env=make_env(ENV, {})).model.tensorboard_log is None


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        (
            {"policy_kwargs": {"net_arch": [4200, 4200]}},
            r"its policy_kwargs net_arch \[4200, 4200\] makes a policy",
        ),
        ({"n_steps": 10**9}, r"its n_steps 1000000000 makes a buffer of 2e\+09 rows"),
        ({"n_epochs": 10**5}, r"its n_epochs 100000 makes one update 1e\+05 gradient steps"),
        ({"batch_size": 1, "n_epochs": 10**4}, r"its n_epochs 10000 makes one update"),
    ],
    ids=["wide-net", "n-steps", "n-epochs", "tiny-minibatches"],
)
def test_settings_that_size_the_work_are_refused_before_anything_is_built(
    saved: Path, tmp_path: Path, changes: dict[str, Any], needle: str
) -> None:
    big = with_data(saved / "checkpoint.zip", tmp_path / "big.zip", **changes)
    began = time.perf_counter()
    for env in (None, make_env(ENV, {})):  # no env: the stored n_envs sizes the buffer
        with pytest.raises(ValueError, match=f"big.zip: {needle}.*--trust-model"):
            AgentPolicy.load(big, env=env)
    assert time.perf_counter() - began < 10


def test_resume_of_a_checkpoint_that_would_train_forever_is_one_line(
    saved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = tmp_path / "run"
    shutil.copytree(saved, run_dir)
    (run_dir / "model.zip").unlink()
    (run_dir / "metrics.json").unlink()
    checkpoint = run_dir / "checkpoint.zip"
    with_data(checkpoint, checkpoint, n_epochs=10**9)
    with pytest.raises(ValueError, match="n_epochs 1000000000 makes one update"):
        load_agent(checkpoint)
    assert train_main(["--resume", str(run_dir), "--no-progress"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dialogym train: error: --resume:"), lines
    assert "checkpoint.zip: its n_epochs 1000000000" in lines[0]


def test_trust_loads_what_sb3_loads(saved: Path, tmp_path: Path) -> None:
    """Settings past the gate's bounds are SB3's to take when the user trusts the file."""
    big = with_data(saved / "checkpoint.zip", tmp_path / "big.zip", n_epochs=10**5)
    with pytest.raises(ValueError, match="n_epochs"):
        AgentPolicy.load(big)
    assert AgentPolicy.load(big, trust=True).model.n_epochs == 10**5


def deflated(tensor_file: bytes) -> bytes:
    """The torch archive ``tensor_file`` with its records deflated (as a bomb's are)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(tensor_file)) as inner,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for record in inner.infolist():
            archive.writestr(record.filename, inner.read(record))
    return out.getvalue()


def test_a_compressed_record_inside_a_tensor_file_is_refused_before_torch_reads_it(
    saved: Path, tmp_path: Path
) -> None:
    """torch inflates a deflated record to its declared size: 3 MB became 3.2 GB."""
    model = saved / "model.zip"
    bomb = deflated(zipfile.ZipFile(model).read("policy.pth"))
    evil = rewrite(model, tmp_path / "evil.zip", members={"policy.pth": bomb})
    with pytest.raises(ValueError, match=r"policy.pth: its record '.*' is compressed"):
        AgentPolicy.load(evil, env=make_env(ENV, {}))


def test_a_tensor_file_sb3_does_not_write_is_refused(saved: Path, tmp_path: Path) -> None:
    model = saved / "model.zip"
    extra = {"policy.q_net.pth": zipfile.ZipFile(model).read("policy.pth")}
    evil = rewrite(model, tmp_path / "evil.zip", members=extra)
    with pytest.raises(ValueError, match="its member 'policy.q_net.pth' is not one of the tensor"):
        AgentPolicy.load(evil, env=make_env(ENV, {}))


def test_stored_variables_are_refused(saved: Path, tmp_path: Path) -> None:
    """SB3 sets each stored variable on the agent by the name the file gives."""
    import torch

    buffer = io.BytesIO()
    torch.save({"policy.action_net.weight": torch.zeros(1)}, buffer)
    members = {"pytorch_variables.pth": buffer.getvalue()}
    evil = rewrite(saved / "model.zip", tmp_path / "evil.zip", members=members)
    with pytest.raises(ValueError, match="pytorch_variables.pth holds variables"):
        AgentPolicy.load(evil, env=make_env(ENV, {}))


def test_a_dqn_replay_buffer_and_its_gradient_steps_are_bounded(tmp_path: Path) -> None:
    tiny_run("dqn", tmp_path)
    model = tmp_path / "model.zip"
    env = make_env(ENV, {})
    for changes, needle in (
        ({"buffer_size": 10**8}, r"its buffer_size 100000000 makes a buffer of 1e\+08 rows"),
        ({"gradient_steps": 10**6}, r"its gradient_steps 1000000 makes one update 1e\+06"),
        ({"exploration_rate": 2}, r"its exploration_rate must be within \[0, 1\]"),
    ):
        big = with_data(model, tmp_path / "big.zip", **changes)
        with pytest.raises(ValueError, match=needle):
            AgentPolicy.load(big, env=env)
    assert AgentPolicy.load(model, env=env).algorithm.name == "dqn"
