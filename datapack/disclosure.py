"""Disclosure control, in one place: every figure on its way to an output passes here.

Rules (all settings in ``disclosure:`` of the configuration):

* **primary suppression**: a count from 1 to ``threshold - 1`` is hidden
  (zero is shown: it identifies nobody);
* **rounding** (optional): shown counts are rounded to the nearest ``rounding``;
* **secondary suppression**: in a table shown with totals, a row or column
  with exactly one hidden cell gets a second cell hidden (its smallest
  positive neighbour), so the hidden one cannot be worked back by subtraction;
* rates and percentages built on a hidden count are hidden too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from datapack.config import Disclosure


@dataclass(frozen=True)
class Shown:
    """A figure as it may be shown: its text and, where it may be shown, its value."""

    text: str
    value: float | None
    hidden: bool = False


class Control:
    """Disclosure rules bound to one configuration."""

    def __init__(self, settings: Disclosure):
        self.settings = settings

    @property
    def threshold(self) -> int:
        return self.settings.threshold

    def is_small(self, n: float | None) -> bool:
        """True when a count must be hidden by primary suppression."""
        return n is not None and not _nan(n) and 0 < n < self.settings.threshold

    def rounded(self, n: float) -> float:
        base = self.settings.rounding
        return float(base * math.floor(n / base + 0.5)) if base else float(n)

    def count(self, n: float | None, hidden: bool = False) -> Shown:
        """A count for display: hidden when small (or when ``hidden`` says so), else rounded."""
        if n is None or _nan(n):
            return Shown("no data", None)
        if hidden or self.is_small(n):
            return Shown(self.settings.symbol, None, True)
        value = self.rounded(n)
        return Shown(f"{value:,.0f}", value)

    def rate(self, numerator: float | None, denominator: float | None, scale: float = 1000,
             digits: int = 1, numerator_hidden: bool = False) -> Shown:
        """``numerator / denominator * scale``; hidden when the numerator is hidden."""
        if numerator is None or denominator in (None, 0) or _nan(numerator) or _nan(denominator):
            return Shown("no data", None)
        if numerator_hidden or self.is_small(numerator):
            return Shown(self.settings.symbol, None, True)
        value = numerator / denominator * scale
        return Shown(f"{value:,.{digits}f}", value)

    def percent(self, part: float | None, whole: float | None, digits: int = 0) -> Shown:
        """``part`` as a percentage of ``whole``; hidden when either is a small count.

        A small base is hidden too: 1 of 2 respondents identifies someone as
        surely as the count itself.
        """
        if part is None or whole in (None, 0) or _nan(part) or _nan(whole):
            return Shown("no data", None)
        if self.is_small(part) or self.is_small(whole) or self.is_small(whole - part):
            return Shown(self.settings.symbol, None, True)
        value = 100 * part / whole
        return Shown(f"{value:.{digits}f}%", value)

    def table_mask(self, counts: pd.DataFrame, totals: bool = True) -> pd.DataFrame:
        """Which cells of a count table to hide (True = hidden).

        Primary suppression first. When the table is shown with row and
        column totals, more cells are hidden until no hidden figure, in the
        body or among the totals, can be solved from what is shown.
        """
        return self._masks(counts, totals)[0]

    def _masks(self, counts: pd.DataFrame, totals: bool) -> tuple[pd.DataFrame, np.ndarray]:
        """Body mask, and the mask of the table with its margins (last row and column)."""
        values = counts.to_numpy(dtype=float, na_value=0.0)
        rows, cols = values.shape
        full = np.zeros((rows + 1, cols + 1))
        full[:rows, :cols] = values
        full[:rows, cols] = values.sum(axis=1)
        full[rows, :cols] = values.sum(axis=0)
        full[rows, cols] = values.sum()
        hidden = (full > 0) & (full < self.settings.threshold)
        if totals:
            while cells := _determined_cells(hidden):
                if not any(_hide_partner(hidden, full, *cell) for cell in cells):
                    if hidden.all():
                        break
                    _hide_smallest(hidden, full)  # their rows and columns are all hidden: widen the search
        else:
            hidden[rows, :] = hidden[:, cols] = False
        body = pd.DataFrame(hidden[:rows, :cols], index=counts.index, columns=counts.columns)
        return body, hidden

    def table(self, counts: pd.DataFrame, totals: bool = True) -> pd.DataFrame:
        """A count table as text for display, with a ``Total`` row and column when asked."""
        _, hidden = self._masks(counts, totals)
        values = counts.to_numpy(dtype=float, na_value=np.nan)
        rows, cols = values.shape
        shown = pd.DataFrame(index=counts.index, columns=counts.columns, dtype=object)
        for j, col in enumerate(counts.columns):
            shown[col] = [self.count(values[i, j], hidden[i, j]).text for i in range(rows)]
        if totals:
            filled = np.nan_to_num(values)
            shown["Total"] = [self.count(filled[i].sum(), hidden[i, cols]).text for i in range(rows)]
            shown.loc["Total"] = [self.count(filled[:, j].sum(), hidden[rows, j]).text for j in range(cols)] + \
                [self.count(filled.sum(), hidden[rows, cols]).text]
        return shown


def _determined_cells(hidden: np.ndarray) -> list[tuple[int, int]]:
    """Hidden cells of a table-with-margins that what is shown pins down exactly.

    The hidden figures are unknowns. Each row says its cells add up to its
    total (last column); each column says the same with the total row. A
    hidden figure is determined when its unit vector lies in the span of
    those equations, i.e. the null space has no component on it.
    """
    cells = np.argwhere(hidden)
    if len(cells) == 0:
        return []
    rows, cols = hidden.shape[0] - 1, hidden.shape[1] - 1
    k = np.arange(len(cells))
    blocks = []
    # one equation per row (its cells add up to the last column) and per column (to the last row)
    for line, is_total, n in ((cells[:, 0], cells[:, 1] == cols, rows + 1),
                              (cells[:, 1], cells[:, 0] == rows, cols + 1)):
        block = np.zeros((n, len(cells)))
        block[line, k] = np.where(is_total, -1.0, 1.0)
        blocks.append(block)
    fixed = solvable(np.vstack(blocks))
    return [(int(c[0]), int(c[1])) for c, f in zip(cells, fixed) if f]


def solvable(equations: np.ndarray) -> np.ndarray:
    """Which unknowns a set of linear equations pins down exactly (one bool per column).

    ``equations`` has a row per equation whose right-hand side is known (a
    total that is shown) and a column per hidden figure. An unknown is fixed
    when its unit vector lies in the row space, i.e. the null space has no
    component on it. Every suppression audit (tables, series, exports) asks
    this one question.
    """
    equations = np.atleast_2d(np.asarray(equations, dtype=float))
    if equations.size == 0:
        return np.zeros(equations.shape[1] if equations.ndim == 2 else 0, dtype=bool)
    _, sing, vt = np.linalg.svd(equations)
    null = vt[int((sing > 1e-9).sum()):]
    if null.shape[0] == 0:
        return np.ones(equations.shape[1], dtype=bool)
    return np.all(np.abs(null) <= 1e-9, axis=0)


def _hide_smallest(hidden: np.ndarray, values: np.ndarray) -> None:
    """Hide the smallest shown figure anywhere, body cells before totals."""
    rows, cols = hidden.shape[0] - 1, hidden.shape[1] - 1
    shown = [tuple(c) for c in np.argwhere(~hidden)]
    if not shown:
        return
    hidden[min(shown, key=lambda c: (c[0] == rows or c[1] == cols, values[c] <= 0, values[c]))] = True


def _hide_partner(hidden: np.ndarray, values: np.ndarray, i: int, j: int) -> bool:
    """Hide one more figure in the row or column of cell (i, j): the smallest shown positive one.

    Body cells are preferred to totals, so the totals people read stay shown
    where they can. False when nothing in that row or column is left to hide.
    """
    rows, cols = hidden.shape[0] - 1, hidden.shape[1] - 1
    line = [(i, k) for k in range(cols + 1) if k != j] + [(k, j) for k in range(rows + 1) if k != i]
    shown = [c for c in line if not hidden[c]]
    if not shown:
        return False
    def cost(c):  # body before totals, then positive before zero, then the smallest
        is_total = c[0] == rows or c[1] == cols
        return (is_total, values[c] <= 0, values[c])
    hidden[min(shown, key=cost)] = True
    return True


def _nan(x: float) -> bool:
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return False


def series_mask(counts: np.ndarray, hidden: np.ndarray, windows: list[list[int]]) -> np.ndarray:
    """Hide more points of a series until no hidden point can be solved from the window totals shown.

    ``counts`` are the series' counts (e.g. months), ``hidden`` those hidden
    already (small counts, or cells hidden in another table of the same
    pack), ``windows`` the index sets whose totals the pack shows (the last
    12 months, the previous 12, the latest quarter ...). Each shown total is
    an equation on the hidden points inside it; a hidden point is determined
    when its unit vector lies in the span of those equations. While one is,
    the smallest shown positive point in a window holding it is hidden too.
    """
    hidden = hidden.copy()
    counts = np.nan_to_num(np.asarray(counts, dtype=float))
    while True:
        cells = np.flatnonzero(hidden)
        if len(cells) == 0:
            return hidden
        position = {c: k for k, c in enumerate(cells)}
        equations = [[1.0 if c in set(w) else 0.0 for c in cells] for w in windows
                     if any(i in position for i in w)]
        if not equations:
            return hidden
        fixed = solvable(np.array(equations))
        determined = [c for k, c in enumerate(cells) if fixed[k]]
        if not determined:
            return hidden
        target = determined[0]
        candidates = [i for w in windows if target in w for i in w if not hidden[i]]
        if not candidates:
            return hidden  # the whole window is hidden already
        positive = [i for i in candidates if counts[i] > 0] or candidates
        hidden[min(positive, key=lambda i: counts[i])] = True
