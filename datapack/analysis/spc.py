"""Statistical process control: XmR charts read the NHS England "Making Data Count" way.

Follows NHSRplotthedots (nhs-r-community/NHSRplotthedots, ``R/ptd_spc_standard.R`` and
``R/ptd_calculate_point_type.R``), which codes the NHS England rules:

* centre = mean; moving range mR_i = |x_i - x_(i-1)|; limits = mean +/- 2.66 x mean(mR);
  near limits at 2/3 of that distance. The lower limit is kept raw (it may be below zero);
  ``lower_bound`` only clips the ``*_display`` copies used to draw the chart.
* screening (``SpcSettings.screening``) drops moving ranges >= 3.267 x mean(mR), once, then
  recomputes mean(mR). NHSRplotthedots screens by default (``screen_outliers = TRUE``); the NHS
  England Excel tools do not, and neither do we by default, so figures match the Excel charts.
* special-cause rules, typed in this priority (as NHSRplotthedots' ``case_when``):
  1. ``outside``: a point above the upper or below the lower limit;
  2. ``trend``: ``trend_length`` points (so ``trend_length - 1`` steps) each strictly above (or
     below) the one before; a tie breaks it; every point of the run is flagged and typed by the
     run's direction (up = high), not by its side of the mean. A peak shared by a rising and a
     falling run takes the direction of the step after it, as NHSRplotthedots does;
  3. ``two_of_three``: in any 3 consecutive points all on the same side of the mean (a point on
     the mean breaks it), at least 2 are "close": beyond a near limit but not beyond the limit
     (points outside the limits are not close, as in NHSRplotthedots). Only the close points
     are flagged;
  4. ``shift``: ``shift_length`` consecutive points on one side of the mean; a point exactly on
     the mean breaks it; every point of the run is flagged.
* fewer than ``min_points`` points behind a segment's limits make them "trial" limits.

Missing values (NaN: not recorded or suppressed). NHSRplotthedots asks for no gaps; where there
is one, R's ``diff()`` gives NA and ``mean(na.rm = TRUE)`` drops it, so no moving range is taken
across a gap. We do the same: mR only between neighbours that are both present. The rules skip
missing points: runs are counted over the present points, so a gap neither breaks nor extends a
run (a run of 7 with a gap inside still has 7 points). Missing points are typed ``"missing"``.
Unlike NHSRplotthedots, which counts rows, ``min_points`` and ``max_points_for_limits`` count
present points.

Rebasing (``rebase_at``) starts a new segment with its own mean, mR and limits; no moving range
and no rule crosses a break.

:func:`baseline_chart` reads a series as Making Data Count does: each segment's limits come from
its first ``baseline`` present points only, and are recalculated only when a sustained shift
(``shift_length`` points on one side of the mean) that starts after the baseline confirms a
change: a new segment starts at the shift's first point, so the chart shows the change as a step.
Points of the baseline are judged against limits of their own time, never against limits a later
rise has pulled up, so a rise never makes the months before it look like an improvement.

Which chart (``chart`` of each segment, chosen by :func:`xmr` and :func:`baseline_chart` when
``exposure`` is given; :mod:`datapack.analysis.signals` decides what is given):

* **u-chart** where a count of events has an exposure held for its months (a population or
  throughput, in units of the rate's scale, so the points are per 1,000): point u_i = c_i / n_i,
  centre u = sum(c) / sum(n) over the baseline points, limits u +/- 3 sqrt(u / n_i), so they widen in
  a month with fewer people and narrow in one with more; near limits at 2 sqrt(u / n_i).
* **Laney's u-prime** (Laney 2002, "Improved control charts for attributes", Quality Engineering
  14(4)) where the counts vary more than chance alone would make them (over-dispersion, usual in
  months of a busy prison): z_i = (u_i - u) / sqrt(u / n_i) over the baseline, sigma_z = mean moving
  range of the z_i / 1.128 (no range across a gap; screened as ``screening`` says), limits
  u +/- 3 sqrt(u / n_i) sigma_z. Used when sigma_z is above ``LANEY_ABOVE`` (1.5): for 12 baseline
  months of Poisson counts sigma_z is below 1.48 in 95 series out of 100 (simulated), so above 1.5
  the spread is clearly more than chance. At or below it the u-chart's own limits are kept (sigma_z
  below 1 would narrow them; it is not used to).
* **XmR** of the values otherwise: a plain count where no exposure is held, and figures that are not
  counts of events (hours, per cent).

Every chart keeps the same baseline, shift and rebase rules and the same four special-cause rules;
only the limits differ (per point for u and u'). ``grain`` (``month`` or ``quarter``) says what one
point covers: a series too sparse by month is charted by quarter (``SPARSE_MONTHS``,
``SPARSE_QUARTERS``; see :mod:`datapack.analysis.signals`).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd

#: 3 / d2, d2 = 1.128 for moving ranges of two points.
LIMIT = 2.66
NEAR = 2 * LIMIT / 3
#: D4 for ranges of two points: the upper limit of the moving-range chart, used for screening.
SCREEN = 3.267
RULES = ("outside", "trend", "two_of_three", "shift")
#: Share of months with none at or above which a series is too sparse for baseline limits.
SPARSE = 0.5
IMPROVEMENTS = ("up", "down", "neutral")
#: d2 for moving ranges of two points: sigma = mean(mR) / D2 (LIMIT is 3 / D2, rounded).
D2 = 1.128
#: Laney's sigma_z above which a u-chart's limits are widened (u-prime); see the module docstring.
LANEY_ABOVE = 1.5
#: Chart kinds, as ``SpcResult.chart`` names them.
CHARTS = ("xmr", "u", "laney")
#: Fewer months than this with any event (under one month in six of three years), and no signal: too
#: sparse to chart by month; the series is charted by quarter when at least ``SPARSE_QUARTERS`` of its
#: quarters have any, and is otherwise a sentence.
SPARSE_MONTHS = 6
SPARSE_QUARTERS = 4
Improvement = Literal["up", "down", "neutral"]


@dataclass(frozen=True)
class SpcSettings:
    """How limits are computed and how long a run must be to signal.

    ``screening``: drop moving ranges >= 3.267 x mean(mR) before the limits (NHSRplotthedots: on;
    NHS England Excel tools: off). ``max_points_for_limits``: compute each segment's limits from
    its first N present points only ("fix after N"), then judge every later point against them.
    """

    screening: bool = False
    trend_length: int = 7
    shift_length: int = 7
    min_points: int = 12
    max_points_for_limits: int | None = None

    def __post_init__(self) -> None:
        for name in ("trend_length", "shift_length", "min_points"):
            if getattr(self, name) < 2:
                raise ValueError(f"SpcSettings.{name} must be at least 2, got {getattr(self, name)}")
        if self.max_points_for_limits is not None and self.max_points_for_limits < 2:
            raise ValueError(f"SpcSettings.max_points_for_limits must be at least 2 or None, "
                             f"got {self.max_points_for_limits}")


@dataclass(frozen=True)
class Run:
    """A trend or shift: ``rule``, ``direction`` ("high" = rising / above the mean, "low"),
    positions ``first`` and ``last`` (inclusive, into the series) and ``length`` in present points."""

    rule: str
    direction: str
    first: int
    last: int
    length: int


@dataclass(frozen=True)
class SpcResult:
    """An XmR chart: per-point tuples (all the length of ``values``) and whole-chart verdicts.

    ``direction`` is the side a special cause points to ("high"/"low", None for common cause or
    missing); ``point_type`` is "common_cause", "improvement", "concern", "neutral" or "missing".
    ``variation_icon`` comes from the latest present point; ``assurance`` from the latest
    segment's limits against ``target``. ``baseline_points`` counts, per segment, the present
    points its limits rest on; ``trial`` is true when any of these is below ``settings.min_points``.
    ``runs`` lists every trend and shift, in order of their last point.
    ``chart`` names each segment's chart ("xmr", "u" or "laney"), ``sigma_z`` its Laney ratio (None
    for XmR; NaN when it cannot be had). ``counts`` and ``exposure`` are the counts and exposures a
    u-chart's ``values`` (count / exposure) came from (None for XmR). ``grain`` is what a point covers.
    """

    values: tuple[float, ...]
    periods: tuple[Any, ...]
    mean: tuple[float, ...]
    ucl: tuple[float, ...]
    lcl: tuple[float, ...]
    near_ucl: tuple[float, ...]
    near_lcl: tuple[float, ...]
    segment: tuple[int, ...]
    outside: tuple[bool, ...]
    trend: tuple[bool, ...]
    two_of_three: tuple[bool, ...]
    shift: tuple[bool, ...]
    direction: tuple[str | None, ...]
    point_type: tuple[str, ...]
    runs: tuple[Run, ...]
    baseline_points: tuple[int, ...]
    trial: bool
    variation_icon: str | None
    assurance: str | None
    improvement: Improvement
    target: float | None = None
    lower_bound: float | None = None
    settings: SpcSettings = SpcSettings()
    chart: tuple[str, ...] = ()
    sigma_z: tuple[float | None, ...] = ()
    counts: tuple[float, ...] | None = None
    exposure: tuple[float, ...] | None = None
    grain: str = "month"

    @property
    def kind(self) -> str:
        """The latest segment's chart: "xmr", "u" or "laney"."""
        return self.chart[-1] if self.chart else "xmr"

    @property
    def lcl_display(self) -> tuple[float, ...]:
        """The lower limit clipped at ``lower_bound`` (for drawing only; rules use ``lcl``)."""
        return self._clip(self.lcl)

    @property
    def near_lcl_display(self) -> tuple[float, ...]:
        """The near lower limit clipped at ``lower_bound`` (for drawing only)."""
        return self._clip(self.near_lcl)

    def _clip(self, limits: tuple[float, ...]) -> tuple[float, ...]:
        if self.lower_bound is None:
            return limits
        return tuple(v if math.isnan(v) else max(v, self.lower_bound) for v in limits)

    def flags(self, i: int) -> list[str]:
        """The names of the rules that flag point ``i``, in priority order."""
        return [rule for rule in RULES if getattr(self, rule)[i]]


