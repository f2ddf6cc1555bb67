"""Surveys, people at risk, early days and culture as pack context.

Like :mod:`datapack.analysis.findings_context`: plain JSON-ready dicts,
every figure through the disclosure control, groups below the threshold
not discussed, comments quoted only after redaction.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from datapack.analysis.facility_rows import rows_of
from datapack.analysis.redact import comments_for_pack
from datapack.analysis.text import CATEGORY_LABELS, figure

#: HMIP's shading, with a shape for each so colour is never the only signal.
SHADES = {"significantly better": ("better", "▲"), "significantly worse": ("worse", "▼"),
          "no significant difference": ("same", "●"), "no valid comparison": ("none", "○")}


def _pct(control: Any, x: Any, n: Any) -> dict[str, Any]:
    if x is None or n is None or pd.isna(x) or pd.isna(n) or n == 0:
        return {"text": "no data", "value": None, "hidden": False}
    return figure(control.percent(float(x), float(n)))


def _shade(label: Any) -> dict[str, str]:
    kind, shape = SHADES.get(str(label), ("none", "○"))
    return {"label": str(label) if label in SHADES else "no valid comparison", "kind": kind, "shape": shape}


def survey_comparison_section(analysis: Any, facility_id: str) -> list[dict[str, Any]]:
    """``survey_comparisons``: each survey's latest wave against the previous wave and similar places."""
    control = analysis.control
    book = analysis.codebook()
    out = []
    for survey in analysis.surveys(facility_id):
        table = analysis.survey_comparison(facility_id, survey)
        if table.empty:
            continue
        wave, previous = analysis.latest_wave(facility_id, survey)
        rows = []
        for row in table.to_dict("records"):
            entry = book.get((survey, row["question"]), {})
            here = _pct(control, row["n_positive"], row["n_answering"])
            rows.append({
                "question": row["question"], "text": entry.get("text") or row["question"],
                "theme": entry.get("theme"), "positive": entry.get("positive_text"),
                "n": figure(control.count(row["n_answering"])), "pct": here,
                "previous": _pct(control, row["previous_n_positive"], row["previous_n_answering"]),
                "peers": _pct(control, row["peers_n_positive"], row["peers_n_answering"]),
                "vs_previous": _shade(row["previous_label"] if not here["hidden"] else "no valid comparison"),
                "vs_peers": _shade(row["peers_label"] if not here["hidden"] else "no valid comparison"),
                "good_direction": row.get("good_direction") or "up"})
        out.append({"survey": survey, "label": f"{survey.capitalize()} survey", "wave": str(wave),
                    "previous_wave": None if previous is None else str(previous),
                    "peers_included": int(table["peers_included"].max()) if "peers_included" in table else 0,
                    "chart": f"survey-{survey}", "rows": rows,
                    "worse": sum(r["vs_peers"]["kind"] == "worse" for r in rows),
                    "better": sum(r["vs_peers"]["kind"] == "better" for r in rows)})
    return out


def equality_section(analysis: Any, facility_id: str) -> list[dict[str, Any]]:
    """``equality``: for each practice, each group's share of people involved against its share held."""
    control = analysis.control
    table = analysis.equality(facility_id)
    if table.empty:
        return []
    out = []
    for (practice, characteristic), part in table.groupby(["practice", "characteristic"], sort=False):
        rows = []
        for row in part.to_dict("records"):
            small = row.get("label") == "too few to report" or pd.isna(row.get("relative_rate"))
            rows.append({
                "group": str(row["group"]), "reportable": not small,
                "people": figure(control.count(row.get("incidents"))) if not small else
                {"text": control.settings.symbol, "value": None, "hidden": True},
                "share": f"{row['incident_share']:.0%}" if not small else None,
                "population_share": f"{row['population_share']:.0%}" if not small else None,
                "ratio": round(float(row["relative_rate"]), 2) if not small else None,
                "low": round(float(row["ci_low"]), 2) if not small and pd.notna(row["ci_low"]) else None,
                "high": round(float(row["ci_high"]), 2) if not small and pd.notna(row["ci_high"]) else None,
                "flagged": bool(row.get("flagged")) and not small, "label": row.get("label")})
        if not any(r["reportable"] for r in rows):
            continue
        label = CATEGORY_LABELS.get(practice, practice.replace("_", " "))
        out.append({"id": f"equality-{practice}-{characteristic}", "practice": practice, "practice_label": label,
                    "characteristic": characteristic, "characteristic_label": characteristic.replace("_", " "),
                    "confidence": round(100 * analysis.equality_confidence),
                    "threshold": analysis.settings.equality_threshold, "rows": rows,
                    "flagged": sum(r["flagged"] for r in rows), "chart": f"equality-{practice}-{characteristic}"})
    out.sort(key=lambda s: (-s["flagged"], s["practice"], s["characteristic"]))
    return out


