"""Rare events (deaths, say): time between events on a control chart, and exact Poisson figures.

A monthly count of a rare event is mostly zeros, and an XmR chart of it says little. Instead:

* :func:`rare_events` charts the **time between events** (a "t-chart"). Days between events
  follow an exponential distribution when events arrive at random, which is far from normal;
  Nelson's transformation y = t^(1/3.6) makes it nearly so (Nelson 1994, "A control chart for
  parts-per-million nonconforming items", J Quality Technology 26(3); Montgomery, *Introduction
  to Statistical Quality Control*, on the t-chart). We draw an XmR chart of y with
  :func:`datapack.analysis.spc.xmr` (same rules, same settings) and back-transform the centre
  and limits to days (x = y^3.6). A lower limit at or below zero on the y scale means there is no
  lower limit in days: it is reported as 0. A g-chart (counts between events) is not done here.
  Longer gaps mean fewer events, so with the default ``improvement="up"`` a long gap is an
  improvement and a run of short gaps a concern.
  The time since the last event (to ``period_end``) is not a complete gap, but it can only grow:
  if it already exceeds the upper limit, that is reported as a signal (``open_gap_signal``).
* :func:`poisson_interval` is the exact (Garwood) confidence interval for a Poisson rate.
* :func:`compare_poisson` is the exact conditional test of two Poisson rates: given c1 + c2
  events, c1 is binomial with p = e1 / (e1 + e2) if the rates are equal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from datapack.analysis.spc import Improvement, SpcResult, SpcSettings, xmr

#: Nelson's power: y = t ** (1 / POWER) turns exponential waiting times to near-normal.
POWER = 3.6


@dataclass(frozen=True)
class RareResult:
    """Time-between-events chart of the events between ``period_start`` and ``period_end``.

    ``days_between[k]`` is the gap (in days) ending at ``event_dates[k + 1]``; ``chart`` is the
    XmR chart of the transformed gaps, with those event dates as its periods (None with fewer than
    two events). ``centre_days``, ``ucl_days`` and ``lcl_days`` are its back-transformed lines for
    the latest segment (NaN when there are too few gaps). ``days_since_last`` runs from the last
    event (or from ``period_start`` if there was none) to ``period_end``. ``excluded`` counts dates
    given outside the period or missing, which were left out.
    """

    event_dates: tuple[pd.Timestamp, ...]
    period_start: pd.Timestamp
    period_end: pd.Timestamp
    days_between: tuple[float, ...]
    chart: SpcResult | None
    centre_days: float
    ucl_days: float
    lcl_days: float
    days_since_last: float
    open_gap_signal: bool
    excluded: int

    @property
    def count(self) -> int:
        """Number of events in the period."""
        return len(self.event_dates)

    @property
    def exposure_days(self) -> float:
        """Length of the period in days."""
        return (self.period_end - self.period_start) / pd.Timedelta(days=1)

    @property
    def trial(self) -> bool:
        """True when the limits rest on too few gaps (or there are none) to be more than trial limits."""
        return self.chart is None or self.chart.trial


def rare_events(event_dates: Sequence[Any], period_start: Any, period_end: Any, improvement: Improvement = "up",
                rebase_at: Sequence[Any] = (), settings: SpcSettings = SpcSettings()) -> RareResult:
    """Chart the days between events dated ``event_dates`` (a t-chart with Nelson's transformation).

    Dates may come in any order; several on one day give gaps of 0. ``rebase_at`` holds event
    dates at which a new segment starts (see :func:`datapack.analysis.spc.xmr`).
    """
    start, end = pd.Timestamp(period_start), pd.Timestamp(period_end)
    if end <= start:
        raise ValueError(f"period_end ({end.date()}) must be after period_start ({start.date()})")
    given = pd.to_datetime(pd.Series(list(event_dates), dtype=object), errors="raise")
    kept = given[given.notna() & (given >= start) & (given <= end)].sort_values()
    dates = tuple(pd.Timestamp(d) for d in kept)
    gaps = tuple(float(x) for x in np.diff(kept.to_numpy()) / np.timedelta64(1, "D"))
    chart = None
    centre = ucl = lcl = math.nan
    if gaps:
        chart = xmr([g ** (1 / POWER) for g in gaps], periods=dates[1:], improvement=improvement,
                    rebase_at=[pd.Timestamp(d) for d in rebase_at], settings=settings)
        centre, ucl = (_back(chart.mean[-1]), _back(chart.ucl[-1]))
        lcl = _back(max(chart.lcl[-1], 0.0)) if not math.isnan(chart.lcl[-1]) else math.nan
    since = ((end - dates[-1]) if dates else (end - start)) / pd.Timedelta(days=1)
    return RareResult(event_dates=dates, period_start=start, period_end=end, days_between=gaps, chart=chart,
                      centre_days=centre, ucl_days=ucl, lcl_days=lcl, days_since_last=since,
                      open_gap_signal=bool(not math.isnan(ucl) and since > ucl), excluded=len(given) - len(kept))


def _back(y: float) -> float:
    return y ** POWER if not math.isnan(y) else math.nan


def _check_count(count: float, name: str) -> int:
    if count < 0 or count != int(count):
        raise ValueError(f"{name} must be a whole number of events (0 or more), got {count!r}")
    return int(count)


def _check_exposure(exposure: float, name: str) -> float:
    if not exposure > 0:
        raise ValueError(f"{name} (the exposure: person-time, population or period) must be above 0, got {exposure!r}")
    return float(exposure)


def poisson_interval(count: float, exposure: float = 1.0, conf: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) two-sided confidence interval for the rate ``count / exposure``.

    Lower = chi2(a/2; 2c) / 2, upper = chi2(1 - a/2; 2c + 2) / 2, each divided by the exposure;
    the lower limit is 0 when the count is 0. With exposure 1 it is the interval for the count.
    """
    c, e = _check_count(count, "count"), _check_exposure(exposure, "exposure")
    if not 0 < conf < 1:
        raise ValueError(f"conf must be between 0 and 1, got {conf!r}")
    alpha = 1 - conf
    lower = stats.chi2.ppf(alpha / 2, 2 * c) / 2 if c > 0 else 0.0
    upper = stats.chi2.ppf(1 - alpha / 2, 2 * c + 2) / 2
    return float(lower) / e, float(upper) / e


@dataclass(frozen=True)
class PoissonComparison:
    """Two Poisson rates compared exactly: the first (here) against the second (peers, or before).

    ``expected1`` is how many events the first would have had at the second's rate;
    ``rate_ratio`` (rate1 / rate2) has an exact ``conf`` interval (``ci_low``, ``ci_high``).
    """

    count1: int
    exposure1: float
    count2: int
    exposure2: float
    expected1: float
    rate_ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    conf: float
    alternative: str


def compare_poisson(c1: float, e1: float, c2: float, e2: float, conf: float = 0.95,
                    alternative: Literal["two-sided", "greater", "less"] = "two-sided") -> PoissonComparison:
    """Exact conditional test that two Poisson rates are equal (``c1/e1`` against ``c2/e2``).

    Given n = c1 + c2 events, c1 ~ Binomial(n, e1 / (e1 + e2)) under equal rates, so the p-value is
    that of ``scipy.stats.binomtest``; the exact (Clopper-Pearson) interval for the binomial
    proportion p maps to the rate ratio as p / (1 - p) x e2 / e1. With no events at all there is
    nothing to test: p = 1 and the ratio is undefined (NaN, interval 0 to infinity).
    """
    c1, c2 = _check_count(c1, "c1"), _check_count(c2, "c2")
    e1, e2 = _check_exposure(e1, "e1"), _check_exposure(e2, "e2")
    expected = c2 * e1 / e2
    if c1 + c2 == 0:
        return PoissonComparison(c1, e1, c2, e2, expected, math.nan, 0.0, math.inf, 1.0, conf, alternative)
    test = stats.binomtest(c1, c1 + c2, p=e1 / (e1 + e2), alternative=alternative)
    ci = test.proportion_ci(confidence_level=conf, method="exact")

    def ratio(p: float) -> float:
        return math.inf if p >= 1 else p / (1 - p) * e2 / e1

    point = math.inf if c2 == 0 else (c1 / e1) / (c2 / e2)
    return PoissonComparison(c1, e1, c2, e2, expected, point, ratio(ci.low), ratio(ci.high), float(test.pvalue),
                             conf, alternative)
