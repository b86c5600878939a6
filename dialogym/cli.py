"""The ``dialogym`` command: dispatches to the sub-commands, and what they share.

Every sub-command reports bad input as one line on stderr (``dialogym CMD: error: ...``) and
exits with status 2, never with a traceback.

Outputs (``--json``, ``--out``, ``--transcripts``, run files) are written atomically (a temporary
file in the same folder, named ``.NAME.RANDOM.dialogym-tmp`` so that it matches no one else's
file, then ``os.replace``) with the permissions the umask gives new files. Text that comes from
data (a transcript shown with ``--show``, an error message) is printed with control characters
escaped (`printable`).
Before a command runs, `check_output` refuses an output path that is empty, a directory, a
symbolic link, in a folder that cannot be written, or an existing file that is not an output of
ours. A file is ours when its first JSON value (the whole file, or else its first line, read up
to 1 MiB) is an object holding the keys the command writes (``success_rate`` for ``evaluate
--json``, ``episode`` and ``transcript`` for a transcript or corpus line); ``--force``
overwrites any regular file.
"""

from __future__ import annotations

import argparse
import ast
import glob
import importlib
import importlib.util
import inspect
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import yaml

COMMANDS = {
    "evaluate": "dialogym.evaluate",
    "train": "dialogym.train",
    "benchmark": "dialogym.benchmark",
    "sweep": "dialogym.sweep",
    "simulate": "dialogym.simulate",
    "models": "dialogym.models",
    "finetune": "dialogym.finetune",
    "improve": "dialogym.improve",
    "report": "dialogym.report",
}
"""Sub-command name to the module whose ``main(argv)`` runs it."""


class CommandError(Exception):
    """Bad input to a command; the message is shown as one line."""


class Interrupted(Exception):
    """The command was stopped (Ctrl-C); the message says what was kept, or how to go on."""


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
    """``gymnasium.make`` with errors turned into one-line `CommandError`s.

    The env must be one of dialogym's: a `DialogueEnv` (the PyDial world) or a `MultiWozEnv`.
    """
    import gymnasium as gym

    import dialogym  # noqa: F401  (registers the ids)
    from dialogym.envs.dialogue import DialogueEnv
    from dialogym.envs.multiwoz_env import MultiWozEnv
    from dialogym.envs.registration import ENTRY_POINT, MULTIWOZ_ENTRY_POINT
    from dialogym.models import ModelError

    not_ours = CommandError(f"--env: {env_id} is not a dialogym environment (dialogym/...)")
    classes: dict[Any, type] = {ENTRY_POINT: DialogueEnv, MULTIWOZ_ENTRY_POINT: MultiWozEnv}
    try:
        made = classes.get(gym.spec(env_id).entry_point)
        if made is None:
            raise not_ours  # before its arguments, which another env would not know
        known = list(inspect.signature(made).parameters)
        for key in (*env_kwargs, *extra):
            if key not in known:
                raise CommandError(
                    f"--env-kwarg: {env_id} takes no argument {str(key)[:80]!r} (its arguments:"
                    f" {', '.join(known)})"
                )
        env = gym.make(env_id, **env_kwargs, **extra)
    except gym.error.Error as error:
        raise CommandError(f"--env: {error}") from None
    except TypeError as error:
        raise CommandError(f"--env-kwarg: {error}") from None
    except ValueError as error:  # includes DomainError
        raise CommandError(str(error).splitlines()[0]) from None
    except ModelError as error:  # a model named by generator= or encoder=
        raise CommandError(f"--env-kwarg: {error}") from None
    if not isinstance(env.unwrapped, DialogueEnv | MultiWozEnv):
        env.close()
        raise not_ours
    return env


