"""The context of one facility's pack, and of the estate index: the only thing templates see.

Every figure in a context has been through :class:`datapack.disclosure.Control`
and is a plain dict ``{"text": str, "value": number | None, "hidden": bool}``:
``text`` is what the pack prints, ``value`` is given only when the figure may
be shown. Contexts hold plain str / int / float / bool / None / list / dict
only, so ``json.dumps`` writes them as they are (``pack.json``).

No person-level identifier (person references, respondent references,
incident references) and no free-text comment is ever copied into a context.

Every key is documented in ``docs/context.md``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

import datapack
from datapack.analysis import deaths, followup, glance, held, incidents, measures, population, provenance, surveys
from datapack.analysis.facility_rows import rows_of
from datapack.analysis.text import (TYPE_LABELS, built_label, clean, date_label, figure, month_end_label, month_key,
                                    month_label, no_data, slug)
from datapack.disclosure import Control

#: Chart ids a facility pack may use, in the order the pack shows them.
CHART_IDS = ("population", "incidents", "recommendations")  # fixed ids; analysis charts add spc-*, funnel-* ...

_FACILITY_TABLES = ("facilities", "population", "incidents", "incident_counts", "survey_responses",
                    "survey_results", "recommendations", "visits", "context")


def facility_slugs(estate) -> dict[str, str]:
    """A unique, safe folder name for every facility id (a suffix separates clashes)."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for fid in sorted(str(f) for f in estate.facilities["facility_id"].dropna()):
        base = candidate = slug(fid)
        n = 2
        while candidate in taken:
            candidate, n = f"{base}-{n}", n + 1
        taken.add(candidate)
        out[fid] = candidate
    return out


def _frames(estate, facility_id: str) -> dict[str, pd.DataFrame]:
    """This facility's rows of every table that has a ``facility_id``."""
    frames = {}
    for name in _FACILITY_TABLES:
        table = estate.table(name)
        frames[name] = rows_of(table, facility_id) if "facility_id" in table else table
    return frames


def _facility(row: dict[str, Any], facility_slug: str, control: Control) -> dict[str, Any]:
    kind = clean(row.get("facility_type")) or "other"
    capacity = row.get("capacity")
    return {
        "id": str(row["facility_id"]), "slug": facility_slug, "name": clean(row.get("name")) or str(row["facility_id"]),
        "type": kind, "type_label": TYPE_LABELS.get(kind, kind), "function": clean(row.get("function")),
        "operator": clean(row.get("operator")), "region": clean(row.get("region")),
        # Places, not people: shown in full.
        "capacity": figure(followup.records_control(control).count(float(capacity)))
        if capacity is not None and pd.notna(capacity) else no_data(),
        "population_group": clean(row.get("population_group")), "body": clean(row.get("body")),
        "opened": date_label(row.get("opened")), "closed": date_label(row.get("closed")),
    }


def _period(frames: dict[str, pd.DataFrame], end: pd.Period | None, pop: dict, survey_list: list) -> dict[str, Any]:
    """First and last month of this facility's dated data, and the cover's one-line label."""
    dates = [pd.to_datetime(frames["population"]["month"], errors="coerce"),
             pd.to_datetime(frames["incidents"]["occurred"], errors="coerce"),
             pd.to_datetime(frames["survey_responses"]["submitted"], errors="coerce")]
    dates = pd.concat([d.dropna() for d in dates if not d.dropna().empty] or [pd.Series(dtype="datetime64[ns]")])
    first = dates.min().to_period("M") if not dates.empty else None
    last = dates.max().to_period("M") if not dates.empty else None
    parts = []
    if pop["available"]:
        parts.append(f"{pop['basis']} to {pop['latest']['label']}")
    if end is not None:
        parts.append(f"incidents to {month_end_label(end)}")
    survey_label = surveys.latest_survey_label(survey_list)
    if survey_label:
        parts.append(survey_label)
    return {"first_month": month_key(first) if first is not None else None,
            "first_label": month_label(first) if first is not None else None,
            "last_month": month_key(last) if last is not None else None,
            "last_label": month_label(last) if last is not None else None,
            "label": "; ".join(parts) if parts else "no dated data held"}


def _project(estate) -> dict[str, str]:
    p = estate.config.project
    return {"title": p.title, "body": p.body, "marking": p.marking}


