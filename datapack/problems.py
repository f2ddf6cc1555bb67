"""Problems found in inputs, gathered into one report instead of raised one at a time."""

from __future__ import annotations

import sysconfig
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, with where it is and what to do about it.

    ``row`` is the 1-based row number as a person sees it in a spreadsheet or
    text editor (header rows included); ``column`` is the column heading as it
    appears in the file.
    """

    code: str
    message: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    hint: str | None = None
    severity: Severity = "error"
    source: str | None = None

    def where(self) -> str:
        """Location as one readable phrase, e.g. ``incidents.csv, sheet Log, row 12, column 'Date'``."""
        parts = []
        if self.file:
            parts.append(self.file)
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts) or "(configuration)"

    def to_dict(self) -> dict:
        """Plain data for ``--json`` output."""
        return asdict(self)

    def __str__(self) -> str:
        text = f"{self.severity.upper()} [{self.code}] {self.where()}: {self.message}"
        if self.hint:
            text += f" -> {self.hint}"
        return text


@dataclass
class Report:
    """An ordered collection of problems."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def __len__(self) -> int:
        return len(self.problems)


class InputError(Exception):
    """Raised where work cannot go on; carries every problem found so far."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def failure(code: str, what: str, exc: Exception, hint: str, where: str) -> Problem:
    """An unexpected exception as a located problem: what failed, why, and where in the code (no traceback)."""
    frames = traceback.extract_tb(exc.__traceback__)
    library = (sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"])
    ours = [f for f in frames if not f.filename.startswith(library) and "site-packages" not in f.filename]
    at = (ours or frames)[-1] if frames else None
    code_at = f", at {Path(at.filename).name}:{at.lineno} in {at.name}" if at else ""
    text = str(exc).splitlines()[0] if str(exc) else ""
    return Problem(code, f"{what} ({type(exc).__name__}{': ' + text if text else ''}{code_at})", file=where,
                   hint=hint)
