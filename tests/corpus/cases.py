"""The corpus of bad inputs: each case changes one file or one setting of the tiny estate.

A case says what it breaks and what must come back: the problem's code
(one of several where another check may also claim it), and where it is
(file, row, column) when that applies. ``config`` cases are refused before
any work ("nothing was done"); every other case must still build the packs
of the facilities it does not touch. ``plausible`` marks values that read
as numbers or dates but cannot be right (a negative count, a date in
2099): the checks that report those come with issue 12 point 3.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from corpus import files
from corpus.project import incidents_csv, population_csv, register_csv, visits_csv

Setup = Callable[[Path, dict], None]
RAW = "__written__"  # set in the configuration by a setup that wrote datapack.yaml itself
ALL = ("ALD", "BRC", "CDR")


@dataclass(frozen=True)
class Case:
    """One kind of bad input and the located problem it must give."""

    id: str
    setup: Setup
    codes: tuple[str, ...]
    file: str | None = None
    row: int | None = None
    column: str | None = None
    severity: str = "error"
    config: bool = False          # refused when the configuration is read: nothing is built
    built: tuple[str, ...] = ALL  # facilities whose data is still read, so their packs are built
    plausible: bool = False       # reported by the plausibility checks (issue 12 point 3)
    combinable: bool = True       # can share one build with the other cases (see test_bad_inputs)
    notes: dict = field(default_factory=dict)


def _source(config: dict, name: str) -> dict:
    return next(s for s in config["sources"] if s["name"] == name)


def put(name: str, data: bytes | Callable[[], bytes]) -> Setup:
    """Replace ``sources/<name>`` with ``data``."""
    def setup(root: Path, config: dict) -> None:
        (root / "sources" / name).write_bytes(data() if callable(data) else data)
    return setup


def setting(source: str, **values) -> Setup:
    """Change settings of one source (a value of None removes the setting)."""
    def setup(root: Path, config: dict) -> None:
        entry = _source(config, source)
        for key, value in values.items():
            if value is None:
                entry.pop(key, None)
            else:
                entry[key] = value
    return setup


def top(**values) -> Setup:
    """Change top-level settings of the configuration."""
    def setup(root: Path, config: dict) -> None:
        config.update(values)
    return setup


def yaml_text(text: str) -> Setup:
    """Write ``text`` as the whole configuration file."""
    def setup(root: Path, config: dict) -> None:
        (root / "datapack.yaml").write_text(text)
        config[RAW] = True
    return setup


def both(*steps: Setup) -> Setup:
    def setup(root: Path, config: dict) -> None:
        for step in steps:
            step(root, config)
    return setup


def cell(make: Callable[[], bytes], row: int, column: str, value: str) -> bytes:
    """The CSV ``make()`` gives, with one cell (1-based row as a spreadsheet counts it) changed."""
    rows = list(csv.reader(io.StringIO(make().decode())))
    rows[row - 1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def incident(row: int, column: str, value: str) -> Setup:
    return put("incidents.csv", lambda: cell(incidents_csv, row, column, value))


def visit(row: int, column: str, value: str) -> Setup:
    return put("visits.csv", lambda: cell(visits_csv, row, column, value))


def fifo(name: str) -> Setup:
    def setup(root: Path, config: dict) -> None:
        target = root / "sources" / name
        target.unlink()
        os.mkfifo(target)
    return setup


def folder(name: str) -> Setup:
    def setup(root: Path, config: dict) -> None:
        target = root / "sources" / name
        target.unlink()
        target.mkdir()
    return setup


def xlsx_source(data: bytes | Callable[[], bytes], name: str = "visits.xlsx", **extra) -> Setup:
    """The visits source read from a workbook instead of its CSV."""
    return both(put(name, data), setting("visits", path=f"sources/{name}", **extra))


def _visits_rows() -> list[list[object]]:
    return [r for r in csv.reader(io.StringIO(visits_csv().decode()))]


def visits_xlsx() -> bytes:
    return files.xlsx(_visits_rows())


def visits_ods(prolog: str = "") -> bytes:
    return files.ods("".join(files.ods_row(*r) for r in _visits_rows()), prolog=prolog)


def _bad_bytes() -> bytes:
    import random
    rng = random.Random(12)
    return bytes(rng.randrange(256) for _ in range(4000))


def _utf16(bom: bool, endian: str = "le") -> Callable[[], bytes]:
    def make() -> bytes:
        text = visits_csv().decode()
        codec = "utf-16" if bom else f"utf-16-{endian}"
        return text.encode(codec if not bom else "utf-16")
    return make


TEXT_CASES = [
    Case("empty-file", put("visits.csv", b""), ("empty-file",), "visits.csv"),
    Case("whitespace-only", put("visits.csv", b"  \n\n \r\n"), ("empty-file",), "visits.csv"),
    Case("header-only", put("visits.csv", b"Visit,Establishment,Start,End,Type\n"), ("no-rows",), "visits.csv",
         row=1, severity="warning"),
    Case("utf16-with-bom", put("visits.csv", _utf16(True)), (), notes={"rows": ("visits", 3)}),
    Case("utf16-le-without-bom", put("visits.csv", _utf16(False, "le")), (), notes={"rows": ("visits", 3)}),
    Case("utf16-be-without-bom", put("visits.csv", _utf16(False, "be")), (), notes={"rows": ("visits", 3)}),
    Case("double-bom", put("visits.csv", lambda: b"\xef\xbb\xbf\xef\xbb\xbf" + visits_csv()), (),
         notes={"rows": ("visits", 3)}),
    Case("crlf-and-bom", put("visits.csv", lambda: b"\xef\xbb\xbf" + visits_csv().replace(b"\n", b"\r\n")), (),
         notes={"rows": ("visits", 3)}),
    Case("windows-1252", put("visits.csv", lambda: visits_csv().replace(b"full", "réview".encode("cp1252"))), (),
         notes={"rows": ("visits", 3)}),
    Case("garbage-bytes", put("visits.csv", _bad_bytes), ("not-text",), "visits.csv"),
    Case("xlsx-named-csv", put("visits.csv", visits_xlsx), ("not-text",), "visits.csv"),
    Case("ole-named-csv", put("visits.csv", files.OLE_HEADER), ("not-text",), "visits.csv"),
    Case("one-column", put("visits.csv", b"Visit\nV1\nV2\n"), ("column-missing",), "visits.csv",
         column="Establishment"),
    Case("semicolons-when-commas-expected", put("visits.csv", lambda: visits_csv().replace(b",", b";")), (),
         notes={"rows": ("visits", 3)}),
    Case("mixed-delimiters", put("visits.csv", lambda: visits_csv().replace(b",", b";", 5)),
         ("column-missing", "value-missing", "not-date"), "visits.csv"),
    Case("tab-separated", put("visits.csv", lambda: visits_csv().replace(b",", b"\t")), (),
         notes={"rows": ("visits", 3)}),
    Case("duplicate-heading", put("visits.csv", lambda: visits_csv().replace(b"Type\n", b"Start\n", 1)),
         ("heading-duplicate",), "visits.csv", row=1, column="Start", severity="warning"),
    Case("heading-missing", put("visits.csv", lambda: visits_csv().replace(b"Establishment", b"Site", 1)),
         ("column-missing",), "visits.csv", column="Establishment"),
    Case("heading-misspelt", put("visits.csv", lambda: visits_csv().replace(b"Start", b"Strat", 1)),
         ("column-missing",), "visits.csv", column="Start"),
    Case("million-character-cell", incident(5, "Ref", "x" * 1_000_000), ("csv-malformed",), "incidents.csv", row=5),
    Case("unclosed-quote", put("visits.csv", lambda: visits_csv().replace(b"V2,", b'"V2,' + b"y" * 140_000, 1)),
         ("csv-malformed",), "visits.csv", row=3),
    Case("nul-byte", put("visits.csv", lambda: visits_csv().replace(b"V2", b"V\x002", 1)),
         ("csv-malformed", "not-text"), "visits.csv"),
    Case("ragged-rows", put("visits.csv", lambda: visits_csv().replace(b",full\n", b"\n", 1)), (),
         notes={"rows": ("visits", 3)}),
    Case("too-many-columns", both(put("visits.csv", lambda: b",".join([b"c"] * 40) + b"\n" + visits_csv()),
                                  top(limits={"columns": 30})), ("too-large",), "visits.csv", row=1,
         combinable=False),
    Case("too-many-rows", both(put("incidents.csv", incidents_csv), top(limits={"rows": 100})),
         ("too-large",), "incidents.csv", row=101, combinable=False),
]

CELL_CASES = [
    Case("impossible-date", incident(2, "Date", "31/02/2025"), ("not-datetime",), "incidents.csv", 2, "Date"),
    Case("year-1066", incident(2, "Date", "01/01/1066"), ("not-datetime",), "incidents.csv", 2, "Date"),
    Case("year-1066-visit", visit(2, "Start", "14/10/1066"), ("not-date",), "visits.csv", 2, "Start"),
    Case("date-as-serial-number", incident(3, "Date", "45123"), ("excel-serial",), "incidents.csv", None, "Date",
         severity="warning"),
    Case("date-as-words", incident(3, "Date", "last Tuesday"), ("not-datetime",), "incidents.csv", 3, "Date"),
    Case("date-in-2099", incident(2, "Date", "01/01/2099"), ("date-implausible",), "incidents.csv", 2,
         "Date", plausible=True),
    Case("count-1e999", incident(2, "Count", "1e999"), ("number-implausible",), "incidents.csv",
         2, "Count"),
    Case("count-negative", incident(2, "Count", "-40"), ("number-implausible",), "incidents.csv", 2, "Count",
         plausible=True),
    Case("count-1e308", incident(2, "Count", "1e308"), ("not-int", "number-implausible"), "incidents.csv", 2, "Count"),
    Case("count-text", incident(2, "Count", "lots"), ("not-int",), "incidents.csv", 2, "Count"),
    Case("count-very-long-number", incident(2, "Count", "9" * 5000), ("not-int", "number-implausible"), "incidents.csv", 2, "Count"),
    Case("population-negative", put("population.csv", lambda: cell(
        population_csv, 2, "Population", "-6000")),
         ("number-implausible",), "population.csv", 2, "Population", plausible=True),
    Case("population-infinite", put("population.csv", lambda: cell(
        population_csv, 2, "Population", "inf")),
         ("number-implausible",), "population.csv", 2, "Population"),
    Case("facility-dash", incident(2, "Establishment", "-"), ("facility-unknown",), "incidents.csv", 2,
         "Establishment"),
    Case("facility-dots", incident(2, "Establishment", ".."), ("facility-unknown",), "incidents.csv", 2,
         "Establishment"),
    Case("facility-unknown", incident(2, "Establishment", "HMP Nowhere"), ("facility-unknown",), "incidents.csv",
         2, "Establishment"),
    Case("facility-misspelt", incident(2, "Establishment", "HMP Aldre"), ("facility-unknown",), "incidents.csv",
         2, "Establishment"),
    Case("facility-blank", incident(2, "Establishment", "   "), ("value-missing",), "incidents.csv", 2,
         "Establishment"),
    Case("facility-very-long", incident(2, "Establishment", "Alder " * 2000), ("facility-unknown",),
         "incidents.csv", 2, "Establishment"),
    Case("facility-formula", incident(2, "Establishment", "=HYPERLINK(\"x\")"), ("facility-unknown",),
         "incidents.csv", 2, "Establishment"),
    Case("category-unknown", incident(2, "Type", "Flood"), ("value-unknown",), "incidents.csv", 2, "Type"),
    Case("flag-not-yes-no", incident(2, "Serious", "maybe"), ("not-bool",), "incidents.csv", 2, "Serious"),
    Case("visit-unknown-facility", visit(2, "Establishment", "HMP Elsewhere"), ("facility-unknown",),
         "visits.csv", 2, "Establishment"),
    Case("visit-ends-before-start", visit(2, "End", "01/01/2025"), ("visit-ends-before-start",), "visits.csv",
         2, "End", plausible=True),
    Case("visit-id-blank", visit(2, "Visit", ""), ("value-missing",), "visits.csv", 2, "Visit"),
    Case("register-duplicate-id", put("register.csv", lambda: cell(
        register_csv, 3, "Code", "ALD")),
         ("facility-duplicate",), "register.csv", 3, "facility_id", combinable=False, built=("ALD", "CDR")),
    Case("register-unknown-type", put("register.csv", lambda: cell(
        register_csv, 4, "Type", "castle")),
         ("value-unknown",), "register.csv", 4, "Type", combinable=False, built=("ALD", "BRC")),
]