def _built(built_at: dt.datetime) -> dict[str, str]:
    return {"iso": built_at.isoformat(timespec="seconds"), "label": built_label(built_at)}


def facility_context(estate, facility_id: str, control: Control, built_at: dt.datetime,
                     analysis: Any = None) -> dict[str, Any]:
    """Everything one facility's pack shows, as one JSON-serialisable dict (see docs/context.md).

    With ``analysis`` (an :class:`~datapack.analysis.estate.EstateAnalysis`)
    the context also carries the areas for enquiry, key indicators, control
    charts, funnels, survey comparisons, equality, early days and culture.

    Raises ``KeyError`` naming some valid ids when ``facility_id`` is not in the register.
    """
    register = estate.facilities
    match = register[register["facility_id"].astype(str) == str(facility_id)]
    if match.empty:
        known = ", ".join(sorted(register["facility_id"].astype(str))[:10])
        raise KeyError(f"facility {facility_id!r} is not in the register; known ids include: {known}")
    facility_id = str(facility_id)
    frames = _frames(estate, facility_id)
    facility = _facility(match.iloc[0].to_dict(), facility_slugs(estate)[facility_id], control)
    basis = population.basis_for(facility["type"])
    pop = population.population_section(frames["population"], basis, control)
    pop["profile"] = measures.profile_section(frames["context"], control)
    end = incidents.window_end(estate.table("incidents"))
    inc = (analysis.incidents_table(facility_id) if analysis is not None else
           incidents.incidents_section(frames["incidents"], end, population.monthly(frames["population"]), basis,
                                       control, estate.config.analysis.window_months))
    survey_list = surveys.surveys_section(frames["survey_responses"], frames["survey_results"],
                                          estate.table("survey_questions"), control)
    codebook = estate.table("survey_questions")
    frames["survey_questions"] = codebook[codebook["survey"].astype(str).isin({s["survey"] for s in survey_list})]
    sources = provenance.sources_section(estate, frames, control)
    recs = followup.recommendations_section(frames["recommendations"], control, built_at)
    windows = inc.get("windows") or {}
    window_start = pd.Period(windows["last"]["first"], freq="M").start_time if windows.get("last") else None
    visits = followup.visits_section(frames["visits"], control, built_at)
    dead = deaths.deaths_section(frames["incidents"], frames["visits"], window_start, control)
    charts = [c for c, used in (("population", pop["available"]), ("incidents", bool(inc.get("table"))),
                                ("recommendations", recs["available"])) if used]
    extra = _analysis_keys(analysis, facility_id, inc) if analysis is not None else _no_analysis()
    charts += extra.pop("_charts", [])
    not_held = held.held_section(estate, frames, facility, extra["indicators"], extra["funnels"],
                                 analysed=analysis is not None)
    if not inc["available"] and not_held["incidents"]:
        inc = {**inc, "summary": not_held["incidents"]}
    if not pop["available"] and not_held["population"]:
        pop = {**pop, "summary": not_held["population"]}
    if not recs["available"] and not_held["recommendations"]:
        recs = {**recs, "summary": not_held["recommendations"]}
    return {**extra,
        "held": not_held,
        "project": _project(estate),
        "facility": facility,
        "period": _period(frames, end, pop, survey_list),
        "built_at": _built(built_at),
        "version": datapack.__version__,
        "glance": glance.glance_section(pop, inc, survey_list, recs, extra["enquiry"], dead),
        "population": pop,
        "incidents": inc,
        "surveys": survey_list,
        "recommendations": recs,
        "visits": visits,
        "judgements": followup.judgements_text(visits),
        "deaths": dead,
        "sources": sources,
        "source_groups": provenance.source_groups_section(estate, frames, control),
        "data_quality": provenance.data_quality_section(estate, facility, frames, sources),
        "disclosure": provenance.disclosure_section(control),
        "charts": charts,
    }


