"""Check dialogym's MultiWOZ user and evaluator against ConvLab-3's own, dialogue by dialogue.

ConvLab-3's agenda user (``convlab/policy/rule/multiwoz/policy_agenda_multiwoz.py``) and its
``MultiWozEvaluator`` are loaded from a ConvLab-3 checkout (commit 2a168fc), with stand-ins for
the imports they do not use here (nltk, fuzzywuzzy, the goal generator, the policy base class).
Both users get the same goal, the same system turns and the same random draws: ConvLab's
``random`` module is replaced by one that takes its draws from a `RandomStream` seeded as
dialogym's user's, and both make their draws in the same order. Every user turn, the end of
the dialogue, ``task_complete`` and, at the end, every evaluator figure must be equal; the
first difference is printed and the script exits with status 1.

Two kinds of system turn are tried: ``guided`` (acts about the goal's domains, with values from
matching database rows, bookings, offers, requests...) and ``random`` (any intent, domain, slot
and ontology value). A dialogue where ConvLab raises (a ``book`` act on a domain outside the
seven, or a booking in a domain the belief state lacks) is counted as skipped.

    python scripts/check_multiwoz_against_convlab.py --convlab ../ConvLab-3 --dialogues 1000
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import math
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np

from dialogym.acts import UnifiedAct
from dialogym.domains.multiwoz import MultiWozData, load_multiwoz
from dialogym.envs.multiwoz_evaluation import Belief, MultiWozEvaluator
from dialogym.randomness import RandomStream
from dialogym.simulators.multiwoz_goals import MultiWozGoal, MultiWozGoalGenerator
from dialogym.simulators.multiwoz_user import MultiWozUser

UNIFIED = {
    "pricerange": "price range",
    "arriveBy": "arrive by",
    "leaveAt": "leave at",
    "trainID": "train id",
    "car type": "type",
    "people": "book people",
    "day": "book day",
    "stay": "book stay",
    "time": "book time",
}
"""Goal slot to unified slot, for the guided system (train's ``day`` stays ``day``)."""


class StreamRandom:
    """Python's ``random`` functions that ConvLab's user calls, drawn from a `RandomStream`."""

    def __init__(self, stream: RandomStream) -> None:
        self.stream = stream

    def sample(self, items: Any, k: int) -> list[Any]:
        return self.stream.sample(list(items), k)

    def randint(self, low: int, high: int) -> int:
        return low if low == high else low + self.stream.below(high - low + 1)

    def random(self) -> float:
        return self.stream.random()

    def choice(self, items: Any) -> Any:
        return self.stream.choice(items)


def load_convlab(root: Path) -> tuple[types.ModuleType, types.ModuleType]:
    """ConvLab's agenda user module and evaluator module, loaded from a checkout."""

    def stub(name: str, **attrs: Any) -> None:
        module = types.ModuleType(name)
        module.__dict__.update(attrs)
        sys.modules[name] = module

    def load(name: str, relative: str) -> types.ModuleType:
        spec = importlib.util.spec_from_file_location(name, root / relative)
        assert spec is not None and spec.loader is not None, relative
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module

    stub("nltk")
    stub("nltk.tokenize", TreebankWordTokenizer=object, PunktSentenceTokenizer=object)
    stub("fuzzywuzzy", fuzz=None)
    unified = load(
        "convlab_multiwoz21_preprocess", "data/unified_datasets/multiwoz21/preprocess.py"
    )

    def relative_import(dataset: str, filename: str, names: Any) -> Any:
        if isinstance(names, str):
            return getattr(unified, names)
        return [getattr(unified, name) for name in names]

    for package in ("convlab", "convlab.policy", "convlab.policy.rule", "convlab.task"):
        stub(package)
    for package in ("convlab.task.multiwoz", "convlab.util.multiwoz", "convlab.evaluator"):
        stub(package)
    stub("convlab.policy.rule.multiwoz")
    stub("convlab.util", relative_import_module_from_unified_datasets=relative_import)
    stub("convlab.policy.policy", Policy=type("Policy", (), {"__init__": lambda self: None}))
    stub("convlab.task.multiwoz.goal_generator", GoalGenerator=type("GoalGenerator", (), {}))
    load(
        "convlab.util.multiwoz.multiwoz_slot_trans", "convlab/util/multiwoz/multiwoz_slot_trans.py"
    )
    agenda = load(
        "convlab.policy.rule.multiwoz.policy_agenda_multiwoz",
        "convlab/policy/rule/multiwoz/policy_agenda_multiwoz.py",
    )
    load("convlab.util.multiwoz.dbquery", "convlab/util/multiwoz/dbquery.py")
    load("convlab.evaluator.evaluator", "convlab/evaluator/evaluator.py")
    evaluator = load("convlab.evaluator.multiwoz_eval", "convlab/evaluator/multiwoz_eval.py")
    return agenda, evaluator


def guided_turn(stream: RandomStream, goal: MultiWozGoal, data: MultiWozData) -> list[UnifiedAct]:
    """System acts about the goal's domains, mostly with values of matching entities."""
    acts: list[UnifiedAct] = []
    database = data.database
    for _ in range(stream.below(4) + 1):
        domain = stream.choice(goal.domains)
        wanted = goal[domain]
        row: dict[str, Any] = {"type": "toyota", "phone": "07218068540"}
        index = 0
        if domain != "taxi":
            matches = database.match(domain, list(wanted.info.items()))
            if matches and stream.random() < 0.8:
                index = stream.choice(matches)
            else:
                index = stream.below(len(database.rows(domain)))
            row = dict(database.rows(domain)[index])
        texts = [slot for slot, value in row.items() if isinstance(value, str)]
        draw = stream.random()
        if draw < 0.35:
            slot = stream.choice(texts)
            intent = stream.choice(("inform", "recommend", "inform"))
            acts.append((intent, domain, UNIFIED.get(slot, slot).lower(), row[slot]))
        elif draw < 0.45:
            acts.append(("inform", domain, "choice", str(stream.below(5))))
        elif draw < 0.55:
            asked = [*wanted.info, *wanted.book, "area", "food", "people", "ref"]
            slot = stream.choice(asked)
            acts.append(
                ("request", domain, "day" if slot == "day" else UNIFIED.get(slot, slot), "")
            )
        elif draw < 0.65 and domain != "taxi":
            acts += [("book", domain, "", ""), ("inform", domain, "ref", f"{index:08d}")]
        elif draw < 0.72:
            slot, value = stream.choice((("", ""), ("day", "monday"), ("departure", "cambridge")))
            acts.append((stream.choice(("offerbook", "offerbooked")), domain, slot, value))
        elif draw < 0.76:
            acts += [("select", domain, "area", "north"), ("select", domain, "area", "south")]
        elif draw < 0.80:
            acts.append((stream.choice(("nooffer", "nobook")), domain, "", ""))
        elif draw < 0.84:
            acts.append((stream.choice(("reqmore", "bye", "greet", "welcome")), "general", "", ""))
        else:
            for slot in wanted.reqt:
                known = row.get(slot)
                told = known if isinstance(known, str) else "?"
                acts.append(("inform", domain, UNIFIED.get(slot, slot), told))
    return acts


def random_turn(stream: RandomStream, goal: MultiWozGoal, data: MultiWozData) -> list[UnifiedAct]:
    """Any intent, domain, slot and ontology value (no ``book`` on ``general``: ConvLab raises)."""
    intents = ["inform", "request", "recommend", "select", "nooffer", "nobook", "book"]
    intents += ["offerbook", "offerbooked"]
    domains = (*data.ontology, "general")
    acts: list[UnifiedAct] = []
    for _ in range(stream.below(4) + 1):
        domain = stream.choice(domains)
        if domain == "general":
            acts.append((stream.choice(("reqmore", "bye", "greet", "welcome")), domain, "", ""))
            continue
        intent = stream.choice(intents)
        slot = stream.choice((*UNIFIED.values(), "choice", "ref", "name", "area", "phone", ""))
        values = [v for vs in data.ontology[domain].values() for v in vs[:5]]
        acts.append((intent, domain, slot, stream.choice([*values, "", "0", "2", "00000003"])))
    return acts


def belief_of(goal: MultiWozGoal) -> Belief:
    """A belief state that holds the goal's constraints and booking."""
    belief: dict[str, dict[str, str]] = {}
    for part in goal.domain_goals:
        state = {UNIFIED.get(slot, slot): value for slot, value in part.info.items()}
        state.update({f"book {slot}": value for slot, value in part.book.items()})
        belief[part.domain] = state
    return belief


def same(a: float | None, b: float | None) -> bool:
    return (a is None) == (b is None) and (a is None or b is None or math.isclose(a, b))


def check(
    seed: int, system: Any, convlab: tuple[types.ModuleType, types.ModuleType], data: MultiWozData
) -> str | None:
    """One dialogue both ways: ``None`` if equal, ``"skipped"``, or the first difference."""
    agenda_module, evaluator_module = convlab
    goal = MultiWozGoalGenerator(data=data).sample(RandomStream(np.random.default_rng(seed)))
    ours = RandomStream(np.random.default_rng([seed, 1]))
    their_random = StreamRandom(RandomStream(np.random.default_rng([seed, 1])))
    agenda_module.random = their_random  # type: ignore[attr-defined]
    systems = RandomStream(np.random.default_rng([seed, 2]))
    their_goal = agenda_module.Goal.__new__(agenda_module.Goal)
    their_goal.set_user_goal(copy.deepcopy(goal.to_convlab()))
    their_user = agenda_module.UserPolicyAgendaMultiWoz()
    their_user.init_session(goal=their_goal)
    their_evaluator = evaluator_module.MultiWozEvaluator()
    their_evaluator.add_goal(their_user.get_goal())
    user, evaluator = MultiWozUser(data), MultiWozEvaluator(data)
    evaluator.reset(goal)
    said = (tuple(map(tuple, their_user.predict([]))), user.start(goal, ours))
    belief = belief_of(goal)
    while True:
        if said[0] != said[1]:
            return f"seed {seed}: user said {said[1]}, ConvLab's {said[0]}"
        if user.terminated != their_user.is_terminated():
            return f"seed {seed}: terminated {user.terminated} vs ConvLab's"
        if user.task_complete() != their_user.goal.task_complete():
            return f"seed {seed}: task_complete {user.task_complete()} vs ConvLab's"
        if user.terminated:
            break
        acts = system(systems, goal, data)
        given = belief if systems.random() < 0.7 else None
        try:
            their_evaluator.add_sys_da([list(act) for act in acts], given)
        except KeyError:
            return "skipped"
        evaluator.add_system_acts(acts, given)
        their_reply = their_user.predict([list(act) for act in acts])
        said = (tuple(map(tuple, their_reply)), user.respond(acts))
    their_success = bool(their_evaluator.task_success())
    result = evaluator.evaluate(terminated=True)
    figures = {
        "success": (result.success, their_success),
        "complete": (result.complete, bool(their_evaluator.complete)),
        "book rate": (result.book_rate, their_evaluator.book_rate()),
        "inform": (
            (result.inform_precision, result.inform_recall, result.inform_f1),
            their_evaluator.inform_F1(),
        ),
        "final goal": (evaluator.final_goal_analyze(), their_evaluator.final_goal_analyze()),
        "book constraints": (evaluator.book_constraints(), their_evaluator.book_rate_constrains()),
    }
    for name, (mine, theirs) in figures.items():
        pairs = zip(mine, theirs, strict=True) if isinstance(mine, tuple) else [(mine, theirs)]
        if not all(same(a, b) for a, b in pairs):
            return f"seed {seed}: {name} {mine} vs ConvLab's {theirs}"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--convlab", type=Path, required=True, help="a ConvLab-3 checkout")
    parser.add_argument("--dialogues", type=int, default=1000, help="per kind of system turn")
    parser.add_argument("--seed", type=int, default=0, help="the first dialogue's seed")
    args = parser.parse_args()
    convlab = load_convlab(args.convlab.resolve())
    data = load_multiwoz()
    for name, system in (("guided", guided_turn), ("random", random_turn)):
        skipped = 0
        for seed in range(args.seed, args.seed + args.dialogues):
            outcome = check(seed, system, convlab, data)
            if outcome == "skipped":
                skipped += 1
            elif outcome is not None:
                print(f"{name}: {outcome}")
                return 1
        print(f"{name}: {args.dialogues - skipped} dialogues identical, {skipped} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
