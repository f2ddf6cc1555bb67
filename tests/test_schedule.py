"""The visit programme: a transparent priority whose score is the sum of its parts, with gateway rules."""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
from pathlib import Path
from types import SimpleNamespace

import click
import jinja2.meta
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from openpyxl import load_workbook
from pydantic import ValidationError

from datapack.analysis.estate import analyse
from datapack.cli_managers import ranked_lines, register
from datapack.config import Schedule, load_config
from datapack.disclosure import Control
from datapack.estate_views import factors
from datapack.estate_views.render import render_schedule_html
from datapack.estate_views.schedule import schedule, schedule_context, weigh
from datapack.estate_views.xlsx import render_schedule_xlsx
from datapack.ingest import load_estate
from datapack.render.html import environment

ROOT = Path(__file__).resolve().parents[1]
BUILT = dt.datetime(2026, 10, 15, 9, 0)
PLANTED = ("HWM", "KSM", "CSB", "NGT")


@pytest.fixture(scope="module")
def analysis(demo_analysis_at):
    return demo_analysis_at(BUILT)


@pytest.fixture(scope="module")
def rows(analysis):
    return schedule(analysis)


def _by_id(rows):
    return {r["id"]: r for r in rows}


def test_the_planted_high_concern_places_rank_above_the_quiet_one_each_with_reasons(rows):
    ranked = _by_id(rows)
    assert [r["rank"] for r in rows] == list(range(1, 13))
    for fid in PLANTED:
        assert ranked[fid]["rank"] < ranked["BRF"]["rank"], fid
        assert ranked[fid]["reasons"] and not ranked[fid]["reasons"][0].startswith("Nothing"), fid
    assert ranked["BRF"]["rank"] == 12 and ranked["BRF"]["band"]["id"] == "routine"
    assert ranked["BRF"]["reasons"] == ["Nothing in the data brings this visit forward: the routine programme applies."]
    # each planted concern is named in its own reasons
    words = {"HWM": "self-inflicted death", "KSM": "self-harm", "CSB": "recommendations", "NGT": "use of force"}
    for fid, word in words.items():
        assert any(word in r.lower() for r in ranked[fid]["reasons"]), (fid, ranked[fid]["reasons"])
    assert all(ranked[fid]["band"]["id"] in ("urgent", "priority") for fid in PLANTED)


def test_hollowmeres_self_inflicted_death_is_a_gateway_to_an_urgent_visit(rows):
    hwm = rows[0]
    assert hwm["id"] == "HWM" and hwm["band"]["id"] == "urgent"
    gate = next(g for g in hwm["gateways"] if g["id"] == "self_inflicted_death")
    assert gate["band"] == "urgent" and "28 July 2025" in gate["reason"]
    assert hwm["reasons"][0].startswith("Gateway: a self-inflicted death since the last visit")
    deaths = next(f for f in hwm["factors"] if f["id"] == "deaths")
    assert deaths["score"] == 1.0 and deaths["raw"] == "deaths in the last 12 months: 1 (self-inflicted: 1)"


def test_every_score_is_the_sum_of_its_parts(rows, analysis):
    weights = analysis.estate.config.schedule.weights.model_dump()
    for r in rows:
        parts = r["factors"]
        assert [p["id"] for p in parts] == [fid for fid, _, _ in factors.FACTORS]
        assert r["score"] == pytest.approx(sum(p["points"] for p in parts), abs=1e-9), r["id"]
        available = [p for p in parts if p["available"]]
        # redistributed: the shares of the factors with data make 100; factors without data add nothing
        total = sum(weights[p["id"]] for p in available)
        for p in parts:
            share = 100 * weights[p["id"]] / total if p["available"] else 0.0
            assert p["effective_weight"] == pytest.approx(share, abs=0.05)
            assert p["points"] == pytest.approx((p["score"] or 0) * share, abs=0.051), (r["id"], p["id"])
            assert (p["score"] is None) == (not p["available"]) == (p["score_text"] == "no data")
        assert sum(p["effective_weight"] for p in available) == pytest.approx(100, abs=0.3)
        assert 0 <= r["score"] <= 100


