"""Funnel plots: each facility's figure against its size, with limits around a target.

Follows Spiegelhalter (2005) "Funnel plots for comparing institutional
performance" (Stat Med 24:1185) and "Handling over-dispersion of performance
indicators" (Qual Saf Health Care 14:347), matching the R package FunnelPlotR
(``nhs-r-community/FunnelPlotR``) where it has a convention:

* Exact Poisson limits for a ratio O/E are the gamma (chi-square) form used in
  ``R/calculate_limits.R``: lower ``qchisq(a/2, 2E)/2E``, upper
  ``qchisq(1-a/2, 2E+2)/2E``; this reproduces its ``test-poisson_limits.R``.
* Over-dispersion follows FunnelPlotR's Spiegelhalter ("CQC") path
  (``R/od_adjustment.R``): square-root z-scores for counts, arcsine for
  proportions, Winsorised at quantiles computed like R's default ``quantile``,
  ``phi = mean(z^2)``, DerSimonian-Laird ``tau2`` set to 0 when
  ``k*phi < k-1``. FunnelPlotR's default for ratios ("SHMI": log scale with
  truncation) is not used: the log of a zero count is undefined and a month
  without incidents is common in a small prison. Adjusted limits are squared
  back from the square-root scale, as ``R/build_limits_lookup.R`` does.
* "auto" adjusts whenever ``tau2 > 0``, as FunnelPlotR's ``funnel_plot``
  does; it applies no significance test to phi.
* A unit on a limit is inside it (``R/outliers_func.R``).

Pure functions of numbers in, immutable results out; no plotting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

KINDS = ("ratio", "rate", "proportion")
# FunnelSettings.method names the distribution; funnel's kind names the indicator.
_METHOD_KIND = {"poisson": "ratio", "rate": "rate", "binomial": "proportion"}


@dataclass(frozen=True)
class FunnelSettings:
    """How funnel limits are drawn; checked when built, every problem reported at once.

    levels: two-sided coverage of each pair of limits, e.g. 0.998 for 99.8%.
    overdispersion: True always uses the random-effects limits (with tau2,
        even when it is 0); False never does; "auto" uses them when tau2 > 0.
    winsorise: lower and upper quantiles at which z-scores are pulled in
        before phi is estimated.
    method: "poisson" (observed/expected ratios), "rate" (counts per
        population) or "binomial" (proportions); the default kind for funnel().
    scale: rates are per this many of the denominator (1,000 population).
    """

    levels: tuple[float, ...] = (0.95, 0.998)
    overdispersion: bool | Literal["auto"] = "auto"
    winsorise: tuple[float, float] = (0.10, 0.90)
    method: Literal["poisson", "binomial", "rate"] = "rate"
    scale: float = 1000.0

    def __post_init__(self) -> None:
        problems = []
        if not self.levels or any(not 0 < lv < 1 for lv in self.levels):
            problems.append(f"levels must be between 0 and 1, e.g. (0.95, 0.998); got {self.levels!r}")
        if not (isinstance(self.overdispersion, bool) or self.overdispersion == "auto"):
            problems.append(f"overdispersion must be True, False or 'auto'; got {self.overdispersion!r}")
        lo, hi = self.winsorise
        if not 0 <= lo < hi <= 1:
            problems.append(f"winsorise must be (low, high) with 0 <= low < high <= 1; got {self.winsorise!r}")
        if self.method not in _METHOD_KIND:
            problems.append(f"method must be one of {', '.join(_METHOD_KIND)}; got {self.method!r}")
        if not self.scale > 0:
            problems.append(f"scale must be positive; got {self.scale!r}")
        if problems:
            raise ValueError("Invalid FunnelSettings: " + "; ".join(problems))


@dataclass(frozen=True)
class Limits:
    """One pair of limits at a coverage level, in the units of the unit's value."""

    level: float
    lower: float
    upper: float


@dataclass(frozen=True)
class FunnelUnit:
    """One facility on the funnel.

    z is the unadjusted z-score on the transformed scale (square root for
    counts, arcsine for proportions); z_adjusted divides by sqrt(s^2 + tau2)
    instead of s when the limits are adjusted, and equals z otherwise.
    flag comes from the limits, not from z.
    """

    label: str
    observed: float
    denominator: float
    value: float
    z: float
    z_adjusted: float
    limits: tuple[Limits, ...]
    flag: str

    def limit(self, level: float) -> Limits:
        """The limits at ``level`` (e.g. 0.998)."""
        found = [lim for lim in self.limits if np.isclose(lim.level, level)]
        if not found:
            raise KeyError(f"no limits at level {level}; have {[lim.level for lim in self.limits]}")
        return found[0]


