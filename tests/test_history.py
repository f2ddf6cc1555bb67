"""Build history and the emerging-issues digest: a first build says there is nothing to compare with; a
second build after one source changes shows exactly the new signals, and the peers worth a look."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import click
import openpyxl
import pytest
from click.testing import CliRunner

from datapack import history
from datapack.analysis.estate import analyse
from datapack.build import manifest
from datapack.cli_exchange import register
from datapack.config import load_config
from datapack.demo import generate
from datapack.disclosure import Control
from datapack.history import FIRST_BUILD, HistoryError, digest, record_build, render_digest_html, render_digest_json
from datapack.ingest import load_estate
from datapack.writer import LOCK, MARKER

LOG_2026 = Path("sources/incidents/incident_log_2026.xlsx")


def _record(root: Path, when: dt.datetime, as_of: str = "2026-10-15") -> int:
    config = load_config(root / "datapack.yaml")
    estate = load_estate(config)
    analysis = analyse(estate, Control(config.disclosure), as_of=as_of)
    return record_build(config.resolve(config.history), analysis, when, manifest(estate, when)["inputs"])


def _append_incidents(root: Path, rows: list[list]) -> None:
    book = openpyxl.load_workbook(root / LOG_2026)
    for row in rows:
        book["Incidents"].append(row)
    book.save(root / LOG_2026)


def _incident(ref: str, facility: str, day: int, kind: str, sub: str, person: str) -> list:
    return [ref, facility, dt.datetime(2026, 9, day, 10, 0), kind, sub, None, "N", None, person, "30-39", "Male",
            "White", "Christian", "N", "British", "Wing A", dt.datetime(2026, 1, 1)]


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """Build 1 on the demo; build 2 after 60 self-harm incidents at Northgate in its latest month; build 3
    after a self-inflicted death at Castlebridge, judged three months later."""
    root = tmp_path_factory.mktemp("history")
    generate(root, facilities=12, months=36)
    db = root / ".datapack-history.sqlite"
    first = _record(root, dt.datetime(2026, 10, 15, 9))
    _append_incidents(root, [_incident(f"IR-2026-9{i:05d}", "NGT", 1 + i % 28, "Self harm", "Cutting/scratching",
                                       f"P-NEW{i:03d}") for i in range(60)])
    second = _record(root, dt.datetime(2026, 10, 16, 9))
    _append_incidents(root, [_incident("IR-2026-999999", "CSB", 20, "Death in Custody", "Self-inflicted", "P-DEAD1")])
    third = _record(root, dt.datetime(2027, 1, 16, 9), as_of="2027-01-16")
    return {"root": root, "db": db, "ids": (first, second, third),
            "digests": [digest(db, first), digest(db, second), digest(db, third)]}


def _signals(rows: list[dict]) -> set[tuple[str, str, str]]:
    return {(r["facility_id"], r["indicator"], r["kind"]) for r in rows}


@pytest.mark.slow  # three analyses of the whole demo estate
def test_the_first_build_says_plainly_there_is_nothing_to_compare_with(builds):
    first = builds["digests"][0]
    assert first["first_build"] and first["previous"] is None
    assert first["summary"] == FIRST_BUILD == "This is the first build recorded; there is nothing to compare with."
    assert not any(first[k] for k in ("new_signals", "new_outliers", "ended_signals", "new_deaths", "newly_overdue"))
    assert FIRST_BUILD in render_digest_html(first)


@pytest.mark.slow  # three analyses of the whole demo estate
def test_a_second_build_after_one_source_changes_shows_exactly_the_new_signals(builds):
    second = builds["digests"][1]
    assert second["previous"]["id"] == builds["ids"][0] and not second["first_build"]
    assert second["inputs_changed"] == [{"source": "incident_log_latest", "file": "incident_log_2026.xlsx",
                                         "change": "changed"}]
    assert _signals(second["new_signals"]) == {("NGT", "self_harm", "spc_concern"),
                                               ("NGT", "self_harm_individuals", "spc_concern")}
    assert {s["period"] for s in second["new_signals"]} == {"2026-09"}
    assert second["new_outliers"] == second["ended_signals"] == second["new_deaths"] == second["newly_overdue"] == []
    assert second["summary"] == "Since the build of 2026-10-15T09:00:00: 2 new special-cause signals."


@pytest.mark.slow  # three analyses of the whole demo estate
def test_look_elsewhere_lists_the_peers_with_their_figures_and_signals(builds):
    concerns = {(c["facility_id"], c["indicator"]): c for c in builds["digests"][1]["look_elsewhere"]}
    assert set(concerns) == {("NGT", "self_harm"), ("NGT", "self_harm_individuals")}
    self_harm = concerns[("NGT", "self_harm")]
    assert self_harm["compared_with"] == "same peer group (Category B reception)"
    peers = {s["facility_id"]: s for s in self_harm["similar"]}
    assert set(peers) == {"KSM", "CSB"}
    assert peers["KSM"]["figure"] == "1,037" and peers["KSM"]["rate"] == "1,210.9 per 1,000 average population"
    # KSM is compared with the six prisons (its peer group of three is under analysis.min_peers), above whose
    # funnel's 95% limit it lies
    assert peers["KSM"]["signals"] == ["Above the 95% limit against peers", "Special cause: concern"]
    assert peers["KSM"]["same_entry"]
    assert peers["CSB"]["signals"] == [] and not peers["CSB"]["same_entry"]


@pytest.mark.slow  # three analyses of the whole demo estate
def test_a_new_death_is_counted_and_prompts_a_look_elsewhere(builds):
    third = builds["digests"][2]
    # the digest is the team's, so the count is shown (a public audience would hide it)
    assert [(d["facility_id"], d["month"], d["cause"], d["count"]["text"]) for d in third["new_deaths"]] == [
        ("CSB", "2026-09", "self_inflicted", "1")]
    assert third["new_deaths"][0]["count"]["value"] == 1
    death = [c for c in third["look_elsewhere"] if c["entry"] == "DEATH-SI"]  # the death, or the area it raises
    assert [(c["facility_id"], c["indicator"]) for c in death] == [("CSB", "deaths_self_inflicted")]
    assert {s["facility_id"] for s in death[0]["similar"]} == {"NGT", "KSM"}


@pytest.mark.slow  # three analyses of the whole demo estate
def test_recommendations_falling_due_between_builds_are_newly_overdue(builds):
    third = builds["digests"][2]
    assert third["newly_overdue"]
    assert all("2026-10-16" <= r["due"] < "2027-01-16" for r in third["newly_overdue"])


@pytest.mark.slow  # three analyses of the whole demo estate
def test_the_history_is_one_sqlite_file_with_a_schema_version_and_every_build(builds):
    with sqlite3.connect(builds["db"]) as con:
        assert con.execute("SELECT version FROM schema_version").fetchall() == [(len(history.MIGRATIONS),)]
        rows = con.execute("SELECT id, tool_version, configuration_sha256, inputs FROM builds ORDER BY id").fetchall()
        assert [r[0] for r in rows] == list(builds["ids"])
        assert all(len(r[2]) == 64 and json.loads(r[3])[0]["sha256"] for r in rows)
        assert con.execute("SELECT count(*) FROM deaths WHERE build_id = ?", (builds["ids"][2],)).fetchone()[0] > 0
        columns = {r[1] for r in con.execute("PRAGMA table_info(deaths)")}
        assert columns == {"build_id", "facility_id", "month", "cause", "count"}  # counts only: no person data


@pytest.mark.slow  # three analyses of the whole demo estate
def test_a_build_that_fails_to_record_leaves_no_trace(builds, monkeypatch):
    def broken(analysis, findings=None):
        return {"facilities": [("X", "X", "prison", "X")], "figures": [("too", "few")]}

    monkeypatch.setattr(history, "build_state", broken)
    with pytest.raises(HistoryError):
        record_build(builds["db"], _FakeAnalysis(), dt.datetime(2027, 2, 1), [])
    with sqlite3.connect(builds["db"]) as con:
        assert con.execute("SELECT max(id) FROM builds").fetchone()[0] == builds["ids"][2]
        assert con.execute("SELECT count(*) FROM facilities WHERE facility_id = 'X'").fetchone()[0] == 0


class _FakeAnalysis:
    """Just enough of an analysis for record_build's own bookkeeping."""

    def __init__(self):
        import pandas as pd

        from datapack.config import Config

        self.estate = type("E", (), {"config": Config(sources=[{"name": "r", "table": "facilities", "path": "x"}])})
        self.as_of = pd.Timestamp("2027-02-01")


