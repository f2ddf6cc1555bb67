"""`datapack export`: a Frictionless data package that validates, carries no person-level data, hides
small counts so they cannot be worked back, is safe to open in a spreadsheet, and reads back in as a
source giving the same indicator figures."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace

import click
import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from datapack.adapters import get as get_adapter
from datapack.analysis.estate import analyse
from datapack.analysis.indicators import measure_name
from datapack.cli_exchange import register
from datapack.config import load_config
from datapack.disclosure import Control
from datapack.exchange import export_datapackage
from datapack.ingest import load_estate
from datapack.problems import InputError
from datapack.tables import schemas

ROOT = Path(__file__).resolve().parents[1]
CREATED = dt.datetime(2026, 10, 15, 9, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def original(demo_public_analysis_at):
    """The demo analysed as 'datapack export' analyses it: for the public, since the package leaves the team."""
    analysis = demo_public_analysis_at("2026-10-15")
    return analysis.estate, analysis


def test_a_package_is_never_written_from_the_teams_figures(demo_analysis, tmp_path):
    with pytest.raises(ValueError, match="leaves the team"):
        export_datapackage(demo_analysis.estate, demo_analysis, tmp_path / "datapackage", CREATED)
    assert not (tmp_path / "datapackage").exists()


@pytest.fixture(scope="module")
def package(original, tmp_path_factory) -> Path:
    estate, analysis = original
    return export_datapackage(estate, analysis, tmp_path_factory.mktemp("exchange") / "datapackage", CREATED)


def _read(package: Path, resource: str) -> pd.DataFrame:
    return pd.read_csv(package / f"{resource}.csv", dtype=str, keep_default_na=False)


def roundtrip_config(package: Path) -> dict:
    """A configuration reading the exported package back: every canonical column mapped to itself."""
    def source(table: str) -> dict:
        columns = [f["name"] for r in json.loads((package / "datapackage.json").read_text())["resources"]
                   if r["name"] == table for f in r["schema"]["fields"]]
        return {"name": table, "table": table, "format": "datapackage", "path": f"{package.name}/datapackage.json",
                "options": {"resource": table},
                "columns": {c: c for c in schemas.column_names(table) if c in columns}}
    return {"project": {"title": "Received from another body"}, "cache": None, "history": None,
            "sources": [source(t) for t in ("facilities", "population", "incident_counts", "recommendations",
                                            "visits", "survey_questions", "survey_results", "context")]}


@pytest.fixture(scope="module")
def received(package):
    config_path = package.parent / "datapack.yaml"
    config_path.write_text(yaml.safe_dump(roundtrip_config(package), sort_keys=False))
    estate = load_estate(load_config(config_path))
    return estate, analyse(estate, Control(estate.config.disclosure), as_of="2026-10-15")


def test_the_exported_package_validates_with_frictionless(package):
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(str(package / "datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])[:20]
    names = [r["name"] for r in json.loads((package / "datapackage.json").read_text())["resources"]]
    assert names == ["facilities", "population", "survey_questions", "recommendations", "visits", "context",
                     "incident_counts", "survey_results", "indicator_figures"]


def test_table_schemas_follow_the_canonical_kinds_with_keys_to_the_register(package):
    descriptor = json.loads((package / "datapackage.json").read_text())
    assert descriptor["profile"] == "tabular-data-package" and descriptor["licenses"] and descriptor["sources"]
    by_name = {r["name"]: r["schema"] for r in descriptor["resources"]}
    types = {f["name"]: f["type"] for f in by_name["population"]["fields"]}
    assert types["month"] == "date" and types["population"] == "number" and types["facility_id"] == "string"
    assert by_name["facilities"]["primaryKey"] == ["facility_id"]
    assert by_name["visits"]["foreignKeys"] == [{"fields": ["facility_id"],
                                                "reference": {"resource": "facilities", "fields": ["facility_id"]}}]
    assert all("formula" in s["description"] for s in by_name.values())


def test_no_person_level_identifier_or_answer_leaves(original, package):
    estate, _ = original
    fields = {f["name"] for r in json.loads((package / "datapackage.json").read_text())["resources"]
              for f in r["schema"]["fields"]}
    assert not fields & {"person_ref", "incident_id", "respondent", "answer", "_row", "_sheet"}
    secrets = (set(estate.table("incidents")["person_ref"].dropna()) | set(estate.table("incidents")["incident_id"].dropna())
               | set(estate.table("survey_responses")["respondent"].dropna()))
    answers = estate.table("survey_responses")["answer"].dropna().astype(str)
    secrets |= set(answers[answers.str.len() > 40])  # free-text answers
    assert len(secrets) > 1000
    text = "\n".join(p.read_text(encoding="utf-8") for p in package.iterdir())
    cells = {cell.lstrip("'") for path in package.glob("*.csv")
             for row in csv.reader(path.open(encoding="utf-8", newline="")) for cell in row}
    assert not cells & secrets
    assert not any(ref in text for ref in list(estate.table("incidents")["person_ref"].dropna().unique())[:200])


def test_no_small_count_is_shown_anywhere(original, package):
    threshold = original[0].config.disclosure.threshold
    shown = []
    for resource, columns in {"incident_counts": ["count", "individuals"], "survey_results": ["n_answering",
                              "n_positive"], "indicator_figures": ["count"], "context": ["value"]}.items():
        frame = _read(package, resource)
        if resource == "context":  # counts of people; hours, percentages and days are not counts
            frame = frame[frame["unit"] == "people"]
        for column in columns:
            shown += [float(v) for v in frame[column] if v != ""]
    assert len(shown) > 5000
    assert not [v for v in shown if 0 < v < threshold]
    counts = _read(package, "incident_counts")
    assert set(counts["status"]) == {"value", "suppressed"} and (counts["status"] == "suppressed").sum() > 100
    assert (counts.loc[counts["status"] == "suppressed", "count"] == "").all()


def test_a_hidden_sub_type_cannot_be_worked_out_from_its_category(original, package):
    incidents = original[0].table("incidents")
    force = incidents[incidents["category"] == "use_of_force"]
    assert set(force["subcategory"]) == {"planned", "spontaneous"}  # so all = planned + spontaneous exactly
    counts = _read(package, "incident_counts")
    wide = counts.pivot_table(index=["facility_id", "period_start", "period_end"], columns="measure",
                              values="status", aggfunc="first")
    parts = wide[["use_of_force", "use_of_force/planned", "use_of_force/spontaneous"]].dropna()
    hidden = (parts == "suppressed").sum(axis=1)
    assert (hidden > 0).sum() > 10
    lone = parts[(hidden == 1)]
    assert lone.empty, lone.head()


def test_a_count_hidden_in_the_pack_is_hidden_in_the_export_too(original, package):
    estate, analysis = original
    counts = _read(package, "incident_counts")
    counts = counts[counts["period_start"].str[:7] == counts["period_end"].str[:7]]  # months, not periods
    counts = counts.set_index(["facility_id", "measure", "period_start"])
    checked = 0
    for (fid, indicator), result in analysis.signals.spc.items():
        ind = analysis.definitions.get(indicator)
        if ind.numerator.count == "individuals" or ind.kind == "crowding":
            continue
        for period, hidden in zip(result.periods, analysis.chart_hidden(fid, indicator)):
            if hidden:
                start = pd.Period(period, freq="M").start_time.strftime("%Y-%m-%d")
                assert counts.loc[(fid, measure_name(ind), start), "status"] == "suppressed"
                checked += 1
    assert checked > 20


def test_the_round_trip_gives_identical_indicator_figures(package, original, received):
    estate2, after = received
    assert not estate2.report.errors, estate2.report.errors[:5]
    assert estate2.table("incidents").empty and not estate2.table("incident_counts").empty
    before = original[1].results.periods.set_index(["facility_id", "indicator"])
    again = after.results.periods.set_index(["facility_id", "indicator"]).reindex(before.index)
    figures = _read(package, "indicator_figures").set_index(["facility_id", "indicator", "period"])
    compared = 0
    for (fid, indicator) in before.index:
        for period in ("last", "prev", "quarter"):
            status = figures.loc[(fid, indicator, period), "status"]
            for measure in ("count", "rate"):
                x, y = before.loc[(fid, indicator), f"{period}_{measure}"], again.loc[(fid, indicator), f"{period}_{measure}"]
                if status == "value" and not np.isnan(x):
                    assert y == x, (fid, indicator, period, measure, x, y)
                    compared += 1
                elif status == "suppressed":
                    assert np.isnan(y), (fid, indicator, period, measure, x, y)  # unknown, never a guess
                else:
                    assert np.isnan(x) and np.isnan(y)
    assert compared > 1000


def test_text_a_spreadsheet_would_run_gets_a_leading_quote_and_reads_back_unchanged(original, tmp_path):
    estate, analysis = original
    recs = estate.table("recommendations").copy()
    tricky = ["=HYPERLINK(\"http://x\",\"click\")", "+44 20 7946 0000", "-no progress-", "@SUM(A1:A9)",
              "\tTabbed", "'quoted already", "plain text"]
    recs.loc[recs.index[:len(tricky)], "text"] = tricky
    changed = dataclasses.replace(estate, tables={**estate.tables, "recommendations": recs})
    out = export_datapackage(changed, analysis, tmp_path / "pkg", CREATED)
    rows = list(csv.DictReader((out / "recommendations.csv").open(encoding="utf-8", newline="")))
    written = [r["text"] for r in rows[:len(tricky)]]
    assert written[:6] == ["'" + t for t in tricky[:6]] and written[6] == "plain text"
    source = SimpleNamespace(name="recs", options={"resource": "recommendations"}, encoding=None, delimiter=None,
                             sheet=None, header_row=None)
    raw = get_adapter("datapackage").read(out / "datapackage.json", source)[0]
    assert list(raw.frame["text"][:len(tricky)]) == tricky
    assert pd.api.types.is_datetime64_any_dtype(raw.frame["due"])  # cells come back typed by the schema


def test_an_unknown_resource_is_refused_with_the_names_in_the_package(package):
    source = SimpleNamespace(name="x", options={"resource": "incidents"}, encoding=None, delimiter=None)
    with pytest.raises(InputError) as caught:
        get_adapter("datapackage").read(package / "datapackage.json", source)
    assert "incident_counts" in caught.value.problems[0].hint and "facilities" in caught.value.problems[0].hint


def test_the_incident_counts_measure_names_follow_the_indicator(original):
    definitions = original[1].definitions
    assert measure_name(definitions.get("self_harm")) == "self_harm"
    assert measure_name(definitions.get("self_harm_individuals")) == "self_harm"
    assert measure_name(definitions.get("use_of_force_planned")) == "use_of_force/planned"
    assert measure_name(definitions.get("self_harm_hospital")) == "self_harm:hospital"
    assert measure_name(definitions.get("assaults")) == "assault+assault_on_detainee+assault_on_staff+fight"


@pytest.mark.slow  # the command end to end: a public analysis of its own (the package is tested above)
def test_datapack_export_writes_the_package_where_asked(tmp_path):
    @click.group()
    def cli() -> None:
        """Test group."""

    register(cli)
    result = CliRunner().invoke(cli, ["export", "--config", str(ROOT / "datapack.yaml"),
                                      "--output", str(tmp_path / "to-send")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Wrote a data package of 9 resources to {tmp_path / 'to-send' / 'datapackage'}")
    assert (tmp_path / "to-send" / "datapackage" / "datapackage.json").is_file()  # --output is the output folder
