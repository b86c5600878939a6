"""Warm start: pretrain an SB3 agent by behaviour cloning on a corpus of recorded dialogues.

A corpus is what ``dialogym simulate`` writes: one JSON object per line, a dialogue each, with
``env`` (the env id), ``env_kwargs`` and ``seed`` (a fresh env reset with ``seed`` and stepped
with the recorded actions plays that dialogue again, turn for turn) and ``transcript`` (per turn
the summary ``action`` name and the ``user_acts`` the user really said; turn 0 is the opening).
The corpus holds no observations: `replay_corpus` rebuilds them by replaying every dialogue in
the training env, and checks on the way that each user turn is the one recorded, so a corpus
made on another world, or edited, is refused instead of teaching the wrong thing.

`behaviour_clone` then fits the agent's network to the teacher, with a fresh optimizer of the
agent's own kind (Adam, or A2C's RMSprop, with the agent's settings):

* **MaskablePPO, PPO, A2C**: cross-entropy of the teacher's action under the policy's action
  distribution (MaskablePPO's restricted to the allowed actions, as it acts), plus the value
  head fitted to the observed discounted returns, weighted by the agent's ``vf_coef``, so that
  RL starts with a critic that knows what the cloned policy earns (on CamRestaurants env3 it
  made no measurable difference to MaskablePPO: docs/warm-start.md).
* **DQN**: as in DQfD (Hester et al. 2018, "Deep Q-learning from Demonstrations"): the teacher's
  action's Q-value is regressed (Huber) on the observed discounted return, and a large-margin
  loss makes every other action's Q-value lower by at least one turn's cost; the target network
  then copies the result.

Corpus files are untrusted: they are read as JSON only, line by line, within `CorpusLimits`,
and nothing they name is loaded: their env and env arguments must pass `checked_env` and match
the training env's (`check_same_world`), and the replay runs in the training env.
"""

from __future__ import annotations

import inspect
import json
import math
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.policies import BasePolicy

import dialogym.envs  # noqa: F401  (registers the ids)
from dialogym.acts import format_acts
from dialogym.agents.builders import Algorithm
from dialogym.agents.policy import AgentPolicy
from dialogym.envs.dialogue import DialogueEnv
from dialogym.envs.registration import ENTRY_POINT, checked_env, is_multiwoz

NO_EFFECT_ON_OBSERVATIONS = frozenset({"render_mode", "device", "reward", "layout"})
"""Env arguments that may differ between the corpus and the training env: they change no
dialogue (the rewards of the replay are the training env's, and so is the layout its
observations and actions are rebuilt in: a corpus played on the flat layout teaches a
structured agent)."""


@dataclass(frozen=True)
class CorpusLimits:
    """Bounds on a corpus file, far above real ones (1,000 env3 dialogues: 30 MB, 7,500 turns).

    Attributes:
        max_file_bytes: Largest corpus file.
        max_line_bytes: Longest line (one dialogue).
        max_dialogues: Most dialogues read.
        max_decisions: Most system turns replayed (the observations kept: 1,000,000 belief
            observations of CamRestaurants take 276 MB).
    """

    max_file_bytes: int = 2 * 1024**3
    max_line_bytes: int = 4 * 1024**2
    max_dialogues: int = 100_000
    max_decisions: int = 1_000_000


@dataclass(frozen=True)
class Demonstrations:
    """The teacher's decisions with the observations they were taken on, one row per decision.

    Attributes:
        observations: What the agent would have seen, ``(decisions, features)``.
        actions: The teacher's summary action ids.
        masks: The actions allowed at each decision, ``(decisions, actions)``.
        returns: The discounted return from each decision to the dialogue's end.
        dialogues: How many dialogues they come from.
        turn_cost: What one turn costs in the rewards of ``returns`` (DQN's margin).
    """

    observations: np.ndarray
    actions: np.ndarray
    masks: np.ndarray
    returns: np.ndarray
    dialogues: int
    turn_cost: float

    def __len__(self) -> int:
        return len(self.actions)


