"""Control charts as Making Data Count reads them (issue 10.3): limits from a baseline, recalculated at a confirmed
shift, and a rise never turns the months before it into an improvement."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from datapack.analysis.spc import baseline_chart, summary, xmr

#: 24 steady months (a fixed, hand-written series around 10), then 12 months around 16: a planted rise.
STEADY = [10.2, 9.1, 10.8, 9.6, 10.4, 9.9, 11.0, 9.3, 10.1, 10.6, 9.4, 10.0,
          10.7, 9.2, 10.3, 9.8, 10.9, 9.5, 10.2, 9.7, 10.5, 9.6, 10.1, 10.0]
RISE = [15.8, 16.4, 15.5, 16.9, 16.1, 15.7, 16.6, 16.2, 15.9, 16.8, 16.0, 16.3]
PERIODS = [f"{2023 + i // 12}-{i % 12 + 1:02d}" for i in range(36)]


def test_limits_over_every_month_make_the_steady_months_look_like_an_improvement():
    # what the issue found: the rise pulls the mean up, so the steady months sit in a long run below it
    whole = xmr(STEADY + RISE, PERIODS, improvement="down")
    assert "improvement" in whole.point_type[:24]


def test_a_planted_rise_after_a_steady_baseline_is_a_concern_and_no_baseline_month_an_improvement():
    chart = baseline_chart(STEADY + RISE, PERIODS, improvement="down", baseline=12)
    assert set(chart.point_type[:24]) == {"common_cause"}
    assert set(chart.point_type[24:]) == {"concern"}
    assert chart.variation_icon == "special_cause_concern_high"
    # the limits of the first 12 months, by hand: mean and 2.66 x mean moving range
    first = np.array(STEADY[:12])
    assert chart.mean[0] == pytest.approx(first.mean())
    assert chart.ucl[0] == pytest.approx(first.mean() + 2.66 * np.abs(np.diff(first)).mean())
    # the shift is confirmed and the limits recalculated from its first month: a step
    assert chart.segment[23] == 0 and chart.segment[24] == 1
    assert chart.mean[24] == pytest.approx(np.mean(RISE))
    reading = summary(chart)
    assert reading["latest_type"] == "concern" and reading["shift"]["start"] == "2025-01"
    assert reading["shift"]["direction"] == "above"


def test_a_steady_series_keeps_one_baseline():
    chart = baseline_chart(STEADY + STEADY[:12], PERIODS, improvement="down", baseline=12)
    assert set(chart.segment) == {0} and "concern" not in chart.point_type


def test_a_sparse_series_is_not_given_a_baseline_of_zeros():
    # 12 months with none, then single events: limits of 0 would make each one a special cause
    sparse = [0.0] * 12 + [0, 0, 3.3, 0, 0, 0, 0, 0, 3.1, 0, 0, 0]
    chart = baseline_chart(sparse, PERIODS[:24], improvement="down", baseline=12)
    assert chart.point_type == xmr(sparse, PERIODS[:24], improvement="down").point_type


def test_in_the_demo_every_area_from_a_control_chart_agrees_with_its_chart(demo_analysis):
    from datapack.analysis import facility_context

    a = demo_analysis
    seen = 0
    for fid in a.estate.facilities["facility_id"]:
        context = facility_context(a.estate, fid, a.control, dt.datetime(2026, 10, 15), analysis=a)
        for finding in context["enquiry"]["findings"]:
            if not finding["id"].startswith("SPC-CONCERN"):
                continue
            chart = finding["evidence"]["links"].get("chart")
            assert chart and chart.startswith("chart-spc-"), finding
            spc = context["spc"][chart.removeprefix("chart-spc-")]
            assert "only common cause" not in spc["summary"], (fid, finding["sentence"], spc["summary"])
            seen += 1
    assert seen, "the demo plants rises that the charts pick up"


def test_a_series_with_too_little_to_show_is_a_sentence_not_a_chart(demo_analysis):
    from datapack.analysis import facility_context
    from datapack.charts import facility_charts
    from datapack.render import render_html

    a = demo_analysis
    context = facility_context(a.estate, "QLC", a.control, dt.datetime(2026, 10, 15), analysis=a)
    quiet = [s for s in context["spc"].values() if s["sparse"] and not s["drawn"]]
    assert quiet, "the demo's custody suite records chemical restraint in no month"
    linked = {t for f in context["enquiry"]["findings"] for t in f["evidence"]["links"].values()}
    html = render_html(context, facility_charts(context))
    for series in quiet:
        months = sum(1 for p in series["points"] if p["value"])
        assert months < 6 and series["icon"] in (None, "common_cause")
        assert series["id"] not in context["charts"] and f"chart-{series['id']}" not in linked
        assert series["summary"] == series["sparse_text"] and series["summary"].startswith("Not charted:")
        assert series["summary"] in html
        assert f'id="chart-{series["id"]}"' not in html
    drawn = [s for s in context["spc"].values() if s["drawn"]]
    assert drawn and all(s["id"] in context["charts"] for s in drawn)
