"""Byte-reproducible builds (issue 11.5): the same inputs give the same bytes in every file, in any process.

The end-to-end tests build one small demo twice, each time from its own
copy of the inputs into its own output folder, in separate processes with
different hash seeds and time zones, and compare every file byte for byte.
The unit tests pin down each thing that had to be fixed: the build time,
zip entries, document properties, chart ids and PDF dates.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from datapack.build_time import build_time, newest_date
from datapack.charts.style import fixed_figure, house_style, save
from datapack.problems import InputError
from datapack.render import pdf
from datapack.render.zipnorm import ZIP_DATE, normalise_zip

#: Two runs that differ in all that must not matter: hash seed (set and dict order), time zone, folder names.
SIDES = ({"PYTHONHASHSEED": "1", "TZ": "UTC", "folder": "first-run-qx7"},
         {"PYTHONHASHSEED": "4242", "TZ": "Pacific/Auckland", "folder": "second-run-mv3"})
#: 2026-09-21 14:13:20 UTC.
EPOCH = 1790000000
#: Files in an output folder that are not outputs: the lock names the run that holds the folder (its
#: process, host and start), state like the build history and the cache.
NOT_OUTPUTS = {".datapack-lock"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A one-facility, twelve-month demo estate (the smallest that has every kind of input)."""
    from datapack.demo import generate

    root = tmp_path_factory.mktemp("demo")
    return generate(root, facilities=1, months=12)