def _analysis_keys(analysis: Any, facility_id: str, inc: dict[str, Any]) -> dict[str, Any]:
    """The analysis sections of a facility's context, and the charts they need."""
    from datapack.analysis import findings_context as fc
    from datapack.analysis import people_context as pc

    keys = {
        "enquiry": fc.enquiry_section(analysis, facility_id),
        "indicators": fc.indicators_section(analysis, facility_id),
        "spc": fc.spc_section(analysis, facility_id),
        "funnels": fc.funnel_section(analysis, facility_id),
        "survey_comparisons": pc.survey_comparison_section(analysis, facility_id),
        "equality": pc.equality_section(analysis, facility_id),
        "early_days": pc.early_days_section(analysis, facility_id),
        "culture": pc.culture_section(analysis, facility_id),
        "survey_groups": pc.survey_groups_section(analysis, facility_id),
        "followup_progress": followup.progress_section(analysis.recommendations(facility_id),
                                                      rows_of(analysis.estate.table("visits"), facility_id),
                                                      analysis.control, analysis.as_of.to_pydatetime()),
        "framework": _framework(analysis, facility_id),
        "measures": _measures(analysis, facility_id),
        "settings": analysis.settings.model_dump(),
    }
    _choose_charts(keys, every=analysis.settings.charts == "all")
    keys["_charts"] = ([c["id"] for c in keys["spc"].values() if c["drawn"]]
                       + [f["id"] for f in keys["funnels"].values() if f["drawn"]]
                       + [s["chart"] for s in keys["survey_comparisons"]]
                       + [e["chart"] for e in keys["equality"] if e["drawn"]])
    return keys


#: The words for an indicator whose charts are not drawn because they show nothing to highlight.
QUIET_TEXT = ("Not charted: the control chart shows only common cause variation{funnel}, and no area for enquiry "
              "points to it; every month is in data.xlsx (sheet 'Control charts').")


def _choose_charts(keys: dict[str, Any], every: bool) -> None:
    """Which control charts and funnel plots the pack draws (``analysis.charts``), set as ``drawn`` on each.

    A chart an area for enquiry points to is always drawn. A series with too
    little to chart is a sentence (``sparse_text``). A rare event's chart of
    the days between events is drawn wherever it is held (2 events or more),
    a sentence otherwise. Unless every chart is
    asked for, an indicator whose control chart has no signal and whose
    funnel is within its limits is a sentence too, and so is such a funnel;
    an equality forest plot is drawn where a group is flagged (its table
    shows every group either way).
    """
    linked = {t for f in keys["enquiry"]["findings"] for t in f["evidence"].get("links", {}).values()}
    for ind_id, series in keys["spc"].items():
        fun = keys["funnels"].get(ind_id)
        if series.get("kind") == "between":  # a rare event: the days between events, wherever 2 or more are held
            series["drawn"] = not series["sparse"]
            continue
        if f"chart-{series['id']}" in linked:
            continue
        if series["sparse"]:
            series["drawn"], series["summary"] = False, series["sparse_text"]
        elif not every and series["icon"] in (None, "common_cause") and (fun is None or fun["flag"] == "within"):
            series["drawn"] = False
            series["summary"] = QUIET_TEXT.format(funnel="" if fun is None else " and the place is within the "
                                                  "funnel's limits")
            if series.get("grain") == "quarter":  # said as the chart would have said it
                series["summary"] = series["summary"].replace("the control chart shows", "the control chart by "
                                                              "quarter (too few months with any to chart by month) shows")
    for fun in keys["funnels"].values():
        fun["drawn"] = every or f"chart-{fun['id']}" in linked or fun["flag"] != "within"
    for row in keys["indicators"]:  # set out in full in its section, named in its summary line, or too few
        series, fun = keys["spc"].get(row["id"]), keys["funnels"].get(row["id"])
        # a rare event's exact test is set out where there was any event in the two windows; none in either
        # (and no chart of the days between) is the series' one sentence, like any series with too little
        quiet_rare = all(row.get(k, {}).get("value") == 0 for k in ("last", "prev"))
        row["detail"] = bool((series and series["drawn"]) or (fun and fun["drawn"]) or row.get("trend")
                             or (row.get("rare") and not quiet_rare))
        sparse = bool(series and series["sparse"] and not series["drawn"])
        row["too_few"] = series["sparse_text"] if sparse and not row["detail"] else None  # said as it is
        row["reviewed"] = not row["detail"] and not sparse and bool(series or fun)
    for group in keys["equality"]:  # a forest plot where a group is flagged; the table shows every group
        group["drawn"] = every or bool(group["flagged"]) or f"chart-{group['chart']}" in linked


