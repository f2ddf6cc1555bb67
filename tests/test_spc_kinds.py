"""Which control chart (issue 10.3): u-charts of rates with a changing population, Laney's u-prime where
over-dispersed, sparse months by quarter, and rare events as the days between them.

Every expected figure is worked by hand in the comments (and typed as the literal numbers of that
arithmetic), never read back from the code.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from datapack.analysis.indicators import IndicatorResults, Windows
from datapack.analysis.signals import control_charts
from datapack.analysis.spc import LANEY_ABOVE, baseline_chart, summary, xmr
from datapack.indicators import load_indicators

# --- the u-chart ----------------------------------------------------------------------------------

#: six months: events and the population in thousands (the exposure), which changes month to month
COUNTS = [4, 6, 3, 8, 5, 4]
THOUSANDS = [1.0, 1.2, 0.8, 1.5, 1.0, 0.5]


def test_a_u_chart_by_hand():
    # centre u = sum(c) / sum(n) = 30 / 6.0 = 5.0 per 1,000
    # points u_i = c_i / n_i = 4, 5, 3.75, 5.333, 5, 8
    # limits 5 +/- 3 sqrt(5 / n_i): n = 1.0 -> 5 +/- 6.7082 (11.7082, -1.7082); n = 1.5 -> 5 +/- 5.4772;
    # n = 0.5 -> 5 +/- 9.4868: they vary with each month's population
    r = xmr(COUNTS, exposure=THOUSANDS, improvement="down")
    assert r.kind == "u" and r.chart == ("u",)
    assert r.values == pytest.approx((4.0, 5.0, 3.75, 16 / 3, 5.0, 8.0))
    assert r.mean == pytest.approx((5.0,) * 6)
    assert r.ucl[0] == pytest.approx(11.7082, abs=1e-4) and r.lcl[0] == pytest.approx(-1.7082, abs=1e-4)
    assert r.ucl[3] == pytest.approx(10.4772, abs=1e-4)
    assert r.ucl[5] == pytest.approx(14.4868, abs=1e-4)
    assert r.near_ucl[5] == pytest.approx(5 + 2 * 3.16228, abs=1e-4)  # near limits at 2 sigma
    # z_i = (u_i - 5) / sqrt(5 / n_i) = -0.44721, 0, -0.5, 0.18257, 0, 0.94868
    # moving ranges 0.44721, 0, 0.5, 0.68257, 0.18257, 0.94868 (sum 2.76103); sigma_z = 0.55221 / 1.128 = 0.48955
    assert r.sigma_z[0] == pytest.approx(0.48955, abs=1e-4)
    assert set(r.point_type) == {"common_cause"}
    assert summary(r)["chart"] == "u" and summary(r)["sigma_z"] == pytest.approx(0.48955, abs=1e-4)


def test_a_month_with_no_population_is_missing_on_a_u_chart():
    r = xmr([4, 6, 3], exposure=[1.0, 0.0, float("nan")])
    assert r.values[0] == 4.0 and math.isnan(r.values[1]) and math.isnan(r.values[2])
    assert r.point_type[1:] == ("missing", "missing")


#: counts that swing far more than chance would make them, at a steady population of 1,000
SWINGS = [2, 12, 3, 14, 2, 11]


def test_laney_u_prime_by_hand():
    # u = 44 / 6 = 7.3333; sigma = sqrt(7.3333 / 1) = 2.70801
    # z = (c - 7.3333) / 2.70801 = -1.96946, 1.72328, -1.60018, 2.46182, -1.96946, 1.35401
    # moving ranges 3.69274, 3.32346, 4.06200, 4.43128, 3.32347: mean 3.76659; sigma_z = 3.76659 / 1.128 = 3.33918
    # limits 7.3333 +/- 3 x 2.70801 x 3.33918 = 7.3333 +/- 27.1276 -> 34.4609 and -19.7943
    r = xmr(SWINGS, exposure=[1.0] * 6)
    assert 3.33918 > LANEY_ABOVE
    assert r.kind == "laney" and r.sigma_z[0] == pytest.approx(3.33918, abs=1e-4)
    assert r.ucl[0] == pytest.approx(34.4609, abs=1e-3) and r.lcl[0] == pytest.approx(-19.7943, abs=1e-3)
    # the plain u-chart would put 14 and 2 near or past its limits: 7.3333 +/- 8.12404 -> 15.4574, -0.7907
    plain = xmr(SWINGS, exposure=[1.0] * 6, laney=False)
    assert plain.kind == "u" and plain.ucl[0] == pytest.approx(15.4574, abs=1e-3)
    # near limits: 7.3333 + 2 x 2.70801 = 12.7494 for the u-chart (14 is beyond it), 25.4183 for u'
    assert plain.near_ucl[0] == pytest.approx(12.7494, abs=1e-3) and r.near_ucl[0] == pytest.approx(25.4183, abs=1e-3)


#: 24 steady months at a population that moves between 800 and 1,250, then 12 months at about twice the rate
POPULATION = [0.8, 1.0, 1.25, 1.0] * 9
STEADY = [8, 10, 13, 9, 7, 11, 12, 10, 9, 10, 12, 11, 8, 9, 13, 10, 9, 10, 12, 11, 8, 11, 13, 9]
RISE = [17, 21, 25, 19, 16, 20, 26, 21, 15, 19, 24, 20]
MONTHS = [f"{2023 + i // 12}-{i % 12 + 1:02d}" for i in range(36)]


def test_a_u_chart_keeps_the_baseline_and_shift_rules():
    chart = baseline_chart(STEADY + RISE, MONTHS, improvement="down", baseline=12, exposure=POPULATION)
    # baseline u = (8+10+13+9+7+11+12+10+9+10+12+11 = 122) / (3 x (0.8+1.0+1.25+1.0) = 12.15) = 10.04115
    assert chart.mean[0] == pytest.approx(122 / 12.15)
    assert chart.ucl[0] == pytest.approx(122 / 12.15 + 3 * math.sqrt(122 / 12.15 / 0.8))
    assert chart.ucl[2] == pytest.approx(122 / 12.15 + 3 * math.sqrt(122 / 12.15 / 1.25))
    assert set(chart.point_type[:24]) == {"common_cause"}
    assert set(chart.point_type[24:]) == {"concern"}
    # the rise is a confirmed shift: new limits from its first month, the centre 243 / 12.15 = 20.0
    assert chart.segment[23] == 0 and chart.segment[24] == 1
    assert chart.mean[24] == pytest.approx(243 / 12.15)
    assert chart.chart == ("u", "u")


# --- by quarter and between events, through the signals ------------------------------------------

def _results(counts: dict[str, list[float]], base: float = 500.0) -> IndicatorResults:
    """36 months of one facility ``X`` for each indicator id in ``counts``, at a steady population."""
    months = pd.period_range("2023-10", "2026-09", freq="M")
    rows = [{"facility_id": "X", "month": m, "count": float(c), "base": base, "rate": c / base * 1000, "indicator": ind}
            for ind, values in counts.items() for m, c in zip(months, values)]
    periods = pd.DataFrame([{"facility_id": "X", "indicator": ind, "basis": "population", "recorded": True,
                             "last_count": np.nan, "prev_count": np.nan, "last_base": np.nan, "prev_base": np.nan}
                            for ind in [*counts, "deaths"]])
    return IndicatorResults(windows=Windows(end=pd.Period("2026-09", freq="M")), periods=periods,
                            series=pd.DataFrame(rows), definitions=load_indicators())


#: 36 months with events in only 5 of them (too few by month), in 5 different quarters
SPARSE = [0] * 36
for _month, _n in ((1, 1), (8, 2), (16, 1), (27, 1), (34, 3)):
    SPARSE[_month] = _n


def test_a_sparse_monthly_series_is_charted_by_quarter():
    signals = control_charts(_results({"self_harm_hospital": SPARSE}), baseline=12)
    monthly = signals.spc[("X", "self_harm_hospital")]
    quarter = signals.by_quarter[("X", "self_harm_hospital")]
    assert signals.chart("X", "self_harm_hospital") is quarter and monthly.grain == "month"
    # 36 months from Oct 2023 are 12 quarters; month 1 (Nov 2023) falls in the first, month 8 (Jun 2024) in the
    # third, 16 (Feb 2025) in the sixth, 27 (Jan 2026) in the tenth, 34 (Aug 2026) in the twelfth
    assert quarter.grain == "quarter" and len(quarter.periods) == 12
    assert quarter.periods[0] == "2023-10/2023-12" and quarter.periods[-1] == "2026-07/2026-09"
    assert quarter.counts == (1.0, 0, 2.0, 0, 0, 1.0, 0, 0, 0, 1.0, 0, 3.0)
    # a u-chart of the quarter's count per 1,000 of its average population (500: an exposure of 0.5)
    assert quarter.kind in ("u", "laney") and quarter.exposure == (0.5,) * 12
    assert quarter.values[11] == pytest.approx(6.0)  # 3 / 0.5
    # 7 of 12 quarters are 0, so no baseline: limits from every quarter, u = 8 / 6.0 = 1.3333
    assert quarter.mean[0] == pytest.approx(8 / 6.0)


def test_too_few_quarters_is_no_chart():
    few = [0] * 36
    few[4], few[5], few[30] = 1, 1, 2  # 3 months, in 2 quarters
    signals = control_charts(_results({"self_harm_hospital": few}), baseline=12)
    assert ("X", "self_harm_hospital") not in signals.by_quarter
    assert signals.chart("X", "self_harm_hospital") is signals.spc[("X", "self_harm_hospital")]


#: five planted deaths: gaps of 100, 200, 150 and 50 days
DEATHS = ["2024-01-10", "2024-04-19", "2024-11-05", "2025-04-04", "2025-05-24"]


def _with_deaths(dates: list[str]) -> Any:
    incidents = pd.DataFrame({"facility_id": "X", "category": "death", "subcategory": "natural",
                              "occurred": pd.to_datetime(dates), "count": 1.0, "serious": False, "hospital": False})
    return control_charts(_results({"self_harm": [10] * 36}), baseline=12, incidents=incidents)


def test_deaths_are_charted_as_the_days_between_them():
    signals = _with_deaths(DEATHS)
    found = signals.between[("X", "deaths")]
    # 10 Jan -> 19 Apr 2024: 21 + 29 + 31 + 19 = 100 days; -> 5 Nov 2024: 11 + 31 + 30 + 31 + 31 + 30 + 31 + 5 = 200;
    # -> 4 Apr 2025: 25 + 31 + 31 + 28 + 31 + 4 = 150; -> 24 May 2025: 26 + 24 = 50
    assert found.days_between == (100.0, 200.0, 150.0, 50.0)
    # the series runs 1 Oct 2023 to 30 Sep 2026; since 24 May 2025: 8 (to 1 June) + 30 + 31 + 31 + 30 + 31 + 30 + 31
    # + 31 + 28 + 31 + 30 + 31 + 30 + 31 + 31 + 30 = 495 days to 1 Oct 2026 (the end of September)
    assert found.days_since_last == 495.0
    # the centre: the mean of t ** (1 / 3.6), back to days
    y = np.array([100.0, 200.0, 150.0, 50.0]) ** (1 / 3.6)
    assert found.centre_days == pytest.approx(y.mean() ** 3.6)
    mr = np.abs(np.diff(y)).mean()
    assert found.ucl_days == pytest.approx((y.mean() + 2.66 * mr) ** 3.6)
    assert found.chart.improvement == "up"  # fewer deaths are better: a longer gap is the improvement


class _Analysis(SimpleNamespace):
    def control_for(self, facility_id, indicator):
        return self.control


def _between_context(dates: list[str], audience: str = "team") -> dict:
    from datapack.analysis.findings_context import _between_section
    from datapack.config import Disclosure
    from datapack.disclosure import Control

    control = Control(Disclosure(audience=audience, threshold=5))
    a = _Analysis(signals=_with_deaths(dates), control=control)
    return _between_section(a, "X", load_indicators().get("deaths"))


def test_the_reading_and_the_caption_of_the_days_between_deaths_say_the_same():
    from datapack.charts.spc import spc_chart

    section = _between_context(DEATHS)
    assert not section["sparse"] and [p["value"] for p in section["points"]] == [100.0, 200.0, 150.0, 50.0]
    assert [p["period"] for p in section["points"]] == DEATHS[1:]
    text = section["summary"]
    assert text.startswith("5 deaths in custody from 1 October 2023 to 30 September 2026")
    assert "the latest gap, 50 days to 24 May 2025" in text and "495 days have passed" in text
    context = {"spc": {"deaths": section}, "indicators": [{"id": "deaths", "good_direction": "down"}],
               "disclosure": {"threshold": 0}, "charts": ["spc-deaths"]}
    title, alt, png, svg = spc_chart(context, "spc-deaths")
    assert title.startswith("Deaths in custody: days between events (t-chart")
    assert text in alt and alt.startswith("Chart of the days between deaths in custody")
    png, svg = (png() if callable(png) else png), (svg() if callable(svg) else svg)  # drawn when first read
    assert png.startswith(b"\x89PNG") and "<svg" in svg


def test_fewer_than_two_deaths_is_a_sentence_and_a_public_output_dates_none():
    one = _between_context(DEATHS[:1])
    assert one["sparse"] and not one["points"]
    assert one["summary"] == one["sparse_text"] and "only 1 in the 36 months" in one["summary"]
    public = _between_context(DEATHS, audience="public")
    assert public["sparse"] and not public["points"] and "would date one" in public["summary"]


def test_an_area_from_a_quarterly_chart_speaks_of_quarters():
    from datapack.analysis.rules import _pattern

    reading = {"grain": "quarter", "trend": None, "latest_type": "concern", "latest_direction": "high",
               "latest_period": "2026-07/2026-09",
               "shift": {"direction": "above", "length": 7, "start": "2025-01/2025-03", "end": "2026-07/2026-09",
                         "ongoing": True, "type": "concern"}}
    assert _pattern(reading) == ("has been above its average for 7 consecutive quarters", "Jan–Mar 2025")
