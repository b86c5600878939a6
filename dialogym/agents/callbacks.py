"""Training callbacks (count dialogues, evaluate, checkpoint, stop on budget) and dialogue schedules."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback
from tqdm import tqdm

from dialogym.interrupts import CtrlC


class DialogueSchedule:
    """A value that moves linearly from ``start`` to ``end`` over ``dialogues`` dialogues, then stays.

    SB3's schedules follow environment steps; PyDial's DQN lowers its ε once per dialogue, from
    ``epsilon_start`` to ``epsilon_end`` over ``maxiter`` dialogues. An instance stands in for an
    SB3 schedule (it is called with SB3's progress, which it ignores); `DialogueCallback` tells it
    how many dialogues have ended.

    >>> epsilon = DialogueSchedule(0.3, 0.0, 4000)
    >>> epsilon.seen = 1000
    >>> round(epsilon(0.5), 3)
    0.225

    Args:
        start: The value before the first dialogue.
        end: The value once ``dialogues`` dialogues have ended.
        dialogues: Over how many dialogues it moves (at least 1).
    """

    def __init__(self, start: float, end: float, dialogues: int) -> None:
        if dialogues < 1:
            raise ValueError(f"dialogues: must be at least 1, got {dialogues}")
        self.start = start
        self.end = end
        self.dialogues = dialogues
        self.seen = 0

    def __call__(self, progress_remaining: float) -> float:
        """The value after `seen` dialogues (SB3's ``progress_remaining`` is not used)."""
        return self.start + (self.end - self.start) * min(1.0, self.seen / self.dialogues)


class DialogueCallback(BaseCallback):
    """Counts finished dialogues across the vector env and acts on dialogue counts.

    Every ``eval_every`` dialogues it calls ``on_milestone(dialogues)`` (the trainer evaluates
    and checkpoints there); training stops when ``budget`` dialogues have ended, or when
    ``on_milestone`` returns True (a target success rate was reached).

    Args:
        budget: Dialogues to train for in total (``None``: only the step budget counts).
        eval_every: Dialogues between milestones.
        on_milestone: Hook called with the number of dialogues seen; True stops training.
        start: Dialogues already seen (a resumed run).
        progress: Show a tqdm bar on stderr.
        schedules: Schedules to keep told how many dialogues have ended.
        ctrl_c: Where Ctrl-C is recorded (`dialogym.interrupts`): training stops at the next
            step once it was pressed, even if its own exception was lost.
    """

    def __init__(
        self,
        budget: int | None,
        eval_every: int,
        on_milestone: Callable[[int], bool],
        start: int = 0,
        progress: bool = True,
        schedules: Sequence[DialogueSchedule] = (),
        ctrl_c: CtrlC | None = None,
    ) -> None:
        super().__init__()
        self.ctrl_c = ctrl_c
        self.budget = budget
        self.eval_every = eval_every
        self.on_milestone = on_milestone
        self.schedules = schedules
        self.dialogues = start
        for schedule in schedules:
            schedule.seen = start
        self.next_milestone = (start // eval_every + 1) * eval_every
        self.progress = progress
        self.bar: tqdm | None = None

    def _on_training_start(self) -> None:
        if self.progress:
            total = self.budget if self.budget is not None else self.locals["total_timesteps"]
            initial = self.dialogues if self.budget is not None else self.num_timesteps
            self.bar = tqdm(total=total, initial=initial, unit="dlg" if self.budget else "step")

    def _on_step(self) -> bool:
        if self.ctrl_c is not None:
            self.ctrl_c.stop_if_pressed()  # a Ctrl-C whose own exception Python dropped
        ended = int(np.sum(self.locals["dones"]))
        self.dialogues += ended
        for schedule in self.schedules:
            schedule.seen = self.dialogues
        if self.bar is not None:
            self.bar.update(ended if self.budget is not None else self.training_env.num_envs)
        if self.dialogues >= self.next_milestone:
            self.next_milestone = (self.dialogues // self.eval_every + 1) * self.eval_every
            if self.on_milestone(self.dialogues):
                return False
        return self.budget is None or self.dialogues < self.budget

    def _on_training_end(self) -> None:
        if self.bar is not None:
            self.bar.close()
