r"""``dialogym improve``: the LLM policy learns from its own dialogues, round after round.

Example::

    dialogym finetune --corpus hdc100.jsonl --out runs/llm-100
    dialogym improve --env dialogym/PyDialEnv3-v0 --start runs/llm-100 --corpus hdc100.jsonl \
        --rounds 3 --dialogues 100 --out runs/improve

Round 0 evaluates the ``--start`` policy. Each round then

1. plays ``--dialogues`` dialogues with the current policy (sampling its choices from the
   softmax of the candidates' scores, so it tries moves beside its favourite; dialogue k of round
   r has seed ``--seed`` + 1,000,000 + (r - 1) × ``--dialogues`` + k, apart from the test seeds),
   each ``--attempts`` times (the same user and goal, other samples of the policy's choices),
2. keeps, of each dialogue's attempts, the one with the highest return among those that
   qualify: the successful ones (``--keep success``) or those with a return of at least
   ``--min-return`` (``--keep return``); appends them to ``corpus.jsonl`` (lines as
   ``dialogym simulate`` writes them; the run starts from a copy of ``--corpus`` if given).
   With several attempts the corpus learns the shortest way the policy found to each goal, not
   every way that happened to work (loops included),
3. fine-tunes the current policy on the corpus (`dialogym.finetune`; ``--max-examples`` caps the
   examples per round, a fresh seeded subset each round) into ``round-R/``,
4. evaluates it on ``--eval-episodes`` test dialogues (seeds ``--seed`` + k, the same every
   round; greedy choices).

``rounds.json`` gets one record per round (round, the dialogues played so far with every
attempt counted, success and its Wilson interval, return, turns, corpus size, dialogues kept,
the played dialogues' success, fine-tuning and wall time)
and ``curve.png`` the success and return curves, both written atomically after each round.
``--out`` must be a new folder, an empty one or one dialogym made (``--force`` for another; never
one holding a symbolic link: `dialogym.runs`), and is locked while the run writes it
(``run.lock``, as ``dialogym train`` does). Corpora are read line by line within
`dialogym.agents.warm_start.CorpusLimits`, never whole, and replayed in the run's world;
``improve.json`` is checked when read back (its ``env`` and ``env_kwargs`` as any file's:
`dialogym.envs.registration.checked_env`);
``dialogym improve --resume RUN`` continues an interrupted run from its last finished round
with the settings of ``RUN/improve.json`` (the corpus cut back to that round's size);
``--resume RUN --rounds N`` also extends (or shortens) it to N rounds.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dialogym.cli import (
    CommandError,
    Interrupted,
    atomic_file,
    env_parser,
    make_env,
    non_negative_int,
    parse_env_kwargs,
    run_command,
    write_atomically,
    write_json,
)
from dialogym.dialogues import play
from dialogym.envs.registration import checked_env, is_multiwoz
from dialogym.envs.rollout import EpisodeResult, summarize
from dialogym.finetune import FinetuneSettings, corpus_examples, train_on
from dialogym.models import MODELS, ModelError, select_device
from dialogym.policies.llm import (
    LLMPolicy,
    LoadedModel,
    inference_dtype,
    load_model,
    save_policy_model,
)
from dialogym.runs import claim_run_folder, read_run_json, remove_temporaries, run_lock

CONFIG_FILE = "improve.json"
ROUNDS_FILE = "rounds.json"
CORPUS_FILE = "corpus.jsonl"
CURVE_FILE = "curve.png"
RUN_FILES = (CONFIG_FILE, ROUNDS_FILE, CORPUS_FILE, CURVE_FILE)
"""The files a run writes (atomically) into its folder, besides the rounds' policy folders."""
IMPROVE_OUTPUTS = {CONFIG_FILE: frozenset({"env", "env_kwargs", "start", "rounds"})}
"""A file that makes a folder an improve run's (one made before run folders were marked)."""
MAX_RUN_FILE_BYTES = 16 * 1024**2
"""The largest ``improve.json`` or ``rounds.json`` read back."""
PLAY_SEED_OFFSET = 1_000_000
"""Self-play seeds start this far past ``--seed`` (the test dialogues' seeds)."""
KEEP_RULES = ("success", "return")


