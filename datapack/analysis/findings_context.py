"""The analysis as pack context: areas for enquiry, key indicators, control charts, peers.

Pure functions from an :class:`~datapack.analysis.estate.EstateAnalysis` to
plain JSON-ready dicts. Every figure goes through the disclosure control:
a month whose count is hidden is a gap in a control chart, a peer whose
count is hidden is left off a funnel, and a rate on a hidden count is hidden.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from datapack.analysis import figures
from datapack.analysis import spc as spc_mod
from datapack.analysis.enquiry import areas_for_enquiry, by_theme
from datapack.analysis.funnel import FunnelSettings, curve, funnel, placeable
from datapack.analysis.text import figure, lower_first, month_label, no_data
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


#: Fewer months than this with any event (under one month in six of three years), and no signal: a sentence, not a chart.
SPARSE_MONTHS = 6


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
        result = analysis.signals.spc.get((facility_id, ind.id))
        icon = result.variation_icon if result is not None else None
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
                    "chart": f"spc-{ind.id}" if result is not None else None},
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

    Months the incidents table hides for a category are hidden on every
    chart that counts that category (see :func:`hidden_points`).
    """
    control = analysis.control
    out = {}
    for ind in analysis.definitions.indicators:
        result = analysis.signals.spc.get((facility_id, ind.id))
        if result is None:
            continue
        mask = analysis.chart_hidden(facility_id, ind.id)
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
                n = analysis.month_row(facility_id, ind.id, period)["count"]
                why = {"note": SMALL if control.is_small(n) else FOR_ANOTHER}
            points.append({"period": period, "label": month_label(pd.Period(period, freq="M"), short=True),
                           "value": value, "hidden": bool(hidden), **why,
                           "type": "hidden" if hidden else result.point_type[i],
                           "mean": _r(result.mean[i]) if limits_shown else None,
                           "ucl": _r(result.ucl[i]) if limits_shown else None,
                           "lcl": _r(max(result.lcl[i], 0.0)) if limits_shown and pd.notna(result.lcl[i]) else None,
                           "segment": result.segment[i]})
        summary = spc_mod.summary(result)
        measure = analysis.signals.measure.get((facility_id, ind.id))
        present = [v for v in result.values if not pd.isna(v)]
        months_with = sum(1 for v in present if v > 0)
        out[ind.id] = {
            # too little to chart: fewer than SPARSE_MONTHS months with any, and no signal (see profile)
            "sparse": months_with < SPARSE_MONTHS and result.variation_icon in (None, "common_cause"),
            "sparse_text": (f"Not charted: {lower_first(ind.label)} in {_months(months_with)} of the "
                            f"{len(present)} months, too few for a control chart."),
            "drawn": True,
            "id": f"spc-{ind.id}", "label": ind.label, "measure": measure,
            "unit": "%" if ind.kind == "crowding" else (figures.rate_label(analysis.basis(facility_id), ind.scale)
                                                       if measure == "rate" else "count"),
            "points": points, "trial": bool(result.trial), "icon": result.variation_icon,
            "icon_text": ICON_TEXT.get(result.variation_icon, ""), "breaks": list(ind.series_breaks),
            "hidden_points": sum(p["hidden"] for p in points), "limits_shown": limits_shown,
            "summary": _spc_summary(ind.label, summary, result)
            + ("" if limits_shown else " The centre line and limits are not shown because some months are hidden"
               + (f" (fewer than {control.threshold} incidents)" if all(p.get("note") == SMALL for p in points
                                                                        if p["hidden"])
                  else " (small numbers, and months hidden so that they cannot be worked out)") + ".")}
    return out


def _r(x: float) -> float | None:
    return None if x is None or pd.isna(x) else round(float(x), 3)


def _spc_summary(label: str, summary: dict[str, Any], result: Any) -> str:
    kind = summary.get("latest_type")
    if kind in ("concern", "improvement", "neutral"):
        what = {"concern": "a signal of concern", "improvement": "a signal of improvement",
                "neutral": "an unusual point"}[kind]
        text = f"The latest month is {what} on the control chart."
    else:
        text = "The latest month shows only common cause variation."
    if summary.get("trial"):
        text += " The limits are trial limits (fewer than 12 points)."
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
