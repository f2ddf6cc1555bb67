"""Disproportionality: how a practice (use of force, segregation ...) falls on each group.

For each group of a characteristic, incidents involving the group are set
against the group's share of the people held, and summarised as a
**relative rate**: the group's incident rate per person held divided by
everyone else's, with a confidence interval. A group is flagged when the
interval excludes 1 *and* the ratio is at least ``threshold`` (or at most
``1/threshold``), so a trivially small but "significant" difference in a
big prison is not raised. A flag is a line of enquiry, not a finding.

Groups with fewer than ``min_count`` incidents (the disclosure threshold)
are not discussed: they carry a flag saying so and no figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import pandas as pd
from scipy import stats

from datapack.adapters.cells import is_blank, normalise_label

#: A ratio this far from 1 (either way) is needed before a group is flagged.
THRESHOLD = 1.25

TOO_FEW = "too few to report"
HIGHER, LOWER = "disproportionately high", "disproportionately low"
NOT_FLAGGED = "no disproportion flagged"


@dataclass(frozen=True)
class RelativeRate:
    """Rate ``a / n1`` over rate ``c / n2`` with a Katz log confidence interval.

    ``ci_low`` and ``ci_high`` are NaN when either side has no events (the
    log method has no interval then).
    """

    events_group: float
    population_group: float
    events_rest: float
    population_rest: float
    ratio: float
    ci_low: float
    ci_high: float
    conf: float
    method: str

    @property
    def excludes_one(self) -> bool:
        """True when the whole interval lies above 1 or below 1."""
        return bool(self.ci_low > 1 or self.ci_high < 1)


def relative_rate(events_group: float, population_group: float, events_rest: float, population_rest: float,
                  conf: float = 0.95, method: Literal["rate", "risk"] = "rate") -> RelativeRate:
    """Relative rate of events in a group against the rest, with a Katz log-method interval.

    ``log RR ± z * SE`` with ``z`` the two-sided normal quantile for ``conf``:

    * ``method="rate"`` (the default, for incident counts): events are
      incidents, and one person can be involved many times, so ``a`` can
      exceed ``n1``. The counts are treated as Poisson and
      ``SE(log RR) = sqrt(1/a + 1/c)``. One person's repeated incidents make
      the counts over-dispersed, so this interval is on the narrow side:
      the ratio threshold in :func:`disproportionality` guards against
      over-reading it.
    * ``method="risk"``: events are people (each counted at most once, a
      subset of the population), binomial:
      ``SE(log RR) = sqrt(1/a - 1/n1 + 1/c - 1/n2)``.
    """
    a, n1, c, n2 = (float(v) for v in (events_group, population_group, events_rest, population_rest))
    if method not in ("rate", "risk"):
        raise ValueError(f"method must be 'rate' or 'risk', not {method!r}")
    if n1 <= 0 or n2 <= 0:
        raise ValueError("populations must be positive to compare rates")
    if method == "risk" and (a > n1 or c > n2):
        raise ValueError("method='risk' needs events that are people within the population; use method='rate'")
    nan = float("nan")
    if c == 0:
        return RelativeRate(a, n1, c, n2, nan if a == 0 else math.inf, nan, nan, conf, method)
    ratio = (a / n1) / (c / n2)
    if a == 0:
        return RelativeRate(a, n1, c, n2, ratio, nan, nan, conf, method)
    se = math.sqrt(1 / a + 1 / c) if method == "rate" else math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    z = float(stats.norm.ppf(0.5 + conf / 2))
    return RelativeRate(a, n1, c, n2, ratio, math.exp(math.log(ratio) - z * se), math.exp(math.log(ratio) + z * se),
                        conf, method)


def _split_factor(factor: str) -> tuple[str, str]:
    head, _, group = str(factor).partition(":")
    return normalise_label(head), group.strip()


def _months(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    return pd.date_range(start.to_period("M").to_timestamp(), end.to_period("M").to_timestamp(), freq="MS")


def population_by_group(population_mix: pd.DataFrame, facility_id: str, characteristic: str,
                        months: pd.DatetimeIndex) -> pd.DataFrame:
    """Average people held per group over ``months``: columns ``key``, ``group``, ``population``.

    Rows of the ``context`` table whose ``factor`` reads ``<Characteristic>:
    <group>`` (compared with :func:`normalise_label`, so ``age_band`` finds
    ``Age band: 18-20``). Each month takes the latest figure at or before
    it (the mix is often counted quarterly); months before the first count
    take the first.
    """
    ctx = population_mix[population_mix["facility_id"].astype(str) == str(facility_id)]
    parts = ctx["factor"].map(_split_factor)
    ctx = ctx.assign(_char=parts.str[0], group=parts.str[1])
    ctx = ctx[(ctx["_char"] == normalise_label(characteristic)) & ctx["value"].notna()]
    if ctx.empty or len(months) == 0:
        return pd.DataFrame(columns=["key", "group", "population"])
    ctx = ctx.assign(key=ctx["group"].map(normalise_label), period_start=pd.to_datetime(ctx["period_start"]))
    labels = ctx.drop_duplicates("key").set_index("key")["group"]
    wide = ctx.pivot_table(index="period_start", columns="key", values="value", aggfunc="sum").sort_index()
    each_month = wide.reindex(wide.index.union(months)).ffill().bfill().loc[months]
    mean = each_month.mean()
    return pd.DataFrame({"key": mean.index, "group": labels.reindex(mean.index).to_numpy(), "population": mean.to_numpy()})


def disproportionality(incidents: pd.DataFrame, population_mix: pd.DataFrame, facility_id: str, category: str,
                       characteristic: str, threshold: float = THRESHOLD, conf: float = 0.95, min_count: int = 5,
                       start: object = None, end: object = None, population: dict | None = None) -> pd.DataFrame:
    """Per group: share of the facility's ``category`` incidents against share of the people held.

    Incidents (rows weighted by ``count`` when present) are matched to the
    population groups of the ``context`` table by :func:`normalise_label`,
    so ``BLACK`` or ``black`` count for ``Ethnicity: Black``. The period is
    ``start``..``end`` (default: the span of ``occurred`` in ``incidents``),
    and the population is averaged over the same months. Incidents with the
    characteristic blank, or a value with no population figure, are left
    out of both sides; ``frame.attrs`` reports how many (``unrecorded``,
    ``unmatched``) and the period. ``population``, when given, keeps each
    characteristic's :func:`population_by_group` for the period, so a caller
    asking about several practices works each out once.

    Columns: ``group``, ``incidents``, ``incident_share`` and
    ``population_share`` (0-1), ``population`` (average held),
    ``relative_rate``, ``ci_low``, ``ci_high``, ``flagged``, ``label``. A
    group with fewer than ``min_count`` incidents, or a rest with fewer,
    has ``label`` "too few to report" and no figures. Counts shown from this
    frame go through :meth:`datapack.disclosure.Control.table` so that a
    hidden group cannot be worked back from the total.
    """
    when = pd.to_datetime(incidents["occurred"])
    start = pd.Timestamp(start) if start is not None else when.min()
    end = pd.Timestamp(end) if end is not None else when.max()
    columns = ["group", "incidents", "incident_share", "population", "population_share", "relative_rate",
               "ci_low", "ci_high", "flagged", "label"]
    if pd.isna(start) or pd.isna(end):
        return pd.DataFrame(columns=columns)
    months = _months(start, end)
    window = (when >= months[0]) & (when < months[-1] + pd.offsets.MonthBegin(1))
    part = incidents[window & (incidents["facility_id"].astype(str) == str(facility_id))
                     & (incidents["category"].astype(str) == str(category))]
    weight = part["count"].fillna(1).astype(float) if "count" in part else pd.Series(1.0, index=part.index)
    recorded = ~part[characteristic].map(is_blank)
    keys = part.loc[recorded, characteristic].map(normalise_label)
    counts = weight[recorded].groupby(keys).sum()
    found = None if population is None else population.get((characteristic, months[0], months[-1]))
    pop = found if found is not None else population_by_group(population_mix, facility_id, characteristic, months)
    if population is not None:
        population[(characteristic, months[0], months[-1])] = pop
    matched = counts.reindex(pop["key"]).fillna(0.0).to_numpy()
    total_events, total_pop = matched.sum(), pop["population"].sum()
    rows = []
    for (key, label, people), events in zip(pop.itertuples(index=False), matched):
        rest_events, rest_pop = total_events - events, total_pop - people
        if events < min_count or rest_events < min_count or people <= 0 or rest_pop <= 0:
            rows.append({"group": label, "flagged": False, "label": TOO_FEW})
            continue
        rr = relative_rate(events, people, rest_events, rest_pop, conf)
        flagged = rr.excludes_one and (rr.ratio >= threshold or rr.ratio <= 1 / threshold)
        rows.append({"group": label, "incidents": events, "incident_share": events / total_events,
                     "population": people, "population_share": people / total_pop, "relative_rate": rr.ratio,
                     "ci_low": rr.ci_low, "ci_high": rr.ci_high, "flagged": flagged,
                     "label": (HIGHER if rr.ratio > 1 else LOWER) if flagged else NOT_FLAGGED})
    out = pd.DataFrame(rows, columns=columns)
    out.attrs.update({"facility_id": facility_id, "category": category, "characteristic": characteristic,
                      "start": months[0], "end": months[-1], "total_incidents": float(total_events),
                      "unrecorded": float(weight[~recorded].sum()),
                      "unmatched": float(counts.drop(pop["key"], errors="ignore").sum()),
                      "threshold": threshold, "conf": conf})
    return out


def share_sentence(row: pd.Series, category_label: str) -> str | None:
    """"34% of use of force vs 15% of the population" for a reportable group, else None.

    Shares are of people and incidents with the characteristic recorded;
    the caller passes the counts through disclosure control before showing
    them beside this sentence.
    """
    if row.get("label") == TOO_FEW or pd.isna(row.get("incident_share")):
        return None
    return (f"{row['group']}: {100 * row['incident_share']:.0f}% of {category_label.lower()} "
            f"vs {100 * row['population_share']:.0f}% of the population")
