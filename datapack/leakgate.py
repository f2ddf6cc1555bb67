"""The leak gate: every output file read back and searched for person-level identifiers.

After a build, :func:`scan` reads every file under the output folder as a
reader or a program would see it (HTML text and attribute values; every XML
part of a Word or Excel file, so headers, footers, comments, alt text,
document properties, cells and sheet names; JSON keys and values; CSV cells;
SVG text) and looks for:

* every identifier the inputs hold (:class:`~datapack.redaction.KnownIdentifiers`:
  person, respondent and incident references, names from dropped contact
  columns, names the redactor found in free text), in any case;
* prison numbers (``A1234BC``, ``B 5678 CD``), NHS numbers (ten digits
  passing the modulus-11 check), National Insurance numbers;
* dates of birth (a date next to "DOB", "date of birth", "born");
* e-mail addresses and phone numbers.

A finding names the file and the place in it (``ngt/datapack.docx:
word/document.xml, paragraph 212``) and shows the match masked (``J*** S****``).
The gate removes nothing: the build marks what failed and says so.
PDFs and images are not read (a PDF pack is converted from the Word file,
which is).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterable, Iterator
from xml.etree import ElementTree

from datapack.redaction.known import KnownIdentifiers
from datapack.redaction.rules import DATE

#: Name of the report the build writes beside the packs.
REPORT = "leak-gate.txt"
#: Written into a pack folder in which the gate found an identifier.
FAILED_MARK = "LEAK-GATE-FAILED.txt"

_DOB = r"(?:d\.?\s?o\.?\s?b\.?|date\s+of\s+birth|birth\s*date|born)"
#: (kind, pattern) searched in every text; NHS numbers are checked further (:func:`nhs_valid`).
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("e-mail", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    ("phone number", re.compile(r"(?<![\w+.])(?:\+44\s?(?:\(0\)\s?)?\(?|\(0|0)\d{2,4}\)?[\s-]?\d{3,4}[\s-]?\d{3,4}(?![\w.])")),
    ("phone number", re.compile(r"(?<![\w+.])\+[1-9]\d{0,2}(?:[\s-]?\(?\d{1,5}\)?){2,6}(?![\w.])")),
    ("prison number", re.compile(r"\b[A-Za-z]\d{4}[A-Za-z]{2}\b|\b[A-Z]\s\d{4}\s?[A-Z]{2}\b|\b[A-Z]\d{4}\s[A-Z]{2}\b")),
    ("National Insurance number", re.compile(r"\b[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b")),
    ("NHS number", re.compile(r"(?<![\w.,])\d{3}[ -]?\d{3}[ -]?\d{4}(?!\w|[.,]\d)")),
    ("date of birth", re.compile(rf"(?i)\b{_DOB}\W{{0,4}}(?:(?:is|was|of)\W{{1,3}})?{DATE}|\b{DATE}\W{{0,4}}{_DOB}\b")),
)
_MAY_MATCH = re.compile(r"[\d@]")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
#: Attributes holding geometry or styling only (chart paths, coordinates): never text a reader sees.
GEOMETRY = frozenset("d points transform viewBox x y x1 y1 x2 y2 cx cy r rx ry width height style class "
                     "stroke-width stroke-dasharray stroke-linecap stroke-linejoin stroke-miterlimit "
                     "clip-path offset".split())
_XML_SUFFIXES = (".xml", ".rels", ".svg")
_ZIP_SUFFIXES = (".docx", ".xlsx", ".pptx", ".odt", ".ods", ".zip")
_TEXT_SUFFIXES = (".txt", ".md", ".yaml", ".yml", ".tsv")


@dataclass(frozen=True)
class Finding:
    """One identifier found in one output: where, what kind, and the match masked."""

    file: str
    place: str
    kind: str
    masked: str

    def __str__(self) -> str:
        return f"{self.file}: {self.place}: {self.kind} {self.masked!r}"


def mask(text: str) -> str:
    """``text`` with every letter and digit but the first of each word starred (``J*** S****``)."""
    return re.sub(r"(?<=\w)\w", "*", text)


def nhs_valid(digits: str) -> bool:
    """True when ten digits pass the NHS number's modulus-11 check digit."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    return (0 if check == 11 else check) == int(digits[9]) and check != 10


