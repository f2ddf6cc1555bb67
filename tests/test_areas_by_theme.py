"""Areas for enquiry by theme (issue 10.2): one area per theme, its severity the highest of its findings, its
evidence all of them, at most eight on the first page."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from datapack.analysis import facility_context
from datapack.analysis.enquiry import SEVERITY_ORDER, Finding, MasterList, by_theme, load_master_list

BUILT = dt.datetime(2026, 10, 15)


def _finding(entry, subject, severity, theme):
    return Finding(entry, entry.title(), severity, subject, f"{entry} {subject}.", {}, theme)


def test_one_area_per_theme_with_the_highest_severity_most_severe_first():
    master = load_master_list()
    found = [_finding("RISE-12M", "self_harm", "medium", "self_harm"),
             _finding("SPC-CONCERN", "self_harm", "high", "self_harm"),
             _finding("RECS-OVERDUE", "recommendations_overdue", "medium", "followup"),
             _finding("CROWDING", "crowding", "low", "crowding"),
             _finding("SURVEY-PEERS", "detainee:q1", "medium", "safety_reported"),
             _finding("SURVEY-PREVIOUS", "detainee:q1", "medium", "safety_reported")]
    areas = by_theme(found, master)
    assert [(a["id"], a["severity"], a["findings"]) for a in areas] == [
        ("self_harm", "high", [0, 1]), ("safety_reported", "medium", [4, 5]), ("followup", "medium", [2]),
        ("crowding", "low", [3])]
    assert all(a["prompt"] for a in areas)


def test_a_finding_goes_to_its_indicator_entry_or_survey_before_its_question_theme():
    master = load_master_list()
    book = {("staff", "q9"): {"theme": "safety"}, ("detainee", "q9"): {"theme": "safety"},
            ("detainee", "q3"): {"theme": "respect"}}
    assert master.theme_of("SPC-CONCERN", "assaults_on_staff").id == "violence"
    assert master.theme_of("DEATH-SI", "deaths_self_inflicted").id == "deaths"
    assert master.theme_of("SURVEY-PEERS", "staff:q9", book).id == "staff"  # a staff answer about safety
    assert master.theme_of("SURVEY-PEERS", "detainee:q9", book).id == "safety_reported"
    assert master.theme_of("SURVEY-PREVIOUS", "detainee:q3", book).id == "respect"
    assert master.theme_of("EQUALITY", "strip_search:ethnicity:Black").id == "equality"
    assert master.theme_of("NEW-ENTRY", "something").id == "other"  # the last theme catches the rest


def _shipped() -> dict:
    from importlib.resources import files

    return yaml.safe_load(files("datapack.defaults").joinpath("enquiry.yaml").read_text(encoding="utf-8"))


def test_a_master_list_without_themes_gives_one_area_per_finding():
    data = _shipped()
    data.pop("themes")
    master = MasterList.model_validate(data)
    found = [_finding("RISE-12M", "self_harm", "medium", None), _finding("CROWDING", "crowding", "low", None)]
    assert [a["findings"] for a in by_theme(found, master)] == [[0], [1]]


def test_a_theme_naming_an_unknown_entry_is_refused():
    data = _shipped()
    data["themes"][0]["entries"].append("NO-SUCH")
    with pytest.raises(ValueError, match="NO-SUCH"):
        MasterList.model_validate(data)


@pytest.mark.parametrize("fid", ["KSM", "NGT", "CSB", "HWM", "LLS"])
def test_a_demo_pack_has_at_most_eight_areas_first_each_a_theme_with_all_its_findings(demo_analysis, fid):
    a = demo_analysis
    enquiry = facility_context(a.estate, fid, a.control, BUILT, analysis=a)["enquiry"]
    areas = enquiry["areas"]
    assert sum(area["first_page"] for area in areas) <= a.settings.first_page_areas
    assert [area["first_page"] for area in areas] == sorted((area["first_page"] for area in areas), reverse=True)
    assert len({area["id"] for area in areas}) == len(areas)  # one area per theme
    # every finding in exactly one area, and each area as severe as its most severe finding
    placed = sorted(i for area in areas for i in area["findings"])
    assert placed == list(range(len(enquiry["findings"])))
    for area in areas:
        severities = [enquiry["findings"][i]["severity"] for i in area["findings"]]
        assert area["severity"] == min(severities, key=SEVERITY_ORDER.__getitem__)
        assert all(enquiry["findings"][i]["theme"] == area["id"] for i in area["findings"])
    assert [SEVERITY_ORDER[area["severity"]] for area in areas] == sorted(SEVERITY_ORDER[ar["severity"]] for ar in areas)


def test_kestrel_moor_has_its_self_harm_in_one_area(demo_analysis):
    a = demo_analysis
    enquiry = facility_context(a.estate, "KSM", a.control, BUILT, analysis=a)["enquiry"]
    self_harm = [area for area in enquiry["areas"] if area["id"] == "self_harm"]
    assert len(self_harm) == 1 and len(self_harm[0]["findings"]) >= 3
    assert len(enquiry["findings"]) > len(enquiry["areas"])


@pytest.mark.parametrize("fid", ["KSM", "HWM", "CSB", "BRF", "LLS"])
def test_the_summary_is_drawn_from_the_areas_and_a_death_heads_it(demo_analysis, fid):
    a = demo_analysis
    context = facility_context(a.estate, fid, a.control, BUILT, analysis=a)
    sentences, enquiry = context["glance"]["sentences"], context["enquiry"]
    deaths = [ar for ar in enquiry["areas"] if ar["id"] == "deaths"]
    if deaths:
        assert sentences[0] == enquiry["findings"][deaths[0]["findings"][0]]["sentence"]
    listed = next((s for s in sentences if s.startswith("Areas for enquiry")), None)
    first = [ar for ar in enquiry["areas"] if ar["first_page"]]
    if first:
        assert listed and all(ar["title"].lower() in listed for ar in first)
    else:
        assert "Nothing in the data held was raised for enquiry." in sentences
    # the incidents' own 10% summary is not repeated beside areas that judge rises by another rule
    assert context["incidents"].get("summary") not in sentences or not context["incidents"].get("summary")


def test_hollowmeres_death_heads_its_summary(demo_analysis):
    a = demo_analysis
    sentences = facility_context(a.estate, "HWM", a.control, BUILT, analysis=a)["glance"]["sentences"]
    assert sentences[0].startswith("1 self-inflicted death was recorded")
