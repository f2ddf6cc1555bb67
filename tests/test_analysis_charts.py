"""Charts of the analysis: control charts, funnels, survey dot plots, forest plots and recommendations.

Small hand-made contexts with the schema of ``datapack.analysis.findings_context``
and ``people_context`` pin down what each chart says and never shows; one
test draws every chart of a real context built from the demo estate.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from datapack.charts import Chart, chart, facility_charts

ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"
SVG_NS = "{http://www.w3.org/2000/svg}"
#: A value no chart could print by chance: if it reaches a chart, a hidden figure leaked.
SECRET = 3.14159


def _svg_text(svg: str) -> str:
    """All the words in an SVG (text elements only, not path coordinates)."""
    root = ET.fromstring(svg)
    return " ".join("".join(el.itertext()) for el in root.iter(f"{SVG_NS}text"))


def _months(n: int, start: int = 2025) -> list[str]:
    return [f"{start + (i // 12)}-{i % 12 + 1:02d}" for i in range(n)]


def _spc(n: int = 18, hidden: tuple[int, ...] = (5,), trial: bool = False, rise: int = 8) -> dict:
    """A rate chart: flat, then rising for ``rise`` months; a break (new segment) at month 6."""
    points = []
    for i, period in enumerate(_months(n)):
        segment = 0 if i < 6 else 1
        mean, ucl, lcl = (50.0, 80.0, 20.0) if segment == 0 else (60.0, 90.0, 30.0)
        value = 50.0 + (i % 3) if i < n - rise else 60.0 + 5.0 * (i - (n - rise))
        kind = "concern" if i >= n - rise else "common_cause"
        if i == 2:
            kind = "improvement"
        if i == 3:
            kind = "neutral"
        is_hidden = i in hidden
        points.append({"period": period, "label": period, "value": SECRET if is_hidden else value,
                       "hidden": is_hidden, "type": "hidden" if is_hidden else kind,
                       "mean": mean, "ucl": ucl, "lcl": lcl, "segment": segment})
    return {"id": "spc-self_harm", "label": "Self-harm incidents", "measure": "rate",
            "unit": "per 1,000 population", "points": points, "trial": trial, "icon": "special_cause_concern_high",
            "icon_text": "", "breaks": [points[6]["period"]], "hidden_points": len(hidden), "summary": ""}


def _funnel(this_hidden: bool = False) -> dict:
    sizes = [200.0, 400.0, 600.0, 800.0, 1000.0]
    points = [{"label": f"Peer {i}", "this": False, "denominator": d, "value": 90.0 + 5 * i, "hidden": False,
               "flag": "within"} for i, d in enumerate(sizes[1:])]
    points.insert(1, {"label": "HMP Testbridge", "this": True, "denominator": 300.0,
                      "value": SECRET if this_hidden else 180.0, "hidden": this_hidden, "flag": "above_95"})
    return {"id": "funnel-self_harm", "label": "Self-harm incidents", "target": 100.0, "adjusted": True,
            "compared_with": "peers", "group": "Category B", "flag": "above_95", "flag_text": "Above the 95% limit",
            "per": "per 1,000 population", "points": points,
            "curve": {"denominators": sizes,
                      "lines": [{"level": 0.95, "lower": [60, 70, 75, 78, 80], "upper": [140, 130, 125, 122, 120]},
                                {"level": 0.998, "lower": [40, 55, 62, 66, 68],
                                 "upper": [160, 145, 138, 134, 132]}]}}


def _fig(value, hidden: bool = False) -> dict:
    if hidden:
        return {"text": "[c]", "value": None, "hidden": True}
    return {"text": f"{value:.0f}%" if value is not None else "no data", "value": value, "hidden": False}


def _shade(kind: str) -> dict:
    return {"label": kind, "kind": kind, "shape": {"better": "▲", "worse": "▼", "same": "●", "none": "○"}[kind]}


def _survey() -> dict:
    def row(q, text, pct, peers, kind, hidden=False, good="up"):
        return {"question": q, "text": text, "theme": "safety", "n": {"text": "120", "value": 120, "hidden": False},
                "pct": _fig(SECRET if hidden else pct, hidden), "previous": _fig((pct or 20) - 3),
                "peers": _fig(peers), "vs_previous": _shade("same"), "vs_peers": _shade(kind),
                "good_direction": good}
    rows = [row("q1", "Is there a member of staff you could turn to if you had a problem on your wing or in "
                      "your workplace, at any time of day?", 53, 73, "worse"),
            row("q2", "Do most staff here treat you with respect?", 80, 70, "better"),
            row("q3", "Have you ever felt unsafe here?", 30, 31, "same", good="down"),
            row("q4", "Have you been victimised by staff here?", None, 12, "none", hidden=True)]
    return {"survey": "detainee", "label": "Detainee survey", "wave": "2026", "previous_wave": "2024",
            "peers_included": 2, "chart": "survey-detainee", "rows": rows, "worse": 1, "better": 1}


def _equality() -> dict:
    def row(group, ratio, low, high, flagged=False):
        return {"group": group, "reportable": True, "people": {"text": "40", "value": 40, "hidden": False},
                "share": "20%", "population_share": "12%", "ratio": ratio, "low": low, "high": high,
                "flagged": flagged, "label": "disproportionately high" if flagged else "no disproportion flagged"}
    rows = [row("Black", 1.71, 1.3, 2.25, flagged=True), row("White", 0.9, 0.75, 1.08),
            {"group": "Other", "reportable": False, "people": {"text": "[c]", "value": None, "hidden": True},
             "share": None, "population_share": None, "ratio": None, "low": None, "high": None, "flagged": False,
             "label": "too few to report"}]
    return {"id": "equality-use_of_force-ethnicity", "practice": "use_of_force", "practice_label": "Use of force",
            "characteristic": "ethnicity", "characteristic_label": "ethnicity", "confidence": 99, "threshold": 1.25,
            "rows": rows, "flagged": 1, "chart": "equality-use_of_force-ethnicity"}


def _recommendations() -> dict:
    counts = {"achieved": 6, "partly_achieved": 5, "not_achieved": 2, "open": 1, "no_longer_applicable": 0}
    labels = {"achieved": "Achieved", "partly_achieved": "Partly achieved", "not_achieved": "Not achieved",
              "open": "Open", "no_longer_applicable": "No longer applicable"}
    return {"available": True, "total": {"text": "14", "value": 14, "hidden": False},
            "by_status": [{"status": s, "label": labels[s], "count": {"text": str(n), "value": n, "hidden": False}}
                          for s, n in counts.items()]}


def context(**overrides) -> dict:
    """A hand-made facility context with one chart of each new kind."""
    ctx = {"facility": {"name": "HMP Testbridge"}, "disclosure": {"threshold": 5, "symbol": "[c]"},
           "indicators": [{"id": "self_harm", "good_direction": "down"}],
           "spc": {"self_harm": _spc()}, "funnels": {"self_harm": _funnel()},
           "survey_comparisons": [_survey()], "equality": [_equality()], "recommendations": _recommendations(),
           "charts": ["spc-self_harm", "funnel-self_harm", "survey-detainee", "equality-use_of_force-ethnicity",
                      "recommendations"]}
    return ctx | overrides


def _check(c: Chart | None) -> Chart:
    assert c is not None
    assert c.png.startswith(PNG)
    ET.fromstring(c.svg)  # well-formed XML
    assert c.title and c.alt
    return c


def test_control_chart_alt_text_names_the_indicator_latest_value_and_finding():
    c = _check(chart(context(), "spc-self_harm"))
    assert "self-harm incidents per 1,000 population" in c.alt
    assert "The latest point, 95.0 in June 2026, is a special cause of concern" in c.alt
    assert "rose for 8 consecutive months" in c.alt and "above the upper limit of 90.0" in c.alt
    assert "Since July 2025: mean 60.0; limits 30.0 to 90.0." in c.alt
    assert "95.0" in _svg_text(c.svg)  # the latest point is labelled on the chart


def test_control_chart_never_shows_a_hidden_month_and_says_how_many_are_not_shown():
    c = _check(chart(context(), "spc-self_harm"))
    assert "1 of the 18 months is not shown: the numbers are small (fewer than 5)" in c.alt
    assert "3.14" not in c.alt and "3.14" not in _svg_text(c.svg)
    assert "Fewer than 5: not shown" in _svg_text(c.svg)


def test_control_chart_names_its_shapes_breaks_and_trial_limits():
    c = _check(chart(context(spc={"self_harm": _spc(n=10, rise=3, trial=True)}), "spc-self_harm"))
    words = _svg_text(c.svg)
    for label in ("Mean", "Control limits (trial)", "Common cause", "Special cause: improvement",
                  "Special cause: concern (high)", "Special cause: neither better nor worse", "Series break",
                  "Trial limits: fewer than 12 points"):
        assert label in words
    assert "trial limits" in c.title and "trial limits" in c.alt


def test_control_chart_with_a_hidden_latest_month_reports_the_latest_shown_point():
    c = _check(chart(context(spc={"self_harm": _spc(hidden=(5, 17))}), "spc-self_harm"))
    assert "The latest month, June 2026, is not shown because the number is small." in c.alt
    assert "The latest point shown is 90.0 in May 2026." in c.alt
    assert "3.14" not in c.alt and "3.14" not in _svg_text(c.svg)


def test_funnel_alt_text_names_the_facility_its_figure_and_its_flag():
    c = _check(chart(context(), "funnel-self_harm"))
    assert "self-harm incidents" in c.alt
    assert "HMP Testbridge: 180.0 per 1,000 population, above the 95% limit (pooled rate 100.0)." in c.alt
    words = _svg_text(c.svg)
    assert "HMP Testbridge" in words and "95% limits" in words and "99.8% limits" in words


def test_funnel_names_each_peer_beside_its_point_and_ranks_them_in_the_alt_text():
    c = _check(chart(context(), "funnel-self_harm"))
    words = _svg_text(c.svg)
    assert all(f"Peer {i}" in words for i in range(4))
    # Peers 0-3 are at 90, 95, 100 and 105: highest first, as the chart reads from top to bottom.
    assert "Other places, highest rate first: Peer 3 105.0; Peer 2 100.0; Peer 1 95.0; Peer 0 90.0." in c.alt


def test_a_funnel_of_many_places_names_none_of_them():
    from datapack.charts.funnel import MAX_LABELLED

    section = _funnel()
    section["points"] += [{"label": f"Place {i}", "this": False, "denominator": 500.0 + i, "value": 99.0,
                           "hidden": False, "flag": "within"} for i in range(MAX_LABELLED)]
    c = _check(chart(context(funnels={"self_harm": section}), "funnel-self_harm"))
    assert "Place 3" not in _svg_text(c.svg) and "highest rate first" not in c.alt


def test_funnel_with_the_facility_hidden_names_it_without_a_value():
    c = _check(chart(context(funnels={"self_harm": _funnel(this_hidden=True)}), "funnel-self_harm"))
    assert "HMP Testbridge's figure is not shown because the number is small" in c.alt
    assert "above the 95% limit" in c.alt
    assert "3.14" not in c.alt and "3.14" not in _svg_text(c.svg)
    assert "HMP Testbridge: fewer than 5, not shown" in _svg_text(c.svg)


def test_survey_dot_plot_lists_significant_differences_and_leaves_hidden_figures_out():
    c = _check(chart(context(), "survey-detainee"))
    assert "Dot plot of 4 questions from the detainee survey 2026" in c.alt
    assert "Significantly worse than similar places on 1: Is there a member of staff" in c.alt
    assert "(53% against 73%)" in c.alt
    assert "Significantly better than similar places on 1: Do most staff here treat you with respect" in c.alt
    assert "1 figure is not shown because few people answered." in c.alt
    words = _svg_text(c.svg)
    assert "not shown" in words and "3.14" not in words and "n = 120" in words
    assert "(lower is better)" in words and "…" in words  # a long question is shortened
    for label in ("Significantly worse than similar places", "Significantly better than similar places",
                  "Similar places", "Previous survey (2024)"):
        assert label in words


def test_forest_plot_marks_flagged_groups_in_words_and_lists_small_groups_without_figures():
    c = _check(chart(context(), "equality-use_of_force-ethnicity"))
    assert "use of force by ethnicity" in c.alt
    assert "Flagged for enquiry: Black 1.71 (1.30 to 2.25)" in c.alt
    assert "Too few to report: Other." in c.alt
    words = _svg_text(c.svg)
    assert "flagged: higher" in words and "too few to report" in words and "1.71 (1.30–2.25)" in words


def test_recommendations_chart_gives_every_status_and_what_needs_action():
    c = _check(chart(context(), "recommendations"))
    assert c.alt.startswith("Bar chart of the 14 recommendations from past visits by status: 6 achieved, "
                            "5 partly achieved, 2 not achieved, 1 open, 0 no longer applicable.")
    assert "8 still need action" in c.alt
    assert chart(context(recommendations={"available": False, "by_status": []}), "recommendations") is None


def test_the_same_context_gives_the_same_bytes():
    first, second = facility_charts(context()), facility_charts(context())
    assert [c.id for c in first] == context()["charts"]
    assert [(c.png, c.svg, c.alt) for c in first] == [(c.png, c.svg, c.alt) for c in second]


def test_unknown_chart_ids_raise_and_ids_for_absent_data_draw_nothing():
    with pytest.raises(ValueError, match="spc-<indicator>"):
        chart(context(), "pie-self_harm")
    with pytest.raises(ValueError):
        chart(context(), "spc-")
    assert chart(context(), "spc-not_an_indicator") is None
    assert chart(context(), "survey-staff") is None


@pytest.fixture(scope="module")
def real_context(demo_analysis) -> dict:
    from datapack.analysis import facility_context

    estate, control = demo_analysis.estate, demo_analysis.control
    return facility_context(estate, "KSM", control, dt.datetime(2026, 10, 15), analysis=demo_analysis)


def test_every_chart_of_a_real_context_draws(real_context):
    ids = real_context["charts"]
    assert "recommendations" in ids
    for prefix in ("spc-", "funnel-", "survey-"):  # KSM flags no group, so it draws no equality forest plot
        assert any(i.startswith(prefix) for i in ids)
    charts = facility_charts(real_context)
    assert {c.id for c in charts} <= set(ids)
    for c in charts:
        _check(c)
    spc = real_context["spc"]["self_harm"]
    drawn = next(c for c in charts if c.id == "spc-self_harm")
    latest = next(p for p in reversed(spc["points"]) if p["value"] is not None)
    assert spc["label"].lower() in drawn.alt.lower() and f"{latest['value']:,.1f}" in drawn.alt


def _keys(links: set[str]) -> dict:
    """Three indicators, hand-made: a quiet one, one with a signal, a quiet one an area points to; one group."""
    def series(ind, icon, sparse=False):
        return {"id": f"spc-{ind}", "icon": icon, "sparse": sparse, "sparse_text": "Too few to chart.",
                "drawn": True, "summary": "a reading"}
    return {"enquiry": {"findings": [{"evidence": {"links": {"chart": t for t in links}}}]},
            "spc": {"quiet": series("quiet", "common_cause"), "loud": series("loud", "concern"),
                    "pointed": series("pointed", "common_cause"), "thin": series("thin", None, sparse=True)},
            "funnels": {"quiet": {"id": "funnel-quiet", "flag": "within"},
                        "loud": {"id": "funnel-loud", "flag": "above_99"}},
            "indicators": [{"id": i} for i in ("quiet", "loud", "pointed", "thin")],
            "equality": [{"chart": "equality-restraint", "flagged": []}]}


def test_charts_are_drawn_where_they_show_a_signal_or_an_area_points_to_them():
    from datapack.analysis.profile import QUIET_TEXT, _choose_charts

    keys = _keys({"chart-spc-pointed"})
    _choose_charts(keys, every=False)
    drawn = {k: v["drawn"] for k, v in keys["spc"].items()}
    assert drawn == {"quiet": False, "loud": True, "pointed": True, "thin": False}
    assert keys["spc"]["quiet"]["summary"].startswith(QUIET_TEXT[:40])
    assert keys["spc"]["thin"]["summary"] == "Too few to chart."
    assert {k: v["drawn"] for k, v in keys["funnels"].items()} == {"quiet": False, "loud": True}
    rows = {r["id"]: (r["detail"], r["reviewed"], r["too_few"]) for r in keys["indicators"]}
    assert rows == {"quiet": (False, True, None), "loud": (True, False, None), "pointed": (True, False, None),
                    "thin": (False, False, "Too few to chart.")}  # said why, not "nothing to highlight"
    assert keys["equality"][0]["drawn"] is False


def test_analysis_charts_all_draws_every_chart_with_something_to_show():
    from datapack.analysis.profile import _choose_charts

    keys = _keys(set())
    _choose_charts(keys, every=True)
    assert {k: v["drawn"] for k, v in keys["spc"].items()} == {"quiet": True, "loud": True, "pointed": True,
                                                               "thin": False}  # too few points is never a chart
    assert all(f["drawn"] for f in keys["funnels"].values())
    assert keys["equality"][0]["drawn"] is True
