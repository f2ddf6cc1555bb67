"""Delimited text (CSV, TSV): encoding and delimiter detected, BOM handled."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from datapack.adapters import register
from datapack.adapters.base import RawTable
from datapack.adapters.layout import grid_to_frame, header_of, heading_rows, sheet_rows
from datapack.problems import InputError, Problem

ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")


def decode(data: bytes, path: Path, encoding: str | None) -> tuple[str, str]:
    """Text and the encoding used. UTF-8 (with or without BOM) first, then Windows-1252."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise InputError([Problem("encoding", f"cannot be read as {encoding}: {exc}", file=path.name,
                                      hint="remove 'encoding' to let datapack detect it, or save the file as UTF-8")])
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    for enc in ENCODINGS:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")


def sniff_delimiter(text: str) -> str:
    """The delimiter of ``text``: csv.Sniffer over common candidates, comma by default."""
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in ",;\t|"}
        return max(counts, key=counts.get) if any(counts.values()) else ","


@register
class CsvAdapter:
    """Comma-, semicolon-, tab- or pipe-separated text."""

    name = "csv"
    description = "Delimited text; encoding (UTF-8, BOM, Windows-1252) and delimiter detected."
    extensions = (".csv", ".tsv", ".txt")
    options: dict[str, str] = {}

    def read(self, path: Path, source: Any) -> list[RawTable]:
        text, encoding = decode(path.read_bytes(), path, source.encoding)
        delimiter = source.delimiter or ("\t" if path.suffix.lower() == ".tsv" else sniff_delimiter(text))
        rows = sheet_rows(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        if not rows:
            raise InputError([Problem("empty-file", "the file has no rows", file=path.name,
                                      hint="check the export finished; re-export it")])
        header = header_of(rows, source, {"file": path.name})
        frame = grid_to_frame(rows, header, header_rows=heading_rows(source))
        return [RawTable(frame, file=path.name, meta={"encoding": encoding, "delimiter": delimiter})]
