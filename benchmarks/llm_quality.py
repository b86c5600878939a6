"""The LLM generator's quality: round trip, content outside the acts, fallbacks, variety.

Plays dialogues (random allowed actions, PyDialEnv1 restaurant, text channel) with the LLM
generator, ``--envs`` at a time in the batched vector env, until at least ``--accepted``
distinct sentences written by the model have passed the faithfulness check (or ``--minutes``
have passed), and prints:

* **round trip**, for the accepted user sentences: the share the NLU (`RuleNLU`, top
  hypothesis) reads as exactly their acts, on the sentence alone (the check asks this, so it is
  100% by construction) and, the figure that matters, on the whole user utterance in its
  dialogue (the system's acts before it given, every sentence written by the model) as the
  environment hears it;
* **outside content**, for the accepted sentences of both speakers: the share holding a word
  that is content outside the acts, counted independently of the check's word list: a word is
  inside when it is a word of the acts' values, their synonyms or their slots' names, of the
  domain's entity type, or of the template generator's phrasings for the same speaker (values
  taken out), less every slot-value word of the domain, or a closed-class word of English
  (articles, pronouns, prepositions...: no content of their own, by the issue's definition)
  (`InsideWords`). Everything else counts, the politeness and dialogue words the check's list
  admits included; the most frequent such words are printed to be judged;
* the **fallback** rate: sentences the check rejected ``attempts`` times, said by the template;
* **distinct-2** of the LLM's utterances and of the template generator's for the same requests
  (`text_variety.Variety`).

``--examples FILE`` writes a Markdown table of 20 accepted sentences (a fixed-seed sample) with
their acts. Its speed (utterances/s, CPU and GPU) is `text_speed.py`'s.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/llm_quality.py --accepted 1000 \
        --examples /tmp/examples.md
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections import Counter
from collections.abc import Sequence

import numpy as np
import torch
from text_variety import Variety

import dialogym  # noqa: F401
from dialogym.acts import Acts, format_acts
from dialogym.domains import DONTCARE, Domain, load_domain, words
from dialogym.envs.vector import DialogueVectorEnv
from dialogym.generators import LLMGenerator, Request, Speaker, TemplateGenerator
from dialogym.generators.llm import FUNCTION_WORDS, Part
from dialogym.simulators import RandomStream
from dialogym.tracking.nlu import RuleNLU

WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
TEMPLATE_RENDERINGS = 128


class Recorder:
    """Passes requests to the LLM generator; keeps each exchange's acts, texts and fallbacks."""

    def __init__(self, llm: LLMGenerator) -> None:
        self.llm = llm
        self.records: list[tuple[Request, str, int]] = []
        self.last_fallbacks: tuple[int, ...] = ()

    def generate(self, requests: Sequence[Request]) -> list[str]:
        texts = self.llm.generate(requests)
        self.last_fallbacks = self.llm.last_fallbacks
        self.records += zip(requests, texts, self.last_fallbacks, strict=True)
        return texts

    def accepted(self) -> dict[Part, str]:
        """The distinct sentences the model wrote and the check accepted."""
        return {part: text for part, text in self.llm._cache.items() if text is not None}


def run_dialogues(recorder: Recorder, accepted: int, envs: int, minutes: float) -> int:
    """Play until ``accepted`` sentences are accepted (or ``minutes`` pass); dialogues ended."""
    venv = DialogueVectorEnv(
        "dialogym/PyDialEnv1-v0", num_envs=envs, domain="restaurant", channel="text",
        generator=recorder,
    )  # fmt: skip
    rng = np.random.default_rng(0)
    venv.reset(seed=0)
    ended = 0
    deadline = time.perf_counter() + 60 * minutes
    while len(recorder.accepted()) < accepted and time.perf_counter() < deadline:
        actions = [int(rng.choice(np.flatnonzero(m))) for m in venv.action_masks()]
        _, _, terminated, truncated, _ = venv.step(actions)
        ended += int(np.sum(terminated | truncated))
        print(f"{len(recorder.accepted())} accepted, {ended} dialogues ended", flush=True)
    return ended


class InsideWords:
    """The words a sentence may use without adding content, gathered without the check.

    A word is inside when it is a word of the acts' values, their synonyms or their slots'
    names, of the domain's entity type, or of the template generator's phrasings for the same
    speaker (every request of the run and every accepted sentence's acts rendered with 128
    random streams, its own values taken out), less the words of any slot value of the domain;
    or a closed-class word.
    """

    def __init__(self, domain: Domain, requests: Sequence[Request]) -> None:
        self.domain = domain
        entity_type = (domain.entity_type or domain.name).lower()
        self.common = {entity_type, f"{entity_type}s", *FUNCTION_WORDS}
        value_words = {
            w
            for table in (domain.informable, domain.booking)
            for slot, values in table.items()
            for value in values
            for form in (value, *domain.synonyms.get(slot, {}).get(value, ()))
            for w in WORD.findall(form.lower())
        }
        templates = TemplateGenerator(domain)
        self.phrasing: dict[Speaker, set[str]] = {Speaker.USER: set(), Speaker.SYSTEM: set()}
        for speaker, acts in {(r.speaker, r.acts) for r in requests}:
            for seed in range(TEMPLATE_RENDERINGS):
                stream = RandomStream(np.random.default_rng(seed))
                text = templates.render(speaker, acts, stream).lower()
                for value in {act.value.lower() for act in acts if act.value is not None}:
                    text = text.replace(value, " ")  # the acts' own values are not phrasing
                self.phrasing[speaker].update(WORD.findall(text))
        for words_of_speaker in self.phrasing.values():
            words_of_speaker -= value_words

    def __call__(self, speaker: Speaker, acts: Acts) -> set[str]:
        inside = self.common | self.phrasing[speaker]
        for act in acts:
            if act.slot is not None:
                for name in (act.slot, *words.slot_names(act.slot, self.domain)):
                    inside.update(WORD.findall(name.lower()))
            if act.value is not None and act.value != DONTCARE:
                synonyms = self.domain.synonyms.get(act.slot or "", {}).get(act.value, ())
                for form in (act.value, *synonyms):
                    inside.update(WORD.findall(form.lower()))
        return inside


