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
The run folder is locked while it runs (``run.lock``, as ``dialogym train`` does);
``dialogym improve --resume RUN`` continues an interrupted run from its last finished round
with the settings of ``RUN/improve.json`` (the corpus cut back to that round's size);
``--resume RUN --rounds N`` also extends (or shortens) it to N rounds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dialogym.cli import (
    CommandError,
    env_parser,
    make_env,
    non_negative_int,
    parse_env_kwargs,
    run_command,
    write_atomically,
    write_json,
)
from dialogym.envs.rollout import EpisodeResult, summarize
from dialogym.evaluate import play_batched
from dialogym.finetune import FinetuneSettings, corpus_examples, train_on
from dialogym.models import ModelError, select_device
from dialogym.policies.llm import (
    LLMPolicy,
    LoadedModel,
    inference_dtype,
    load_model,
    save_policy_model,
)
from dialogym.train import run_lock

CONFIG_FILE = "improve.json"
ROUNDS_FILE = "rounds.json"
CORPUS_FILE = "corpus.jsonl"
CURVE_FILE = "curve.png"
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


def improve(config: ImproveConfig, run_dir: Path, resume: bool = False) -> list[dict[str, Any]]:
    """Run (or continue) the rounds of self-improvement in ``run_dir``; the round records.

    Raises:
        CommandError: the run folder is in use or inconsistent, or a model, corpus or env is
            bad (one line).
    """
    with run_lock(run_dir):
        return _improve(config, run_dir, resume)


def _improve(config: ImproveConfig, run_dir: Path, resume: bool) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    corpus = run_dir / CORPUS_FILE
    if resume:
        records = json.loads((run_dir / ROUNDS_FILE).read_text(encoding="utf-8")) if (
            run_dir / ROUNDS_FILE
        ).is_file() else []  # fmt: skip
        if records:
            _cut_corpus(corpus, records[-1]["corpus_dialogues"])
    else:
        write_json(run_dir / CONFIG_FILE, asdict(config))
        write_atomically(corpus, Path(config.corpus).read_bytes() if config.corpus else b"")
    settings = FinetuneSettings(**config.finetune)
    device, _ = select_device(None)
    if not records:
        records.append(_evaluate(config, config.start, 0, corpus, {}))
        _write_progress(run_dir, records)
    for round_number in range(len(records), config.rounds + 1):
        started = time.perf_counter()
        current = config.start if round_number == 1 else str(run_dir / f"round-{round_number - 1}")
        try:
            loaded = load_model(current, device, inference_dtype(device))
        except ModelError as error:
            raise CommandError(f"--start: {error}") from None
        seed = config.seed + PLAY_SEED_OFFSET + (round_number - 1) * config.dialogues
        attempts = []
        for attempt in range(config.attempts):
            attempts.append(play_batched(
                config.env, config.env_kwargs, _bound(loaded, [seed, attempt]),
                config.dialogues, seed, config.num_envs, deterministic=False,
            ))  # fmt: skip
        played = [dialogue for attempt in attempts for dialogue in attempt]
        kept = [
            line
            for line in (best_attempt(config, tries) for tries in zip(*attempts, strict=True))
            if line is not None
        ]
        existing = corpus.read_text(encoding="utf-8")
        write_atomically(corpus, existing + "".join(line + "\n" for line in kept))
        examples, dialogues, _ = corpus_examples(corpus)
        loaded = load_model(current, device)  # float32 to train
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
    loaded = load_model(model, device, inference_dtype(device))
    played = play_batched(
        config.env, config.env_kwargs, _bound(loaded, None),
        config.eval_episodes, config.seed, config.num_envs,
    )  # fmt: skip
    summary = summarize([result for result, _ in played])
    text = corpus.read_text(encoding="utf-8")
    record = {
        "round": round_number,
        "dialogues": round_number * config.dialogues * config.attempts,
        "success_rate": summary["success_rate"],
        "success_ci95": summary["success_ci95"],
        "avg_return": summary["avg_return"],
        "avg_turns": summary["avg_turns"],
        "corpus_dialogues": sum(1 for line in text.splitlines() if line.strip()),
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


def _write_progress(run_dir: Path, records: list[dict[str, Any]]) -> None:
    """``rounds.json`` and ``curve.png``, atomically."""
    from dialogym.agents.plots import learning_curves

    write_json(run_dir / ROUNDS_FILE, records)
    title = "LLM policy learning from its own dialogues (round 0: the start policy)"
    write_atomically(run_dir / CURVE_FILE, learning_curves({"LLM policy": [records]}, title))


def _cut_corpus(corpus: Path, dialogues: int) -> None:
    """Keep the corpus's first ``dialogues`` lines (what the last finished round had)."""
    lines = corpus.read_text(encoding="utf-8").splitlines(keepends=True)
    write_atomically(corpus, "".join(lines[:dialogues]))


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
    parser.add_argument("--min-return", type=float, default=0.0, help="with --keep return")
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
    return parser


def run(args: argparse.Namespace) -> int:
    """Improve as the parsed arguments say (or resume); print the rounds."""
    if args.resume is not None:
        run_dir = Path(args.resume)
        try:
            config = ImproveConfig(
                **json.loads((run_dir / CONFIG_FILE).read_text(encoding="utf-8"))
            )
        except (OSError, ValueError, TypeError) as error:
            raise CommandError(f"--resume: {run_dir / CONFIG_FILE}: {error}") from None
        if args.rounds is not None and args.rounds != config.rounds:
            try:
                config = ImproveConfig(**{**asdict(config), "rounds": args.rounds})
            except ValueError as error:
                raise CommandError(str(error)) from None
            write_json(run_dir / CONFIG_FILE, asdict(config))
        records = improve(config, run_dir, resume=True)
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
                args.dialogues, args.eval_episodes, args.seed, args.keep, args.min_return,
                args.num_envs, args.corpus, asdict(settings), args.attempts,
            )  # fmt: skip
        except ValueError as error:
            raise CommandError(str(error)) from None
        make_env(config.env, config.env_kwargs).close()  # one-line errors for a bad env
        if config.corpus is not None and not Path(config.corpus).is_file():
            raise CommandError(f"--corpus: {config.corpus} is not a file")
        records = improve(config, run_dir)
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
