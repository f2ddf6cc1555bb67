"""Deaths since the last visit (issue 10.6): hand-made incident and visit rows, expectations worked by hand."""

from __future__ import annotations

import pandas as pd

from datapack.analysis.deaths import deaths_section
from datapack.config import Disclosure
from datapack.disclosure import Control

TEAM = Control(Disclosure(threshold=5, audience="team"))
PUBLIC = Control(Disclosure(threshold=5, audience="public"))


def _incidents(rows: list[tuple[str, str, str | None]], investigation: list[str | None] | None = None):
    frame = pd.DataFrame({"facility_id": "A", "occurred": pd.to_datetime([r[0] for r in rows]),
                          "category": [r[1] for r in rows], "subcategory": [r[2] for r in rows],
                          "count": pd.array([1] * len(rows), dtype="Int64"),
                          "person_ref": [f"P-{i:04d}" for i in range(len(rows))]})
    if investigation is not None:
        frame["investigation"] = investigation
    return frame


VISITS = pd.DataFrame({"facility_id": ["A", "A"], "start": pd.to_datetime(["2024-03-04", "2025-07-28"]),
                       "end": pd.to_datetime(["2024-03-08", "2025-07-29"])})
ROWS = [("2025-07-29 10:00", "death", "natural"),      # the visit's last day: before "since"
        ("2025-08-02 03:10", "death", "self_inflicted"),
        ("2025-09-14 12:00", "self_harm", None),
        ("2026-01-20 22:40", "death", "awaiting")]


def test_the_team_pack_lists_each_death_since_the_day_after_the_last_visit_ended():
    out = deaths_section(_incidents(ROWS, ["PPO investigation ongoing", None, None, None]), VISITS,
                         pd.Timestamp("2025-10-01"), TEAM)
    assert out["since"] == "the last visit (29 July 2025)"
    assert out["count"]["value"] == 2
    assert [(r["date"], r["cause"], r["investigation"]) for r in out["rows"]] == [
        ("2 August 2025", "self-inflicted", None), ("20 January 2026", "awaiting classification", None)]
    assert out["summary"].startswith("2 deaths are recorded since the last visit (29 July 2025): 2 August 2025, "
                                     "self-inflicted; 20 January 2026, awaiting classification.")
    assert "not held" in out["summary"]  # neither death since the visit has a status
    assert not any("P-" in str(v) for r in out["rows"] for v in r.values())


def test_investigation_status_is_shown_where_held():
    out = deaths_section(_incidents(ROWS, [None, "Report published", None, "PPO investigation ongoing"]), VISITS,
                         None, TEAM)
    assert [r["investigation"] for r in out["rows"]] == ["Report published", "PPO investigation ongoing"]
    assert out["investigation_held"] and "not held" not in out["summary"]


def test_without_a_visit_the_window_is_used_and_no_death_is_said_plainly():
    out = deaths_section(_incidents(ROWS[2:3]), VISITS.iloc[0:0], pd.Timestamp("2025-10-01"), TEAM)
    assert out["since"] == "1 October 2025, the start of the last window"
    assert out["count"]["value"] == 0 and out["rows"] == []
    assert out["summary"] == "No death is recorded since 1 October 2025, the start of the last window."


def test_public_outputs_give_only_the_number_under_the_small_count_rule():
    out = deaths_section(_incidents(ROWS), VISITS, None, PUBLIC)
    assert out["rows"] == [] and out["count"]["hidden"]
    assert "a small number" in out["summary"] and "August" not in out["summary"]


def test_no_incident_records_is_a_state():
    out = deaths_section(pd.DataFrame(), VISITS, None, TEAM)
    assert not out["available"] and out["rows"] == [] and "No incident records" in out["summary"]


def test_a_death_since_the_last_visit_that_raised_no_area_heads_the_summary():
    from datapack.analysis.glance import glance_section

    dead = deaths_section(_incidents(ROWS), VISITS, None, TEAM)
    enquiry = {"version": "t", "areas": [], "findings": []}
    pop, inc, recs = {"summary": "Population line."}, {"available": True}, {"available": False}
    sentences = glance_section(pop, inc, [], recs, enquiry, dead)["sentences"]
    assert sentences[0] == dead["summary"] and sentences[1] == "Population line."
    # A deaths area's finding heads it instead: the area and the summary say the same thing.
    area = {"version": "t", "areas": [{"id": "deaths", "findings": [0], "title": "Deaths", "severity": "high",
                                       "first_page": True}], "findings": [{"sentence": "A death was recorded."}]}
    assert glance_section(pop, inc, [], recs, area, dead)["sentences"][0] == "A death was recorded."
    none = deaths_section(_incidents(ROWS[2:3]), VISITS, None, TEAM)
    assert glance_section(pop, inc, [], recs, enquiry, none)["sentences"][0] == "Population line."