def early_days_section(analysis: Any, facility_id: str) -> list[dict[str, Any]]:
    """``early_days``: incidents within 1, 7 and 28 days of arrival, against the previous period and peers."""
    control = analysis.control
    rows = []
    for share in analysis.early:
        if share.facility_id != facility_id or share.known == 0:
            continue
        rows.append({"group": CATEGORY_LABELS.get(share.group, share.group), "window": share.label,
                     "days": share.days, "early": figure(control.count(share.early)),
                     "known": figure(control.count(share.known)),
                     "pct": _pct(control, share.early, share.known),
                     "previous": _pct(control, share.prev_early, share.prev_known),
                     "peers": _pct(control, share.peer_early, share.peer_known),
                     "higher_than_peers": share.higher_than_peers, "higher_than_previous": share.higher_than_prev})
    return rows


def culture_section(analysis: Any, facility_id: str) -> dict[str, Any]:
    """``culture``: staff and detained people on matched themes, and themed comments (redacted)."""
    control = analysis.control
    book = analysis.codebook()
    gaps = []
    table = analysis.culture_gap(facility_id)
    for row in ([] if table.empty else table.to_dict("records")):
        gaps.append({"theme": str(row["theme"]).replace("_", " "),
                     "staff_question": book.get(("staff", row["staff_question"]), {}).get("text") or row["staff_question"],
                     "detainee_question": book.get(("detainee", row["detainee_question"]), {}).get("text")
                     or row["detainee_question"],
                     "staff": _pct(control, row["staff_n_positive"], row["staff_n_answering"]),
                     "detainees": _pct(control, row["detainee_n_positive"], row["detainee_n_answering"]),
                     "gap": None if pd.isna(row["gap"]) else round(float(row["gap"])), "label": row["label"]})
    responses = analysis.estate.table("survey_responses")
    comments = []
    if not responses.empty:
        for survey in analysis.surveys(facility_id):
            wave, _ = analysis.latest_wave(facility_id, survey)
            themed = comments_for_pack(responses, analysis.estate.table("survey_questions"), facility_id,
                                       min_group=control.min_people, survey=survey, wave=wave)
            for t in themed:
                if t.count == 0:
                    continue
                comments.append({"survey": survey, "wave": str(wave), "theme": t.theme,
                                 "count": figure(control.count(t.count)) if t.count is not None else
                                 {"text": t.note, "value": None, "hidden": True},
                                 "quotes": list(t.quotes), "note": t.note})
    return {"gaps": gaps, "comments": comments}


#: Respondent characteristics a detainee survey is broken down by, where they were asked.
BREAKDOWN_BY = ("ethnicity", "disability", "age_band", "religion", "sex", "nationality")


def survey_groups_section(analysis: Any, facility_id: str) -> list[dict[str, Any]]:
    """``survey_groups``: answers by respondent group that differ significantly from everyone else's.

    Only groups with at least ``analysis.survey_min_group`` respondents (and as
    many outside them) are discussed; the rest are named as too few to report.
    """
    from datapack.analysis.survey_stats import breakdown

    control = analysis.control
    responses = analysis.estate.table("survey_responses")
    if responses.empty:
        return []
    book = analysis.codebook()
    min_group = max(analysis.settings.survey_min_group, control.min_people)
    out = []
    for survey in analysis.surveys(facility_id):
        wave, _ = analysis.latest_wave(facility_id, survey)
        mine = rows_of(responses, facility_id).pipe(lambda own: own[own["survey"] == survey])
        for characteristic in BREAKDOWN_BY:
            if characteristic not in mine or mine[characteristic].isna().all():
                continue
            table = breakdown(responses, analysis.estate.table("survey_questions"), facility_id, survey, wave,
                              characteristic, analysis.settings.alpha, min_group)
            if table.empty:
                continue
            too_few = sorted({str(g).replace("_", " ") for g in table.loc[table["label"] == "too few to report", "group"]})
            differs = table[table["significant"] == True]  # noqa: E712
            rows = []
            for row in differs.to_dict("records"):
                entry = book.get((survey, row["question"]), {})
                rows.append({"survey": f"{survey.capitalize()} {wave}", "group": str(row["group"]).replace("_", " "),
                             "question": entry.get("text") or row["question"],
                             "respondents": figure(control.count(row["respondents"])),
                             "pct": _pct(control, row["n_positive"], row["n_answering"]),
                             "rest": _pct(control, row["rest_n_positive"], row["rest_n_answering"]),
                             "label": row["label"], "shade": _shade(row["label"])})
            out.append({"survey": survey, "wave": str(wave), "characteristic": characteristic,
                        "characteristic_label": characteristic.replace("_", " "), "rows": rows,
                        "too_few": too_few, "min_group": min_group})
    return out
