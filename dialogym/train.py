r"""``dialogym train``: train an agent, evaluating and checkpointing as it goes.

Example::

    dialogym train --env dialogym/Dialogue-v0 --env-kwarg domain=restaurant \
        --algo maskable_ppo --dialogues 4000 --seed 0 --out runs/rest-ppo

The run folder receives:

| file | what |
| --- | --- |
| ``config.yaml`` | the resolved config (every field), written first |
| ``evaluations.json``, ``evaluations.csv`` | one record per periodic evaluation |
| ``checkpoint.zip``, ``checkpoint.json`` | the last checkpoint and the counters it was taken at |
| ``tb/`` | TensorBoard logs (SB3's ``rollout/``, ``train/`` and dialogym's ``eval/``) |
| ``warm_start.json`` | with ``--warm-start``: the corpus and what cloning it did (`WarmStartReport`) |
| ``model.zip`` | the final agent (load it with ``dialogym evaluate --policy RUN/model.zip``) |
| ``metrics.json`` | the final evaluation on ``test_episodes`` dialogues, wall time, budgets |
| ``curves.png`` | success rate and return against training dialogues |
| ``run.lock`` | locked by the run writing the folder (its pid and host), while it runs |
| ``.dialogym-run`` | the mark of a run folder dialogym made |

Every file is written atomically, so an interrupted run (Ctrl-C, ``kill``) leaves no half-written
file; ``dialogym train --resume RUN`` continues it from the last checkpoint (Ctrl-C prints that
command). DQN resumes with an
empty replay buffer (the buffer is not checkpointed: it is large and quickly refilled).

``--out`` (default ``runs/ALGO-ENV-DOMAIN-sSEED``, `dialogym.runs.run_name`) must be a new
folder, an empty one or one dialogym made (`dialogym.runs`): another folder is written into only
with ``--force``, and a folder holding a symbolic link never. A folder holding a run, finished or
interrupted, is refused too: ``--force`` replaces that run (its files above are removed first, so
the folder never mixes two runs), ``--resume`` continues an interrupted one. A domain named by a
file is stored in ``config.yaml`` by its absolute path, so ``--resume`` works from any folder. A run
holds ``run.lock`` (``flock``) while it writes: a second run into the same folder is refused,
from any process namespace (a lock left by a dead process is taken over). Resuming removes only
the temporaries of the files above (``.NAME.RANDOM.dialogym-tmp``, left by a write cut short),
nothing else in the folder; it continues the run as its ``config.yaml`` says (whose ``env`` and
``env_kwargs`` are checked as any file's: `dialogym.envs.registration.checked_env`; a model
folder it names loads only if ``--env-kwarg`` names it too), refuses flags that say otherwise,
and leaves a finished run (one with ``metrics.json``) untouched.

``--warm-start CORPUS.jsonl`` pretrains the fresh agent by behaviour cloning on a corpus from
``dialogym simulate`` made in the same world (`dialogym.agents.warm_start`), then evaluates and
checkpoints it as the run's first record (0 training dialogues) before RL starts. It happens
once: ``warm_start.json`` records it, and ``--resume`` continues from the checkpoints without
cloning again.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import json
import shlex
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from dialogym import agents  # its names load torch and SB3 when first used
from dialogym.agents.config import TrainConfig
from dialogym.agents.plots import learning_curves
from dialogym.cli import (
    CommandError,
    Interrupted,
    add_trust_model_flag,
    make_env,
    non_negative_int,
    parse_env_kwargs,
    run_command,
    write_atomically,
    write_json,
)
from dialogym.envs.registration import is_multiwoz
from dialogym.envs.rollout import evaluate, multiwoz_figures
from dialogym.interrupts import recording_ctrl_c
from dialogym.runs import (
    claim_run_folder,
    portable_env_kwargs,
    remove_temporaries,
    run_lock,
    run_name,
)

if TYPE_CHECKING:
    from dialogym.agents import BehaviourCloning

EVAL_SEED = 10_000
"""Periodic evaluations reset with ``EVAL_SEED + seed``: the same dialogues each time."""
TEST_SEED = 20_000
"""The final evaluation resets with ``TEST_SEED + seed``: dialogues never used during training."""
RUN_FILES = (
    "config.yaml", "warm_start.json", "evaluations.json", "evaluations.csv", "checkpoint.zip",
    "checkpoint.json", "model.zip", "metrics.json", "curves.png",
)  # fmt: skip
"""The files a run writes (atomically) into its folder: the only ones whose temporaries it removes."""
TRAIN_OUTPUTS = {
    "checkpoint.json": frozenset({"dialogues", "train_seconds", "evaluations"}),
    "metrics.json": frozenset({"algo", "dialogues", "timesteps", "success_rate"}),
}
"""Files that make a folder a training run's (one made before run folders were marked)."""
BUDGETS = ("dialogues", "timesteps")
"""The two ways to give a training budget: one at most."""
WARM_START_FILE = "warm_start.json"
"""Written by a warm-started run: the corpus it cloned and how (`WarmStartReport`)."""