def test_a_damaged_history_file_is_reported_with_what_to_do(tmp_path):
    damaged = tmp_path / "history.sqlite"
    damaged.write_bytes(b"not a database at all" * 100)
    with pytest.raises(HistoryError, match="move the file aside"):
        digest(damaged)


@pytest.mark.slow  # three analyses of the whole demo estate
def test_the_digest_is_a_self_contained_page_with_marking_headings_and_header_rows(builds):
    page = render_digest_html(builds["digests"][1])
    assert page.count("OFFICIAL-SENSITIVE") >= 3 and "<h1>" in page and '<th scope="col">Indicator</th>' in page
    assert "<style>" in page and "<link" not in page and "<script" not in page
    assert "HMP Northgate" in page and "Self-harm incidents" in page
    assert json.loads(render_digest_json(builds["digests"][1]))["summary"] == builds["digests"][1]["summary"]
    for each in builds["digests"]:  # every section of the template renders (undefined names are errors)
        assert each["summary"] in render_digest_html(each)


@pytest.mark.slow  # three analyses of the whole demo estate
def test_datapack_digest_prints_the_last_build_and_writes_the_files_when_asked(builds, tmp_path):
    @click.group()
    def cli() -> None:
        """Test group."""

    register(cli)
    result = CliRunner().invoke(cli, ["digest", "--config", str(builds["root"] / "datapack.yaml"),
                                      "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1].startswith(f"Build {builds['ids'][2]} of 2027-01-16T09:00:00. Since")
    assert "Deaths newly recorded:" in result.output
    assert sorted(p.name for p in tmp_path.iterdir() if p.name not in (MARKER, LOCK)) == ["digest.html", "digest.json"]
    off = builds["root"] / "history-off.yaml"
    off.write_text((builds["root"] / "datapack.yaml").read_text() + "\nhistory: null\n")
    result = CliRunner().invoke(cli, ["digest", "--config", str(off)])
    assert result.exit_code == 1 and "history is turned off" in result.output


def test_a_build_of_one_facility_leaves_the_history_and_the_digest_as_they_were(tmp_path):
    """The history and digest cover every facility, like the comparison: a build of some records nothing."""
    from datapack.build import build

    root = tmp_path / "demo"
    generate(root, facilities=12, months=36)
    first = _record(root, dt.datetime(2026, 10, 15, 9))
    db = root / ".datapack-history.sqlite"
    before = db.read_bytes()
    out = tmp_path / "output"
    result = build(load_config(root / "datapack.yaml"), facilities=["NGT"], output=out, formats=("html",),
                   built_at=dt.datetime(2026, 10, 16, 9), jobs=1)
    assert list(result.written) == ["NGT"] and not result.failed
    assert db.read_bytes() == before  # no build recorded: the next full build compares with build `first`
    with sqlite3.connect(db) as con:
        assert [r[0] for r in con.execute("SELECT id FROM builds")] == [first]
    assert not (out / "digest.html").exists() and not (out / "digest.json").exists()
    assert any("build without --facility" in note and "history" in note for note in result.notes)
