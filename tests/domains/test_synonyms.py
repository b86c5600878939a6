"""Synonyms declared in data: native ``slot_synonyms``, synonym files for PyDial domains."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from dialogym.acts import format_acts
from dialogym.domains import DomainError, load_domain
from dialogym.tracking.nlu import RuleNLU

from ..conftest import CAMRESTAURANTS, requires_shared


def tiny_pydial(folder: Path) -> Path:
    """A hand-made PyDial pair ``Tiny-rules.json`` + ``Tiny-dbase.db``; returns the rules path."""
    rules = {
        "type": "shop",
        "informable": {"food": ["thai", "pizza"], "area": ["north", "south"]},
        "requestable": ["name", "food", "area", "phone"],
        "system_requestable": ["food", "area"],
        "discourseAct": ["hello"],
        "method": ["none"],
    }
    path = folder / "Tiny-rules.json"
    path.write_text(json.dumps(rules), encoding="utf-8")
    with sqlite3.connect(folder / "Tiny-dbase.db") as connection:
        connection.execute("CREATE TABLE Tiny (id TEXT, name TEXT, food TEXT, area TEXT, phone)")
        connection.execute("INSERT INTO Tiny VALUES ('1', 'siam', 'thai', 'north', '0101')")
    connection.close()
    return path


def top(nlu: RuleNLU, text: str) -> str:
    return format_acts(nlu.parse(text)[0].acts)


def test_builtin_domains_declare_their_slot_synonyms() -> None:
    restaurant = load_domain("restaurant")
    assert "cuisine" in restaurant.slot_synonyms["food"]
    nlu = RuleNLU(restaurant)
    assert top(nlu, "What cuisine is it?") == "request(food)"
    assert top(nlu, "What are their hours?") == "request(opening)"


def test_a_sidecar_file_adds_synonyms_to_a_pydial_domain(tmp_path: Path) -> None:
    rules = tiny_pydial(tmp_path)
    nlu = RuleNLU(load_domain(rules))
    assert top(nlu, "I want som tam.") == "null()"
    (tmp_path / "Tiny-synonyms.yaml").write_text(
        "slot_synonyms:\n  food: [dish]\nsynonyms:\n  food:\n    thai: [som tam]\n",
        encoding="utf-8",
    )
    domain = load_domain(rules)
    assert domain.synonyms == {"food": {"thai": ("som tam",)}}
    assert domain.slot_synonyms == {"food": ("dish",)}
    nlu = RuleNLU(domain)
    assert top(nlu, "I want som tam.") == "inform(food=thai)"
    assert top(nlu, "What dish do they serve?") == "request(food)"


def test_load_domain_takes_a_synonym_file_for_any_domain(tmp_path: Path) -> None:
    extra = tmp_path / "more.yaml"
    extra.write_text("synonyms:\n  area:\n    centre: [the middle]\n", encoding="utf-8")
    domain = load_domain("restaurant", synonyms=extra)
    assert domain.synonyms["area"]["centre"][-1] == "the middle"
    assert "center" in domain.synonyms["area"]["centre"]  # the domain's own are kept
    assert top(RuleNLU(domain), "Somewhere in the middle.") == "inform(area=centre)"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("colour: [red]\n", "colour: unknown key"),
        ("synonyms:\n  drink:\n    tea: [chai]\n", "synonyms.drink: is not an informable"),
        ("synonyms:\n  food:\n    sushi: [maki]\n", "synonyms.food.sushi: 'sushi' is not a value"),
        ("slot_synonyms:\n  colour: [hue]\n", "slot_synonyms.colour: is not a slot"),
        ("slot_synonyms:\n  food: []\n", "slot_synonyms.food: must be a non-empty list"),
        ("- food\n", "the top level must be a mapping"),
    ],
)
def test_a_bad_synonym_file_is_one_line_naming_the_field(
    tmp_path: Path, text: str, problem: str
) -> None:
    rules = tiny_pydial(tmp_path)
    sidecar = tmp_path / "Tiny-synonyms.yaml"
    sidecar.write_text(text, encoding="utf-8")
    with pytest.raises(DomainError) as raised:
        load_domain(rules)
    message = str(raised.value)
    assert "\n" not in message and str(sidecar) in message and problem in message


def test_a_sidecar_linked_from_elsewhere_is_refused(tmp_path: Path) -> None:
    (tmp_path / "domain").mkdir()
    rules = tiny_pydial(tmp_path / "domain")
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("synonyms:\n  food:\n    thai: [som tam]\n", encoding="utf-8")
    (rules.parent / "Tiny-synonyms.yaml").symlink_to(outside)
    with pytest.raises(DomainError, match="outside"):
        load_domain(rules)
    assert load_domain(rules, allow_outside=True).synonyms["food"]["thai"] == ("som tam",)


def test_native_slot_synonyms_must_name_slots(tmp_path: Path) -> None:
    (tmp_path / "db.csv").write_text("name,food\nsiam,thai\n", encoding="utf-8")
    ontology = tmp_path / "tiny.yaml"
    ontology.write_text(
        "name: tiny\ninformable: {food: [thai]}\nsystem_requestable: [food]\n"
        "requestable: [name, food]\ndatabase: db.csv\nslot_synonyms: {colour: [hue]}\n",
        encoding="utf-8",
    )
    with pytest.raises(DomainError, match="slot_synonyms.colour: is not a slot"):
        load_domain(ontology)


@requires_shared(CAMRESTAURANTS)
def test_camrestaurants_reads_human_names_for_slots_and_values() -> None:
    nlu = RuleNLU(load_domain(CAMRESTAURANTS))
    assert top(nlu, "gastro pub in the center") == "inform(food=gastropub) & inform(area=centre)"
    assert top(nlu, "what kind of food do they serve") == "request(food)"
    assert top(nlu, "the address please") == "request(addr)"
    assert top(nlu, "saint john's chop house") == "inform(name=saint johns chop house)"
