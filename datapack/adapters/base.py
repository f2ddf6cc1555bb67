"""What every adapter returns: raw cells plus where each row came from.

Adapters only *read*. They find the header, skip title and note rows, and
hand back cells as they are (strings, numbers, dates). Mapping to canonical
columns, cleaning and checking happen once, centrally, in
:mod:`datapack.tables.mapping`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

import pandas as pd

from datapack.problems import Problem

#: Column added to every raw frame: the 1-based row number in the file.
ROW = "_row"


@dataclass
class QuestionInfo:
    """One survey question as the export describes it (survey adapters only)."""

    key: str
    text: str
    kind: str = "single"  # single | multi | text | number | meta
    options: list[str] = field(default_factory=list)


@dataclass
class RawTable:
    """Cells from one table of one file, as read.

    ``frame`` holds one column per heading in the file plus ``_row``, the row
    number a person would see. ``meta`` holds values found around the table
    (e.g. ``report_date`` taken from a title row). Survey adapters also fill
    ``questions`` and put one respondent per row, with multi-select answers
    as Python lists (``None`` = not asked or not answered, ``[]`` = answered,
    nothing selected).
    """

    frame: pd.DataFrame
    file: str
    sheet: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    questions: list[QuestionInfo] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    title: str | None = None


class Adapter(Protocol):
    """An input format. Register an implementation with :func:`datapack.adapters.register`.

    ``name`` is what ``format:`` in the configuration says; ``extensions``
    (lower case, with dot) let the format be detected from the file name;
    ``options`` documents the adapter-specific settings it accepts under
    ``options:`` in a source entry.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    extensions: ClassVar[tuple[str, ...]]
    options: ClassVar[dict[str, str]]

    def read(self, path: Path, source: "SourceLike") -> list[RawTable]:
        """Read ``path`` into one or more raw tables."""
        ...


class SourceLike(Protocol):
    """The parts of a configured source an adapter may look at."""

    name: str
    sheet: str | int | None
    header_row: int | None
    encoding: str | None
    delimiter: str | None
    options: dict[str, Any]
