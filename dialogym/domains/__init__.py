"""Domains: ontologies and databases, their file formats, importers and the built-in domains."""

from dialogym.domains.domain import (
    DONTCARE,
    NOT_AVAILABLE,
    TYPE_SLOT,
    Database,
    Domain,
    DomainError,
)
from dialogym.domains.loader import BUILTIN_DOMAINS, load_domain

__all__ = [
    "BUILTIN_DOMAINS",
    "DONTCARE",
    "NOT_AVAILABLE",
    "TYPE_SLOT",
    "Database",
    "Domain",
    "DomainError",
    "load_domain",
]
