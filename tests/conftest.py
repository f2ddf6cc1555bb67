"""Shared test helpers: paths to fixtures and to the real published files."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
REALDATA = TESTS.parents[1] / "shared" / "realdata"


@pytest.fixture
def realdata() -> Path:
    """The real published files in ../shared/realdata (skipped, with the reason, when absent)."""
    if not REALDATA.is_dir():
        pytest.skip(f"real data not found at {REALDATA}: these tests need ../shared beside the project")
    return REALDATA
