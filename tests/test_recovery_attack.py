"""Nothing small can be worked back: an integer-programming attack on every output of the demo (issue 12.5).

The attacker (tests/recovery_attack.py) never imports the suppression code: it reads pack.json of
every demo facility and comparison.json, as one build for a public audience (disclosure.audience:
public, where small counts are suppressed) writes them, writes down every relation it
finds between hidden and shown figures, and solves each hidden count's smallest and largest value
with scipy.optimize.milp.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from recovery_attack import Model, intervals, pack_model

BUILT = dt.datetime(2026, 10, 15)  # the shared demo analyses are of this date (conftest.DEMO_AS_OF)


def _linear_determined(n: int, equations: list[list[int]]) -> list[int]:
    """The old audit's question, asked independently: which unknowns lie in the span of the equations."""
    a = np.array([[1.0 if k in eq else 0.0 for k in range(n)] for eq in equations])
    rank = np.linalg.matrix_rank(a)
    return [k for k in range(n) if np.linalg.matrix_rank(np.vstack([a, np.eye(n)[k]])) == rank]


def test_a_series_the_linear_audit_passes_leaks_to_the_integer_attack():
    # months [4, 0, 0, 0, 0, 7]; months 0, 1, 2 and 5 hidden, 3 and 4 shown; the pack shows the totals
    # of months {0, 5} (11), {1, 5} (7) and {0, 2} (4)
    months = [4, 0, 0, 0, 0, 7]
    hidden = [0, 1, 2, 5]
    windows = [[0, 5], [1, 5], [0, 2]]
    local = {m: k for k, m in enumerate(hidden)}
    assert _linear_determined(len(hidden), [[local[i] for i in w if i in local] for w in windows]) == []
    m = Model()
    for i, v in enumerate(months):
        if i in hidden:
            m.figure(("x", i), {"text": "[c]", "value": None, "hidden": True})
        else:
            m.show(("x", i), v)
    for k, w in enumerate(windows):
        m.show(("w", k), sum(months[i] for i in w))
        m.equal(("w", k), [("x", i) for i in w])
    found = intervals(m)
    assert found[("x", 0)] == (4.0, 4.0)  # x1 >= 0 and x2 >= 0 leave only 4
    assert found[("x", 5)] == (7.0, 7.0)


def test_the_attack_sees_a_width_when_there_is_one():
    m = Model()
    for i in range(3):
        m.figure(("x", i), {"text": "[c]", "value": None, "hidden": True})
    m.show("total", 9)
    m.equal("total", [("x", 0), ("x", 1), ("x", 2)])
    assert intervals(m)[("x", 1)] == (0.0, 9.0)


@pytest.fixture(scope="module")
def outputs(demo_public_analysis_at):
    """pack.json of every demo facility and comparison.json, as a build for a public audience writes them."""
    from datapack.analysis import facility_context
    from datapack.estate_views.comparison import comparison_context
    from datapack.estate_views.render import render_comparison_json
    from datapack.estate_views.schedule import schedule
    from datapack.render import render_json

    analysis = demo_public_analysis_at(BUILT)
    estate = analysis.estate
    packs = {fid: json.loads(render_json(facility_context(estate, fid, analysis.control, BUILT, analysis=analysis)))
             for fid in estate.facilities["facility_id"]}
    comparison = json.loads(render_comparison_json(comparison_context(analysis, BUILT, priorities=schedule(analysis))))
    return packs, comparison


@pytest.mark.slow
def test_no_hidden_count_of_the_demo_is_worked_back(outputs):
    packs, comparison = outputs
    rows = {f["id"]: f for f in comparison["facilities"]}
    solved, zeros = {}, {}
    for fid, pack in packs.items():
        found = intervals(pack_model(pack, rows.get(fid)))
        assert found, fid
        solved |= {(fid, k): v for k, v in found.items() if v[0] == v[1] and v[0] > 0}
        zeros |= {(fid, k): v for k, v in found.items() if v[0] == v[1] == 0}
    # a hidden zero worked back says 'none', which the rules would show anyway; reported, not failed
    print(f"hidden zeros worked back: {len(zeros)}")
    assert solved == {}


