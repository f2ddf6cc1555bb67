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
        column totals, more cells are hidden until no hidden cell can be
        solved from the totals: every row or column with a hidden cell has
        at least two, and (an audit by linear algebra) no hidden cell is a
        combination of the totals.
        """
        values = counts.to_numpy(dtype=float, na_value=np.nan)
        hidden = (values > 0) & (values < self.settings.threshold)
        if not totals or not hidden.any():
            return pd.DataFrame(hidden, index=counts.index, columns=counts.columns)
        while True:
            lone = _lone_hidden(hidden)
            lines = [lone] if lone is not None else _determined_lines(hidden)
            if not lines:
                break
            if not any(_hide_partner(hidden, values, axis, i) for axis, i in lines):
                break  # every cell of those lines is hidden already
        return pd.DataFrame(hidden, index=counts.index, columns=counts.columns)

    def table(self, counts: pd.DataFrame, totals: bool = True) -> pd.DataFrame:
        """A count table as text for display, with row and column totals when asked.

        Totals are hidden by primary suppression like any other count.
        """
        mask = self.table_mask(counts, totals)
        shown = pd.DataFrame(index=counts.index, columns=counts.columns, dtype=object)
        for col in counts.columns:
            shown[col] = [self.count(v, h).text for v, h in zip(counts[col], mask[col])]
        if totals:
            shown["Total"] = [self.count(v).text for v in counts.sum(axis=1)]
            total_row = [self.count(v).text for v in counts.sum(axis=0)] + [self.count(counts.to_numpy().sum()).text]
            shown.loc["Total"] = total_row
        return shown


def _nan(x: float) -> bool:
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return False


def _lone_hidden(hidden: np.ndarray) -> tuple[int, int] | None:
    """(axis, index) of a row (axis 1) or column (axis 0) with exactly one hidden cell."""
    for i in np.where(hidden.sum(axis=1) == 1)[0]:
        return 1, int(i)
    for j in np.where(hidden.sum(axis=0) == 1)[0]:
        return 0, int(j)
    return None


def _determined_lines(hidden: np.ndarray) -> list[tuple[int, int]]:
    """The row and column of a hidden cell that the totals pin down exactly ([] if none).

    The hidden cells are unknowns; each total is an equation on the unknowns
    in its line. A cell is determined when its unit vector lies in the span
    of those equations, i.e. when the null space has no component on it.
    """
    cells = np.argwhere(hidden)
    rows, cols = hidden.shape
    a = np.zeros((rows + cols, len(cells)))
    a[cells[:, 0], np.arange(len(cells))] = 1
    a[rows + cells[:, 1], np.arange(len(cells))] = 1
    _, sing, vt = np.linalg.svd(a)
    rank = int((sing > 1e-9).sum())
    null = vt[rank:]
    for k, (r, _c) in enumerate(cells):
        if null.shape[0] == 0 or np.allclose(null[:, k], 0, atol=1e-9):
            return [(1, int(r)), (0, int(_c))]
    return []


def _hide_partner(hidden: np.ndarray, values: np.ndarray, axis: int, i: int) -> bool:
    """Hide the smallest shown positive cell in a line (or a zero if none); False if none left."""
    line_hidden = hidden[i] if axis == 1 else hidden[:, i]
    line_values = values[i] if axis == 1 else values[:, i]
    candidates = np.where(~line_hidden & (line_values > 0))[0]
    if candidates.size == 0:
        candidates = np.where(~line_hidden)[0]
    if candidates.size == 0:
        return False
    j = candidates[np.argmin(line_values[candidates])]
    if axis == 1:
        hidden[i, j] = True
    else:
        hidden[j, i] = True
    return True
