"""Charts kept by content: a chart is drawn again only when the figures it reads, or the drawing code, change (issue 9.4)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil

import pytest
import yaml

from conftest import ROOT

BUILT_AT = dt.datetime(2026, 10, 15, 9, 0)


@pytest.fixture(scope="module")
def contexts(demo_estate, demo_analysis):
    from datapack.analysis import facility_context
    from datapack.disclosure import Control

    control = Control(demo_estate.config.disclosure)
    return {fid: facility_context(demo_estate, fid, control, BUILT_AT, analysis=demo_analysis)
            for fid in ("QLC", "HSC", "KSM")}


def test_every_chart_of_the_demo_reads_only_the_entries_its_key_is_made_of(contexts):
    from datapack.charts import chart

    drawn = 0
    for fid, context in contexts.items():
        for cid in context["charts"]:
            made = chart(context, cid)
            if made is not None:
                drawn += 1
                assert made.keepable, f"{fid} {cid} read an entry its key leaves out"
    kinds = {cid.split("-")[0] for c in contexts.values() for cid in c["charts"]}
    assert drawn >= 20 and {"population", "incidents", "spc", "survey"} <= kinds


def test_a_chart_that_reads_an_entry_not_declared_is_never_kept(contexts, monkeypatch):
    from datapack import charts

    context = contexts["KSM"]
    cid = next(c for c in context["charts"] if c.startswith("spc-"))
    monkeypatch.setitem(charts.INPUTS, "spc-", ("spc",))  # as if the code read 'disclosure' without saying so
    assert not charts.chart(context, cid).keepable


def test_a_key_changes_with_the_entries_the_chart_reads_and_with_nothing_else(contexts):
    from datapack.charts import chart_key

    context = contexts["KSM"]
    cid = next(c for c in context["charts"] if c.startswith("spc-"))
    key = chart_key(context, cid)
    other = copy.deepcopy(context)
    other["enquiry"] = {"findings": [], "counts": {}}        # not read by a control chart
    other["facility"] = dict(other["facility"], name="Elsewhere")
    assert chart_key(other, cid) == key
    indicator = cid.removeprefix("spc-")
    other["spc"][indicator]["points"][0] = dict(other["spc"][indicator]["points"][0], value=-1)
    assert chart_key(other, cid) != key
    assert chart_key(context, "population") != chart_key(context, "incidents")


def _project(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(ROOT / "sources", project / "sources")
    config = yaml.safe_load((ROOT / "datapack.yaml").read_text())
    config.update(cache=".cache", history=None)
    (project / "datapack.yaml").write_text(yaml.safe_dump(config))
    return project


def _files(folder, suffixes=(".html", ".docx", ".json")):
    """The pack's files (its manifest aside: it dates the build)."""
    return {p.name: p.read_bytes() for p in sorted((folder / "qlc").iterdir())
            if p.suffix in suffixes and p.name != "manifest.json"}


def test_a_second_build_uses_the_charts_kept_and_writes_the_same_bytes(tmp_path):
    from datapack.build import build
    from datapack.config import load_config

    project = _project(tmp_path)
    config = load_config(project / "datapack.yaml")
    first = build(config, ["QLC"], project / "first", formats=("html",), built_at=BUILT_AT, jobs=1, audience="team")
    assert first.failed == {} and first.timings.counts["charts_kept"] == 0
    kept = sorted((project / ".cache" / "charts").glob("*.pickle"))
    named = json.loads((project / "first" / "qlc" / "pack.json").read_text())["charts"]
    assert 0 < len(kept) <= len(named)

    # HTML and Word: the kept charts have SVG only, so each is drawn again, and kept with its PNG too
    both = ("html", "docx")
    second = build(config, ["QLC"], project / "second", built_at=BUILT_AT, formats=both, jobs=1, audience="team")
    assert second.timings.counts["charts_kept"] == 0
    third = build(config, ["QLC"], project / "third", built_at=BUILT_AT, formats=both, jobs=1, audience="team")
    assert third.timings.counts["charts_kept"] == len(kept)
    assert _files(project / "third") == _files(project / "second")
    assert _files(project / "second", (".html", ".json")) == _files(project / "first")

    again = build(config, ["QLC"], project / "fourth", built_at=BUILT_AT, formats=both, jobs=1, audience="team",
                  rebuild=True)  # --rebuild draws every chart afresh
    assert again.timings.counts["charts_kept"] == 0
    assert _files(project / "fourth") == _files(project / "second")
