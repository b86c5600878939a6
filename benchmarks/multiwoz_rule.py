"""ConvLab-3's rule policy in the MultiWOZ world, against ConvLab's user and the fixed user.

For each user (``CONVLAB_USER``, then ``FIXED_USER``), plays the rule policy for ``--seeds``
seeds × ``--dialogues`` dialogues and prints ConvLab's figures (success, mean and per seed;
system turns; complete; book rate; inform precision / recall / F1), the shares of 1 / 2 /
3-domain goals, success by kind of goal, and environment steps per second in CPU time, for the
world alone and for the world with the rule policy. ConvLab-3's own figures (issue 19) are
printed beside them.

    PYTHONPATH=. .venv/bin/python benchmarks/multiwoz_rule.py [--seeds 3] [--dialogues 1000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import numpy as np

from dialogym.acts import UnifiedAct
from dialogym.envs.multiwoz_world import MultiWozOutcome, MultiWozWorld, play, summarise
from dialogym.policies.multiwoz_rule import MultiWozRulePolicy
from dialogym.randomness import RandomStream
from dialogym.simulators.multiwoz_user import CONVLAB_USER, FIXED_USER, MultiWozUserOptions
from dialogym.tracking.multiwoz_dst import MultiWozState

CONVLAB = (
    "ConvLab-3 (issue 19): success 0.715 (0.700 / 0.728 / 0.717), 9.18 system turns, "
    "goals 1/2/3 domains 34.6/50.2/15.2%, train without booking 1.5% (96% capped), "
    "without train 97.6%, train with booking 97.1%, ~540-660 steps/s"
)


class TimedPolicy:
    """The rule policy, with the CPU time spent in it counted."""

    def __init__(self, policy: MultiWozRulePolicy) -> None:
        self.policy = policy
        self.seconds = 0.0

    def reset(self, random: RandomStream) -> None:
        """Reset the rule policy."""
        self.policy.reset(random)

    def act(self, state: MultiWozState) -> Sequence[UnifiedAct]:
        """The rule policy's acts, timed."""
        start = time.process_time()
        acts = self.policy.act(state)
        self.seconds += time.process_time() - start
        return acts


def figure(value: float | None, digits: int = 3) -> str:
    """A rate for the table, or ``-`` when undefined."""
    return "-" if value is None else f"{value:.{digits}f}"


def run(label: str, options: MultiWozUserOptions, seeds: int, dialogues: int) -> None:
    """Play and print one user's figures."""
    world = MultiWozWorld(user_options=options)
    policy = TimedPolicy(MultiWozRulePolicy(RandomStream(np.random.default_rng(0))))
    outcomes: list[MultiWozOutcome] = []
    per_seed = []
    start = time.process_time()
    for seed in range(seeds):
        played = play(policy, dialogues, seed, world)
        per_seed.append(summarise(played).success)
        outcomes.extend(played)
    total = time.process_time() - start
    s = summarise(outcomes)
    steps = sum(o.evaluation.turns for o in outcomes)
    print(f"## {label}: rule policy, {seeds} seeds x {dialogues} dialogues")
    print(f"success            {s.success:.3f} ({' / '.join(f'{x:.3f}' for x in per_seed)})")
    print(f"system turns       {s.turns:.2f}")
    print(f"complete           {s.complete:.3f}")
    print(f"book rate          {figure(s.book_rate)}")
    print(
        f"inform P / R / F1  {figure(s.inform_precision)} / {figure(s.inform_recall)} / "
        f"{figure(s.inform_f1)}"
    )
    print("goals 1/2/3 domains " + " / ".join(f"{100 * x:.1f}%" for x in s.domain_shares))
    print(
        f"success: train without booking {figure(s.train_without_booking)} "
        f"({figure(s.train_without_booking_capped)} capped), without train "
        f"{figure(s.without_train)}, train with booking {figure(s.train_with_booking)}"
    )
    print(
        f"steps/s (CPU)      world {steps / (total - policy.seconds):.0f}, "
        f"world + rule policy {steps / total:.0f} ({steps} steps)"
    )
    print()


def main() -> None:
    """Parse the arguments and print both users' figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds (0, 1, ...)")
    parser.add_argument("--dialogues", type=int, default=1000, help="dialogues per seed")
    args = parser.parse_args()
    print(CONVLAB)
    print()
    run("ConvLab-compatible user (CONVLAB_USER)", CONVLAB_USER, args.seeds, args.dialogues)
    run("fixed user (FIXED_USER)", FIXED_USER, args.seeds, args.dialogues)


if __name__ == "__main__":
    main()