def test_with_missing_as_zero_the_weights_are_not_redistributed(analysis, rows):
    settings = analysis.estate.config.schedule.model_copy(update={"missing": "zero"})
    zero = _by_id(schedule(analysis, settings))
    for fid, r in zero.items():
        assert sum(p["effective_weight"] for p in r["factors"]) == pytest.approx(100, abs=0.3)
        assert all(p["points"] == 0 for p in r["factors"] if not p["available"])
        assert r["score"] <= _by_id(rows)[fid]["score"] + 1e-9


def test_a_gateway_overrides_the_score_and_can_be_turned_off(analysis):
    base = analysis.estate.config.schedule
    high = [b.model_copy(update={"min_score": s}) for b, s in zip(base.bands, (99, 98, 0))]
    strict = _by_id(schedule(analysis, base.model_copy(update={"bands": high})))
    assert strict["HWM"]["score_band"]["id"] == "routine" and strict["HWM"]["band"]["id"] == "urgent"
    assert strict["HWM"]["band"]["source"] == "gateway"
    assert strict["CSB"]["band"]["id"] == "priority"  # most recommendations not achieved
    off = _by_id(schedule(analysis, base.model_copy(update={
        "bands": high, "gateway_self_inflicted_death": None, "gateway_unmet_recommendations": None})))
    assert off["HWM"]["band"]["id"] == "routine" and not off["HWM"]["gateways"]


def test_family_contact_is_scored_against_places_holding_it_or_shown_as_no_data():
    context = pd.DataFrame({"facility_id": ["A", "B", "C", "D", "A"], "factor": ["Family visits"] * 5,
                            "period_start": pd.to_datetime(["2026-01-01"] * 4 + ["2025-01-01"]),
                            "value": [2.0, 6.0, 4.0, 8.0, 99.0], "unit": ["per 100 people"] * 5})
    fake = SimpleNamespace(estate=SimpleNamespace(table=lambda name: context))
    settings = Schedule()

    def read(fid):
        return factors.family_contact(fake, factors.Facts(fid, "prison", None, None, None), settings)

    assert read("A").score == 1.0 and read("D").score == 0.0  # the latest value counts, not the 2025 one
    assert read("C").score == pytest.approx(2 / 3) and "per 100 people" in read("C").raw
    assert read("E").score is None and read("E").raw.startswith("no data")
    weighed = weigh([("signals", "S", factors.Reading("x", 0.5)), ("family_contact", "F", factors.Reading("n", None)),
                     *((fid, fid, factors.Reading("", 0.0)) for fid, _, _ in factors.FACTORS
                       if fid not in ("signals", "family_contact"))], settings)
    family = next(p for p in weighed if p["id"] == "family_contact")
    assert family["points_text"] == "no data" and family["effective_weight"] == 0.0
    signals = next(p for p in weighed if p["id"] == "signals")
    assert signals["effective_weight"] == pytest.approx(100 * 20 / 97, abs=0.05)


def test_the_settings_are_checked_with_the_valid_choices_named(analysis):
    with pytest.raises(ValidationError, match="unknown band 'soon'; bands are urgent, priority, routine"):
        Schedule(gateway_self_inflicted_death="soon")
    with pytest.raises(ValidationError, match="unknown facility types \\['jail'\\]"):
        Schedule(vulnerability={"default": 0.3, "jail": 1.0})
    with pytest.raises(ValidationError, match="the last band must have min_score 0"):
        Schedule(bands=[{"id": "only", "label": "Visit", "min_score": 10, "months": 12}])
    with pytest.raises(ValueError, match="unknown indicators \\['isolation'\\]"):
        schedule(analysis, Schedule(restriction_indicators=["segregation", "isolation"]))
    example = re.search(r"```yaml\n(.*?)```", (ROOT / "docs" / "comparison.md").read_text(), re.S).group(1)
    assert Schedule.model_validate(yaml.safe_load(example)["schedule"]).missing == "zero"