@dataclass(frozen=True)
class BehaviourCloning:
    """Settings of the pretraining.

    Attributes:
        epochs: Passes over the demonstrations.
        batch_size: Decisions per gradient step.
        learning_rate: Step size (``None``: the agent's initial learning rate).
        value_weight: Weight of the value (or Q-value regression) loss (``None``: the agent's
            ``vf_coef``, 1 for DQN; 0 leaves the value head alone).
    """

    epochs: int = 30
    batch_size: int = 256
    learning_rate: float | None = None
    value_weight: float | None = None

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: must be a positive integer, got {value!r}")
        for name, zero_allowed in (("learning_rate", False), ("value_weight", True)):
            value = getattr(self, name)
            if value is None:
                continue
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if (
                not number
                or not math.isfinite(value)
                or value < 0
                or (value == 0 and not zero_allowed)
            ):
                bound = ">= 0" if zero_allowed else "> 0"
                raise ValueError(f"{name}: must be a finite number {bound}, got {value!r}")


@dataclass(frozen=True)
class WarmStartReport:
    """What a warm start did (``warm_start.json`` in a run folder).

    Attributes:
        corpus: The corpus file.
        dialogues: Dialogues replayed.
        decisions: Teacher decisions cloned.
        epochs: Passes over them.
        batch_size: Decisions per gradient step.
        learning_rate: Step size used.
        value_weight: Weight of the value loss used.
        agreement_before: Share of decisions on which the agent chose the teacher's action
            (best allowed action), before cloning.
        agreement_after: The same after cloning.
        policy_loss: Mean policy loss (cross-entropy; DQN: margin loss) of the last epoch.
        value_loss: Mean value loss of the last epoch.
        seconds: Wall time of replay and cloning.
    """

    corpus: str
    dialogues: int
    decisions: int
    epochs: int
    batch_size: int
    learning_rate: float
    value_weight: float
    agreement_before: float
    agreement_after: float
    policy_loss: float
    value_loss: float
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """Plain data, for JSON."""
        return asdict(self)


@dataclass
class _Dialogue:
    """One corpus line, checked: where it is, which world, which seed, what happened."""

    line: int
    env: str
    env_kwargs: dict[str, Any]
    seed: int
    actions: list[str] = field(default_factory=list)
    user_acts: list[str] = field(default_factory=list)


def _field(record: Mapping[str, Any], name: str, kind: type, where: str) -> Any:
    """``record[name]``, which must be a ``kind`` (never a bool standing for an int)."""
    if name not in record:
        raise ValueError(
            f"{where}: no {name!r} field (write the corpus with dialogym simulate, which records"
            " env, env_kwargs and seed)"
        )
    value = record[name]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ValueError(
            f"{where}: field {name!r} must be {kind.__name__}, got {type(value).__name__}"
        )
    return value


def corpus_lines(
    path: str | PathLike[str], limits: CorpusLimits = CorpusLimits()
) -> Iterator[tuple[int, bytes]]:
    """The corpus's non-blank lines with their numbers, read one at a time, within ``limits``.

    Only one line (at most ``limits.max_line_bytes``) is in memory at a time, whatever the size
    of the file.

    Raises:
        ValueError: missing or oversized file, a line too long, or too many dialogues; one line
            naming the file (and line).
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        stream = path.open("rb")
    except OSError as error:
        raise ValueError(f"{path}: cannot read the corpus ({error.strerror})") from None
    if size > limits.max_file_bytes:
        stream.close()
        raise ValueError(f"{path}: {size} bytes, more than the {limits.max_file_bytes} allowed")
    with stream:
        number = 0
        dialogues = 0
        while raw := stream.readline(limits.max_line_bytes + 1):
            number += 1
            if len(raw) > limits.max_line_bytes:
                raise ValueError(f"{path} line {number}: longer than {limits.max_line_bytes} bytes")
            if not raw.strip():
                continue
            dialogues += 1
            if dialogues > limits.max_dialogues:
                raise ValueError(f"{path}: more than {limits.max_dialogues} dialogues")
            yield number, raw


def corpus_records(
    path: str | PathLike[str], limits: CorpusLimits = CorpusLimits()
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The corpus's dialogues as JSON objects with their line numbers (`corpus_lines`).

    Raises:
        ValueError: as `corpus_lines`, a line that is not a JSON object, or no dialogue at all
            (one line naming the file and line).
    """
    found = False
    for number, raw in corpus_lines(path, limits):
        where = f"{path} line {number}"
        try:
            record = json.loads(raw)
        except (ValueError, RecursionError) as error:
            problem = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise ValueError(f"{where}: not JSON ({problem[:200]})") from None
        if not isinstance(record, dict):
            raise ValueError(f"{where}: expected a JSON object, got {type(record).__name__}")
        found = True
        yield number, record
    if not found:
        raise ValueError(f"{path}: the corpus holds no dialogue")


