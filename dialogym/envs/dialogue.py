"""`DialogueEnv`: task-oriented dialogue with a simulated user, as a Gymnasium environment."""

from __future__ import annotations

import operator
import warnings
from collections.abc import Mapping
from os import PathLike
from typing import TYPE_CHECKING, Any, NamedTuple, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from dialogym.acts import BYE, HELLO, NULL, Act, Acts, Hypotheses, format_acts
from dialogym.domains import Database, Domain, load_domain
from dialogym.encoders.belief import BeliefEncoder
from dialogym.encoders.slots import MAX_BOOKING_SLOTS, MAX_SLOTS, SlotEncoder
from dialogym.envs.actions import SlotActions, SummaryActions
from dialogym.envs.evaluation import ObjectiveSuccess, RewardConfig
from dialogym.envs.language import CHANNELS, OBSERVATIONS, Language, Texts
from dialogym.envs.turn_cap import TurnCapSpec
from dialogym.generators import Generator
from dialogym.simulators import (
    AgendaUser,
    ErrorModel,
    Goal,
    GoalConfig,
    GoalGenerator,
    RandomStream,
    UserProfile,
    get_profile,
)
from dialogym.simulators.agenda import UserTurn
from dialogym.tracking import BeliefTracker

if TYPE_CHECKING:
    from dialogym.encoders.text import TextEncoder

LAYOUTS = ("flat", "slots")
"""Observation and action layouts: the domain's own (``flat``) or the same for every domain."""
FRAME_RENDER_MODES = ("rgb_array", "rgb_array_list", "depth_array", "depth_array_list")
"""Gymnasium's image modes: asked for, they warn and render nothing (a dialogue has no frames)."""

_OPENING: Acts = (Act(HELLO),)
_NOT_CARRIED_OUT: Acts = (Act(NULL),)


class Turn(NamedTuple):
    """One exchange of a dialogue, as kept in the transcript.

    Attributes:
        turn: 0 for the opening (system greeting and first user turn), then 1, 2, ...
        action: Name of the summary action chosen (``"start"`` for the opening).
        system_acts: What the system said.
        user_acts: What the user really said.
        hypotheses: What the system heard (n-best list with confidences).
        reward: Reward for this turn.
    """

    turn: int
    action: str
    system_acts: Acts
    user_acts: Acts
    hypotheses: Hypotheses
    reward: float
    system_text: str = ""
    user_text: str = ""

    def text(self) -> str:
        """The exchange as readable lines (with what was said in words, when it was)."""
        lines = [f"[{self.turn:2d}] SYS ({self.action}): {format_acts(self.system_acts)}"]
        if self.system_text:
            lines.append(f'     SYS says: "{self.system_text}"')
        lines.append(f"     USR: {format_acts(self.user_acts)}")
        if self.user_text:
            lines.append(f'     USR says: "{self.user_text}"')
        if len(self.hypotheses) > 1 or self.hypotheses[0].acts != self.user_acts:
            heard = " | ".join(f"{h.confidence:.2f} {format_acts(h.acts)}" for h in self.hypotheses)
            lines.append(f"     heard: {heard}")
        return "\n".join(lines)


