"""The public outputs (issue 11.1, 11.2, 11.4): public summaries, the estate's, and the easy-read summaries.

They are made here as ``datapack build`` makes them (:func:`datapack.estate_views.public.public_files`
on the demo analysed for a public audience) and read back as files. The expectations are worked
out from the demo's rows or written by hand: the one death in the demo's last 12 months (HWM,
August 2026) is a small count, hidden in public and shown to the team; no recommendation text,
survey comment or marking appears; the attacker (tests/recovery_attack.py, which never imports the
suppression code) reads every public file together and works no hidden count back.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from recovery_attack import intervals, public_model, read_public

BUILT = dt.datetime(2026, 10, 15)  # the shared demo analyses are of this date (conftest.DEMO_AS_OF)
SYMBOL = "[c]"


@pytest.fixture(scope="module")
def public(demo_public_analysis_at, tmp_path_factory) -> Path:
    from datapack.estate_views.public import public_files

    folder = tmp_path_factory.mktemp("public")
    for name, data in public_files(demo_public_analysis_at(BUILT), BUILT).items():
        (folder / name).write_bytes(data)
    return folder


def _text(path: Path) -> str:
    """What a reader meets in a file: an HTML page's text and attributes, or a Word file's XML text."""
    if path.suffix == ".docx":
        with zipfile.ZipFile(path) as archive:
            return " ".join(re.sub(r"<[^>]+>", " ", archive.read(n).decode("utf-8"))
                            for n in archive.namelist() if n.endswith(".xml"))
    page = path.read_text(encoding="utf-8")
    page = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page)) + " " + " ".join(re.findall(r'="([^"]*)"', page))


def _row(path: Path, label: str) -> list[str]:
    """The cells of the table row headed ``label`` (tags dropped)."""
    page = path.read_text(encoding="utf-8")
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page, flags=re.S):
        cells = [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split())
                 for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)]
        if cells and cells[0] == label:
            return cells
    raise AssertionError(f"no row {label!r} in {path.name}")


def test_every_facility_has_a_summary_in_html_and_word_and_an_easy_read_page(public, demo_estate):
    slugs = {"brf", "csb", "fbk", "hsc", "hwm", "ksm", "lls", "ngt", "qlc", "rvs", "slt", "wrf"}
    assert len(demo_estate.facilities) == 12
    names = {p.name for p in public.iterdir()}
    assert names == ({f"{s}-summary.html" for s in slugs} | {f"{s}-summary.docx" for s in slugs}
                     | {f"{s}-easy-read.html" for s in slugs} | {"estate-summary.html", "estate-summary.docx",
                                                                  "index.html"})


def test_a_small_count_is_hidden_in_public_and_shown_to_the_team(public, demo_estate, demo_analysis_at):
    # worked out from the rows: deaths at HWM in the last 12 months (October 2025 to September 2026)
    inc = demo_estate.table("incidents")
    when = pd.to_datetime(inc["occurred"])
    deaths = inc[(inc["facility_id"] == "HWM") & (inc["category"] == "death")
                 & (when >= "2025-10-01") & (when < "2026-10-01")]
    assert len(deaths) == 1  # one death, in August 2026: a count from 1 to 4, so hidden in public
    from datapack.analysis.findings_context import indicators_section

    team = {r["id"]: r for r in indicators_section(demo_analysis_at(BUILT), "HWM")}
    assert team["deaths"]["last"]["text"] == "1" and not team["deaths"]["last"]["hidden"]
    summary = _row(public / "hwm-summary.html", "Deaths in custody")
    assert summary[1] == SYMBOL and summary[2] == f"{SYMBOL} per 1,000 average population"  # the count, its rate
    assert summary[5] == "no comparison"  # no change worked out from a hidden count
    assert summary[6].startswith("not compared")
    estate = _row(public / "estate-summary.html", "HMP & YOI Hollowmere")
    assert f"{SYMBOL} (rate {SYMBOL} )" in estate
    # a large count is shown as the team sees it: KSM's 1,037 self-harm incidents
    assert _row(public / "ksm-summary.html", "Self-harm incidents")[1] == "1,037"


def test_the_summary_shows_the_public_packs_own_figures(public, demo_public_analysis_at):
    """One figure, one home: the summary's figures are the public pack's, not worked out again."""
    from datapack.analysis import facility_context

    analysis = demo_public_analysis_at(BUILT)
    pack = facility_context(analysis.estate, "LLS", analysis.control, BUILT, analysis=analysis)
    rows = {r["label"]: r for r in pack["indicators"]}
    for label in ("Self-harm incidents", "Assaults (all)", "Restraint (all kinds)", "Deaths in custody"):
        cells = _row(public / "lls-summary.html", label)
        assert cells[1] == rows[label]["last"]["text"]
        assert cells[2].split(" per ")[0] == rows[label]["rate"]["text"]
        assert cells[3] == rows[label]["prev"]["text"]
    statuses = {s["label"]: s["count"]["text"] for s in pack["recommendations"]["by_status"]}
    assert _row(public / "lls-summary.html", "Not achieved")[1] == statuses["Not achieved"]


def test_no_comment_recommendation_text_or_marking_appears(public, demo_estate):
    from datapack.analysis.redact import free_text_questions

    responses = demo_estate.table("survey_responses")
    free = set(free_text_questions(demo_estate.table("survey_questions")))
    keys = list(zip(responses["survey"].astype(str), responses["question"].astype(str)))
    comments = {str(a) for a, k in zip(responses["answer"], keys) if k in free and isinstance(a, str) and len(a) > 25}
    recommendations = {str(t) for t in demo_estate.table("recommendations")["text"].dropna() if len(str(t)) > 25}
    assert comments and recommendations
    marking = demo_estate.config.project.marking
    assert marking == "OFFICIAL-SENSITIVE"
    for path in sorted(public.iterdir()):
        text = " ".join(_text(path).split())
        assert marking not in text and "OFFICIAL" not in text, path.name
        for said in comments | recommendations:
            assert " ".join(said.split()) not in text, (path.name, said[:40])


def test_the_index_links_the_public_outputs_from_the_team_index():
    from datapack.build import output_links

    class _Writer:  # only the files that exist are linked
        def __init__(self, there):
            self.there = there

        def path(self, *parts):
            return _There("/".join(parts) in self.there)

    class _There:
        def __init__(self, ok):
            self.ok = ok

        def is_file(self):
            return self.ok

    views = output_links(_Writer({"public/index.html"}), [])["views"]
    assert views[0]["title"] == "Public summaries" and views[0]["files"][0]["href"] == "public/index.html"
    assert output_links(_Writer(set()), [])["views"] == []


# ------------------------------------------------------------------------------ easy read

def test_every_easy_read_page_reads_easily(public):
    textstat = pytest.importorskip("textstat", reason="textstat is a test extra: pip install -e '.[test]'")
    for path in sorted(public.glob("*-easy-read.html")):
        page = path.read_text(encoding="utf-8")
        body = re.sub(r"<(style|title)>.*?</\1>", " ", page, flags=re.S)
        lines = [html.unescape(re.sub(r"<[^>]+>", " ", li)).strip()
                 for li in re.findall(r"<li>(.*?)</li>", body, flags=re.S)]
        text = html.unescape(re.sub(r"<[^>]+>", "\n", body))
        ease = textstat.flesch_reading_ease(text)
        assert ease >= 70, f"{path.name}: Flesch reading ease {ease:.0f}"
        assert len(lines) >= 10
        for line in lines:  # one idea a line: short sentences, at most two of them
            sentences = [s for s in re.split(r"(?<=[.!?])\s+", line) if s]
            assert 1 <= len(sentences) <= 2 and all(len(s.split()) <= 16 for s in sentences), line


def test_every_easy_read_point_has_an_icon_with_alt_text(public):
    for path in sorted(public.glob("*-easy-read.html")):
        page = path.read_text(encoding="utf-8")
        points = re.findall(r"<li>(.*?)</li>", page, flags=re.S)
        for point in points:
            img = re.search(r'<img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="([^"]+)"', point)
            assert img and img.group(1).startswith("Picture of"), (path.name, point[:80])
        assert "font-size: 1.5rem" in page  # large type (the body of an easy-read page)
        assert "How to talk to us" in page and "What we will look at" in page


def test_the_easy_read_page_names_what_is_higher_than_in_similar_places(public):
    # KSM's self-harm rate is above its peers' funnel limits (worse than peers): the page says so in easy words
    assert "We will ask about people hurting themselves." in (public / "ksm-easy-read.html").read_text()
    assert "hurting themselves" not in (public / "lls-easy-read.html").read_text()  # no peers to compare with


# ------------------------------------------------------------------------------ the attack (issue 11.4)

def test_no_hidden_count_of_the_public_outputs_is_worked_back(public):
    shown = read_public(public)
    assert shown.files == 39  # 12 summaries in HTML and Word, 12 easy-read pages, the estate's two, the index
    counts = [n for n in shown.hidden if n[0] == "count"]
    assert ("count", "HMP & YOI Hollowmere", "Deaths in custody", "last") in counts
    found = intervals(public_model(shown))
    assert set(counts) <= set(found)
    solved = {k: v for k, v in found.items() if v[0] == v[1]}
    assert solved == {}


def test_the_attack_works_back_a_count_whose_rate_is_left_showing(public, tmp_path):
    """The attack can fail: show HWM's death rate beside its hidden count, and it finds the count."""
    for p in public.iterdir():
        (tmp_path / p.name).write_bytes(p.read_bytes())
    page = (tmp_path / "hwm-summary.html").read_text(encoding="utf-8")
    # HWM's self-harm: 1,208 at 3,222.8 per 1,000, so its base is about 374.8; one death is 2.7 per 1,000
    self_harm = _row(public / "hwm-summary.html", "Self-harm incidents")
    assert self_harm[1] == "1,208" and self_harm[2].startswith("3,222.8")
    row = re.search(r'<tr data-indicator="deaths">.*?</tr>', page, flags=re.S).group(0)
    leaky = row.replace(f"<td class=\"num\"><span title=\"not shown: too small a number\">{SYMBOL}</span> "
                        "<span class=\"note\">", "<td class=\"num\">2.7 <span class=\"note\">", 1)
    assert leaky != row
    (tmp_path / "hwm-summary.html").write_text(page.replace(row, leaky), encoding="utf-8")
    (tmp_path / "hwm-summary.docx").unlink()  # the Word file still hides it; only the page is changed
    found = intervals(public_model(read_public(tmp_path)))
    assert found[("count", "HMP & YOI Hollowmere", "Deaths in custody", "last")] == (1.0, 1.0)


