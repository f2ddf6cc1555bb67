"""The content real packs have (issue 10.6): population profile, regime and resettlement measures, judgements.

Expected figures are worked out by hand in each test from the rows it plants.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from datapack.analysis import facility_context
from datapack.analysis.followup import judgements_text
from datapack.analysis.measures import measures_section, profile_section
from datapack.config import Disclosure
from datapack.disclosure import Control
from datapack.indicators import load_indicators

BUILT = dt.datetime(2026, 10, 15)
TEAM = Control(Disclosure(threshold=5))


def _context(rows):
    return pd.DataFrame(rows, columns=["facility_id", "period_start", "factor", "value", "unit"])


def test_the_profile_shows_the_latest_count_and_hides_a_small_group_with_the_next_smallest():
    ctx = _context([
        # an older count, which the profile does not use
        ("X", "2026-04-01", "Age band: 18-20", 9, "people"), ("X", "2026-04-01", "Age band: 21-24", 9, "people"),
        # the latest: 10 + 7 + 3 = 20 counted; 3 is fewer than 5, and 7 is hidden with it (else 20 - 10 - 7 = 3)
        ("X", "2026-07-01", "Age band: 18-20", 3, "people"), ("X", "2026-07-01", "Age band: 21-24", 7, "people"),
        ("X", "2026-07-01", "Age band: 25-29", 10, "people"), ("X", "2026-07-01", "Age band: 60+", 0, "people"),
        ("X", "2026-07-01", "Legal status: Remand", 6, "people"),
        ("X", "2026-07-01", "Legal status: Sentenced", 14, "people"),
        ("X", "2026-07-01", "time_out_of_cell", 4.5, "hours"),  # a measure, not a group: not in the profile
    ])
    profile = profile_section(ctx, TEAM)
    assert profile["available"]
    age, legal = profile["characteristics"]  # age band before legal status (ORDER)
    assert (age["name"], age["count_date"], age["total"]["value"]) == ("Age band", "1 July 2026", 20)
    # shown groups largest first, hidden ones after them in the source's order; 60+ (nobody) left out
    assert [g["group"] for g in age["groups"]] == ["25-29", "18-20", "21-24"]
    top, small, second = age["groups"]
    assert (top["people"]["value"], top["share"]["text"]) == (10, "50%")
    assert small["people"] == {"text": "[c]", "value": None, "hidden": True, "note": small["hidden_reason"]}
    assert "fewer than 5 people" in small["hidden_reason"] and "worked out" in small["hidden_reason"]
    # the secondary group reads the same, so a reader cannot tell which one is the small one
    assert second["people"] == small["people"] and second["share"] == small["share"]
    assert "3" not in age["line"] and "7" not in age["line"]  # neither hidden number appears anywhere
    assert age["line"] == "25-29 10 (50%); 18-20 [c]; 21-24 [c]"
    assert [(g["group"], g["share"]["text"]) for g in legal["groups"]] == [("Sentenced", "70%"), ("Remand", "30%")]
    assert profile["hidden_note"] and legal["largest"] == "Sentenced (70%)"


def test_groups_mask_hides_one_more_only_when_one_group_alone_is_hidden():
    assert TEAM.groups_mask(np.array([3, 7, 10])).tolist() == [True, True, False]
    assert TEAM.groups_mask(np.array([3, 2, 10])).tolist() == [True, True, False]  # two hidden: neither solvable
    assert TEAM.groups_mask(np.array([0, 7, 10])).tolist() == [False, False, False]  # zero identifies nobody
    assert TEAM.groups_mask(np.array([5, 7])).tolist() == [False, False]
    # two hidden groups of one each: total less the rest is 2, so each must be 1; a third is hidden
    assert TEAM.groups_mask(np.array([1, 1, 6, 9])).tolist() == [True, True, True, False]
    assert TEAM.groups_mask(np.array([1, 1])).tolist() == [True, True]  # nothing left to hide


def test_no_profile_without_groups():
    assert not profile_section(_context([]), TEAM)["available"]
    ctx = _context([("X", "2026-07-01", "receptions", 40, "people")])
    assert profile_section(ctx, TEAM) == {"available": False, "characteristics": [], "summary": None,
                                          "hidden_note": None}


def _monthly(facility, start, values, factor="receptions"):
    months = pd.date_range(start, periods=len(values), freq="MS")
    return [(facility, m.date().isoformat(), factor, v, "people") for m, v in zip(months, values)]


def test_measures_latest_against_a_year_before_and_the_median_of_places_of_the_same_type():
    definitions = load_indicators()
    rows = [("X", "2025-04-01", "Time out of cell (hours)", 5.0, "hours"),  # factor matched ignoring punctuation
            ("X", "2025-07-01", "time_out_of_cell", 4.0, "hours"), ("X", "2026-07-01", "time_out_of_cell", 2.5, "hours")]
    peers = []
    for i, hours in enumerate([3.0, 6.0, 5.0, 7.0, 4.0]):
        peers.append((f"P{i}", "2026-07-01", "time_out_of_cell", hours, "hours"))
    # 24 months of receptions: 10 a month then 20 a month; the last 12 sum to 240
    rows += _monthly("X", "2024-10-01", [10] * 12 + [20] * 12)
    ctx = _context(rows)
    everyone = pd.concat([ctx, _context(peers)])
    population = pd.DataFrame({"population": [100.0] * 12 + [120.0] * 12},
                              index=pd.period_range("2024-10", periods=24, freq="M"))
    out = {m["id"]: m for m in measures_section(ctx, everyone, "X", [f"P{i}" for i in range(5)], definitions, "hmip",
                                                TEAM, min_peers=5, population_months=population)}
    time = out["time_out_of_cell"]
    assert time["section"] == "purposeful_activity" and time["latest"]["value"] == 2.5
    assert time["when"] == "July 2026"
    assert time["then"]["value"] == 4.0 and time["then_when"] == "July 2025"  # at or before 12 months earlier
    assert time["change"] == "down 1.5 hours on a year before (worse)"
    assert time["peers"]["value"] == 5.0 and time["peer_count"] == 5  # median of 3, 4, 5, 6, 7
    rec = out["receptions"]
    assert rec["section"] is None  # shown with the profile
    assert rec["latest"]["value"] == 240 and rec["then"]["value"] == 120
    assert rec["when"] == "October 2025 to September 2026"
    assert rec["turnover"] == "2.0 times the average population"  # 240 / 120
    assert rec["peers"] is None  # a total depends on the size of the place
    # fewer places of the type than min_peers: no median
    few = measures_section(ctx, everyone, "X", ["P0", "P1"], definitions, "hmip", TEAM, min_peers=5)
    assert next(m for m in few if m["id"] == "time_out_of_cell")["peers"] is None


def test_a_summed_measure_needs_twelve_months():
    definitions = load_indicators()
    ctx = _context(_monthly("X", "2026-01-01", [10] * 9))
    assert measures_section(ctx, ctx, "X", [], definitions, "hmip", TEAM, min_peers=5) == []


def test_judgements_compare_the_latest_visit_with_the_one_before():
    def visit(start, overall, scores):
        ratings = [{"test": t, "score": {"text": str(s), "value": s}, "label": lab} for t, s, lab in scores]
        return {"start": start, "overall": overall, "framework": "CQC" if overall else None, "ratings": ratings}
    visits = [visit("1 June 2026", None, [("Safety", 2, "not sufficiently good"), ("Respect", 3, "reasonably good")]),
              visit("1 June 2025", None, [("Safety", 3, "reasonably good"), ("Respect", 3, "reasonably good")])]
    assert judgements_text(visits) == (
        "At the visit that began 1 June 2026; compared with the visit that began 1 June 2025: safety 2, not "
        "sufficiently good (was 3, reasonably good); respect 3, reasonably good (the same as before).")
    hospital = [visit("1 May 2026", "Good", []), visit("1 May 2025", "Requires improvement", [])]
    assert judgements_text(hospital) == ("At the visit that began 1 May 2026 (CQC); compared with the visit that "
                                         "began 1 May 2025: overall Good, Requires improvement before.")
    assert judgements_text([visit("1 May 2026", None, [])]) is None


def test_the_demo_packs_carry_the_profile_measures_and_judgements(demo_analysis):
    from datapack.charts import facility_charts
    from datapack.render import render_html

    a = demo_analysis
    ksm = facility_context(a.estate, "KSM", a.control, BUILT, analysis=a)
    names = [c["name"] for c in ksm["population"]["profile"]["characteristics"]]
    assert names == ["Age band", "Legal status", "Nationality", "Ethnicity"]
    time = next(m for m in ksm["measures"] if m["id"] == "time_out_of_cell")
    assert time["change"].startswith("down") and time["change"].endswith("(worse)")  # the planted fall
    assert time["peers"] is not None  # five other prisons hold it
    assert ksm["judgements"].startswith("At the visit that began")
    html = render_html(ksm, facility_charts(ksm))
    assert 'id="population-profile"' in html and "Purposeful activity: measures the place reports" in html
    # The smallest unit: every group under 5 is hidden, and its profile still adds up to what it shows
    lls = facility_context(a.estate, "LLS", a.control, BUILT, analysis=a)
    for c in lls["population"]["profile"]["characteristics"]:
        shown = [g["people"]["value"] for g in c["groups"] if not g["people"]["hidden"]]
        assert all(v >= 5 for v in shown)
        assert sum(1 for g in c["groups"] if g["people"]["hidden"]) != 1
    assert "overall Good" in lls["judgements"]
    # A custody suite holds no profile: one line says so
    hsc = facility_context(a.estate, "HSC", a.control, BUILT, analysis=a)
    assert not hsc["population"]["profile"]["available"] and hsc["held"]["profile"]
    assert hsc["held"]["profile"] in render_html(hsc, facility_charts(hsc))


@pytest.mark.parametrize("audience", ["team", "public"])
def test_a_profile_group_of_fewer_than_the_threshold_is_hidden_in_every_audience(audience):
    control = Control(Disclosure(threshold=5, audience=audience))
    ctx = _context([("X", "2026-07-01", "Nationality: British", 40, "people"),
                    ("X", "2026-07-01", "Nationality: Other", 4, "people"),
                    ("X", "2026-07-01", "Nationality: Rest of world", 2, "people")])
    groups = profile_section(ctx, control)["characteristics"][0]["groups"]
    assert [g["people"]["text"] for g in groups] == ["40", "[c]", "[c]"]