def find(text: str, known: KnownIdentifiers | None = None,
         allowed: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """``(kind, matched text)`` of every identifier in ``text``."""
    out: list[tuple[str, str]] = []
    if _NUMBER.fullmatch(text):  # most cells and attributes: a number is an identifier only in two ways
        digits = text.lstrip("-").split(".")[0]
        if known is not None and known.find(digits):
            out.append(("held reference", text))
        if nhs_valid(digits) and text.isdigit():
            out.append(("NHS number", text))
        return out
    if known is not None:
        out += [(f"held {kind.replace('_', ' ')}", text[s:e]) for s, e, kind in known.find(text)]
    if not _MAY_MATCH.search(text):
        return out  # every pattern needs a digit (or the @ of an e-mail): most texts have neither
    for kind, pattern in PATTERNS:
        for m in pattern.finditer(text):
            value = m.group()
            if kind == "NHS number" and not nhs_valid(re.sub(r"\D", "", value)):
                continue
            if kind == "phone number" and sum(c.isdigit() for c in value) < 8:
                continue
            if value.casefold() not in allowed:
                out.append((kind, value))
    return out


def scan(output_dir: Path, known: KnownIdentifiers | None = None, allowed: Iterable[str] = ()) -> list[Finding]:
    """Every identifier in every file under ``output_dir`` (``allowed``: e-mails etc. that may appear)."""
    root = Path(output_dir)
    allow = frozenset(a.casefold() for a in allowed)
    findings: list[Finding] = []
    seen: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if path.name in (REPORT, FAILED_MARK):
            continue
        for place, text in texts(path):
            found = seen.get(text)
            if found is None:  # style names, numbers and labels repeat thousands of times
                found = seen[text] = find(text, known, allow)
            if found:
                place = place if isinstance(place, str) else "".join(place)
                findings += [Finding(rel, place, kind, mask(value)) for kind, value in found]
    return findings


def texts(path: Path) -> Iterator[tuple[str | tuple[str, ...], str]]:
    """``(place, text)`` of everything readable in one output file.

    A place may be given as its parts (a tuple of strings, joined when a finding needs it): most
    texts are attribute values with nothing to find, and their places are never read.
    """
    suffix = path.suffix.lower()
    data = path.read_bytes()
    if suffix in (".html", ".htm"):
        yield from _html(data.decode("utf-8", "replace"))
    elif suffix in _ZIP_SUFFIXES:
        yield from _zip(data)
    elif suffix in _XML_SUFFIXES:
        yield from _xml(data, "")
    elif suffix == ".json":
        yield from _json(data)
    elif suffix == ".csv":
        yield from _csv(data)
    elif suffix in _TEXT_SUFFIXES:
        for n, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            yield f"line {n}", line


#: Tags inside a line of text: a name can be split across them (``Temi <b>Okonkwo</b>``).
INLINE_TAGS = frozenset("a abbr b bdi bdo cite code data dfn em i kbd mark q s samp small span strong sub sup "
                        "time u var wbr".split())


class _HTMLTexts(HTMLParser):
    """Text (joined across inline tags) and attribute values, each with the line it starts on."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self._text: list[str] = []
        self._line = 1

    def _flush(self) -> None:
        text = "".join(self._text)
        if text.strip():
            self.found.append((f"line {self._line}", text))
        self._text = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in INLINE_TAGS:
            self._flush()
        line = self.getpos()[0]
        for name, value in attrs:
            if value and name not in GEOMETRY and not value.startswith("data:"):  # an embedded image is not text
                self.found.append((f"line {line}, <{tag} {name}>", value))

    def handle_endtag(self, tag: str) -> None:
        if tag not in INLINE_TAGS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self._text:
            self._line = self.getpos()[0]
        self._text.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def _html(text: str) -> list[tuple[str, str]]:
    parser = _HTMLTexts()
    parser.feed(text)
    parser.close()
    return parser.found


#: Local names by qualified tag (a Word part has thousands of elements and a few dozen names).
_LOCAL: dict[str, str] = {}


def _local(tag: str) -> str:
    name = _LOCAL.get(tag)
    if name is None:
        name = _LOCAL[tag] = tag.rsplit("}", 1)[-1] if isinstance(tag, str) else str(tag)
        if len(_LOCAL) > 10_000:
            _LOCAL.clear()
    return name


def _xml(data: bytes, part: str, shared: list[str] | None = None) -> Iterator[tuple[str, str]]:
    """Text of an XML part: Word by paragraph, Excel by cell, anything else by element; attribute values too."""
    prefix = f"{part}, " if part else ""
    try:
        tree = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        yield f"{prefix}unreadable XML ({exc})", data.decode("utf-8", "replace")
        return
    paragraphs = cells = 0
    for element in tree.iter():
        name = _local(element.tag)
        for attr, value in element.attrib.items():
            if value:
                local = _local(attr)
                if local not in GEOMETRY and not local.startswith("rsid"):
                    yield (prefix, "<", name, " ", local, ">"), value
        if name == "p" and element.tag.endswith("}p"):
            paragraphs += 1
            text = "".join(t.text or "" for t in element.iter() if _local(t.tag) in ("t", "instrText", "delText"))
            if text.strip():
                yield f"{prefix}paragraph {paragraphs}", text
        elif name == "c" and shared is not None:
            cells += 1
            value = "".join(element.itertext())
            if element.get("t") == "s" and value.strip().isdigit() and int(value) < len(shared):
                value = shared[int(value)]
            if value.strip():
                yield f"{prefix}cell {element.get('r') or cells}", value
        elif element.text and element.text.strip() and not _in_paragraph(name) and shared is None:
            yield f"{prefix}<{name}>", element.text


def _in_paragraph(name: str) -> bool:
    # Word text elements are read whole with their paragraph (a name can be split across runs).
    return name in ("t", "instrText", "delText")


def _zip(data: bytes) -> Iterator[tuple[str, str]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        yield f"unreadable archive ({exc})", ""
        return
    with archive:
        names = archive.namelist()
        shared = _shared_strings(archive) if "xl/sharedStrings.xml" in names else None
        sheets = _sheet_names(archive) if "xl/workbook.xml" in names else {}
        for name in names:
            if not name.lower().endswith(_XML_SUFFIXES):
                continue
            if name == "xl/sharedStrings.xml":
                continue  # read through the cells that use them, so a finding names its cell
            label = name + (f" (sheet '{sheets[name]}')" if name in sheets else "")
            in_sheet = name.startswith("xl/worksheets/")
            yield from _xml(archive.read(name), label, (shared or []) if in_sheet else None)


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    tree = ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))
    return ["".join(si.itertext()) for si in tree if _local(si.tag) == "si"]


def _sheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part -> sheet name, through the workbook's relationships."""
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    try:
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    out = {}
    for sheet in (e for e in book.iter() if _local(e.tag) == "sheet"):
        rid = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), None)
        target = targets.get(rid, "").lstrip("/")
        out[target if target.startswith("xl/") else f"xl/{target}"] = sheet.get("name", "")
    return out


