"""The "at a glance" page: key indicators and a few plain sentences.

Built from the other sections' figures (already through disclosure
control), so it adds no new number. Where the pack has areas for enquiry,
the sentences are drawn from them, so the summary and the areas cannot
disagree: a death heads it (the deaths area's finding, or the deaths list when a death since the last visit
raised no area), the population follows, then the areas most
severe first, then the follow-up of recommendations as the areas judged it.
"""

from __future__ import annotations

from typing import Any


def _indicator(label: str, fig: dict[str, Any], note: str | None = None) -> dict[str, Any]:
    return {"label": label, "figure": fig, "note": note}


def glance_section(pop: dict[str, Any], inc: dict[str, Any], survey_list: list[dict[str, Any]],
                   recs: dict[str, Any], enquiry: dict[str, Any] | None = None,
                   deaths: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``glance`` key of the context (see docs/context.md)."""
    rows: list[dict[str, Any]] = []
    latest = pop.get("latest")
    if latest and pop["basis"] == "throughput":
        rows.append(_indicator(f"Detentions, {latest['label']}", latest["throughput"]))
    elif latest:
        rows.append(_indicator(f"Population, {latest['label']}", latest["population"]))
        if latest["crowding"]["value"] is not None:
            rows.append(_indicator("Population as a share of in-use capacity", latest["crowding"],
                                   f"in-use capacity {latest['in_use_cna']['text']} places"))
    window = inc.get("window", "12 months")  # the incidents' window (analysis.window_months)
    for c in inc.get("categories", []):
        if c["rate_last"]["value"] is not None:
            note = f"{c['rate_last']['text']} {inc['rate_label']}; {c['change']['text']} on the previous {window}"
        else:
            note = f"previous {window}: {c['previous']['text']}; {c['change']['text']}"
        rows.append(_indicator(f"{c['label']}, last {window}", c["last"], note))
    seen: set[str] = set()
    for s in survey_list:  # latest wave of each survey comes first
        if s["survey"] in seen:
            continue
        seen.add(s["survey"])
        rows.append(_indicator(f"{s['label']}: respondents", s["respondents"], s["when"]))
    if recs["available"]:
        rows.append(_indicator("Recommendations not yet achieved", recs["outstanding_count"],
                               f"{recs['overdue']['text']} past their due date"))
    death = _death_since_visit(deaths)
    if not enquiry or enquiry.get("version") is None:  # no analysis: each section's own summary
        sentences = death + [section["summary"] for section in (pop, inc, recs) if section.get("summary")]
    else:
        sentences = _from_areas(pop, inc, recs, enquiry, death)
    return {"indicators": rows, "sentences": sentences}


def _death_since_visit(deaths: dict[str, Any] | None) -> list[str]:
    """The deaths list's sentence, when a death is recorded since the last visit (it heads the summary)."""
    if not deaths or not deaths.get("summary"):
        return []
    count = deaths["count"]
    return [deaths["summary"]] if count["hidden"] or (count["value"] or 0) > 0 else []


def _from_areas(pop: dict[str, Any], inc: dict[str, Any], recs: dict[str, Any],
                enquiry: dict[str, Any], death: list[str]) -> list[str]:
    """The summary drawn from the areas for enquiry (see the module docstring); what is not held is said too."""
    areas, findings = enquiry.get("areas", []), enquiry.get("findings", [])
    # The deaths area's first finding heads it; a death since the last visit that raised no area heads it too.
    out = [findings[i]["sentence"] for area in areas if area["id"] == "deaths" for i in area["findings"][:1]] or death
    if pop.get("summary"):
        out.append(pop["summary"])
    if not inc.get("available") and inc.get("summary"):  # no incidents held: say so, as the section does
        out.append(inc["summary"])
    first = [a for a in areas if a.get("first_page")]
    if first:
        named = "; ".join(f"{a['title'].lower()} ({a['severity']}, {len(a['findings'])} finding"
                          f"{'s' if len(a['findings']) > 1 else ''})" for a in first)
        more = len(areas) - len(first)
        out.append(f"Areas for enquiry, most severe first: {named}."
                   + (f" {more} more follow." if more else ""))
    else:
        out.append("Nothing in the data held was raised for enquiry.")
    if recs.get("summary"):
        raised = any(a["id"] == "followup" for a in areas)
        outstanding = (recs.get("outstanding_count") or {}).get("value")
        out.append(recs["summary"] if raised or not outstanding else
                   f"{recs['summary']} Not raised as an area for enquiry: below the settings that raise one.")
    return out
