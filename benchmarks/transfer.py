"""Across domains: a structured agent trained on one domain, played on others, then continued.

1. Trains ``structured_ppo`` on ``--source`` (default CamRestaurants env3, 4000 dialogues), or
   takes ``--model``.
2. Plays it, with no further training, on each ``--target`` (default: Laptops11 env1 and env3,
   and FORMAT.md's ``cafes`` example; ``TASK@DOMAIN``), beside the handcrafted policy on the same
   test dialogues.
3. Continues it with ``train --init`` for ``--continue-dialogues`` (1000) on ``--continue-on``
   (Laptops11 env3) and tests it there again.

Prints one Markdown table (success, return, turns over ``--episodes`` test dialogues, and the
share of handcrafted's success). Needs ``../shared/data/pydial``.

    .venv/bin/python benchmarks/transfer.py [--seed 0] [--episodes 500] [--model RUN/model.zip]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from dialogym.agents import AgentPolicy, TrainConfig
from dialogym.cli import make_env, policy_env_kwargs
from dialogym.envs.rollout import evaluate
from dialogym.policies import make_policy
from dialogym.train import TEST_SEED, train

REPO = Path(__file__).resolve().parents[1]
PYDIAL = REPO.parent / "shared" / "data" / "pydial"
CAMRESTAURANTS = str(PYDIAL / "CamRestaurants-rules.json")
LAPTOPS11 = str(PYDIAL / "Laptops11-rules.json")
CAFES = str(REPO / "tests" / "data" / "domains" / "cafes.yaml")
TARGETS = [f"env1@{LAPTOPS11}", f"env3@{LAPTOPS11}", f"env1@{CAFES}"]


def env_id(task: str) -> str:
    """``env3`` -> ``dialogym/PyDialEnv3-v0``."""
    return f"dialogym/PyDialEnv{task.removeprefix('env')}-v0"


def play(model: str, task: str, domain: str, episodes: int, seed: int) -> dict[str, float]:
    """The agent and handcrafted on the same test dialogues of ``task`` in ``domain``."""
    env = make_env(env_id(task), policy_env_kwargs(model, {"domain": domain}))
    agent, _ = evaluate(env, AgentPolicy.load(model, env=env), episodes, TEST_SEED + seed)
    flat = make_env(env_id(task), {"domain": domain})
    rules, _ = evaluate(flat, make_policy("handcrafted", flat), episodes, TEST_SEED + seed)
    return {
        "success": agent["success_rate"],
        "return": agent["avg_return"],
        "turns": agent["avg_turns"],
        "hdc_success": rules["success_rate"],
        "hdc_return": rules["avg_return"],
    }


def row(label: str, figures: dict[str, float]) -> str:
    """One line of the table."""
    share = figures["success"] / max(figures["hdc_success"], 1e-9)
    return (
        f"| {label} | {figures['success']:.3f} | {figures['return']:.2f} | {figures['turns']:.2f}"
        f" | {figures['hdc_success']:.3f} | {figures['hdc_return']:.2f} | {share:.0%} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--episodes", type=int, default=500)
    parser.add_argument("--model", help="a structured_ppo model.zip (default: train one)")
    parser.add_argument("--source", default=f"env3@{CAMRESTAURANTS}")
    parser.add_argument("--source-dialogues", type=int, default=4000)
    parser.add_argument(
        "--target", action="append", help=f"TASK@DOMAIN, repeatable (default {TARGETS})"
    )
    parser.add_argument("--continue-on", default=f"env3@{LAPTOPS11}")
    parser.add_argument("--continue-dialogues", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        model = args.model
        if model is None:
            task, _, domain = args.source.partition("@")
            config = TrainConfig(
                env=env_id(task), env_kwargs={"domain": domain}, algo="structured_ppo",
                dialogues=args.source_dialogues, seed=args.seed, eval_every=args.source_dialogues,
                eval_episodes=100, test_episodes=100,
            )  # fmt: skip
            train(config, Path(folder) / "source", progress=False)
            model = str(Path(folder) / "source" / "model.zip")
        print(f"source: {args.source} ({model})\n")
        print(
            "| played on | success | return | turns | handcrafted success | handcrafted return | share of handcrafted's success |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for target in args.target or TARGETS:
            task, _, domain = target.partition("@")
            print(
                row(
                    f"{task} {Path(domain).stem} (no training)",
                    play(model, task, domain, args.episodes, args.seed),
                ),
                flush=True,
            )
        task, _, domain = args.continue_on.partition("@")
        config = TrainConfig(
            env=env_id(task), env_kwargs={"domain": domain}, algo="structured_ppo",
            dialogues=args.continue_dialogues, seed=args.seed, init=model,
            eval_every=args.continue_dialogues, eval_episodes=100, test_episodes=100,
        )  # fmt: skip
        train(config, Path(folder) / "continued", progress=False)
        continued = str(Path(folder) / "continued" / "model.zip")
        label = f"{task} {Path(domain).stem} (after --init and {args.continue_dialogues} dialogues)"
        print(row(label, play(continued, task, domain, args.episodes, args.seed)))


if __name__ == "__main__":
    main()
