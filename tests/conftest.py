"""Shared test helpers: paths to fixtures and to the real published files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
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


ROOT = TESTS.parent
#: The date the shared demo analysis judges recommendations overdue against.
DEMO_AS_OF = "2026-10-15"


@pytest.fixture(scope="session")
def demo_estate():
    """The bundled demo estate (datapack.yaml), read once per test process. Treat it as read-only."""
    from datapack.config import load_config
    from datapack.ingest import load_estate

    return load_estate(load_config(ROOT / "datapack.yaml"))


@pytest.fixture(scope="session")
def demo_analysis_at(demo_estate):
    """``demo_analysis_at(as_of)``: the demo estate analysed as of a date, once per date and test process."""
    from datapack.analysis.estate import analyse
    from datapack.disclosure import Control

    made: dict = {}

    def at(as_of):
        key = pd.Timestamp(as_of)  # "2026-10-15" and datetime(2026, 10, 15) are one analysis
        if key not in made:
            made[key] = analyse(demo_estate, Control(demo_estate.config.disclosure), as_of=as_of)
        return made[key]
    return at


@pytest.fixture(scope="session")
def demo_public_analysis_at(demo_estate):
    """``demo_public_analysis_at(as_of)``: the demo analysed for a public audience (small counts suppressed)."""
    from datapack.analysis.estate import analyse
    from datapack.disclosure import Control

    made: dict = {}

    def at(as_of):
        key = pd.Timestamp(as_of)  # "2026-10-15" and datetime(2026, 10, 15) are one analysis (the audit is costly)
        if key not in made:
            control = Control(demo_estate.config.disclosure).for_audience("public")
            made[key] = analyse(demo_estate, control, as_of=as_of)
        return made[key]
    return at


@pytest.fixture(scope="session")
def demo_analysis(demo_analysis_at):
    """The demo estate analysed as of :data:`DEMO_AS_OF`, once per test process. Treat it as read-only."""
    return demo_analysis_at(DEMO_AS_OF)