def _run_twice(demo, tmp: Path, commands: list[list[str]], env: dict[str, str], out: str = "out") -> list[Path]:
    """Run ``commands`` (``datapack`` arguments, ``{out}`` for the output folder) once per side, both at once.

    Each side reads its own copy of the demo under ``tmp`` (made on first use, so later runs find its cache).
    """
    def side(spec: dict[str, str]) -> Path:
        inputs = tmp / spec["folder"] / "inputs"
        if not inputs.exists():
            shutil.copytree(demo.out_dir, inputs)
        out_dir = tmp / spec["folder"] / out
        run_env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
        run_env |= {"PYTHONHASHSEED": spec["PYTHONHASHSEED"], "TZ": spec["TZ"]} | env
        for args in commands:
            done = subprocess.run([sys.executable, "-m", "datapack.cli", *[a.format(out=out_dir) for a in args]],
                                  cwd=inputs, env=run_env, capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, done.stdout + done.stderr
        return out_dir

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        return list(pool.map(side, SIDES))


def _where(a: bytes, b: bytes) -> str:
    at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"from byte {at} ({a[max(0, at - 60):at + 60]!r} vs {b[max(0, at - 60):at + 60]!r})"


def differences(first: Path, second: Path) -> list[str]:
    """Every file that is missing on one side or differs, with where (inside a zip, which entry)."""
    names = {p.relative_to(first) for p in first.rglob("*") if p.is_file() and p.name not in NOT_OUTPUTS}
    other = {p.relative_to(second) for p in second.rglob("*") if p.is_file() and p.name not in NOT_OUTPUTS}
    found = [f"{n}: only in one build" for n in sorted(names ^ other)]
    for name in sorted(names & other):
        a, b = (first / name).read_bytes(), (second / name).read_bytes()
        if a == b:
            continue
        if a[:2] == b"PK" and b[:2] == b"PK":
            za, zb = zipfile.ZipFile(io.BytesIO(a)), zipfile.ZipFile(io.BytesIO(b))
            if za.namelist() != zb.namelist():
                found.append(f"{name}: entries differ or are in another order")
            parts = [f"{e} {_where(za.read(e), zb.read(e))}" for e in za.namelist()
                     if e in zb.namelist() and za.read(e) != zb.read(e)]
            found.append(f"{name}: " + ("; ".join(parts) if parts else "entry headers (dates, permissions)"))
        else:
            found.append(f"{name}: {_where(a, b)}")
    return found


def _texts(path: Path) -> list[bytes]:
    """A file's bytes, and for a zip every entry's content too."""
    data = path.read_bytes()
    if data[:2] != b"PK":
        return [data]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [data] + [archive.read(n) for n in archive.namelist()]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Where both sides keep their copy of the inputs (and so their cache) and their outputs."""
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="module")
def built(demo, runs):
    """The demo built twice by default (no SOURCE_DATE_EPOCH): every format, PDF where LibreOffice is.

    The second side's sources are read once beforehand, so it builds from its cache and the first does not.
    """
    from datapack.config import load_config
    from datapack.ingest import load_estate

    warm = runs / SIDES[1]["folder"] / "inputs"
    shutil.copytree(demo.out_dir, warm)
    assert not any(f.cached for f in load_estate(load_config(warm / "datapack.yaml")).files)
    return _run_twice(demo, runs,
                      [["build", "--output", "{out}", "--quiet", "--format", "html", "--format", "docx",
                        "--format", "xlsx", "--format", "pdf"]], {})


@pytest.mark.slow
def test_two_builds_of_the_same_inputs_are_byte_identical_in_every_file(built):
    first, second = built
    names = sorted(str(p.relative_to(first)) for p in first.rglob("*") if p.is_file())
    expected = {"index.html", "manifest.json", "comparison.html", "comparison.docx", "comparison.xlsx",
                "comparison.json", "digest.html", "digest.json", "schedule.html", "schedule.xlsx",
                "ngt/datapack.html", "ngt/datapack.docx",
                "ngt/data.xlsx", "ngt/pack.json", "ngt/manifest.json"}
    if pdf.libreoffice_available():
        expected.add("ngt/datapack.pdf")
    assert expected <= set(names), names
    assert differences(first, second) == []


@pytest.mark.slow
def test_the_default_build_time_is_the_newest_date_in_the_inputs(built, demo):
    manifest = json.loads((built[0] / "manifest.json").read_text())
    # The demo's incidents run to its last day; the clock (December 2026 or later) plays no part.
    assert manifest["built_at"][:10] == demo.end.isoformat()


@pytest.mark.slow
def test_no_file_names_the_folder_it_was_built_from_or_into(built):
    for out, spec in zip(built, SIDES):
        for path in out.rglob("*"):
            if path.is_file() and path.name not in NOT_OUTPUTS:
                assert not any(spec["folder"].encode() in text for text in _texts(path)), path


@pytest.mark.slow
def test_word_and_excel_files_are_dated_by_the_build_time_with_fixed_zip_entries(built):
    built_at = json.loads((built[0] / "manifest.json").read_text())["built_at"] + "Z"
    documents = [p for p in built[0].rglob("*") if p.suffix in (".docx", ".xlsx")]
    assert sorted(str(p.relative_to(built[0])) for p in documents) == [
        "comparison.docx", "comparison.xlsx", "ngt/data.xlsx", "ngt/datapack.docx", "public/estate-summary.docx",
        "public/ngt-summary.docx", "schedule.xlsx"]
    for path in documents:
        with zipfile.ZipFile(path) as archive:
            assert {i.date_time for i in archive.infolist()} == {ZIP_DATE}, path
            assert archive.namelist()[0] == "[Content_Types].xml"
            core = archive.read("docProps/core.xml").decode()
        assert re.findall(r"<dcterms:(?:created|modified)[^>]*>([^<]+)<", core) == [built_at, built_at], path
        if path.suffix == ".docx":
            assert "<cp:revision>1</cp:revision>" in core, path
            assert re.search(r"<cp:lastModifiedBy>(datapack)?</cp:lastModifiedBy>", core), path


@pytest.mark.skipif(not pdf.libreoffice_available(), reason="LibreOffice is not installed")
@pytest.mark.slow
def test_the_pdf_carries_the_build_time_not_the_conversion_time(built):
    data = (built[0] / "ngt" / "datapack.pdf").read_bytes()
    stamp = json.loads((built[0] / "manifest.json").read_text())["built_at"]
    assert re.search(rb"/CreationDate\s*\(D:" + re.sub(r"\D", "", stamp).encode(), data)


@pytest.mark.slow
def test_with_source_date_epoch_the_schedule_and_data_package_are_identical_and_dated_by_it(demo, runs, built):
    first, second = _run_twice(demo, runs, [["schedule", "--output", "{out}", "--quiet"],
                                            ["export", "--output", "{out}"]],
                               {"SOURCE_DATE_EPOCH": str(EPOCH)}, out="dated")
    assert {"schedule.html", "schedule.xlsx"} <= {p.name for p in first.iterdir()}
    assert differences(first, second) == []
    assert json.loads((first / "datapackage" / "datapackage.json").read_text())["created"] == "2026-09-21T14:13:20Z"
    assert "21 September 2026 at 14:13" in (first / "schedule.html").read_text()


# -- the build time -------------------------------------------------------------------------------

NOW = dt.datetime(2026, 12, 2, 9, 0)


def test_the_newest_date_is_taken_from_the_dates_that_place_rows_in_time():
    tables = {
        "incidents": pd.DataFrame({"occurred": pd.to_datetime(["2026-03-01 10:00", "2026-06-30 23:15"])}),
        "population": pd.DataFrame({"month": pd.to_datetime(["2026-05-01"])}),
        # A due date is a plan, not data: it does not date the build.
        "recommendations": pd.DataFrame({"made": pd.to_datetime(["2026-01-10"]), "due": pd.to_datetime(["2026-11-30"]),
                                         "status_date": pd.to_datetime(["2026-06-02"])}),
        "incident_counts": pd.DataFrame({"period_start": pd.to_datetime(["2026-04-01"]),
                                         "period_end": pd.to_datetime(["2026-06-30"])}),
    }
    assert newest_date(tables, NOW) == dt.datetime(2026, 6, 30, 23, 15)
    tables["recommendations"]["status_date"] = pd.to_datetime(["2026-07-01"])  # assessed after the last incident
    assert newest_date(tables, NOW) == dt.datetime(2026, 7, 1)


def test_a_date_after_now_does_not_date_the_build():
    tables = {"visits": pd.DataFrame({"start": pd.to_datetime(["2026-10-05", "2027-03-01"])}),  # one planned
              "incidents": pd.DataFrame({"occurred": pd.to_datetime(["2062-01-01"])})}          # a mistyped year
    assert newest_date(tables, NOW) == dt.datetime(2026, 10, 5)


class _Estate:
    def __init__(self, tables, files=()):
        self.tables, self.files = tables, list(files)


def test_source_date_epoch_wins_and_is_read_as_utc(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    estate = _Estate({"incidents": pd.DataFrame({"occurred": pd.to_datetime(["2026-06-30"])})})
    assert build_time(estate, NOW) == dt.datetime(2026, 9, 21, 14, 13, 20)


def test_a_malformed_source_date_epoch_is_an_input_error_naming_it(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(InputError) as caught:
        build_time(_Estate({}), NOW)
    assert "SOURCE_DATE_EPOCH='yesterday'" in str(caught.value.problems[0])


def test_a_malformed_source_date_epoch_stops_the_build_with_the_problem_not_a_traceback(demo, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from datapack.cli import main

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "2026-09-30")
    result = CliRunner().invoke(main, ["build", "--config", str(demo.out_dir / "datapack.yaml"),
                                       "--output", str(tmp_path / "out"), "--quiet"])
    assert result.exit_code == 1
    assert "SOURCE_DATE_EPOCH='2026-09-30' is not a whole number of seconds" in result.output
    assert "fault in datapack" not in result.output and not (tmp_path / "out" / "index.html").exists()


def test_without_dated_rows_the_newest_input_file_dates_the_build(monkeypatch, tmp_path):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    older, newer = tmp_path / "a.csv", tmp_path / "b.csv"
    older.write_text("x"), newer.write_text("y")
    os.utime(older, (1_700_000_000, 1_700_000_000))
    os.utime(newer, (1_750_000_000, 1_750_000_000))

    class File:
        def __init__(self, path):
            self.path = str(path)

    assert build_time(_Estate({}, [File(older), File(newer)]), NOW) == dt.datetime.fromtimestamp(1_750_000_000)
    assert build_time(_Estate({}), NOW) == NOW


# -- zips -----------------------------------------------------------------------------------------

def _zip(entries: list[tuple[str, bytes]], when: tuple, mode: int, system: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=when)
            info.external_attr, info.create_system = mode << 16, system
            archive.writestr(info, data, compresslevel=9)
    return out.getvalue()


def test_zips_with_the_same_parts_normalise_to_the_same_bytes_whatever_their_dates_order_and_system():
    parts = [("word/document.xml", b"<w:document/>"), ("[Content_Types].xml", b"<Types/>"),
             ("docProps/core.xml", b"<cp:coreProperties/>"), ("_rels/.rels", b"<Relationships/>")]
    one = _zip(parts, (2026, 12, 2, 9, 30, 12), 0o600, 0)
    two = _zip(list(reversed(parts)), (2025, 1, 1, 0, 0, 0), 0o755, 3)
    assert one != two
    assert normalise_zip(one) == normalise_zip(two)
    with zipfile.ZipFile(io.BytesIO(normalise_zip(one))) as archive:
        assert archive.namelist() == ["[Content_Types].xml", "_rels/.rels", "docProps/core.xml", "word/document.xml"]
        assert {(i.date_time, i.external_attr >> 16, i.create_system) for i in archive.infolist()} == {
            ((1980, 1, 1, 0, 0, 0), 0o100644, 3)}
        assert {n: archive.read(n) for n in archive.namelist()} == dict(parts)


# -- charts ---------------------------------------------------------------------------------------

def _chart(chart_id: str) -> tuple[bytes, str]:
    with house_style(chart_id):
        fig, ax = fixed_figure(2.0, 0.6, 0.2, 0.3, 0.4)
        ax.plot([0, 1, 2], [3, 1, 2], label="rate")
        ax.set_title("A chart")
        png, svg = save(fig)
    # drawn on demand, SVG first, after the house style is left: the chart's own settings still apply
    text = svg()
    return png(), text


def test_chart_ids_are_fixed_per_chart_and_differ_between_charts():
    png, svg = _chart("spc-self-harm")
    again_png, again_svg = _chart("spc-self-harm")
    assert (png, svg) == (again_png, again_svg)
    ids = set(re.findall(r'id="([^"]+)"', svg))
    assert any(i.startswith("p") and len(i) == 11 for i in ids), ids  # clip paths: hashed, not random
    # Two charts in one HTML page must never share a clip-path id.
    other_ids = set(re.findall(r'id="(p[0-9a-f]{10})"', _chart("funnel-self-harm")[1]))
    assert other_ids and not other_ids & ids


def test_charts_carry_no_date_or_software_stamp():
    png, svg = _chart("incidents")
    assert "<dc:date>" not in svg and "Matplotlib" not in svg.split("</metadata>")[0]
    assert b"Software" not in png and b"tIME" not in png


# -- PDF ------------------------------------------------------------------------------------------

def _minimal_pdf(created: str, file_id: str) -> bytes:
    """A one-page PDF as LibreOffice lays one out: Info dictionary, cross-references, then a trailer with /ID."""
    objects = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
               b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>",
               b"<</Producer(LibreOffice)/CreationDate(D:" + created.encode() + b"Z')>>"]
    out, offsets = bytearray(b"%PDF-1.6\n"), []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += (b"trailer\n<</Size 5/Root 1 0 R/Info 4 0 R/ID [ <%s>\n<%s> ]\n/DocChecksum /%s\n>>\nstartxref\n%d\n%%%%EOF\n"
            % (file_id.encode(), file_id.encode(), file_id.encode(), xref))
    return bytes(out)


def test_two_conversions_of_one_document_give_the_same_pdf_once_dated_by_the_build():
    when = dt.datetime(2026, 9, 30, 23, 15)
    first = pdf.fix_pdf_dates(_minimal_pdf("20261202093012", "D7A135DCBB4C4F600CE793C1DF6EDE1C"), when)
    second = pdf.fix_pdf_dates(_minimal_pdf("20261202093105", "7E5E28870FD38C34129B7E809CB4366E"), when)
    assert first == second
    assert b"/CreationDate(D:20260930231500Z')" in first
    assert len(first) == len(_minimal_pdf("20261202093012", "D7A135DCBB4C4F600CE793C1DF6EDE1C"))  # offsets hold
    assert b"D7A135DC" not in first and b"7E5E2887" not in first
    # A different document gets a different /ID.
    other = pdf.fix_pdf_dates(_minimal_pdf("20261202093012", "D7A135DCBB4C4F600CE793C1DF6EDE1C").replace(
        b"595 842", b"842 595"), when)
    assert re.search(rb"/ID \[ <(\w+)>", other).group(1) != re.search(rb"/ID \[ <(\w+)>", first).group(1)


def _pdf_of(objects: dict[int, bytes]) -> bytes:
    """A PDF holding ``objects`` (number: body), written in the order given, with its cross-references."""
    out, offsets = bytearray(b"%PDF-1.6\n"), {}
    for n, body in objects.items():
        offsets[n] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref, size = len(out), max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    out += b"".join(b"%010d 00000 n \n" % offsets[n] for n in range(1, size))
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


def test_a_pdf_whose_fonts_were_written_in_another_order_comes_out_the_same():
    # LibreOffice keeps the fonts it embeds by memory address, so one run can write the bold font's
    # objects before the regular one's and the next run after: the same document, numbered otherwise.
    page = b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 %d 0 R/F2 %d 0 R>>>>/Contents 3 0 R>>"
    text = b"BT /F1 12 Tf 72 720 Td (Bold) Tj /F2 12 Tf (Regular) Tj ET"
    common = {1: b"<</Type/Catalog/Pages 2 0 R>>", 2: b"<</Type/Pages/Kids[4 0 R]/Count 1>>",
              3: b"<</Length %d>>\nstream\n%s\nendstream" % (len(text), text)}
    bold, regular = b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica-Bold>>", b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>"
    first = _pdf_of(common | {4: page % (5, 6), 5: bold, 6: regular})
    second = _pdf_of(common | {4: page % (6, 5), 5: regular, 6: bold})
    assert first != second
    assert pdf.canonical_pdf(first) == pdf.canonical_pdf(second)
    # Still a document with the same text, in the same fonts.
    assert b"Helvetica-Bold" in pdf.canonical_pdf(first) and text in pdf.canonical_pdf(first)
    swapped = _pdf_of(common | {4: page % (6, 5), 5: bold, 6: regular})  # F1 is now the regular font
    assert pdf.canonical_pdf(swapped) != pdf.canonical_pdf(first)


def test_the_pdf_date_comes_from_the_word_documents_modified_property():
    core = (b'<cp:coreProperties><dcterms:created xsi:type="dcterms:W3CDTF">2026-01-01T00:00:00Z</dcterms:created>'
            b'<dcterms:modified xsi:type="dcterms:W3CDTF">2026-09-30T23:15:00Z</dcterms:modified></cp:coreProperties>')
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("docProps/core.xml", core)
    assert pdf.docx_modified(docx.getvalue()) == dt.datetime(2026, 9, 30, 23, 15)
    assert pdf.docx_modified(b"not a zip") is None
