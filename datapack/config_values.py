"""Checks of single configuration values, made when the configuration is read, and the ``limits:`` section.

A setting that would fail later (a regular expression that does not
compile, a strptime directive Python does not know, a two-character
delimiter) is refused here, with what to write instead, before any file is
read.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re

from pydantic import BaseModel, ConfigDict, Field

#: The largest header row accepted: headings further down are a mistake, not a layout.
MAX_HEADER_ROW = 10_000


def check_regex(value: str | None, what: str) -> str | None:
    """``value`` when it compiles as a regular expression; otherwise the error, said plainly."""
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"{what} {value!r} is not a valid regular expression ({exc}); "
                             "escape special characters such as ( [ + * ? with a backslash")
    return value


def check_strptime(fmt: str) -> str:
    """``fmt`` when it is a strptime format that reads back what it writes; otherwise the error.

    Python passes unknown directives such as ``%Q`` through ``strftime``
    unchanged and ``strptime`` rejects them, so writing a sample date and
    reading it back catches them; a format with no directive reads nothing.
    """
    if not fmt.strip():
        raise ValueError("a date format cannot be empty")
    if "%" not in fmt:
        raise ValueError(f"date format {fmt!r} has no % directive; write e.g. %d/%m/%Y for 31/01/2025")
    sample = dt.datetime(2024, 11, 23, 13, 45, 56, tzinfo=dt.timezone.utc)  # aware, for %z and %Z
    try:
        dt.datetime.strptime(sample.strftime(fmt), fmt)
    except ValueError as exc:
        raise ValueError(f"date format {fmt!r} cannot be used ({exc}); the directives are listed at "
                         "https://docs.python.org/3/library/datetime.html#format-codes") from None
    return fmt


def check_delimiter(value: str | None) -> str | None:
    """``value`` when it is one character (the csv module takes nothing else)."""
    if value is not None and len(value) != 1:
        raise ValueError(f"a delimiter is one character (such as , ; | or a tab written \"\\t\"), not {value!r}")
    return value


def check_encoding(value: str | None) -> str | None:
    """``value`` when Python knows the encoding."""
    if value is not None:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r}; use e.g. utf-8, cp1252 or utf-16, "
                             "or leave it out to have it detected") from None
    return value


class Limits(BaseModel):
    """How big an input may be; checked before a file is read, so a damaged or hostile file is refused fast.

    A workbook (XLSX, ODS) or zip is a compressed archive: its size on disk
    says little about the memory reading it takes, so the archive's own
    listing and the sheets' extent are checked first.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    file_mb: float = Field(1024, gt=0, description="Largest input file on disk, in megabytes.")
    uncompressed_mb: float = Field(512, gt=0, description="Largest total size of an archive's "
                                   "(workbook's, zip's) parts once uncompressed, in megabytes.")
    compression_ratio: float = Field(200, gt=1, description="Largest ratio of uncompressed to compressed size "
                                     "for a part above 10 MB (ordinary sheets compress 5 to 50 times).")
    members: int = Field(10_000, ge=1, description="Most parts (files) in one archive.")
    rows: int = Field(2_000_000, ge=1, description="Most rows in a sheet or text file.")
    columns: int = Field(16_384, ge=1, description="Most columns in a sheet or text file (Excel's own limit).")
    cells: int = Field(50_000_000, ge=1, description="Most cells (rows x columns) in one sheet.")
    cell_chars: int = Field(131_072, ge=1, description="Most characters in one cell of a text file.")