@dataclass(frozen=True)
class ImproveConfig:
    """Everything a run needs, saved as ``improve.json`` (what ``--resume`` reads back)."""

    env: str
    env_kwargs: dict[str, Any]
    start: str
    rounds: int
    dialogues: int
    eval_episodes: int = 100
    seed: int = 0
    keep: str = "success"
    min_return: float = 0.0
    num_envs: int = 16
    corpus: str | None = None
    finetune: dict[str, Any] = field(default_factory=dict)
    attempts: int = 1

    def __post_init__(self) -> None:
        for name in ("rounds", "dialogues", "eval_episodes", "num_envs", "attempts"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"--{name.replace('_', '-')}: must be >= 1, got {value!r}")
        if self.keep not in KEEP_RULES:
            raise ValueError(f"--keep: choose one of {', '.join(KEEP_RULES)}, got {self.keep!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"--seed: must be an integer >= 0, got {self.seed!r}")
        if isinstance(self.min_return, bool) or not isinstance(self.min_return, int | float):
            raise ValueError(f"--min-return: must be a number, got {self.min_return!r}")
        for name in ("start", "corpus"):
            value = getattr(self, name)
            if not isinstance(value, str) and (name == "start" or value is not None):
                raise ValueError(f"--{name}: must be a path or name, got {value!r}")
        if not isinstance(self.finetune, dict):
            raise ValueError(f"finetune: must be a mapping, got {self.finetune!r}")
        try:
            FinetuneSettings(**self.finetune)
        except TypeError as error:
            raise ValueError(f"finetune: {error}") from None

    @classmethod
    def load(cls, path: Path, named_by_user: frozenset[str]) -> ImproveConfig:
        """Read a run's ``improve.json`` (untrusted: bounded, every field checked).

        Args:
            path: The file.
            named_by_user: ``--env-kwarg`` values given: models it may name (`checked_env`).

        Raises:
            CommandError: one line naming the file (and the field).
        """
        try:
            data = read_run_json(path, MAX_RUN_FILE_BYTES)
            if not isinstance(data, dict):
                raise ValueError(f"expected an object, got {type(data).__name__}")
            checked_env(data.get("env"), data.get("env_kwargs"), str(path), named_by_user)
            return cls(**data)
        except OSError as error:
            raise CommandError(f"--resume: {path}: cannot read ({error.strerror})") from None
        except (ValueError, TypeError, RecursionError) as error:
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            prefix = "" if message.startswith(str(path)) else f"{path}: "
            raise CommandError(f"--resume: {prefix}{message[:500]}") from None


def improve(
    config: ImproveConfig, run_dir: Path, resume: bool = False, force: bool = False
) -> list[dict[str, Any]]:
    """Run (or continue) the rounds of self-improvement in ``run_dir``; the round records.

    Args:
        config: The run.
        run_dir: Its folder (created, or dialogym's: see `dialogym.runs.claim_run_folder`).
        resume: Continue the run ``run_dir`` holds.
        force: Write into an existing folder that dialogym did not make (``--force``).

    Raises:
        CommandError: the run folder is not dialogym's, in use or inconsistent, or a model,
            corpus or env is bad (one line).
    """
    claim_run_folder(run_dir, "--resume" if resume else "--out", force, IMPROVE_OUTPUTS)
    with run_lock(run_dir):
        try:
            return _improve(config, run_dir, resume)
        except KeyboardInterrupt:
            hint = f"continue with: dialogym improve --resume {shlex.quote(str(run_dir))}"
            raise Interrupted(hint) from None
        except CommandError:  # a start policy that cannot play: leave nothing to --resume
            if not resume and not (run_dir / ROUNDS_FILE).is_file():
                for name in (CONFIG_FILE, CORPUS_FILE):
                    (run_dir / name).unlink(missing_ok=True)
            raise


def _improve(config: ImproveConfig, run_dir: Path, resume: bool) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    corpus = run_dir / CORPUS_FILE
    if resume:
        records = _read_rounds(run_dir / ROUNDS_FILE)
        remove_temporaries(run_dir, RUN_FILES)
        if records:
            _copy_corpus(corpus, corpus, records[-1]["corpus_dialogues"])
    else:
        _copy_corpus(Path(config.corpus) if config.corpus else None, corpus)
        write_json(run_dir / CONFIG_FILE, asdict(config))
    settings = FinetuneSettings(**config.finetune)
    world = (config.env, config.env_kwargs)
    device, _ = select_device(None)
    if not records:
        records.append(_evaluate(config, config.start, 0, corpus, {}))
        _write_progress(run_dir, records)
    for round_number in range(len(records), config.rounds + 1):
        started = time.perf_counter()
        current = config.start if round_number == 1 else str(run_dir / f"round-{round_number - 1}")
        loaded = _load(current, device, inference_dtype(device))
        seed = config.seed + PLAY_SEED_OFFSET + (round_number - 1) * config.dialogues
        attempts = []
        for attempt in range(config.attempts):
            played_once = play(
                config.env, config.env_kwargs, _bound(loaded, [seed, attempt]),
                config.dialogues, seed, config.num_envs, deterministic=False,
            )  # fmt: skip
            attempts.append([(dialogue.result, dialogue.line) for dialogue in played_once])
        played = [dialogue for attempt in attempts for dialogue in attempt]
        kept = [
            line
            for line in (best_attempt(config, tries) for tries in zip(*attempts, strict=True))
            if line is not None
        ]
        _copy_corpus(corpus, corpus, added=kept)
        examples, _, _ = corpus_examples(corpus, world)
        loaded = _load(current, device)  # float32 to train
        round_settings = FinetuneSettings(
            **{**asdict(settings), "seed": settings.seed + round_number}
        )
        trained = train_on(loaded, examples, round_settings)
        out = run_dir / f"round-{round_number}"
        save_policy_model(loaded, trained["trained"], out, {"improve_round": round_number})
        extra = {
            "kept": len(kept),
            "played_success": sum(r.success for r, _ in played) / len(played),
            "examples": trained["examples"],
            "finetune_seconds": round(trained["seconds"], 1),
        }
        records.append(_evaluate(config, str(out), round_number, corpus, extra, started))
        _write_progress(run_dir, records)
    return records


def _evaluate(
    config: ImproveConfig,
    model: str,
    round_number: int,
    corpus: Path,
    extra: dict[str, Any],
    started: float | None = None,
) -> dict[str, Any]:
    """The round's record: its policy on the test dialogues, the corpus size, the times."""
    started = time.perf_counter() if started is None else started
    device, _ = select_device(None)
    loaded = _load(model, device, inference_dtype(device))
    played = play(
        config.env, config.env_kwargs, _bound(loaded, None),
        config.eval_episodes, config.seed, config.num_envs,
    )  # fmt: skip
    summary = summarize([p.result for p in played])
    record = {
        "round": round_number,
        "dialogues": round_number * config.dialogues * config.attempts,
        "success_rate": summary["success_rate"],
        "success_ci95": summary["success_ci95"],
        "avg_return": summary["avg_return"],
        "avg_turns": summary["avg_turns"],
        "corpus_dialogues": sum(1 for _ in _corpus_lines(corpus)),
        **extra,
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    return record


def best_attempt(config: ImproveConfig, tries: Sequence[tuple[EpisodeResult, str]]) -> str | None:
    """The corpus line of a dialogue's best qualifying attempt (highest return, first on a tie).

    ``tries``: each attempt's result and corpus line; ``None`` when no attempt qualifies.
    """
    qualifying = [
        (result.episode_return, -index, line)
        for index, (result, line) in enumerate(tries)
        if (
            result.success
            if config.keep == "success"
            else result.episode_return >= config.min_return
        )
    ]
    return max(qualifying)[2] if qualifying else None


def _bound(loaded: LoadedModel, seed: Sequence[int] | None) -> Callable[[Any], LLMPolicy]:
    """A function binding an LLM policy of ``loaded`` to the vector env it is given."""
    return lambda venv: LLMPolicy(venv.envs, loaded, seed=seed)


def _read_rounds(path: Path) -> list[dict[str, Any]]:
    """The records of a run's ``rounds.json`` (none if it is not there yet), checked.

    Raises:
        CommandError: an unreadable, oversized or malformed file (one line naming it).
    """
    if not path.is_file():
        return []
    try:
        records = read_run_json(path, MAX_RUN_FILE_BYTES)
    except (OSError, ValueError) as error:
        raise CommandError(f"--resume: {path}: not a rounds file ({error})") from None
    if not isinstance(records, list) or not all(
        isinstance(r, dict)
        and isinstance(r.get("corpus_dialogues"), int)
        and not isinstance(r["corpus_dialogues"], bool)
        and r["corpus_dialogues"] >= 0
        for r in records
    ):
        raise CommandError(
            f"--resume: {path}: expected a list of round records, each with corpus_dialogues"
        )
    return records


def _write_progress(run_dir: Path, records: list[dict[str, Any]]) -> None:
    """``rounds.json`` and ``curve.png``, atomically."""
    from dialogym.agents.plots import learning_curves

    write_json(run_dir / ROUNDS_FILE, records)
    title = "LLM policy learning from its own dialogues (round 0: the start policy)"
    write_atomically(run_dir / CURVE_FILE, learning_curves({"LLM policy": [records]}, title))


def _load(model: str, device: Any, dtype: Any = None) -> LoadedModel:
    """`load_model`, its errors one line naming the model (``--start`` or a round's folder)."""
    try:
        return load_model(model, device, dtype)
    except ModelError as error:
        raise CommandError(f"--start: {error}") from None


def _corpus_lines(corpus: Path) -> Iterator[bytes]:
    """A corpus's dialogue lines, one at a time, within `CorpusLimits` (never the whole file).

    Raises:
        CommandError: the file is too large, has a line too long, or cannot be read.
    """
    from dialogym.agents.warm_start import corpus_lines  # torch and SB3 load only when needed

    try:
        for _, raw in corpus_lines(corpus):
            yield raw
    except ValueError as error:
        raise CommandError(f"--corpus: {error}") from None


def _copy_corpus(
    source: Path | None, corpus: Path, dialogues: int | None = None, added: Sequence[str] = ()
) -> None:
    """Write the run corpus atomically: ``source``'s first ``dialogues`` lines, then ``added``.

    ``source`` (``--corpus``, or the run corpus itself) is read line by line within
    `CorpusLimits`, never whole; None starts an empty corpus.

    Raises:
        CommandError: ``source`` is too large, has a line too long, or cannot be read.
    """
    with atomic_file(corpus) as stream:
        lines = () if source is None else _corpus_lines(source)
        for number, raw in enumerate(lines):
            if dialogues is not None and number >= dialogues:
                break
            stream.write(raw if raw.endswith(b"\n") else raw + b"\n")
        stream.write("".join(line + "\n" for line in added).encode("utf-8"))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``dialogym improve``."""
    parser = env_parser(
        "improve",
        "Rounds of: play with the LLM policy, keep the good dialogues, fine-tune.",
        "environment argument, repeatable (e.g. domain=PATH, channel=text)",
    )
    parser.add_argument("--start", metavar="DIR", help="the policy to start from (llm model)")
    parser.add_argument("--corpus", metavar="CORPUS.jsonl", help="corpus the run starts with")
    parser.add_argument(
        "--rounds", type=int, default=None,
        help="rounds after round 0 (default 3); with --resume: extend the run to this many",
    )  # fmt: skip
    parser.add_argument("--dialogues", type=int, default=100, help="dialogues played per round")
    parser.add_argument("--eval-episodes", type=int, default=100, help="test dialogues per round")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="seed of test dialogue 0")
    parser.add_argument("--keep", choices=KEEP_RULES, default="success")
    parser.add_argument(
        "--min-return", type=float, default=None, help="with --keep return (default 0)"
    )
    parser.add_argument(
        "--attempts", type=int, default=1,
        help="times each self-played dialogue is tried; the best qualifying attempt is kept",
    )  # fmt: skip
    parser.add_argument("--num-envs", type=int, default=16, help="dialogues played at once")
    parser.add_argument("--epochs", type=int, default=1, help="fine-tuning epochs per round")
    parser.add_argument("--lr", type=float, default=FinetuneSettings.learning_rate)
    parser.add_argument("--max-examples", type=non_negative_int, default=0, metavar="N")
    parser.add_argument("--out", metavar="RUN", help="the run folder")
    parser.add_argument("--resume", metavar="RUN", help="continue an interrupted run")
    parser.add_argument(
        "--force", action="store_true",
        help="write into an existing --out folder that dialogym did not make",
    )  # fmt: skip
    return parser


def resume_conflicts(args: argparse.Namespace) -> list[str]:
    """The flags given beside ``--resume`` (other than its defaults) that the run's file settles.

    ``--rounds`` extends the run and ``--env-kwarg`` names models the file may use: neither is
    a conflict.
    """
    defaults = build_parser().parse_args([])
    settled = [
        name
        for name, value in vars(args).items()
        if name not in ("resume", "rounds", "env_kwarg", "force")
        and value != getattr(defaults, name)
    ]
    return ["--" + name.replace("_", "-") for name in settled]


def run(args: argparse.Namespace) -> int:
    """Improve as the parsed arguments say (or resume); print the rounds."""
    if args.min_return is not None and args.keep != "return":
        raise CommandError("--min-return: applies to --keep return only")
    if args.resume is not None:
        conflicts = resume_conflicts(args)
        if conflicts:
            raise CommandError(
                f"--resume continues the run as its {CONFIG_FILE} says (--rounds may extend it);"
                f" conflicting flags: {', '.join(conflicts)}"
            )
        run_dir = Path(args.resume)
        given = parse_env_kwargs(args.env_kwarg).values()
        named = frozenset(value for value in given if isinstance(value, str))
        config = ImproveConfig.load(run_dir / CONFIG_FILE, named)
        if args.rounds is not None and args.rounds != config.rounds:
            try:
                config = ImproveConfig(**{**asdict(config), "rounds": args.rounds})
            except ValueError as error:
                raise CommandError(str(error)) from None
            write_json(run_dir / CONFIG_FILE, asdict(config))
        records = improve(config, run_dir, resume=True, force=args.force)
    else:
        if args.out is None or args.start is None:
            raise CommandError("--out and --start are required (or --resume RUN)")
        run_dir = Path(args.out)
        if (run_dir / ROUNDS_FILE).exists():
            raise CommandError(f"--out: {run_dir} holds a run already; continue it with --resume")
        try:
            settings = FinetuneSettings(
                epochs=args.epochs, learning_rate=args.lr, max_examples=args.max_examples
            )
            config = ImproveConfig(
                args.env, parse_env_kwargs(args.env_kwarg), args.start,
                3 if args.rounds is None else args.rounds,
                args.dialogues, args.eval_episodes, args.seed, args.keep, args.min_return or 0.0,
                args.num_envs, args.corpus, asdict(settings), args.attempts,
            )  # fmt: skip
        except ValueError as error:
            raise CommandError(str(error)) from None
        make_env(config.env, config.env_kwargs).close()  # one-line errors for a bad env
        if is_multiwoz(config.env):
            raise CommandError(
                f"--env: improve trains the LLM policy, which plays the PyDial world only, not"
                f" {config.env}"
            )
        if config.corpus is not None and not Path(config.corpus).is_file():
            raise CommandError(f"--corpus: {config.corpus} is not a file")
        if config.start not in MODELS and not Path(config.start).exists():
            raise CommandError(
                f"--start: {config.start!r} names no model: neither a model name"
                f" ({', '.join(MODELS)}) nor a folder or file"
            )
        records = improve(config, run_dir, force=args.force)
    for record in records:
        print(
            f"round {record['round']}: success {record['success_rate']:.3f}, return"
            f" {record['avg_return']:.2f}, corpus {record['corpus_dialogues']} dialogues,"
            f" {record['wall_seconds']} s"
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``dialogym improve``."""
    return run_command("improve", run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
