"""Shared test fixtures: paths to the third-party data kept in ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PYDIAL_DATA = REPO.parent / "shared" / "data" / "pydial"
CAMRESTAURANTS = PYDIAL_DATA / "CamRestaurants-rules.json"


@pytest.fixture(scope="session")
def camrestaurants() -> str:
    """Path of PyDial's CamRestaurants rules file (skips when ../shared is absent)."""
    if not CAMRESTAURANTS.exists():
        pytest.skip(f"PyDial data not found at {CAMRESTAURANTS}")
    return str(CAMRESTAURANTS)
