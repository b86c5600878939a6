"""`MultiWozEnv`: the MultiWOZ world as a Gymnasium environment, for learning.

Each episode is one `MultiWozWorld` dialogue: the user speaks first (`reset`), then each
`step` carries out one summary action (`dialogym.envs.multiwoz_actions`) as the system's acts
and returns the user's answer as a belief observation (`MultiWozBeliefEncoder`), ConvLab's
evaluator reward (−1 a turn; +80 / −40 on the last) and ``terminated`` when the user ends the
dialogue (at the latest at its turn cap, `MultiWozEnv.max_turns` = 20 system turns, so no
episode is truncated). `MultiWozEnv.step_acts` carries out system acts given as they are
(unified acts) by the same path: a policy that speaks acts, such as ConvLab's rule policy
(`dialogym.policies.multiwoz_rule`), plays through the env as `play` plays it in the world.

With ``actions="atomic"`` the action is instead a ``MultiBinary`` vector over ConvLab-3's atomic
system acts, turned into acts as ConvLab-3's PPO turns it (`dialogym.envs.multiwoz_atomic`);
the observation and reward stay the same.

Seeding follows `dialogym.envs.multiwoz_world.play`: ``reset(seed=s)`` starts episode 0 of
seed ``s``; each ``reset()`` without a seed starts the next episode; episode ``k`` is the world's
dialogue ``(s, k)``, and the system's draws (taxi's car and phone; a policy that speaks acts
draws from the same stream, `MultiWozEnv.system_random`) come from the stream ``(s, k, 1)``.
Without any seed, ``s`` is drawn from ``np_random``.

``info`` holds ``turn``, ``system_acts`` and ``user_acts`` (unified acts) and ``action_mask``;
at the end also ``success`` and ``is_success`` (SB3's key), ``complete``, ``book_rate``,
``inform_precision``, ``inform_recall``, ``inform_f1`` and ``turns`` (ConvLab's figures).
``transcript`` holds the dialogue's turns (`MultiWozExchange`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from dialogym.acts import UnifiedAct
from dialogym.domains.multiwoz import load_multiwoz
from dialogym.encoders.multiwoz_belief import MultiWozBeliefEncoder
from dialogym.envs.multiwoz_actions import MultiWozActions
from dialogym.envs.multiwoz_atomic import MultiWozAtomicActions
from dialogym.envs.multiwoz_evaluation import INFORMING
from dialogym.envs.multiwoz_world import MultiWozWorld
from dialogym.envs.turn_cap import TurnCapSpec
from dialogym.randomness import RandomStream
from dialogym.simulators.multiwoz_goals import MultiWozGoal
from dialogym.simulators.multiwoz_user import CONVLAB_USER, FIXED_USER, MultiWozUserOptions
from dialogym.tracking.multiwoz_dst import MultiWozState

USERS: dict[str, MultiWozUserOptions] = {"convlab": CONVLAB_USER, "fixed": FIXED_USER}
"""The named users: ConvLab-3's, defects included, and the one with every fix on."""

FIXES: tuple[str, ...] = ("accept_offerbook", "notbook_blocks_requests", "bye_ends_dialogue")
"""The user options that fix ConvLab's defects (`MultiWozUserOptions`), each an env argument."""

ACTION_SETS: tuple[str, ...] = ("summary", "atomic")
"""The action spaces: dialogym's ``Discrete`` summary actions (`dialogym.envs.multiwoz_actions`)
or ConvLab-3's atomic acts as ``MultiBinary`` (`dialogym.envs.multiwoz_atomic`)."""


class MultiWozExchange(NamedTuple):
    """One exchange of a MultiWOZ dialogue: the system's turn and the user's answer.

    The env's transcript keeps exchanges; the world keeps each side's turn apart
    (`MultiWozTurn` of `dialogym.envs.multiwoz_world`), as ConvLab's corpora do.

    Attributes:
        turn: 0 for the opening (the user speaks first), then 1, 2, ...
        action: The summary action's name (atomic acts: their names joined by ``+``);
            ``"start"`` for the opening; None for acts given as they are
            (`MultiWozEnv.step_acts`).
        system_acts: What the system said (unified acts).
        user_acts: What the user answered (unified acts).
        reward: The turn's reward (0 for the opening).
    """

    turn: int
    action: str | None
    system_acts: tuple[UnifiedAct, ...]
    user_acts: tuple[UnifiedAct, ...]
    reward: float

    def text(self) -> str:
        """The exchange as readable lines: ``[ 1] SYS (reqmore): reqmore(general)``, then the user."""
        if self.turn == 0:
            return f"[ 0] USR: {_acts_text(self.user_acts)}"
        action = "acts" if self.action is None else self.action
        return (
            f"[{self.turn:2d}] SYS ({action}): {_acts_text(self.system_acts)}\n"
            f"     USR: {_acts_text(self.user_acts)}"
        )


