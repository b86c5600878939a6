"""Steps per second of the text channel, and the LLM generator's utterances per second.

Text channel with text observations (template generator, MiniLM): 1 dialogue, N parallel
dialogues (one generator and one encoder batch per step, cache), and the naive way (every
observation's text encoded on its own, no cache). A warm-up of ``--warmup`` steps fills the cache
first (16 dialogues at a time, other seeds than the timed ones), as any training run does in its
first seconds. Both poolings of the text encoder are
timed back to back (``--pooling``): ``sentences`` (each new sentence through MiniLM, as before
issue 21) and ``ngrams`` (the default: token bigrams through MiniLM once, sentences composed),
each with the share of the timed steps spent in the encoder, the NLU, the generator and the rest.

LLM generator (SmolLM2, or ``--model``: any name, directory or GGUF file): utterances/s with
batches of 1 and of ``--batch`` distinct requests (no cache), on the CPU and, when there is one,
on the GPU; then the whole language layer on the GPU (or ``--llm-device``): text channel, LLM
generator, MiniLM encoder, ``--llm-envs`` parallel dialogues, steps/s and utterances/s.
``--no-llm`` skips the LLM figures; ``--llm-only DEVICE`` prints only the LLM's utterances/s on
that device, at each batch size of ``--batches`` (what ``benchmarks/gpu_check.sh`` runs);
``--simulate-envs 1,16`` prints only the utterances/s of ``dialogym simulate --num-envs N`` with
the LLM generator on the CPU (`simulate_speed`).

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/text_speed.py --steps 4000 --envs 16
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/text_speed.py --llm-only cuda --batches 1,16,64,256
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

import dialogym  # noqa: F401
from dialogym.acts import Acts
from dialogym.domains import load_domain
from dialogym.encoders.text import POOLINGS, TextEncoder
from dialogym.envs.vector import DialogueVectorEnv
from dialogym.generators import Request, Speaker, TemplateGenerator
from dialogym.generators.llm import LLMGenerator
from dialogym.policies import HandcraftedPolicy
from dialogym.tracking.nlu import RuleNLU

RESTAURANT = load_domain("restaurant")


def allowed(masks: np.ndarray, rng: np.random.Generator) -> list[int]:
    return [int(rng.choice(np.flatnonzero(m))) for m in masks]


class Timed:
    """Seconds spent in the language layer's parts during the timed steps (the profile)."""

    def __init__(self, venv: DialogueVectorEnv) -> None:
        self.seconds = {"encoder": 0.0, "nlu": 0.0, "generator": 0.0}
        language = venv.language
        assert language is not None and language.nlu is not None
        language.text_encoder.encode = self._timed("encoder", language.text_encoder.encode)  # type: ignore[method-assign,union-attr]
        language.nlu.parse = self._timed("nlu", language.nlu.parse)  # type: ignore[method-assign]
        language.generator.generate = self._timed("generator", language.generator.generate)  # type: ignore[method-assign]

    def _timed(self, part: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                self.seconds[part] += time.perf_counter() - start

        return timed

    def reset(self) -> None:
        self.seconds = dict.fromkeys(self.seconds, 0.0)

    def shares(self, total: float) -> str:
        """``encoder 96%, nlu 1%, generator 0%, rest 3%`` of ``total`` seconds."""
        parts = {
            **self.seconds,
            "rest (simulator, tracker, env)": total - sum(self.seconds.values()),
        }
        return ", ".join(f"{part} {100 * seconds / total:.0f}%" for part, seconds in parts.items())


def warm_up(encoder: TextEncoder, steps: int, envs: int = 16) -> None:
    """Fill the encoder's cache with ``steps`` steps of ``envs`` dialogues (seed 1000)."""
    venv = DialogueVectorEnv(
        "dialogym/PyDialEnv1-v0", num_envs=envs, channel="text", obs="text", encoder=encoder
    )
    rng = np.random.default_rng(1000)
    venv.reset(seed=1000)
    for _ in range(max(1, steps // envs)):
        venv.step(allowed(venv.action_masks(), rng))


def vector_speed(
    encoder: TextEncoder, envs: int, steps: int, warmup: int
) -> tuple[float, int, str]:
    """Steps/s of ``envs`` dialogues after ``warmup`` steps of their own, the forward passes of
    the timed steps, and where their time went."""
    venv = DialogueVectorEnv(
        "dialogym/PyDialEnv1-v0", num_envs=envs, channel="text", obs="text", encoder=encoder
    )
    timed = Timed(venv)
    rng = np.random.default_rng(0)
    venv.reset(seed=0)
    for _ in range(max(1, warmup // envs)):
        venv.step(allowed(venv.action_masks(), rng))
    passes = encoder.forward_passes
    rounds = max(1, steps // envs)
    timed.reset()
    start = time.perf_counter()
    for _ in range(rounds):
        venv.step(allowed(venv.action_masks(), rng))
    seconds = time.perf_counter() - start
    return rounds * envs / seconds, encoder.forward_passes - passes, timed.shares(seconds)


def one_sentence_speed(encoder: TextEncoder, sentences: int = 50) -> float:
    """MiniLM sentences/s encoding one sentence at a time: how fast this machine is."""
    start = time.perf_counter()
    for i in range(sentences):
        encoder._forward(encoder._preprocess([f"I'd like the {i}th restaurant in the north."]))
    return sentences / (time.perf_counter() - start)


def naive_speed(encoder: TextEncoder, steps: int) -> float:
    """Each observation's last utterances joined and encoded alone, with no cache."""
    venv = DialogueVectorEnv("dialogym/PyDialEnv1-v0", num_envs=1, channel="text")
    rng = np.random.default_rng(0)
    venv.reset(seed=0)
    start = time.perf_counter()
    for _ in range(steps):
        venv.step(allowed(venv.action_masks(), rng))
        text = " ".join(venv.envs[0].conversation[-encoder.window :])
        encoder._postprocess(encoder._forward(encoder._preprocess([text])))
    return steps / (time.perf_counter() - start)


class ZeroSource:
    """A random source that always draws 0: variant 0, the first paraphrase."""

    def random(self) -> float:
        return 0.0

    def below(self, n: int) -> int:
        return 0


class _ActsRecorder:
    """The template generator, keeping the distinct (speaker, acts) it is asked for."""

    def __init__(self) -> None:
        self.template = TemplateGenerator(RESTAURANT)
        self.asked: dict[tuple[Speaker, Acts], None] = {}

    def generate(self, requests: Sequence[Request]) -> list[str]:
        self.asked.update(dict.fromkeys((r.speaker, r.acts) for r in requests))
        return self.template.generate(requests)


def distinct_requests(count: int) -> list[Request]:
    """``count`` distinct requests of random restaurant dialogues (variant 0)."""
    recorder = _ActsRecorder()
    venv = DialogueVectorEnv(
        "dialogym/PyDialEnv1-v0", num_envs=8, channel="text", generator=recorder
    )
    rng = np.random.default_rng(0)
    venv.reset(seed=0)
    while len(recorder.asked) < count:
        venv.step(allowed(venv.action_masks(), rng))
    picked = list(recorder.asked)[:count]
    return [Request(speaker, acts, ZeroSource()) for speaker, acts in picked]


def llm_speed(llm: LLMGenerator, requests: Sequence[Request], batch: int) -> float:
    """Utterances/s for ``requests`` in batches of ``batch``, none of them in the cache."""
    llm.clear_cache()
    llm.batch_size = max(llm.batch_size, batch)
    start = time.perf_counter()
    for first in range(0, len(requests), batch):
        llm.generate(requests[first : first + batch])
    return len(requests) / (time.perf_counter() - start)


def llm_batch_speeds(model: str, device: str, batches: Sequence[int]) -> None:
    """Print the LLM's utterances/s at each batch size (two batches' worth of requests, >= 8)."""
    llm = LLMGenerator(RESTAURANT, RuleNLU(RESTAURANT, nbest=1), model=model, device=device)
    requests = distinct_requests(2 * max(batches))
    print(f"model: {model}, device: {llm.device}, dtype: {llm.model.dtype}")
    for batch in batches:
        timed = requests[: max(2 * batch, 8)]
        speed = llm_speed(llm, timed, batch)
        print(
            f"LLM utterances/s, batch {batch:>3} ({device}): {speed:.2f} ({len(timed)} utterances)"
        )


def simulate_speed(model: str, envs: int, steps: int) -> tuple[float, int]:
    """Utterances/s of what ``dialogym simulate --num-envs envs`` runs with the LLM generator.

    PyDialEnv3 (restaurant, text channel, belief observations), the handcrafted policy, ``steps``
    vector steps timed after the first reset (each step: one generator batch of 2 x ``envs``
    utterances, the openings of dialogues that restart included). Returns utterances/s and the
    utterances timed.
    """
    llm = LLMGenerator(RESTAURANT, RuleNLU(RESTAURANT, nbest=1), model=model, device="cpu")
    venv = DialogueVectorEnv("dialogym/PyDialEnv3-v0", num_envs=envs, channel="text", generator=llm)
    policy = HandcraftedPolicy.for_env(venv.envs[0])
    observations, _ = venv.reset_lists(0)
    utterances = 0
    start = time.perf_counter()
    for _ in range(steps):
        actions = [
            policy.act(observation, env.action_masks())
            for observation, env in zip(observations, venv.envs, strict=True)
        ]
        observations, _, terminated, truncated, _ = venv.step_lists(actions)
        utterances += 2 * envs + 2 * int(np.sum(terminated | truncated))
    return utterances / (time.perf_counter() - start), utterances


def llm_vector_speed(model: str, device: str, envs: int, rounds: int) -> tuple[float, float, float]:
    """Steps/s, utterances/s and model-written sentences/s of the whole language layer."""
    llm = LLMGenerator(RESTAURANT, RuleNLU(RESTAURANT, nbest=1), model=model, device=device)
    encoder = TextEncoder("minilm", device=device)
    venv = DialogueVectorEnv(
        "dialogym/PyDialEnv1-v0", num_envs=envs, channel="text", obs="text",
        generator=llm, encoder=encoder,
    )  # fmt: skip
    rng = np.random.default_rng(0)
    venv.reset(seed=0)
    checked = llm.checked
    start = time.perf_counter()
    for _ in range(rounds):
        venv.step(allowed(venv.action_masks(), rng))
    seconds = time.perf_counter() - start
    return rounds * envs / seconds, 2 * rounds * envs / seconds, (llm.checked - checked) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4000, help="timed steps per setting")
    parser.add_argument("--envs", type=int, default=16, help="parallel dialogues")
    parser.add_argument(
        "--warmup", type=int, default=20000, help="steps (16 dialogues) that fill the cache"
    )
    parser.add_argument("--naive-steps", type=int, default=100, help="timed naive steps")
    parser.add_argument("--device", default=None, help="cpu, cuda (default: cuda if present)")
    parser.add_argument(
        "--pooling",
        choices=(*POOLINGS, "both"),
        default="both",
        help="text-encoder pooling timed (both: sentences, then the default ngrams, back to back)",
    )
    parser.add_argument("--no-llm", action="store_true", help="skip the LLM generator figures")
    parser.add_argument("--batch", type=int, default=16, help="LLM batch size (utterances/s)")
    parser.add_argument("--llm-device", default=None, help="device of the whole-layer run")
    parser.add_argument("--llm-envs", type=int, default=64, help="dialogues of that run")
    parser.add_argument("--llm-rounds", type=int, default=None, help="its timed vector steps")
    parser.add_argument("--model", default="smollm2", help="LLM: name, directory or GGUF file")
    parser.add_argument(
        "--llm-only", metavar="DEVICE", help="only the LLM's utterances/s on DEVICE, per batch"
    )
    parser.add_argument("--batches", default="1,16,64,256", help="batch sizes of --llm-only")
    parser.add_argument("--simulate-envs", help="only simulate's LLM utterances/s at these N")
    parser.add_argument("--simulate-steps", type=int, default=4, help="timed steps per N")
    args = parser.parse_args()
    if args.simulate_envs:
        for envs in (int(n) for n in args.simulate_envs.split(",")):
            speed, said = simulate_speed(args.model, envs, args.simulate_steps)
            print(
                f"simulate, LLM generator, CPU, {envs:>2} env(s): {speed:.2f} utterances/s ({said})"
            )
        return
    if args.llm_only:
        batches = [int(batch) for batch in args.batches.split(",")]
        llm_batch_speeds(args.model, args.llm_only, batches)
        return
    poolings = ("sentences", "ngrams") if args.pooling == "both" else (args.pooling,)
    for pooling in poolings:
        encoder = TextEncoder("minilm", device=args.device, pooling=pooling)
        if pooling == poolings[0]:
            print(f"device: {encoder.device}")
            print(
                f"this machine: {one_sentence_speed(encoder):.0f} sentences/s encoded one at a "
                "time (the issue's 2-core reference: about 90/s)"
            )
            naive = naive_speed(encoder, args.naive_steps)
            print(f"naive (1 encode per observation, no cache): {naive:,.0f} steps/s")
        print(f"pooling={pooling}: setting              steps/s   encoder passes   time spent")
        warm_up(encoder, args.warmup)
        for envs in (1, args.envs):
            speed, passes, shares = vector_speed(encoder, envs, args.steps, 10 * envs)
            print(
                f"  {envs:3d} dialogue(s), batched+cached {speed:9,.0f}   {passes:14d}   {shares}"
            )
        print(
            f"  cache: {len(encoder._sentences)} sentences, {len(encoder._ngrams)} bigrams, "
            f"{encoder.forward_passes} forward passes in all"
        )
    if args.no_llm:
        return
    gpu = torch.cuda.is_available()
    requests = distinct_requests(2 * args.batch)
    for device in ("cpu", "cuda"):
        if device == "cuda" and not gpu:
            print("LLM utterances/s (cuda): no CUDA device on this machine")
            continue
        llm = LLMGenerator(
            RESTAURANT, RuleNLU(RESTAURANT, nbest=1), model=args.model, device=device
        )
        for batch in (1, args.batch):
            print(
                f"LLM utterances/s, batch {batch:>2} ({device}): {llm_speed(llm, requests, batch):.2f}"
            )
    device = args.llm_device or ("cuda" if gpu else "cpu")
    rounds = args.llm_rounds or (20 if device == "cuda" else 2)
    steps, utterances, sentences = llm_vector_speed(args.model, device, args.llm_envs, rounds)
    print(
        f"text channel + LLM generator + MiniLM, {args.llm_envs} dialogues ({device}, {rounds} "
        f"steps): {steps:.1f} steps/s, {utterances:.1f} utterances/s, "
        f"{sentences:.1f} paraphrases written/s"
    )


if __name__ == "__main__":
    main()
