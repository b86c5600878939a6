"""One MiniLM text encoder for the whole session (loading it takes seconds)."""

from __future__ import annotations

import os

import pytest

from dialogym.encoders.text import TextEncoder
from dialogym.models import ModelError

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def minilm() -> TextEncoder:
    try:
        return TextEncoder("minilm", window=2, device="cpu")
    except ModelError as error:
        pytest.skip(str(error))