class DialogueEnv(TurnCapSpec, gym.Env[np.ndarray, np.int64]):
    """A simulated user with a hidden goal talks to the system whose moves the agent chooses.

    ## Description

    Each episode is one dialogue in a task-oriented domain (restaurants, laptops, any domain file
    or PyDial ontology). The user, an agenda-based simulator, wants an entity that meets some
    constraints (``food=thai, area=centre``), wants to learn a few of its slots (phone,
    address) and may want it booked. The agent plays the system: at each turn it picks a
    summary action, which is filled in from the belief state and the database, and said to the
    user; the user answers; a noisy channel turns the answer into an n-best list of hypotheses;
    a belief tracker folds them in; the observation encodes the belief.

    ## Action Space

    ``Discrete(n)`` summary actions; ``env.unwrapped.action_names`` lists them. For the
    built-in restaurant domain (3 constraint slots, 3 booking slots) ``n = 18``:

    | action | system acts (PyDial's summary action) |
    | --- | --- |
    | ``request:S`` | ask for constraint or booking slot S (``request_S``) |
    | ``confirm:S`` | ``confirm(S=best value)`` (``confirm_S``) |
    | ``select:S`` | ``select`` between the two best values of S (``select_S``) |
    | ``offer`` | offer the first match of the accepted values, naming up to five of them, or say there is none (``inform``) |
    | ``inform`` | tell the requested slots of the offered venue (``inform_byname``) |
    | ``offer_alternative`` | offer another match (``inform_alternatives``) |
    | ``book`` | book the offered entity with the believed booking details (dialogym's) |
    | ``reqmore`` | ask whether the user needs anything else |
    | ``bye`` | close the dialogue |

    With ``masks=True``, `action_masks` (and ``info["action_mask"]``) marks the actions allowed
    by PyDial's masks (an ``np.int8`` 0/1 vector, the MaskablePPO protocol): above all, ``offer``
    only once the accepted values no longer discriminate between the matches (or four slots are
    accepted), and ``bye`` only after the user's goodbye; see `dialogym.envs.actions`. With
    ``masks=False`` (env2, env4) every action is allowed except ``bye`` before the user's
    goodbye, as PyDial's code does (its switch for the bye mask sets another flag). A masked
    action is not carried out (PyDial never executes one): the system says ``null()``, which
    costs a turn and the user's patience, as does an allowed action that cannot be carried out.
    Agents that cannot use masks (PPO, A2C, DQN) thus cannot end a dialogue with an early
    ``bye`` either.

    ## Observation Space

    ``obs="belief"`` (default): ``Box(0, 1, (k,), float32)``, the belief features of
    `dialogym.encoders.belief.BeliefEncoder`, named in ``env.unwrapped.feature_names``.
    ``obs="text"``: ``Box(-1, 1, (window * d,), float32)``, the last ``window`` utterances
    embedded by `dialogym.encoders.text.TextEncoder` (no belief features at all).
    ``obs="belief+text"``: the two concatenated, belief first.

    ## Layout

    ``layout="flat"`` (default): the spaces above, whose size depends on the domain.
    ``layout="slots"``: the same spaces for every domain, for policies that learn across
    domains (`dialogym.agents.structured`): the observation is
    `dialogym.encoders.slots.SlotEncoder`'s (global features, then one row of features per
    slot, up to 32 constraint and 8 booking slots) and the actions are
    `dialogym.envs.actions.SlotActions` (``Discrete(110)``: request, confirm and select for
    each slot row, then the six global actions); actions of rows the domain lacks are always
    masked. It needs ``obs="belief"``.

    ## Channel

    ``channel="semantic"`` (default): the error model confuses the user's acts at rate ``ser``.
    ``channel="text"``: both sides' acts are said in words by the generator and the user's
    words are read back by the rule NLU (`dialogym.tracking.nlu.RuleNLU`); with ``ser > 0`` the
    error model then confuses what the NLU read.

    ## User Goal

    Drawn by `dialogym.simulators.GoalGenerator` as PyDial draws them: three system-requestable
    slots (all of them in a smaller domain), each with a value or ``dontcare`` drawn uniformly,
    resampled until two or three entities match; requests are the name and up to two
    user-requestable slots; goals with no match are an option (``nomatch_share``, 0 by
    default); in domains with booking slots half the goals ask for a booking. The user is
    PyDial's agenda user (`dialogym.simulators.AgendaUser`), with behaviour drawn per dialogue
    from the ``user`` profile.

    ## Rewards

    ``turn`` (default -1) every turn, and once more for the system's closing goodbye when the
    user ends the dialogue (PyDial charges that exchange too), plus ``success`` (default +20) or
    ``failure`` (default 0) at the end by PyDial's objective success rule: the user was told
    every requested slot of a venue that meets its final constraints (see
    `dialogym.envs.evaluation`).

    ## Starting State

    The system greets the user, the user answers; the observation reflects that first turn.

    ## Episode End

    * Termination: the user says goodbye (satisfied, giving up or hanging up when out of
      patience) or the system says goodbye.
    * Truncation: ``max_turns`` system turns have been taken (judged by the same rule; it nearly
      always leaves a request untold).

    ## Information

    Every step: ``turn``, ``action`` (name), ``system_acts``, ``user_acts`` (the truth),
    ``hypotheses`` (what the system heard), ``belief`` (slot -> (best value, probability)),
    ``matches`` (entities matching the believed constraints), ``reward_parts`` and
    ``action_mask``. At the end also ``success`` (and ``is_success``, the same, for SB3's
    ``Monitor`` and ``EvalCallback``), ``success_parts``, ``hung_up``, ``goal``
    (one-line description) and ``turns``. ``reset`` returns ``turn``, ``goal`` and the first
    turn's acts and hypotheses, and the mask. Whenever utterances are generated (text channel,
    text observations, or a ``generator`` given): ``system_text``, ``user_text`` and
    ``generator_fallbacks`` (utterances of this dialogue so far that the LLM generator's
    faithfulness check rejected, said by the templates instead; always 0 with templates), and the
    whole conversation so far is ``env.unwrapped.conversation`` (a list of utterances).

    ## Arguments

    | parameter | type | default | description |
    | --- | --- | --- | --- |
    | ``domain`` | str, path or Domain | ``"restaurant"`` | built-in name, native ontology file or PyDial ``*-rules.json`` |
    | ``user`` | str, UserProfile or dict | ``"standard"`` | user profile (``standard``, ``unfriendly``), or a dict of changes to one (``{"base": "standard", "patience": [8, 8]}``) |
    | ``ser`` | float | ``0.0`` | semantic error rate of the channel |
    | ``masks`` | bool | ``True`` | mask actions that make no sense |
    | ``obs`` | str | ``"belief"`` | ``"belief"``, ``"text"`` or ``"belief+text"`` |
    | ``max_turns`` | int | ``25`` | system turns before truncation |
    | ``nbest`` | int | ``5`` | most readings per user turn (PyDial's ``nbestsize``), plus one ``null()`` holding the leftover confidence |
    | ``goal`` | GoalConfig or dict | defaults | how goals are drawn |
    | ``reward`` | RewardConfig or dict | ``+20/0/-1`` | success, failure and per-turn reward |
    | ``render_mode`` | str | ``None`` | ``"ansi"`` or ``"human"`` (an image mode, such as ``"rgb_array"``, warns and renders nothing) |
    | ``channel`` | str | ``"semantic"`` | ``"semantic"`` or ``"text"`` (see Channel) |
    | ``generator`` | str or Generator | ``None`` | ``"template"``, ``"llm"`` (SmolLM2, checked, template fallback) or an instance; ``None``: templates when text is needed |
    | ``encoder`` | str, path or TextEncoder | ``"minilm"`` | text encoder model for ``obs`` with text |
    | ``device`` | str | ``None`` | device of the models (``None``: CUDA when present, else CPU) |
    | ``language`` | Language | ``None`` | a ready generator/NLU/encoder bundle to share (the vector env does) |
    | ``layout`` | str | ``"flat"`` | ``"flat"`` or ``"slots"`` (see Layout) |

    ## Registered Configurations

    ``dialogym/Dialogue-v0`` takes every argument. The six PyDial benchmark tasks fix the
    channel, masks and user and take every other argument (``domain`` above all):
    ``dialogym/PyDialEnv1-v0`` (ser 0, masks, standard), ``Env2`` (masks off), ``Env3``
    (ser 0.15), ``Env4`` (ser 0.15, masks off), ``Env5`` (ser 0.15, unfriendly), ``Env6``
    (ser 0.30).

    ## Example

    >>> import gymnasium as gym, dialogym
    >>> env = gym.make("dialogym/Dialogue-v0", domain="restaurant")
    >>> obs, info = env.reset(seed=0)
    >>> obs.shape == env.observation_space.shape
    True
    >>> obs, reward, terminated, truncated, info = env.step(env.unwrapped.action_names.index("request:food"))
    >>> str(info["system_acts"][0]), reward
    ('request(food)', -1.0)

    ## Version History

    * v0: initial release.
    """

    metadata = {"render_modes": ["ansi", "human"], "render_fps": 4}

    def __init__(
        self,
        domain: str | PathLike[str] | Domain = "restaurant",
        user: str | UserProfile | Mapping[str, Any] = "standard",
        ser: float = 0.0,
        masks: bool = True,
        obs: str = "belief",
        max_turns: int = 25,
        nbest: int = 5,
        goal: GoalConfig | Mapping[str, Any] | None = None,
        reward: RewardConfig | Mapping[str, float] | None = None,
        render_mode: str | None = None,
        channel: str = "semantic",
        generator: str | Generator | None = None,
        encoder: str | PathLike[str] | TextEncoder = "minilm",
        device: str | None = None,
        language: Language | None = None,
        layout: str = "flat",
    ) -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"layout: unknown layout {layout!r}; choose one of {LAYOUTS}")
        if layout == "slots" and obs != "belief":
            raise ValueError(
                f"layout: 'slots' reads the belief only; it needs obs='belief', not {obs!r}"
            )
        if obs not in OBSERVATIONS:
            raise ValueError(f"obs: unknown observation {obs!r}; choose one of {OBSERVATIONS}")
        if channel not in CHANNELS:
            raise ValueError(f"channel: unknown channel {channel!r}; choose one of {CHANNELS}")
        if isinstance(max_turns, bool) or not isinstance(max_turns, int) or max_turns < 1:
            raise ValueError(f"max_turns: must be a positive integer, got {max_turns!r}")
        if not isinstance(masks, bool):
            raise ValueError(f"masks: must be True or False, got {masks!r}")
        if isinstance(ser, bool) or not isinstance(ser, int | float) or not 0.0 <= ser <= 1.0:
            raise ValueError(f"ser: must be a number in [0, 1], got {ser!r}")
        if render_mode in FRAME_RENDER_MODES:
            # Tools ask for frames by default (SB3's make_vec_env: rgb_array): dialogues have
            # none, so they run unrendered rather than fail.
            warnings.warn(
                f"render_mode: dialogym renders text ({', '.join(self.metadata['render_modes'])}),"
                f" not {render_mode!r}; rendering is off",
                stacklevel=2,
            )
            render_mode = None
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode: unknown mode {render_mode!r};"
                f" choose one of {self.metadata['render_modes']} or None"
            )
        self.domain = load_domain(domain)
        self.profile = get_profile(user)
        self.ser = float(ser)
        self.masks = masks
        self.obs_kind = obs
        self.max_turns = max_turns
        self.render_mode = render_mode
        self.reward_config = _config(RewardConfig, reward, "reward")
        self.goal_config = _config(GoalConfig, goal, "goal")

        self.database = Database(self.domain)
        self.goals = GoalGenerator(self.domain, self.goal_config, self.database)
        self.user = AgendaUser(self.domain)
        self.channel = ErrorModel(self.domain, self.ser, nbest=nbest)
        self.tracker = BeliefTracker(self.domain, self.database)
        self.judge = ObjectiveSuccess(self.database)
        self.actions = SummaryActions(self.domain, self.database)
        self.layout = layout
        self.slot_actions: SlotActions | None = None
        self.encoder: BeliefEncoder | SlotEncoder
        if layout == "slots":
            self.encoder = SlotEncoder(self.domain, max_turns)
            self.slot_actions = SlotActions(self.actions, MAX_SLOTS, MAX_BOOKING_SLOTS)
        else:
            self.encoder = BeliefEncoder(self.domain, max_turns)
        self.action_names = (self.slot_actions or self.actions).names
        self.feature_names = self.encoder.feature_names
        self.channel_kind = channel
        self.language: Language | None = language
        if language is None and (channel != "semantic" or obs != "belief" or generator is not None):
            self.language = Language(
                self.domain, channel, obs, generator or "template", encoder, nbest, device
            )
        self.conversation: list[str] = []
        self.generator_fallbacks = 0

        self.action_space = spaces.Discrete(len(self.action_names))
        if self.language is None:
            self.observation_space = spaces.Box(0.0, 1.0, (self.encoder.size,), np.float32)
        else:
            self.observation_space = self.language.observation_space(self.encoder.size)
        self._mask = np.ones(len(self.action_names), dtype=np.int8)
        self._shaped = not masks and self.reward_config.forbidden != 0.0
        self._sensible = self._mask  # with shaping: what PyDial's masks would allow
        self._stream: RandomStream | None = None
        self._done = True
        self.transcript: list[Turn] = []
        self.goal: Goal | None = None

    # -- Gymnasium API --------------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start a new dialogue: draw a goal and a user, greet, hear the user's first turn.

        Raises:
            ValueError: ``options`` is neither None nor empty (the environment takes none).
        """
        if options is not None and not isinstance(options, Mapping):
            raise ValueError(f"options: expected None or a dict, got {type(options).__name__}")
        if options:
            unknown = ", ".join(repr(str(key))[:40] for key in list(options)[:5])
            raise ValueError(f"options: reset takes no options; unknown: {unknown}")
        opening = self._begin(seed)
        info = self._opened(opening, self._say(_OPENING, opening))
        return self._observe(), info

    def _begin(self, seed: int | None) -> Acts:
        """Reset's first half: draw goal and user; return the user's opening acts."""
        super().reset(seed=seed)
        if seed is not None or self._stream is None:
            self._stream = RandomStream(self.np_random)
        stream = self._stream
        self.goal = self.goals.sample(stream)
        behaviour = self.profile.sample(stream)
        self.tracker.reset()
        self.turn = 0
        self._done = False
        self._rendered = 0
        self.conversation = []
        self.generator_fallbacks = 0
        return self.user.start(self.goal, behaviour, stream).acts

    def _opened(self, opening: Acts, texts: Texts | None) -> dict[str, Any]:
        """Reset's second half, once the opening is said in words (if it is): hear it; the info."""
        assert self.goal is not None
        hypotheses = self._hear(_OPENING, opening, texts)
        self.tracker.update(hypotheses, _OPENING)
        self.transcript = [Turn(0, "start", _OPENING, opening, hypotheses, 0.0, *(texts or ()))]
        self._update_mask()
        if self.render_mode == "human":
            print(self.render_text())
        info = {
            "turn": 0,
            "goal": self.goal.describe(),
            "system_acts": _OPENING,
            "user_acts": opening,
            "hypotheses": hypotheses,
            "action_mask": self._mask.copy(),
        }
        if texts is not None:
            info["system_text"], info["user_text"] = texts
            info["generator_fallbacks"] = self.generator_fallbacks
        return info

    def step(self, action: Any) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        """Say the system acts of ``action``, hear the user's reply, update belief and reward."""
        index = self._action_index(action)
        system_acts, reply = self._exchange(index)
        texts = self._say(system_acts, reply.acts)
        reward, terminated, truncated, info = self._conclude(index, system_acts, reply, texts)
        return self._observe(), reward, terminated, truncated, info

    def _say(self, system_acts: Acts, user_acts: Acts) -> Texts | None:
        """Both sides' utterances of an exchange, if this env speaks; counts fallbacks."""
        if self.language is None:
            return None
        texts = self.language.say(system_acts, user_acts, self._random())
        self.generator_fallbacks += self.language.fallbacks[0]
        return texts

    def _random(self) -> RandomStream:
        """The dialogue's random stream (there is one from the first reset on)."""
        if self._stream is None:
            raise RuntimeError("reset() must be called before the first step")
        return self._stream

    def _action_index(self, action: Any) -> int:
        """Check that a step may be taken with ``action``; return it as an int."""
        if self._done:
            raise RuntimeError("step: the dialogue has ended; call reset() to start a new one")
        try:
            index = operator.index(action)
        except TypeError:
            raise TypeError(
                f"action: expected an integer action id, got {action!r} ({type(action).__name__})"
            ) from None
        n = len(self.action_names)
        if not 0 <= index < n:
            raise ValueError(f"action: {index} is outside the action space Discrete({n})")
        return index

    def _exchange(self, index: int) -> tuple[Acts, UserTurn]:
        """Step's first half: the system acts of action ``index`` and the user's reply (as acts)."""
        tracker = self.tracker
        if self._mask[index]:
            if self.slot_actions is not None:
                index = int(self.slot_actions.to_domain[index])
            system_acts = self.actions.execute(index, tracker, self._stream)
        else:  # PyDial never carries out a masked action: the system says nothing useful
            system_acts = _NOT_CARRIED_OUT
        tracker.system_acted(system_acts)
        self.turn += 1
        return system_acts, self.user.respond(system_acts)

    def _conclude(
        self, index: int, system_acts: Acts, reply: UserTurn, texts: Texts | None
    ) -> tuple[float, bool, bool, dict[str, Any]]:
        """Step's second half, once the exchange is said in words (if it is): hear, judge, info."""
        tracker = self.tracker
        hypotheses = self._hear(system_acts, reply.acts, texts)
        tracker.update(hypotheses, system_acts)
        terminated = reply.ended or system_acts[0].type is BYE
        truncated = not terminated and self.turn >= self.max_turns
        config = self.reward_config
        reward = config.turn
        forbidden = config.forbidden if self._shaped and not self._sensible[index] else 0.0
        reward += forbidden
        info: dict[str, Any] = {
            "turn": self.turn,
            "action": self.action_names[index],
            "system_acts": system_acts,
            "user_acts": reply.acts,
            "hypotheses": hypotheses,
            "belief": tracker.summary(),
            "matches": tracker.matches.bit_count(),
        }
        reward_parts = {"turn": config.turn, "closing": 0.0, "end": 0.0}
        if self._shaped:
            reward_parts["forbidden"] = forbidden
        if terminated or truncated:
            self._done = True
            if reply.ended:  # the system's closing goodbye is one more (charged) turn
                reward_parts["closing"] = config.turn
            parts = self.judge.parts(self.user)
            success = parts.pop("success")
            reward_parts["end"] = config.success if success else config.failure
            reward += reward_parts["closing"] + reward_parts["end"]
            info["success"] = success
            info["is_success"] = success  # the key SB3's Monitor and EvalCallback read
            info["success_parts"] = parts
            info["hung_up"] = reply.hung_up
            info["goal"] = self.goal.describe() if self.goal else ""
            info["turns"] = self.turn + (1 if reply.ended else 0)
        info["reward_parts"] = reward_parts
        if texts is not None:
            info["system_text"], info["user_text"] = texts
            info["generator_fallbacks"] = self.generator_fallbacks
        self.transcript.append(
            Turn(
                self.turn,
                self.action_names[index],
                system_acts,
                reply.acts,
                hypotheses,
                reward,
                *(texts or ()),
            )
        )
        self._update_mask()
        info["action_mask"] = self._mask.copy()
        if self.render_mode == "human":
            print(self.render_text())
        return reward, terminated, truncated, info

    def _hear(self, system_acts: Acts, user_acts: Acts, texts: Texts | None) -> Hypotheses:
        """What the system hears of the user: through the error model, or the NLU on the text."""
        stream = self._stream
        assert stream is not None
        if texts is None:
            return self.channel.corrupt(user_acts, stream)
        self.conversation += texts
        language = self.language
        assert language is not None
        if language.nlu is None:
            return self.channel.corrupt(user_acts, stream)
        return language.hear(texts[1], system_acts, self.channel, stream)

    def _observe(self) -> np.ndarray:
        """The observation of the current state."""
        if self.language is None:
            return self.encoder.encode(self.tracker)
        return self.language.observe([self.encoder.encode(self.tracker)], [self.conversation])[0]

    def action_masks(self) -> np.ndarray:
        """The 0/1 ``np.int8`` mask of allowed actions for the current observation."""
        return self._mask.copy()

    def render(self) -> str | None:
        """``ansi``: the turns since the last render as text; ``human``: printed at each step."""
        if self.render_mode == "ansi":
            return self.render_text()
        return None

    # -- helpers --------------------------------------------------------------------------------

    def render_text(self) -> str:
        """The transcript lines not yet rendered (the goal first, at the start of a dialogue)."""
        new = self.transcript[self._rendered :]
        header = [f"goal: {self.goal.describe()}"] if self._rendered == 0 and self.goal else []
        self._rendered = len(self.transcript)
        return "\n".join(header + [turn.text() for turn in new])

    def transcript_text(self) -> str:
        """The whole dialogue so far as text, goal first."""
        goal = self.goal.describe() if self.goal else "(no dialogue yet)"
        return "\n".join([f"goal: {goal}", *(turn.text() for turn in self.transcript)])

    def _update_mask(self) -> None:
        self._mask = self._in_layout(self.actions.mask(self.tracker, full=self.masks))
        if self._shaped:
            self._sensible = self._in_layout(self.actions.mask(self.tracker))

    def _in_layout(self, mask: list[int]) -> np.ndarray:
        """A mask of the domain's summary actions as a mask of this env's actions."""
        if self.slot_actions is None:
            return np.array(mask, dtype=np.int8)
        return self.slot_actions.mask(mask)


def _config(kind: type, value: Any, argument: str) -> Any:
    """Build a config dataclass from itself, a mapping or None, naming ``argument`` on error."""
    if value is None:
        return kind()
    if isinstance(value, kind):
        return value
    if isinstance(value, Mapping):
        try:
            return kind(**value)
        except TypeError as error:
            raise ValueError(f"{argument}: {error}") from None
    raise ValueError(f"{argument}: expected a {kind.__name__} or a mapping, got {value!r}")
