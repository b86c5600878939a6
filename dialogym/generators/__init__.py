"""Utterance generators: dialogue acts to text (templates by default; an LLM on request)."""

from dialogym.generators.base import Generator, RandomSource, Request, Speaker
from dialogym.generators.llm import FaithfulnessCheck, LLMGenerator
from dialogym.generators.template import TemplateGenerator

__all__ = [
    "FaithfulnessCheck",
    "Generator",
    "LLMGenerator",
    "RandomSource",
    "Request",
    "Speaker",
    "TemplateGenerator",
]