def read_corpus(
    path: str | PathLike[str], limits: CorpusLimits = CorpusLimits()
) -> Iterator[_Dialogue]:
    """The corpus's dialogues, line by line, each checked for the fields a replay needs.

    Raises:
        ValueError: missing, oversized or malformed file, one line naming the file and line.
    """
    for number, record in corpus_records(path, limits):
        yield _parse_dialogue(record, number, f"{path} line {number}")


def _parse_dialogue(record: dict[str, Any], line: int, where: str) -> _Dialogue:
    """One corpus object as a `_Dialogue`."""
    seed = _field(record, "seed", int, where)
    if seed < 0:
        raise ValueError(f"{where}: field 'seed' must be >= 0, got {seed}")
    dialogue = _Dialogue(
        line,
        _field(record, "env", str, where)[:200],
        _field(record, "env_kwargs", dict, where),
        seed,
    )
    transcript = _field(record, "transcript", list, where)
    if not transcript:
        raise ValueError(f"{where}: the transcript is empty")
    for index, turn in enumerate(transcript):
        if not isinstance(turn, dict):
            raise ValueError(f"{where}: transcript turn {index} is not an object")
        dialogue.actions.append(_field(turn, "action", str, f"{where} turn {index}"))
        dialogue.user_acts.append(_field(turn, "user_acts", str, f"{where} turn {index}"))
    return dialogue


_NOT_REPLAYED = (
    "env: {env_id} is the MultiWOZ world's; corpora are replayed (warm start, finetune,"
    " improve) in the PyDial world only"
)