def _json(data: bytes) -> Iterator[tuple[str, str]]:
    try:
        value = json.loads(data)
    except ValueError:
        yield from ((f"line {n}", line) for n, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1))
        return
    stack: list[tuple[str, object]] = [("$", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, dict):
            for k, v in item.items():
                yield f"{where} (key)", str(k)
                stack.append((f"{where}.{k}", v))
        elif isinstance(item, list):
            stack += [(f"{where}[{i}]", v) for i, v in enumerate(item)]
        elif isinstance(item, str):
            yield where, item


def _csv(data: bytes) -> Iterator[tuple[str, str]]:
    rows = csv.reader(io.StringIO(data.decode("utf-8-sig", "replace"), newline=""))
    head: list[str] = []
    for n, row in enumerate(rows, 1):
        head = row if n == 1 else head
        for j, cell in enumerate(row):
            if cell:
                column = head[j] if n > 1 and j < len(head) else str(j + 1)
                yield f"row {n}, column {column}", cell


def report_text(findings: list[Finding], files: int, known: KnownIdentifiers | None) -> str:
    """The gate's report, as written beside the packs: what was looked for, and each finding masked."""
    held = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in sorted((known.counts() if known else {}).items()))
    lines = [f"Leak gate: {'FAILED' if findings else 'passed'}: {files} file(s) read, {len(findings)} finding(s).",
             f"Looked for: the identifiers held in the inputs ({held or 'none held'}), prison, NHS and National "
             "Insurance numbers, dates of birth, e-mail addresses and phone numbers."]
    if findings:
        lines += ["", "Each finding (matched text masked). Nothing was removed: correct the input or the field "
                  "that carried it, then build again.", ""] + [f"  {f}" for f in findings]
    return "\n".join(lines) + "\n"


def gate(writer, known: KnownIdentifiers | None, allowed: Iterable[str] = ()) -> dict[str, str]:
    """Scan everything under ``writer.root``, write :data:`REPORT`, and mark each folder holding a finding.

    Returns ``{folder or file: reason}`` for the build to report as failed
    (empty when the gate passes). Nothing is removed: a pack with a finding
    stays where it is with :data:`FAILED_MARK` beside it, so it is plainly
    not to be used, and the build exits with an error.
    """
    root = Path(writer.root)
    findings = scan(root, known, allowed)
    files = sum(1 for p in root.rglob("*") if p.is_file() and p.name not in (REPORT, FAILED_MARK))
    writer.write_file(REPORT, report_text(findings, files, known).encode())
    by_top: dict[str, list[Finding]] = {}
    for finding in findings:
        by_top.setdefault(finding.file.split("/", 1)[0], []).append(finding)
    failed = {}
    for top, found in by_top.items():
        if (root / top).is_dir():
            writer.path(top, FAILED_MARK).write_text(report_text(found, 0, known), encoding="utf-8")
        failed[top] = (f"leak gate: {len(found)} identifier(s) found, first {found[0]}; the files were left in "
                       f"place and marked failed (see {REPORT})")
    return failed
