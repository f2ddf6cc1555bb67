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

        Primary suppression first; then, when the table is shown with row
        and column totals, secondary suppression until no row or column has
        exactly one hidden cell.
        """
        values = counts.to_numpy(dtype=float, na_value=np.nan)
        hidden = (values > 0) & (values < self.settings.threshold)
        if totals:
            changed = True
            while changed:
                changed = False
                for axis in (0, 1):
                    lines = hidden if axis == 1 else hidden.T
                    vals = values if axis == 1 else values.T
                    for i in range(lines.shape[0]):
                        if lines[i].sum() == 1:
                            candidates = np.where(~lines[i] & (vals[i] > 0))[0]
                            if candidates.size == 0:
                                candidates = np.where(~lines[i])[0]
                            if candidates.size:
                                j = candidates[np.argmin(vals[i][candidates])]
                                lines[i, j] = True
                                changed = True
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