@pytest.fixture(scope="module")
def team_fbk(demo_analysis_at):
    """Fennbrook's pack for the team (every count shown): the true figures the public pack hides."""
    from datapack.analysis import facility_context
    from datapack.render import render_json

    analysis = demo_analysis_at(BUILT)
    return json.loads(render_json(facility_context(analysis.estate, "FBK", analysis.control, BUILT,
                                                   analysis=analysis)))


@pytest.mark.slow
def test_the_attack_works_back_the_fights_when_the_assaults_count_is_shown_again(outputs, team_fbk):
    # Fennbrook's fights (a small count in each window) are its assaults less its assaults on staff and on
    # detainees, all three shown in the table or as indicators: the public pack hides the assaults counts.
    # Shown again (the team's figures put back into the public pack), the attacker solves both fight totals,
    # and gets the team's own figures.
    import copy

    packs, comparison = outputs
    rows = {f["id"]: f for f in comparison["facilities"]}
    team = {r["id"]: r for r in team_fbk["indicators"]}["assaults"]
    fights = {c["category"]: c for c in team_fbk["incidents"]["categories"]}["fight"]
    assert 0 < fights["last"]["value"] < 5 and 0 < fights["previous"]["value"] < 5  # small: hidden in public
    public = copy.deepcopy(packs["FBK"])
    row = {r["id"]: r for r in public["indicators"]}["assaults"]
    assert row["last"]["hidden"] and row["prev"]["hidden"]
    assert row["last"]["note"] == "Hidden so that another hidden figure cannot be worked out"
    assert {c["category"]: c for c in public["incidents"]["categories"]}["fight"]["last"]["note"] == \
        "Hidden: small number"
    low, high = intervals(pack_model(public, rows["FBK"]))[("total", "fight", "last")]
    assert low != high  # as published: not worked back (an unbounded side reads -inf or inf)
    row["last"], row["prev"] = team["last"], team["prev"]  # under-suppressed, as the audit once left it
    found = intervals(pack_model(public, rows["FBK"]))
    assert found[("total", "fight", "last")] == (fights["last"]["value"],) * 2
    assert found[("total", "fight", "previous")] == (fights["previous"]["value"],) * 2


@pytest.mark.slow
def test_the_team_pack_hides_nothing_the_public_audit_hides(team_fbk):
    hidden = [r["id"] for r in team_fbk["indicators"] for k in ("last", "prev", "quarter") if (r.get(k) or {}).get("hidden")]
    cells = [c for b in team_fbk["incidents"]["table"]["blocks"] for r in b["rows"] for c in r["cells"] if c["hidden"]]
    points = [p for chart in team_fbk["spc"].values() for p in chart["points"] if p["hidden"]]
    assert hidden == [] and cells == [] and points == []


def test_the_sources_appendix_gives_no_row_count_or_day_of_people_or_events(demo_public_analysis_at):
    from datapack.analysis import facility_context

    analysis = demo_public_analysis_at(BUILT)
    pack = facility_context(analysis.estate, "LLS", analysis.control, BUILT, analysis=analysis)
    people = [s for s in pack["sources"] if s["table"] in ("incidents", "survey_responses")]
    assert people, "the demo's small facility has incident files"
    for s in people:
        assert s["rows"]["hidden"] and s["rows"]["value"] is None
        for when in (s["first"], s["last"]):
            assert when is None or len(when.split()) == 2, when  # "March 2026", no day
    others = [s for s in pack["sources"] if s["table"] not in ("incidents", "survey_responses")]
    assert any(s["rows"]["value"] for s in others)  # files of records keep their counts


def test_the_teams_pack_hides_no_count_and_so_keeps_every_file_count(demo_analysis_at):
    from datapack.analysis import facility_context

    analysis = demo_analysis_at(BUILT)
    pack = facility_context(analysis.estate, "LLS", analysis.control, BUILT, analysis=analysis)
    assert pack["disclosure"]["audience"] == "team"
    assert all(not s["rows"]["hidden"] and s["rows"]["value"] for s in pack["sources"])
