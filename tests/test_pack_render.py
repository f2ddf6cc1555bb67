"""The pack from context to HTML, Word and JSON: structure, accessibility, disclosure, determinism.

Most tests use a small hand-made estate (two facilities, built below) whose
true counts are known; one also runs on the real published files when
../shared/realdata is present.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import docx
import jinja2
import jinja2.meta
import numpy as np
import pandas as pd
import pytest
from docx.oxml.ns import qn
from docxtpl import DocxTemplate

from datapack.analysis import estate_context, facility_context
from datapack.charts import facility_charts
from datapack.config import Config, Disclosure, Project, SourceConfig, load_config
from datapack.disclosure import Control
from datapack.ingest import Estate, SourceFile, load_estate
from datapack.problems import Problem, Report
from datapack.render import default_template_dirs, render_docx, render_html, render_index_html, render_json
from datapack.render.html import environment
from datapack.render.words import short_date

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
BUILT = dt.datetime(2026, 10, 5, 9, 30)
MARKING = "OFFICIAL-SENSITIVE"
SYMBOL = "[c]"
MONTHS = pd.period_range("2024-10", "2026-09", freq="M")


def _frame(table: str, rows: list[dict], file: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    return frame.assign(_source=file.split(".")[0], _file=file, _sheet=None,
                        _row=pd.array(range(2, len(rows) + 2), dtype="Int64"))


def _incidents() -> list[dict]:
    """Known counts: self-harm 10-14 a month (2 in two months), use of force 20-22 (3 once), fire 1 in 3 months."""
    rows = []
    for i, month in enumerate(MONTHS):
        counts = {"self_harm": 2 if i in (4, 17) else 10 + i % 5, "use_of_force": 3 if i == 9 else 20 + i % 3,
                  "fire": 1 if i in (13, 16, 20) else 0}
        for category, n in counts.items():
            for _ in range(n):
                k = len(rows)
                rows.append({"incident_id": f"INC-SECRET-{k:05d}", "facility_id": "TST", "category": category,
                             "occurred": month.to_timestamp() + pd.Timedelta(days=k % 27), "count": 1,
                             "person_ref": f"PERSON-7731-{k:05d}"})
    rows += [{"incident_id": f"INC-SECRET-P{k}", "facility_id": "PCS", "category": "self_harm", "count": 1,
              "occurred": MONTHS[k % 24].to_timestamp(), "person_ref": f"PERSON-7731-P{k}"} for k in range(60)]
    return rows


def _survey() -> tuple[list[dict], list[dict]]:
    rows = []
    for i in range(20):
        who = f"RESP-ABC-{i:03d}"
        for question, answer in (("q1", "Yes" if i < 14 else "No"), ("q2/cell", "selected" if i < 3 else "not selected"),
                                 ("q3", "Maybe")):
            rows.append({"survey": "detainee", "wave": "2026", "facility_id": "TST", "respondent": who,
                         "submitted": pd.Timestamp("2026-03-10"), "question": question, "answer": answer})
    book = [{"survey": "detainee", "question": "q1", "text": "Do you feel safe here?", "theme": "safety",
             "positive": "Yes", "good_direction": "up"},
            {"survey": "detainee", "question": "q2/cell", "text": "Where have you felt unsafe?: cell",
             "theme": "safety", "positive": "selected", "good_direction": "down"},
            {"survey": "detainee", "question": "q3", "text": "No positive defined", "theme": None, "positive": None}]
    return rows, book


def make_estate(threshold: int = 5, audience: str = "public") -> Estate:
    """The test estate; public by default, so its small counts exercise suppression (the team's pack shows them)."""
    config = Config(project=Project(title="Test pack", body="Test Inspectorate", marking=MARKING), cache=None,
                    disclosure=Disclosure(threshold=threshold, symbol=SYMBOL, audience=audience),
                    sources=[SourceConfig(name="register", table="facilities", path="register.csv")])
    survey, book = _survey()
    tables = {
        "facilities": _frame("facilities", [
            {"facility_id": "TST", "name": "HMP Testbridge", "facility_type": "prison",
             "function": "Category C training", "operator": "Public sector", "region": "North", "capacity": 550.0},
            {"facility_id": "PCS", "name": "Pier Street Custody Suite", "facility_type": "police_custody"}],
            "register.csv"),
        "population": _frame("population", [
            {"facility_id": "TST", "month": m.to_timestamp(), "population": 480.0 + 2 * i, "in_use_cna": 500.0,
             "operational_capacity": 550.0} for i, m in enumerate(MONTHS)]
            + [{"facility_id": "PCS", "month": m.to_timestamp(), "throughput": 300.0} for m in MONTHS],
            "population.csv"),
        "incidents": _frame("incidents", _incidents(), "incidents.csv"),
        "survey_responses": _frame("survey_responses", survey, "survey.xlsx"),
        "survey_questions": _frame("survey_questions", book, "codebook.csv"),
        "recommendations": _frame("recommendations", [
            {"ref": "R1", "facility_id": "TST", "status": "achieved", "text": "Done.", "made": pd.Timestamp("2024-03-01")},
            {"ref": "R2", "facility_id": "TST", "status": "not_achieved", "text": "Improve first-night checks.",
             "theme": "safety", "made": pd.Timestamp("2024-03-01"), "due": pd.Timestamp("2025-01-01")},
            {"ref": "R3", "facility_id": "TST", "status": "partly_achieved", "text": "Unlock <everyone> & more.",
             "made": pd.Timestamp("2024-03-01"), "due": pd.Timestamp("2027-01-01"), "repeats_ref": "R0"}],
            "tracker.xlsx"),
        "visits": _frame("visits", [
            {"visit_id": "V1", "facility_id": "TST", "start": pd.Timestamp("2024-02-19"), "visit_type": "full",
             "rating_safety": 2.0},
            {"visit_id": "V2", "facility_id": "TST", "start": pd.Timestamp("2027-01-01"), "visit_type": "full"}],
            "visits.csv"),
    }
    files = [SourceFile(name.split(".")[0], table, f"/data/{name}", f"{i:02d}" * 32, "csv", len(tables[table]), False)
             for i, (table, name) in enumerate([("facilities", "register.csv"), ("population", "population.csv"),
                                                ("incidents", "incidents.csv"), ("survey_responses", "survey.xlsx"),
                                                ("survey_questions", "codebook.csv"),
                                                ("recommendations", "tracker.xlsx"), ("visits", "visits.csv")])]
    report = Report([
        Problem("schema", "incidents: bad value (value 'PERSON-7731-00000')", file="incidents.csv", row=2,
                column="person_ref", severity="warning"),
        Problem("date", "could not read the date beside 'PERSON-7731-00001'", file="incidents.csv", row=3,
                column="Date", severity="warning", hint="write dates as 2026-09-30")])
    return Estate(config, tables, files, report)


def identifiers(estate: Estate) -> set[str]:
    inc, resp = estate.tables["incidents"], estate.tables["survey_responses"]
    return set(inc["person_ref"]) | set(inc["incident_id"]) | set(resp["respondent"])


@pytest.fixture(scope="module")
def estate() -> Estate:
    return make_estate()


@pytest.fixture(scope="module")
def pack(estate):
    """Context, charts and the three renderings for the prison."""
    context = facility_context(estate, "TST", Control(estate.config.disclosure), BUILT)
    charts = facility_charts(context)
    return {"context": context, "charts": charts, "html": render_html(context, charts),
            "docx": render_docx(context, charts), "json": render_json(context)}


class _Page(HTMLParser):
    """Collects tags and text, and checks that every element is closed in order."""

    VOID = {"meta", "link", "br", "img", "input", "hr", "col", "source", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.starts, self.errors = [], [], []
        self.tables, self._cell, self._row = [], None, None

    def handle_starttag(self, tag, attrs):
        self.starts.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)
        if tag == "table":
            self.tables.append({"id": dict(attrs).get("id"), "rows": []})
        elif tag == "tr" and self.tables:
            self._row = []
            self.tables[-1]["rows"].append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""

    def handle_startendtag(self, tag, attrs):
        self.starts.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def test_html_is_well_formed_with_headings_tables_and_language(pack):
    page = parse(pack["html"])
    assert page.errors == [] and page.stack == []
    tags = [t for t, _ in page.starts]
    assert dict(page.starts)["html"]["lang"] == "en"
    assert tags.count("h1") == 1 and tags.count("h2") >= 7 and "h3" in tags
    assert tags.count("table") == tags.count("caption")
    assert all(a.get("scope") in ("col", "row") for t, a in page.starts if t == "th")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", pack["html"]), "no external requests"


def test_every_image_and_chart_has_alt_text(pack):
    page = parse(pack["html"])
    imgs = [a for t, a in page.starts if t == "img"]
    svgs = [a for t, a in page.starts if t == "svg"]
    assert all(a.get("alt") for a in imgs)
    assert len(svgs) == len(pack["charts"]) >= 2
    assert all(a.get("role") == "img" and len(a.get("aria-label", "")) > 40 for a in svgs)


def test_marking_at_top_and_bottom_and_in_print_css(pack):
    html = pack["html"]
    body = html[html.index("<body>"):]
    assert body.index(MARKING) < body.index("<h1") and body.rindex(MARKING) > body.index("Appendix")
    assert re.search(r"@top-center \{ content: \"OFFICIAL-SENSITIVE\"", html)
    assert "starting point for enquiry, not a judgement" in html


def docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return " ".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))


