"""Run folders (``train``, ``improve``, ``benchmark --out``): whose they are, and who writes them.

A run folder is dialogym's when it holds `MARKER`, which dialogym writes when it creates the
folder (or is told to use one with ``--force``). A command writes only into such a folder, an
empty one, or one holding an output of the same command written before markers existed;
another folder is refused in one line unless ``--force``. A symbolic link anywhere inside a run
folder is refused, ``--force`` or not: dialogym would write through it (``tb/`` linked
elsewhere) or read what it points to.

While a command writes a run folder it holds `LOCK_FILE` with an exclusive ``flock``: the
kernel's lock, released when the process ends however it ends, and seen by every process on the
machine whatever its pid namespace (a container sharing the folder). The file records the host
and pid of the holder, for the message that refuses a second run.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dialogym.cli import CommandError, is_our_output, temporaries
from dialogym.domains import BUILTIN_DOMAINS
from dialogym.envs.registration import env_argument_kinds

MARKER = ".dialogym-run"
"""The file that makes a folder a dialogym run folder (it says so, in one line)."""
LOCK_FILE = "run.lock"
"""Locked (``flock``) by the process writing a run folder; holds its host and pid."""


def domain_label(domain: str) -> str:
    """A short name for a domain argument: a built-in name, or its file's (``CamRestaurants``).

    >>> domain_label("../data/CamRestaurants-rules.json"), domain_label("cafes.yaml")
    ('CamRestaurants', 'cafes')
    """
    return Path(domain).name.removesuffix("-rules.json").split(".")[0]


def run_name(algo: str, env_id: str, env_kwargs: Mapping[str, Any], seed: int) -> str:
    """The default name of a training run: algorithm, env, domain (an env that takes one) and seed.

    >>> run_name("ppo", "dialogym/PyDialEnv1-v0", {"domain": "x/CamRestaurants-rules.json"}, 0)
    'ppo-PyDialEnv1-v0-CamRestaurants-s0'
    >>> run_name("dqn", "dialogym/MultiWOZ-v0", {}, 1)
    'dqn-MultiWOZ-v0-s1'
    """
    if "domain" not in env_argument_kinds(env_id):
        return f"{algo}-{env_id.split('/')[-1]}-s{seed}"
    domain = env_kwargs.get("domain", BUILTIN_DOMAINS[0])
    label = domain_label(domain) if isinstance(domain, str) else "domain"
    return f"{algo}-{env_id.split('/')[-1]}-{label or 'domain'}-s{seed}"


def portable_env_kwargs(env_kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Env arguments that mean the same from any working directory: a domain file's path resolved.

    A run folder stores them, so that ``--resume`` works from anywhere.
    """
    domain = env_kwargs.get("domain")
    if isinstance(domain, str) and domain not in BUILTIN_DOMAINS and Path(domain).is_file():
        return {**env_kwargs, "domain": str(Path(domain).resolve())}
    return dict(env_kwargs)


def first_link(folder: Path) -> Path | None:
    """The first symbolic link inside ``folder`` (any depth; links are not followed), or None."""
    for parent, folders, files in os.walk(folder):
        for name in (*folders, *files):
            if (Path(parent) / name).is_symlink():
                return Path(parent) / name
    return None


