"""Work spread over a Ray cluster: ``benchmark --ray``, ``simulate --ray`` and ``sweep``.

Ray is an optional extra (``pip install 'dialogym[ray]'``). It is imported here only, and only
when one of those is asked for, so every other command starts as fast as without it; without
Ray, asking for it is a one-line error naming the extra.

``--ray`` alone starts a Ray instance on this machine; ``--ray ADDRESS`` joins the cluster whose
head is at ``ADDRESS`` (``auto``: the usual ``RAY_ADDRESS``, or the cluster this machine is part
of). The workers run in this process's working directory where it exists on their node, so
relative paths (domain files, ``--out``) mean the same on every node of a cluster that shares
a file system (see docs/scaling.md).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Executor, Future
from types import ModuleType
from typing import Any

from dialogym.cli import CommandError

RAY_EXTRA = "pip install 'dialogym[ray]'"
"""How to get Ray, as the error says it."""
LOCAL = "local"
"""``--ray``'s value when given without an address: a Ray instance on this machine."""
RETRIES = 3
"""How often a task whose worker or node died is run again elsewhere (Ray's retries)."""


def import_ray(flag: str = "--ray") -> ModuleType:
    """Ray, or a one-line `CommandError` naming the extra when it is not installed."""
    try:
        import ray
    except ImportError:
        raise CommandError(f"{flag}: Ray is not installed; {RAY_EXTRA}") from None
    return ray


def connect(address: str = LOCAL, flag: str = "--ray") -> ModuleType:
    """Ray, connected to the cluster at ``address`` (`LOCAL`: a fresh instance on this machine).

    Raises:
        CommandError: Ray is not installed, or no cluster answers at ``address`` (one line).
    """
    ray = import_ray(flag)
    if ray.is_initialized():
        return ray
    settings: dict[str, Any] = {
        "include_dashboard": False,
        "logging_level": "ERROR",
        "log_to_driver": False,
        "configure_logging": True,
    }
    hash_seed = os.environ.get("PYTHONHASHSEED")
    if hash_seed is not None:  # workers hash as this process does (set orders, dict keys)
        settings["runtime_env"] = {"env_vars": {"PYTHONHASHSEED": hash_seed}}
    try:
        ray.init(address=None if address == LOCAL else address, **settings)
    except (ConnectionError, RuntimeError, ValueError) as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise CommandError(f"{flag}: no Ray cluster at {address!r}: {first}") from None
    return ray


def _importable_name(function: Callable[..., Any]) -> tuple[str, str]:
    """The module and name a worker imports ``function`` by.

    A function of a module run as ``__main__`` (``python -m dialogym.benchmark``) is named by
    its module's real name.
    """
    module = function.__module__
    if module == "__main__":
        spec = getattr(sys.modules["__main__"], "__spec__", None)
        if spec is None:
            raise TypeError(f"{function.__qualname__} is in a script, not a module Ray can import")
        module = spec.name
    return module, function.__qualname__


def _in_directory(directory: str, module: str, name: str, *args: Any) -> tuple[Any, str]:
    """Run ``module.name(*args)`` in ``directory`` (where this node has it).

    Returns its result and the id of the node that ran it.
    """
    import ray

    if os.path.isdir(directory):
        os.chdir(directory)
    function = getattr(importlib.import_module(module), name)
    return function(*args), ray.get_runtime_context().get_node_id()


class RayExecutor(Executor):
    """Each submitted call a Ray task (``cpus`` each; run again elsewhere if its node dies).

    A future's result is the call's; `nodes` counts the finished calls per node, for the
    closing summary.
    """

    def __init__(self, ray: ModuleType, cpus: float = 1.0) -> None:
        self.ray = ray
        self.cpus = cpus
        self.nodes: Counter[str] = Counter()
        self._task = ray.remote(max_retries=RETRIES)(_in_directory)

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:  # type: ignore[override]
        """Start ``fn(*args)`` as a Ray task; ``gpus=`` (keyword) asks for GPUs as well.

        ``fn`` must be a module's function (the worker imports it by name, so the task carries
        no code).
        """
        gpus = kwargs.pop("gpus", 0)
        if kwargs:
            raise TypeError(f"RayExecutor.submit takes positional arguments only, not {kwargs}")
        reference = self._task.options(num_cpus=self.cpus, num_gpus=gpus).remote(
            os.getcwd(), *_importable_name(fn), *args
        )
        outer: Future[Any] = Future()

        def finished(inner: Future[Any]) -> None:
            error = inner.exception()
            if error is not None:
                outer.set_exception(error)
                return
            result, node = inner.result()
            self.nodes[node] += 1
            outer.set_result(result)

        reference.future().add_done_callback(finished)
        return outer

    def workers(self, resource: str = "CPU") -> int:
        """How many tasks that take one ``resource`` (``CPU``, ``GPU``) the cluster runs at once."""
        return int(self.ray.cluster_resources().get(resource, 1))

    def has_gpus(self) -> bool:
        """Whether the cluster has a GPU for cells that want one."""
        return bool(self.ray.cluster_resources().get("GPU", 0))

    def node_names(self) -> dict[str, str]:
        """Each node's id to a readable name (its address and the id's start)."""
        return {
            node["NodeID"]: f"{node['NodeManagerAddress']} ({node['NodeID'][:8]})"
            for node in self.ray.nodes()
        }

    def summary(self) -> str:
        """One line: how many calls each node ran."""
        names = self.node_names()
        total = sum(self.nodes.values()) or 1
        shares = ", ".join(
            f"{names.get(node, node[:8])}: {count} ({count / total:.0%})"
            for node, count in self.nodes.most_common()
        )
        return f"Ray: {len(self.nodes)} node(s) ran the work: {shares}"

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Leave the cluster (a local instance stops)."""
        self.ray.shutdown()