def test_no_person_level_identifier_in_any_output(estate, pack):
    outputs = {"html": pack["html"], "json": pack["json"], "docx": docx_text(pack["docx"])}
    for name, text in outputs.items():
        leaked = [i for i in identifiers(estate) if i in text]
        assert leaked == [], f"{name} shows {leaked[:3]}"
    assert "[identifier removed]" in pack["json"]


def _docx_rows(data: bytes) -> list[list[str]]:
    document = docx.Document(io.BytesIO(data))
    return [[c.text for c in row.cells] for table in document.tables for row in table.rows]


def test_a_count_of_three_shows_as_the_symbol_everywhere(pack):
    fire = next(c for c in pack["context"]["incidents"]["categories"] if c["category"] == "fire")
    assert fire["last"] == {"text": SYMBOL, "value": None, "hidden": True, "note": "Hidden: small number"}
    assert fire["rate_last"]["text"] == SYMBOL and fire["change"]["direction"] == "none"
    assert json.loads(pack["json"])["incidents"]["categories"][-1]["last"]["text"] == SYMBOL
    summary = next(t for t in parse(pack["html"]).tables if t["rows"] and t["rows"][0][:2] == ["Category", "Last 12 months"])
    assert next(r for r in summary["rows"] if r[0] == "Fires")[1:3] == [SYMBOL, SYMBOL]
    assert next(r for r in _docx_rows(pack["docx"]) if r[0] == "Fires")[1:3] == [SYMBOL, SYMBOL]