def claim_run_folder(
    folder: Path,
    option: str,
    force: bool = False,
    ours: Mapping[str, frozenset[str]] | None = None,
) -> None:
    """Make ``folder`` a run folder of dialogym's, or refuse it, before anything is written.

    A missing folder is created; an existing one must be a folder with no symbolic link inside,
    and dialogym's (`MARKER`, or one of ``ours``'s files is an output of ours, see
    `is_our_output`), empty, or ``force``d. The marker is written if it is not there.

    Args:
        folder: The run folder.
        option: The flag that named it (``--out``, ``--resume``), for the message.
        force: Accept an existing folder that is not dialogym's.
        ours: File name to the keys that make it an output of the command (a run folder made
            before markers existed).

    Raises:
        CommandError: one line naming ``option`` and the folder.
    """
    if folder.exists() and not folder.is_dir():
        raise CommandError(f"{option}: {folder} exists and is not a folder")
    marker = folder / MARKER
    if folder.is_dir():
        link = first_link(folder)
        if link is not None:
            raise CommandError(
                f"{option}: {link} is a symbolic link; dialogym does not write run folders that"
                " hold links (remove it, or choose another folder)"
            )
        known = marker.is_file() or any(
            is_our_output(folder / name, keys) for name, keys in (ours or {}).items()
        )
        if not (known or force or not any(folder.iterdir())):
            raise CommandError(
                f"{option}: {folder} is not empty and was not made by dialogym (no {MARKER});"
                " use --force to write into it"
            )
    if not marker.is_file():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            marker.write_text("a dialogym run folder\n", encoding="utf-8")
        except OSError as error:
            raise CommandError(f"{option}: cannot write {marker} ({error.strerror})") from None


def remove_temporaries(folder: Path, names: tuple[str, ...]) -> None:
    """Remove the temporaries of the files ``names`` left in ``folder`` by writes cut short."""
    for name in names:
        for stale in temporaries(folder, name):
            stale.unlink()


def _holder(lock: Path) -> str:
    """Who holds ``lock``, as its file says (``pid 12 on host``), bounded."""
    try:
        with lock.open("rb") as stream:
            text = stream.read(200).decode("utf-8", errors="replace").split()
    except OSError:
        return "another process"
    if not text:
        return "another process"
    return f"pid {text[0]}" + (f" on {text[1]}" if len(text) > 1 else "")


@contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Hold ``run_dir/run.lock`` (``flock``, exclusive) while the block runs.

    A lock file left by a process that has ended is taken over (its ``flock`` ended with it).
    The file is removed on the way out.

    Raises:
        CommandError: another live process holds the folder; or the lock file cannot be taken
            (a folder or a link in its place, an unwritable folder).
    """
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CommandError(
            f"--out: cannot create run folder {run_dir} ({error.strerror})"
        ) from None
    lock = run_dir / LOCK_FILE
    for _ in range(3):
        try:
            handle = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError as error:
            raise CommandError(
                f"{lock}: cannot take the run lock ({error.strerror}); it must be a plain file"
            ) from None
        try:
            if not stat.S_ISREG(os.fstat(handle).st_mode):
                raise CommandError(f"{lock}: cannot take the run lock; it must be a plain file")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise CommandError(
                    f"{run_dir} is in use by another run ({_holder(lock)}, {lock}); wait for it"
                    " or choose another --out"
                ) from None
            # The holder before us may have removed the file after we opened it: lock the file
            # that is there now, not the removed one.
            try:
                there = os.stat(lock, follow_symlinks=False)
            except FileNotFoundError:
                there = None
            if there is not None and os.path.samestat(os.fstat(handle), there):
                break
        except BaseException:
            os.close(handle)
            raise
        os.close(handle)
    else:
        raise CommandError(f"{run_dir}: could not take {lock}; another run is starting there")
    try:
        os.ftruncate(handle, 0)
        os.write(handle, f"{os.getpid()} {socket.gethostname()}\n".encode())
        yield
    finally:
        lock.unlink(missing_ok=True)
        os.close(handle)


def read_run_json(path: Path, limit: int) -> Any:
    """The JSON of a file a run wrote (``cells.json``, ``rounds.json``, ...), at most ``limit`` bytes.

    Raises:
        OSError: the file cannot be read.
        ValueError: it is no regular file (a pipe would never end), larger than ``limit``, not
            JSON, or nested too deeply.
    """
    status = path.stat()
    if not stat.S_ISREG(status.st_mode):
        raise ValueError("not a regular file")
    if status.st_size > limit:
        raise ValueError(f"larger than {limit} bytes")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise ValueError("nested too deeply") from None
