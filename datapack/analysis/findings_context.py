"""The analysis as pack context: areas for enquiry, key indicators, control charts, peers.

Pure functions from an :class:`~datapack.analysis.estate.EstateAnalysis` to
plain JSON-ready dicts. Every figure goes through the disclosure control:
a month whose count is hidden is a gap in a control chart, a peer whose
count is hidden is left off a funnel, and a rate on a hidden count is hidden.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from datapack.analysis import figures
from datapack.analysis import spc as spc_mod
from datapack.analysis.enquiry import areas_for_enquiry, by_theme
from datapack.analysis.funnel import FunnelSettings, curve, funnel, placeable
from datapack.analysis.signals import quarters
from datapack.analysis.spc import SPARSE_MONTHS
from datapack.analysis.text import date_label, figure, lower_first, month_label, no_data, period_label
from datapack.disclosure import FOR_ANOTHER, SMALL, series_mask

ICON_TEXT = {
    "common_cause": "Common cause variation only",
    "special_cause_concern_high": "Special cause: concern (high)",
    "special_cause_concern_low": "Special cause: concern (low)",
    "special_cause_improvement_high": "Special cause: improvement (high)",
    "special_cause_improvement_low": "Special cause: improvement (low)",
    "special_cause_neutral_high": "Special cause: unusually high",
    "special_cause_neutral_low": "Special cause: unusually low",
}
FLAG_TEXT = {"above_99.8": "Above the 99.8% limit", "above_95": "Above the 95% limit", "within": "Within the limits",
             "below_95": "Below the 95% limit", "below_99.8": "Below the 99.8% limit"}
#: A CQC-style band against peers, from the funnel's limits (95% and 99.8%: a z-score beyond about 2 and 3),
#: by which way is better: ``{flag: (if lower is better, if higher is better, if neither)}``.
BANDS = {"above_99.8": ("much worse than peers", "much better than peers", "much higher than peers"),
         "above_95": ("worse than peers", "better than peers", "higher than peers"),
         "within": ("about the same as peers",) * 3,
         "below_95": ("better than peers", "worse than peers", "lower than peers"),
         "below_99.8": ("much better than peers", "much worse than peers", "much lower than peers")}


def band(flag: str | None, good_direction: str | None) -> str | None:
    """``much better`` ... ``much worse than peers`` for a funnel flag; None where the place was not compared."""
    if flag not in BANDS:
        return None
    return BANDS[flag][{"down": 0, "up": 1}.get(good_direction or "", 2)]


QUINTILE_TEXT = {1: "lowest fifth", 2: "second fifth", 3: "middle fifth", 4: "fourth fifth", 5: "highest fifth"}


def enquiry_section(analysis: Any, facility_id: str) -> dict[str, Any]:
    """``enquiry``: areas for enquiry (most severe first) and the entries reviewed with nothing to highlight."""
    found, reviewed = areas_for_enquiry(analysis, facility_id, analysis.master)
    first = analysis.settings.first_page_areas
    areas = [{**area, "anchor": f"area-{area['id']}".replace(":", "-"), "first_page": k < first,
              # the files behind the area, each once (a printed pack lists them per area, not per finding)
              "sources": list(dict.fromkeys(s for i in area["findings"] for s in found[i].evidence.get("sources", [])))}
             for k, area in enumerate(by_theme(found, analysis.master))]
    return {
        "version": analysis.master.version,
        "areas": areas,  # one per theme: severity the highest of its findings (indices into "findings")
        "findings": [{**f.to_dict(), "anchor": f"finding-{i + 1}",
                      "evidence": {**f.evidence, "figures": [{"label": k, "text": v}
                                                             for k, v in f.evidence.get("figures", {}).items()]}}
                     for i, f in enumerate(found)],
        "counts": {s: sum(1 for f in found if f.severity == s) for s in ("high", "medium", "low")},
        "area_counts": {s: sum(1 for a in areas if a["severity"] == s) for s in ("high", "medium", "low")},
        "reviewed": [{"id": r.entry_id, "title": r.title, "subjects": ", ".join(r.subjects) or "no data held"}
                     for r in reviewed],
    }


def _change(p: dict[str, Any], good: str, control: Any, hidden: bool = False) -> dict[str, Any]:
    """The change in words; none where either count is small or ``hidden`` (for another figure's sake)."""
    change = p.get("change")
    if change is None or pd.isna(change) or hidden or control.is_small(p.get("last_count")) \
            or control.is_small(p.get("prev_count")):
        return {"text": "no comparison", "arrow": "", "word": "none"}
    if abs(change) < 0.05:
        return {"text": "about the same", "arrow": "→", "word": "same"}
    up = change > 0
    better = (good == "up") == up if good != "neutral" else None
    word = "up" if up else "down"
    judged = "" if better is None else (" (better)" if better else " (worse)")
    return {"text": f"{word} {abs(change):.0%}{judged}", "arrow": "↑" if up else "↓", "word": word}


def _then(found: dict[str, Any] | None, good: str, control: Any) -> dict[str, Any] | None:
    """The indicator over the window before the last visit, against now, worded as the key indicators' change."""
    if found is None:
        return None
    change = _change({"change": found["change"], "last_count": found["now_count"], "prev_count": found["then_count"]},
                     good, control, hidden=found["hidden"])
    return {"period": found["period"], "count": found["count"], "rate": found["rate"], "now": found["now"],
            "change": change}




def _months(n: int) -> str:
    return "none" if n == 0 else f"only {n}" if n > 1 else "only 1"


#: Where an indicator goes when the pack's framework has no section for it.
OTHER = {"id": "other", "title": "Other indicators"}


def indicators_section(analysis: Any, facility_id: str) -> list[dict[str, Any]]:
    """``indicators``: one row per indicator with data: figures, change, peer position, SPC icon."""
    control = analysis.control
    framework_id = analysis.framework_id(facility_id)
    framework = analysis.definitions.frameworks.get(framework_id)
    titles = {s.id: s.title for s in framework.sections} if framework else {}
    visit_start = figures.latest_visit_start(analysis, facility_id)
    rows = []
    for ind in analysis.definitions.indicators:
        p = analysis.period(facility_id, ind.id)
        if not p or not p.get("recorded") or (pd.isna(p.get("last_count")) and pd.isna(p.get("prev_count"))
                                              and not analysis.results.trends.pipe(_has_trend, facility_id, ind.id)):
            continue
        peer = analysis.peer(facility_id, ind.id) or {}
        result = analysis.signals.chart(facility_id, ind.id)  # the chart the pack shows (by month or quarter)
        icon = result.variation_icon if result is not None else None
        between = analysis.signals.between.get((facility_id, ind.id))
        gaps = between is not None and between.count >= 2 and not analysis.control_for(facility_id, ind.id).suppresses
        section = ind.sections.get(framework_id, OTHER["id"])  # an indicator the framework does not place
        count = (figures.count_figure(analysis, facility_id, ind.id, p, "last") if ind.kind != "crowding"
                 else {"text": f"{p['last_count']:,.0f}", "value": p["last_count"], "hidden": False})
        shown = analysis.control_for(facility_id, ind.id)
        rows.append({
            "id": ind.id, "label": ind.label, "kind": ind.kind, "unit": ind.unit, "lens": ind.lens,
            "section": section, "section_title": titles.get(section, OTHER["title"]), "good_direction": ind.good_direction,
            "basis": p["basis"], "per": "" if ind.kind == "crowding" else figures.rate_label(p["basis"], ind.scale),
            "window": figures.window_label(figures.window_months(analysis, ind.id)),
            "last": count,
            "prev": figures.count_figure(analysis, facility_id, ind.id, p, "prev") if ind.kind != "crowding"
            else no_data(),
            "quarter": figures.count_figure(analysis, facility_id, ind.id, p, "quarter") if ind.kind != "crowding"
            else no_data(),
            "rate": _unit(figures.rate_figure(analysis, facility_id, ind, "last"), ind.kind),
            "prev_rate": figures.rate_figure(analysis, facility_id, ind, "prev"),
            "change": _change(p, ind.good_direction, shown, hidden=analysis.count_hidden(facility_id, ind.id, "last")
                              or analysis.count_hidden(facility_id, ind.id, "prev")),
            "periods": figures.period_labels(analysis, ind.id), "published": bool(p.get("published")),
            "trend": figures.trend_rows(analysis, facility_id, ind),
            "rare": figures.rare_reading(analysis, facility_id, ind),
            "peer": {**(against := _peer(peer, control)), "band": band(against["flag"], ind.good_direction)},
            "then": _then(figures.before_visit(analysis, facility_id, ind, visit_start), ind.good_direction, shown),
            "spc": {"icon": icon, "text": ICON_TEXT.get(icon, "Not charted"),
                    "trial": bool(result.trial) if result is not None else None,
                    "chart": f"spc-{ind.id}" if result is not None or gaps else None,
                    "grain": result.grain if result is not None else "event" if gaps else None},
        })
    return rows


def _has_trend(trends: pd.DataFrame, facility_id: str, indicator: str) -> bool:
    return not trends.empty and bool(((trends["facility_id"] == facility_id) & (trends["indicator"] == indicator)).any())


def _unit(fig: dict[str, Any], kind: str) -> dict[str, Any]:
    if kind == "crowding" and fig["value"] is not None:
        fig = {**fig, "text": f"{fig['text']}%"}
    return fig


def _peer(peer: dict[str, Any], control: Any) -> dict[str, Any]:
    if not peer:
        return {"text": "no comparison", "flag": None, "flag_text": "", "compared_with": None}
    peer = {k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in peer.items()}
    if peer["compared_with"] not in ("peers", "type"):
        others = int(peer["n_compared"]) - 1
        text = ("no other place of its type to compare with" if others <= 0 else
                f"not compared: only {others} other place{'s' if others > 1 else ''} of its type")
        return {"text": text, "flag": None, "flag_text": "", "compared_with": "none", "group": peer["peer_group"],
                "n": int(peer["n_compared"]), "target": None}
    quint = peer.get("quintile_peers") if peer.get("compared_with") == "peers" else peer.get("quintile_all")
    where = {"peers": f"{peer['peer_group']} peers", "type": "places of its type"}[peer["compared_with"]]
    quint_text = QUINTILE_TEXT.get(int(quint)) if quint is not None and not pd.isna(quint) else None
    text = f"{quint_text} of {where}" if quint_text else f"compared with {where}"
    if not quint_text and peer.get("place_peers") is not None and peer.get("n_peers"):
        text = place_text(int(peer["place_peers"]), int(peer["tied_peers"]), int(peer["n_peers"]),
                          f"{peer['peer_group']} peers")
    return {"text": text,
            "flag": peer.get("flag"), "flag_text": FLAG_TEXT.get(peer.get("flag"), ""),
            "compared_with": peer["compared_with"], "group": peer["peer_group"],
            "n": int(peer["n_compared"]), "target": f"{peer['target']:,.1f}" if peer["target"] is not None else None}


def table_hidden(incidents: dict[str, Any]) -> tuple[set[tuple[str, str]], list[list[str]]]:
    """(category, month) cells hidden in the incidents table, and the table's periods as lists of months.

    A quarter's cell hidden hides each of its months; the periods are the
    windows whose totals the table shows (each block, and each quarter).
    """
    table = (incidents or {}).get("table")
    if not table:
        return set(), []
    categories = [c["category"] for c in table["columns"]]
    hidden, periods = set(), []
    for block in table["blocks"]:
        block_months = []
        for row in block["rows"]:
            if row["is_total"]:
                continue
            first, _, last = row["key"].partition("/")
            months = [str(p) for p in pd.period_range(first, last or first, freq="M")]
            block_months += months
            if len(months) > 1:
                periods.append(months)
            for category, cell in zip(categories, row["cells"]):
                if cell["hidden"]:
                    hidden |= {(category, m) for m in months}
        periods.append(block_months)
    return hidden, periods


def hidden_points(analysis: Any, ind: Any, periods: tuple, counts: dict[str, float],
                  incidents: dict[str, Any] | None, facility_id: str | None = None) -> list[bool]:
    """Months of a control chart to hide: small counts, cells the incidents table hides, and enough
    more that no hidden month can be worked back from a total the pack shows."""
    control = analysis.control_for(facility_id, ind.id)
    table_cells, table_periods = table_hidden(incidents)
    position = {p: i for i, p in enumerate(periods)}
    values = np.array([counts.get(p, np.nan) for p in periods], dtype=float)
    hidden = np.array([control.is_small(v) or any((c, p) in table_cells for c in ind.numerator.categories)
                       for p, v in zip(periods, values)])
    windows = [[position[m] for m in months if m in position] for months in table_periods]
    windows += [list(range(max(0, len(periods) - n), len(periods))) for n in (12, 24, 3)]
    windows += [list(range(max(0, len(periods) - 24), max(0, len(periods) - 12)))]
    return list(series_mask(values, hidden, [w for w in windows if w]))


def place_text(place: int, tied: int, n: int, among: str) -> str:
    """A place among ``n`` (itself included) as words, ties said as ties.

    "highest of 3 X peers", "joint 2nd highest of 5 X peers", "the same rate as the other 2 X peers".
    """
    if n <= 1:
        return f"no other {among.removesuffix('s')}"
    if tied >= n:
        return f"the same rate as the other {n - 1} {among}"
    joint = "joint " if tied > 1 else ""
    return f"{joint}highest of {n} {among}" if place == 1 else f"{joint}{_ordinal(place)} highest of {n} {among}"


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def spc_section(analysis: Any, facility_id: str) -> dict[str, dict[str, Any]]:
    """``spc``: each control chart as points (hidden months as gaps), limits and a plain summary.

    The chart is the one :meth:`~datapack.analysis.signals.Signals.chart` gives: by month, or by
    quarter where the months are too sparse; a rare event's is the days between events
    (:func:`_between_section`). Months the incidents table hides for a category are hidden on every
    chart that counts that category (see :func:`hidden_points`); a quarter is hidden where any of
    its months is, or its own count is small (:meth:`~datapack.analysis.estate.EstateAnalysis.chart_mask`).
    """
    control = analysis.control
    out = {}
    for ind in analysis.definitions.indicators:
        if ind.rare:
            found = _between_section(analysis, facility_id, ind)
            if found is not None:
                out[ind.id] = found
            continue
        monthly = analysis.signals.spc.get((facility_id, ind.id))
        if monthly is None:
            continue
        result = analysis.signals.chart(facility_id, ind.id)
        mask = analysis.chart_mask(facility_id, ind.id)
        # The mean and limits are computed from every month, hidden ones too: with the shown
        # months they would give away the hidden ones' total. Where any month is hidden,
        # the chart shows its points and signals but not its lines.
        limits_shown = not any(mask)
        points = []
        for i, period in enumerate(result.periods):
            hidden = bool(mask[i])
            value = None if hidden or pd.isna(result.values[i]) else round(float(result.values[i]), 3)
            why = {}
            if hidden:  # in words: a small number, or hidden so that another cannot be worked out
                first, _, last = str(period).partition("/")  # a month, or a quarter by its first and last month
                months = pd.period_range(first, last or first, freq="M")
                counts = [analysis.month_row(facility_id, ind.id, str(m))["count"] for m in months]
                n = None if any(c is None or pd.isna(c) for c in counts) else float(sum(counts))
                why = {"note": SMALL if control.is_small(n) else FOR_ANOTHER}
            points.append({"period": period, "label": period_label(period, short=True),
                           "value": value, "hidden": bool(hidden), **why,
                           "type": "hidden" if hidden else result.point_type[i],
                           "mean": _r(result.mean[i]) if limits_shown else None,
                           "ucl": _r(result.ucl[i]) if limits_shown else None,
                           "lcl": _r(max(result.lcl[i], 0.0)) if limits_shown and pd.notna(result.lcl[i]) else None,
                           "segment": result.segment[i]})
        summary = spc_mod.summary(result)
        measure = analysis.signals.measure.get((facility_id, ind.id))
        present = [v for v in monthly.values if not pd.isna(v)]
        months_with = sum(1 for v in present if v > 0)
        grain = result.grain
        # too little to chart: fewer than SPARSE_MONTHS months with any, no signal, and too few quarters (see signals)
        sparse = grain == "month" and months_with < SPARSE_MONTHS and result.variation_icon in (None, "common_cause")
        blocks = quarters([str(p) for p, v in zip(monthly.periods, monthly.values)])
        by_month = {p: v for p, v in zip(monthly.periods, monthly.values)}
        quarters_with = sum(1 for b in blocks if any(by_month.get(m, 0) > 0 for m in b))
        few = f"{lower_first(ind.label)} in {_months(months_with)} of the {len(present)} months"
        out[ind.id] = {
            "sparse": sparse,
            "sparse_text": (f"Not charted: {few} ({quarters_with} of the {len(blocks)} quarters), too few for a "
                            f"control chart by month or by quarter."),
            "drawn": True, "kind": "series", "grain": grain, "chart": result.kind,
            "sigma_z": None if summary["sigma_z"] is None else round(summary["sigma_z"], 2),
            "id": f"spc-{ind.id}", "label": ind.label, "measure": measure,
            "unit": "%" if ind.kind == "crowding" else (figures.rate_label(analysis.basis(facility_id), ind.scale)
                                                       if measure == "rate" else "count"),
            "points": points, "trial": bool(result.trial), "icon": result.variation_icon,
            "icon_text": ICON_TEXT.get(result.variation_icon, ""), "breaks": list(ind.series_breaks),
            "hidden_points": sum(p["hidden"] for p in points), "limits_shown": limits_shown,
            "summary": (f"Charted by quarter: {few}, too few to chart month by month. " if grain == "quarter" else "")
            + _spc_summary(ind.label, summary, result, analysis.basis(facility_id))
            + ("" if limits_shown else f" The centre line and limits are not shown because some {grain}s are hidden"
               + (f" (fewer than {control.threshold} incidents)" if all(p.get("note") == SMALL for p in points
                                                                        if p["hidden"])
                  else f" (small numbers, and {grain}s hidden so that they cannot be worked out)") + ".")}
    return out


def _r(x: float) -> float | None:
    return None if x is None or pd.isna(x) else round(float(x), 3)


#: How a u-chart's or u-prime's limits were set, after the reading (an XmR's go unsaid).
CHART_TEXT = {"u": " Its limits follow each {grain}'s {base} (a u-chart).",
              "laney": " Its limits follow each {grain}'s {base}, widened because the {grain}s vary more than "
                       "chance alone would make them (Laney's u′ chart, σz {sigma})."}


def _spc_summary(label: str, summary: dict[str, Any], result: Any, basis: str | None = None) -> str:
    kind = summary.get("latest_type")
    grain = summary.get("grain", "month")
    if kind in ("concern", "improvement", "neutral"):
        what = {"concern": "a signal of concern", "improvement": "a signal of improvement",
                "neutral": "an unusual point"}[kind]
        text = f"The latest {grain} is {what} on the control chart."
    else:
        text = f"The latest {grain} shows only common cause variation."
    if summary.get("chart") in CHART_TEXT:
        text += CHART_TEXT[summary["chart"]].format(
            grain=grain, base="detentions" if basis == "throughput" else "population",
            sigma=f"{summary['sigma_z']:.1f}" if summary.get("sigma_z") is not None else "")
    if summary.get("trial"):
        text += " The limits are trial limits (fewer than 12 points)."
    return text


def _between_section(analysis: Any, facility_id: str, ind: Any) -> dict[str, Any] | None:
    """``spc`` of a rare event: the days between events (a t-chart), or a sentence when fewer than 2 are held.

    Each point is one event, so an output that hides small numbers shows none of it (the sentence says so);
    the team's pack shows the dates, as its list of deaths does.
    """
    found = analysis.signals.between.get((facility_id, ind.id))
    if found is None:
        return None
    control = analysis.control_for(facility_id, ind.id)
    noun = lower_first(ind.label)
    span = f"{date_label(found.period_start)} to {date_label(found.period_end - pd.Timedelta(days=1))}"
    months = round(found.exposure_days / 30.4375)
    section = {"kind": "between", "grain": "event", "chart": "t", "sigma_z": None, "id": f"spc-{ind.id}",
               "label": ind.label, "measure": "days", "unit": "days", "points": [], "trial": True, "icon": None,
               "icon_text": "", "breaks": [], "hidden_points": 0, "limits_shown": True, "drawn": True,
               "events": found.count, "sparse": False, "sparse_text": None,
               "days_since_last": round(found.days_since_last)}
    if found.count < 2:
        had = "none" if found.count == 0 else "only 1"
        text = (f"Not charted: {noun}, {had} in the {months} months from {span}; a chart of the days between "
                f"events needs at least 2.")
        return {**section, "sparse": True, "sparse_text": text, "summary": text}
    if control.suppresses:
        text = (f"Not charted: the days between {noun}, as each point would date one in this output "
                f"({control.count(float(found.count)).text} in the {months} months from {span}).")
        return {**section, "sparse": True, "sparse_text": text, "summary": text}
    chart = found.chart
    points = []
    for k, gap in enumerate(found.days_between):
        lcl = chart.lcl[k]
        points.append({"period": found.event_dates[k + 1].date().isoformat(),
                       "label": found.event_dates[k + 1].strftime("%d %b %Y"), "value": round(gap, 1),
                       "hidden": False, "type": chart.point_type[k], "mean": _r(_days(chart.mean[k])),
                       "ucl": _r(_days(chart.ucl[k])), "lcl": _r(_days(max(lcl, 0.0))) if pd.notna(lcl) else None,
                       "segment": chart.segment[k]})
    return {**section, "points": points, "trial": bool(found.trial), "icon": chart.variation_icon,
            "icon_text": ICON_TEXT.get(chart.variation_icon, ""), "summary": _between_summary(noun, found, span)}


def _days(y: float) -> float:
    """A transformed gap back in days (Nelson's y ** 3.6)."""
    from datapack.analysis.spc_rare import POWER

    return math.nan if pd.isna(y) else float(y) ** POWER


#: What the latest gap between events says, by its type (longer gaps mean fewer events).
GAP_TEXT = {"common_cause": "shows only common cause variation",
            "improvement": "is a signal of improvement (events further apart than before)",
            "concern": "is a signal of concern (events closer together than before)",
            "neutral": "is unusual"}


def _between_summary(noun: str, found: Any, span: str) -> str:
    """The reading of a time-between-events chart; its chart's caption says the same (it quotes this)."""
    chart = found.chart
    last = found.days_between[-1]
    latest = found.event_dates[-1]
    text = (f"{found.count} {noun} from {span}, charted as the days between them: the latest gap, "
            f"{last:,.0f} days to {date_label(latest)}, {GAP_TEXT.get(chart.point_type[-1], 'is not classified')}.")
    if pd.isna(found.ucl_days):
        text += f" Too few gaps ({len(found.days_between)}) for control limits; the centre line is {found.centre_days:,.0f} days."
    else:
        text += (f" Centre line {found.centre_days:,.0f} days, limits {found.lcl_days:,.0f} to {found.ucl_days:,.0f} "
                 f"days{' (trial limits, from fewer than 12 gaps)' if found.trial else ''}.")
    text += f" {found.days_since_last:,.0f} days have passed since the latest"
    if found.open_gap_signal:
        text += ", longer than the upper limit: already a signal that events are further apart."
    else:
        text += "."
    return text


def funnel_section(analysis: Any, facility_id: str) -> dict[str, dict[str, Any]]:
    """``funnels``: each indicator's funnel among the places compared, peers with hidden counts left off."""
    control = analysis.control
    out = {}
    periods = analysis.results.periods
    names = analysis.estate.facilities.set_index("facility_id")["name"]
    for ind in analysis.definitions.indicators:
        peer = analysis.peer(facility_id, ind.id)
        if not peer or not isinstance(peer.get("flag"), str) or ind.kind == "crowding":
            continue
        groups = analysis.peers[(analysis.peers["indicator"] == ind.id)]
        pool_ids = _pool(analysis, groups, facility_id, peer)
        pool = periods[(periods["indicator"] == ind.id) & periods["facility_id"].isin(pool_ids)]
        public = pool["published"].fillna(False).astype(bool)
        # as in comparison.compare; a count hidden for another figure's sake is left off too
        kept = pd.Series([not analysis.count_hidden(f, ind.id, "last") for f in pool["facility_id"]],
                         index=pool.index, dtype=bool)
        pool = pool[placeable(pool["last_count"], pool["last_base"])
                    & (public | (~pool["last_count"].map(control.is_small) & kept))]
        public = set(pool.loc[pool["published"].fillna(False).astype(bool), "facility_id"])
        if len(pool) < 3 or pool["last_count"].sum() == 0:
            continue  # no funnel around a zero rate
        result = funnel(pool["last_count"].to_numpy(float), pool["last_base"].to_numpy(float),
                        labels=pool["facility_id"].tolist(), kind="rate",
                        settings=FunnelSettings(overdispersion=analysis.settings.funnel_overdispersion,
                                                scale=ind.scale))
        line = curve(result, 60)
        points = []
        for unit in result.units:
            hidden = (control.is_small(unit.observed) or analysis.count_hidden(unit.label, ind.id, "last")) \
                and unit.label not in public
            if hidden and unit.label != facility_id:
                continue  # a peer's small count would be readable from its rate and size
            points.append({"label": str(names.get(unit.label, unit.label)), "this": unit.label == facility_id,
                           "denominator": round(unit.denominator, 1), "value": None if hidden else round(unit.value, 2),
                           "hidden": hidden, "flag": unit.flag})
        out[ind.id] = {"id": f"funnel-{ind.id}", "drawn": True, "label": ind.label, "target": round(result.target, 3),
                       "adjusted": result.adjusted, "compared_with": peer["compared_with"],
                       "group": peer["peer_group"], "flag": peer.get("flag"),
                       "flag_text": FLAG_TEXT.get(peer.get("flag"), ""),
                       "per": figures.rate_label(analysis.basis(facility_id), ind.scale),
                       "window": figures.window_label(figures.window_months(analysis, ind.id)),
                       "points": points, "curve": {"denominators": [round(d, 2) for d in line.denominators],
                                                   "lines": [{"level": lv, "lower": [round(x, 3) for x in lo],
                                                              "upper": [round(x, 3) for x in hi]}
                                                             for lv, lo, hi in line.lines]}}
    return out


def _pool(analysis: Any, groups: pd.DataFrame, facility_id: str, peer: dict[str, Any]) -> list[str]:
    """The facilities the facility was compared with (itself included)."""
    if peer["compared_with"] == "peers":
        return list(groups.loc[groups["peer_group"] == peer["peer_group"], "facility_id"])
    kinds = analysis.estate.facilities.set_index("facility_id")["facility_type"]
    same_basis = groups.loc[groups["basis"] == peer["basis"], "facility_id"]
    if peer["compared_with"] == "type":
        return [f for f in same_basis if kinds.get(f) == kinds.get(facility_id)]
    return []  # compared with no one
