"""The visit programme: a transparent priority for visiting each facility, as an aid to planning.

Each factor of :mod:`datapack.estate_views.factors` gives a 0-1 score; its
weight (``schedule.weights``, scaled to 100) turns the score into points,
and the priority score (0-100) is the sum of those points, so a score
always shows its parts. A factor with no data is shown as such and, by
default, its weight is shared among the others (``schedule.missing``).
The score suggests a band (how soon and how intensively to visit);
gateway rules such as a self-inflicted death since the last visit bring
the band forward whatever the score. Nothing here rates a facility: it
suggests where to look first. Settings: :class:`datapack.config.Schedule`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import datapack
from datapack.analysis.provenance import disclosure_section
from datapack.analysis.text import TYPE_LABELS, built_label, date_iso, date_label
from datapack.config import Schedule
from datapack.estate_views import factors as F

REMINDER = ("A starting point for planning, not a judgement: the priority shows where the data suggest looking "
            "first. It rates no facility, and a visiting team's knowledge comes first.")


def _band(settings: Schedule, band_id: str) -> tuple[int, Any]:
    index = next(i for i, b in enumerate(settings.bands) if b.id == band_id)
    return index, settings.bands[index]


def score_band(settings: Schedule, score: float) -> Any:
    """The band a score suggests: the first (most urgent) whose ``min_score`` it reaches."""
    return next(b for b in settings.bands if score >= b.min_score)


def weigh(readings: list[tuple[str, str, F.Reading]], settings: Schedule) -> list[dict[str, Any]]:
    """Each factor's score, weight and points; the points add up to the priority score.

    ``effective_weight`` is the factor's share of 100 after any weight of
    factors without data is redistributed (``missing: redistribute``) or
    not (``missing: zero``: they count as 0).
    """
    weights = settings.weights.model_dump()
    counted = [fid for fid, _, r in readings if r.score is not None or settings.missing == "zero"]
    total = sum(weights[fid] for fid in counted)
    rows = []
    for fid, label, reading in readings:
        share = 100.0 * weights[fid] / total if total and fid in counted else 0.0
        score = reading.score
        rows.append({"id": fid, "label": label, "raw": reading.raw, "available": score is not None,
                     "score": None if score is None else round(score, 3),
                     "score_text": "no data" if score is None else f"{score:.2f}",
                     "weight": weights[fid], "effective_weight": round(share, 1),
                     "points": round((score or 0.0) * share, 1), "reason": reading.reason})
        rows[-1]["points_text"] = "no data" if score is None else f"{rows[-1]['points']:.1f}"
    return rows


def gateways(analysis: Any, facts: F.Facts, settings: Schedule) -> list[dict[str, Any]]:
    """The gateway rules a facility meets; each names the band it sets and why."""
    found = []
    visits, kind = facts.visits, facts.facility_type
    if settings.gateway_self_inflicted_death and facts.deaths.self_inflicted_since_visit:
        since = (f"since the last visit ({date_label(visits.last_start)})" if visits.last_start is not None
                 else "in the last 12 months (no visit on record)")
        found.append(("self_inflicted_death", settings.gateway_self_inflicted_death,
                      "self-inflicted death since the last visit", f"a self-inflicted death {since}"))
    years = F.by_type(settings.gateway_years, kind)
    if settings.gateway_no_full_visit and visits.held:
        # With no in-depth visit on record, the gateway needs records going back further than its years:
        # two years of records without a full visit say nothing about the five before.
        span = (analysis.as_of - visits.records_from).days if visits.records_from is not None else 0
        if visits.full_start is None and span > years * 365.25:
            found.append(("no_full_visit", settings.gateway_no_full_visit, "no in-depth visit on record",
                          f"no in-depth visit in the records, which go back to {date_label(visits.records_from)}"))
        elif visits.full_start is not None and visits.days_since(analysis.as_of, full=True) > years * 365.25:
            found.append(("no_full_visit", settings.gateway_no_full_visit, f"no in-depth visit for {years:g} years",
                          f"no in-depth visit for more than {years:g} years (last {date_label(visits.full_start)})"))
    recs = facts.recommendations
    if settings.gateway_unmet_recommendations and recs.assessed >= settings.gateway_unmet_min \
            and recs.not_achieved / recs.assessed >= settings.gateway_unmet_share:
        found.append(("unmet_recommendations", settings.gateway_unmet_recommendations,
                      "most recommendations not achieved",
                      f"{recs.not_achieved} of {recs.assessed} recommendations assessed are not achieved"
                      + (f"; {recs.repeats} outstanding ones repeat earlier recommendations" if recs.repeats
                         else "")))
    out = []
    for gid, band_id, label, reason in found:
        _, band = _band(settings, band_id)
        out.append({"id": gid, "label": label, "band": band.id, "band_label": band.label, "reason": reason})
    return out


def _facility(analysis: Any, row: dict[str, Any], settings: Schedule) -> dict[str, Any]:
    fid = str(row["facility_id"])
    kind = str(row.get("facility_type") or "other")
    facts = F.read_facts(analysis, fid, kind, settings)
    parts = weigh([(f_id, label, read(analysis, facts, settings)) for f_id, label, read in F.FACTORS], settings)
    score = round(sum(p["points"] for p in parts), 1)
    from_score = score_band(settings, score)
    gates = gateways(analysis, facts, settings)
    chosen = min([_band(settings, from_score.id)] + [_band(settings, g["band"]) for g in gates], key=lambda x: x[0])[1]
    source = "score" if chosen.id == from_score.id else "gateway"
    reasons = [f"Gateway: {g['reason']} (suggests: {g['band_label'].lower()})" for g in gates]
    reasons += [f"{p['reason'][0].upper()}{p['reason'][1:]} (+{p['points']:.1f})"
                for p in sorted(parts, key=lambda p: -p["points"]) if p["reason"] and p["points"] > 0]
    if not reasons:
        reasons = ["Nothing in the data brings this visit forward: the routine programme applies."]
    v = facts.visits
    return {
        "id": fid, "name": str(row.get("name") or fid), "type": kind, "type_label": TYPE_LABELS.get(kind, kind),
        "peer_group": str(analysis.peer_groups.get(fid, kind)), "region": _text(row.get("region")),
        "body": _text(row.get("body")), "operator": _text(row.get("operator")),
        "score": score, "score_text": f"{score:.1f}",
        "band": {"id": chosen.id, "label": chosen.label, "months": chosen.months, "source": source},
        "score_band": {"id": from_score.id, "label": from_score.label},
        "gateways": gates, "factors": parts, "reasons": reasons,
        "last_visit": {"date": date_label(v.last_start), "iso": date_iso(v.last_start), "type": v.last_type,
                       "days": v.days_since(analysis.as_of)},
        "last_full_visit": {"date": date_label(v.full_start), "iso": date_iso(v.full_start),
                            "days": v.days_since(analysis.as_of, full=True)},
    }


def _text(value: Any) -> str | None:
    return None if value is None or value != value else (str(value).strip() or None)


def schedule(analysis: Any, settings: Schedule | None = None) -> list[dict[str, Any]]:
    """Every facility with its priority score, parts, gateways, suggested band and reasons, most urgent first.

    Ordered by band (most urgent first), then score (highest first), then
    name; ``rank`` is the position in that order. Raises ``ValueError``
    when a setting names an unknown indicator.
    """
    settings = settings or analysis.estate.config.schedule
    F.check_settings(analysis, settings)
    order = {b.id: i for i, b in enumerate(settings.bands)}
    rows = [_facility(analysis, row, settings) for row in analysis.estate.facilities.to_dict("records")]
    rows.sort(key=lambda r: (order[r["band"]["id"]], -r["score"], r["name"].casefold(), r["id"]))
    for i, r in enumerate(rows, 1):
        r["rank"] = i
    return rows


def settings_section(settings: Schedule) -> dict[str, Any]:
    """The model in words: factors with their weights, the bands, gateway rules, missing data."""
    weights = settings.weights.model_dump()
    total = sum(weights.values())
    doc = {f_id: (read.__doc__ or "").strip().splitlines()[0] for f_id, _, read in F.FACTORS}
    gates = []
    if settings.gateway_self_inflicted_death:
        gates.append({"id": "self_inflicted_death", "rule": "A self-inflicted death since the last visit",
                      "band": _band(settings, settings.gateway_self_inflicted_death)[1].label})
    if settings.gateway_no_full_visit:
        years = ", ".join(f"{TYPE_LABELS.get(k, k) if k != 'default' else 'other places'}: {v:g}"
                          for k, v in settings.gateway_years.items())
        gates.append({"id": "no_full_visit", "rule": f"No in-depth visit for more than N years ({years})",
                      "band": _band(settings, settings.gateway_no_full_visit)[1].label})
    if settings.gateway_unmet_recommendations:
        gates.append({"id": "unmet_recommendations",
                      "rule": f"At least {settings.gateway_unmet_share:.0%} of the recommendations assessed are not "
                              f"achieved (of {settings.gateway_unmet_min} or more)",
                      "band": _band(settings, settings.gateway_unmet_recommendations)[1].label})
    return {
        "factors": [{"id": f_id, "label": label, "weight": weights[f_id],
                     "share": round(100.0 * weights[f_id] / total, 1) if total else 0.0, "how": doc[f_id]}
                    for f_id, label, _ in F.FACTORS],
        "bands": [{"id": b.id, "label": b.label, "min_score": b.min_score, "months": b.months}
                  for b in settings.bands],
        "gateways": gates,
        "missing": ("A factor with no data is shown as 'no data' and its weight is shared among the other factors "
                    "in proportion to their weights." if settings.missing == "redistribute" else
                    "A factor with no data is shown as 'no data' and counts as 0."),
        "in_depth_visits": ", ".join(settings.full_visit_types),
    }


def schedule_context(analysis: Any, built_at: dt.datetime, settings: Schedule | None = None,
                     rows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """What ``schedule.html`` and ``schedule.xlsx`` show (see docs/comparison.md), as plain data."""
    settings = settings or analysis.estate.config.schedule
    rows = rows if rows is not None else schedule(analysis, settings)
    project = analysis.estate.config.project
    return {
        "project": {"title": project.title, "body": project.body, "marking": project.marking},
        "built_at": {"iso": built_at.isoformat(timespec="seconds"), "label": built_label(built_at)},
        "as_of": {"iso": date_iso(analysis.as_of), "label": date_label(analysis.as_of)},
        "version": datapack.__version__, "reminder": REMINDER,
        "disclosure": disclosure_section(analysis.control),
        "settings": settings_section(settings), "facilities": rows,
    }
