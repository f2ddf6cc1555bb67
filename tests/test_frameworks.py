"""A framework for every type (issue 10.5): each pack is sectioned by the framework of the body that visits it."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from datapack.analysis import facility_context
from datapack.indicators import IndicatorSet, load_indicators

BUILT = dt.datetime(2026, 10, 15)
SHIPPED = {"prison": "hmip", "yoi": "hmip", "womens_prison": "hmip", "irc": "hmip_irc",
           "police_custody": "custody", "court_cells": "custody", "secure_hospital": "cqc",
           "secure_childrens_home": "children", "secure_training_centre": "children", "short_term_holding": "hmip_irc",
           "other": "hmip"}


@pytest.mark.parametrize("kind, framework", sorted(SHIPPED.items()))
def test_every_type_has_the_framework_of_the_body_that_visits_it(kind, framework):
    definitions = load_indicators()
    assert definitions.framework_for(kind) == framework
    placed = {ind.id: ind.sections.get(framework) for ind in definitions.indicators}
    assert None not in placed.values(), [i for i, s in placed.items() if s is None]


def _context(analysis, fid):
    return facility_context(analysis.estate, fid, analysis.control, BUILT, analysis=analysis)


def test_the_demo_packs_are_sectioned_by_their_type(demo_analysis):
    a = demo_analysis
    hospital, custody, prison = _context(a, "LLS"), _context(a, "HSC"), _context(a, "KSM")
    assert hospital["framework"]["title"] == "Care Quality Commission key questions"
    assert [s["title"] for s in hospital["framework"]["sections"]] == ["Safe", "Effective", "Caring", "Responsive",
                                                                       "Well-led"]
    assert {r["section"] for r in hospital["indicators"]} <= {"safe", "caring", "responsive"}
    assert custody["framework"]["id"] == "custody"
    assert prison["framework"]["id"] == "hmip" and len(prison["framework"]["sections"]) == 4


def test_a_section_with_no_indicator_held_is_one_line_saying_so(demo_analysis):
    from datapack.charts import facility_charts
    from datapack.render import render_html

    context = _context(demo_analysis, "KSM")
    held = [m for m in context["measures"] if m["section"] == "purposeful_activity"]
    assert held, "the demo holds KSM's time out of cell"
    html = render_html(context, facility_charts(context))
    assert '<h3 id="section-purposeful_activity">3. Purposeful activity</h3>' in html
    assert "Purposeful activity: measures the place reports" in html
    assert "No indicator for purposeful activity is held for this facility." not in html
    # Without the measures, the section has nothing held: one line says so.
    context = {**context, "measures": [m for m in context["measures"] if m["section"] != "purposeful_activity"]}
    html = render_html(context, facility_charts(context))
    assert "No indicator for purposeful activity is held for this facility." in html
    assert "Purposeful activity: measures the place reports" not in html


def _shipped() -> dict:
    from importlib.resources import files

    return yaml.safe_load(files("datapack.defaults").joinpath("indicators.yaml").read_text(encoding="utf-8"))


def test_a_type_claimed_by_two_frameworks_is_refused():
    data = _shipped()
    data["frameworks"]["cqc"]["types"].append("prison")
    with pytest.raises(ValueError, match="claimed by frameworks 'hmip' and 'cqc'"):
        IndicatorSet.model_validate(data)


class _Analysis:
    """Just what the framework section reads: the indicator set and the pack's framework."""

    def __init__(self, definitions: IndicatorSet, framework: str):
        self.definitions, self._framework = definitions, framework

    def framework_id(self, facility_id: str) -> str:
        return self._framework


def test_an_indicator_a_framework_does_not_place_goes_under_other_indicators():
    from datapack.analysis import profile

    data = _shipped()
    assert profile._framework(_Analysis(IndicatorSet.model_validate(data), "cqc"), "LLS")["sections"][-1]["id"] \
        == "well_led"
    for ind in data["indicators"]:
        if ind["id"] == "strip_search":
            del ind["sections"]["cqc"]
    framework = profile._framework(_Analysis(IndicatorSet.model_validate(data), "cqc"), "LLS")
    assert framework["sections"][-1] == {"id": "other", "title": "Other indicators"}