@dataclass(frozen=True)
class FunnelResult:
    """Every unit placed on one funnel, with the dispersion estimates used."""

    kind: str
    target: float
    scale: float | None
    phi: float
    tau2: float
    adjusted: bool
    settings: FunnelSettings
    units: tuple[FunnelUnit, ...]

    def unit(self, label: str) -> FunnelUnit:
        """The unit called ``label``."""
        for u in self.units:
            if u.label == label:
                return u
        raise KeyError(f"no unit {label!r} on this funnel")


@dataclass(frozen=True)
class FunnelCurve:
    """Limit lines for plotting: for each level, lower and upper at each denominator."""

    kind: str
    target: float
    adjusted: bool
    denominators: tuple[float, ...]
    lines: tuple[tuple[float, tuple[float, ...], tuple[float, ...]], ...]  # (level, lowers, uppers)


def flag_label(direction: str, level: float) -> str:
    """The flag for a unit beyond the ``level`` limit: ``flag_label("above", 0.998) == "above_99.8"``."""
    return f"{direction}_{level * 100:g}"


def _z_crit(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))  # 0.95 -> 1.959964, 0.998 -> 3.090232


def _shaped(values: np.ndarray, like: object) -> np.ndarray | float:
    return float(values) if np.ndim(like) == 0 else values