def policy_env_kwargs(policy: str, env_kwargs: dict[str, Any]) -> dict[str, Any]:
    """``env_kwargs`` with the env arguments a trained agent's ``.zip`` needs to play.

    A structured agent (``structured_ppo``) plays on the per-slot layout, in any domain: its
    env gets ``layout="slots"`` unless the user named a layout (a wrong one is then reported
    when the agent is loaded). Other policies need nothing; an unreadable file is reported when
    it is loaded.
    """
    if not policy.endswith(".zip"):
        return env_kwargs
    from dialogym.agents.loading import detect_algorithm

    try:
        needed = detect_algorithm(policy).env_kwargs
    except ValueError:
        return env_kwargs
    return {**needed, **env_kwargs}


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Help that shows each option's default, unless it has none or its help already says it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        unset = action.default is None or action.default is False or action.default == []
        if "default" in text or unset or action.default == argparse.SUPPRESS:
            return text
        return super()._get_help_string(action)


def env_parser(command: str, description: str, env_kwarg_help: str) -> argparse.ArgumentParser:
    """A sub-command's parser, started with the ``--env`` and ``--env-kwarg`` options it shares.

    Args:
        command: The sub-command (``evaluate``...), for ``prog``.
        description: What the command does.
        env_kwarg_help: The help of ``--env-kwarg`` (its examples, its defaults).
    """
    parser = argparse.ArgumentParser(
        prog=f"dialogym {command}", description=description, formatter_class=HelpFormatter
    )
    parser.add_argument("--env", default="dialogym/Dialogue-v0", help="environment id")
    parser.add_argument(
        "--env-kwarg", action="append", default=[], metavar="KEY=VALUE", help=env_kwarg_help
    )
    return parser


def non_negative_int(text: str) -> int:
    """An argparse type for seeds: an integer >= 0 (argparse reports anything else in one line).

    >>> non_negative_int("3")
    3
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {value}")
    return value


MAX_SNIFF = 1 << 20
"""How much of an existing file `is_our_output` reads to recognise it (1 MiB)."""


def is_our_output(path: Path, keys: frozenset[str]) -> bool:
    """Whether an existing file is an output of ours: its first JSON value holds ``keys``.

    The first JSON value is the whole file (a ``.json`` output) or, failing that, its first line
    (a ``.jsonl`` output); only the first `MAX_SNIFF` bytes are read.
    """
    try:
        with path.open("rb") as stream:
            head = stream.read(MAX_SNIFF).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    for text in (head, head.partition("\n")[0]):
        try:
            value = json.loads(text)
        except ValueError:
            continue
        return isinstance(value, dict) and keys <= value.keys()
    return False


def check_output(path: str, option: str, keys: frozenset[str], force: bool = False) -> Path:
    """Refuse, before any work, an output path that could not or should not be written.

    Args:
        path: The path given.
        option: The flag that gave it (named in the error).
        keys: What makes an existing file ours (see `is_our_output`).
        force: Overwrite an existing regular file that is not ours.

    Raises:
        CommandError: ``path`` is empty, a symbolic link, a directory, in a folder that cannot
            be created or written, or an existing non-empty file not ours without ``force``.
    """
    if not path:
        raise CommandError(f"{option}: empty path")
    target = Path(path)
    if target.is_symlink():
        raise CommandError(f"{option}: {target} is a symbolic link; refusing to replace it")
    if target.is_dir():
        raise CommandError(f"{option}: {target} is a directory")
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise CommandError(f"{option}: cannot write into {folder}")
    if (
        target.exists()
        and not force
        and target.stat().st_size > 0
        and not is_our_output(target, keys)
    ):
        raise CommandError(
            f"{option}: {target} exists and is not an output of dialogym; use --force to"
            " overwrite it"
        )
    return target


def _umask() -> int:
    """The process's umask (read by setting it and setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


TEMPORARY_SUFFIX = ".dialogym-tmp"
"""Ends the name of every temporary `atomic_file` makes (``.NAME.RANDOM.dialogym-tmp``), so that
a run removing the temporaries of its writes cut short never matches a file of someone else's
(an editor's ``.config.yaml.swp``)."""