@pytest.mark.slow  # a whole build of the demo for the public (its files are tested above, from the shared analysis)
def test_build_for_a_public_audience_writes_only_the_public_outputs_and_the_index(tmp_path):
    from datapack.build import build
    from datapack.config import load_config

    config = load_config(Path(__file__).resolve().parents[1] / "datapack.yaml")
    result = build(config, output=tmp_path / "out", built_at=BUILT, audience="public")
    assert result.failed == {} and result.written == {}  # the leak gate passed; no team pack made
    out = tmp_path / "out"
    assert (out / "public" / "estate-summary.html").is_file() and (out / "public" / "ksm-summary.docx").is_file()
    assert not (out / "ksm").exists() and not (out / "comparison.html").exists()
    assert 'href="public/index.html"' in (out / "index.html").read_text(encoding="utf-8")
    assert "0 finding(s)" in (out / "leak-gate.txt").read_text(encoding="utf-8")


def test_the_public_outputs_worked_out_in_parts_by_other_processes_are_the_same_files(
        public, demo_estate, demo_public_analysis_at):
    """A build shares the public outputs out to its pool (datapack.build.public_jobs): the parts, each
    sent as a worker gets it (pickled, without the inputs' identifiers), join into the same files."""
    import pickle

    from datapack import build
    from datapack.disclosure import Control
    from datapack.timings import Timings

    analysis = demo_public_analysis_at(BUILT)
    jobs = build.public_jobs(demo_estate, Control(demo_estate.config.disclosure), analysis, BUILT, None, 3)
    assert [len(job.facilities) for job in jobs] == [4, 4, 4]
    assert sum((job.facilities for job in jobs), ()) == tuple(demo_estate.facilities["facility_id"])
    assert demo_estate.identifiers.counts() and not jobs[0].estate.identifiers.counts()  # they stay here
    sent = [pickle.loads(pickle.dumps(job)) for job in jobs]
    try:
        parts = [build.public_part(job) for job in sent]  # a worker works out the public analysis itself,
        assert len(build._PUBLIC_ANALYSIS) == 1  # once for the build's parts
    finally:
        build._PUBLIC_ANALYSIS.clear()
    assert all(part[2]["public"][1] > 0 for part in parts)  # each part's CPU seconds, for the timings
    files = build._PublicWork(jobs, parts).files(demo_estate.config.project.body, BUILT, None, Timings())
    written = {p.name: p.read_bytes() for p in public.iterdir()}
    assert sorted(files) == sorted(written)
    differ = [name for name in files if files[name] != written[name]]
    assert not differ