def _poisson_count_limits(mu: np.ndarray, level: float, tau2: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Limits on a count whose expected value is ``mu``."""
    alpha = 1 - level
    if tau2 is None:
        # Gamma form of the exact Poisson limits (FunnelPlotR, R/calculate_limits.R):
        # a continuous version of the Poisson quantiles, so the funnel is smooth.
        with np.errstate(divide="ignore", invalid="ignore"):
            lower = np.where(mu > 0, stats.chi2.ppf(alpha / 2, 2 * mu) / 2, 0.0)
        return lower, stats.chi2.ppf(1 - alpha / 2, 2 * mu + 2) / 2
    # On the square-root scale sqrt(O/mu) has sd 1/(2 sqrt(mu)); tau2 is added to
    # its variance. Multiplied out by mu so that mu = 0 stays finite.
    half_width = _z_crit(level) * np.sqrt(0.25 + mu * tau2)
    root = np.sqrt(mu)
    return np.clip(root - half_width, 0, None) ** 2, (root + half_width) ** 2


def ratio_limits(expected, target: float = 1.0, level: float = 0.95,
                 tau2: float | None = None) -> tuple:
    """Limits for observed/expected ratios (e.g. standardised ratios) at ``level``.

    With ``tau2=None`` the limits are exact Poisson (gamma form, as FunnelPlotR);
    with a number they are the over-dispersed limits
    ``target * (1 -/+ z * sqrt(1/(4*mu) + tau2))**2`` from the square-root scale.
    The count expected under the target is ``mu = target * expected`` (FunnelPlotR
    only uses target 1 for ratios, where the two readings agree).
    Scalars give floats, arrays give arrays.
    """
    e = np.asarray(expected, dtype=float)
    lower, upper = _poisson_count_limits(target * e, level, tau2)
    return _shaped(lower / e, expected), _shaped(upper / e, expected)


def rate_limits(denominators, target_rate: float, level: float = 0.95, scale: float = 1000.0,
                tau2: float | None = None) -> tuple:
    """Limits for rates per ``scale`` of the denominator (e.g. per 1,000 population).

    ``target_rate`` is per ``scale`` too. The count expected at the target,
    ``target_rate * denominator / scale``, gets exact Poisson limits (so a
    small prison's funnel is wide), then is divided back into a rate.
    ``tau2`` as in :func:`ratio_limits`.
    """
    exposure = np.asarray(denominators, dtype=float) / scale
    lower, upper = _poisson_count_limits(target_rate * exposure, level, tau2)
    return _shaped(lower / exposure, denominators), _shaped(upper / exposure, denominators)


def proportion_limits(n, target_p: float, level: float = 0.95, tau2: float | None = None) -> tuple:
    """Limits for proportions (0-1) of ``n`` cases.

    With ``tau2=None`` the limits are exact binomial, interpolated between the
    discrete quantiles as in Spiegelhalter (2005, Stat Med, appendix):
    ``(r - a) / n`` where r is the binomial quantile and
    ``a = (F(r) - p) / (F(r) - F(r-1))``; n must be whole. (FunnelPlotR uses
    the arcsine approximation here; exact is kinder to small units.) With a
    number, the over-dispersed arcsine limits
    ``sin(asin(sqrt(target)) -/+ z * sqrt(1/(4n) + tau2))**2``, held within 0-1.
    """
    size = np.asarray(n, dtype=float)
    if tau2 is None:
        bounds = []
        for q in ((1 - level) / 2, (1 + level) / 2):
            r = stats.binom.ppf(q, size, target_p)
            f_r = stats.binom.cdf(r, size, target_p)
            f_below = stats.binom.cdf(r - 1, size, target_p)
            with np.errstate(divide="ignore", invalid="ignore"):
                a = np.where(f_r > f_below, (f_r - q) / (f_r - f_below), 0.0)
            # A target of 1 leaves no room below the top quantile: every limit is 1.
            bounds.append(np.where(target_p >= 1, 1.0, np.clip((r - a) / size, 0, 1)))
        lower, upper = bounds
    else:
        centre = np.arcsin(np.sqrt(target_p))
        half_width = _z_crit(level) * np.sqrt(1 / (4 * size) + tau2)
        lower = np.sin(np.clip(centre - half_width, 0, np.pi / 2)) ** 2
        upper = np.sin(np.clip(centre + half_width, 0, np.pi / 2)) ** 2
    return _shaped(lower, n), _shaped(upper, n)


def z_scores(observed, denominators, kind: str, target: float,
             scale: float = 1000.0) -> tuple[np.ndarray, np.ndarray]:
    """Unadjusted z-scores and their standard errors s on the transformed scale.

    Counts (ratio, rate): y = sqrt(O/mu), centre 1, s = 1/(2 sqrt(mu)), so
    z = 2(sqrt(O) - sqrt(mu)) with mu the count expected at the target.
    Proportions: y = asin(sqrt(O/n)), centre asin(sqrt(target)), s = 1/(2 sqrt(n)).
    """
    obs = np.asarray(observed, dtype=float)
    den = np.asarray(denominators, dtype=float)
    kind = _resolve_kind(kind)
    if kind == "proportion":
        s = 1 / (2 * np.sqrt(den))
        return (np.arcsin(np.sqrt(obs / den)) - np.arcsin(np.sqrt(target))) / s, s
    mu = target * (den / scale if kind == "rate" else den)
    with np.errstate(divide="ignore"):
        s = 1 / (2 * np.sqrt(mu))
    return 2 * (np.sqrt(obs) - np.sqrt(mu)), s


def overdispersion(z, s, winsorise: tuple[float, float] = (0.10, 0.90)) -> tuple[float, float]:
    """Dispersion ratio phi and between-unit variance tau2 (Spiegelhalter 2005).

    z is Winsorised at the ``winsorise`` quantiles (linear interpolation, R's
    default type 7 as FunnelPlotR uses) before ``phi = mean(z^2)``; then
    ``tau2 = max(0, (k*phi - (k-1)) / (sum(w) - sum(w^2)/sum(w)))`` with
    ``w = 1/s^2``. Fewer than two units give tau2 = 0: there is no spread to measure.
    """
    z = np.asarray(z, dtype=float)
    k = z.size
    if k == 0:
        raise ValueError("overdispersion needs at least one z-score")
    lo, hi = np.quantile(z, winsorise)
    phi = float(np.mean(np.clip(z, lo, hi) ** 2))
    with np.errstate(divide="ignore"):
        w = 1 / np.asarray(s, dtype=float) ** 2
    spread = w.sum() - (w ** 2).sum() / w.sum() if w.sum() > 0 else 0.0
    if k < 2 or spread <= 0:
        return phi, 0.0
    return phi, float(max(0.0, (k * phi - (k - 1)) / spread))


def _resolve_kind(kind: str) -> str:
    resolved = kind if kind in KINDS else _METHOD_KIND.get(kind)
    if resolved is None:
        raise ValueError(f"Unknown funnel kind {kind!r}; use one of {', '.join(KINDS + tuple(_METHOD_KIND))}")
    return resolved


def _limits(kind: str, den: np.ndarray, target: float, level: float, scale: float,
            tau2: float | None) -> tuple[np.ndarray, np.ndarray]:
    if kind == "ratio":
        return ratio_limits(den, target, level, tau2)
    if kind == "rate":
        return rate_limits(den, target, level, scale, tau2)
    return proportion_limits(den, target, level, tau2)


def placeable(observed, denominators) -> np.ndarray:
    """Which units :func:`funnel` can place: a finite count of 0 or more over a finite denominator above 0.

    Callers drop the rest first; implausible inputs (negative or infinite
    counts, a negative population) are reported where they are read, not here.
    """
    obs = np.asarray(observed, dtype=float)
    den = np.asarray(denominators, dtype=float)
    return np.isfinite(obs) & (obs >= 0) & np.isfinite(den) & (den > 0)


def _check_inputs(obs: np.ndarray, den: np.ndarray, labels: list[str], kind: str) -> None:
    if not (len(obs) == len(den) == len(labels) > 0):
        raise ValueError(f"a funnel needs one or more units, with as many observed ({len(obs)}) as "
                         f"denominators ({len(den)}) and labels ({len(labels)})")
    problems = [] if len(set(labels)) == len(labels) else ["labels are not unique"]
    for label, o, d in zip(labels, obs, den):
        if not np.isfinite(o) or o < 0:
            problems.append(f"{label}: observed must be a number >= 0, got {o}")
        if not np.isfinite(d) or d <= 0:
            problems.append(f"{label}: denominator must be a number > 0, got {d}")
        elif kind == "proportion" and (d != round(d) or o > d):
            problems.append(f"{label}: a proportion needs a whole denominator at least the observed count "
                            f"(observed {o}, denominator {d})")
    if problems:
        raise ValueError("Cannot place units on the funnel (drop units without a usable denominator "
                         "before calling funnel): " + "; ".join(problems))


def funnel(observed: Sequence[float], denominators: Sequence[float], labels: Sequence[str] | None = None,
           kind: str | None = None, settings: FunnelSettings | None = None,
           target: float | None = None) -> FunnelResult:
    """Place every unit on a funnel around ``target`` and flag those beyond the limits.

    kind: "ratio" (denominators are expected counts; value O/E; target 1),
        "rate" (denominators are populations; value per ``settings.scale``;
        target the pooled rate sum(O)/sum(N)), or "proportion" (value O/n;
        target sum(O)/sum(n)). "poisson" and "binomial" are accepted for
        ratio and proportion; the default is ``settings.method``.
    Each unit's flag is "above_99.8", "above_95", "within", "below_95" or
    "below_99.8" (named from ``settings.levels``), using the over-dispersed
    limits when they apply.
    """
    settings = settings or FunnelSettings()
    kind = _resolve_kind(kind or settings.method)
    obs = np.asarray(observed, dtype=float)
    den = np.asarray(denominators, dtype=float)
    labels = [str(x) for x in (labels if labels is not None else range(1, len(obs) + 1))]
    _check_inputs(obs, den, labels, kind)
    scale = settings.scale if kind == "rate" else 1.0
    if target is None:
        target = 1.0 if kind == "ratio" else float(obs.sum() / den.sum() * scale)
    values = obs / den * scale

    z, s = z_scores(obs, den, kind, target, scale)
    phi, tau2 = overdispersion(z, s, settings.winsorise)
    adjusted = settings.overdispersion is True or (settings.overdispersion == "auto" and tau2 > 0)
    z_adj = z * s / np.sqrt(s ** 2 + tau2) if adjusted else z

    levels = sorted(settings.levels)
    bounds = {lv: _limits(kind, den, target, lv, scale, tau2 if adjusted else None) for lv in levels}
    units = []
    for i, label in enumerate(labels):
        flag = "within"
        for lv in levels:  # widest last, so the widest limit crossed wins
            if values[i] > bounds[lv][1][i]:
                flag = flag_label("above", lv)
            elif values[i] < bounds[lv][0][i]:
                flag = flag_label("below", lv)
        limits = tuple(Limits(lv, float(bounds[lv][0][i]), float(bounds[lv][1][i])) for lv in levels)
        units.append(FunnelUnit(label, float(obs[i]), float(den[i]), float(values[i]),
                                float(z[i]), float(z_adj[i]), limits, flag))
    return FunnelResult(kind=kind, target=float(target), scale=settings.scale if kind == "rate" else None,
                        phi=phi, tau2=tau2, adjusted=adjusted, settings=settings, units=tuple(units))


def curve(result: FunnelResult, n_points: int = 100) -> FunnelCurve:
    """Limit lines across the units' denominator range, for drawing the funnel.

    Denominators are spaced geometrically (the limits change fastest for small
    units); for proportions they are rounded to whole numbers, so there may be
    fewer than ``n_points``.
    """
    if n_points < 2:
        raise ValueError(f"n_points must be at least 2, got {n_points}")
    dens = [u.denominator for u in result.units]
    grid = np.geomspace(min(dens), max(dens), n_points)
    if result.kind == "proportion":
        grid = np.unique(np.round(grid))
    scale = result.scale or 1.0
    tau2 = result.tau2 if result.adjusted else None
    lines = []
    for lv in sorted(result.settings.levels):
        lower, upper = _limits(result.kind, grid, result.target, lv, scale, tau2)
        lines.append((lv, tuple(map(float, lower)), tuple(map(float, upper))))
    return FunnelCurve(kind=result.kind, target=result.target, adjusted=result.adjusted,
                       denominators=tuple(map(float, grid)), lines=tuple(lines))
