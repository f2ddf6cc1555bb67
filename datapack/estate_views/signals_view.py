"""Signals across the estate: the signal map, recent special-cause changes and estate funnel plots.

Shapes carry the meaning with the words, never colour alone, and match the
facility packs: a signal of concern is ▲ (high) or ▼ (low), improvement ◆,
an unusual point with no good direction ■, common cause ●. A rate beyond a
funnel limit is ↑↑ / ↑ (above the 99.8% / 95% limit) or ↓ / ↓↓ (below).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from datapack.analysis.figures import rate_label, rate_of, window_label, window_months
from datapack.analysis.findings_context import FLAG_TEXT, ICON_TEXT
from datapack.analysis.funnel import FunnelSettings, curve, funnel, placeable
from datapack.analysis.rules import month_label
from datapack.analysis.text import TYPE_LABELS, date_iso

#: Fewest places of one type, each with a count that may be shown, for an estate funnel plot.
MIN_PLACES = 3

SPC_WORDS = {"concern": "concern", "improvement": "improvement", "neutral": "unusual", "common_cause": "common cause"}
FLAG_SHAPES = {"above_99.8": "↑↑", "above_95": "↑", "within": "", "below_95": "↓", "below_99.8": "↓↓"}
FLAG_WORDS = {"above_99.8": "above peers (99.8%)", "above_95": "above peers (95%)", "within": "within",
              "below_95": "below peers (95%)", "below_99.8": "below peers (99.8%)"}
RULE_WORDS = {"outside": "a point beyond a control limit", "trend": "a trend", "two_of_three": "2 of 3 points near "
              "a limit", "shift": "a shift"}


def spc_cell(icon: str | None) -> dict[str, Any]:
    """The variation icon of a control chart as kind, direction, shape and words."""
    if not icon:
        return {"icon": None, "kind": "none", "direction": None, "shape": "", "word": "not charted",
                "text": "Not charted", "css": "icon-none"}
    if icon == "common_cause":
        kind, direction = "common_cause", None
    else:
        kind, direction = icon.removeprefix("special_cause_").rsplit("_", 1)
    shape = {"concern": "▲" if direction == "high" else "▼", "improvement": "◆", "neutral": "■",
             "common_cause": "●"}[kind]
    word = SPC_WORDS[kind] + (f" ({direction})" if direction else "")
    return {"icon": icon, "kind": kind, "direction": direction, "shape": shape, "word": word,
            "text": ICON_TEXT.get(icon, word), "css": "icon-common" if kind == "common_cause" else f"icon-{kind}"}


def flag_cell(peer: dict[str, Any] | None, good: str, comparisons: tuple[str, ...]) -> dict[str, Any]:
    """A funnel flag as shape and words, with which side is worse; none for unlike comparisons."""
    flag = peer.get("flag") if peer else None
    if not isinstance(flag, str) or peer["compared_with"] not in comparisons:
        return {"flag": None, "shape": "", "word": "", "text": "no like-for-like comparison" if peer else "no data",
                "side": None}
    side = None
    if flag != "within" and good != "neutral":
        side = "worse" if flag.startswith("above") == (good == "down") else "better"
    return {"flag": flag, "shape": FLAG_SHAPES[flag], "word": FLAG_WORDS[flag], "text": FLAG_TEXT.get(flag, ""),
            "side": side}


def signal_map(analysis: Any, facilities: list[dict[str, Any]], comparisons: tuple[str, ...]) -> dict[str, Any]:
    """Facility x indicator: the control chart's latest reading and any funnel outlier.

    Only indicators with a special cause or an outlier somewhere are
    columns; the rest are listed as quiet everywhere.
    """
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    loud: set[str] = set()
    for ind in analysis.definitions.indicators:
        for f in facilities:
            result = analysis.signals.spc.get((f["id"], ind.id))
            spc = spc_cell(result.variation_icon if result is not None else None)
            fun = flag_cell(analysis.peer(f["id"], ind.id), ind.good_direction, comparisons)
            if fun["flag"] == "within":
                fun = {**fun, "flag": None}
            if spc["kind"] in ("concern", "improvement", "neutral") or fun["flag"]:
                loud.add(ind.id)
            words = [w for w in (spc["word"] if spc["icon"] else "", fun["word"] if fun["flag"] else "") if w]
            cells[(f["id"], ind.id)] = {"indicator": ind.id, "spc": spc, "funnel": fun,
                                        "text": "; ".join(words) or "no data",
                                        "level": _level(spc, fun)}
    columns = [{"id": ind.id, "label": ind.label} for ind in analysis.definitions.indicators if ind.id in loud]
    quiet = [ind.label for ind in analysis.definitions.indicators if ind.id not in loud]
    rows = [{"id": f["id"], "name": f["name"], "filters": f["filters"],
             "cells": [cells[(f["id"], c["id"])] for c in columns]} for f in facilities]
    return {"indicators": columns, "rows": rows, "quiet": quiet,
            "key": [{"shape": "▲ / ▼", "text": "signal of concern on the control chart (high / low)"},
                    {"shape": "◆", "text": "signal of improvement"},
                    {"shape": "■", "text": "unusual point where neither direction is better"},
                    {"shape": "●", "text": "common cause variation only"},
                    {"shape": "↑↑ / ↑", "text": "rate above the 99.8% / 95% funnel limit among like places"},
                    {"shape": "↓ / ↓↓", "text": "rate below the 95% / 99.8% funnel limit among like places"}]}


def _level(spc: dict[str, Any], fun: dict[str, Any]) -> int:
    """How much a cell asks for attention, for sorting: 2 concern or worse outlier, 1 other signal, 0 none."""
    if spc["kind"] == "concern" or fun["side"] == "worse":
        return 2
    return 1 if spc["kind"] in ("improvement", "neutral") or fun["flag"] else 0


def _run_start(result: Any, i: int) -> tuple[str, int]:
    """The rule behind special-cause point ``i`` and where its pattern began."""
    for rule in ("trend", "shift"):
        runs = [r for r in result.runs if r.rule == rule and r.first <= i <= r.last]
        if runs:
            return rule, runs[-1].first
    rule = next((r for r in ("outside", "two_of_three") if getattr(result, r)[i]), "outside")
    start = i
    while start > 0 and result.point_type[start - 1] == result.point_type[i]:
        start -= 1
    return rule, start


def recent_changes(analysis: Any, names: dict[str, str], months: int) -> list[dict[str, Any]]:
    """Special-cause signals among each chart's latest ``months`` points: facility, indicator, what, since when."""
    out = []
    for (fid, ind_id), result in analysis.signals.spc.items():
        if fid not in names:
            continue
        present = [i for i, t in enumerate(result.point_type) if t != "missing"][-months:]
        special = [i for i in present if result.point_type[i] in ("concern", "improvement", "neutral")]
        if not special:
            continue
        i = special[-1]
        kind, side = result.point_type[i], result.direction[i]
        rule, start = _run_start(result, i)
        ind = analysis.definitions.get(ind_id)
        length = sum(1 for j in range(start, i + 1) if result.point_type[j] != "missing")
        what = _what(rule, side, length)
        cell = spc_cell(f"special_cause_{kind}_{side or 'high'}")
        out.append({"facility_id": fid, "facility": names[fid], "indicator": ind_id, "label": ind.label,
                    "kind": kind, "shape": cell["shape"], "css": cell["css"], "word": cell["word"], "what": what,
                    "rule": rule,
                    "since": month_label(result.periods[start]), "since_iso": date_iso(str(result.periods[start])),
                    "latest": month_label(result.periods[i]), "ongoing": i == present[-1]})
    order = {"concern": 0, "neutral": 1, "improvement": 2}
    out.sort(key=lambda c: (order[c["kind"]], c["facility"].casefold(), c["label"]))
    return out


