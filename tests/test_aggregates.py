"""Packs from aggregates alone: published counts of any grain, population only, follow-up only, no register.

Each fixture in tests/fixtures/aggregates/ is one shape a body's data takes; the expected figures
are worked out by hand from the fixture files.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from datapack.analysis import facility_context
from datapack.analysis.estate import analyse
from datapack.cli import main
from datapack.config import load_config
from datapack.disclosure import Control
from datapack.ingest import load_estate
from datapack.problems import InputError

from conftest import FIXTURES

HERE = FIXTURES / "aggregates"
BUILT = dt.datetime(2025, 1, 20, 9, 0)
ASSAULTS = "assault+assault_on_detainee+assault_on_staff+fight"  # the assaults indicator's measure name

REGISTER = {"name": "register", "table": "facilities", "path": str(HERE / "register.csv"),
            "columns": {"facility_id": "Code", "name": "Name", "facility_type": "Type", "function": "Function"}}
POPULATION = {"name": "population", "table": "population", "path": str(HERE / "population_by_month.csv"),
              "columns": {"facility": "Establishment", "month": "Month", "population": "Population",
                          "in_use_cna": "In use CNA"}, "dates": {"month": "%Y-%m"}}
WINDOWS = {"name": "safety_12_months", "table": "incident_counts",
           "path": str(HERE / "assaults_self_harm_12_months.csv"),
           "columns": {"facility": "Establishment", "period_start": "From", "period_end": "To"},
           "unpivot": {"columns": ["Self-harm incidents", "Assaults"], "names_to": "measure", "values_to": "count"},
           "values": {"measure": {"Self-harm incidents": "self_harm", "Assaults": ASSAULTS}}}
DEATHS = {"name": "deaths_by_force", "table": "incident_counts", "published": True,
          "path": str(HERE / "deaths_by_force_financial_year.csv"),
          "columns": {"facility": "Force", "period_start": "Period start", "period_end": "Period end",
                      "count": "Deaths in or following custody"}, "constants": {"measure": "death"}}
FORCE = {"name": "use_of_force", "table": "incident_counts", "path": str(HERE / "use_of_force_by_quarter.csv"),
         "columns": {"facility": "Centre", "period_start": "Quarter start", "period_end": "Quarter end",
                     "count": "Use of force"}, "constants": {"measure": "use_of_force"}}
RECOMMENDATIONS = {"name": "tracker", "table": "recommendations", "path": str(HERE / "recommendations.csv"),
                   "columns": {"ref": "Ref", "facility": "Establishment", "made": "Made", "text": "Recommendation",
                               "status": "Status", "due": "Due"}}
VISITS = {"name": "visits", "table": "visits", "path": str(HERE / "visits.csv"),
          "columns": {"visit_id": "Visit", "facility": "Establishment", "start": "Start", "end": "End",
                      "visit_type": "Type"}}


def _config(tmp_path: Path, sources: list[dict], **settings) -> Path:
    path = tmp_path / "datapack.yaml"
    path.write_text(yaml.safe_dump({"cache": None, "history": None, **settings, "sources": sources}), encoding="utf-8")
    return path


def _packs(path: Path) -> tuple[object, dict[str, dict]]:
    """The estate's analysis and every facility's context."""
    estate = load_estate(load_config(path))
    assert estate.report.errors == [], estate.report.errors
    control = Control(estate.config.disclosure)
    analysis = analyse(estate, control, as_of=BUILT)
    return analysis, {str(f): facility_context(estate, str(f), control, BUILT, analysis=analysis)
                      for f in estate.facilities["facility_id"]}


def _row(context: dict, indicator: str) -> dict:
    return next(r for r in context["indicators"] if r["id"] == indicator)


def test_four_places_are_too_few_to_compare_by_default_and_the_pack_says_so(tmp_path):
    _, packs = _packs(_config(tmp_path, [REGISTER, POPULATION, WINDOWS]))  # analysis.min_peers: 5
    assert "self_harm" not in packs["ALB"]["funnels"]
    row = _row(packs["ALB"], "self_harm")
    assert row["peer"]["compared_with"] == "none" and row["peer"]["flag"] is None
    assert row["peer"]["text"] == "not compared: only 3 other places of its type"


def test_one_12_month_window_a_year_gives_rates_change_and_a_funnel_against_peers(tmp_path):
    analysis, packs = _packs(_config(tmp_path, [REGISTER, POPULATION, WINDOWS], analysis={"min_peers": 4}))
    row = _row(packs["ALB"], "self_harm")
    assert row["periods"]["last"] == "2023/24" and row["periods"]["prev"] == "2022/23"  # April to March
    assert (row["last"]["text"], row["prev"]["text"]) == ("180", "120")
    assert (row["rate"]["text"], row["prev_rate"]["text"]) == ("300.0", "200.0")  # per 1,000 of 600 held
    assert row["change"]["text"] == "up 50% (worse)"
    funnel = packs["ALB"]["funnels"]["self_harm"]
    assert funnel["compared_with"] == "peers" and len(funnel["points"]) == 4
    # pooled rate of the four: (180 + 66 + 81 + 33) / (600 + 500 + 450 + 300) x 1,000
    assert funnel["target"] == pytest.approx(360 / 1850 * 1000, abs=1e-3)
    assert "spc-self_harm" not in packs["ALB"]["charts"]  # no monthly figures: no control chart


def test_suppressed_and_missing_counts_keep_the_publishers_symbols_and_small_ones_are_hidden_in_public(tmp_path):
    _, packs = _packs(_config(tmp_path, [REGISTER, POPULATION, WINDOWS]))
    birchmoor, dunmere = _row(packs["BCM"], "assaults"), _row(packs["DNM"], "assaults")
    assert birchmoor["prev"] == {"text": "[c]", "value": None, "hidden": True, "note": "suppressed by the publisher"}
    assert birchmoor["last"] == {"text": "3", "value": 3, "hidden": False}  # the team's pack shows counts
    assert dunmere["prev"]["text"] == ".." and dunmere["prev"]["note"] == "not available from the publisher"
    assert dunmere["last"]["text"] == "20"
    _, public = _packs(_config(tmp_path, [REGISTER, POPULATION, WINDOWS], disclosure={"audience": "public"}))
    birchmoor = _row(public["BCM"], "assaults")
    assert birchmoor["last"]["text"] == "[c]" and birchmoor["last"]["hidden"]  # 3: below the threshold of 5
    assert birchmoor["prev"]["note"] == "suppressed by the publisher"


def test_counts_from_a_published_source_are_shown_as_published(tmp_path):
    published = {**WINDOWS, "published": True}
    _, packs = _packs(_config(tmp_path, [REGISTER, POPULATION, published]))
    birchmoor = _row(packs["BCM"], "assaults")
    assert birchmoor["published"] and birchmoor["last"] == {"text": "3", "value": 3, "hidden": False}
    assert birchmoor["rate"]["text"] == "6.0"  # 3 per 500 held
    assert birchmoor["prev"]["text"] == "[c]"  # what the publisher itself suppressed stays suppressed


def test_financial_years_without_a_register_give_a_pack_per_force_with_the_years_as_published(tmp_path):
    config = _config(tmp_path, [DEATHS], facilities={"default_type": "police_custody"})
    analysis, packs = _packs(config)
    names = {c["facility"]["name"]: fid for fid, c in packs.items()}
    assert sorted(names) == ["Eastvale Police", "Northshire Police", "Westmoor Police"]
    north = packs[names["Northshire Police"]]
    assert north["facility"]["type"] == "police_custody"
    assert "No facility register is held" in north["held"]["register"]
    deaths = _row(north, "deaths")
    assert deaths["periods"]["last"] == "2023/24" and deaths["periods"]["prev"] == "2022/23"
    assert (deaths["last"]["text"], deaths["prev"]["text"]) == ("1", "3")  # published: not hidden
    assert [(t["label"], t["count"]["text"]) for t in deaths["trend"]] == [
        ("2019/20", "2"), ("2020/21", "1"), ("2021/22", "0"), ("2022/23", "3"), ("2023/24", "1")]
    east = _row(packs[names["Eastvale Police"]], "deaths")["trend"]
    assert east[3]["count"]["text"] == "*" and east[3]["count"]["note"] == "suppressed by the publisher"
    west = _row(packs[names["Westmoor Police"]], "deaths")
    assert west["last"]["text"] == ".."
    # the rare-event comparison: 1 death against 3 over years of the same length; under equal rates
    # the 1 of 4 is Binomial(4, 1/2), two-sided p = (1 + 4 + 4 + 1) / 16
    test = analysis.signals.rare_vs_previous[(names["Northshire Police"], "deaths")]
    assert test.p_value == pytest.approx(10 / 16)
    assert "no significant change (exact Poisson test, p = 0.625)" in deaths["rare"]
    assert "no population or detentions are held" in north["held"]["funnels"]


def test_quarters_add_up_to_the_year_and_the_latest_quarter_is_its_own_row(tmp_path):
    _, packs = _packs(_config(tmp_path, [FORCE], facilities={"default_type": "irc"}))
    by_name = {c["facility"]["name"]: c for c in packs.values()}
    fernhill, gorsedale = _row(by_name["Fernhill IRC"], "use_of_force"), _row(by_name["Gorsedale IRC"], "use_of_force")
    assert fernhill["periods"] == {"last": "2024", "prev": "2023", "quarter": "Oct–Dec 2024"}
    assert (fernhill["last"]["text"], fernhill["prev"]["text"]) == ("49", "46")  # 15+13+18+3, 12+9+14+11
    assert fernhill["quarter"]["text"] == "3"  # not published, but the team's pack shows counts
    assert gorsedale["last"]["text"] == "27" and gorsedale["prev"]["text"] == "[c]"  # a quarter of 2023 was [c]
    assert [t["label"] for t in fernhill["trend"]][:2] == ["Jan–Mar 2023", "Apr–Jun 2023"]


def test_population_alone_gives_crowding_and_says_what_is_not_held(tmp_path):
    _, packs = _packs(_config(tmp_path, [REGISTER, POPULATION]))
    crowding = _row(packs["DNM"], "crowding")
    assert crowding["rate"]["text"] == "120.0%"  # 300 held in 250 uncrowded places
    held = packs["DNM"]["held"]
    assert held["incidents"].startswith("No incident log is held: add a source for the incidents table")
    assert any(s.startswith("No incident log is held") for s in packs["DNM"]["glance"]["sentences"])
    assert held["surveys"].startswith("No survey is held")
    assert held["recommendations"].startswith("No recommendations from past visits are held")


def test_visits_and_recommendations_alone_build_follow_up_packs(tmp_path):
    config = _config(tmp_path, [REGISTER, RECOMMENDATIONS, VISITS])
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", "--config", str(config), "--output", str(out), "--quiet",
                                       "--format", "html"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["alb", "bcm", "cdf", "dnm", "public"]
    public = (out / "public" / "alb-summary.html").read_text(encoding="utf-8")  # absent data is a state there too
    assert "We do not hold a record of incidents here." in public and "At past visits, inspectors made" in public
    html = (out / "alb" / "datapack.html").read_text(encoding="utf-8")
    assert "Review the use of segregation" in html
    assert "No indicator can be worked out for this facility" in html
    assert "No incident log is held: add a source for the incidents table" in html


def test_no_register_and_no_default_type_is_refused_with_what_to_do(tmp_path):
    with pytest.raises(InputError) as caught:
        load_config(_config(tmp_path, [DEATHS]))
    assert "default_type" in str(caught.value) and "facility register" in str(caught.value)


def test_an_unknown_default_type_names_the_known_ones(tmp_path):
    with pytest.raises(InputError) as caught:
        load_config(_config(tmp_path, [DEATHS], facilities={"default_type": "police"}))
    assert "police_custody" in str(caught.value)