def _truth(block_name: str) -> pd.DataFrame:
    inc = make_estate().tables["incidents"]
    inc = inc[inc["facility_id"] == "TST"]
    months = MONTHS[:12] if block_name == "previous" else MONTHS[12:]
    table = inc.assign(m=inc["occurred"].dt.to_period("M")).pivot_table(
        index="m", columns="category", values="count", aggfunc="sum", fill_value=0)
    return table.reindex(index=months, columns=["self_harm", "use_of_force", "fire"], fill_value=0)


def _determined(columns: list[tuple[str, ...]]) -> list[tuple[int, int]]:
    """Hidden entries that the shown figures pin down exactly (each column: cells sum to the total).

    Unknowns are the hidden cells and hidden totals; each column gives one
    equation. An unknown is determined when every solution agrees on it,
    i.e. the null space of the equations has no component on it.
    """
    unknowns = [(j, i) for j, col in enumerate(columns) for i, text in enumerate(col) if text == SYMBOL]
    if not unknowns:
        return []
    a = np.zeros((len(columns), len(unknowns)))
    for k, (j, i) in enumerate(unknowns):
        a[j, k] = -1.0 if i == len(columns[j]) - 1 else 1.0
    _, sing, vt = np.linalg.svd(a)
    null = vt[int((sing > 1e-9).sum()):]
    return [u for k, u in enumerate(unknowns) if null.shape[0] == 0 or np.allclose(null[:, k], 0, atol=1e-9)]


def test_in_the_teams_pack_a_count_of_three_is_shown_and_a_percentage_of_too_few_people_is_not():
    estate = make_estate(audience="team")
    context = facility_context(estate, "TST", Control(estate.config.disclosure), BUILT)
    fire = next(c for c in context["incidents"]["categories"] if c["category"] == "fire")
    assert fire["last"] == {"text": "3", "value": 3, "hidden": False}
    assert not fire["rate_last"]["hidden"]
    html = render_html(context, facility_charts(context))
    summary = next(t for t in parse(html).tables if t["rows"] and t["rows"][0][:2] == ["Category", "Last 12 months"])
    assert next(r for r in summary["rows"] if r[0] == "Fires")[1] == "3"
    assert "counts and rates are shown as they are" in context["disclosure"]["rule"]
    (survey,) = context["surveys"]
    questions = {q["question"]: q for q in survey["questions"]}
    assert questions["q1"]["percent"]["text"] == "70%"  # 14 of 20 answering


