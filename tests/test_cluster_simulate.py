"""``dialogym simulate --ray``: the corpus the shards of a Ray cluster play is the file one process
writes, byte for byte; without Ray, one line naming the extra; without ``--ray``, Ray is never
imported."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dialogym.simulate import main, shard_ranges

RAY_ABSENT = "Ray is an optional extra (pip install 'dialogym[ray]')"
SEMANTIC = [
    "--env", "dialogym/PyDialEnv3-v0", "--env-kwarg", "channel=semantic",
    "--env-kwarg", "domain=restaurant",
]  # fmt: skip


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """One small local Ray instance for the module (``simulate --ray`` joins it, leaves it on)."""
    ray = pytest.importorskip("ray", reason=RAY_ABSENT)
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    yield
    ray.shutdown()


def simulate_twice(tmp_path: Path, arguments: list[str]) -> tuple[bytes, bytes]:
    """The corpus of ``arguments`` written by this process, and by Ray's shards."""
    alone, shards = tmp_path / "alone.jsonl", tmp_path / "shards.jsonl"
    assert main([*arguments, "--no-progress", "--out", str(alone)]) == 0
    assert main([*arguments, "--no-progress", "--ray", "--out", str(shards)]) == 0
    return alone.read_bytes(), shards.read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize(
    "more",
    [["--policy", "handcrafted"], ["--policy", "random", "--seed", "7", "--num-envs", "4"]],
    ids=["handcrafted", "random"],
)
def test_the_shards_write_the_file_one_process_writes(
    local_ray: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], more: list[str]
) -> None:
    alone, shards = simulate_twice(tmp_path, [*SEMANTIC, "--episodes", "300", *more])
    assert shards == alone and alone.count(b"\n") == 300
    closing = capsys.readouterr().out
    assert "Ray: 1 node(s) ran the work" in closing and ": 6 (100%)" in closing  # 6 shards of 50


@pytest.mark.slow
@pytest.mark.parametrize("corpus_format", ["unified", "dialogym"])
def test_multiwoz_corpora_are_the_same_in_either_format(
    local_ray: None, tmp_path: Path, corpus_format: str
) -> None:
    arguments = ["--env", "dialogym/MultiWOZ-v0", "--episodes", "120", "--format", corpus_format]
    alone, shards = simulate_twice(tmp_path, arguments)
    assert shards == alone and alone.count(b"\n") == 120


@pytest.mark.slow
def test_an_error_in_a_shard_is_one_line(
    local_ray: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "c.jsonl"
    arguments = ["--env", "dialogym/MultiWOZ-v0", "--policy", "greedy", "--episodes", "60"]
    assert main([*arguments, "--no-progress", "--ray", "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--policy: greedy" in error and not out.exists()


@pytest.mark.parametrize(("episodes", "workers"), [(1, 1), (49, 8), (300, 2), (100_001, 3)])
def test_shards_cover_the_corpus_in_order(episodes: int, workers: int) -> None:
    shards = shard_ranges(episodes, workers)
    assert [number for shard in shards for number in shard] == list(range(episodes))
    assert all(len(shard) <= 2000 for shard in shards)


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (this one's environment)."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )


@pytest.mark.parametrize("address", [[], ["auto"]], ids=["local", "address"])
def test_without_ray_one_line_names_the_extra(tmp_path: Path, address: list[str]) -> None:
    out = tmp_path / "c.jsonl"
    argv = ["simulate", *SEMANTIC, "--episodes", "2", "--ray", *address, "--out", str(out)]
    done = run_python(
        "import sys; sys.modules['ray'] = None\n"  # as if Ray were not installed
        f"from dialogym.cli import main; sys.exit(main({argv!r}))"
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "dialogym[ray]" in done.stderr
    assert done.stderr.startswith("dialogym simulate: error: --ray: Ray is not installed")
    assert not out.exists()


def test_plain_simulate_does_not_import_ray(tmp_path: Path) -> None:
    argv = [*SEMANTIC, "--episodes", "3", "--no-progress", "--out", str(tmp_path / "c.jsonl")]
    done = run_python(
        f"import sys; from dialogym.simulate import main; assert main({argv!r}) == 0\n"
        "assert 'ray' not in sys.modules, 'simulate imported Ray'"
    )
    assert done.returncode == 0, done.stderr
