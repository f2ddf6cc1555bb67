"""The comparison pack for managers: every facility on one page, as an aid to prioritising.

:func:`comparison_context` turns the :class:`~datapack.analysis.estate.EstateAnalysis`
into one JSON-ready dict (documented key by key in ``docs/comparison.md``)
that the HTML, Word, Excel and JSON renderers read. Every figure goes
through the disclosure control: counts and rates about people through the
configured threshold, counts of documents and days in full (as in the
facility packs). It is a starting point for planning, not a judgement.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from datapack.analysis.enquiry import areas_for_enquiry
from datapack.analysis.figures import indicator_rate
from datapack.analysis.findings_context import QUINTILE_TEXT
from datapack.analysis.followup import records_control
from datapack.analysis.text import TYPE_LABELS, date_iso, date_label, figure, month_label, no_data
from datapack.estate_views import facts, signals_view
from datapack.estate_views.schedule import REMINDER, schedule, schedule_context

#: Indicators shown as columns of the main table and drawn as estate funnel plots.
KEY_INDICATORS = ("self_harm", "assaults", "serious_assaults", "use_of_force", "restraint", "segregation")
#: The facility fields the HTML table filters on, with their labels.
FILTERS = (("type", "Type"), ("peer_group", "Peer group"), ("region", "Region"), ("body", "Body"))


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _position(peer: dict[str, Any] | None) -> dict[str, Any]:
    """Position among peers as words: the quintile among peers where there are enough, else among its type."""
    if not peer:
        return {"text": "no comparison", "quintile": None, "among": None}
    for column, among in (("quintile_peers", f"{peer['peer_group']} peers"), ("quintile_all", "places of its type")):
        q = peer.get(column)
        if q is not None and not pd.isna(q):
            return {"text": f"{QUINTILE_TEXT[int(q)]} of {among}", "quintile": int(q), "among": among}
    return {"text": "too few places for a position", "quintile": None, "among": None}


def _indicator_cell(analysis: Any, fid: str, ind: Any, comparisons: tuple[str, ...]) -> dict[str, Any]:
    p = analysis.period(fid, ind.id) or {}
    peer = analysis.peer(fid, ind.id)
    result = analysis.signals.spc.get((fid, ind.id))
    count = _num(p.get("last_count"))
    shown = indicator_rate(analysis, fid, ind, "last")  # the rate of the facility's own pack
    return {"id": ind.id, "held": count is not None,
            "count": shown.count_figure() if count is not None else no_data(),
            "rate": shown.rate_figure() if count is not None else no_data(),
            "position": _position(peer), "spc": signals_view.spc_cell(result.variation_icon if result else None),
            "funnel": signals_view.flag_cell(peer, ind.good_direction, comparisons)}


def _visit(days: int | None, when: Any, kind: str | None, records: Any) -> dict[str, Any]:
    return {"date": date_label(when), "iso": date_iso(when), "type": kind,
            "days": figure(records.count(float(days))) if days is not None else no_data(),
            "months_text": f"{days / (365.25 / 12):.0f} months ago" if days is not None else "none on record"}


def _facility_row(analysis: Any, row: dict[str, Any], indicators: list[Any], priority: dict[str, Any],
                  comparisons: tuple[str, ...], full_types: tuple[str, ...],
                  enquiry: dict[str, int] | None) -> dict[str, Any]:
    control, records = analysis.control, records_control(analysis.control)
    fid = str(row["facility_id"])
    kind = str(row.get("facility_type") or "other")
    seen = facts.visits(analysis, fid, full_types)
    died = facts.deaths(analysis, fid, seen)
    recs = facts.recommendations(analysis, fid)
    failed = None
    if enquiry is None:
        try:
            found, _ = areas_for_enquiry(analysis, fid, analysis.master)
            enquiry = {s: sum(1 for f in found if f.severity == s) for s in ("high", "medium", "low")}
        except Exception as exc:  # one facility's failing rule must not stop the comparison of the rest
            failed, enquiry = f"{type(exc).__name__}: {exc}", {}
    severities = {s: int(enquiry.get(s, 0)) for s in ("high", "medium", "low")}
    labels = {"type": TYPE_LABELS.get(kind, kind), "peer_group": str(analysis.peer_groups.get(fid, kind)),
              "region": _text(row.get("region")), "body": _text(row.get("body"))}

    def deaths_figure(n: float | None) -> dict[str, Any]:
        return figure(control.count(n)) if n is not None else no_data()

    return {
        "id": fid, "name": _text(row.get("name")) or fid, "type": kind, "type_label": labels["type"],
        "peer_group": labels["peer_group"], "region": labels["region"], "body": labels["body"],
        "operator": _text(row.get("operator")), "basis": analysis.basis(fid),
        "filters": {k: v or "" for k, v in labels.items()},
        "indicators": [_indicator_cell(analysis, fid, ind, comparisons) for ind in indicators],
        "deaths": {"last_12_months": deaths_figure(died.last_12),
                   "self_inflicted_last_12_months": deaths_figure(died.self_inflicted_12),
                   "since_last_visit": deaths_figure(died.since_visit),
                   "self_inflicted_since_last_visit": deaths_figure(died.self_inflicted_since_visit),
                   "counted_from": date_label(died.since)},
        "recommendations": {"held": recs.total is not None,
                            "total": figure(records.count(float(recs.total))) if recs.total is not None else no_data(),
                            "open": figure(records.count(float(recs.outstanding))),
                            "overdue": figure(records.count(float(recs.overdue))),
                            "repeats": figure(records.count(float(recs.repeats)))},
        "last_visit": _visit(seen.days_since(analysis.as_of), seen.last_start, seen.last_type, records),
        "last_full_visit": _visit(seen.days_since(analysis.as_of, full=True), seen.full_start, seen.full_type,
                                  records),
        "enquiry": {**severities, "total": sum(severities.values()), "error": failed,
                    "sort": -1 if failed else severities["high"] * 10000 + severities["medium"] * 100
                    + severities["low"],
                    "text": "not available: the rules failed" if failed
                    else ", ".join(f"{n} {s}" for s, n in severities.items() if n) or "none"},
        "priority": {"rank": priority["rank"], "score": priority["score"], "score_text": priority["score_text"],
                     "band": priority["band"], "gateways": priority["gateways"],
                     "parts": [{"id": p["id"], "label": p["label"], "points": p["points"],
                                "points_text": p["points_text"], "score_text": p["score_text"]}
                               for p in priority["factors"]],
                     "reasons": priority["reasons"]},
    }


def _text(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else (str(value).strip() or None)


def _period(analysis: Any) -> dict[str, Any]:
    windows = analysis.results.windows
    if windows is None:
        return {"label": "no incident data", "first": None, "last": None}
    first, last = windows.span("last")
    return {"label": f"{month_label(first)} to {month_label(last)}", "first": str(first), "last": str(last)}


def comparison_context(analysis: Any, built_at: dt.datetime, indicators: tuple[str, ...] = KEY_INDICATORS,
                       priorities: list[dict[str, Any]] | None = None,
                       enquiry: dict[str, dict[str, int]] | None = None) -> dict[str, Any]:
    """Everything the comparison pack shows, as plain JSON-ready data (see docs/comparison.md).

    ``indicators`` are the key indicators (table columns and funnel plots;
    ids missing from the indicators file are skipped). ``priorities`` is
    the output of :func:`~datapack.estate_views.schedule.schedule`, computed
    here when not given. ``enquiry`` maps a facility id to its counts of
    areas for enquiry by severity (``{"high": n, "medium": n, "low": n}``,
    as in a pack context's ``enquiry.counts``), so a build that made the
    packs need not apply the master list again; facilities missing from it
    are worked out here.
    """
    enquiry = enquiry or {}
    settings = analysis.estate.config.schedule
    priorities = priorities if priorities is not None else schedule(analysis, settings)
    by_id = {p["id"]: p for p in priorities}
    known = {ind.id: ind for ind in analysis.definitions.indicators}
    key = [known[i] for i in indicators if i in known]
    comparisons = tuple(settings.outlier_comparisons)
    full_types = tuple(settings.full_visit_types)
    register = analysis.estate.facilities.sort_values("name", key=lambda s: s.astype(str).str.casefold())
    rows = [_facility_row(analysis, row, key, by_id[str(row["facility_id"])], comparisons, full_types,
                          enquiry.get(str(row["facility_id"]))) for row in register.to_dict("records")]
    names = {r["id"]: r["name"] for r in rows}
    funnels = signals_view.estate_funnels(analysis, key, names)
    base = schedule_context(analysis, built_at, settings, priorities)
    by_row = {r["id"]: r for r in rows}
    return {
        "project": base["project"], "built_at": base["built_at"], "as_of": base["as_of"],
        "version": base["version"], "reminder": REMINDER, "period": _period(analysis),
        "disclosure": base["disclosure"],
        "count": len(rows),
        "filters": [{"key": k, "label": label, "options": sorted({r["filters"][k] for r in rows if r["filters"][k]},
                                                                 key=str.casefold)} for k, label in FILTERS],
        "indicators": [{"id": ind.id, "label": ind.label, "good_direction": ind.good_direction,
                        "scale": ind.scale} for ind in key],
        "facilities": rows,
        "signal_map": signals_view.signal_map(analysis, rows, comparisons),
        "changes": signals_view.recent_changes(analysis, names, settings.signal_months),
        "signal_months": settings.signal_months,
        "funnels": funnels, "charts": [f["id"] for f in funnels.values()],
        "not_plotted": signals_view.not_plotted(analysis, names, funnels),
        "schedule": {"settings": base["settings"],
                     "order": [{"rank": p["rank"], "id": p["id"], "name": p["name"], "score_text": p["score_text"],
                                "band": p["band"]["label"], "filters": by_row[p["id"]]["filters"],
                                "parts": by_row[p["id"]]["priority"]["parts"]} for p in priorities]},
    }
