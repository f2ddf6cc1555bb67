"""Disclosure control on what a pack actually shows: an attacker with pack.json must not recover hidden counts.

The packs here are built for a public audience (small counts suppressed); what protects people
(small groups, identifiers) is checked in the team's pack too.

The attacker here is written independently of the code: it reads only the
context (pack.json), turns every shown monthly rate back into a count with
the population the pack also shows, and solves for hidden months using
every total the pack shows for the same indicator.
"""

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from datapack.analysis import facility_context
from datapack.analysis.estate import analyse
from datapack.config import load_config
from datapack.disclosure import Control
from datapack.ingest import load_estate

ROOT = Path(__file__).resolve().parents[1]
SMALL = ("LLS", "HSC", "QLC", "KSM")


def _contexts(analysis) -> dict:
    estate, control = analysis.estate, analysis.control
    return {fid: facility_context(estate, fid, control, dt.datetime(2026, 10, 15), analysis=analysis)
            for fid in SMALL}


@pytest.fixture(scope="module")
def contexts(demo_public_analysis_at):
    return _contexts(demo_public_analysis_at("2026-10-15"))


@pytest.fixture(scope="module")
def team_contexts(demo_analysis):
    return _contexts(demo_analysis)


def _figures(node, path=""):
    if isinstance(node, dict):
        if {"text", "value", "hidden"} <= set(node) <= {"text", "value", "hidden", "note"}:
            yield path, node
        for k, v in node.items():
            yield from _figures(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _figures(v, f"{path}[{i}]")


@pytest.mark.parametrize("fid", SMALL)
def test_a_hidden_figure_carries_no_value_anywhere(contexts, fid):
    hidden = [(p, f) for p, f in _figures(contexts[fid]) if f["hidden"]]
    assert hidden, "a small facility should have hidden figures"
    for path, fig in hidden:
        assert fig["value"] is None and (fig["text"] == "[c]" or fig["text"].startswith("fewer than")), path


def _solvable(n_unknown: int, equations: list[list[int]]) -> list[int]:
    """Indices of unknowns fixed by the equations (each a set of unknowns with a known sum)."""
    if not equations:
        return []
    a = np.array([[1.0 if k in eq else 0.0 for k in range(n_unknown)] for eq in equations])
    rank = np.linalg.matrix_rank(a)
    fixed = []
    for k in range(n_unknown):
        unit = np.zeros(n_unknown)
        unit[k] = 1
        if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
            fixed.append(k)
    return fixed


@pytest.mark.parametrize("fid", SMALL)
def test_no_hidden_month_of_a_control_chart_can_be_worked_back(contexts, fid):
    ctx = contexts[fid]
    rows = {r["id"]: r for r in ctx["indicators"]}
    for ind, chart in ctx["spc"].items():
        if chart["measure"] != "rate" or ind not in rows:
            continue
        periods = [p["period"] for p in chart["points"]]
        unknown = [i for i, p in enumerate(chart["points"]) if p["hidden"]]
        if not unknown:
            continue
        index = {i: k for k, i in enumerate(unknown)}
        windows = {"last": periods[-12:], "prev": periods[-24:-12], "quarter": periods[-3:]}
        equations = []
        for name, months in windows.items():
            total = rows[ind][name]
            if total["hidden"] or total["value"] is None:
                continue
            members = [index[periods.index(m)] for m in months if periods.index(m) in index]
            if members:
                equations.append(members)
        # the last-12 total less the quarter is also known when both are shown
        if not rows[ind]["last"]["hidden"] and not rows[ind]["quarter"]["hidden"]:
            members = [index[periods.index(m)] for m in periods[-12:-3] if periods.index(m) in index]
            if members:
                equations.append(members)
        assert _solvable(len(unknown), equations) == [], (fid, ind)


@pytest.mark.parametrize("audience", ["public", "team"])
@pytest.mark.parametrize("fid", SMALL)
def test_funnels_and_equality_tables_show_nothing_about_small_groups(contexts, team_contexts, fid, audience):
    ctx = (contexts if audience == "public" else team_contexts)[fid]
    for chart in ctx["funnels"].values():
        for point in chart["points"]:
            if point["hidden"]:
                assert point["this"] and point["value"] is None
    for block in ctx["equality"]:
        for row in block["rows"]:
            if not row["reportable"]:
                assert row["ratio"] is None and row["share"] is None and row["people"]["value"] is None


def test_no_person_level_identifier_reaches_pack_json(team_contexts, demo_estate):
    import json
    estate = demo_estate
    refs = set(estate.tables["incidents"]["person_ref"].dropna()) | set(estate.tables["incidents"]["incident_id"].dropna())
    refs |= set(estate.tables["survey_responses"]["respondent"].dropna())
    for ctx in team_contexts.values():
        text = json.dumps(ctx)
        leaked = [r for r in list(refs)[:5000] if r in text]
        assert leaked == []


@pytest.mark.parametrize("fid", SMALL)
def test_a_control_chart_with_hidden_months_shows_no_line_computed_from_them(contexts, fid):
    for chart in contexts[fid]["spc"].values():
        if chart["hidden_points"]:
            assert all(p["mean"] is None and p["ucl"] is None and p["lcl"] is None for p in chart["points"])
