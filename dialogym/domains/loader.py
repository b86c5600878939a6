"""``load_domain``: one entry point for built-in names, native ontology files and PyDial files."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from dialogym.domains.domain import Domain, DomainError, excerpt
from dialogym.domains.native import (
    DEFAULT_LIMITS,
    ONTOLOGY_SUFFIXES,
    DomainLimits,
    domain_from_mapping,
    fail,
    load_native,
    parse_json,
    read_text,
)
from dialogym.domains.pydial import load_pydial, looks_like_pydial
from dialogym.domains.synonyms import with_synonym_file

DATA_DIR = Path(__file__).resolve().parent / "data"
"""Where the built-in domains live (package data)."""

BUILTIN_DOMAINS: tuple[str, ...] = ("restaurant", "laptop")
"""Names of the built-in domains, accepted by :func:`load_domain`."""


def load_domain(
    spec: str | os.PathLike[str] | Domain,
    *,
    limits: DomainLimits = DEFAULT_LIMITS,
    allow_outside: bool = False,
    synonyms: str | os.PathLike[str] | None = None,
) -> Domain:
    """Load a domain from a built-in name, a native ontology file or a PyDial rules file.

    Domain files are treated as untrusted data: the database must lie in the ontology's
    folder (symbolic links resolved), and sizes, rows, value lengths, nesting and YAML aliases
    are bounded, so that a file received from someone else cannot read other files or exhaust
    the machine.

    Args:
        spec: A built-in name (see :data:`BUILTIN_DOMAINS`); a path to a native ontology
            (``.yaml``, ``.yml`` or ``.json``, see ``FORMAT.md``); a path to a PyDial
            ``NAME-rules.json`` whose database ``NAME-dbase.db`` lies beside it; or a
            :class:`Domain`, returned unchanged.
        limits: Bounds on what loading may read; raise them for a very large domain.
        allow_outside: Accept a database outside the ontology's folder (an absolute path,
            ``..``, a link elsewhere). Pass it only for a domain file you trust.
        synonyms: A synonym file (``synonyms`` and ``slot_synonyms``, see
            `dialogym.domains.synonyms`) whose words are added to the domain's.

    Returns:
        The domain. Built-in domains are loaded once and shared: treat them as read-only.

    Raises:
        DomainError: An unknown name, or a malformed file (the one-line message names the file
            and the field).

    >>> load_domain("restaurant").system_requestable
    ('food', 'pricerange', 'area')
    """
    domain = _load(spec, limits, allow_outside)
    return domain if synonyms is None else with_synonym_file(domain, synonyms, limits)


def _load(
    spec: str | os.PathLike[str] | Domain, limits: DomainLimits, allow_outside: bool
) -> Domain:
    if isinstance(spec, Domain):
        return spec
    if isinstance(spec, str) and spec in BUILTIN_DOMAINS:
        return _load_builtin(spec)
    if not isinstance(spec, (str, os.PathLike)):
        raise DomainError(f"a domain is a name, a path or a Domain, not {type(spec).__name__}")
    path = Path(spec)
    if not path.exists() and not path.suffix and os.sep not in str(spec) and "/" not in str(spec):
        names = ", ".join(BUILTIN_DOMAINS)
        raise DomainError(
            f"unknown domain {excerpt(str(spec))}: the built-in domains are {names}; a path to an "
            "ontology file (.yaml, .yml, .json) or a PyDial NAME-rules.json is accepted too"
        )
    return load_file(path, limits=limits, allow_outside=allow_outside)


def load_file(
    path: Path, *, limits: DomainLimits = DEFAULT_LIMITS, allow_outside: bool = False
) -> Domain:
    """Load a domain from a file, choosing the reader by suffix and content.

    Args:
        path: A native ontology file or a PyDial rules file.
        limits: Bounds on what may be read.
        allow_outside: Accept a database outside the file's folder.

    Returns:
        The domain.

    Raises:
        DomainError: The file is missing, of an unknown type, or malformed.
    """
    if path.suffix not in ONTOLOGY_SUFFIXES:
        fail(
            path,
            None,
            f"unsupported file type {excerpt(path.suffix)}; expected .yaml, .yml or .json",
        )
    if path.suffix == ".json":
        data = parse_json(path, read_text(path, limits), limits)
        if looks_like_pydial(path, data):
            return load_pydial(path, data, limits=limits, allow_outside=allow_outside)
        return domain_from_mapping(path, data, limits=limits, allow_outside=allow_outside)
    return load_native(path, limits=limits, allow_outside=allow_outside)


@functools.lru_cache(maxsize=16)
def _load_builtin(name: str) -> Domain:
    """Load a built-in domain once per process."""
    return load_native(DATA_DIR / f"{name}.yaml", source=f"builtin:{name}")
