"""One MultiWOZ dialogue at the semantic level, run in the order of ConvLab-3's ``Environment``.

`MultiWozWorld` composes the goal generator, the agenda user, the rule tracker and the
evaluator exactly as ConvLab-3's ``Environment`` (``convlab/dialog_agent/env.py`` at 2a168fc,
"ENV" below) composes them:

- `MultiWozWorld.reset` draws a goal, starts the user (the user speaks first, ENV:22-28),
  resets the tracker and gives the evaluator the goal, then reads the user's opening acts into
  the tracker. ConvLab runs ``step([])`` for the opening turn, which also hands the evaluator an
  empty system turn; here the evaluator sees system turns only, so its ``turns`` counts the
  system's turns.
- `MultiWozWorld.step` (ENV:30-79), for one system turn: records the system's acts (``book``
  acts in ``state.booked``); gives them to the user, unchanged, for its answer; gives them to
  the evaluator with the system's belief from before the user's answer; reads the user's acts
  into the tracker; and returns the state, the evaluator's reward and whether the user ended
  the dialogue.

The dialogue ends only when the user says bye; the user's turn cap (20 system turns with
ConvLab's ``max_turn`` of 40) makes it say bye at the latest in reply to the 20th system turn.
Each dialogue draws from its own `RandomStream`, seeded from the seed given to `reset`, so a
dialogue is the same whatever ran before it. `play` runs a system policy (anything with
ConvLab's ``act(state) -> acts``) for many dialogues and returns each one's `MultiWozOutcome`;
`summarise` gives the figures ConvLab reports, and success by kind of goal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from dialogym.acts import UnifiedAct
from dialogym.domains.multiwoz import MultiWozData, load_multiwoz
from dialogym.envs.multiwoz_evaluation import MultiWozEvaluation, MultiWozEvaluator
from dialogym.randomness import RandomStream
from dialogym.simulators.multiwoz_goals import MultiWozGoal, MultiWozGoalGenerator
from dialogym.simulators.multiwoz_user import CONVLAB_USER, MultiWozUser, MultiWozUserOptions
from dialogym.tracking.multiwoz_dst import MultiWozState, MultiWozTracker, lowered_ontology

Seed = int | Sequence[int]
"""What seeds a dialogue: an int or a sequence of ints, as ``numpy.random.default_rng`` takes."""


@dataclass(frozen=True)
class MultiWozTurn:
    """One turn of a played dialogue, as `MultiWozWorld` keeps it.

    Attributes:
        speaker: ``"user"`` or ``"system"``.
        acts: The turn's acts in ConvLab's unified form, in the order said.
        belief: For a user turn, the system tracker's belief right after it (domain to slot to
            value, ``""`` when unknown); ``None`` for a system turn.
    """

    speaker: str
    acts: tuple[UnifiedAct, ...]
    belief: Mapping[str, Mapping[str, str]] | None = None


@dataclass(frozen=True)
class MultiWozOutcome:
    """How one MultiWOZ dialogue went: ConvLab's figures and the facts of its goal.

    Attributes:
        evaluation: The evaluator's figures (success and complete are False when the user
            had not ended the dialogue).
        domains: The goal's domains, in the order the user takes them.
        booking_domains: The goal's domains that ask for a booking.
        user_complete: Whether the user's own goal bookkeeping was complete at the end
            (ConvLab's ``goal.task_complete()``, which its ``policy/evaluate.py`` reports as
            "Complete").
        capped: Whether the user's turn cap ended the dialogue (rather than the user's goal).
        total_reward: The sum of the evaluator's rewards over the system's turns.
        goal: The user's goal (as drawn, before the user acted on it).
        turns: Every turn so far, the user's opening first (`MultiWozTurn`).
    """

    evaluation: MultiWozEvaluation
    domains: tuple[str, ...]
    booking_domains: tuple[str, ...]
    user_complete: bool
    capped: bool
    total_reward: float
    goal: MultiWozGoal | None = None
    turns: tuple[MultiWozTurn, ...] = ()


class MultiWozWorld:
    """One MultiWOZ dialogue at a time: goal, agenda user, rule tracker and evaluator.

    Call `reset` to begin a dialogue, then `step` with the system's acts of each turn until it
    returns ``terminated``; `outcome` then holds the dialogue's figures.

    Args:
        data: The MultiWOZ databases and ontology (default: the package data).
        user_options: The user's behaviour (default: ConvLab's user, defects included).
        goals: The goal generator (default: ConvLab's goal model over ``data``).
        tracker: The system's tracker (default: the rule tracker over the package ontology).
        evaluator: The evaluator (default: ConvLab's, over ``data``).

    >>> world = MultiWozWorld()
    >>> state = world.reset(seed=0)
    >>> state.user_acts == world.user_acts
    True
    >>> while not world.terminated:
    ...     state, reward, terminated = world.step([("greet", "general", "", "")])
    >>> world.outcome().evaluation.turns
    20
    """

    def __init__(
        self,
        data: MultiWozData | None = None,
        user_options: MultiWozUserOptions = CONVLAB_USER,
        goals: MultiWozGoalGenerator | None = None,
        tracker: MultiWozTracker | None = None,
        evaluator: MultiWozEvaluator | None = None,
    ) -> None:
        self.data = data or load_multiwoz()
        self.goals = goals or MultiWozGoalGenerator(data=self.data)
        self.user = MultiWozUser(self.data, user_options)
        self.tracker = tracker or MultiWozTracker(lowered_ontology(data))
        self.evaluator = evaluator or MultiWozEvaluator(self.data)
        self.goal: MultiWozGoal | None = None
        self.total_reward = 0.0
        self.turns: list[MultiWozTurn] = []

    @property
    def state(self) -> MultiWozState:
        """The tracker's state, updated in place each turn (copy it to keep a turn's)."""
        return self.tracker.state

    @property
    def user_acts(self) -> tuple[UnifiedAct, ...]:
        """The user's acts of the latest turn."""
        return self.tracker.state.user_acts

    @property
    def terminated(self) -> bool:
        """Whether the user has ended the current dialogue."""
        return self.user.terminated

    def reset(self, seed: Seed) -> MultiWozState:
        """Begin a dialogue: draw the goal, let the user speak first (ENV:22-28).

        Args:
            seed: Seeds the dialogue's own random stream, from which the goal and every user
                draw come.

        Returns:
            The tracker's state after the user's opening acts.
        """
        stream = RandomStream(np.random.default_rng(seed))
        self.goal = self.goals.sample(stream)
        opening = self.user.start(self.goal, stream)
        self.tracker.reset()
        self.evaluator.reset(self.goal)
        self.total_reward = 0.0
        state = self.tracker.update(opening)
        self.turns = [MultiWozTurn("user", state.user_acts, _belief(state))]
        return state

    def step(self, system_acts: Iterable[UnifiedAct]) -> tuple[MultiWozState, float, bool]:
        """Play one system turn and the user's answer (ENV:30-79).

        Args:
            system_acts: The system's acts in ConvLab's unified form.

        Returns:
            ``(state, reward, terminated)`` as ConvLab's ``Environment.step`` returns them:
            the tracker's state after the user's answer (the live object, not a copy), the
            evaluator's reward for the turn, and whether the user ended the dialogue.

        Raises:
            RuntimeError: No dialogue is running (`reset` was not called, or it has ended).
        """
        if self.goal is None or self.user.terminated:
            raise RuntimeError("no dialogue is running: call reset() first")
        acts = tuple(system_acts)
        self.tracker.record_system_acts(acts)
        answer = self.user.respond(acts)
        self.evaluator.add_system_acts(acts, self.tracker.state.belief)
        state = self.tracker.update(answer)
        self.turns += (MultiWozTurn("system", acts), MultiWozTurn("user", answer, _belief(state)))
        terminated = self.user.terminated
        reward = self.evaluator.reward(terminated)
        self.total_reward += reward
        return state, reward, terminated

    def outcome(self) -> MultiWozOutcome:
        """The current dialogue's figures so far, final once it has ended.

        Raises:
            RuntimeError: `reset` was never called.
        """
        if self.goal is None:
            raise RuntimeError("no dialogue yet: call reset() first")
        return MultiWozOutcome(
            evaluation=self.evaluator.evaluate(self.user.terminated),
            domains=self.goal.domains,
            booking_domains=tuple(g.domain for g in self.goal.domain_goals if g.book),
            user_complete=self.user.task_complete(),
            capped=self.user.turn > self.user.options.max_turn,
            total_reward=self.total_reward,
            goal=self.goal,
            turns=tuple(self.turns),
        )


class MultiWozSystem(Protocol):
    """A system policy the world can play: ConvLab's ``act(state) -> acts``, with a reset."""

    def reset(self, random: RandomStream) -> None:
        """Start a new dialogue, drawing from ``random`` from now on."""
        ...

    def act(self, state: MultiWozState) -> Sequence[UnifiedAct]:
        """The system's acts for the user's latest turn, in ConvLab's unified form."""
        ...


def play(
    system: MultiWozSystem, dialogues: int, seed: int, world: MultiWozWorld | None = None
) -> list[MultiWozOutcome]:
    """Play a system policy against the world for many dialogues.

    Dialogue ``k`` resets the world with the seed ``(seed, k)`` and the system with a stream
    seeded ``(seed, k, 1)``, so each dialogue is the same whatever ran before it. A dialogue
    runs until the user ends it (at the latest at the user's turn cap).

    Args:
        system: The system policy.
        dialogues: How many dialogues.
        seed: The seed of the run.
        world: The world (default: `MultiWozWorld` with ConvLab's user).

    Returns:
        Each dialogue's outcome, in order.
    """
    world = world or MultiWozWorld()
    outcomes = []
    for index in range(dialogues):
        state = world.reset((seed, index))
        system.reset(RandomStream(np.random.default_rng((seed, index, 1))))
        terminated = False
        while not terminated:
            state, _, terminated = world.step(system.act(state))
        outcomes.append(world.outcome())
    return outcomes


@dataclass(frozen=True)
class MultiWozSummary:
    """ConvLab's figures over many dialogues, and success by kind of goal.

    Rates are means over the dialogues; book rate and inform precision / recall / F1 are means
    over the dialogues where they are defined (not None). A success by kind of goal is None
    when no dialogue had such a goal.

    Attributes:
        dialogues: How many dialogues.
        success: Share of successful dialogues (ConvLab's strict success).
        complete: Share of complete dialogues (ConvLab's evaluator ``complete``).
        turns: Mean number of system turns.
        book_rate: Mean book rate.
        inform_precision: Mean inform precision.
        inform_recall: Mean inform recall.
        inform_f1: Mean inform F1.
        domain_shares: Share of goals with 1, 2 and 3 domains.
        train_without_booking: Success of goals with a train and no train booking.
        train_without_booking_capped: Share of those dialogues ended by the turn cap.
        without_train: Success of goals without a train.
        train_with_booking: Success of goals with a train booking.
    """

    dialogues: int
    success: float
    complete: float
    turns: float
    book_rate: float | None
    inform_precision: float | None
    inform_recall: float | None
    inform_f1: float | None
    domain_shares: tuple[float, float, float]
    train_without_booking: float | None
    train_without_booking_capped: float | None
    without_train: float | None
    train_with_booking: float | None


def summarise(outcomes: Sequence[MultiWozOutcome]) -> MultiWozSummary:
    """The figures of many dialogues (see `MultiWozSummary`).

    Raises:
        ValueError: ``outcomes`` is empty.
    """
    if not outcomes:
        raise ValueError("summarise needs at least one dialogue")
    evaluations = [o.evaluation for o in outcomes]
    no_booking = [o for o in outcomes if "train" in o.domains and "train" not in o.booking_domains]
    return MultiWozSummary(
        dialogues=len(outcomes),
        success=_mean([e.success for e in evaluations]) or 0.0,
        complete=_mean([e.complete for e in evaluations]) or 0.0,
        turns=_mean([e.turns for e in evaluations]) or 0.0,
        book_rate=_mean([e.book_rate for e in evaluations]),
        inform_precision=_mean([e.inform_precision for e in evaluations]),
        inform_recall=_mean([e.inform_recall for e in evaluations]),
        inform_f1=_mean([e.inform_f1 for e in evaluations]),
        domain_shares=(
            _mean([len(o.domains) == 1 for o in outcomes]) or 0.0,
            _mean([len(o.domains) == 2 for o in outcomes]) or 0.0,
            _mean([len(o.domains) == 3 for o in outcomes]) or 0.0,
        ),
        train_without_booking=_mean([o.evaluation.success for o in no_booking]),
        train_without_booking_capped=_mean([o.capped for o in no_booking]),
        without_train=_mean([o.evaluation.success for o in outcomes if "train" not in o.domains]),
        train_with_booking=_mean(
            [o.evaluation.success for o in outcomes if "train" in o.booking_domains]
        ),
    )


def _belief(state: MultiWozState) -> dict[str, dict[str, str]]:
    """A copy of the tracker's belief."""
    return {domain: dict(slots) for domain, slots in state.belief.items()}


def _mean(values: Iterable[float | None]) -> float | None:
    """The mean of the values that are not None; None when there is none."""
    kept = [float(v) for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None
