"""Synonym files: other words for a domain's slots and values, added to a domain once loaded.

A native ontology declares its synonyms itself (``synonyms`` and ``slot_synonyms``, see
``FORMAT.md``). A PyDial rules file has no place for them, so they come from synonym files,
YAML mappings with those two keys only (and an optional ``source`` note):

1. the file dialogym ships for PyDial's domain of that name, if any
   (``data/synonyms/NAME.yaml``: CamRestaurants, SFRestaurants, Laptops11);
2. then ``NAME-synonyms.yaml`` beside ``NAME-rules.json``, if present: the user's own additions;
3. then any file passed as ``load_domain(..., synonyms=PATH)`` (for any domain).

Each adds to what came before (forms are merged, in order, without repeats). Synonym files are
read with the same bounds as domain files.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path

from dialogym.domains.domain import Domain, Problems
from dialogym.domains.native import (
    DEFAULT_LIMITS,
    DomainLimits,
    check_inside,
    fail,
    parse_yaml,
    read_text,
    slot_synonym_table,
    synonym_table,
)

PACKAGED_DIR = Path(__file__).resolve().parent / "data" / "synonyms"
"""Synonym files shipped for PyDial's domains, named after the domain."""
SIDECAR_SUFFIX = "-synonyms.yaml"
"""A PyDial domain's own synonym file: ``NAME-synonyms.yaml`` beside ``NAME-rules.json``."""
KEYS = ("synonyms", "slot_synonyms", "source")


def with_synonym_file(
    domain: Domain, path: str | os.PathLike[str], limits: DomainLimits = DEFAULT_LIMITS
) -> Domain:
    """``domain`` with the synonyms of a synonym file added.

    Raises:
        DomainError: The file is missing or malformed, or names a slot or value the domain
            lacks; the message names the file and the field.
    """
    path = Path(path)
    if not path.is_file():
        fail(path, None, "synonym file not found")
    data = parse_yaml(path, read_text(path, limits), limits)
    if not isinstance(data, Mapping):
        fail(path, None, "the top level must be a mapping with synonyms and/or slot_synonyms")
    problems = Problems()
    for key in data:
        if key not in KEYS:
            problems.add(path, str(key), f"unknown key (known keys: {', '.join(KEYS)})")
    problems.raise_if_any()
    values = {**domain.informable, **domain.booking}
    if domain.name_slot not in values:
        values[domain.name_slot] = tuple(
            dict.fromkeys(entity[domain.name_slot] for entity in domain.entities)
        )
    added: dict[str, dict[str, tuple[str, ...]]] = {}
    added_slots: dict[str, tuple[str, ...]] = {}
    with problems.collecting():
        added = synonym_table(path, data.get("synonyms") or {}, values)
    with problems.collecting():
        slots = (*domain.informable, *domain.requestable, *domain.booking)
        added_slots = slot_synonym_table(path, data.get("slot_synonyms") or {}, slots)
    problems.raise_if_any()
    synonyms = {slot: dict(forms) for slot, forms in domain.synonyms.items()}
    for slot, forms_by_value in added.items():
        table = synonyms.setdefault(slot, {})
        for value, forms in forms_by_value.items():
            table[value] = _merged(table.get(value, ()), forms)
    slot_synonyms = dict(domain.slot_synonyms)
    for slot, forms in added_slots.items():
        slot_synonyms[slot] = _merged(slot_synonyms.get(slot, ()), forms)
    return dataclasses.replace(domain, synonyms=synonyms, slot_synonyms=slot_synonyms)


def with_pydial_synonyms(
    domain: Domain,
    rules_path: Path,
    limits: DomainLimits = DEFAULT_LIMITS,
    allow_outside: bool = False,
) -> Domain:
    """A PyDial domain with the packaged synonyms of its name, then its sidecar file's.

    A sidecar that is a link out of the rules file's folder is refused unless
    ``allow_outside``.
    """
    packaged = PACKAGED_DIR / f"{domain.name}.yaml"
    if packaged.is_file():
        domain = with_synonym_file(domain, packaged, limits)
    sidecar = rules_path.with_name(domain.name + SIDECAR_SUFFIX)
    if sidecar.is_file():
        check_inside(rules_path, "synonyms", sidecar, allow_outside)
        domain = with_synonym_file(domain, sidecar, limits)
    return domain


def _merged(first: tuple[str, ...], then: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*first, *then)))