def xmr(values: Sequence[float], periods: Sequence[Any] | None = None, improvement: Improvement = "neutral",
        rebase_at: Sequence[Any] = (), settings: SpcSettings = SpcSettings(), target: float | None = None,
        lower_bound: float | None = None, exposure: Sequence[float] | None = None, laney: bool | None = None,
        grain: str = "month") -> SpcResult:
    """An XmR chart of ``values`` in time order, with NHS "Making Data Count" signals.

    ``periods`` label the points (default 0..n-1). Each ``rebase_at`` entry is a period, or (if
    it is not one of the periods) an integer position; a new segment starts there.
    ``improvement`` says which way is good. See the module docstring for the rules.

    With ``exposure`` the ``values`` are counts and the chart is a u-chart of count / exposure, or
    Laney's u-prime where over-dispersed (``laney``: None decides by ``LANEY_ABOVE``; True or False
    forces it). A point whose exposure is missing or not above 0 is missing.
    """
    if improvement not in IMPROVEMENTS:
        raise ValueError(f"improvement must be one of {', '.join(IMPROVEMENTS)}; got {improvement!r}")
    c = _floats(values)
    n = len(c)
    e = None if exposure is None else _floats(exposure)
    if e is not None and len(e) != n:
        raise ValueError(f"exposure has {len(e)} entries but values has {n}")
    y = _plotted(c, e)
    periods = tuple(range(n)) if periods is None else tuple(periods)
    if len(periods) != n:
        raise ValueError(f"periods has {len(periods)} entries but values has {n}")
    starts = _segment_starts(rebase_at, periods)
    segment = np.cumsum([i in starts for i in range(n)]).astype(int) - 1 if n else np.zeros(0, int)
    lines = {k: np.full(n, np.nan) for k in ("mean", "ucl", "lcl", "near_ucl", "near_lcl")}
    flags = {rule: np.zeros(n, bool) for rule in RULES}
    direction: list[str | None] = [None] * n
    runs: list[Run] = []
    counts: list[int] = []
    kinds: list[str] = []
    ratios: list[float | None] = []
    for s in range(segment.max() + 1 if n else 0):
        idx = np.flatnonzero(segment == s)
        if e is None:
            mean, amr, base = _limits(y[idx], settings)
            kind, ratio = "xmr", None
            lines["mean"][idx], lines["ucl"][idx], lines["lcl"][idx] = mean, mean + LIMIT * amr, mean - LIMIT * amr
            lines["near_ucl"][idx], lines["near_lcl"][idx] = mean + NEAR * amr, mean - NEAR * amr
        else:
            mean, sigma, base, kind, ratio = _u_limits(c[idx], e[idx], y[idx], settings, laney)
            lines["mean"][idx], lines["ucl"][idx], lines["lcl"][idx] = mean, mean + 3 * sigma, mean - 3 * sigma
            lines["near_ucl"][idx], lines["near_lcl"][idx] = mean + 2 * sigma, mean - 2 * sigma
        counts.append(base)
        kinds.append(kind)
        ratios.append(ratio)
        present = idx[~np.isnan(y[idx])]
        runs += _rules(y, present, {k: v[present] for k, v in lines.items()}, settings, flags, direction)
    point_type = ["missing" if math.isnan(y[i]) else _kind(direction[i], improvement) for i in range(n)]
    latest = {k: float(v[-1]) if n else math.nan for k, v in lines.items()}
    return SpcResult(
        values=tuple(y.tolist()), periods=periods, segment=tuple(segment.tolist()),
        **{k: tuple(v.tolist()) for k, v in lines.items()}, **{k: tuple(v.tolist()) for k, v in flags.items()},
        direction=tuple(direction), point_type=tuple(point_type), runs=tuple(runs), baseline_points=tuple(counts),
        trial=any(c < settings.min_points for c in counts),
        variation_icon=_icon(point_type, direction), assurance=_assurance(target, improvement, latest),
        improvement=improvement, target=target, lower_bound=lower_bound, settings=settings, chart=tuple(kinds),
        sigma_z=tuple(ratios), counts=None if e is None else tuple(c.tolist()),
        exposure=None if e is None else tuple(e.tolist()), grain=grain)


