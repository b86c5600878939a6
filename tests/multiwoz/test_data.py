"""MultiWOZ package data, the loader, ConvLab's query rules, and one-line errors on bad files."""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dialogym.domains import DomainError, DomainLimits
from dialogym.domains.multiwoz import MULTIWOZ_DATA_DIR, load_multiwoz, time_value
from dialogym.simulators.multiwoz_goals import load_goal_model
from tests.conftest import REPO, SHARED_DATA, requires_shared

MULTIWOZ_SHARED = SHARED_DATA / "multiwoz"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A writable copy of the package data."""
    copy = tmp_path / "multiwoz"
    shutil.copytree(MULTIWOZ_DATA_DIR, copy)
    return copy


def edit_json(path: Path, change: Callable[[Any], object]) -> None:
    """Rewrite a JSON file after ``change`` has edited its content in place."""
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_package_data_has_convlabs_seven_domains() -> None:
    data = load_multiwoz()
    database = data.database
    counts = {d: len(database.rows(d)) for d in database.tables}
    assert counts == {
        "restaurant": 110,
        "hotel": 33,
        "attraction": 79,
        "train": 2828,
        "hospital": 66,
        "police": 1,
    }
    assert len(database.taxi.colors) == 6 and len(database.taxi.types) == 10
    assert set(data.ontology) == set(counts) | {"taxi"}
    assert "centre" in data.ontology["restaurant"]["area"]
    assert load_multiwoz() is data  # the package data is loaded once


def test_attribution_ships_beside_the_data() -> None:
    notice = (MULTIWOZ_DATA_DIR / "NOTICE.md").read_text(encoding="utf-8")
    source = (MULTIWOZ_DATA_DIR / "SOURCE.md").read_text(encoding="utf-8")
    assert "Apache License" in notice and "MIT" in notice
    assert "2a168fc9843e54a468ddec71e001b7559c36aff4" in source


def test_every_data_file_is_package_data() -> None:
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in Python 3.11 and later")
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["dialogym.domains"]
    package = REPO / "dialogym" / "domains"
    files = [p.relative_to(package).as_posix() for p in MULTIWOZ_DATA_DIR.rglob("*") if p.is_file()]
    assert len(files) == 12
    # setuptools' globs do not cross "/" with "*", like fnmatch on each path part
    unshipped = [
        f
        for f in files
        if not any(
            len(f.split("/")) == len(p.split("/"))
            and all(map(fnmatch.fnmatch, f.split("/"), p.split("/")))
            for p in patterns
        )
    ]
    assert not unshipped


@requires_shared(MULTIWOZ_SHARED)
def test_package_data_is_up_to_date_with_its_script() -> None:
    script = REPO / "scripts" / "make_multiwoz_data.py"
    result = subprocess.run(
        [sys.executable, str(script), str(MULTIWOZ_SHARED), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@requires_shared(MULTIWOZ_SHARED)
def test_loads_from_the_shared_folder() -> None:
    data = load_multiwoz(MULTIWOZ_SHARED)
    assert data.folder == MULTIWOZ_SHARED
    assert data.database.rows("train") == load_multiwoz().database.rows("train")
    assert load_goal_model(MULTIWOZ_SHARED) == load_goal_model()


def test_loads_from_a_named_folder(folder: Path) -> None:
    edit_json(folder / "db" / "police_db.json", lambda rows: rows[0].update(name="Mill Road"))
    data = load_multiwoz(folder)
    assert data.database.rows("police")[0]["name"] == "Mill Road"
    assert load_multiwoz().database.rows("police")[0]["name"] == "Parkside Police Station"


# ConvLab's query rules (convlab/util/multiwoz/dbquery.py)


def test_query_rules() -> None:
    database = load_multiwoz().database
    rows = database.rows("train")
    wanted = [("departure", "cambridge"), ("destination", "ely"), ("day", "monday")]
    leaving = database.match("train", [*wanted, ("leaveAt", "10:00")])
    assert leaving == tuple(
        i
        for i, r in enumerate(rows)
        if (r["departure"], r["destination"], r["day"]) == ("cambridge", "ely", "monday")
        and time_value(r["leaveAt"]) >= 1000
    )
    arriving = database.match("train", [*wanted, ("arriveBy", "10:00")])
    assert arriving and all(time_value(rows[i]["arriveBy"]) <= 1000 for i in arriving)
    # center means centre; dontcare and unknown columns constrain nothing; case is ignored
    assert database.match("restaurant", [("area", "center")]) == database.match(
        "restaurant", [("area", "Centre ")]
    )
    everything = tuple(range(len(database.rows("restaurant"))))
    assert database.match("restaurant", [("food", "dontcare"), ("colour", "red")]) == everything
    # "?" in a row matches any value (attractions with an unknown price range)
    unknown = [i for i, r in enumerate(database.rows("attraction")) if r["pricerange"] == "?"]
    assert set(unknown) <= set(database.match("attraction", [("pricerange", "moderate")]))
    # hospital is queried on the department alone, police on nothing, taxi always has a car
    assert len(database.match("hospital", [("department", "Cardiology")])) == 1
    assert len(database.match("hospital", [("phone", "0")])) == 66
    assert database.match("police", [("name", "nowhere")]) == (0,)
    assert database.has_match("taxi", [("departure", "nowhere")])


def test_unknown_request_values() -> None:
    database = load_multiwoz().database
    unknown = database.unknown_mask("attraction", "entrance fee")
    rows = database.rows("attraction")
    assert unknown == sum(1 << i for i, r in enumerate(rows) if r["entrance fee"] == "?")
    assert database.unknown_mask("train", "trainID") == 0


# Bad files: one line naming the file and the field


BAD_FILES: dict[str, tuple[str, Callable[[Any], object], str]] = {
    "db empty": ("db/police_db.json", lambda rows: rows.clear(), "holds no entity"),
    "row not an object": ("db/hotel_db.json", lambda rows: rows.__setitem__(3, "x"), "[3]"),
    "name missing": ("db/restaurant_db.json", lambda rows: rows[7].pop("name"), "[7].name"),
    "name not a string": (
        "db/attraction_db.json",
        lambda rows: rows[2].update(name=5),
        "[2].name",
    ),
    "time malformed": (
        "db/train_db.json",
        lambda rows: rows[11].update(leaveAt="noon"),
        "[11].leaveAt",
    ),
    "taxi colours missing": (
        "db/taxi_db.json",
        lambda table: table.pop("taxi_colors"),
        "taxi_colors",
    ),
    "taxi type not a string": (
        "db/taxi_db.json",
        lambda table: table["taxi_types"].append(3),
        "taxi_types[10]",
    ),
    "ontology domain missing": ("value_set.json", lambda vs: vs.pop("hotel"), "hotel"),
    "ontology value not a string": (
        "value_set.json",
        lambda vs: vs["hotel"]["stars"].append(None),
        "hotel.stars[4]",
    ),
}


def test_database_that_is_not_a_list(folder: Path) -> None:
    (folder / "db" / "hotel_db.json").write_text('{"rows": []}', encoding="utf-8")
    with pytest.raises(DomainError, match=r"hotel_db.json: must be a JSON list of entities"):
        load_multiwoz(folder)


def test_file_that_is_not_json(folder: Path) -> None:
    (folder / "value_set.json").write_text("{'hotel': }", encoding="utf-8")
    with pytest.raises(DomainError, match=r"value_set.json: line 1: not valid JSON"):
        load_multiwoz(folder)


def test_file_over_the_size_limit_is_not_read(folder: Path) -> None:
    limits = DomainLimits(max_file_bytes=100_000)
    with pytest.raises(DomainError, match=r"train_db.json: is \d+ bytes, over the limit"):
        load_multiwoz(folder, limits=limits)


def test_missing_folder_and_missing_file(folder: Path) -> None:
    with pytest.raises(DomainError, match="is not a folder"):
        load_multiwoz(folder / "nowhere")
    (folder / "db" / "taxi_db.json").unlink()
    with pytest.raises(DomainError, match=r"taxi_db.json: file not found"):
        load_multiwoz(folder)


def test_link_out_of_the_folder_is_refused(folder: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.json"
    shutil.copy(folder / "db" / "hotel_db.json", outside)
    (folder / "db" / "hotel_db.json").unlink()
    (folder / "db" / "hotel_db.json").symlink_to(outside)
    with pytest.raises(DomainError, match="hotel_db.json: leads outside the folder"):
        load_multiwoz(folder)


GOAL_MODEL = "goal/goal_model.json"
BAD_MODELS: dict[str, tuple[Callable[[Any], object], str]] = {
    "ordering domain unknown": (
        lambda m: m["domain_ordering_dist"][0]["domains"].append("zoo"),
        "domain_ordering_dist[0].domains",
    ),
    "ordering p not a number": (
        lambda m: m["domain_ordering_dist"][1].update(p="often"),
        "domain_ordering_dist[1].p",
    ),
    "book share over one": (lambda m: m["book_dist"].update(hotel=1.5), "book_dist.hotel"),
    "slot set count negative": (
        lambda m: m["slots_combination_dist"]["hotel"]["info"][2].update(count=-1),
        "slots_combination_dist.hotel.info[2].count",
    ),
    "value table missing": (
        lambda m: m["ind_slot_value_dist"]["restaurant"]["info"].pop("food"),
        "ind_slot_value_dist.restaurant.info.food",
    ),
    "booking day not a day": (
        lambda m: m["ind_slot_value_dist"]["hotel"]["book"]["day"].update(someday=0.1),
        "ind_slot_value_dist.hotel.book.day",
    ),
    "taxi time share missing": (
        lambda m: m["ind_slot_dist"]["taxi"]["info"].pop("leaveAt"),
        "ind_slot_dist.taxi.info.leaveAt",
    ),
    "domain missing": (lambda m: m["ind_slot_dist"].pop("police"), "ind_slot_dist.police"),
}


BAD: dict[str, tuple[str, Callable[[Any], object], str]] = {
    **BAD_FILES,
    **{case: (GOAL_MODEL, change, field) for case, (change, field) in BAD_MODELS.items()},
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_file_gives_one_line_naming_file_and_field(folder: Path, case: str) -> None:
    relative, change, field = BAD[case]
    edit_json(folder / relative, change)
    with pytest.raises(DomainError) as caught:
        (load_goal_model if relative == GOAL_MODEL else load_multiwoz)(folder)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(folder / relative))
    assert f": {field}" in message