def _no_analysis() -> dict[str, Any]:
    """The analysis keys, empty: a context built without an analysis still has every key."""
    return {"enquiry": {"version": None, "areas": [], "findings": [], "counts": {"high": 0, "medium": 0, "low": 0},
                        "area_counts": {"high": 0, "medium": 0, "low": 0}, "reviewed": []},
            "indicators": [], "spc": {}, "funnels": {}, "survey_comparisons": [], "equality": [], "early_days": [],
            "survey_groups": [], "followup_progress": {"repeated_themes": [], "escalate": [], "since_last_visit": None},
            "culture": {"gaps": [], "comments": []},
            "framework": {"id": None, "title": "Indicators", "sections": [], "indicators_version": None},
            "measures": [], "settings": {}}


def _measures(analysis: Any, facility_id: str) -> list[dict[str, Any]]:
    """The regime and outcome measures held for the facility, placed in its framework's sections."""
    context = analysis.estate.table("context")
    if context.empty:
        return []
    kinds = analysis.estate.facilities.set_index("facility_id")["facility_type"].astype(str)
    same_type = [f for f in kinds.index[kinds == kinds.get(facility_id)] if f != facility_id]
    pop = analysis.estate.table("population")
    return measures.measures_section(
        rows_of(context, facility_id), context, facility_id, same_type,
        analysis.definitions, analysis.framework_id(facility_id), analysis.control, analysis.settings.min_peers,
        population.monthly(rows_of(pop, facility_id)),
        peer_value=analysis._remember(("measure values",), lambda: measures.peer_values(context)))


def _framework(analysis: Any, facility_id: str) -> dict[str, Any]:
    """The pack's section framework (its type's, or the configured one); "Other indicators" last where needed."""
    from datapack.analysis.findings_context import OTHER

    name = analysis.framework_id(facility_id)
    framework = analysis.definitions.frameworks.get(name)
    sections = [{"id": s.id, "title": s.title} for s in framework.sections] if framework else []
    placed = {s["id"] for s in sections}
    if any(ind.sections.get(name, OTHER["id"]) not in placed for ind in analysis.definitions.indicators):
        sections.append(dict(OTHER))
    return {"id": name, "title": framework.title if framework else (name or "Indicators"),
            "sections": sections, "indicators_version": analysis.definitions.version}


def estate_context(estate, control: Control, built_at: dt.datetime,
                   facility_ids: list[str] | None = None) -> dict[str, Any]:
    """The estate index page: one row per facility (those in ``facility_ids`` when given), by name."""
    slugs = facility_slugs(estate)
    register = estate.facilities
    if facility_ids is not None:
        register = register[register["facility_id"].astype(str).isin({str(f) for f in facility_ids})]
    pop_table, recs, visits = estate.table("population"), estate.table("recommendations"), estate.table("visits")
    records = followup.records_control(control)
    rows = []
    for row in register.to_dict("records"):
        fid = str(row["facility_id"])
        kind = clean(row.get("facility_type")) or "other"
        basis = population.basis_for(kind)
        own_recs = recs[recs["facility_id"].astype(str) == fid]
        own_visits = visits[visits["facility_id"].astype(str) == fid]
        outstanding = own_recs["status"].isin(followup.OUTSTANDING).sum() if not own_recs.empty else 0
        last_visit = own_visits["start"].max() if not own_visits.empty else None
        rows.append({
            "id": fid, "slug": slugs[fid], "href": f"{slugs[fid]}/datapack.html", "files": [],
            "name": clean(row.get("name")) or fid, "type_label": TYPE_LABELS.get(kind, kind),
            "function": clean(row.get("function")), "region": clean(row.get("region")),
            "operator": clean(row.get("operator")), "basis": basis,
            "latest": population.latest_figure(pop_table[pop_table["facility_id"].astype(str) == fid], basis, control),
            "outstanding_recommendations": figure(records.count(float(outstanding))),
            "last_visit": date_label(last_visit) if last_visit is not None and pd.notna(last_visit) else None})
    rows.sort(key=lambda r: (r["name"].casefold(), r["id"]))
    return {"project": _project(estate), "built_at": _built(built_at), "version": datapack.__version__,
            "facilities": rows, "count": figure(records.count(float(len(rows)))),
            "views": [],  # the estate views' files, filled in by the build from what it wrote
            "disclosure": provenance.disclosure_section(control)}
