"""The "at a glance" page: key indicators and one plain sentence per section.

Built from the other sections' figures (already through disclosure
control), so it adds no new number. Later work adds the areas for enquiry
(control-chart signals, peer position) here, most severe first.
"""

from __future__ import annotations

from typing import Any


def _indicator(label: str, fig: dict[str, Any], note: str | None = None) -> dict[str, Any]:
    return {"label": label, "figure": fig, "note": note}


def glance_section(pop: dict[str, Any], inc: dict[str, Any], survey_list: list[dict[str, Any]],
                   recs: dict[str, Any]) -> dict[str, Any]:
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
    sentences = [section["summary"] for section in (pop, inc, recs) if section.get("summary")]
    return {"indicators": rows, "sentences": sentences}
