"""More of the corpus: configuration mistakes, workbooks and archives, the file system, other formats."""

from __future__ import annotations

import io
import json
import zipfile

from corpus import files
from corpus.cases import (Case, both, fifo, folder, put, setting, top, visits_ods, visits_xlsx, xlsx_source,
                          yaml_text)

CONFIG = "datapack.yaml"
VISITS = "sources.3"   # the visits entry's place in the configuration (see corpus.project)
INCIDENTS = "sources.1"


def config_case(id: str, setup, column: str | None, codes: tuple[str, ...] = ("config",), row: int | None = None):
    """A mistake in the configuration: refused before any work, located in datapack.yaml."""
    return Case(id, setup, codes, CONFIG, row=row, column=column, config=True, built=(), combinable=False)


CONFIG_CASES = [
    config_case("delimiter-two-characters", setting("visits", delimiter=";;"), f"{VISITS}.delimiter"),
    config_case("delimiter-empty", setting("visits", delimiter=""), f"{VISITS}.delimiter"),
    config_case("encoding-unknown", setting("visits", encoding="utf-99"), f"{VISITS}.encoding"),
    config_case("header-row-zero", setting("visits", header_row=0), f"{VISITS}.header_row"),
    config_case("header-row-words", setting("visits", header_row="two"), f"{VISITS}.header_row"),
    config_case("header-row-huge", setting("visits", header_row=10 ** 9), f"{VISITS}.header_row"),
    config_case("skip-rows-bad-regex", setting("incidents", skip_rows={"Type": "(["}), f"{INCIDENTS}.skip_rows"),
    config_case("unpivot-bad-regex", setting("incidents", unpivot={"pattern": "Count[", "names_to": "measure",
                                                                   "values_to": "count"}), f"{INCIDENTS}.unpivot"),
    config_case("path-pattern-bad-regex", setting("visits", path_pattern="(?P<wave"), f"{VISITS}.path_pattern"),
    config_case("strptime-unknown-directive", setting("incidents", dates={"occurred": "%d/%m/%Q"}),
                f"{INCIDENTS}.dates"),
    config_case("strptime-without-directives", setting("incidents", dates={"occurred": "dd/mm/yyyy"}),
                f"{INCIDENTS}.dates"),
    config_case("strptime-empty-list", setting("incidents", dates={"occurred": []}), f"{INCIDENTS}.dates"),
    config_case("column-alternatives-empty", setting("visits", columns={"visit_id": [], "facility": "Establishment",
                                                                         "start": "Start"}), f"{VISITS}.columns"),
    config_case("column-heading-empty", setting("visits", columns={"visit_id": "", "facility": "Establishment",
                                                                    "start": "Start"}), f"{VISITS}.columns"),
    config_case("source-key-misspelt", setting("visits", colums={"visit_id": "Visit"}), f"{VISITS}.colums"),
    config_case("top-key-misspelt", top(ouptut="packs"), "ouptut"),
    config_case("table-misspelt", setting("visits", table="vists"), f"{VISITS}.table"),
    config_case("wrong-type-bool", setting("visits", dayfirst="sometimes"), f"{VISITS}.dayfirst"),
    config_case("wrong-type-sources", top(sources={"register": "sources/register.csv"}), "sources"),
    config_case("duplicate-source-names", setting("visits", name="incidents"), "sources"),
    config_case("no-register", lambda root, config: config["sources"].pop(0), "sources"),
    config_case("limits-negative", top(limits={"rows": -1}), "limits.rows"),
    config_case("limits-unknown", top(limits={"sheets": 3}), "limits.sheets"),
    config_case("yaml-tab-indent", yaml_text("sources:\n\t- name: x\n"), None, ("config-yaml",), row=2),
    config_case("yaml-unclosed-quote", yaml_text('project:\n  title: "Corpus\nsources: []\n'), None,
                ("config-yaml",)),
    config_case("yaml-top-level-list", yaml_text("- name: register\n"), None, ("config-yaml",)),
    config_case("yaml-empty", yaml_text(""), "sources"),
    config_case("yaml-binary", yaml_text("\x00\x01\x02 not yaml"), None, ("config-yaml",)),
    config_case("format-unknown", setting("visits", format="xslx"), f"sources.{'visits'}", ("format-unknown",)),
    config_case("format-undetected", both(put("visits.dat", b"Visit\n"), setting("visits", path="sources/visits.dat")),
                "sources.visits", ("format-undetected",)),
    config_case("path-missing", setting("visits", path="sources/nowhere.csv"), "sources.visits",
                ("source-missing",)),
    config_case("glob-matches-nothing", setting("visits", path="sources/**/visits_*.csv"), "sources.visits",
                ("source-missing",)),
    config_case("path-is-a-folder", folder("visits.csv"), "sources.visits", ("not-a-file",)),
    config_case("path-is-a-fifo", fifo("visits.csv"), "sources.visits", ("not-a-file",)),
    Case("optional-source-missing", setting("visits", path="sources/nowhere.csv", required=False),
         ("source-missing",), severity="warning", combinable=False),
]

