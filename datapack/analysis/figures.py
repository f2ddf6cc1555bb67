"""An indicator's figures as a pack prints them.

Figures already public (every row behind them from a source marked ``published: true``) are shown as
the publisher showed them and not suppressed again; a count the publisher did not give keeps its
symbol (``[c]``, ``..``, ``*``) and says why. Indicators read from counts of periods longer than a
month (quarters, years) also list those periods' figures: the trend as published.

**One rate, one calculation.** :func:`rate_of` is the only place a rate per 1,000 (or a percentage of
capacity) is worked out for an output: the packs' indicators, incidents and areas for enquiry, the
comparison pack, the history database and the data exchange all call it, and :func:`rate_label` gives
the one wording of its basis. The rule for disclosure, applied there once:

* the caller passes the *raw* count; the count is shown through the disclosure control (hidden when
  small, or when a table's secondary suppression hides it; rounded when ``disclosure.rounding`` is set);
* a rate on a hidden count is hidden;
* otherwise the rate is the **shown** count over the base. Where the count is shown unrounded this is
  the raw count; where it is shown rounded, the rate is of the rounded count, so the rate (with the base,
  which is shown) can never give back the count the rounding concealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from datapack.analysis import counts
from datapack.analysis.facility_rows import rows_of
from datapack.analysis.indicators import window_figures
from datapack.analysis.text import figure, no_data
from datapack.disclosure import Control, Shown

#: Why a count is not given, in words.
STATUS_NOTES = {"suppressed": "suppressed by the publisher", "missing": "not available from the publisher",
                "not_applicable": "not applicable"}


#: What a rate is per, in words, by basis: one text everywhere a rate is shown.
BASIS_WORDS = {"population": "average population", "throughput": "detentions (throughput)"}
#: The unit of a crowding figure (population as a percentage of in-use capacity).
CAPACITY_UNIT = "% of in-use capacity"


def basis_words(basis: str | None) -> str:
    """``average population`` or ``detentions (throughput)``: what the base of a rate counts."""
    return BASIS_WORDS.get(str(basis), BASIS_WORDS["population"])


def rate_label(basis: str | None, scale: float = 1000, crowding: bool = False) -> str:
    """``per 1,000 average population``, ``per 1,000 detentions (throughput)``, or the crowding unit."""
    return CAPACITY_UNIT if crowding else f"per {scale:,.0f} {basis_words(basis)}"


def window_label(months: int) -> str:
    """A window's length in words (``12 months``, ``6 months``, ``1 month``)."""
    return f"{int(months)} month{'' if int(months) == 1 else 's'}"


@dataclass(frozen=True)
class Rate:
    """A count and its rate for one facility and window, both as they may be shown."""

    count: Shown
    rate: Shown
    base: float | None
    scale: float
    months: int
    basis: str
    label: str

    @property
    def window(self) -> str:
        return window_label(self.months)

    def rate_figure(self) -> dict[str, Any]:
        return figure(self.rate)

    def count_figure(self) -> dict[str, Any]:
        return figure(self.count)


def rate_of(control: Control, count: Any, base: Any, *, scale: float = 1000, basis: str | None = "population",
            months: int = 12, count_hidden: bool = False, crowding: bool = False) -> Rate:
    """The rate of ``count`` (raw) over ``base`` per ``scale`` for one window: the one calculation.

    ``control`` is the disclosure state of the figure (the estate's, or the published figures' control),
    ``count_hidden`` says a table has hidden the count already (secondary suppression). See the module's
    docstring for the rule: a hidden count hides its rate; otherwise the numerator is the count as shown.
    """
    scale = 100.0 if crowding else float(scale)
    raw, denominator = _num(count), _num(base)
    shown = control.count(raw, hidden=count_hidden)
    if shown.hidden:
        rate = Shown(control.settings.symbol, None, True, shown.note)
    else:
        rate = control.rate(shown.value, denominator, scale=scale)
    return Rate(shown, rate, denominator, scale, int(months), str(basis or "population"),
                rate_label(basis, scale, crowding))


