"""Relative rates and disproportionality: the Katz interval, the flag rule, and the demo's planted signal."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from datapack.analysis import equality as eq
from datapack.config import load_config
from datapack.ingest import load_estate

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def estate(demo_estate):
    return demo_estate


# --- relative_rate ------------------------------------------------------------------------------


def test_katz_poisson_interval_for_incident_counts_by_hand():
    # 20 incidents among 100 people vs 30 among 300: rates 0.2 and 0.1, RR = 2.
    # Poisson (incidents can repeat): SE(log RR) = sqrt(1/20 + 1/30) = sqrt(0.083333) = 0.288675;
    # z = 1.959964, z * SE = 0.565793; log 2 = 0.693147;
    # CI = exp(0.693147 - 0.565793), exp(0.693147 + 0.565793) = exp(0.127354), exp(1.258940) = 1.13582, 3.52169.
    rr = eq.relative_rate(20, 100, 30, 300)
    assert rr.method == "rate" and rr.ratio == pytest.approx(2.0)
    assert rr.ci_low == pytest.approx(1.13582, abs=1e-5)
    assert rr.ci_high == pytest.approx(3.52169, abs=1e-5)
    assert rr.excludes_one


def test_katz_binomial_interval_when_events_are_people_by_hand():
    # Same counts as people within the population:
    # SE = sqrt(1/20 - 1/100 + 1/30 - 1/300) = sqrt(0.05 - 0.01 + 0.033333 - 0.003333) = sqrt(0.07) = 0.264575;
    # z * SE = 0.518557; CI = exp(0.174590), exp(1.211704) = 1.19076, 3.35921.
    rr = eq.relative_rate(20, 100, 30, 300, method="risk")
    assert rr.ratio == pytest.approx(2.0)
    assert rr.ci_low == pytest.approx(1.19076, abs=1e-5)
    assert rr.ci_high == pytest.approx(3.35921, abs=1e-5)


def test_wider_confidence_gives_a_wider_interval():
    narrow, wide = eq.relative_rate(20, 100, 30, 300, conf=0.9), eq.relative_rate(20, 100, 30, 300, conf=0.99)
    assert wide.ci_low < narrow.ci_low and wide.ci_high > narrow.ci_high


def test_incident_rates_may_exceed_the_population_but_risks_may_not():
    assert eq.relative_rate(250, 100, 300, 900).ratio == pytest.approx(7.5)
    with pytest.raises(ValueError, match="method='rate'"):
        eq.relative_rate(250, 100, 300, 900, method="risk")


def test_no_events_give_no_interval():
    rr = eq.relative_rate(0, 100, 30, 300)
    assert rr.ratio == 0 and math.isnan(rr.ci_low) and not rr.excludes_one


# --- disproportionality -------------------------------------------------------------------------


def _incidents(groups: dict[str, int], facility="A", category="use_of_force", month="2025-01-15"):
    rows = []
    for group, n in groups.items():
        rows += [{"facility_id": facility, "category": category, "occurred": pd.Timestamp(month), "count": 1,
                  "ethnicity": group}] * n
    return pd.DataFrame(rows)


def _mix(values: dict[str, float], facility="A", period="2025-01-01"):
    return pd.DataFrame([{"facility_id": facility, "period_start": pd.Timestamp(period), "factor": f"Ethnicity: {g}",
                          "value": v, "unit": "people"} for g, v in values.items()])


def test_disproportionality_matches_drifting_labels_and_gives_shares():
    incidents = pd.concat([_incidents({"BLACK": 20, "black ": 14, "White": 60, "Asian": 6, "": 3}),
                           _incidents({"Black": 50}, category="self_harm")])
    mix = _mix({"Black": 15, "White": 70, "Asian": 15})
    out = eq.disproportionality(incidents, mix, "A", "use_of_force", "ethnicity").set_index("group")
    black = out.loc["Black"]
    assert black["incidents"] == 34 and black["incident_share"] == pytest.approx(0.34)
    assert black["population_share"] == pytest.approx(0.15)
    # Rate 34/15 against (66)/(85).
    expected = eq.relative_rate(34, 15, 66, 85)
    assert black["relative_rate"] == pytest.approx(expected.ratio) and black["ci_low"] == pytest.approx(expected.ci_low)
    assert black["flagged"] and black["label"] == eq.HIGHER
    frame = eq.disproportionality(incidents, mix, "A", "use_of_force", "ethnicity")
    assert frame.attrs["unrecorded"] == 3 and frame.attrs["total_incidents"] == 100
    row = frame[frame["group"] == "Black"].iloc[0]
    assert eq.share_sentence(row, "Use of force") == "Black: 34% of use of force vs 15% of the population"


def test_small_groups_are_not_discussed():
    out = eq.disproportionality(_incidents({"Black": 30, "White": 60, "Mixed": 4}),
                                _mix({"Black": 15, "White": 80, "Mixed": 5}), "A", "use_of_force", "ethnicity",
                                min_count=5).set_index("group")
    mixed = out.loc["Mixed"]
    assert mixed["label"] == eq.TOO_FEW and not mixed["flagged"]
    assert mixed[["incidents", "incident_share", "population_share", "relative_rate", "ci_low"]].isna().all()


def test_a_significant_but_small_ratio_is_not_flagged():
    # 1,150 vs 10,000 per 1,000 people each side: RR = 1.15, CI well clear of 1, but below the 1.25 threshold.
    out = eq.disproportionality(_incidents({"Black": 1150, "White": 10000}), _mix({"Black": 1000, "White": 10000}),
                                "A", "use_of_force", "ethnicity").set_index("group")
    assert out.loc["Black", "ci_low"] > 1 and out.loc["Black", "relative_rate"] == pytest.approx(1.15)
    assert not out.loc["Black", "flagged"]
    assert out.loc["Black", "label"] == eq.NOT_FLAGGED
    low = eq.disproportionality(_incidents({"Black": 200, "White": 10000}), _mix({"Black": 1000, "White": 10000}),
                                "A", "use_of_force", "ethnicity").set_index("group")
    assert low.loc["Black", "flagged"] and low.loc["Black", "label"] == eq.LOWER


def test_population_is_averaged_over_the_months_of_the_incidents():
    # Quarterly counts: 10 Black people from January, 40 from April. Incidents in Jan-Jun:
    # three months at 10, three at 40 -> average 25.
    mix = pd.concat([_mix({"Black": 10, "White": 90}, period="2025-01-01"),
                     _mix({"Black": 40, "White": 60}, period="2025-04-01"),
                     _mix({"Black": 1000, "White": 1}, period="2025-10-01")])  # after the period: ignored
    incidents = pd.concat([_incidents({"Black": 10, "White": 10}, month="2025-01-10"),
                           _incidents({"Black": 10, "White": 10}, month="2025-06-20")])
    out = eq.disproportionality(incidents, mix, "A", "use_of_force", "ethnicity").set_index("group")
    assert out.loc["Black", "population"] == pytest.approx(25.0)
    assert out.loc["White", "population"] == pytest.approx(75.0)
    pop = eq.population_by_group(mix, "A", "Ethnicity", pd.date_range("2024-11-01", "2025-01-01", freq="MS"))
    assert pop.set_index("group").loc["Black", "population"] == pytest.approx(10.0)  # months before the first count


def test_demo_northgate_use_of_force_on_black_people_is_flagged(estate):
    out = eq.disproportionality(estate.table("incidents"), estate.table("context"), "NGT", "use_of_force",
                                "ethnicity").set_index("group")
    black = out.loc["Black"]
    assert black["relative_rate"] > 1.5 and black["ci_low"] > 1 and black["flagged"]
    # The planted shares: 34% of use of force vs 15% of the population.
    assert black["incident_share"] == pytest.approx(0.342, abs=0.005)
    assert black["population_share"] == pytest.approx(0.155, abs=0.005)


def test_demo_brackenfield_has_no_use_of_force_flag_by_ethnicity(estate):
    out = eq.disproportionality(estate.table("incidents"), estate.table("context"), "BRF", "use_of_force",
                                "ethnicity")
    assert len(out) == 5 and not out["flagged"].any()
