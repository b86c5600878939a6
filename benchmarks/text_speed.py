"""Steps per second of the text channel with text observations (template generator, MiniLM).

Prints three figures: 1 dialogue, N parallel dialogues (one generator and one encoder batch per
step, sentence cache), and the naive way (every observation's text encoded on its own, no cache).
A warm-up of ``--warmup`` steps fills the cache first, as any training run does in its first
seconds.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/text_speed.py --steps 4000 --envs 16
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import dialogym  # noqa: F401
from dialogym.encoders.text import TextEncoder
from dialogym.envs.vector import DialogueVectorEnv


def allowed(masks: np.ndarray, rng: np.random.Generator) -> list[int]:
    return [int(rng.choice(np.flatnonzero(m))) for m in masks]


def vector_speed(encoder: TextEncoder, envs: int, steps: int, warmup: int) -> tuple[float, int]:
    venv = DialogueVectorEnv(
        "dialogym/PyDialEnv1-v0", num_envs=envs, channel="text", obs="text", encoder=encoder
    )
    rng = np.random.default_rng(0)
    venv.reset(seed=0)
    for _ in range(max(1, warmup // envs)):
        venv.step(allowed(venv.action_masks(), rng))
    passes = encoder.forward_passes
    rounds = max(1, steps // envs)
    start = time.perf_counter()
    for _ in range(rounds):
        venv.step(allowed(venv.action_masks(), rng))
    return rounds * envs / (time.perf_counter() - start), encoder.forward_passes - passes


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4000, help="timed steps per setting")
    parser.add_argument("--envs", type=int, default=16, help="parallel dialogues")
    parser.add_argument("--warmup", type=int, default=20000, help="steps that fill the cache")
    parser.add_argument("--naive-steps", type=int, default=100, help="timed naive steps")
    parser.add_argument("--device", default=None, help="cpu, cuda (default: cuda if present)")
    args = parser.parse_args()
    encoder = TextEncoder("minilm", device=args.device)
    print(f"device: {encoder.device}")
    print("setting                          steps/s   encoder passes")
    naive = naive_speed(encoder, args.naive_steps)
    print(f"naive (1 encode per observation) {naive:9,.0f}   {args.naive_steps}")
    for envs in (1, args.envs):
        speed, passes = vector_speed(encoder, envs, args.steps, args.warmup)
        print(f"{envs:3d} dialogue(s), batched+cached  {speed:9,.0f}   {passes}")
    print(f"cache: {len(encoder._sentences)} sentences")


if __name__ == "__main__":
    main()