def round_trips(records: list[tuple[Request, str, int]], nlu: RuleNLU) -> tuple[int, int]:
    """User utterances written by the model in full read back exactly in context: (hits, n)."""
    hits = total = 0
    for (system, _, _), (user, text, fell_back) in zip(records[::2], records[1::2], strict=True):
        assert system.speaker is Speaker.SYSTEM and user.speaker is Speaker.USER
        if fell_back:
            continue
        total += 1
        hits += set(nlu.parse(text, system.acts)[0].acts) == set(user.acts)
    return hits, total


def examples_table(accepted: dict[Part, str], count: int = 20) -> str:
    """A Markdown table of ``count`` accepted sentences (a fixed-seed sample) and their acts."""
    picked = random.Random(0).sample(sorted(accepted, key=repr), min(count, len(accepted)))
    rows = ["| speaker | acts | template draft | LLM sentence |", "| --- | --- | --- | --- |"]
    for part in picked:
        cells = (part.speaker.value, f"`{format_acts(part.acts)}`", part.draft, accepted[part])
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accepted", type=int, default=1000, help="accepted sentences to get")
    parser.add_argument("--envs", type=int, default=16)
    parser.add_argument("--minutes", type=float, default=float("inf"), help="stop playing then")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", default="smollm2", help="name, directory or GGUF file")
    parser.add_argument("--examples", help="write 20 accepted sentences as a Markdown table")
    parser.add_argument("--attempts", type=int, default=3, help="paraphrases tried per sentence")
    parser.add_argument(
        "--unconstrained", action="store_true", help="let the model write any word (no vocabulary)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    domain = load_domain("restaurant")
    llm = LLMGenerator(
        domain, RuleNLU(domain, nbest=1), model=args.model, device=args.device,
        attempts=args.attempts, constrained=not args.unconstrained,
    )  # fmt: skip
    recorder = Recorder(llm)
    start = time.perf_counter()
    ended = run_dialogues(recorder, args.accepted, args.envs, args.minutes)
    seconds = time.perf_counter() - start
    records = recorder.records
    accepted = recorder.accepted()
    nlu = RuleNLU(domain)
    sentences = [
        Request(p.speaker, p.acts, RandomStream(np.random.default_rng(0))) for p in accepted
    ]
    inside = InsideWords(domain, [*(request for request, _, _ in records), *sentences])
    user = [p for p in accepted if p.speaker is Speaker.USER]
    alone = sum(set(nlu.parse(accepted[p])[0].acts) == set(p.acts) for p in user)
    in_context, whole_user = round_trips(records, nlu)
    outside_words: Counter[str] = Counter()
    with_outside: list[str] = []
    for part, text in accepted.items():
        allowed = inside(part.speaker, part.acts)
        outside = {w for w in WORD.findall(text.lower()) if w not in allowed}
        if outside:
            with_outside.append(f"  {part.speaker.value}: {format_acts(part.acts)}: {text!r}")
        outside_words.update(outside)
    fallbacks = len(llm._cache) - len(accepted)
    templates = TemplateGenerator(domain)
    llm_variety, template_variety = Variety(), Variety()
    for number, (request, text, _) in enumerate(records):
        llm_variety.add(text)
        stream = RandomStream(np.random.default_rng(number))
        template_variety.add(templates.render(request.speaker, request.acts, stream))
    print(
        f"dialogues: {ended}, {len(records)} utterances, {len(llm._cache)} distinct sentences "
        f"({llm.checked} paraphrases checked), {seconds:.0f} s"
    )
    print(f"accepted LLM sentences: {len(accepted)} ({len(user)} user)")
    print(f"round trip, accepted user sentences alone: {alone / max(len(user), 1):.2%}")
    print(
        "round trip, user utterances written by the LLM in full, in context: "
        f"{in_context / max(whole_user, 1):.2%} (n={whole_user})"
    )
    print(
        f"outside content (independent count), accepted sentences: "
        f"{len(with_outside) / max(len(accepted), 1):.2%} ({len(with_outside)} of {len(accepted)})"
    )
    print(f"  most frequent outside words: {outside_words.most_common(15)}")
    print("\n".join(with_outside[:20]))
    print(
        f"fallback rate (distinct sentences said by the template): "
        f"{fallbacks / max(len(llm._cache), 1):.1%}; check rejection rate "
        f"{llm.rejected / max(llm.checked, 1):.1%} of paraphrases"
    )
    print(
        f"distinct-2: LLM {llm_variety.distinct_2:.3f}, template {template_variety.distinct_2:.3f}"
        f" (same {len(records)} requests)"
    )
    if args.examples:
        with open(args.examples, "w", encoding="utf-8") as out:
            out.write(examples_table(accepted))


if __name__ == "__main__":
    main()