class MultiWozEnv(TurnCapSpec, gym.Env[np.ndarray, Any]):
    """One MultiWOZ dialogue per episode, summary actions in, belief features out.

    Args:
        user: ``"convlab"`` (ConvLab-3's user, defects included) or ``"fixed"`` (every fix on).
        accept_offerbook: None keeps the user's; a bool sets that fix's option.
        notbook_blocks_requests: None keeps the user's; a bool sets that defect's option.
        bye_ends_dialogue: None keeps the user's; a bool sets that fix's option.
        render_mode: None or ``"ansi"`` (`render` returns the turns since the last render).
        actions: ``"summary"`` (``Discrete`` summary actions) or ``"atomic"`` (ConvLab-3's
            atomic acts, ``MultiBinary``; `action_masks` then has two entries per act, the
            layout sb3-contrib's MaskablePPO reads).
        data: A folder with another copy of the MultiWOZ data, laid out as ConvLab-3's
            ``data/multiwoz`` (`dialogym.domains.multiwoz`); None for the package data. Goals,
            user, tracker, evaluator, database and the rule policy all read that copy.

    Attributes:
        max_turns: The most system turns a dialogue has: the user says bye in reply to the
            20th at the latest (ConvLab's ``max_turn`` of 40 counts 2 a user turn);
            ``spec.max_episode_steps`` says the same.
        masks: True: the summary actions come with masks (`action_masks`).
        transcript: The current dialogue's turns (`MultiWozExchange`).

    Raises:
        ValueError: one line naming the bad argument (for ``data``, a `DomainError` naming the
            file and field at fault).

    >>> env = MultiWozEnv()
    >>> obs, info = env.reset(seed=0)
    >>> obs.shape == env.observation_space.shape, info["user_acts"][0][0]
    (True, 'inform')
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}
    masks = True

    def __init__(
        self,
        user: str = "convlab",
        accept_offerbook: bool | None = None,
        notbook_blocks_requests: bool | None = None,
        bye_ends_dialogue: bool | None = None,
        render_mode: str | None = None,
        actions: str = "summary",
        data: str | None = None,
    ) -> None:
        if not isinstance(user, str) or user not in USERS:
            raise ValueError(f"user: expected one of {', '.join(USERS)}, got {str(user)[:80]!r}")
        fixes = dict(
            zip(FIXES, (accept_offerbook, notbook_blocks_requests, bye_ends_dialogue), strict=True)
        )
        for name, value in fixes.items():
            if value is not None and not isinstance(value, bool):
                raise ValueError(f"{name}: expected a bool or None, got {type(value).__name__}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode: expected None or 'ansi', got {str(render_mode)[:80]!r}")
        if not isinstance(actions, str) or actions not in ACTION_SETS:
            raise ValueError(f"actions: expected 'summary' or 'atomic', got {str(actions)[:80]!r}")
        chosen = {name: value for name, value in fixes.items() if value is not None}
        self.user_options = MultiWozUserOptions(**{**vars(USERS[user]), **chosen})
        self.render_mode = render_mode
        self.max_turns = self.user_options.max_turn // 2
        if data is not None and not isinstance(data, str):
            raise ValueError(f"data: expected a folder path or None, got {type(data).__name__}")
        self.world = MultiWozWorld(load_multiwoz(data), user_options=self.user_options)
        database = self.world.data.database
        self.actions: MultiWozActions | MultiWozAtomicActions
        self.action_space: spaces.Space[Any]
        if actions == "atomic":
            self.actions = MultiWozAtomicActions(database)
            self.action_space = spaces.MultiBinary(self.actions.size)
        else:
            self.actions = MultiWozActions(database)
            self.action_space = spaces.Discrete(len(self.actions.names))
        self.encoder = MultiWozBeliefEncoder(max_turns=self.max_turns)
        self.action_names = self.actions.names
        self.observation_space = spaces.Box(0.0, 1.0, (self.encoder.size,), np.float32)
        self._seed: int | None = None
        self._episode = 0
        self._stream: RandomStream | None = None
        self._mask = np.ones(len(self.action_names) * (1 + (actions == "atomic")), dtype=np.int8)
        self._done = True
        self.turn = 0
        self.transcript: list[MultiWozExchange] = []
        self._rendered = 0

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start the next dialogue (episode 0 of ``seed`` when one is given); the user speaks.

        Raises:
            ValueError: ``options`` is not empty (the environment takes none).
        """
        if options:
            raise ValueError("options: reset takes no options")
        super().reset(seed=seed)
        if seed is not None or self._seed is None:
            self._seed = int(self.np_random.integers(2**63)) if seed is None else seed
            self._episode = 0
        else:
            self._episode += 1
        key = (self._seed, self._episode)
        state = self.world.reset(key)
        self._stream = RandomStream(np.random.default_rng((*key, 1)))
        self.actions.reset()
        self.turn = 0
        self._done = False
        self._mask = self.actions.update(state)
        self.transcript = [MultiWozExchange(0, "start", (), state.user_acts, 0.0)]
        self._rendered = 0
        info = {
            "turn": 0,
            "system_acts": (),
            "user_acts": state.user_acts,
            "action_mask": self._mask.copy(),
        }
        return self._observe(), info

    def step(self, action: Any) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        """Carry out one summary action (nothing if the mask forbids it); hear the user.

        Raises:
            RuntimeError: No dialogue is running.
            ValueError: ``action`` is outside the action space.
        """
        stream = self._running()
        choice: Any = self.actions.read(action)
        system_acts = tuple(self.actions.execute(choice, self.world.state, stream))
        return self._system_turn(system_acts, self._action_name(choice))

    def step_acts(
        self, system_acts: Sequence[UnifiedAct]
    ) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        """Carry out the system's acts as they are, as its turn; hear the user.

        The turn goes as a summary action's does once its acts are made (`step`): the same
        world, reward, mask, observation and ``info``. The slots the acts inform count as
        informed in the observation; an entity they name is not taken as offered (only
        ``inform_<domain>`` offers one).

        Args:
            system_acts: Unified acts ``(intent, domain, slot, value)``, four strings each.

        Raises:
            RuntimeError: No dialogue is running.
            ValueError: An act is not four strings (one line).
        """
        self._running()
        acts = tuple(system_acts)
        for act in acts:
            if not (
                isinstance(act, tuple) and len(act) == 4 and all(isinstance(p, str) for p in act)
            ):
                raise ValueError(
                    f"system_acts: expected (intent, domain, slot, value) strings, got"
                    f" {str(act)[:80]!r}"
                )
        for intent, domain, slot, _ in acts:
            if intent in INFORMING and slot:
                self.actions.informed.setdefault(domain, set()).add(slot)
        return self._system_turn(acts, None)

    def _action_name(self, choice: Any) -> str:
        """A summary action's name, or the chosen atomic acts' names joined by ``+``."""
        if isinstance(choice, int):
            return self.action_names[choice]
        return "+".join(self.action_names[i] for i in np.flatnonzero(choice)) or "none"

    def _running(self) -> RandomStream:
        """The dialogue's stream for the system's draws, or RuntimeError if none is running."""
        if self._done or self._stream is None:
            raise RuntimeError("step: no dialogue is running; call reset() first")
        return self._stream

    def _system_turn(
        self, system_acts: tuple[UnifiedAct, ...], action: str | None
    ) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        """The system says ``system_acts``; the user answers; the turn's step is returned."""
        state, reward, terminated = self.world.step(system_acts)
        self.turn += 1
        self._mask = self.actions.update(state)
        self._done = terminated
        self.transcript.append(
            MultiWozExchange(self.turn, action, system_acts, state.user_acts, float(reward))
        )
        info: dict[str, Any] = {
            "turn": self.turn,
            "system_acts": system_acts,
            "user_acts": state.user_acts,
            "action_mask": self._mask.copy(),
        }
        if terminated:
            evaluation = self.world.outcome().evaluation
            info.update(
                success=evaluation.success,
                is_success=evaluation.success,  # the key SB3's Monitor and EvalCallback read
                complete=evaluation.complete,
                book_rate=evaluation.book_rate,
                inform_precision=evaluation.inform_precision,
                inform_recall=evaluation.inform_recall,
                inform_f1=evaluation.inform_f1,
                turns=evaluation.turns,
            )
        return self._observe(), reward, terminated, False, info

    @property
    def state(self) -> MultiWozState:
        """The system's dialogue state (the tracker's, updated in place each turn)."""
        return self.world.state

    @property
    def goal(self) -> MultiWozGoal | None:
        """The user's goal in the current dialogue (None before the first `reset`)."""
        return self.world.goal

    @property
    def system_random(self) -> RandomStream:
        """The current dialogue's stream for the system's draws, seeded ``(s, k, 1)``.

        A policy that speaks acts draws from it, as `play` seeds the system of dialogue
        ``(s, k)``, so it plays through the env as it plays in the world.

        Raises:
            RuntimeError: No dialogue has been started.
        """
        if self._stream is None:
            raise RuntimeError("system_random: no dialogue yet; call reset() first")
        return self._stream

    def action_masks(self) -> np.ndarray:
        """The 0/1 ``np.int8`` mask of the actions allowed now (MaskablePPO's protocol)."""
        return self._mask.copy()

    def render(self) -> str | None:  # type: ignore[override]
        """``ansi``: the turns since the last render (`MultiWozExchange.text`)."""
        if self.render_mode != "ansi":
            return None
        turns = self.transcript[self._rendered :]
        self._rendered = len(self.transcript)
        return "\n".join(turn.text() for turn in turns)

    def _observe(self) -> np.ndarray:
        actions = self.actions
        standing = [domain for domain in actions.offered if actions.offer_stands(domain)]
        return self.encoder.encode(
            self.world.state, actions.matches, standing, actions.informed, self.turn
        )


def _acts_text(acts: tuple[UnifiedAct, ...]) -> str:
    """Unified acts as one line: ``inform(hotel, area=east); bye(general)``."""
    return "; ".join(
        f"{intent}({domain}, {slot}={value})" if slot else f"{intent}({domain})"
        for intent, domain, slot, value in acts
    )