def read_checkpoint(run_dir: Path) -> tuple[int, float, list[dict[str, Any]]]:
    """The training dialogues, seconds and evaluation records of ``run_dir/checkpoint.json``.

    Raises:
        CommandError: the file is missing, unreadable or lacks a field.
    """
    path = run_dir / "checkpoint.json"
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        dialogues = state["dialogues"]
        seconds = state["train_seconds"]
        evaluations = state["evaluations"]
        if (
            isinstance(dialogues, bool)
            or not isinstance(dialogues, int)
            or not isinstance(seconds, int | float)
            or not isinstance(evaluations, list)
            or not all(
                isinstance(r, dict) and isinstance(r.get("dialogues"), int) for r in evaluations
            )
        ):
            raise TypeError("a field has the wrong type")
    except OSError as error:
        raise CommandError(f"--resume: cannot read {path} ({error.strerror})") from None
    except (ValueError, KeyError, TypeError) as error:
        raise CommandError(f"--resume: {path} is not a dialogym checkpoint ({error})") from None
    return dialogues, float(seconds), [r for r in evaluations if r["dialogues"] <= dialogues]


def model_bytes(model: Any) -> bytes:
    """The agent's ``.zip`` as bytes (so that it can be written atomically)."""
    buffer = io.BytesIO()
    model.save(buffer)
    return buffer.getvalue()


