"""Absent data is a state: whatever tables and columns a body holds, a configuration that validates builds.

The matrix takes a small demo estate (4 facilities, 24 months, plus published counts and survey
results so that every canonical table is fed) and removes, in turn, each canonical table and each
optional column that some source maps. Each variant is read, analysed for the whole estate, given a
context for every facility, and rendered in every format for one facility (a different one each
case, so every kind of place is rendered somewhere); the comparison and schedule contexts are built
too. Nothing may raise, and each pack must say what is not held.

Columns that no demo source maps are absent in every case, the full demo included.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from datapack.config import load_config
from datapack.demo import generate
from datapack.demo.config import sources as demo_sources
from datapack.disclosure import Control
from datapack.ingest import Estate, load_estate
from datapack.tables import schemas

from conftest import FIXTURES

BUILT = dt.datetime(2026, 10, 5, 9, 0)
AGGREGATES = FIXTURES / "aggregates"

#: Sources added to the demo so that published counts and survey results are held too.
EXTRA_SOURCES = [
    {"name": "published_counts", "table": "incident_counts", "path": str(AGGREGATES / "demo_counts.csv"),
     "columns": {"facility": "Establishment", "period_start": "Period start", "period_end": "Period end",
                 "measure": "Measure", "count": "Count"}},
    {"name": "family_survey", "table": "survey_results", "path": str(AGGREGATES / "demo_survey_results.csv"),
     "columns": {"facility": "Establishment", "survey": "Survey", "wave": "Wave", "question": "Question",
                 "group": "Group", "n_answering": "Answering", "n_positive": "Positive"}},
]

#: What each pack must say when a table is not held (HTML text, compared ignoring case).
NOT_HELD = {
    "facilities": "no facility register is held",
    "population": "no population or capacity figures are held",
    "incidents": "no incident log is held: add a source for the incidents table",
    "recommendations": "no recommendations from past visits are held: add a source for the recommendations table",
    "visits": "no record of past visits is held: add a source for the visits table",
    "context": "no population mix by group is held: add a source for the context table",
}


def _source_entries() -> list[dict]:
    return [entry for _, entry in demo_sources(2026)] + EXTRA_SOURCES


def _mapped(entry: dict) -> set[str]:
    """Canonical columns a source entry fills (the facility written in the file feeds ``facility_id``)."""
    names = set(entry.get("columns", {})) | set(entry.get("constants", {}))
    if entry.get("unpivot"):
        names |= {entry["unpivot"]["names_to"], entry["unpivot"]["values_to"]}
    return {"facility_id" if n == "facility" else n for n in names}


def _cases() -> list[tuple[str, str, str | None]]:
    entries = _source_entries()
    cases = [("table", t, None) for t in schemas.TABLES]
    for table, cols in schemas.TABLES.items():
        mapped = set().union(*[_mapped(e) for e in entries if e["table"] == table] or [set()])
        cases += [("column", table, c.name) for c in cols if not c.required and c.name in mapped]
    return cases


CASES = _cases()


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> dict:
    """A small demo estate written once per session, with the extra sources in its configuration."""
    folder = tmp_path_factory.mktemp("absent-demo")
    generate(folder, facilities=3, months=13)
    raw = yaml.safe_load((folder / "datapack.yaml").read_text(encoding="utf-8"))
    raw["sources"] += copy.deepcopy(EXTRA_SOURCES)
    raw["history"] = None
    config = _write(folder, "full", raw)
    return {"folder": folder, "raw": raw, "estate": load_estate(config), "timings": {}}


def _write(folder: Path, name: str, raw: dict):
    path = folder / f"datapack-{name}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return load_config(path)


def _variant(raw: dict, kind: str, table: str, column: str | None) -> dict:
    """The configuration without the table's sources, or without the column in any of its sources."""
    raw = copy.deepcopy(raw)
    if kind == "table":
        raw["sources"] = [s for s in raw["sources"] if s["table"] != table]
        if table == "facilities":  # no register: places are found in the data
            raw["facilities"] = {"default_type": "prison"}
        return raw
    for source in raw["sources"]:
        if source["table"] != table:
            continue
        for key in ("columns", "constants", "values", "dates"):
            source.get(key, {}).pop(column, None)
        unpivot = source.get("unpivot")
        if unpivot and column in (unpivot["names_to"], unpivot["values_to"]):
            source.pop("unpivot")
    return raw


