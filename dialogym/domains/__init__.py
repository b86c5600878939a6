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
from dialogym.domains.multiwoz import (
    MULTIWOZ_DOMAINS,
    MultiWozData,
    MultiWozDatabase,
    load_multiwoz,
)
from dialogym.domains.native import DomainLimits

__all__ = [
    "BUILTIN_DOMAINS",
    "DONTCARE",
    "MULTIWOZ_DOMAINS",
    "NOT_AVAILABLE",
    "TYPE_SLOT",
    "Database",
    "Domain",
    "DomainError",
    "DomainLimits",
    "MultiWozData",
    "MultiWozDatabase",
    "load_domain",
    "load_multiwoz",
]