def _floats(values: Sequence[float]) -> np.ndarray:
    return pd.to_numeric(pd.Series(list(values), dtype=object), errors="raise").to_numpy(dtype=float, na_value=np.nan)


def _plotted(c: np.ndarray, e: np.ndarray | None) -> np.ndarray:
    """The points drawn: the values, or count / exposure (missing where the exposure is not above 0)."""
    if e is None:
        return c
    ok = np.isfinite(e) & (e > 0)
    return np.where(ok, c / np.where(ok, e, 1.0), np.nan)


def _u_limits(c: np.ndarray, e: np.ndarray, u: np.ndarray, settings: SpcSettings,
              laney: bool | None) -> tuple[float, np.ndarray, int, str, float]:
    """One segment of a u-chart: centre, sigma per point (times sigma_z for u'), points behind it, kind, sigma_z."""
    present = np.flatnonzero(~np.isnan(u))
    if settings.max_points_for_limits is not None and len(present) > settings.max_points_for_limits:
        present = present[: settings.max_points_for_limits]
    if present.size == 0:
        return math.nan, np.full(len(u), math.nan), 0, "u", math.nan
    centre = float(c[present].sum() / e[present].sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.where(np.isfinite(e) & (e > 0), np.sqrt(centre / np.where(e > 0, e, 1.0)), np.nan)
        z = np.full(present[-1] + 1, np.nan)
        z[present] = (u[present] - centre) / sigma[present]
    mr = np.abs(np.diff(z))
    mr = mr[np.isfinite(mr)]  # no range across a gap, none where the centre is 0
    if settings.screening and mr.size and mr.mean() > 0:
        mr = mr[mr < SCREEN * mr.mean()]
    ratio = float(mr.mean() / D2) if mr.size else math.nan
    wide = laney if laney is not None else bool(not math.isnan(ratio) and ratio > LANEY_ABOVE)
    if wide and not math.isnan(ratio):
        return centre, sigma * ratio, int(present.size), "laney", ratio
    return centre, sigma, int(present.size), "u", ratio


def baseline_chart(values: Sequence[float], periods: Sequence[Any] | None = None,
                   improvement: Improvement = "neutral", rebase_at: Sequence[Any] = (),
                   settings: SpcSettings = SpcSettings(), target: float | None = None,
                   lower_bound: float | None = None, baseline: int = 12, exposure: Sequence[float] | None = None,
                   laney: bool | None = None, grain: str = "month") -> SpcResult:
    """:func:`xmr` with limits from a baseline, recalculated at each confirmed shift (see the module docstring).

    ``baseline`` present points fix each segment's limits (the setting's
    ``max_points_for_limits``). A shift whose first point lies after its
    segment's baseline starts a new segment there; the chart is drawn again
    until no such shift is left. Each new segment starts later than the one
    before, so this ends. The points of a shift that started a segment keep
    the type the limits before it gave them (a rise stays a concern), and
    the latest point's icon is read from those types. A series with at least
    ``SPARSE`` of its points zero, or a shift into points that do not vary,
    is not given a baseline (limits of 0 would make any one event special).
    ``exposure``, ``laney`` and ``grain`` are as :func:`xmr`'s (a u-chart or u').
    """
    shape = dict(exposure=exposure, laney=laney, grain=grain)
    y = _plotted(_floats(values), None if exposure is None else _floats(exposure))
    present = y[~np.isnan(y)]
    if present.size == 0 or np.mean(present == 0) >= SPARSE:
        # too sparse for a baseline: a baseline of months with none gives limits of 0, against which
        # any one event would be a special cause; limits from every month instead, as xmr
        return xmr(values, periods, improvement, rebase_at, settings, target, lower_bound, **shape)
    fixed = replace(settings, max_points_for_limits=baseline)
    breaks = list(rebase_at)
    carried: dict[int, tuple[str, str | None]] = {}  # the shift's points, as the limits before it typed them
    shifts: list[Run] = []
    while True:
        result = xmr(values, periods, improvement, breaks, fixed, target, lower_bound, **shape)
        run = _confirmed_shift(result, baseline)
        if run is None:
            break
        after = y[run.first:][~np.isnan(y[run.first:])][:baseline]
        if np.ptp(after) == 0:
            break  # the new segment's baseline would not vary: its limits would sit on its mean
        carried |= {i: (result.point_type[i], result.direction[i]) for i in range(run.first, run.last + 1)
                    if result.shift[i]}
        shifts.append(run)
        breaks.append(run.first)
    if not carried:
        return result
    point_type, direction = list(result.point_type), list(result.direction)
    shift = list(result.shift)
    for i, (kind, side) in carried.items():
        point_type[i], direction[i], shift[i] = kind, side, True
    runs = tuple(sorted({*result.runs, *shifts}, key=lambda r: (r.last, r.first)))
    return replace(result, point_type=tuple(point_type), direction=tuple(direction), shift=tuple(shift),
                   runs=runs, variation_icon=_icon(point_type, direction))


def _confirmed_shift(result: SpcResult, baseline: int) -> Run | None:
    """The first shift that begins after its segment's baseline, or None."""
    present = [not math.isnan(v) for v in result.values]
    for run in sorted(result.runs, key=lambda r: r.first):
        if run.rule != "shift":
            continue
        seg = result.segment[run.first]
        first = result.segment.index(seg)
        if sum(present[first:run.first]) >= baseline:  # present points of the segment before the shift
            return run
    return None


def _segment_starts(rebase_at: Sequence[Any], periods: tuple[Any, ...]) -> set[int]:
    """Positions where segments start: 0 plus each rebase point (a period, else a position)."""
    starts = {0}
    for item in rebase_at:
        matches = [i for i, p in enumerate(periods) if _same(p, item)]
        if matches:
            starts.add(matches[0])
        elif isinstance(item, (int, np.integer)) and not isinstance(item, bool) and 0 <= item < len(periods):
            starts.add(int(item))
        else:
            span = f"{periods[0]} to {periods[-1]}" if periods else "no periods"
            raise ValueError(f"rebase_at {item!r} is neither one of the periods ({span}) nor a position in them")
    return starts


def _same(period: Any, item: Any) -> bool:
    # periods of any kind (Period, Timestamp, str, int) may refuse to compare with the item
    try:
        return bool(period == item)
    except (TypeError, ValueError):
        return False


def _limits(seg: np.ndarray, settings: SpcSettings) -> tuple[float, float, int]:
    """Mean, mean moving range and number of present points behind one segment's limits."""
    present = np.flatnonzero(~np.isnan(seg))
    if settings.max_points_for_limits is not None and len(present) > settings.max_points_for_limits:
        seg = seg[: present[settings.max_points_for_limits - 1] + 1]
    base = int(np.count_nonzero(~np.isnan(seg)))
    if base == 0:
        return math.nan, math.nan, 0
    mr = np.abs(np.diff(seg))
    mr = mr[~np.isnan(mr)]  # a range next to a gap is NaN: none is taken across a gap
    if settings.screening and mr.size and mr.mean() > 0:
        # one pass, as NHSRplotthedots; skipped when every range is 0 (it would drop them all)
        mr = mr[mr < SCREEN * mr.mean()]
    return float(np.nanmean(seg)), float(mr.mean()) if mr.size else math.nan, base


def _runs(keys: np.ndarray) -> list[tuple[int, int, int]]:
    """Maximal runs of equal non-zero keys as (first, last, key), inclusive positions."""
    out, start = [], 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[start]:
            if keys[start] != 0:
                out.append((start, i - 1, int(keys[start])))
            start = i
    return out


def _rules(y: np.ndarray, present: np.ndarray, line: dict[str, np.ndarray], settings: SpcSettings,
           flags: dict[str, np.ndarray], direction: list[str | None]) -> list[Run]:
    """Apply the four rules to one segment's present points (``line``: its lines at them); fill flags and direction."""
    v = y[present]
    m = len(v)
    side = np.sign(v - line["mean"])
    outside = (v > line["ucl"]) | (v < line["lcl"])  # False when limits are NaN
    close = ~outside & ((v > line["near_ucl"]) | (v < line["near_lcl"]))
    step = np.sign(np.diff(v))
    runs: list[Run] = []
    trend_dir = np.zeros(m)
    for first, last, key in _runs(step):
        if last - first + 2 >= settings.trend_length:  # k steps join k + 1 points
            runs.append(Run("trend", "high" if key > 0 else "low", int(present[first]), int(present[last + 1]),
                            last - first + 2))
            # runs come in time order, so a peak shared by two runs takes the step after it
            # (NHSRplotthedots: "if a point is part of a trend either side, use right side")
            trend_dir[first:last + 2] = key
    two = np.zeros(m, bool)
    for k in range(m - 2):
        if close[k:k + 3].sum() >= 2 and abs(side[k:k + 3].sum()) == 3:
            two[k:k + 3] |= close[k:k + 3]
    shift = np.zeros(m, bool)
    for first, last, key in _runs(side):
        if last - first + 1 >= settings.shift_length:
            shift[first:last + 1] = True
            runs.append(Run("shift", "high" if key > 0 else "low", int(present[first]), int(present[last]),
                            last - first + 1))
    for k, i in enumerate(present):
        flags["outside"][i], flags["trend"][i] = outside[k], trend_dir[k] != 0
        flags["two_of_three"][i], flags["shift"][i] = two[k], shift[k]
        key = side[k] if outside[k] else trend_dir[k] if trend_dir[k] else side[k] if two[k] or shift[k] else 0
        direction[i] = None if key == 0 else "high" if key > 0 else "low"
    return sorted(runs, key=lambda r: r.last)


def _kind(direction: str | None, improvement: Improvement) -> str:
    """A signal pointing ``direction`` ("high"/"low"; None = no signal) read against the good direction."""
    if direction is None:
        return "common_cause"
    if improvement == "neutral":
        return "neutral"
    return "improvement" if (direction == "high") == (improvement == "up") else "concern"


def _icon(point_type: list[str], direction: list[str | None]) -> str | None:
    """The variation icon of the latest present point (None if every point is missing)."""
    for kind, side in zip(reversed(point_type), reversed(direction)):
        if kind != "missing":
            return "common_cause" if kind == "common_cause" else f"special_cause_{kind}_{side}"
    return None


def _assurance(target: float | None, improvement: Improvement, line: dict[str, float]) -> str | None:
    """Can the process be relied on to meet ``target``? (NHSRplotthedots ``ptd_calculate_assurance_type``)."""
    if target is None or improvement == "neutral" or math.isnan(line["ucl"]):
        return None
    if line["lcl"] <= target <= line["ucl"]:
        return "inconsistent"
    above = target > line["ucl"]  # every likely value falls short of a target above the limits
    return "consistently_fail" if above == (improvement == "up") else "consistently_pass"


def _iso(period: Any) -> Any:
    """A period as JSON: ISO date (or date-time), the text of a pandas Period, or the int itself."""
    if isinstance(period, (bool, np.bool_)):
        return bool(period)
    if isinstance(period, (int, np.integer)):
        return int(period)
    if isinstance(period, (pd.Timestamp, np.datetime64, dt.datetime)):
        stamp = pd.Timestamp(period)
        return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()
    if isinstance(period, dt.date):
        return period.isoformat()
    return str(period)


def _num(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def describe(result: SpcResult) -> list[dict[str, Any]]:
    """One JSON-ready row per point: period, value, segment, centre and limits, type, direction, rules."""
    return [{"period": _iso(result.periods[i]), "value": _num(result.values[i]), "segment": result.segment[i],
             "mean": _num(result.mean[i]), "ucl": _num(result.ucl[i]), "lcl": _num(result.lcl[i]),
             "type": result.point_type[i], "direction": result.direction[i], "rules": result.flags(i)}
            for i in range(len(result.values))]


def summary(result: SpcResult, last_n: int = 6) -> dict[str, Any]:
    """What a sentence needs: the latest point, icons, rules seen lately, the latest runs, the latest limits.

    ``rules_recent`` names the rules that flag any of the last ``last_n`` present points.
    ``trend``/``shift`` describe the most recent run of each (None if none): its direction,
    length in present points (a trend of 8 points is 7 consecutive rises), first and last
    period, whether it reaches the latest present point (``ongoing``) and its type.
    """
    present = [i for i, t in enumerate(result.point_type) if t != "missing"]
    latest = present[-1] if present else None
    recent = present[-last_n:] if last_n > 0 else []
    seg = result.segment[-1] if result.segment else None
    where = result.segment.index(seg) if seg is not None else None

    def run_info(rule: str) -> dict[str, Any] | None:
        runs = [r for r in result.runs if r.rule == rule]
        if not runs:
            return None
        run = max(runs, key=lambda r: r.last)
        words = {"trend": ("up", "down"), "shift": ("above", "below")}[rule]
        return {"direction": words[0] if run.direction == "high" else words[1], "length": run.length,
                "start": _iso(result.periods[run.first]), "end": _iso(result.periods[run.last]),
                "ongoing": run.last == latest, "type": _kind(run.direction, result.improvement)}

    return {
        "n_points": len(present), "n_missing": len(result.values) - len(present),
        "latest_period": _iso(result.periods[latest]) if latest is not None else None,
        "latest_value": result.values[latest] if latest is not None else None,
        "latest_type": result.point_type[latest] if latest is not None else None,
        "latest_direction": result.direction[latest] if latest is not None else None,
        "variation_icon": result.variation_icon, "assurance": result.assurance, "improvement": result.improvement,
        "last_n": last_n, "rules_recent": [r for r in RULES if any(getattr(result, r)[i] for i in recent)],
        "trend": run_info("trend"), "shift": run_info("shift"), "trial": result.trial,
        "chart": result.kind, "grain": result.grain,
        "sigma_z": _num(result.sigma_z[-1]) if result.sigma_z and result.sigma_z[-1] is not None else None,
        "segment": None if seg is None else {
            "index": seg, "start": _iso(result.periods[where]), "baseline_points": result.baseline_points[seg],
            "n_points": sum(1 for i in present if result.segment[i] == seg),
            "trial": result.baseline_points[seg] < result.settings.min_points,
            **{k: _num(getattr(result, k)[-1]) for k in ("mean", "ucl", "lcl", "near_ucl", "near_lcl")}},
    }
