"""scripts/check_multiwoz_against_convlab.py: a few dialogues against a ConvLab-3 checkout.

Runs only where ``DIALOGYM_CONVLAB3`` names a ConvLab-3 checkout (commit 2a168fc).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_user_and_evaluator_match_convlab_dialogue_by_dialogue() -> None:
    checkout = os.environ.get("DIALOGYM_CONVLAB3")
    if not checkout:
        pytest.skip("DIALOGYM_CONVLAB3 does not name a ConvLab-3 checkout")
    script = ROOT / "scripts" / "check_multiwoz_against_convlab.py"
    command = [sys.executable, str(script), "--convlab", checkout, "--dialogues", "30"]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "guided: 30 dialogues identical" in done.stdout
