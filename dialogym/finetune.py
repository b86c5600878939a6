r"""``dialogym finetune``: teach the LLM policy a corpus's choices (the teacher's action after each context).

Example::

    dialogym simulate --env dialogym/PyDialEnv3-v0 --env-kwarg channel=semantic \
        --policy handcrafted --episodes 1000 --seed 1000 --out hdc.jsonl
    dialogym finetune --corpus hdc.jsonl --out runs/llm-hdc
    dialogym evaluate --env dialogym/PyDialEnv3-v0 --policy llm:runs/llm-hdc --num-envs 16

The corpus is what ``dialogym simulate`` writes (``evaluate --transcripts`` and ``improve`` write
the same lines), read line by line (`dialogym.agents.warm_start.CorpusLimits`), never whole. The
world its first line names (``env``, ``env_kwargs``) is checked as any file's is
(`dialogym.envs.registration.checked_env`: a dialogym id, the env's own arguments, built-in
models only). Every dialogue is replayed in that world from its seed
(`dialogym.agents.warm_start.replay_corpus`, which also checks that it replays as recorded) to
learn which actions were allowed at each turn. One example per system turn: the prompt the live
policy would have seen before it (`dialogym.policies.llm.dialogue_prompt` on the recorded turns,
the same function the policy calls), the allowed actions, and the teacher's choice; identical
examples are kept once. The loss is the cross-entropy of the teacher's action among the allowed
ones, each scored as the policy scores it (mean log-probability of its description).

Only the top ``--layers`` transformer layers and the final norm are trained (AdamW; the rest of
the model is frozen, so the backward pass stops there), under bfloat16 autocast on CPUs and GPUs
that compute it natively. ``--out`` is a policy directory (`dialogym.policies.llm`): the
trained tensors (safetensors) and a manifest naming the base model; ``--policy llm:DIR`` loads
it, and ``--model DIR`` fine-tunes it further. The manifest also records the corpus, the
examples, the settings, the wall time and the agreement with the teacher on the last epoch.
``--export DIR`` also writes the whole tuned model as a transformers folder, for tools outside
dialogym (``AutoModelForCausalLM.from_pretrained(DIR)``).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dialogym.cli import CommandError, HelpFormatter, make_env, non_negative_int, run_command
from dialogym.domains.domain import excerpt
from dialogym.envs.registration import checked_env
from dialogym.models import ModelError, select_device
from dialogym.policies.llm import (
    DEFAULT_MODEL,
    MANIFEST,
    CandidateScorer,
    LoadedModel,
    describe_action,
    dialogue_prompt,
    exchange_of,
    export_model,
    inference_dtype,
    load_model,
    request_slots,
    save_policy_model,
)


@dataclass(frozen=True)
class Example:
    """One decision of the teacher: the prompt, the allowed actions, the one taken.

    Attributes:
        prompt: What the policy reads (`dialogue_prompt`).
        allowed: Names of the actions allowed there, in the action space's order.
        target: Position of the teacher's action in ``allowed``.
    """

    prompt: str
    allowed: tuple[str, ...]
    target: int


@dataclass(frozen=True)
class FinetuneSettings:
    """How to fine-tune.

    Attributes:
        epochs: Passes over the examples.
        batch: Examples per optimizer step.
        learning_rate: AdamW's learning rate.
        layers: Top transformer layers trained (with the final norm).
        seed: Seed of the example order (and of the subset, with ``max_examples``).
        max_examples: Train on at most this many examples (a seeded random subset); 0: all.
    """

    epochs: int = 1
    batch: int = 16
    learning_rate: float = 3e-4
    layers: int = 4
    seed: int = 0
    max_examples: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.max_examples, bool) or self.max_examples < 0:
            raise ValueError(f"max_examples: must be an integer >= 0, got {self.max_examples!r}")
        for name in ("epochs", "batch", "layers"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: must be a positive integer, got {value!r}")
        if not 0.0 < self.learning_rate < 1.0:
            raise ValueError(f"learning_rate: must be in (0, 1), got {self.learning_rate!r}")


def corpus_world(path: Path) -> tuple[str, dict[str, Any]]:
    """The world a corpus's first line names (``env``, ``env_kwargs``), checked as a file's.

    Raises:
        CommandError: unreadable corpus, or a world `checked_env` refuses (one line naming the
            file, line and field).
    """
    from dialogym.agents.warm_start import corpus_records

    try:
        number, record = next(corpus_records(path))
        return checked_env(record.get("env"), record.get("env_kwargs"), f"{path} line {number}")
    except ValueError as error:
        raise CommandError(f"--corpus: {error}") from None


def corpus_examples(
    path: str | Path, world: tuple[str, Mapping[str, Any]] | None = None
) -> tuple[list[Example], int, int]:
    """The deduplicated examples of a corpus, the dialogues read, and the decisions before dedup.

    Every dialogue is replayed in ``world`` (default: the one the corpus's first line names,
    `corpus_world`) to learn the masks. The file is read line by line, twice (the replay, then
    the prompts), never whole.

    Args:
        path: The corpus (JSONL from ``dialogym simulate``).
        world: The env id and arguments to replay in (``improve`` gives its own).

    Raises:
        CommandError: unreadable or malformed corpus, or a dialogue that does not replay (one
            line naming the file and line).
    """
    from dialogym.agents.warm_start import corpus_records, replay_corpus

    path = Path(path)
    env_id, env_kwargs = corpus_world(path) if world is None else world
    try:
        replayed = replay_corpus(path, env_id, env_kwargs, gamma=1.0)
    except ValueError as error:
        raise CommandError(f"--corpus: {str(error).splitlines()[0]}") from None
    env = make_env(env_id, dict(env_kwargs)).unwrapped
    action_names = env.action_names
    env.close()
    slots = request_slots(action_names)
    examples: dict[Example, None] = {}
    decision = 0
    dialogues = 0
    for line, record in corpus_records(path):
        turns = record["transcript"]
        try:
            exchanges = [exchange_of(turn) for turn in turns]
            beliefs = [_belief(turn) for turn in turns[:-1]]
        except ValueError as error:
            raise CommandError(f"--corpus: {path} line {line}: {error}") from None
        for k in range(1, len(turns)):
            mask = replayed.masks[decision]
            allowed = tuple(name for name, ok in zip(action_names, mask, strict=True) if ok)
            prompt = dialogue_prompt(exchanges[:k], beliefs[k - 1], slots)
            examples[Example(prompt, allowed, allowed.index(turns[k]["action"]))] = None
            decision += 1
        dialogues += 1
    return list(examples), dialogues, decision


def _belief(turn: Mapping[str, Any]) -> dict[str, tuple[str, float]]:
    """A recorded turn's ``belief``: slot to ``[value, probability]`` (text, a finite number).

    Raises:
        ValueError: a missing belief or a malformed entry (named).
    """
    belief = turn.get("belief")
    if not isinstance(belief, dict):
        raise ValueError(f"turn {turn.get('turn')!r}: no 'belief' object")
    for slot, entry in belief.items():
        if not (
            isinstance(entry, list)
            and len(entry) == 2
            and isinstance(entry[0], str)
            and isinstance(entry[1], int | float)
            and not isinstance(entry[1], bool)
            and math.isfinite(entry[1])
        ):
            raise ValueError(
                f"turn {turn.get('turn')!r}: belief {slot[:80]!r}: expected [value (text),"
                f" probability (a number)], got {excerpt(entry)}"
            )
    return {slot: (value, float(probability)) for slot, (value, probability) in belief.items()}


def trained_tensors(model: Any, layers: int) -> list[str]:
    """Names of the parameters fine-tuning trains: the top ``layers`` layers and the final norm."""
    count = len(model.model.layers)
    prefixes = tuple(f"model.layers.{i}." for i in range(max(0, count - layers), count))
    return [
        name
        for name, _ in model.named_parameters()
        if name.startswith(prefixes) or name.startswith("model.norm.")
    ]


def train_on(
    loaded: LoadedModel,
    examples: Sequence[Example],
    settings: FinetuneSettings,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Fine-tune ``loaded.model`` in place on the examples; what it trained and how it went.

    Returns:
        ``trained`` (tensor names), ``examples`` (trained on), ``loss`` and ``agreement``
        (share of the last epoch's examples where the teacher's action scored highest, before
        each step) and ``seconds``.
    """
    import torch

    model = loaded.model
    trained = trained_tensors(model, settings.layers)
    chosen = set(trained)
    for name, parameter in model.named_parameters():
        parameter.requires_grad_(name in chosen)
    parameters = [p for n, p in model.named_parameters() if n in chosen]
    optimizer = torch.optim.AdamW(parameters, lr=settings.learning_rate, weight_decay=0.0)
    scorer = CandidateScorer(model, loaded.tokenizer)
    device = model.device
    autocast = inference_dtype(device) == torch.bfloat16
    rng = np.random.default_rng(settings.seed)
    torch.manual_seed(settings.seed)
    if 0 < settings.max_examples < len(examples):
        subset = np.sort(rng.choice(len(examples), settings.max_examples, replace=False))
        examples = [examples[i] for i in subset]
    start = time.perf_counter()
    losses: list[float] = []
    hits = 0
    steps_per_epoch = (len(examples) + settings.batch - 1) // settings.batch
    for epoch in range(settings.epochs):
        order = rng.permutation(len(examples))
        losses, hits = [], 0
        for step in range(steps_per_epoch):
            batch = [
                examples[i] for i in order[step * settings.batch : (step + 1) * settings.batch]
            ]
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
                scores = scorer.score(
                    [e.prompt for e in batch],
                    [[describe_action(a) for a in e.allowed] for e in batch],
                    keep_header=False,
                )
            loss = torch.stack(
                [-row.log_softmax(0)[e.target] for row, e in zip(scores, batch, strict=True)]
            ).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
            hits += sum(int(row.argmax()) == e.target for row, e in zip(scores, batch, strict=True))
            if progress is not None:
                progress(epoch * steps_per_epoch + step + 1, settings.epochs * steps_per_epoch)
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    model.eval()
    return {
        "trained": trained,
        "examples": len(examples),
        "loss": float(np.mean(losses)) if losses else 0.0,
        "agreement": hits / len(examples) if examples else 0.0,
        "seconds": time.perf_counter() - start,
    }