def test_the_schedule_html_shows_each_score_with_its_parts_and_the_marking(analysis, rows):
    context = schedule_context(analysis, BUILT, rows=rows)
    html = render_schedule_html(context)
    assert html.count('aria-label="Classification marking">OFFICIAL-SENSITIVE</div>') == 2
    assert "not a judgement" in html and "rates no facility" in html
    assert html.count('<tr class="total"><th scope="row">Priority score</th>') == 12
    for r in rows:
        assert f'<h3 id="f-{r["id"]}">{r["rank"]}. ' in html.replace("&amp;", "&")
    assert 'aria-sort="none"' in html and "http" not in "".join(re.findall(r'(?:src|href)="([^"]*)"', html))
    env = environment([ROOT / "templates"])
    used = jinja2.meta.find_undeclared_variables(env.parse((ROOT / "templates" / "schedule.html.j2").read_text()))
    assert used <= set(context), sorted(used - set(context))
    evil = copy.deepcopy(context)
    evil["facilities"][0]["name"] = "<script>alert(1)</script>"
    assert "<script>alert(1)" not in render_schedule_html(evil)


def test_the_schedule_xlsx_keeps_formulas_out_and_adds_up(analysis, rows):
    context = copy.deepcopy(schedule_context(analysis, BUILT, rows=rows))
    context["facilities"][0]["name"] = '=HYPERLINK("http://x","y")'
    book = load_workbook(io.BytesIO(render_schedule_xlsx(context)))
    cell = book["Programme"]["C2"]
    assert cell.value == '=HYPERLINK("http://x","y")' and cell.data_type == "s" and cell.quotePrefix
    records = list(book["Score parts"].iter_rows(values_only=True))
    head = records[0]
    parts = [dict(zip(head, r)) for r in records[1:]]
    scores = {r[2]: r[7] for r in book["Programme"].iter_rows(min_row=2, values_only=True)}
    for name, score in scores.items():
        points = [p["Points"] for p in parts if p["Facility"] == name and p["Points"] != "no data"]
        assert sum(points) == pytest.approx(score, abs=1e-6), name


@pytest.mark.slow
def test_the_commands_write_through_the_writer_and_print_a_ranked_list(tmp_path):
    group = click.Group("datapack")
    register(group)
    runner = CliRunner()
    result = runner.invoke(group, ["schedule", "--config", str(ROOT / "datapack.yaml"), "--output",
                                   str(tmp_path), "--quiet"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Suggested visit programme (an aid to prioritising, not a rating)")
    assert re.match(r"\s+1\. HMP & YOI Hollowmere\s+\d+\.\d\s+Unannounced full visit within 3 months", lines[1])
    assert "Gateway: a self-inflicted death since the last visit" in lines[2]
    # besides the two files, only the folder's marker and lock (hidden): see datapack/output_dir.py
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["schedule.html", "schedule.xlsx"]
    assert {p.name for p in tmp_path.iterdir() if p.name.startswith(".")} <= {".datapack-output", ".datapack-lock"}
    result = runner.invoke(group, ["compare", "--config", str(ROOT / "datapack.yaml"), "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (f"Wrote comparison.html, comparison.docx, comparison.xlsx, "
                                              f"comparison.json to {tmp_path.resolve()}")
    assert {p.name for p in tmp_path.iterdir()} >= {"comparison.html", "comparison.docx", "comparison.xlsx",
                                                   "comparison.json"}
    missing = runner.invoke(group, ["compare", "--config", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 1 and "nothing was done" in missing.output


def test_ranked_lines_show_the_first_reasons():
    rows = [{"rank": 1, "name": "A", "score_text": "61.0", "band": {"label": "Soon"},
             "reasons": ["r1", "r2", "r3", "r4"]}]
    assert ranked_lines(rows) == ["  1. A   61.0  Soon", "       - r1", "       - r2", "       - r3"]
