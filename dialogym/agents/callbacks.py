"""Training callbacks: count dialogues, show progress, evaluate and checkpoint, stop on budget."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback
from tqdm import tqdm


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
    """

    def __init__(
        self,
        budget: int | None,
        eval_every: int,
        on_milestone: Callable[[int], bool],
        start: int = 0,
        progress: bool = True,
    ) -> None:
        super().__init__()
        self.budget = budget
        self.eval_every = eval_every
        self.on_milestone = on_milestone
        self.dialogues = start
        self.next_milestone = (start // eval_every + 1) * eval_every
        self.progress = progress
        self.bar: tqdm | None = None

    def _on_training_start(self) -> None:
        if self.progress:
            total = self.budget if self.budget is not None else self.locals["total_timesteps"]
            initial = self.dialogues if self.budget is not None else self.num_timesteps
            self.bar = tqdm(total=total, initial=initial, unit="dlg" if self.budget else "step")

    def _on_step(self) -> bool:
        ended = int(np.sum(self.locals["dones"]))
        self.dialogues += ended
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
