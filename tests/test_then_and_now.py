"""The key indicators then and now (issue 10.6): the window before the last visit, worked again by hand from
the canonical incident and population rows rather than from the indicator series."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from datapack.analysis import facility_context


@pytest.fixture(scope="module")
def ksm(demo_analysis):
    a = demo_analysis
    return a, facility_context(a.estate, "KSM", a.control, dt.datetime(2026, 10, 15), analysis=a)


def test_self_harm_before_the_last_visit_matches_a_count_by_hand(ksm):
    a, context = ksm
    visits = a.estate.table("visits")
    start = visits.loc[visits["facility_id"] == "KSM", "start"].max()
    last = start.to_period("M") - 1
    first = last - 11
    incidents = a.estate.table("incidents")
    months = incidents["occurred"].dt.to_period("M")
    mine = incidents[(incidents["facility_id"] == "KSM") & (incidents["category"] == "self_harm")
                     & (months >= first) & (months <= last)]
    count = mine["count"].astype("Float64").fillna(1).sum()
    pop = a.estate.table("population")
    pmonths = pop["month"].dt.to_period("M")
    average = pop.loc[(pop["facility_id"] == "KSM") & (pmonths >= first) & (pmonths <= last), "population"].mean()
    row = next(r for r in context["indicators"] if r["id"] == "self_harm")
    assert row["then"]["period"] == f"{first.strftime('%b %Y')}–{last.strftime('%b %Y')}"
    assert row["then"]["count"]["value"] == count
    assert row["then"]["rate"]["value"] == pytest.approx(count / average * 1000)
    assert row["then"]["now"] == row["rate"]  # the last window's rate is the key indicators' own
    change = row["rate"]["value"] / row["then"]["rate"]["value"] - 1
    assert row["then"]["change"]["text"].startswith(f"{'up' if change > 0 else 'down'} {abs(change):.0%}")


def test_counts_of_people_and_crowding_are_not_set_against_the_visit(ksm):
    _a, context = ksm
    rows = {r["id"]: r for r in context["indicators"]}
    assert rows["crowding"]["then"] is None and rows["self_harm_individuals"]["then"] is None


def test_a_visit_inside_the_last_window_gives_no_then(demo_analysis):
    from datapack.analysis.figures import before_visit

    a = demo_analysis
    ind = a.definitions.get("self_harm")
    inside = pd.Timestamp(str(a.results.windows.end.start_time.date())) - pd.Timedelta(days=40)
    assert before_visit(a, "KSM", ind, inside) is None
    assert before_visit(a, "KSM", ind, None) is None
    too_early = pd.Timestamp(str(a.results.windows.series_start.start_time.date()))
    assert before_visit(a, "KSM", ind, too_early) is None  # no months before the series began
