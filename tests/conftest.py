"""Where the tests find the third-party data kept outside the repository, and how they skip.

The data lives in ``../shared/data`` beside the clone (PyDial's benchmark domains in ``pydial/``,
the WOZ 2.0 corpus in ``woz/``); it is never copied into the project. Set
``DIALOGYM_SHARED_DATA`` to read it from elsewhere (an empty folder shows how the suite runs
without it). A test that needs a file skips with the path in its reason when the file is
absent, unless ``DIALOGYM_REQUIRE_SHARED_DATA=1`` (for CI, where the data must be present):
then the session stops at once, naming what is missing.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA_VARIABLE = "DIALOGYM_SHARED_DATA"
REQUIRE_SHARED_VARIABLE = "DIALOGYM_REQUIRE_SHARED_DATA"
SHARED_DATA = Path(os.environ.get(SHARED_DATA_VARIABLE) or REPO.parent / "shared" / "data")
PYDIAL_DATA = SHARED_DATA / "pydial"
CAMRESTAURANTS = PYDIAL_DATA / "CamRestaurants-rules.json"
SFRESTAURANTS = PYDIAL_DATA / "SFRestaurants-rules.json"
LAPTOPS11 = PYDIAL_DATA / "Laptops11-rules.json"
PYDIAL_DOMAINS = (CAMRESTAURANTS, SFRESTAURANTS, LAPTOPS11)
"""The rules files of PyDial's three benchmark domains (each with its ``-dbase.db`` beside)."""
WOZ_DATA = SHARED_DATA / "woz"


def _files_needed(path: Path) -> tuple[Path, ...]:
    """The files a shared path stands for: a PyDial rules file needs its database too."""
    if path.name.endswith("-rules.json"):
        return path, path.with_name(path.name.removesuffix("-rules.json") + "-dbase.db")
    return (path,)


def missing_shared(*paths: Path) -> list[Path]:
    """The files among ``paths`` (and the databases of rules files) that are absent."""
    return [file for path in paths for file in _files_needed(path) if not file.exists()]


def requires_shared(*paths: Path) -> pytest.MarkDecorator:
    """A mark that skips a test, with the reason, when some of ``paths`` is absent.

    Use it as ``@requires_shared(CAMRESTAURANTS)`` on a test, or in ``pytest.param(marks=...)``.
    """
    missing = missing_shared(*paths)
    reason = f"shared data absent: {', '.join(map(str, missing))} (see tests/conftest.py)"
    return pytest.mark.skipif(bool(missing), reason=reason)


def shared_domain(path: Path) -> object:
    """A ``parametrize`` case for a PyDial domain: its path as a string, skipped when absent.

    The case's id is the domain's name (``CamRestaurants``).
    """
    return pytest.param(
        str(path), id=path.name.removesuffix("-rules.json"), marks=requires_shared(path)
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    """Stop at once when the shared data is required (CI) but absent; make Ctrl-C deliverable.

    A process a shell starts in the background without job control (``(make test &)``) has
    SIGINT ignored (POSIX), so Python installs no Ctrl-C handler and passes the ignoring on to
    every command a test starts: the Ctrl-C tests would then see no Ctrl-C at all (and one
    would play ten million dialogues). The suite takes SIGINT back as a foreground run has it.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if os.environ.get(REQUIRE_SHARED_VARIABLE) == "1":
        missing = missing_shared(*PYDIAL_DOMAINS, WOZ_DATA)
        if missing:
            found = ", ".join(map(str, missing))
            pytest.exit(f"{REQUIRE_SHARED_VARIABLE}=1 but shared data is absent: {found}", 2)


@pytest.fixture(scope="session")
def camrestaurants() -> str:
    """Path of PyDial's CamRestaurants rules file (skips when the shared data is absent)."""
    missing = missing_shared(CAMRESTAURANTS)
    if missing:
        pytest.skip(f"shared data absent: {', '.join(map(str, missing))}")
    return str(CAMRESTAURANTS)
