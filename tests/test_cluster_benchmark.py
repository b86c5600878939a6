"""``benchmark --ray`` on a real two-node Ray cluster started on this machine with ``ray start``.

The head and the worker node each get one CPU of their own; the test kills the worker node
(its whole process group) while the benchmark runs, and the benchmark still finishes, with the
results of a run in one process. Skips where Ray is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dialogym.benchmark import without_timing

pytest.importorskip("ray", reason="Ray is not installed (pip install 'dialogym[ray]')")

RAY = str(Path(sys.executable).parent / "ray")
DIALOGYM = [sys.executable, "-m", "dialogym.cli"]
# Small cells: two tasks, a learner and a built-in, three seeds (12 cells of a few seconds).
CELLS = [
    "benchmark", "--task", "env1", "--task", "env3", "--domain", "restaurant",
    "--policy", "handcrafted", "--policy", "maskable_ppo", "--seeds", "3",
    "--dialogues", "200", "--eval-every", "100", "--eval-episodes", "20", "--episodes", "40",
    "--no-progress",
]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ray_env() -> dict[str, str]:
    """The environment of every Ray process here: no token authentication, no usage report."""
    return {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}


def _start_node(*args: str) -> subprocess.Popen[bytes]:
    """``ray start ... --block`` in a session of its own (killing the group kills the node)."""
    return subprocess.Popen(
        [RAY, "start", "--num-cpus", "1", "--block", "--disable-usage-stats", *args],
        env=_ray_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _kill(node: subprocess.Popen[bytes]) -> None:
    """Kill a node's every process (its process group), as a machine that dies would."""
    try:
        os.killpg(node.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    node.wait()


def _alive_nodes(address: str) -> int:
    probe = (
        f"import ray; ray.init(address={address!r}, logging_level='ERROR', log_to_driver=False);"
        " print(sum(node['Alive'] for node in ray.nodes()))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], env=_ray_env(), capture_output=True, text=True, timeout=120
    )
    return int(result.stdout.strip().splitlines()[-1]) if result.returncode == 0 else 0


@pytest.fixture
def two_nodes() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A head and a worker node on this machine, one CPU each: the address and the worker."""
    port = _free_port()
    address = f"127.0.0.1:{port}"
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's socket paths are bounded
    head = _start_node(
        "--head", "--port", str(port), "--temp-dir", temp, "--include-dashboard", "false"
    )
    worker = None
    try:
        deadline = time.monotonic() + 120
        while _alive_nodes(address) < 1:
            assert time.monotonic() < deadline, "the head node did not start"
            time.sleep(1)
        worker = _start_node("--address", address)
        while _alive_nodes(address) < 2:
            assert time.monotonic() < deadline, "the worker node did not join"
            time.sleep(1)
        yield address, worker
    finally:
        for node in (worker, head):
            if node is not None:
                _kill(node)
        shutil.rmtree(temp, ignore_errors=True)


@pytest.mark.slow
def test_a_benchmark_on_two_nodes_survives_the_loss_of_one(
    tmp_path: Path, two_nodes: tuple[str, subprocess.Popen[bytes]]
) -> None:
    address, worker = two_nodes
    out = tmp_path / "ray"
    running = subprocess.Popen(
        [*DIALOGYM, *CELLS, "--ray", address, "--out", str(out)],
        env=_ray_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    cells = out / "cells.json"
    deadline = time.monotonic() + 300
    while not cells.is_file() or len(json.loads(cells.read_text())["cells"]) < 4:
        assert running.poll() is None, running.communicate()
        assert time.monotonic() < deadline, "no four cells finished in five minutes"
        time.sleep(0.2)
    _kill(worker)  # mid-run: eight cells are left, one of them most likely on the worker
    stdout, stderr = running.communicate(timeout=600)
    assert running.returncode == 0, stderr
    summary = next(line for line in stderr.splitlines() if line.startswith("Ray: "))
    assert summary.startswith("Ray: 2 node(s) ran the work"), summary  # both ran cells

    local = tmp_path / "local"
    subprocess.run([*DIALOGYM, *CELLS, "--out", str(local)], check=True, capture_output=True)
    results = [json.loads((folder / "results.json").read_text()) for folder in (out, local)]
    assert len(results[0]["cells"]) == 12
    assert without_timing(results[0]) == without_timing(results[1])


def test_ray_without_ray_installed_is_one_line(tmp_path: Path) -> None:
    probe = (
        "import sys; sys.modules['ray'] = None; from dialogym.cli import main;"
        f" sys.exit(main(['benchmark', '--task', 'env1', '--policy', 'handcrafted', '--ray',"
        f" '--out', {str(tmp_path / 'b')!r}]))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "dialogym benchmark: error: --ray: Ray is not installed; pip install 'dialogym[ray]'"
    ]


def test_ray_is_not_imported_by_a_benchmark_without_ray(tmp_path: Path) -> None:
    probe = (
        "import sys; from dialogym.cli import main;"
        f" code = main(['benchmark', '--task', 'env1', '--policy', 'handcrafted', '--seeds', '1',"
        f" '--episodes', '2', '--no-progress', '--out', {str(tmp_path / 'b')!r}]);"
        " sys.exit(code + 10 * ('ray' in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_jobs_and_ray_together_are_refused(tmp_path: Path) -> None:
    probe = (
        "import sys; from dialogym.cli import main;"
        f" sys.exit(main(['benchmark', '--jobs', '2', '--ray', '--out', {str(tmp_path)!r}]))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 2
    assert "--jobs: not with --ray" in result.stderr
