"""Decisions per second of the LLM policy, 1 dialogue at a time and N at once.

Each figure is the wall time of whole steps (the policy's batched ``predict`` and the vector
env's step) over ``--steps`` steps after ``--warmup`` steps, on a `DialogueVectorEnv` of 1 and
of ``--envs`` dialogues (the semantic channel unless ``--channel text``); the per-decision
speed-up of the batch is printed beside. ``--device cuda`` runs the model on the GPU (bfloat16).

    OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/llm_policy_speed.py --envs 16
"""

from __future__ import annotations

import argparse
import json
import time

import torch

import dialogym  # noqa: F401
from dialogym.envs.vector import DialogueVectorEnv
from dialogym.models import select_device
from dialogym.policies.llm import DEFAULT_MODEL, LLMPolicy, inference_dtype, load_model


def decisions_per_second(
    loaded, env_id: str, kwargs: dict, envs: int, steps: int, warmup: int
) -> float:
    venv = DialogueVectorEnv(env_id, num_envs=envs, **kwargs)
    policy = LLMPolicy(venv.envs, loaded, seed=0)
    observations, _ = venv.reset(seed=0)

    def step() -> None:
        nonlocal observations
        actions, _ = policy.predict(observations, action_masks=venv.action_masks())
        observations, *_ = venv.step_lists(actions)

    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * envs / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--env", default="dialogym/PyDialEnv1-v0")
    parser.add_argument("--domain", default="restaurant")
    parser.add_argument("--channel", default="semantic", choices=("semantic", "text"))
    parser.add_argument("--envs", type=int, default=16, help="dialogues of the batched run")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per run")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--device", default=None, help="cpu, cuda (default: CUDA when present)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    device, _ = select_device(args.device)
    dtype = inference_dtype(device)
    loaded = load_model(args.model, device, dtype)
    kwargs = {"domain": args.domain, "channel": args.channel}
    single = decisions_per_second(loaded, args.env, kwargs, 1, args.steps, args.warmup)
    batched = decisions_per_second(loaded, args.env, kwargs, args.envs, args.steps, args.warmup)
    figures = {
        "model": args.model,
        "device": str(device),
        "dtype": str(dtype).removeprefix("torch."),
        "threads": torch.get_num_threads(),
        "env": args.env,
        "channel": args.channel,
        "decisions_per_s_1": round(single, 3),
        f"decisions_per_s_{args.envs}": round(batched, 3),
        "speedup_per_decision": round(batched / single, 2),
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as stream:
            json.dump(figures, stream, indent=2)


if __name__ == "__main__":
    main()
