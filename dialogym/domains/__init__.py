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
from dialogym.domains.native import DomainLimits

__all__ = [
    "BUILTIN_DOMAINS",
    "DONTCARE",
    "NOT_AVAILABLE",
    "TYPE_SLOT",
    "Database",
    "Domain",
    "DomainError",
    "DomainLimits",
    "load_domain",
]
