"""Importing PyDial's CamRestaurants domain (rules JSON + SQLite dbase) from ../shared."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dialogym.domains import Database, DomainError, load_domain
from dialogym.domains.pydial import NOT_AVAILABLE, load_pydial

PYDIAL_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pydial"
RULES = PYDIAL_DATA / "CamRestaurants-rules.json"

pytestmark = pytest.mark.skipif(not RULES.exists(), reason=f"PyDial data not at {RULES}")


def test_camrestaurants_figures() -> None:
    domain = load_domain(RULES)
    assert domain.name == "CamRestaurants"
    assert domain.source == str(RULES)
    assert len(domain.entities) == 110
    assert domain.system_requestable == ("food", "pricerange", "area")
    assert len(domain.requestable) == 9
    assert set(domain.requestable) == {
        "addr",
        "area",
        "food",
        "name",
        "phone",
        "pricerange",
        "postcode",
        "signature",
        "description",
    }
    assert domain.booking == {}
    assert domain.name_slot == "name"
    assert len(domain.informable["food"]) == 91
    assert domain.informable["pricerange"] == ("cheap", "moderate", "expensive")
    assert len(domain.informable["area"]) == 5
    assert len(domain.informable["name"]) == 113  # kept: every DB name is in the rules


def test_entities_are_strings_without_id_and_gaps_filled() -> None:
    domain = load_domain(str(RULES))
    for entity in domain.entities:
        assert "id" not in entity
        assert all(isinstance(v, str) and v for v in entity.values())
    assert sum(e["description"] == NOT_AVAILABLE for e in domain.entities) >= 19
    names = [e["name"] for e in domain.entities]
    assert len(set(names)) == 110


def test_database_over_pydial_domain() -> None:
    database = Database(load_domain(RULES))
    assert database.count(database.match({"area": "centre"})) > 0
    assert database.count(database.match({"food": "afghan"})) == 0  # in the rules, not the DB


def test_detected_by_content_under_another_name(tmp_path: Path) -> None:
    shutil.copy(RULES, tmp_path / "rules.json")
    with pytest.raises(DomainError, match="rules.json: database: file not found"):
        load_domain(tmp_path / "rules.json")
    shutil.copy(PYDIAL_DATA / "CamRestaurants-dbase.db", tmp_path / "rules-dbase.db")
    with pytest.raises(DomainError, match="table: no table 'rules'"):
        load_domain(tmp_path / "rules.json")


def test_parsed_rules_may_be_passed_in() -> None:
    rules = json.loads(RULES.read_text(encoding="utf-8"))
    assert len(load_pydial(RULES, rules).entities) == 110