# The visits source read from a workbook (an XLSX or ODS) instead of its CSV.
WORKBOOK_CASES = [
    Case("xlsx-good", xlsx_source(visits_xlsx), (), notes={"rows": ("visits", 3)}),
    Case("ods-good", xlsx_source(visits_ods, "visits.ods"), (), notes={"rows": ("visits", 3)}),
    Case("sheet-missing", xlsx_source(visits_xlsx, sheet="Nope"), ("sheet-missing",), "visits.xlsx"),
    Case("sheet-number-missing", xlsx_source(visits_xlsx, sheet=7), ("sheet-missing",), "visits.xlsx"),
    Case("header-row-past-end-xlsx", xlsx_source(visits_xlsx, header_row=50), ("header-missing",), "visits.xlsx"),
    Case("header-row-past-end-csv", setting("visits", header_row=500), ("header-missing",), "visits.csv"),
    Case("empty-sheet", xlsx_source(lambda: files.xlsx([])), ("empty-sheet",), "visits.xlsx"),
    Case("truncated-xlsx", xlsx_source(lambda: visits_xlsx()[:1500]), ("unreadable",), "visits.xlsx"),
    Case("zip-not-a-workbook", xlsx_source(lambda: _zip({"visits.csv": b"Visit\n"})), ("unreadable",),
         "visits.xlsx"),
    Case("encrypted-xlsx", xlsx_source(files.OLE_HEADER + b"encrypted"), ("encrypted",), "visits.xlsx"),  # not the bytes of ole-named-csv, which would be read once
    Case("html-named-xls", xlsx_source(b"<html><body><table><tr><td>Visit</td></tr></table></body></html>",
                                       "visits.xls"), ("unreadable",), "visits.xls"),
    Case("xlsx-doctype-entities", xlsx_source(lambda: files.with_doctype(visits_xlsx())), ("xml-dtd",),
         "visits.xlsx"),
    Case("xlsx-external-entity", xlsx_source(lambda: files.with_doctype(
        visits_xlsx(), declaration=b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>')), ("xml-dtd",),
         "visits.xlsx"),
    Case("xlsx-doctype-in-workbook-part", xlsx_source(lambda: files.with_doctype(visits_xlsx(), "xl/workbook.xml")),
         ("xml-dtd",), "visits.xlsx"),
    Case("xlsx-doctype-utf16-part", xlsx_source(lambda: files.rewrite_part(
        visits_xlsx(), "xl/styles.xml", lambda d: ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x []>'
                                                     '<styleSheet/>').encode("utf-16"))), ("xml-dtd",),
         "visits.xlsx"),
    Case("ods-doctype", xlsx_source(lambda: visits_ods('<!DOCTYPE x [<!ENTITY a "b">]>'), "visits.ods"),
         ("xml-dtd",), "visits.ods"),
    Case("truncated-ods", xlsx_source(lambda: visits_ods()[:400], "visits.ods"), ("unreadable",), "visits.ods"),
    Case("xlsx-far-cell", xlsx_source(lambda: files.far_cell(visits_xlsx())), ("too-large",), "visits.xlsx"),
    Case("ods-repeated-rows", xlsx_source(lambda: files.ods(files.ods_row("Visit") + files.ods_row(
        "x", repeat_rows=200_000, repeat_cols=1_000)), "visits.ods"), ("too-large",), "visits.ods"),
    Case("xlsx-decompression-bomb", xlsx_source(lambda: files.xlsx_bomb(32)), ("too-large",), "visits.xlsx"),
    Case("csv-format-for-workbook", xlsx_source(visits_xlsx, format="csv"), ("not-text",), "visits.xlsx"),
]


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def _survey(path: str, fmt: str, **extra) -> dict:
    return {"name": "survey", "table": "survey_responses", "format": fmt, "path": path,
            "columns": {"facility": "establishment"}, "constants": {"survey": "detainee", "wave": "2025"}, **extra}


def add_source(entry: dict):
    def setup(root, config):
        config["sources"].append(entry)
    return setup


def _package(resource_path: str) -> bytes:
    return json.dumps({"name": "p", "resources": [{"name": "visits", "path": resource_path,
                                                    "schema": {"fields": [{"name": "Visit"}]}}]}).encode()


OTHER_CASES = [
    Case("unreadable-file", put("visits.csv", b"Visit\nV1\n"), ("unreadable",), "visits.csv",
         notes={"deny": "visits.csv"}, combinable=False),
    Case("odk-zip-bomb", both(put("form.csv.zip", lambda: files.odk_bomb(16)), top(limits={"uncompressed_mb": 8}),
                              add_source(_survey("sources/form.csv.zip", "odk"))), ("too-large",), "form.csv.zip",
         combinable=False),
    Case("odk-zip-without-csv", both(put("form.csv.zip", lambda: _zip({"readme.txt": b"hello"})),
                                     add_source(_survey("sources/form.csv.zip", "odk"))), ("survey-layout",),
         "form.csv.zip"),
    Case("stats-table-bad-option-regex", both(put("bulletin.csv", b"Title\n\nPrison,Population\nHMP Alder,5\n"),
                                              add_source({"name": "bulletin", "table": "population",
                                                          "format": "stats_table", "path": "sources/bulletin.csv",
                                                          "columns": {"facility": "Prison",
                                                                      "population": "Population",
                                                                      "month": "@report_date"},
                                                          "options": {"total_pattern": "(total"}})),
         ("config",), "bulletin.csv", column="options.total_pattern"),
    Case("datapackage-not-json", both(put("datapackage.json", b"{not json"), add_source(
        {"name": "exchange", "table": "visits", "format": "datapackage", "path": "sources/datapackage.json",
         "options": {"resource": "visits"}, "columns": {"visit_id": "Visit"}})), ("datapackage",),
         "datapackage.json"),
    Case("datapackage-path-escapes", both(put("datapackage.json", _package("../../etc/passwd")), add_source(
        {"name": "exchange", "table": "visits", "format": "datapackage", "path": "sources/datapackage.json",
         "options": {"resource": "visits"}, "columns": {"visit_id": "Visit"}})), ("datapackage",),
         "datapackage.json"),
]