def test_secondary_suppression_leaves_no_hidden_cell_recoverable(pack):
    tables = {t["id"]: t["rows"] for t in parse(pack["html"]).tables if t["id"]}
    hidden_seen = 0
    for name in ("previous", "last"):
        rows = tables[f"incidents-{name}"]
        header, body = rows[0], rows[1:]
        # No total across categories, so the only totals are each column's (the last row).
        assert header[1:] == ["Self-harm", "Use of force", "Fires"] and body[-1][0] == "Total"
        grid = [r[1:] for r in body]
        truth = _truth(name)
        for i, line in enumerate(grid[:-1]):
            for j, text in enumerate(line):
                if text != SYMBOL:
                    assert int(text) == truth.iat[i, j], "a shown cell differs from the true count"
        columns = list(zip(*grid))
        for j, column in enumerate(columns):
            hidden_seen += sum(c == SYMBOL for c in column)
            assert column[-1] == SYMBOL or int(column[-1]) == truth.iloc[:, j].sum()
        assert _determined(columns) == [], f"hidden figures can be worked out in {name}"
    assert hidden_seen > 0


def test_word_pack_has_headings_marking_repeating_headers_and_described_pictures(pack):
    document = docx.Document(io.BytesIO(pack["docx"]))
    styles = [p.style.name for p in document.paragraphs]
    assert styles.count("Heading 1") >= 6
    assert MARKING in " ".join(p.text for p in document.sections[0].header.paragraphs)
    assert MARKING in " ".join(p.text for p in document.sections[0].footer.paragraphs)
    assert document.tables and all(t.rows[0]._tr.trPr is not None and
                                   t.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None for t in document.tables)
    pictures = list(document.element.body.iter(qn("wp:docPr")))
    assert len(pictures) == len(pack["charts"]) == len(document.inline_shapes)
    assert all(p.get("descr") for p in pictures)
    assert "starting point for enquiry, not a judgement" in docx_text(pack["docx"])
    assert "Unlock &lt;everyone&gt; &amp; more." in docx_text(pack["docx"]), "text is escaped, not injected"


def test_rendering_twice_gives_identical_output(estate, pack):
    again = facility_context(estate, "TST", Control(estate.config.disclosure), BUILT)
    charts = facility_charts(again)
    assert [c.svg for c in charts] == [c.svg for c in pack["charts"]]
    assert [c.png for c in charts] == [c.png for c in pack["charts"]]
    assert render_html(again, charts) == pack["html"]
    assert render_docx(again, charts) == pack["docx"]
    assert render_json(again) == pack["json"]


def test_context_is_plain_json_data(pack):
    def walk(x):
        if isinstance(x, dict):
            assert all(isinstance(k, str) for k in x)
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        else:
            assert x is None or type(x) in (str, int, float, bool), type(x)
    walk(pack["context"])
    assert json.loads(pack["json"]) == pack["context"]


def test_every_name_a_template_uses_is_a_context_key(estate, pack):
    env = environment([TEMPLATES])
    facility_keys = set(pack["context"])
    index_keys = set(estate_context(estate, Control(estate.config.disclosure), BUILT))
    for path in sorted(TEMPLATES.rglob("*.j2")):
        if path.name in ("comparison.html.j2", "schedule.html.j2", "digest.html.j2") or \
                path.parent.name in ("comparison", "public"):
            continue  # their own contexts: test_comparison, test_schedule, test_history, test_public_outputs
        used = jinja2.meta.find_undeclared_variables(env.parse(path.read_text(encoding="utf-8")))
        allowed = index_keys if path.name == "index.html.j2" else facility_keys | {"reading_time"}  # render_html's
        assert used <= allowed, f"{path.name} uses {sorted(used - allowed)}"
    word_env = jinja2.Environment()
    word_env.filters["short_date"] = short_date  # render_docx's filter
    word = DocxTemplate(str(TEMPLATES / "pack.docx")).get_undeclared_template_variables(word_env)
    word_helpers = {"anchor", "doclink", "reading_time"}  # added by render_docx, documented in docs/context.md
    assert word <= facility_keys | word_helpers, f"pack.docx uses {sorted(word - facility_keys - word_helpers)}"