def not_plotted(analysis: Any, names: dict[str, str], funnels: dict[str, dict[str, Any]]) -> list[str]:
    """The places on no estate funnel because too few places of their type have figures, by name."""
    kinds = analysis.estate.facilities.set_index("facility_id")["facility_type"].astype(str)
    plotted = {f["type"] for f in funnels.values()}
    return sorted((f"{name} ({TYPE_LABELS.get(kinds.get(fid), kinds.get(fid) or 'other')})"
                   for fid, name in names.items() if kinds.get(fid) not in plotted), key=str.casefold)


def _what(rule: str, side: str | None, length: int) -> str:
    up = side == "high"
    if rule == "trend":
        return f"{'rising' if up else 'falling'} for {length - 1} consecutive months (a trend)"
    if rule == "shift":
        return f"{'above' if up else 'below'} its average for {length} consecutive months (a shift)"
    if rule == "two_of_three":
        return f"2 of 3 months near the {'upper' if up else 'lower'} limit"
    return (f"{'above the upper' if up else 'below the lower'} control limit"
            + (f" for {length} months" if length > 1 else ""))


def estate_funnels(analysis: Any, indicators: list[Any], names: dict[str, str]) -> dict[str, dict[str, Any]]:
    """A funnel per indicator, basis and type of place, over every place of that type measured the same way.

    Places are never compared with places of another type (a prison with a secure hospital): each
    type with at least :data:`MIN_PLACES` places with figures gets its own plot, and the types with
    fewer are named in ``not_plotted`` instead. Places whose count is small are left off the plot
    and out of the pooled rate and limits, so no hidden count can be worked back from what is
    drawn. The section has the shape :mod:`datapack.charts.funnel` draws.
    """
    control, periods = analysis.control, analysis.results.periods
    kinds = analysis.estate.facilities.set_index("facility_id")["facility_type"].astype(str)
    out = {}
    for ind in indicators:
        if ind.kind == "crowding":
            continue
        rows = periods[(periods["indicator"] == ind.id) & periods["facility_id"].isin(names)]
        rows = rows[placeable(rows["last_count"], rows["last_base"])]
        rows = rows.assign(_type=kinds.reindex(rows["facility_id"]).fillna("other").to_numpy())
        for (basis, kind), pool in rows.groupby(["basis", "_type"], sort=True):
            small = pool[pool["last_count"].map(control.is_small)
                         | pd.Series([analysis.count_hidden(f, ind.id, "last") for f in pool["facility_id"]],
                                     index=pool.index, dtype=bool)]
            pool = pool[~pool.index.isin(small.index)]
            if len(pool) < MIN_PLACES or pool["last_count"].sum() == 0:
                continue
            result = funnel(pool["last_count"].to_numpy(float), pool["last_base"].to_numpy(float),
                            labels=pool["facility_id"].tolist(), kind="rate",
                            settings=FunnelSettings(overdispersion=analysis.settings.funnel_overdispersion,
                                                    scale=ind.scale))
            line = curve(result, 60)
            per = rate_label(basis, ind.scale)
            points = [{"label": names[u.label], "id": u.label, "this": False, "denominator": round(u.denominator, 1),
                       "value": round(u.value, 2), "hidden": False, "flag": u.flag,
                       "flag_text": FLAG_TEXT.get(u.flag, ""),
                       "rate": rate_of(control, u.observed, u.denominator, scale=ind.scale, basis=basis).rate.text}
                      for u in sorted(result.units, key=lambda u: names[u.label].casefold())]
            key = "-".join([ind.id] + ([] if basis == "population" else [basis]) + [kind])
            out[key] = {"id": f"funnel-{key}", "indicator": ind.id, "label": ind.label, "basis": basis,
                        "per": per, "window": window_label(window_months(analysis, ind.id)),
                        "target": round(result.target, 3), "adjusted": result.adjusted,
                        "compared_with": "type", "type": kind, "group": TYPE_LABELS.get(kind, kind),
                        "flag": None, "points": points,
                        "left_off": sorted(names[f] for f in small["facility_id"]),
                        "curve": {"denominators": [round(d, 2) for d in line.denominators],
                                  "lines": [{"level": lv, "lower": [round(x, 3) for x in lo],
                                             "upper": [round(x, 3) for x in hi]} for lv, lo, hi in line.lines]}}
    return out