@contextmanager
def atomic_file(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A binary stream that replaces ``path`` when the block ends, so readers see old or new.

    The content goes to a temporary in the same folder (``.NAME.RANDOM`` + `TEMPORARY_SUFFIX`),
    flushed to disk, then renamed over ``path``; an error in the block removes the temporary
    and leaves ``path`` as it was. The file gets the permissions the umask gives a new file; a
    symbolic link is not replaced.

    Raises:
        CommandError: ``path`` is a symbolic link or a directory, or cannot be written.
    """
    target = Path(path)
    if target.is_symlink() or target.is_dir():
        kind = "a symbolic link" if target.is_symlink() else "a directory"
        raise CommandError(f"{target} is {kind}; refusing to replace it")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=TEMPORARY_SUFFIX
        )
    except OSError as error:
        raise CommandError(f"{target}: cannot write ({error.strerror})") from None
    try:
        os.chmod(temporary, 0o666 & ~_umask())
        with os.fdopen(handle, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def temporaries(folder: Path, name: str) -> list[Path]:
    """The temporaries `atomic_file` left in ``folder`` for the file ``name`` (writes cut short)."""
    return [
        path
        for path in folder.glob(f".{glob.escape(name)}.*{TEMPORARY_SUFFIX}")
        if path.is_file() and not path.is_symlink()
    ]


def write_atomically(path: str | os.PathLike[str], text: str | bytes) -> None:
    """Write a file (text as UTF-8, or bytes as is) with `atomic_file`.

    Raises:
        CommandError: ``path`` is a symbolic link or a directory, or cannot be written.
    """
    with atomic_file(path) as stream:
        stream.write(text.encode("utf-8") if isinstance(text, str) else text)


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Write JSON atomically, indented, keys in insertion order."""
    write_atomically(path, json.dumps(data, indent=2) + "\n")


def printable(text: str, newlines: bool = True) -> str:
    r"""``text`` with every character a terminal could act on escaped, so data cannot drive it.

    Control and other non-printable characters (ESC, bidirectional overrides...) are written
    as their Python escapes; newlines and tabs are kept when ``newlines``.

    >>> printable("red\x1b[31m\ttext\n"), printable("a\nb", newlines=False)
    ('red\\x1b[31m\ttext\n', 'a\\nb')
    """
    return "".join(
        char
        if char.isprintable() or (newlines and char in "\n\t")
        else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


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
        print(f"dialogym {name}: error: {printable(str(error), newlines=False)}", file=sys.stderr)
        return 2
    except Interrupted as interruption:
        print(f"dialogym {name}: interrupted; {interruption}", file=sys.stderr)
        return 130
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


def describe(command: str) -> str:
    """A command's description: the first line of its module's docstring, read without importing it.

    >>> describe("train")
    'train an agent, evaluating and checkpointing as it goes.'
    """
    spec = importlib.util.find_spec(COMMANDS[command])
    if spec is None or spec.origin is None:
        return ""
    text = ast.get_docstring(ast.parse(Path(spec.origin).read_text(encoding="utf-8"))) or ""
    first = text.strip().partition("\n")[0]
    return re.sub(r"^``dialogym \w+``: ", "", first)


def usage() -> str:
    """``dialogym --help``: the commands and what each does."""
    width = max(map(len, [*COMMANDS, "-h, --help"]))
    lines = [
        "usage: dialogym COMMAND [options]   (dialogym COMMAND --help for details)",
        "",
        "Task-oriented dialogue as a Gymnasium environment: train, evaluate, benchmark, simulate.",
        "",
        "commands:",
        *(f"  {name:<{width}}  {describe(name)}" for name in COMMANDS),
        "",
        "options:",
        f"  {'-h, --help':<{width}}  show this message",
        f"  {'--version':<{width}}  print dialogym's version",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dialogym`` command."""
    from dialogym import __version__

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--version":
        print(f"dialogym {__version__}")
        return 0
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        if argv and argv[0] not in ("-h", "--help"):
            known = ", ".join(COMMANDS)
            print(f"dialogym: error: unknown command {argv[0]!r}; known: {known}", file=sys.stderr)
            print("usage: dialogym COMMAND [options]   (dialogym --help)", file=sys.stderr)
            return 2
        print(usage())
        return 0 if argv else 2
    try:  # Ctrl-C while a command is still loading: one line, as once it runs
        module = importlib.import_module(COMMANDS[argv[0]])
        return int(module.main(argv[1:]))
    except KeyboardInterrupt:
        print(f"dialogym {argv[0]}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