def window_months(a: Any, indicator: str | None = None) -> int:
    """The length in months of the windows an analysis compares (an indicator's own, where it has them)."""
    windows = a.results.window(indicator) if indicator is not None else a.results.windows
    return int(windows.months) if windows is not None else int(a.settings.window_months)


def indicator_rate(a: Any, fid: str, ind: Any, period: str = "last") -> Rate:
    """An indicator's count and rate for a facility in one period (``last``, ``prev``, ``quarter``)."""
    p = a.period(fid, ind.id) or {}
    months = 3 if period == "quarter" else window_months(a, ind.id)
    return rate_of(a.control_for(fid, ind.id), p.get(f"{period}_count"), p.get(f"{period}_base"), scale=ind.scale,
                   basis=p.get("basis") or a.basis(fid), months=months, crowding=ind.kind == "crowding",
                   count_hidden=a.count_hidden(fid, ind.id, period))


def count_figure(a: Any, fid: str, indicator: str, p: dict[str, Any], period: str) -> dict[str, Any]:
    """The count of one period (``last``, ``prev``, ``quarter``), or what stands in its place."""
    value = p.get(f"{period}_count")
    if value is not None and not pd.isna(value):
        return figure(a.control_for(fid, indicator).count(value, hidden=a.count_hidden(fid, indicator, period)))
    return _not_given(a, p.get(f"{period}_status"), p.get(f"{period}_symbol"))


def rate_figure(a: Any, fid: str, ind: Any, period: str) -> dict[str, Any]:
    """The rate of one period, hidden where its count is (unless published): see :func:`rate_of`."""
    return indicator_rate(a, fid, ind, period).rate_figure()


def _not_given(a: Any, status: Any, symbol: Any) -> dict[str, Any]:
    if status not in STATUS_NOTES or status == "not_applicable":
        return no_data()
    shown = symbol if isinstance(symbol, str) and symbol.strip() else None
    if status == "suppressed":
        return {"text": shown or a.control.settings.symbol, "value": None, "hidden": True,
                "note": STATUS_NOTES[status]}
    return {"text": shown or "no data", "value": None, "hidden": False, "note": STATUS_NOTES[status]} \
        if shown else no_data()


def _num(x: Any) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def period_labels(a: Any, indicator: str) -> dict[str, str] | None:
    """The months each period covers, as words (``2025/26``, ``Oct 2025–Sep 2026``)."""
    windows = a.results.window(indicator)
    if windows is None:
        return None
    return {name: counts.period_label(*windows.span(name)) for name in ("last", "prev", "quarter")}


def trend_rows(a: Any, fid: str, ind: Any) -> list[dict[str, Any]]:
    """The facility's published figures for ``ind`` period by period (oldest first), with rates."""
    trends = a.results.trends
    if trends.empty:
        return []
    mine = rows_of(trends, fid).pipe(lambda own: own[own["indicator"] == ind.id])
    control = a.published_control if not mine.empty and mine["published"].all() else a.control
    rows = []
    for row in mine.sort_values("first").to_dict("records"):
        count = (figure(control.count(row["count"])) if pd.notna(row["count"])
                 else _not_given(a, row["status"], row["symbol"]))
        rate = rate_of(control, row["count"], row["base"], scale=ind.scale, basis=a.basis(fid),
                       crowding=ind.kind == "crowding").rate_figure()
        rows.append({"label": row["label"], "count": count, "rate": rate})
    return rows


