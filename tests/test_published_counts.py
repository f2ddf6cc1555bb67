"""A published table, wide by year, becomes aggregate counts with suppressed, zero and missing kept apart."""

import pandas as pd

from datapack.config import load_config
from datapack.ingest import load_estate

from conftest import FIXTURES


def test_wide_years_become_rows_and_symbols_keep_their_meaning():
    estate = load_estate(load_config(FIXTURES / "published_counts" / "datapack.yaml"))
    assert estate.report.problems == []
    counts = estate.tables["incident_counts"].set_index(["facility_id", "period_start"])
    y = lambda year: pd.Timestamp(year, 1, 1)  # noqa: E731
    assert counts.loc[("NGI", y(2024)), "count"] == 388               # footnote marker '388**' dropped
    assert counts.loc[("ASH", y(2023)), "count"] == 17                # '17~'
    assert counts.loc[("WFD", y(2023)), "status"] == "suppressed"     # [c]
    assert counts.loc[("WFD", y(2024)), ["count", "status"]].tolist() == [0, "value"]
    assert counts.loc[("WFD", y(2025)), "status"] == "missing"        # ..
    assert counts.loc[("ASH", y(2024)), "status"] == "missing"        # [x]
    assert counts.loc[("ASH", y(2025)), "status"] == "not_applicable" # [z]
    assert pd.isna(counts.loc[("WFD", y(2023)), "count"])
    assert len(counts) == 9                                           # the Total row and notes left out
