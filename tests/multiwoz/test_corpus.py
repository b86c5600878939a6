"""MultiWOZ dialogues in ConvLab-3's unified format: written, serialised, read back unchanged."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dialogym.domains.native import DEFAULT_LIMITS
from dialogym.envs.multiwoz_corpus import (
    CATEGORICAL,
    load_unified_dialogues,
    read_unified_dialogue,
    unified_dialogue,
)
from dialogym.envs.multiwoz_world import MultiWozOutcome, play
from dialogym.policies.multiwoz_rule import MultiWozRulePolicy
from dialogym.randomness import RandomStream
from dialogym.simulators.multiwoz_goals import MultiWozGoal


@pytest.fixture(scope="module")
def outcomes() -> list[MultiWozOutcome]:
    policy = MultiWozRulePolicy(RandomStream(np.random.default_rng(0)))
    return play(policy, dialogues=30, seed=11)


@pytest.fixture(scope="module")
def written(outcomes: list[MultiWozOutcome]) -> list[dict[str, Any]]:
    dialogues = []
    for index, outcome in enumerate(outcomes):
        assert outcome.goal is not None
        dialogues.append(unified_dialogue(outcome.goal, outcome.turns, index=index))
    return dialogues


def test_rule_policy_dialogues_read_back_with_the_same_acts_and_goal(
    outcomes: list[MultiWozOutcome], written: list[dict[str, Any]]
) -> None:
    for outcome, data in zip(outcomes, written, strict=True):
        back = read_unified_dialogue(json.loads(json.dumps(data)))
        assert back.goal == outcome.goal
        assert back.turns == outcome.turns
        assert [turn.acts for turn in back.turns] == [turn.acts for turn in outcome.turns]
        assert back.utterances == ("",) * len(outcome.turns)
    assert any(o.goal and any(g.fail_info for g in o.goal.domain_goals) for o in outcomes)


def test_written_dialogues_follow_convlabs_unified_format(
    outcomes: list[MultiWozOutcome], written: list[dict[str, Any]]
) -> None:
    data, outcome = written[0], outcomes[0]
    assert (
        data["dialogue_id"] == "dialogym_multiwoz-train-0"
        and data["dataset"] in data["dialogue_id"]
    )
    assert data["domains"][: len(outcome.domains)] == list(outcome.domains)
    assert set(data["goal"]) == {"description", "inform", "request"}
    for domain, slots in data["goal"]["request"].items():
        assert all(value == "" for value in slots.values()) and domain in data["domains"]
    for number, turn in enumerate(data["turns"]):
        assert turn["speaker"] == ("user", "system")[number % 2] and turn["utt_idx"] == number
        acts = turn["dialogue_acts"]
        assert all("value" not in act for act in acts["binary"])
        assert all(act["slot"] in CATEGORICAL[act["domain"]] for act in acts["categorical"])
        assert all(act["slot"] not in CATEGORICAL.get(act["domain"], ()) for act in acts["non-categorical"])  # fmt: skip
        assert ("state" in turn) == (turn["speaker"] == "user")
    assert data["turns"][0]["state"]["hotel"].keys() >= {"price range", "book stay"}


def test_a_goal_reads_back_from_convlabs_goal_fields_alone(
    outcomes: list[MultiWozOutcome], written: list[dict[str, Any]]
) -> None:
    checked = 0
    for outcome, data in zip(outcomes, written, strict=True):
        assert outcome.goal is not None
        plain = {key: value for key, value in data.items() if key != "user_goal"}
        goal = read_unified_dialogue(plain).goal
        if any(g.fail_info or g.fail_book for g in outcome.goal.domain_goals):
            failing = next(g for g in outcome.goal.domain_goals if g.fail_info)
            assert goal[failing.domain].info == failing.info
            continue
        assert goal == outcome.goal
        checked += 1
    assert checked >= 20


def test_a_first_and_final_value_give_fail_info_and_info() -> None:
    goal = MultiWozGoal.from_convlab(
        {"restaurant": {"info": {"food": "chinese", "pricerange": "cheap"},
                        "fail_info": {"food": "eritrean", "pricerange": "cheap"},
                        "book": {"people": "2", "day": "monday", "time": "12:00"}}}
    )  # fmt: skip
    data = unified_dialogue(goal, [])
    assert data["goal"]["inform"] == {
        "restaurant": {
            "food": "eritrean|chinese",
            "price range": "cheap|cheap",
            "book people": "2",
            "book day": "monday",
            "book time": "12:00",
        }
    }
    del data["user_goal"]
    data["turns"] = [{"speaker": "user", "utt_idx": 0, "utterance": "", "dialogue_acts": {}}]
    assert read_unified_dialogue(data).goal == goal


def test_files_of_dialogues_load_as_a_list_or_as_json_lines(
    tmp_path: Path, outcomes: list[MultiWozOutcome], written: list[dict[str, Any]]
) -> None:
    listed, lines = tmp_path / "dialogues.json", tmp_path / "dialogues.jsonl"
    listed.write_text(json.dumps(written, indent=2), encoding="utf-8")
    lines.write_text("".join(json.dumps(d) + "\n" for d in written), encoding="utf-8")
    for path in (listed, lines):
        back = load_unified_dialogues(path)
        assert [d.turns for d in back] == [o.turns for o in outcomes]
        assert [d.dialogue_id for d in back] == [d["dialogue_id"] for d in written]


def broken(data: dict[str, Any], change: str) -> dict[str, Any]:
    data = copy.deepcopy(data)
    if change == "speaker":
        data["turns"][1]["speaker"] = "user"
    elif change == "slot":
        data["turns"][0]["dialogue_acts"]["binary"].append({"intent": "bye", "domain": "general"})
    elif change == "index":
        for act in data["turns"][0]["dialogue_acts"]["categorical"]:
            act["index"] = 0
        data["turns"][0]["dialogue_acts"]["non-categorical"] = [
            {"intent": "inform", "domain": "hotel", "slot": "name", "value": "x", "index": 0}
        ]
    elif change == "user_goal":
        data["user_goal"] = {"hotel": {"info": {"area": 3}}}
    elif change == "state":
        data["turns"][0]["state"] = {"hotel": ["area"]}
    elif change == "turns":
        data["turns"] = {}
    return data


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ("speaker", "turns[1].speaker"),
        ("slot", "turns[0].dialogue_acts.binary"),
        ("index", "turns[0].dialogue_acts: the acts' index"),
        ("user_goal", "user_goal: hotel.info"),
        ("state", "turns[0].state.hotel"),
        ("turns", "turns: must be"),
    ],
)
def test_a_malformed_dialogue_is_one_line_naming_the_field(
    tmp_path: Path, written: list[dict[str, Any]], change: str, field: str
) -> None:
    path = tmp_path / "corpus.json"
    path.write_text(json.dumps([written[0], broken(written[0], change)]), encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(f"corpus.json: dialogue 1: {field}")) as caught:
        load_unified_dialogues(path)
    assert "\n" not in str(caught.value)


def test_a_file_that_is_not_json_or_too_big_is_refused(
    tmp_path: Path, written: list[dict[str, Any]]
) -> None:
    path = tmp_path / "corpus.json"
    path.write_text("[{'dialogue_id': __import__('os')}]", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_unified_dialogues(path)
    path.write_text(json.dumps(written), encoding="utf-8")
    small = dataclasses.replace(DEFAULT_LIMITS, max_file_bytes=1000)
    with pytest.raises(ValueError, match="limit"):
        load_unified_dialogues(path, small)
