"""The LLM generator's quality: the check's rejection rate, fallbacks, NLU accuracy on its text.

Runs ``--dialogues`` dialogues (random allowed actions) in the text channel with the LLM
generator, ``--envs`` at a time in the batched vector env, and prints:

* the faithfulness check's rejection rate (per paraphrase tried), and the fallback rate: the
  sentences said by their template drafts because every attempt was rejected;
* the NLU's act-recovery accuracy (best hypothesis = the user's acts, as a set) on the user
  utterances the LLM wrote in full (no sentence fell back), beside the same figure on the
  utterances with a template sentence in them.

Its speed (utterances/s, CPU and GPU) is `text_speed.py`'s.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/llm_quality.py --dialogues 100
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import numpy as np
import torch
from text_speed import ZeroSource

import dialogym  # noqa: F401
from dialogym.domains import load_domain
from dialogym.envs.vector import DialogueVectorEnv
from dialogym.generators import LLMGenerator, Request, Speaker
from dialogym.tracking.nlu import RuleNLU


class Recorder:
    """Passes requests to the LLM generator and keeps (request, text, fell back) of each."""

    def __init__(self, llm: LLMGenerator) -> None:
        self.llm = llm
        self.records: list[tuple[Request, str, int]] = []
        self.sentences = 0
        self.last_fallbacks: tuple[int, ...] = ()

    def generate(self, requests: Sequence[Request]) -> list[str]:
        texts = self.llm.generate(requests)
        self.last_fallbacks = self.llm.last_fallbacks
        self.sentences += sum(
            len(self.llm.drafts.sentences(r.speaker, r.acts, ZeroSource())) for r in requests
        )
        self.records += zip(requests, texts, self.last_fallbacks, strict=True)
        return texts


def run_dialogues(recorder: Recorder, dialogues: int, envs: int) -> int:
    venv = DialogueVectorEnv(
        "dialogym/PyDialEnv1-v0", num_envs=envs, domain="restaurant", channel="text",
        generator=recorder,
    )  # fmt: skip
    rng = np.random.default_rng(0)
    venv.reset(seed=0)
    ended = 0
    while ended < dialogues:
        actions = [int(rng.choice(np.flatnonzero(m))) for m in venv.action_masks()]
        _, _, terminated, truncated, _ = venv.step(actions)
        ended += int(np.sum(terminated | truncated))
    return ended


def nlu_accuracy(records: list[tuple[Request, str, int]]) -> tuple[float, int, float, int]:
    """Accuracy on user text the LLM wrote in full, and on user text with template sentences."""
    nlu = RuleNLU(load_domain("restaurant"))
    hits = {True: [0, 0], False: [0, 0]}  # fell back -> [right, total]
    for (system, _, _), (user, text, fell_back) in zip(records[::2], records[1::2], strict=True):
        assert system.speaker is Speaker.SYSTEM and user.speaker is Speaker.USER
        best = nlu.parse(text, system.acts)[0].acts
        hits[fell_back > 0][0] += set(best) == set(user.acts)
        hits[fell_back > 0][1] += 1
    (llm_right, llm_n), (tpl_right, tpl_n) = hits[False], hits[True]
    return llm_right / max(llm_n, 1), llm_n, tpl_right / max(tpl_n, 1), tpl_n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialogues", type=int, default=100)
    parser.add_argument("--envs", type=int, default=16)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    llm = LLMGenerator(load_domain("restaurant"), device=args.device)
    recorder = Recorder(llm)
    start = time.perf_counter()
    ended = run_dialogues(recorder, args.dialogues, args.envs)
    seconds = time.perf_counter() - start
    records = recorder.records
    fallbacks = sum(fell_back for _, _, fell_back in records)
    whole = sum(fell_back == 0 for _, _, fell_back in records)
    unique = {(r.speaker, r.acts, text) for r, text, _ in records}
    llm_acc, llm_n, tpl_acc, tpl_n = nlu_accuracy(records)
    print(
        f"dialogues: {ended} ({len(records)} utterances, {recorder.sentences} sentences, "
        f"{len(unique)} distinct utterances, {seconds:.0f} s)"
    )
    print(
        f"faithfulness check rejection rate: {llm.rejected / max(llm.checked, 1):.1%} "
        f"of {llm.checked} paraphrases ({llm.attempts} attempts per sentence)"
    )
    print(f"fallback rate (sentences said by the template): {fallbacks / recorder.sentences:.1%}")
    print(f"utterances written by the LLM in full: {whole / len(records):.1%}")
    print(f"NLU act recovery on user utterances the LLM wrote: {llm_acc:.1%} (n={llm_n})")
    print(f"NLU act recovery on user utterances with template sentences: {tpl_acc:.1%} (n={tpl_n})")


if __name__ == "__main__":
    main()
