"""Big domains cost time and memory linear in their size (issue 17, family 7).

A domain file may hold as many rows and values as `DomainLimits` allows. Before, the PyDial
importer was quadratic in rows (100,000 names: minutes) and every env built all-pairs edit
distances of every system-requestable slot's values, even without errors (12,000 values: past
300 s and 1.7 GB). Now a row's check is one look-up and a value's nearest neighbours are found
when the error channel first confuses it.
"""

from __future__ import annotations

import json
import sqlite3
import time
import tracemalloc
from pathlib import Path

import gymnasium as gym
import pytest
import yaml

from dialogym.domains import load_domain
from dialogym.policies import make_policy

ROWS = 100_000
VALUES = 12_000


def test_the_pydial_importer_reads_a_hundred_thousand_names_in_seconds(tmp_path: Path) -> None:
    rules = {
        "type": "restaurant",
        "informable": {"food": ["thai", "pizza"], "name": ["venue 0"]},
        "system_requestable": ["food"],
        "requestable": ["name", "food"],
    }
    (tmp_path / "Big-rules.json").write_text(json.dumps(rules), encoding="utf-8")
    connection = sqlite3.connect(tmp_path / "Big-dbase.db")
    connection.execute("CREATE TABLE Big (id INTEGER, name TEXT, food TEXT)")
    connection.executemany(
        "INSERT INTO Big VALUES (?, ?, ?)",
        [(i, f"venue {i}", "thai" if i % 2 else "pizza") for i in range(ROWS)],
    )
    connection.commit()
    connection.close()
    start = time.perf_counter()
    domain = load_domain(tmp_path / "Big-rules.json")
    assert time.perf_counter() - start < 10.0
    assert len(domain.entities) == ROWS and len(domain.informable["name"]) == ROWS


@pytest.fixture(scope="module")
def wide_domain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A native domain with `VALUES` values in a system-requestable slot."""
    folder = tmp_path_factory.mktemp("wide")
    ontology = {
        "name": "wide",
        "informable": {"food": [f"food{i}" for i in range(VALUES)], "area": ["north", "south"]},
        "system_requestable": ["food", "area"],
        "requestable": ["name", "food", "area", "phone"],
        "database": "db.csv",
    }
    (folder / "wide.yaml").write_text(yaml.safe_dump(ontology), encoding="utf-8")
    rows = "".join(f"v{i},food{i},{('north', 'south')[i % 2]},0{i}\n" for i in range(VALUES))
    (folder / "db.csv").write_text("name,food,area,phone\n" + rows, encoding="utf-8")
    return folder / "wide.yaml"


@pytest.mark.parametrize("ser", [0.0, 0.3])
def test_an_env_on_a_domain_with_many_values_starts_and_plays_in_seconds(
    wide_domain: Path, ser: float
) -> None:
    start = time.perf_counter()
    tracemalloc.start()
    env = gym.make("dialogym/Dialogue-v0", domain=str(wide_domain), ser=ser)
    policy = make_policy("handcrafted", env)
    heard_wrong = 0
    for seed in range(30):
        observation, info = env.reset(seed=seed)
        while True:
            action, _ = policy.predict(observation, action_masks=env.unwrapped.action_masks())
            observation, _, terminated, truncated, info = env.step(action)
            heard_wrong += info["hypotheses"][0].acts != info["user_acts"]
            if terminated or truncated:
                break
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert time.perf_counter() - start < 60.0  # the bound (about 4 s here, traced)
    assert peak < 500 * 2**20
    assert (heard_wrong > 0) is (ser > 0)  # the channel did confuse values
