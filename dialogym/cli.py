"""The ``dialogym`` command: dispatches to the sub-commands, and what they share.

Every sub-command reports bad input as one line on stderr (``dialogym CMD: error: ...``) and
exits with status 2, never with a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

COMMANDS = {
    "evaluate": "dialogym.evaluate",
    "train": "dialogym.train",
    "benchmark": "dialogym.benchmark",
    "simulate": "dialogym.simulate",
    "models": "dialogym.models",
}
"""Sub-command name to the module whose ``main(argv)`` runs it."""


class CommandError(Exception):
    """Bad input to a command; the message is shown as one line."""


def parse_env_kwargs(pairs: Sequence[str]) -> dict[str, Any]:
    """Parse ``KEY=VALUE`` strings; values are read as YAML scalars (``0.15``, ``false``, ``a``).

    >>> parse_env_kwargs(["ser=0.15", "masks=false", "domain=restaurant"])
    {'ser': 0.15, 'masks': False, 'domain': 'restaurant'}
    """
    kwargs: dict[str, Any] = {}
    for pair in pairs:
        key, equals, text = pair.partition("=")
        if not equals or not key.strip():
            raise CommandError(f"--env-kwarg: expected KEY=VALUE, got {pair!r}")
        try:
            value = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError:
            value = text
        kwargs[key.strip()] = value
    return kwargs


def make_env(env_id: str, env_kwargs: dict[str, Any], **extra: Any) -> Any:
    """``gymnasium.make`` with errors turned into one-line `CommandError`s."""
    import gymnasium as gym

    import dialogym  # noqa: F401  (registers the ids)

    try:
        return gym.make(env_id, **env_kwargs, **extra)
    except gym.error.Error as error:
        raise CommandError(f"--env: {error}") from None
    except TypeError as error:
        raise CommandError(f"--env-kwarg: {error}") from None
    except ValueError as error:  # includes DomainError
        raise CommandError(str(error).splitlines()[0]) from None


def write_atomically(path: str | os.PathLike[str], text: str | bytes) -> None:
    """Write a file (text, or bytes as is) so that readers see either the old or the new content."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        binary = isinstance(text, bytes)
        with os.fdopen(handle, "wb" if binary else "w", encoding=None if binary else "utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Write JSON atomically, indented, keys in insertion order."""
    write_atomically(path, json.dumps(data, indent=2) + "\n")


def run_command(
    name: str,
    body: Callable[[argparse.Namespace], int],
    parser: argparse.ArgumentParser,
    argv: Sequence[str] | None,
) -> int:
    """Parse ``argv`` and run ``body``, turning `CommandError` into a one-line error, exit 2."""
    args = parser.parse_args(argv)
    try:
        return body(args)
    except CommandError as error:
        print(f"dialogym {name}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"dialogym {name}: interrupted", file=sys.stderr)
        return 130


def add_trust_model_flag(parser: argparse.ArgumentParser) -> None:
    """Add ``--trust-model``: load model zips as SB3 does (README, "Trust and safety")."""
    parser.add_argument(
        "--trust-model",
        action="store_true",
        help="load model zips as SB3 does, unpickling their serialized entries: this runs code"
        " from the file, so only for files you trust (default: nothing is unpickled)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dialogym`` command."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        known = ", ".join(COMMANDS)
        usage = f"usage: dialogym {{{known}}} [options]   (dialogym COMMAND --help for details)"
        if argv and argv[0] not in ("-h", "--help"):
            print(f"dialogym: error: unknown command {argv[0]!r}; known: {known}", file=sys.stderr)
            print(usage, file=sys.stderr)
            return 2
        print(usage)
        return 0 if argv else 2
    module = importlib.import_module(COMMANDS[argv[0]])
    return int(module.main(argv[1:]))


if __name__ == "__main__":
    sys.exit(main())
