"""Problems about rows of the canonical tables, located back in the files they came from.

Every canonical row carries ``_source``, ``_file``, ``_sheet`` and ``_row``;
a check that finds a bad row names that place, and the column as the
source's configuration spells its heading. A check that finds thousands of
bad rows reports the first few of each kind per source and then one line
saying how many more, as the cell checks in mapping do.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import pandas as pd

from datapack.problems import Problem, Severity

if TYPE_CHECKING:  # the configuration is passed in; tables never import it
    from datapack.config import SourceConfig

#: Rows reported one by one for each kind of problem and source; the rest are counted.
LIMIT = 20


def heading(source: SourceConfig | None, canonical: str | None) -> str | None:
    """The heading in the file that ``canonical`` was mapped from (itself when unmapped or constant)."""
    if source is None or canonical is None:
        return canonical
    wanted = source.columns.get(canonical)
    if wanted is None and canonical == "facility_id":
        wanted = source.columns.get("facility")
    if wanted is None:
        return canonical
    return wanted if isinstance(wanted, str) else wanted[0]


def where(row: Mapping[str, Any]) -> dict[str, Any]:
    """File, sheet, row and source of one canonical row, as keyword arguments of :class:`Problem`."""
    number = row.get("_row")
    return {"file": _text(row.get("_file")), "sheet": _text(row.get("_sheet")),
            "row": None if number is None or pd.isna(number) else int(number), "source": _text(row.get("_source"))}


def _text(value: Any) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


class RowProblems:
    """Collects row problems, at most :data:`LIMIT` of one kind per source, then a count of the rest."""

    def __init__(self, sources: Iterable[SourceConfig], limit: int = LIMIT):
        self.sources = {s.name: s for s in sources}
        self.limit = limit
        self.problems: list[Problem] = []
        self._seen: Counter = Counter()
        self._kinds: dict[tuple, tuple[str | None, Severity]] = {}
        self._files: dict[tuple, set] = {}

    def add(self, row: Mapping[str, Any], code: str, message: str, column: str | None = None,
            hint: str | None = None, severity: Severity = "error") -> None:
        """One problem at ``row`` (a canonical row with provenance); ``column`` is the canonical name."""
        place = where(row)
        key = (code, place["source"], column)
        self._seen[key] += 1
        self._kinds[key] = (heading(self.sources.get(place["source"] or ""), column), severity)
        self._files.setdefault(key, set()).add(place["file"])
        if self._seen[key] <= self.limit:
            self.problems.append(Problem(code, message, column=self._kinds[key][0], hint=hint, severity=severity,
                                         **place))

    def add_frame(self, frame: pd.DataFrame, code: str, message: Any, column: str | None = None,
                  hint: str | None = None, severity: Severity = "error") -> None:
        """One problem per row of ``frame``; ``message`` is a string or a function of the row."""
        if frame.empty:
            return
        counts = frame["_source"].value_counts()
        for source, count in counts.items():
            part = frame[frame["_source"] == source]
            for row in part.head(self.limit).to_dict("records"):
                self.add(row, code, message(row) if callable(message) else message, column, hint, severity)
            key = (code, source, column)
            self._seen[key] += max(0, count - min(count, self.limit))
            self._files[key].update(part["_file"].dropna().astype(str).unique())

    def add_problem(self, problem: Problem) -> None:
        """A problem that is not about one row (a summary, a pair of sources)."""
        self.problems.append(problem)

    def finish(self) -> list[Problem]:
        """Every problem, with one line per kind and source that had more than the limit."""
        out = list(self.problems)
        for (code, source, column), count in self._seen.items():
            if count > self.limit:
                shown, severity = self._kinds[(code, source, column)]
                files = sorted(f for f in self._files[(code, source, column)] if f)
                out.append(Problem("more", f"{count - self.limit} more rows like these ({code})", source=source,
                                   file=", ".join(files[:3]) + (" ..." if len(files) > 3 else "") or None,
                                   column=shown, severity=severity,
                                   hint="fix the first ones shown; the rest are probably the same"))
        return out
