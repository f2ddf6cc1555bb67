"""CQC-style bands against peers (issue 10.6), from the funnel flag and which way is better."""

from __future__ import annotations

import pytest

from datapack.analysis.findings_context import band


@pytest.mark.parametrize("flag, good, expected", [
    ("above_99.8", "down", "much worse than peers"), ("above_95", "down", "worse than peers"),
    ("within", "down", "about the same as peers"), ("below_95", "down", "better than peers"),
    ("below_99.8", "down", "much better than peers"),
    ("above_99.8", "up", "much better than peers"), ("below_95", "up", "worse than peers"),
    ("above_95", "neutral", "higher than peers"), ("below_99.8", None, "much lower than peers"),
    (None, "down", None), ("not_a_flag", "up", None)])
def test_band_follows_the_funnel_limit_crossed_and_the_good_direction(flag, good, expected):
    assert band(flag, good) == expected


def test_every_demo_indicator_with_a_flag_has_the_band_of_its_flag(demo_analysis):
    import datetime as dt

    from datapack.analysis import facility_context

    a = demo_analysis
    rows = facility_context(a.estate, "KSM", a.control, dt.datetime(2026, 10, 15), analysis=a)["indicators"]
    flagged = [r for r in rows if r["peer"]["flag"]]
    assert flagged
    for r in flagged:
        worse = r["peer"]["flag"].startswith("above") == (r["good_direction"] == "down")
        if r["peer"]["flag"] != "within" and r["good_direction"] in ("up", "down"):
            assert ("worse" in r["peer"]["band"]) == worse, r
    assert all(r["peer"]["band"] is None for r in rows if not r["peer"]["flag"])