def _estate(demo: dict, config, kind: str, table: str) -> Estate:
    """The variant's estate: read whole when the register changes, else only the changed table re-read."""
    if kind == "table" or table == "facilities":
        return load_estate(config)
    surveys = {"survey_questions", "survey_responses"}  # the codebook is filled in from the responses
    tables = {table} | (surveys if table in surveys else set())
    partial = load_estate(config, only_tables=tables)
    base = demo["estate"]
    return Estate(config, {**base.tables, **{t: partial.tables[t] for t in tables}}, base.files, partial.report)


_CHART_CACHE: dict[str, object] = {}


def _chart_inputs(context: dict, chart_id: str) -> object:
    """The parts of a context a chart is drawn from (see datapack/charts/): a chart is redrawn when they change."""
    prefix, _, key = chart_id.partition("-")
    common = [context["facility"]["name"], context["disclosure"]]
    if prefix == "spc":
        good = [r.get("good_direction") for r in context["indicators"] if r["id"] == key]
        return common + [context["spc"].get(key), good]
    if prefix == "funnel":
        return common + [context["funnels"].get(key)]
    if prefix == "survey":
        return common + [s for s in context["survey_comparisons"] if s["chart"] == chart_id]
    if prefix == "equality":
        return common + [s for s in context["equality"] if s["chart"] == chart_id]
    return common + [context[chart_id]]


def _charts(context: dict) -> list:
    """Every chart of the context, each drawn once per distinct input over the session (drawing is pure)."""
    from datapack.charts import chart

    out = []
    for chart_id in context["charts"]:
        key = json.dumps([chart_id, _chart_inputs(context, chart_id)], sort_keys=True, default=str)
        if key not in _CHART_CACHE:
            _CHART_CACHE[key] = chart(context, chart_id)
        if _CHART_CACHE[key] is not None:
            out.append(_CHART_CACHE[key])
    return out


def _build(estate: Estate, render_id: str) -> dict:
    """Analysis and context for every facility, every format for one; the estate views' contexts."""
    from datapack.analysis import estate_context, facility_context
    from datapack.analysis.estate import analyse
    from datapack.estate_views.comparison import comparison_context
    from datapack.estate_views.render import render_comparison_json
    from datapack.estate_views.schedule import schedule, schedule_context
    from datapack.render import default_template_dirs, render_docx, render_html, render_json
    from datapack.render.xlsx import render_xlsx

    control = Control(estate.config.disclosure)
    analysis = analyse(estate, control, as_of=BUILT)
    ids = [str(f) for f in estate.facilities["facility_id"]]
    assert ids, "no facility in the estate"
    contexts = {fid: facility_context(estate, fid, control, BUILT, analysis=analysis) for fid in ids}
    for context in contexts.values():
        json.dumps(context)
    render_id = render_id if render_id in contexts else ids[0]
    context, dirs = contexts[render_id], default_template_dirs()
    charts = _charts(context)
    html = render_html(context, charts, dirs)
    assert render_docx(context, charts, dirs)[:2] == b"PK" and render_xlsx(context)[:2] == b"PK"
    json.loads(render_json(context))
    enquiry = {fid: c["enquiry"]["counts"] for fid, c in contexts.items()}  # as build passes them
    json.loads(render_comparison_json(comparison_context(analysis, BUILT, enquiry=enquiry)))
    schedule_context(analysis, BUILT, rows=schedule(analysis))
    estate_context(estate, control, BUILT, ids)
    return {"html": html, "contexts": contexts}


@pytest.mark.slow
@pytest.mark.parametrize("kind,table,column", CASES, ids=[f"{k}-{t}" + (f"-{c}" if c else "") for k, t, c in CASES])
def test_the_demo_builds_without_each_table_and_each_optional_column(demo, kind, table, column):
    started = time.perf_counter()
    raw = _variant(demo["raw"], kind, table, column)
    config = _write(demo["folder"], f"{kind}-{table}-{column}", raw)
    estate = _estate(demo, config, kind, table)
    render_ids = sorted(str(f) for f in demo["estate"].facilities["facility_id"])
    built = _build(estate, render_ids[CASES.index((kind, table, column)) % len(render_ids)])
    if kind == "table" and table in NOT_HELD:
        assert NOT_HELD[table] in _text(built["html"]).lower()
    demo["timings"][f"{kind}-{table}-{column}"] = time.perf_counter() - started


def _text(html: str) -> str:
    import re

    return " ".join(re.sub(r"<[^>]+>", " ", html).split())