def test_survey_percentages_use_the_codebook_and_hide_small_parts(pack):
    (survey,) = pack["context"]["surveys"]
    assert survey["respondents"]["text"] == "20" and survey["when"] == "March 2026"
    questions = {q["question"]: q for q in survey["questions"]}
    assert set(questions) == {"q1", "q2/cell"}  # q3 has no positive answer defined
    assert questions["q1"]["percent"]["text"] == "70%" and questions["q1"]["answering"]["text"] == "20"
    assert questions["q2/cell"]["percent"]["hidden"] and questions["q2/cell"]["positive"]["text"] == SYMBOL


def test_follow_up_lists_outstanding_recommendations_and_past_visits(pack):
    recs = pack["context"]["recommendations"]
    assert [r["ref"] for r in recs["outstanding"]] == ["R2", "R3"]
    assert recs["outstanding"][0]["overdue_days"]["value"] == (BUILT.date() - dt.date(2025, 1, 1)).days
    assert recs["outstanding"][1]["repeats_ref"] == "R0" and not recs["outstanding"][1]["overdue"]
    assert [v["id"] for v in pack["context"]["visits"]] == ["V1"]


def test_population_alt_text_states_the_finding(pack):
    alt = next(c.alt for c in pack["charts"] if c.id == "population")
    assert alt.startswith("Line chart of population against in-use capacity and operational capacity, "
                          "October 2024 to September 2026.")
    assert "rose from 480 in October 2024 to 526 in September 2026" in alt
    assert "above in-use capacity in 13 of the 24 months" in alt
    assert "has been since September 2025" in pack["context"]["population"]["summary"]


def test_short_stay_places_use_throughput_rates(estate):
    context = facility_context(estate, "PCS", Control(estate.config.disclosure), BUILT)
    assert context["population"]["basis"] == "throughput"
    assert context["incidents"]["rate_label"] == "per 1,000 detentions (throughput)"
    assert context["incidents"]["base"]["last"]["text"] == "3,600"
    assert "Detentions" in render_html(context, facility_charts(context))


def test_estate_index_links_every_facility(estate):
    context = estate_context(estate, Control(estate.config.disclosure), BUILT)
    html = render_index_html(context)
    assert parse(html).errors == []
    assert [f["href"] for f in context["facilities"]] == ["tst/datapack.html", "pcs/datapack.html"]
    assert 'href="tst/datapack.html"' in html and MARKING in html


def test_unknown_facility_names_known_ones(estate):
    with pytest.raises(KeyError, match="known ids include: PCS, TST"):
        facility_context(estate, "NOPE", Control(estate.config.disclosure), BUILT)


def test_organisation_templates_override_the_project_ones(tmp_path, pack):
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "notes.html.j2").write_text("<section><h2 id=\"notes\">Our own notes</h2></section>\n")
    html = render_html(pack["context"], pack["charts"], [tmp_path, *default_template_dirs()])
    assert "Our own notes" in html and "Lines of enquiry agreed" not in html


@pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata is not present")
def test_real_published_files_make_a_pack():
    config = load_config(Path(__file__).resolve().parent / "realdata" / "datapack.yaml")
    estate = load_estate(config)
    context = facility_context(estate, "AC", Control(config.disclosure), BUILT)
    charts = facility_charts(context)
    html, word = render_html(context, charts), render_docx(context, charts)
    assert parse(html).errors == [] and "Altcourse" in html
    assert context["population"]["basis"] == "population" and context["population"]["latest"]["month"] == "2024-12"
    assert {s["file"] for s in context["sources"]} >= {"deaths_in_custody_by_prison.xlsx", "prison.tsv"}
    assert docx.Document(io.BytesIO(word)).paragraphs


def test_every_top_level_context_key_is_documented():
    """docs/context.md is the pack.json schema: every key a real context carries is in its table."""
    import datetime as _dt
    from pathlib import Path as _Path

    from datapack.analysis import facility_context as _fc
    from datapack.analysis.estate import analyse as _analyse
    from datapack.config import load_config as _load
    from datapack.disclosure import Control as _Control
    from datapack.ingest import load_estate as _estate

    root = _Path(__file__).resolve().parents[1]
    estate = _estate(_load(root / "datapack.yaml"))
    control = _Control(estate.config.disclosure)
    context = _fc(estate, "NGT", control, _dt.datetime(2026, 10, 15), analysis=_analyse(estate, control))
    doc = (root / "docs" / "context.md").read_text()
    missing = [k for k in context if f"| `{k}` |" not in doc]
    assert missing == []