def resolved_env_kwargs(env_id: str, env_kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Every argument the env is built with (defaults, the id's, the given), comparable as JSON.

    Arguments in `NO_EFFECT_ON_OBSERVATIONS` are left out; a domain named by a path that exists
    is named by its resolved path.

    Raises:
        ValueError: ``env_id`` is not a dialogym env id.
    """
    try:
        spec = gym.spec(env_id)
    except gym.error.Error:
        raise ValueError(f"env: {env_id[:200]!r} is not a registered env id") from None
    if is_multiwoz(env_id):
        raise ValueError(_NOT_REPLAYED.format(env_id=env_id))
    if spec.entry_point != ENTRY_POINT:
        raise ValueError(f"env: {env_id[:200]!r} is not a dialogym environment")
    parameters = inspect.signature(DialogueEnv.__init__).parameters.values()
    defaults = {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}
    merged = {**defaults, **spec.kwargs, **env_kwargs}
    domain = merged.get("domain")
    if isinstance(domain, str) and Path(domain).is_file():
        merged["domain"] = str(Path(domain).resolve())
    comparable = json.loads(json.dumps(merged, sort_keys=True, default=repr))
    return {key: comparable[key] for key in comparable if key not in NO_EFFECT_ON_OBSERVATIONS}


def check_same_world(
    env_id: str,
    env_kwargs: Mapping[str, Any],
    corpus_env: str,
    corpus_kwargs: Mapping[str, Any],
    where: str,
) -> None:
    """Refuse a corpus made in a world whose observations differ from the training env's.

    The corpus's world is only compared, never built; it must still pass `checked_env` (the
    models it names besides the built-in ones being the training env's).

    Raises:
        ValueError: one line naming ``where`` and the arguments that differ.
    """
    training = resolved_env_kwargs(env_id, env_kwargs)
    named = frozenset(value for value in env_kwargs.values() if isinstance(value, str))
    corpus_env, corpus_kwargs = checked_env(corpus_env, corpus_kwargs, where, named)
    recorded = resolved_env_kwargs(corpus_env, corpus_kwargs)
    differing = sorted(key for key in training.keys() | recorded.keys() if
                       training.get(key) != recorded.get(key))  # fmt: skip
    if differing:
        shown = ", ".join(
            f"{key}={_short(recorded.get(key))} (training: {_short(training.get(key))})"
            for key in differing[:5]
        )
        raise ValueError(
            f"{where}: the corpus was made in another world ({corpus_env[:80]}: {shown}); its"
            f" observations would not be the training env's ({env_id})"
        )


def _short(value: Any) -> str:
    """A value as short JSON (for one-line messages)."""
    text = json.dumps(value, default=repr)
    return text if len(text) <= 80 else text[:77] + "..."


def replay_corpus(
    path: str | PathLike[str],
    env_id: str,
    env_kwargs: Mapping[str, Any],
    gamma: float,
    reward_scale: float = 1.0,
    limits: CorpusLimits = CorpusLimits(),
) -> Demonstrations:
    """Rebuild the teacher's observations by replaying every dialogue of the corpus.

    Each dialogue is played in a fresh reset (``reset(seed=seed)``) of the training env with the
    recorded actions; every user turn must be the recorded one.

    Args:
        path: The corpus (JSONL from ``dialogym simulate``).
        env_id: The training env's id (the caller's: one read from a file must pass
            `checked_env` first, as `dialogym.finetune` does with the corpus's own).
        env_kwargs: The training env's arguments (the same).
        gamma: Discount of the returns.
        reward_scale: Factor on the rewards (the one the agent learns from).
        limits: Bounds on the file.

    Raises:
        ValueError: unreadable corpus, another world, an unknown or forbidden action, or a
            dialogue that does not replay as recorded (one line naming the file and line).
    """
    if is_multiwoz(env_id):
        raise ValueError(_NOT_REPLAYED.format(env_id=env_id))
    env = gym.make(env_id, **env_kwargs)
    unwrapped = env.unwrapped
    if not isinstance(unwrapped, DialogueEnv):
        env.close()
        raise ValueError(f"env: {env_id} is not a dialogym environment")
    action_ids = {name: index for index, name in enumerate(unwrapped.action_names)}
    checked_worlds: set[str] = set()
    observations: list[np.ndarray] = []
    actions: list[int] = []
    masks: list[np.ndarray] = []
    returns: list[float] = []
    dialogues = 0
    try:
        for dialogue in read_corpus(path, limits):
            where = f"{path} line {dialogue.line}"
            world = json.dumps([dialogue.env, dialogue.env_kwargs], sort_keys=True, default=repr)
            if world not in checked_worlds:
                check_same_world(env_id, env_kwargs, dialogue.env, dialogue.env_kwargs, where)
                checked_worlds.add(world)
            rewards = _replay(env, unwrapped, action_ids, dialogue, where, observations, masks)
            if len(observations) > limits.max_decisions:
                raise ValueError(f"{where}: more than {limits.max_decisions} decisions")
            actions.extend(action_ids[name] for name in dialogue.actions[1:])
            to_go = 0.0
            dialogue_returns = []
            for reward in reversed(rewards):
                to_go = reward * reward_scale + gamma * to_go
                dialogue_returns.append(to_go)
            returns.extend(reversed(dialogue_returns))
            dialogues += 1
    finally:
        env.close()
    return Demonstrations(
        np.asarray(observations, dtype=np.float32),
        np.asarray(actions, dtype=np.int64),
        np.asarray(masks, dtype=bool),
        np.asarray(returns, dtype=np.float32),
        dialogues,
        abs(unwrapped.reward_config.turn) * reward_scale,
    )


def _replay(
    env: gym.Env,
    unwrapped: DialogueEnv,
    action_ids: Mapping[str, int],
    dialogue: _Dialogue,
    where: str,
    observations: list[np.ndarray],
    masks: list[np.ndarray],
) -> list[float]:
    """Play one dialogue again, appending each decision's observation and mask; its rewards.

    Raises:
        ValueError: the dialogue does not replay as recorded.
    """
    if dialogue.actions[0] != "start":
        raise ValueError(f"{where}: turn 0 must be the opening ('start'), got an action")
    if len(dialogue.actions) - 1 > unwrapped.max_turns:
        raise ValueError(f"{where}: {len(dialogue.actions) - 1} turns, more than max_turns")
    observation, _ = env.reset(seed=dialogue.seed)
    rewards: list[float] = []
    for turn, (name, recorded) in enumerate(zip(dialogue.actions, dialogue.user_acts, strict=True)):
        if turn > 0:
            action = action_ids.get(name)
            if action is None:
                raise ValueError(f"{where}: turn {turn}: unknown action {name[:80]!r}")
            mask = unwrapped.action_masks()
            if not mask[action]:
                raise ValueError(f"{where}: turn {turn}: action {name!r} is not allowed there")
            observations.append(np.asarray(observation, dtype=np.float32))
            masks.append(mask)
            observation, reward, terminated, truncated, _ = env.step(action)
            rewards.append(float(reward))
            ended = terminated or truncated
            if ended != (turn == len(dialogue.actions) - 1):
                state = "ends" if ended else "goes on"
                raise ValueError(
                    f"{where}: the dialogue does not replay as recorded: it {state} after turn"
                    f" {turn} of {len(dialogue.actions) - 1}"
                )
        replayed = format_acts(unwrapped.transcript[-1].user_acts)
        if replayed != recorded:
            raise ValueError(
                f"{where}: the dialogue does not replay as recorded: turn {turn} the user says"
                f" {replayed[:80]!r}, the corpus {recorded[:80]!r} (another seed or world?)"
            )
    if len(dialogue.actions) == 1:
        raise ValueError(f"{where}: the transcript holds no system action")
    return rewards


def agreement(model: BaseAlgorithm, algorithm: Algorithm, demonstrations: Demonstrations) -> float:
    """Share of decisions on which the agent's best allowed action is the teacher's."""
    chosen, _ = AgentPolicy(model, algorithm).predict(
        demonstrations.observations, action_masks=demonstrations.masks
    )
    return float(np.mean(np.asarray(chosen) == demonstrations.actions))


def behaviour_clone(
    model: BaseAlgorithm,
    algorithm: Algorithm,
    demonstrations: Demonstrations,
    settings: BehaviourCloning = BehaviourCloning(),
    seed: int = 0,
) -> tuple[float, float]:
    """Fit the agent's network to the teacher (see the module docstring); the last epoch's losses.

    Args:
        model: The agent, changed in place.
        algorithm: Which algorithm it is.
        demonstrations: The teacher's decisions (`replay_corpus`).
        settings: Epochs, batch size, learning rate, value weight.
        seed: Seed of the minibatch order.

    Returns:
        The mean policy loss and value loss of the last epoch.
    """
    policy = model.policy
    learning_rate = _learning_rate(model, settings)
    value_weight = _value_weight(model, algorithm, settings)
    # A fresh optimizer of the agent's kind and settings: the agent's own starts RL untouched.
    optimizer = policy.optimizer_class(  # type: ignore[call-arg]
        policy.parameters(), lr=learning_rate, **policy.optimizer_kwargs
    )
    device = policy.device
    observations = torch.as_tensor(demonstrations.observations, device=device)
    actions = torch.as_tensor(demonstrations.actions, device=device)
    returns = torch.as_tensor(demonstrations.returns, device=device)
    masks = demonstrations.masks
    order = np.random.default_rng(seed)
    policy.set_training_mode(True)
    losses = (0.0, 0.0)
    for _ in range(settings.epochs):
        totals = np.zeros(2)
        batches = 0
        permutation = order.permutation(len(demonstrations))
        for start in range(0, len(permutation), settings.batch_size):
            batch = permutation[start : start + settings.batch_size]
            index = torch.as_tensor(batch, device=device)
            policy_loss, value_loss = _losses(
                policy,
                algorithm,
                observations[index],
                actions[index],
                returns[index],
                masks[batch],
                demonstrations.turn_cost,
            )
            optimizer.zero_grad()
            (policy_loss + value_weight * value_loss).backward()
            optimizer.step()
            totals += (policy_loss.item(), value_loss.item())
            batches += 1
        losses = (float(totals[0]) / batches, float(totals[1]) / batches)
    policy.set_training_mode(False)
    if algorithm.name == "dqn":
        policy.q_net_target.load_state_dict(policy.q_net.state_dict())  # type: ignore[union-attr,operator]
    return losses


def _learning_rate(model: BaseAlgorithm, settings: BehaviourCloning) -> float:
    """The stated learning rate, or the agent's at the start of training."""
    if settings.learning_rate is not None:
        return float(settings.learning_rate)
    return float(model.lr_schedule(1.0))


def _value_weight(model: BaseAlgorithm, algorithm: Algorithm, settings: BehaviourCloning) -> float:
    """The stated value weight, or the agent's ``vf_coef`` (1 for DQN)."""
    if settings.value_weight is not None:
        return float(settings.value_weight)
    return 1.0 if algorithm.name == "dqn" else float(model.vf_coef)  # type: ignore[attr-defined]


def _losses(
    policy: BasePolicy,
    algorithm: Algorithm,
    observations: torch.Tensor,
    actions: torch.Tensor,
    returns: torch.Tensor,
    masks: np.ndarray,
    turn_cost: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The policy loss and value loss on one minibatch (DQN's margin: one turn's cost)."""
    if algorithm.name == "dqn":
        q_values = policy.q_net(observations)  # type: ignore[operator]
        teacher = q_values.gather(1, actions[:, None]).squeeze(1)
        margin = torch.full_like(q_values, turn_cost)
        margin.scatter_(1, actions[:, None], 0.0)
        margin_loss = ((q_values + margin).max(dim=1).values - teacher).mean()
        return margin_loss, torch.nn.functional.smooth_l1_loss(teacher, returns)
    if algorithm.maskable:
        values, log_prob, _ = policy.evaluate_actions(  # type: ignore[operator]
            observations, actions, action_masks=masks
        )
    else:
        values, log_prob, _ = policy.evaluate_actions(observations, actions)  # type: ignore[operator]
    return -log_prob.mean(), torch.nn.functional.mse_loss(values.flatten(), returns)


def warm_start(
    model: BaseAlgorithm,
    algorithm: Algorithm,
    corpus: str | PathLike[str],
    env_id: str,
    env_kwargs: Mapping[str, Any],
    settings: BehaviourCloning = BehaviourCloning(),
    reward_scale: float = 1.0,
    seed: int = 0,
    limits: CorpusLimits = CorpusLimits(),
) -> WarmStartReport:
    """Replay ``corpus`` in the training env and clone its teacher into ``model`` (in place).

    Args:
        model: A fresh agent.
        algorithm: Which algorithm it is.
        corpus: The JSONL corpus (``dialogym simulate``'s), made in the training env's world.
        env_id: The training env's id.
        env_kwargs: The training env's arguments.
        settings: Epochs, batch size, learning rate, value weight.
        reward_scale: Factor on the rewards the agent learns from.
        seed: Seed of the minibatch order.
        limits: Bounds on the corpus file.

    Raises:
        ValueError: the corpus cannot be read or replayed, or was made in another world (one
            line naming the file and line).
    """
    began = time.perf_counter()
    demonstrations = replay_corpus(
        corpus, env_id, env_kwargs, float(getattr(model, "gamma", 0.99)), reward_scale, limits
    )
    before = agreement(model, algorithm, demonstrations)
    policy_loss, value_loss = behaviour_clone(model, algorithm, demonstrations, settings, seed)
    return WarmStartReport(
        corpus=str(corpus),
        dialogues=demonstrations.dialogues,
        decisions=len(demonstrations),
        epochs=settings.epochs,
        batch_size=settings.batch_size,
        learning_rate=_learning_rate(model, settings),
        value_weight=_value_weight(model, algorithm, settings),
        agreement_before=round(before, 4),
        agreement_after=round(agreement(model, algorithm, demonstrations), 4),
        policy_loss=round(policy_loss, 5),
        value_loss=round(value_loss, 5),
        seconds=round(time.perf_counter() - began, 3),
    )
