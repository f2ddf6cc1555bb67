"""Bounded resources (issue 12 point 6): sheets and archives are measured before they are read.

The bombs are real: a workbook whose shared string unpacks to 1 GiB (a
reader would hold it all, taking several gigabytes) and an ODK zip whose
form unpacks to 1 GiB. Each is refused through the same path a build takes,
in a fresh process so its peak memory can be measured.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from corpus import files
from datapack.adapters import guard
from datapack.config import Limits, SourceConfig
from datapack.problems import InputError

TESTS = Path(__file__).resolve().parent

_MEASURE = textwrap.dedent("""
    import json, resource, sys, time
    sys.path.insert(0, {tests!r})
    from pathlib import Path
    from datapack.cache import RawCache
    from datapack.config import SourceConfig
    from datapack.ingest import read_file
    from datapack.problems import InputError
    source = SourceConfig.model_validate(json.loads({source!r}))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        read_file(Path({path!r}), source, RawCache(None))
        codes = []
    except InputError as exc:
        codes = [p.code for p in exc.problems]
    seconds = time.perf_counter() - started
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(json.dumps({{"codes": codes, "seconds": seconds, "mb": grown}}))
""")


def _measure(path: Path, source: dict) -> dict:
    code = _MEASURE.format(tests=str(TESTS), source=json.dumps(source), path=str(path))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_decompression_bomb_workbook_is_refused_fast_in_little_memory(tmp_path):
    bomb = tmp_path / "incidents.xlsx"
    bomb.write_bytes(files.xlsx_bomb(1024))
    assert bomb.stat().st_size < 3_000_000  # a small file that unpacks to 1 GiB
    found = _measure(bomb, {"name": "bomb", "table": "incidents", "path": "incidents.xlsx",
                            "columns": {"facility": "heading"}})
    assert found["codes"] == ["too-large"]
    assert found["seconds"] < 1 and found["mb"] < 200, found


def test_a_decompression_bomb_odk_zip_is_refused_fast_in_little_memory(tmp_path):
    bomb = tmp_path / "form.csv.zip"
    bomb.write_bytes(files.odk_bomb(1024))
    found = _measure(bomb, {"name": "bomb", "table": "survey_responses", "format": "odk", "path": "form.csv.zip",
                            "columns": {"facility": "q1"}})
    assert found["codes"] == ["too-large"]
    assert found["seconds"] < 1 and found["mb"] < 200, found


def _check(data: bytes, tmp_path: Path, name: str = "book.xlsx", **limits) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    guard.use(Limits(**limits))
    try:
        guard.check_file(path)
    finally:
        guard.use(Limits())


def _code(data: bytes, tmp_path: Path, name: str = "book.xlsx", **limits) -> str | None:
    try:
        _check(data, tmp_path, name, **limits)
    except InputError as exc:
        return exc.problems[0].code
    return None


def test_an_ordinary_workbook_passes_every_check(tmp_path):
    assert _code(files.xlsx([["a", "b"], [1, 2]]), tmp_path) is None
    assert _code(files.ods(files.ods_row("a", "b") + files.ods_row("1", "2")), tmp_path, "book.ods") is None


def test_a_compressed_part_is_judged_by_its_ratio_and_the_ratio_is_a_setting(tmp_path):
    bomb = files.xlsx_bomb(16)  # 16 MiB from a few kilobytes
    assert _code(bomb, tmp_path) == "too-large"
    assert _code(bomb, tmp_path, compression_ratio=1_000_000) is None
    assert _code(bomb, tmp_path, compression_ratio=1_000_000, uncompressed_mb=8) == "too-large"


def test_the_extent_of_a_sheet_is_measured_from_its_xml():
    far = files.far_cell(files.xlsx([["a"]]), "ZZ200000")
    import zipfile
    with zipfile.ZipFile(io.BytesIO(far)) as z, z.open(files.SHEET) as part:
        assert guard.sheet_extent(part, ods=False) == (200_000, 702)


def test_ods_repeats_count_but_trailing_empty_ones_do_not():
    import zipfile

    def extent(cells_xml: str) -> tuple[int, int]:
        with zipfile.ZipFile(io.BytesIO(files.ods(cells_xml))) as z, z.open("content.xml") as part:
            return guard.sheet_extent(part, ods=True)
    assert extent(files.ods_row("a", "b") + files.ods_row("x", repeat_rows=300, repeat_cols=4)) == (301, 4)
    # LibreOffice writes the empty rest of a sheet as one repeated row of repeated empty cells
    blank = ('<table:table-row table:number-rows-repeated="1048574"><table:table-cell '
             'table:number-columns-repeated="1024"/></table:table-row>')
    assert extent(files.ods_row("a", "b") + blank) == (1, 2)


def test_sheet_limits_are_settings(tmp_path):
    wide = files.far_cell(files.xlsx([["a"]]), "J20")
    assert _code(wide, tmp_path) is None
    assert _code(wide, tmp_path, rows=19) == "too-large"
    assert _code(wide, tmp_path, columns=9) == "too-large"
    assert _code(wide, tmp_path, cells=199) == "too-large"


@pytest.mark.parametrize("where", [files.SHEET, "xl/workbook.xml", "[Content_Types].xml", "_rels/.rels"])
def test_a_dtd_in_any_xml_part_is_refused(tmp_path, where):
    assert _code(files.with_doctype(files.xlsx([["a"]]), where), tmp_path) == "xml-dtd"


def test_a_dtd_is_found_whatever_the_encoding_of_the_part(tmp_path):
    part = '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE x [<!ENTITY a "b">]><x/>'.encode("utf-16")
    book = files.rewrite_part(files.xlsx([["a"]]), "xl/styles.xml", lambda _: part)
    assert _code(book, tmp_path) == "xml-dtd"


def test_the_file_size_limit_is_a_setting(tmp_path):
    assert _code(b"a,b\n" * 1000, tmp_path, "big.csv", file_mb=0.001) == "too-large"
    assert _code(b"a,b\n" * 1000, tmp_path, "big.csv") is None


def test_a_long_cell_is_refused_at_its_row_unless_the_limit_is_raised(tmp_path):
    from datapack.adapters.csv_text import CsvAdapter

    path = tmp_path / "long.csv"
    path.write_text("a,b\n1,2\n3," + "x" * 200_000 + "\n")
    source = SourceConfig(name="s", table="incidents", path="long.csv")
    with pytest.raises(InputError) as refused:
        CsvAdapter().read(path, source)
    assert (refused.value.problems[0].code, refused.value.problems[0].row) == ("csv-malformed", 3)
    guard.use(Limits(cell_chars=300_000))
    try:
        assert len(CsvAdapter().read(path, source)[0].frame) == 2
    finally:
        guard.use(Limits())


def test_every_limit_is_documented_in_the_readme():
    readme = (TESTS.parent / "README.md").read_text()
    for name in Limits.model_fields:
        assert f"limits.{name}" in readme, name


def test_a_word_template_with_a_dtd_is_refused(tmp_path):
    from datapack.render.docx import find_template

    shipped = find_template(None)
    assert shipped.is_file()  # the shipped template passes
    (tmp_path / "pack.docx").write_bytes(files.with_doctype(shipped.read_bytes(), "word/document.xml"))
    with pytest.raises(InputError) as refused:
        find_template([tmp_path])
    assert refused.value.problems[0].code == "xml-dtd"