def write_evaluations(run_dir: Path, records: list[dict[str, Any]]) -> None:
    """``evaluations.json`` and ``evaluations.csv`` (one row per periodic evaluation)."""
    write_json(run_dir / "evaluations.json", records)
    text = io.StringIO()
    if records:
        writer = csv.DictWriter(text, fieldnames=list(records[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
    write_atomically(run_dir / "evaluations.csv", text.getvalue())


def train(
    config: TrainConfig,
    run_dir: str | Path,
    resume: bool = False,
    progress: bool = True,
    trust_model: bool = False,
    warm_start_corpus: str | Path | None = None,
    warm_start_settings: BehaviourCloning | None = None,
    force: bool = False,
    log: Callable[[str], None] | None = None,
    on_evaluation: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Train as ``config`` says, writing everything into ``run_dir``; return the final metrics.

    Args:
        config: The run.
        run_dir: Folder for the run's files (created, or dialogym's: see
            `dialogym.runs.claim_run_folder`; locked while the run writes it).
        resume: Continue from ``run_dir/checkpoint.zip`` instead of starting afresh.
        progress: Show a progress bar on stderr.
        trust_model: Load ``checkpoint.zip`` as SB3 does, unpickling it (runs code from
            the file); dialogym's own checkpoints load without it.
        warm_start_corpus: A corpus (JSONL from ``dialogym simulate``, made in ``config``'s
            world) to pretrain the fresh agent on by behaviour cloning before RL; ignored when
            resuming (the run's checkpoints hold the warm-started agent).
        warm_start_settings: Epochs, batch size, learning rate and value weight of the cloning
            (default: `BehaviourCloning`'s).
        force: Write into an existing folder that dialogym did not make (``--force``).
        log: Called with a line after each periodic evaluation (the CLI prints it).
        on_evaluation: Called with each periodic evaluation's record (``evaluations.json``'s)
            once it and the checkpoint are written (``dialogym sweep`` reports it to Ray Tune);
            its time is not counted as training time, and an exception it raises ends the run.

    Raises:
        CommandError: ``run_dir`` is not dialogym's (without ``force``) or holds a link,
            another run holds it, its checkpoint cannot be resumed, or the corpus cannot be
            read, replayed, or is from another world.
    """
    claim_run_folder(Path(run_dir), "--resume" if resume else "--out", force, TRAIN_OUTPUTS)
    if not resume:  # the run folder names its domain file so that --resume works from anywhere
        config = dataclasses.replace(config, env_kwargs=portable_env_kwargs(config.env_kwargs))
    with run_lock(Path(run_dir)), _distributions_unchecked():
        return _train(
            config, Path(run_dir), resume, progress, trust_model,
            warm_start_corpus, warm_start_settings or agents.BehaviourCloning(), log,
            on_evaluation,
        )  # fmt: skip


_UNCHECKED = {"runs": 0, "before": True}
"""How many trainings of this process run with unchecked distributions, and the default they
found (several run at once in ``dialogym sweep``'s threads)."""
_UNCHECKED_LOCK = threading.Lock()


@contextmanager
def _distributions_unchecked() -> Iterator[None]:
    """Torch distributions built without checking their arguments while training runs.

    SB3 builds one distribution per step and per minibatch, and torch checks each one's
    probabilities by default (a tenth of a structured policy's training time); the checks
    only reject arguments a sound policy never gives. The default is restored when the last
    training of the process ends.
    """
    from torch.distributions import Distribution

    with _UNCHECKED_LOCK:
        if _UNCHECKED["runs"] == 0:
            _UNCHECKED["before"] = Distribution._validate_args
            Distribution.set_default_validate_args(False)
        _UNCHECKED["runs"] += 1
    try:
        yield
    finally:
        with _UNCHECKED_LOCK:
            _UNCHECKED["runs"] -= 1
            if _UNCHECKED["runs"] == 0:
                Distribution.set_default_validate_args(bool(_UNCHECKED["before"]))


def _train(
    config: TrainConfig,
    run_dir: Path,
    resume: bool,
    progress: bool,
    trust_model: bool,
    warm_start_corpus: str | Path | None,
    warm_start_settings: BehaviourCloning,
    log: Callable[[str], None] | None,
    on_evaluation: Callable[[dict[str, Any]], None] | None,
) -> dict[str, Any]:
    """`train`'s body, run under the folder's lock."""
    import torch
    from stable_baselines3 import DQN

    torch.set_num_threads(config.threads)
    algorithm = agents.get_algorithm(config.algo)
    start_dialogues = 0
    records: list[dict[str, Any]] = []
    elapsed = 0.0
    if resume:
        remove_temporaries(run_dir, RUN_FILES)
        start_dialogues, elapsed, records = read_checkpoint(run_dir)
    else:
        for path in (run_dir / name for name in RUN_FILES):  # an earlier run's (--force)
            if path.is_file():
                path.unlink()
        write_atomically(run_dir / "config.yaml", config.to_yaml())

    # A resumed run draws fresh dialogues: its envs are seeded past the ones already used.
    vec_env = agents.make_vec_env(
        config.env,
        config.training_env_arguments,
        config.parallel_envs,
        seed=config.seed + start_dialogues * config.parallel_envs,
        subprocess=config.subprocess,
        reward_scale=config.learning_reward_scale,
    )
    if resume:
        try:
            model = agents.load_agent(
                run_dir / "checkpoint.zip", config.device, vec_env, trust=trust_model,
                algo_kwargs=config.algo_kwargs, tensorboard_log=str(run_dir / "tb"),
            )  # fmt: skip
        except ValueError as error:
            vec_env.close()
            raise CommandError(f"--resume: {error}") from None
    else:
        try:
            model = agents.build_agent(
                algorithm, vec_env, config.seed, config.algo_kwargs, run_dir / "tb", config.device
            )
            if config.init is not None:
                start_from(model, algorithm, config.init, vec_env, trust_model)
        except ValueError as error:
            vec_env.close()
            raise CommandError(str(error)) from None
    policy = agents.AgentPolicy(model, algorithm)
    eval_env = make_env(config.env, config.env_arguments)
    clock = time.perf_counter()
    trained_before = elapsed
    evaluating = 0.0

    def checkpoint(dialogues: int) -> dict[str, Any]:
        """Evaluate, record and checkpoint after ``dialogues`` training dialogues."""
        nonlocal evaluating
        began = time.perf_counter()
        summary, _ = evaluate(eval_env, policy, config.eval_episodes, EVAL_SEED + config.seed)
        train_seconds = trained_before + (began - clock) - evaluating
        record = {
            "dialogues": dialogues,
            "timesteps": int(model.num_timesteps),
            "train_seconds": round(train_seconds, 3),
            "success_rate": summary["success_rate"],
            "avg_return": summary["avg_return"],
            "avg_turns": summary["avg_turns"],
            **multiwoz_figures(summary),  # ConvLab's, in the MultiWOZ world
        }
        records.append(record)
        if log is not None:
            log(
                f"{dialogues} dialogues: success {record['success_rate']:.3f}, return"
                f" {record['avg_return']:.2f}, {record['avg_turns']:.2f} turns"
                f" ({config.eval_episodes} test dialogues)"
            )
        write_evaluations(run_dir, records)
        write_atomically(run_dir / "checkpoint.zip", model_bytes(model))
        write_json(
            run_dir / "checkpoint.json",
            {"dialogues": dialogues, "train_seconds": train_seconds, "evaluations": records},
        )
        if on_evaluation is not None:
            on_evaluation(record)
        evaluating += time.perf_counter() - began
        return record

    def milestone(dialogues: int) -> bool:
        record = checkpoint(dialogues)
        for key in ("success_rate", "avg_return", "avg_turns"):
            model.logger.record(f"eval/{key}", record[key])
        model.logger.dump(model.num_timesteps)
        target = config.target_success
        return target is not None and record["success_rate"] >= target

    warm_started = resume and (run_dir / WARM_START_FILE).is_file()
    if warm_start_corpus is not None and not resume:
        try:
            report = agents.warm_start(
                model, algorithm, Path(warm_start_corpus).resolve(), config.env, config.env_arguments,
                warm_start_settings, config.learning_reward_scale, config.seed,
            )  # fmt: skip
        except ValueError as error:
            vec_env.close()
            raise CommandError(f"--warm-start: {error}") from None
        write_json(run_dir / WARM_START_FILE, report.to_dict())
        checkpoint(0)  # the cloned agent, before RL: the curve's first point, resumable
        warm_started = True

    budget = config.budget_dialogues
    schedules = []
    try:
        learning_rate = agents.learning_rate_schedule(algorithm, config.algo_kwargs, budget)
    except ValueError as error:
        vec_env.close()
        raise CommandError(str(error)) from None
    if learning_rate is not None:  # falls per dialogue (or per step); resumed runs go on
        model.lr_schedule = learning_rate
        if isinstance(learning_rate, agents.DialogueSchedule):
            schedules.append(learning_rate)
    if budget is not None and isinstance(model, DQN):
        # ε falls per dialogue over the dialogue budget, as in PyDial (SB3 counts steps).
        epsilon = agents.DialogueSchedule(
            model.exploration_initial_eps,
            model.exploration_final_eps,
            max(1, round(budget * model.exploration_fraction)),
        )
        model.exploration_schedule = epsilon
        schedules.append(epsilon)
    max_turns = int(eval_env.unwrapped.max_turns)
    total = config.timesteps or (budget or 0) * max_turns
    with recording_ctrl_c() as ctrl_c:
        callback = agents.DialogueCallback(
            budget, config.eval_every, milestone, start_dialogues, progress, schedules, ctrl_c
        )
        model.learn(
            total_timesteps=max(1, total - int(model.num_timesteps)) if resume else total,
            callback=callback,
            reset_num_timesteps=not resume,
            tb_log_name=config.algo,
        )
    train_seconds = trained_before + (time.perf_counter() - clock) - evaluating
    vec_env.close()
    write_atomically(run_dir / "model.zip", model_bytes(model))
    with tqdm(
        total=config.test_episodes, desc="final test", disable=not progress, file=sys.stderr
    ) as bar:
        summary, _ = evaluate(
            eval_env, policy, config.test_episodes, TEST_SEED + config.seed,
            on_episode=lambda _: bar.update(),
        )  # fmt: skip
    metrics = {
        "env": config.env,
        "env_kwargs": config.env_arguments,
        "algo": config.algo,
        "seed": config.seed,
        "dialogues": callback.dialogues,
        "timesteps": int(model.num_timesteps),
        "train_seconds": round(train_seconds, 3),
        "test_seed": TEST_SEED + config.seed,
        **summary,
    }
    write_json(run_dir / "metrics.json", metrics)
    if records:
        title = f"{config.algo} on {config.env} (seed {config.seed}"
        title += ", warm start)" if warm_started else ")"
        write_atomically(run_dir / "curves.png", learning_curves({config.algo: [records]}, title))
    return metrics


def start_from(
    model: Any, algorithm: agents.Algorithm, init: str, vec_env: Any, trust_model: bool
) -> None:
    """Give the fresh ``model`` the weights of the agent saved in ``init`` (``--init``).

    The agent must be of the same algorithm and fit the env's spaces (a structured agent fits
    every domain); the run keeps its own hyperparameters.

    Raises:
        ValueError: ``init: ...``, one line.
    """
    from dialogym.agents.loading import detect_algorithm, load_agent

    try:
        saved = detect_algorithm(init)
        if saved.name != algorithm.name:
            raise ValueError(f"it is a {saved.name} agent, this run trains {algorithm.name}")
        source = load_agent(init, model.device, vec_env, trust=trust_model)
    except ValueError as error:
        raise ValueError(f"init: {error}") from None
    model.policy.load_state_dict(source.policy.state_dict())


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``dialogym train``: one flag per `TrainConfig` field."""
    parser = argparse.ArgumentParser(
        prog="dialogym train",
        description="Train a dialogue policy. Flags override --config, which overrides defaults.",
        argument_default=argparse.SUPPRESS,
    )
    parser.add_argument(
        "--config", metavar="FILE.yaml", help="settings as YAML (TrainConfig fields)"
    )
    parser.add_argument(
        "--out", metavar="DIR", help="run folder (default runs/ALGO-ENV-DOMAIN-sSEED)"
    )
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument(
        "--warm-start", metavar="CORPUS.jsonl",
        help="pretrain by behaviour cloning on a corpus from dialogym simulate (same world)",
    )  # fmt: skip
    parser.add_argument(
        "--force", action="store_true",
        help="write into an existing --out folder that dialogym did not make, or replace the run"
        " it holds",
    )  # fmt: skip
    add_trust_model_flag(parser)
    for spec in dataclasses.fields(TrainConfig):
        flag = "--" + spec.name.replace("_", "-")
        help_text = spec.metadata["help"]
        if spec.default not in (None, False, dataclasses.MISSING) and "default" not in help_text:
            help_text += f" (default: {spec.default})"
        if spec.name in ("env_kwargs", "algo_kwargs"):
            parser.add_argument(
                flag.removesuffix("s"), dest=spec.name, action="append", metavar="KEY=VALUE",
                help=f"{help_text}; repeatable",
            )  # fmt: skip
        elif spec.name == "subprocess":
            parser.add_argument(flag, action="store_true", help=help_text)
        else:
            kind: Callable[[str], Any] = {
                "target_success": float, "reward_scale": float, "init": str
            }.get(spec.name, int)  # fmt: skip
            if isinstance(spec.default, str):
                kind = str
            elif spec.name == "seed":
                kind = non_negative_int
            parser.add_argument(flag, type=kind, help=help_text)
    return parser


def resolve_config(args: argparse.Namespace) -> TrainConfig:
    """Defaults, then ``--config``, then the flags given."""
    settings: dict[str, Any] = {}
    try:
        if "config" in args:
            settings = TrainConfig.load(args.config, named_by_user(args)).to_dict()
        flags = {
            f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig) if f.name in args
        }
        for name in ("env_kwargs", "algo_kwargs"):
            if name in flags:
                flags[name] = {**settings.get(name, {}), **parse_env_kwargs(flags[name])}
        budgets = [name for name in BUDGETS if flags.get(name) is not None]
        if len(budgets) == 2:
            raise CommandError("--dialogues, --timesteps: give one training budget, not both")
        if budgets:  # a budget flag replaces the file's budget, whichever it is
            settings = {key: value for key, value in settings.items() if key not in BUDGETS}
        elif all(settings.get(name) is not None for name in BUDGETS):
            raise CommandError(f"{args.config}: dialogues, timesteps: give one budget, not both")
        config = TrainConfig.from_mapping({**settings, **flags}, source="train")
    except CommandError as error:
        raise CommandError(str(error).replace("--env-kwarg", "--env-kwarg/--algo-kwarg")) from None
    except ValueError as error:
        raise CommandError(str(error)) from None
    if isinstance(config.seed, bool) or not isinstance(config.seed, int) or config.seed < 0:
        raise CommandError(f"seed: must be an integer >= 0, got {config.seed!r}")
    from dialogym.agents.builders import check_device  # torch: once the flags are parsed

    try:
        check_device(config.device)
    except ValueError as error:
        raise CommandError(f"--{error}") from None
    return config


def named_by_user(args: argparse.Namespace) -> frozenset[str]:
    """The ``--env-kwarg`` values given: models a config file may name (see `checked_env`)."""
    try:
        given = parse_env_kwargs(getattr(args, "env_kwargs", None) or [])
    except CommandError:
        return frozenset()  # reported by resolve_config
    return frozenset(value for value in given.values() if isinstance(value, str))


def resume_conflicts(args: argparse.Namespace, config: TrainConfig, run_dir: Path) -> list[str]:
    """The flags given beside ``--resume`` that contradict the run's saved config.

    A flag that repeats the saved value is no conflict; ``--config`` always is (the run's
    ``config.yaml`` is its config), and ``--out`` is unless it names the run folder.
    """
    conflicts = [f"--config {args.config}"] if "config" in args else []
    if "out" in args and Path(args.out).resolve() != run_dir.resolve():
        conflicts.append(f"--out {args.out}")
    if "warm_start" in args:
        cloned = recorded_warm_start(run_dir)
        if cloned is None or Path(args.warm_start).resolve() != Path(cloned).resolve():
            conflicts.append(f"--warm-start {args.warm_start} (saved: {cloned!r})")
    saved = config.to_dict()
    for spec in dataclasses.fields(TrainConfig):
        if spec.name not in args:
            continue
        given = getattr(args, spec.name)
        if spec.name in ("env_kwargs", "algo_kwargs"):
            given = portable_env_kwargs({**saved[spec.name], **parse_env_kwargs(given)})
        if given != saved[spec.name]:
            flag = "--" + spec.name.replace("_", "-")
            conflicts.append(
                f"{flag.removesuffix('s') if spec.name.endswith('kwargs') else flag}"
                f" (saved: {saved[spec.name]!r})"
            )
    return conflicts


def recorded_warm_start(run_dir: Path) -> str | None:
    """The corpus a run was warm-started from (its ``warm_start.json``), or None."""
    try:
        corpus = json.loads((run_dir / WARM_START_FILE).read_text(encoding="utf-8"))["corpus"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return corpus if isinstance(corpus, str) else None


def print_above_bars(line: str) -> None:
    """Print a line on stdout, above the progress bars (which stay on stderr)."""
    tqdm.write(line, file=sys.stdout)


@contextmanager
def resume_hint_on_interrupt(run_dir: Path) -> Iterator[None]:
    """On Ctrl-C in the block, say how to go on: the ``--resume`` command, if there is a checkpoint.

    Raises:
        Interrupted: on Ctrl-C, with the command that continues the run.
    """
    try:
        yield
    except KeyboardInterrupt:
        if (run_dir / "checkpoint.json").is_file():
            hint = f"continue with: dialogym train --resume {shlex.quote(str(run_dir))}"
        else:
            hint = "no checkpoint was taken yet: start the run again"
        raise Interrupted(hint) from None


def refuse_a_run_there(run_dir: Path) -> None:
    """Refuse to start a run in a folder that holds one, finished or not (``--force`` replaces it).

    Raises:
        CommandError: ``run_dir`` holds ``metrics.json`` or ``checkpoint.json``.
    """
    if (run_dir / "metrics.json").is_file():
        raise CommandError(
            f"--out: {run_dir} holds a finished run (metrics.json); choose another --out, or"
            " --force to replace it"
        )
    if (run_dir / "checkpoint.json").is_file():
        raise CommandError(
            f"--out: {run_dir} holds an interrupted run; continue it with dialogym train"
            f" --resume {shlex.quote(str(run_dir))}, or --force to start it over"
        )


def run(args: argparse.Namespace) -> int:
    """Train as the parsed arguments say; print where the run went and its final metrics."""
    progress = "no_progress" not in args
    if "resume" in args:
        run_dir = Path(args.resume)
        if not (run_dir / "checkpoint.json").is_file():
            raise CommandError(f"--resume: {run_dir} holds no checkpoint to resume from")
        if not (run_dir / "checkpoint.zip").is_file():
            raise CommandError(f"--resume: {run_dir} holds checkpoint.json but no checkpoint.zip")
        try:
            config = TrainConfig.load(run_dir / "config.yaml", named_by_user(args))
        except ValueError as error:
            raise CommandError(f"--resume: {str(error).splitlines()[0]}") from None
        conflicts = resume_conflicts(args, config, run_dir)
        if conflicts:
            raise CommandError(
                f"--resume continues the run as {run_dir / 'config.yaml'} says; conflicting"
                f" flags: {', '.join(conflicts)}"
            )
        read_checkpoint(run_dir)  # a broken checkpoint: one line, before anything is touched
        if (run_dir / "metrics.json").is_file():
            print(f"{run_dir}: the run is finished (metrics.json); nothing to resume")
            return 0
        from dialogym.agents.builders import check_device

        try:  # a domain file gone (or named relative to another folder): one line, now
            check_device(config.device)
            make_env(config.env, dict(config.env_kwargs)).close()
        except (CommandError, ValueError) as error:
            raise CommandError(f"--resume: {run_dir / 'config.yaml'}: {error}") from None
        with resume_hint_on_interrupt(run_dir):
            metrics = train(
                config, run_dir, resume=True, progress=progress,
                trust_model="trust_model" in args, force="force" in args, log=print_above_bars,
            )  # fmt: skip
    else:
        config = resolve_config(args)
        name = run_name(config.algo, config.env, config.env_kwargs, config.seed)
        run_dir = Path(getattr(args, "out", None) or Path("runs") / name)
        if "force" not in args:
            refuse_a_run_there(run_dir)
        make_env(config.env, config.env_arguments).close()  # bad env or kwargs: one line, now
        corpus = getattr(args, "warm_start", None)
        if corpus is not None and not Path(corpus).is_file():
            raise CommandError(f"--warm-start: {corpus} is not a file")
        if corpus is not None and is_multiwoz(config.env):
            raise CommandError(
                f"--warm-start: corpora are replayed in the PyDial world only, not in {config.env}"
            )
        with resume_hint_on_interrupt(run_dir):
            metrics = train(
                config, run_dir, progress=progress, warm_start_corpus=corpus,
                force="force" in args, log=print_above_bars,
            )  # fmt: skip
    print(
        f"{run_dir}: success {metrics['success_rate']:.3f} over {metrics['episodes']} test"
        f" dialogues after {metrics['dialogues']} training dialogues"
        f" ({metrics['timesteps']} steps, {metrics['train_seconds']:.1f} s)"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``dialogym train``."""
    return run_command("train", run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
