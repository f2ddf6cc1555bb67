"""Control charts (XmR, NHS "Making Data Count" rules), rare-event charts and exact Poisson figures.

Every expected number here is worked by hand (the arithmetic is in the comments) or taken from a
published test of NHSRplotthedots / nhspy-plotthedots, never read back from the code.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from datapack.analysis.spc import LIMIT, SpcSettings, describe, summary, xmr
from datapack.analysis.spc_rare import compare_poisson, poisson_interval, rare_events

NAN = float("nan")
KNOWN = [89, 86, 75, 77, 81, 74, 72, 78, 76, 82, 77, 54, 66, 77, 86]


def idx(flags):
    return [i for i, f in enumerate(flags) if f]


# --- limits ---------------------------------------------------------------------------------------

def test_known_answer_from_nhspy_plotthedots():
    # nhs-pycom/nhspy-plotthedots tests/unittests/test_pandas_spc_x_calc.py (test_demo_case):
    # mean 76.67, limits about 57 and 96, only the 12th point (54) outside.
    # By hand: sum = 1150, mean = 1150 / 15 = 76.667.
    # mR = 3, 11, 2, 4, 7, 2, 6, 2, 6, 5, 23, 12, 11, 9: sum 103, mean(mR) = 103 / 14 = 7.3571
    # limits = 76.667 +/- 2.66 x 7.3571 = 76.667 +/- 19.570 -> 57.097 and 96.237
    r = xmr(KNOWN, improvement="up")
    assert r.mean[0] == pytest.approx(76.67, abs=0.005)
    assert r.ucl[0] == pytest.approx(1150 / 15 + 2.66 * 103 / 14)
    assert r.lcl[0] == pytest.approx(1150 / 15 - 2.66 * 103 / 14)
    assert round(r.lcl[0]) == 57 and round(r.ucl[0]) == 96
    assert idx(r.outside) == [11]
    # near limits: 76.667 +/- (2/3)(19.570) = 63.62 and 89.71; 89 is inside, so nothing is "close"
    assert r.near_ucl[0] == pytest.approx(1150 / 15 + 2 / 3 * 2.66 * 103 / 14)
    assert not any(r.two_of_three) and not any(r.trend) and not any(r.shift)
    assert r.point_type[11] == "concern" and r.direction[11] == "low"
    assert r.point_type.count("common_cause") == 14
    assert xmr(KNOWN, improvement="down").point_type[11] == "improvement"
    assert xmr(KNOWN).point_type[11] == "neutral"
    # the largest range (23) is below 3.267 x 7.357 = 24.04, so screening changes nothing here
    assert xmr(KNOWN, settings=SpcSettings(screening=True)).ucl == r.ucl
    assert r.trial is False and r.variation_icon == "common_cause"


# nhs-pycom/nhspy-plotthedots tests/unittests/test_limits_calculations.py: (mean, lpl, upl, nlpl, nupl)
@pytest.mark.parametrize("values, expected", [
    (list(range(1, 11)), (5.5, 2.84, 8.16, 3.7266666666666666, 7.273333333333333)),
    ([1, 2, 3, 4, 5, 4, 3, 2, 1, 2], (2.7, 0.040000000000000036, 5.36, 0.9266666666666667, 4.473333333333334)),
    ([1, 2, 3], (2.0, -0.6600000000000001, 4.66, 0.22666666666666657, 3.7733333333333334)),
    (list(range(20)), (9.5, 6.84, 12.16, 7.726666666666667, 11.273333333333333)),
    ([3, 1, 4, 1, 5, 9, 2], (3.5714285714285716, -6.625238095238096, 13.768095238095238, -3.2263492063492065,
                             10.36920634920635)),
    ([1, 2, 3, 2, 1, 2, 3, 4, 5, 6, 7, 4, 3, 2, 1, 2],
     (3.0, -0.014666666666666828, 6.014666666666667, 0.9902222222222221, 5.009777777777778)),
    ([-1, -2, -3, -2, -1, -2, -3, -4, -5, -6, -7, -4, -3, -2, -1, -2],
     (-3.0, -6.014666666666667, 0.014666666666666828, -5.009777777777778, -0.9902222222222221)),
])
def test_limits_match_nhspy_plotthedots(values, expected):
    r = xmr(values)
    got = (r.mean[0], r.lcl[0], r.ucl[0], r.near_lcl[0], r.near_ucl[0])
    assert got == pytest.approx(expected, abs=1e-9)


def test_screening_drops_huge_moving_ranges_before_the_limits():
    v = [10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 50, 10, 11, 10, 11]
    # mean = (105 + 50 + 42) / 15 = 197 / 15 = 13.1333
    # mR: nine 1s, then 39 (11->50) and 40 (50->10), then three 1s: sum 91 / 14 = 6.5
    off = xmr(v)
    assert off.ucl[0] == pytest.approx(197 / 15 + 2.66 * 6.5)   # 30.4233
    assert off.lcl[0] == pytest.approx(197 / 15 - 2.66 * 6.5)   # -4.1567
    # screening: 3.267 x 6.5 = 21.24, so 39 and 40 go; twelve 1s remain: mean(mR) = 1
    on = xmr(v, settings=SpcSettings(screening=True))
    assert on.ucl[0] == pytest.approx(197 / 15 + 2.66)          # 15.7933
    assert on.lcl[0] == pytest.approx(197 / 15 - 2.66)          # 10.4733
    assert on.mean[0] == off.mean[0]
    assert idx(off.outside) == [10]
    # the tighter limits also put every 10 below the lower limit (10 < 10.4733)
    assert idx(on.outside) == [0, 2, 4, 6, 8, 10, 11, 13]


def test_lower_limit_kept_raw_and_clipped_only_for_display():
    r = xmr([1, 2, 3], lower_bound=0)
    assert r.lcl[0] == pytest.approx(-0.66)          # 2 - 2.66 x 1
    assert r.lcl_display[0] == 0
    assert r.near_lcl_display[0] == pytest.approx(2 - 2 / 3 * 2.66)  # 0.2267, above the bound already
    assert xmr([1, 2, 3]).lcl_display[0] == pytest.approx(-0.66)


def test_fix_after_n_points_uses_the_first_points_only():
    # nhs-pycom/nhspy-plotthedots tests/unittests/test_pandas_spc_x_calc.py (test_fix_point_mean):
    # values 1..10 fixed after 5 points have mean 3. By hand: mR of 1..5 are all 1, so limits 3 +/- 2.66.
    r = xmr(range(1, 11), settings=SpcSettings(max_points_for_limits=5))
    assert r.mean[-1] == 3 and r.ucl[-1] == pytest.approx(5.66) and r.lcl[-1] == pytest.approx(0.34)
    assert idx(r.outside) == [5, 6, 7, 8, 9]          # 6..10 all above 5.66
    assert r.baseline_points == (5,) and r.trial     # 5 < 12 points behind the limits


# --- rules ----------------------------------------------------------------------------------------

TREND = [5, 3, 5, 3, 5, 3, 1, 2, 3, 4, 5, 6, 7, 4, 5, 3]
# mean = 64 / 16 = 4; mR: six 2s, then 1 x 6, 3, 1, 2 -> 24 / 15 = 1.6; limits 4 +/- 4.256 (-0.256, 8.256);
# near limits 4 +/- 2.837 (1.163, 6.837): 1 and 7 are close but on opposite sides; no 7 on one side.


def test_seven_strictly_rising_points_are_all_flagged():
    r = xmr(TREND, improvement="down")
    assert r.mean[0] == 4 and r.ucl[0] == pytest.approx(4 + 2.66 * 1.6)
    assert idx(r.trend) == [6, 7, 8, 9, 10, 11, 12]
    assert not any(r.outside) and not any(r.shift) and not any(r.two_of_three)
    # a trend is typed by its direction, even for points below the mean (as NHSRplotthedots)
    assert [r.point_type[i] for i in range(6, 13)] == ["concern"] * 7
    assert set(r.direction[6:13]) == {"high"}
    assert xmr(TREND, improvement="up").point_type[6] == "improvement"
    assert [r.point_type[i] for i in (5, 13)] == ["common_cause", "common_cause"]


def test_a_tie_breaks_a_trend_and_six_points_are_not_enough():
    tie = TREND[:9] + [3] + TREND[9:]                 # 1, 2, 3, 3, 4, 5, 6, 7
    assert not any(xmr(tie).trend)
    six = [5, 3, 5, 3, 5, 3, 2, 3, 4, 5, 6, 7, 4, 5, 3]   # 2..7 is six points (five rises)
    assert not any(xmr(six).trend)
    assert idx(xmr(six, settings=SpcSettings(trend_length=6)).trend) == [6, 7, 8, 9, 10, 11]


SHIFT = [16, 4, 16, 4, 11, 12, 11, 12, 11, 12, 11, 5, 10, 5]
# mean = 140 / 14 = 10 exactly; mR 12, 12, 12, 7, then six 1s, 6, 5, 5 -> 65 / 13 = 5;
# limits 10 +/- 13.3, near 10 +/- 8.87: nothing outside or close; no run of rises.


def test_seven_points_above_the_mean_are_a_shift():
    r = xmr(SHIFT, improvement="down")
    assert r.mean[0] == 10 and r.ucl[0] == pytest.approx(10 + 2.66 * 5)
    assert idx(r.shift) == [4, 5, 6, 7, 8, 9, 10]
    assert not any(r.outside) and not any(r.trend) and not any(r.two_of_three)
    assert {r.point_type[i] for i in range(4, 11)} == {"concern"}
    assert [run.length for run in r.runs if run.rule == "shift"] == [7]


def test_a_point_on_the_mean_breaks_a_shift():
    on_mean = [16, 4, 16, 4, 11, 12, 11, 10, 13, 12, 11, 5, 10, 5]   # block still sums to 80: mean 10
    r = xmr(on_mean)
    assert r.mean[0] == 10
    assert not any(r.shift)
    assert set(r.point_type) == {"common_cause"}


NEAR = [10, 11] * 6 + [13.5, 11, 13.5] + [10, 11, 10, 11]
# mean = (126 + 38 + 42) / 19 = 10.842; mR: eleven 1s, 2.5, 2.5, 2.5, 3.5, 1, 1, 1 -> 25 / 18 = 1.3889;
# near upper = 10.842 + 1.7733 x 1.3889 = 13.305, upper limit = 10.842 + 2.66 x 1.3889 = 14.536:
# both 13.5s are close, and 13.5, 11, 13.5 are all above the mean.


def test_two_of_three_beyond_a_near_limit_flags_the_near_limit_points():
    r = xmr(NEAR, improvement="up")
    assert r.near_ucl[0] == pytest.approx(206 / 19 + 2 / 3 * 2.66 * 25 / 18)
    assert idx(r.two_of_three) == [12, 14]            # the middle 11 is not flagged
    assert [r.point_type[i] for i in (12, 13, 14)] == ["improvement", "common_cause", "improvement"]
    assert not any(r.outside) and not any(r.shift) and not any(r.trend)


def test_two_of_three_needs_all_three_on_one_side():
    # 13.5, 10, 13.5: mean = 205 / 19 = 10.789, so 10 is below it.
    # mR: eleven 1s, 2.5, 3.5, 3.5, 3.5, three 1s -> 27 / 18 = 1.5; near upper 10.789 + 2.66 = 13.449 < 13.5
    v = [10, 11] * 6 + [13.5, 10, 13.5] + [10, 11, 10, 11]
    r = xmr(v)
    assert r.near_ucl[0] == pytest.approx(205 / 19 + 2 / 3 * 2.66 * 1.5)
    assert not any(r.two_of_three)


def test_a_point_beyond_the_limit_is_not_a_near_limit_point():
    # NHSRplotthedots: close_to_limits = !outside_limits & beyond a near limit.
    # 16, 12, 14.2: mean = 210.2 / 19 = 11.063; mR: eleven 1s, 5, 4, 2.2, 4.2, three 1s -> 29.4 / 18 = 1.6333;
    # upper 11.063 + 4.345 = 15.408 (16 outside), near upper 11.063 + 2.896 = 13.960 (14.2 close): 1 close point.
    v = [10, 11] * 6 + [16, 12, 14.2] + [10, 11, 10, 11]
    r = xmr(v)
    assert idx(r.outside) == [12]
    assert not any(r.two_of_three)
    assert r.point_type[14] == "common_cause"


def test_outside_the_limits_outranks_a_trend_in_the_point_type():
    v = [5, 3, 5, 3, 5, 3, -3, 2, 3, 4, 5, 6, 7, 4, 5, 3]
    # mean = 60 / 16 = 3.75; mR: five 2s, 6, 5, five 1s, 3, 1, 2 -> 32 / 15 = 2.1333;
    # lower limit 3.75 - 5.675 = -1.925, so -3 is outside (low) and starts a 7-point rise.
    r = xmr(v, improvement="up")
    assert r.lcl[0] == pytest.approx(3.75 - 2.66 * 32 / 15)
    assert idx(r.outside) == [6] and idx(r.trend) == [6, 7, 8, 9, 10, 11, 12]
    assert r.point_type[6] == "concern" and r.direction[6] == "low"        # outside, low: concern
    assert {r.point_type[i] for i in range(7, 13)} == {"improvement"}       # trend, rising: improvement
    assert r.flags(6) == ["outside", "trend"]


def test_outside_and_shift_on_one_point_types_it_once_in_the_right_direction():
    v = [16, 4, 16, 4, 11, 12, 11, 40, 11, 12, 11, 5, 10, 5, -18]
    # mean = 150 / 15 = 10; mR sum 36 + 7 + 1 + 1 + 29 + 29 + 1 + 1 + 6 + 5 + 5 + 23 = 144 / 14 = 10.286;
    # limits 10 +/- 27.36: 40 above, -18 below. 11..11 (positions 4-10) are seven above the mean.
    r = xmr(v, improvement="down")
    assert r.ucl[0] == pytest.approx(10 + 2.66 * 144 / 14)
    assert idx(r.outside) == [7, 14] and idx(r.shift) == [4, 5, 6, 7, 8, 9, 10]
    assert r.point_type[7] == "concern" and r.point_type[14] == "improvement"
    assert r.variation_icon == "special_cause_improvement_low"


# --- segments, trial limits and missing points ----------------------------------------------------

def test_fewer_than_twelve_points_give_trial_limits():
    assert xmr(KNOWN[:11]).trial is True
    assert xmr(KNOWN[:12]).trial is False
    assert xmr(KNOWN[:11], settings=SpcSettings(min_points=10)).trial is False
    assert summary(xmr(KNOWN[:11]))["segment"]["trial"] is True


def test_rebasing_gives_each_segment_its_own_mean_and_limits_and_no_run_crosses_it():
    first = [7, 9, 7, 9, 11, 13, 11, 13]     # mean 80 / 8 = 10, mR all 2; ends with 4 above its mean
    second = [21, 23, 21, 19, 17, 19]        # mean 120 / 6 = 20, mR all 2; starts with 3 above its mean
    periods = pd.period_range("2023-01", periods=14, freq="M")
    r = xmr(first + second, periods=periods, rebase_at=[pd.Period("2023-09", "M")])
    assert r.segment == (0,) * 8 + (1,) * 6
    assert set(r.mean[:8]) == {10} and set(r.mean[8:]) == {20}
    # the 13 -> 21 jump (8) is not a moving range of either segment: both keep mean(mR) = 2
    assert r.ucl[0] == pytest.approx(10 + 2 * 2.66) and r.ucl[-1] == pytest.approx(20 + 2 * 2.66)
    assert not any(r.shift) and not any(r.trend)       # 4 + 3 above would be 7 if runs crossed
    assert r.trial and r.baseline_points == (8, 6)
    assert xmr(first + second, rebase_at=[8]).mean == r.mean            # a position works too
    assert any(xmr(first + second).shift)               # without the break, one mean: a shift
    with pytest.raises(ValueError, match="rebase_at"):
        xmr(first + second, periods=periods, rebase_at=[pd.Period("2025-01", "M")])


def test_missing_points_are_typed_missing_and_no_moving_range_spans_a_gap():
    v = [16, 4, 16, 4, 11, 12, 11, NAN, 11, 12, 11, 12, 5, 10, 5]
    # present values sum to 140 over 14 points: mean 10.
    # mR: 12, 12, 12, 7, 1, 1, (none across the gap), 1, 1, 1, 7, 5, 5 -> 65 / 12
    r = xmr(v, improvement="up")
    assert r.point_type[7] == "missing" and r.direction[7] is None and r.flags(7) == []
    assert r.mean[7] == 10                          # lines still run through the gap
    assert r.ucl[0] == pytest.approx(10 + 2.66 * 65 / 12)
    # the gap neither breaks nor extends the run: 7 present points above the mean
    assert idx(r.shift) == [4, 5, 6, 8, 9, 10, 11]
    assert summary(r)["shift"]["length"] == 7 and summary(r)["n_missing"] == 1


def test_a_gap_inside_a_rise_does_not_break_the_trend():
    v = TREND[:9] + [NAN] + TREND[9:]                # 1, 2, 3, gap, 4, 5, 6, 7
    r = xmr(v)
    assert idx(r.trend) == [6, 7, 8, 10, 11, 12, 13]
    assert xmr([NAN, NAN]).variation_icon is None


def test_nothing_but_missing_or_one_point_has_no_limits():
    r = xmr([NAN, 3.0])
    assert math.isnan(r.ucl[1]) and r.point_type == ("missing", "common_cause") and r.trial


# --- icons, assurance, description ----------------------------------------------------------------

ENDING = [5, 3, 5, 3, 5, 3, 5, 3, 1, 2, 3, 4, 5, 6, 7]
# mean 60 / 15 = 4; mR: seven 2s, 2, six 1s -> 22 / 14 = 1.571; limits 4 +/- 4.18; near 4 +/- 2.787:
# 1 and 7 are close but alone on their side; the last 7 points rise.


def test_summary_describes_the_latest_trend_for_a_sentence():
    periods = pd.period_range("2024-01", periods=15, freq="M")
    r = xmr(ENDING, periods=periods, improvement="down")
    assert r.variation_icon == "special_cause_concern_high"
    s = summary(r, last_n=6)
    assert s["trend"] == {"direction": "up", "length": 7, "start": "2024-09", "end": "2025-03", "ongoing": True,
                          "type": "concern"}
    assert s["shift"] is None and s["rules_recent"] == ["trend"]
    assert s["latest_period"] == "2025-03" and s["latest_type"] == "concern" and s["latest_value"] == 7
    assert s["segment"]["mean"] == 4 and s["segment"]["ucl"] == pytest.approx(4 + 2.66 * 22 / 14)
    json.dumps(s)


def test_describe_gives_json_rows_with_iso_periods():
    periods = pd.date_range("2024-01-01", periods=16, freq="MS")
    rows = describe(xmr(TREND[:9] + [NAN] + TREND[10:], periods=periods))
    assert rows[0]["period"] == "2024-01-01" and rows[9] == {
        "period": "2024-10-01", "value": None, "segment": 0, "mean": rows[9]["mean"], "ucl": rows[9]["ucl"],
        "lcl": rows[9]["lcl"], "type": "missing", "direction": None, "rules": []}
    json.dumps(rows)


@pytest.mark.parametrize("improvement, target, expected", [
    # limits of the known answer: 57.10 to 96.24
    ("up", 50, "consistently_pass"), ("up", 100, "consistently_fail"), ("up", 80, "inconsistent"),
    ("down", 100, "consistently_pass"), ("down", 50, "consistently_fail"), ("neutral", 50, None), ("up", None, None),
])
def test_assurance_against_a_target(improvement, target, expected):
    assert xmr(KNOWN, improvement=improvement, target=target).assurance == expected


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="improvement must be one of"):
        xmr(KNOWN, improvement="higher")
    with pytest.raises(ValueError, match="periods has 2 entries"):
        xmr(KNOWN, periods=[1, 2])
    with pytest.raises(ValueError, match="trend_length"):
        SpcSettings(trend_length=1)


# --- rare events and exact Poisson ----------------------------------------------------------------

def test_time_between_events_chart_back_transforms_its_limits():
    start = pd.Timestamp("2024-01-01")
    gaps = [10, 20] * 7                                  # 14 gaps: 15 events
    dates = list(start + pd.to_timedelta(np.cumsum([0] + gaps), unit="D"))
    a, b = 10 ** (1 / 3.6), 20 ** (1 / 3.6)               # 1.8957, 2.2985
    mean_y, amr = (a + b) / 2, b - a                      # every moving range is b - a
    end = dates[-1] + pd.Timedelta(days=30)
    r = rare_events(dates[::-1] + [pd.Timestamp("2023-06-01")], start, end)   # unsorted, one before the period
    assert r.count == 15 and r.excluded == 1 and r.days_between == tuple(float(g) for g in gaps)
    assert r.centre_days == pytest.approx(mean_y ** 3.6)
    assert r.ucl_days == pytest.approx((mean_y + LIMIT * amr) ** 3.6)    # about 63.6 days
    assert r.lcl_days == pytest.approx((mean_y - LIMIT * amr) ** 3.6)    # about 1.10 days
    assert r.days_since_last == 30 and not r.open_gap_signal and not r.trial
    later = rare_events(dates, start, dates[-1] + pd.Timedelta(days=100))
    assert later.open_gap_signal                        # 100 days without an event > 63.6
    assert rare_events([], start, end).trial and rare_events([], start, end).days_since_last == (end - start).days


@pytest.mark.parametrize("count, lower, upper", [(0, 0.0, 3.689), (10, 4.795, 18.390), (1, 0.0253, 5.572)])
def test_poisson_interval_matches_published_exact_limits(count, lower, upper):
    lo, hi = poisson_interval(count)
    assert lo == pytest.approx(lower, abs=5e-4) and hi == pytest.approx(upper, abs=5e-4)
    lo12, hi12 = poisson_interval(count, exposure=12)
    assert lo12 == pytest.approx(lo / 12) and hi12 == pytest.approx(hi / 12)


def test_compare_poisson_is_the_conditional_binomial_test():
    c = compare_poisson(10, 1000.0, 25, 5000.0)
    direct = stats.binomtest(10, 35, p=1000 / 6000)
    assert c.p_value == pytest.approx(direct.pvalue)
    assert c.expected1 == pytest.approx(5.0) and c.rate_ratio == pytest.approx((10 / 1000) / (25 / 5000))
    ci = direct.proportion_ci(method="exact")
    # p / (1 - p) x e2 / e1, with e2 / e1 = 5
    assert c.ci_low == pytest.approx(ci.low / (1 - ci.low) * 5)
    assert c.ci_high == pytest.approx(ci.high / (1 - ci.high) * 5)
    assert compare_poisson(0, 1.0, 0, 1.0).p_value == 1.0


def test_compare_poisson_against_a_large_peer_group_approaches_the_poisson_tail():
    # 2 deaths where 0.7 were expected: P(X >= 2 | 0.7) = 1 - e^-0.7 (1 + 0.7) = 0.1558, and no count
    # below 2 is as unlikely, so the exact two-sided p is 0.156 ("p = 0.16").
    c = compare_poisson(2, 1.0, 70_000, 100_000.0)
    assert c.expected1 == pytest.approx(0.7)
    assert c.p_value == pytest.approx(1 - math.exp(-0.7) * 1.7, abs=2e-3)
    with pytest.raises(ValueError, match="whole number"):
        compare_poisson(1.5, 1.0, 2, 1.0)


def test_a_peak_between_a_rise_and_a_fall_belongs_to_both_runs():
    r = xmr([1, 2, 3, 4, 5, 6, 7, 6, 5, 4, 3, 2, 1])   # 1..7 rises (7 points), 7..1 falls (7 points)
    trends = [(run.direction, run.first, run.last, run.length) for run in r.runs if run.rule == "trend"]
    assert trends == [("high", 0, 6, 7), ("low", 6, 12, 7)]
    assert all(r.trend)