def finetune(
    corpus: str | Path,
    out: str | Path,
    model: str = DEFAULT_MODEL,
    settings: FinetuneSettings | None = None,
    device: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    export: str | Path | None = None,
) -> dict[str, Any]:
    """Fine-tune ``model`` on a corpus and write the policy directory ``out``; the report.

    ``export``: also write the whole tuned model there as a transformers folder
    (`dialogym.policies.llm.export_model`).

    Raises:
        CommandError: a bad corpus, model or output (one line).
    """
    settings = settings or FinetuneSettings()
    start = time.perf_counter()
    examples, dialogues, decisions = corpus_examples(corpus)
    torch_device, _ = select_device(device)
    try:
        loaded = load_model(model, torch_device)
    except ModelError as error:
        raise CommandError(f"--model: {error}") from None
    trained = train_on(loaded, examples, settings, progress)
    report = {
        "corpus": str(corpus),
        "dialogues": dialogues,
        "decisions": decisions,
        "examples": len(examples),
        "trained_examples": trained["examples"],
        "started_from": str(model),
        "settings": asdict(settings),
        "loss": trained["loss"],
        "agreement": trained["agreement"],
        "train_seconds": round(trained["seconds"], 1),
        "wall_seconds": round(time.perf_counter() - start, 1),
    }
    try:
        save_policy_model(loaded, trained["trained"], Path(out), {"finetune": report})
    except ModelError as error:
        raise CommandError(f"--out: {error}") from None
    if export is not None:
        try:
            export_model(loaded, Path(export))
        except ModelError as error:
            raise CommandError(f"--export: {error}") from None
    return report


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``dialogym finetune``."""
    parser = argparse.ArgumentParser(
        prog="dialogym finetune",
        formatter_class=HelpFormatter,
        description="Fine-tune the LLM policy on a simulate corpus (teacher's action per turn).",
    )
    defaults = FinetuneSettings()
    parser.add_argument("--corpus", required=True, metavar="CORPUS.jsonl")
    parser.add_argument("--out", required=True, metavar="DIR", help="the policy directory to write")
    parser.add_argument(
        "--model", default=DEFAULT_MODEL,
        help="model to start from: a name, a transformers directory or a policy directory",
    )  # fmt: skip
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--batch", type=int, default=defaults.batch, help="examples per step")
    parser.add_argument("--lr", type=float, default=defaults.learning_rate, help="learning rate")
    parser.add_argument(
        "--layers", type=int, default=defaults.layers, help="top transformer layers trained"
    )
    parser.add_argument("--seed", type=non_negative_int, default=defaults.seed)
    parser.add_argument(
        "--max-examples", type=non_negative_int, default=0, metavar="N",
        help="train on a seeded random N of the (deduplicated) examples; 0: all",
    )  # fmt: skip
    parser.add_argument("--device", default=None, help="cpu or cuda (default: CUDA when present)")
    parser.add_argument(
        "--export", metavar="DIR",
        help="also write the whole tuned model as a transformers folder"
        " (AutoModelForCausalLM.from_pretrained loads it); a new folder",
    )  # fmt: skip
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def run(args: argparse.Namespace) -> int:
    """Fine-tune as the parsed arguments say; print the report."""
    from tqdm import tqdm

    try:
        settings = FinetuneSettings(
            args.epochs, args.batch, args.lr, args.layers, args.seed, args.max_examples
        )
    except ValueError as error:
        raise CommandError(f"--{str(error).split(':')[0].replace('_', '-')}: {error}") from None
    if args.device is not None:
        from dialogym.agents.builders import check_device

        try:
            check_device(args.device)
        except ValueError as error:
            raise CommandError(f"--{error}") from None
    out = Path(args.out)
    if out.exists() and not (out.is_dir() and (out / MANIFEST).is_file()):
        raise CommandError(f"--out: {out} exists and is not an LLM policy directory")
    if args.export is not None and Path(args.export).exists():
        raise CommandError(f"--export: {args.export} exists; export into a new folder")
    with tqdm(desc="finetune", disable=args.no_progress, file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        report = finetune(
            args.corpus, out, args.model, settings, args.device, progress, args.export
        )
    print(
        f"fine-tuned on {report['trained_examples']} of {report['examples']} examples"
        f" ({report['decisions']} decisions of"
        f" {report['dialogues']} dialogues) in {report['train_seconds']} s"
        f" ({report['wall_seconds']} s in all): loss {report['loss']:.3f}, agreement with the"
        f" teacher {report['agreement']:.3f}; wrote {out}"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``dialogym finetune``."""
    return run_command("finetune", run, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