def rare_reading(a: Any, fid: str, ind: Any) -> str | None:
    """For a rare event (deaths): the latest period against the one before, by an exact Poisson test."""
    if not ind.rare:
        return None
    test = a.signals.rare_vs_previous.get((fid, ind.id))
    if test is None:
        return None
    control = a.control_for(fid, ind.id)
    last = control.count(test.count1, hidden=a.count_hidden(fid, ind.id, "last"))
    prev = control.count(test.count2, hidden=a.count_hidden(fid, ind.id, "prev"))
    if last.hidden or prev.hidden:
        if control.is_small(test.count1) or control.is_small(test.count2):
            return "Too few to compare with the period before in this pack (small numbers are hidden)."
        return ("Not compared with the period before in this pack: a count is hidden so that another hidden "
                "figure cannot be worked out.")
    per = "rates on the population held" if test.exposure1 != 1.0 else "counts over periods of the same length"
    changed = "a significant change" if test.p_value < a.settings.alpha else "no significant change"
    p = "< 0.001" if test.p_value < 0.001 else f"= {test.p_value:.3f}"
    return (f"{last.text} in the latest period against {prev.text} in the one before ({per}): {changed} "
            f"(exact Poisson test, p {p}).")


def latest_visit_start(a: Any, fid: str) -> Any:
    """When the facility's latest visit began (None when no visit is held)."""
    visits = a.estate.table("visits")
    starts = visits.loc[visits["facility_id"].astype(str) == fid, "start"] if not visits.empty else None
    return starts.max() if starts is not None and not starts.empty else None


def before_window(a: Any, fid: str, ind: Any, visit_start: Any) -> tuple[pd.Period, pd.Period] | None:
    """The window that ended the month before the last visit began, where "then and now" can be said (see
    :func:`before_visit`), as its first and last month; None otherwise."""
    if visit_start is None or pd.isna(visit_start) or ind.kind == "crowding" or ind.id in a.results.own_windows \
            or ind.numerator.count == "individuals" or a.results.windows is None:
        return None
    months = window_months(a, ind.id)
    last = pd.Timestamp(visit_start).to_period("M") - 1
    first = last - (months - 1)
    if last >= a.results.windows.span("last")[0]:  # the visit is inside the last window: nothing to compare
        return None
    series = a.results.series
    own = rows_of(series, fid)
    part = own[(own["indicator"] == ind.id) & (own["month"] >= first) & (own["month"] <= last)]
    if len(part) < months or part["count"].isna().any():
        return None
    return first, last


def before_visit(a: Any, fid: str, ind: Any, visit_start: Any) -> dict[str, Any] | None:
    """An indicator "then and now": its count and rate over the window that ended the month before the last
    visit began, against the last window, and the change in rate; None where that cannot be said honestly.

    Not given for crowding (a latest month, not a window), for counts of people (they cannot be added up
    from months), for indicators read from published counts of longer periods, or when the monthly series
    does not reach back over the whole window before the visit, or the windows overlap. The count (and its
    rate) is hidden where small, or where the pack audit hides it for another figure's sake.
    """
    window = before_window(a, fid, ind, visit_start)
    if window is None:
        return None
    first, last = window
    months = window_months(a, ind.id)
    series = a.results.series
    own = rows_of(series, fid)
    part = own[(own["indicator"] == ind.id) & (own["month"] >= first) & (own["month"] <= last)]
    basis = a.basis(fid)
    count, base = window_figures(part, pd.Series({fid: basis}))
    then = rate_of(a.control_for(fid, ind.id), count.get(fid), base.get(fid), scale=ind.scale, basis=basis,
                   months=months, count_hidden=a.count_hidden(fid, ind.id, "then"))
    now = indicator_rate(a, fid, ind, "last")
    hidden = then.count.hidden or now.count.hidden
    change = (now.rate.value / then.rate.value - 1 if then.rate.value and now.rate.value is not None
              else None)
    return {"period": counts.period_label(first, last), "count": then.count_figure(), "rate": then.rate_figure(),
            "now": now.rate_figure(), "change": None if hidden else change, "then_count": then.count.value,
            "now_count": now.count.value, "hidden": hidden}
