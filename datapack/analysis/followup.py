"""Follow-up of past visits: recommendations by status, those still open, and past visits.

Counts here are of recommendations, visits and days, not of people, so
they go through a :class:`Control` with no small-number threshold (the
list of open recommendations shows each one anyway; hiding their number
would protect nobody).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from datapack.analysis.text import RATING_LABELS, STATUS_LABELS, clean, date_iso, date_label, figure
from datapack.disclosure import Control
from datapack.tables import schemas

#: Statuses that still need action, listed in the pack.
OUTSTANDING = ("not_achieved", "partly_achieved", "open")

_RATINGS = (("rating_safety", "Safety"), ("rating_respect", "Respect"),
            ("rating_purposeful_activity", "Purposeful activity"),
            ("rating_rehabilitation", "Rehabilitation and release planning"))


def records_control(control: Control) -> Control:
    """The same rules without a threshold or rounding, for counts of documents and days."""
    return Control(control.settings.model_copy(update={"threshold": 0, "rounding": None}))


def _overdue_days(due: Any, status: str, today: dt.date) -> int | None:
    if status not in OUTSTANDING or due is None or pd.isna(due):
        return None
    days = (today - pd.Timestamp(due).date()).days
    return days if days > 0 else None


def recommendations_section(frame: pd.DataFrame, control: Control, built_at: dt.datetime) -> dict[str, Any]:
    """The ``recommendations`` key of the context (see docs/context.md)."""
    records = records_control(control)
    if frame.empty:
        return {"available": False, "total": figure(records.count(0)), "by_status": [], "outstanding": [],
                "outstanding_count": figure(records.count(0)), "overdue": figure(records.count(0)),
                "repeats": figure(records.count(0)),
                "summary": "No recommendations from past visits are held for this facility."}
    today = built_at.date()
    status = frame["status"].map(clean)
    by_status = [{"status": s, "label": STATUS_LABELS[s], "count": figure(records.count(float((status == s).sum())))}
                 for s in schemas.REC_STATUSES]
    items = []
    for row in frame.to_dict("records"):
        st = clean(row.get("status")) or "open"
        if st not in OUTSTANDING:
            continue
        days = _overdue_days(row.get("due"), st, today)
        items.append({
            "ref": clean(row.get("ref")), "text": clean(row.get("text")), "theme": clean(row.get("theme")),
            "priority": clean(row.get("priority")), "owner": clean(row.get("owner")),
            "made": date_label(row.get("made")), "made_iso": date_iso(row.get("made")),
            "due": date_label(row.get("due")), "due_iso": date_iso(row.get("due")),
            "status": st, "status_label": STATUS_LABELS.get(st, st), "status_raw": clean(row.get("status_raw")),
            "overdue": days is not None,
            "overdue_days": figure(records.count(float(days))) if days is not None else None,
            "repeats_ref": clean(row.get("repeats_ref"))})
    # Longest overdue first, then oldest: the order a team would want to ask about them.
    items.sort(key=lambda r: (-(r["overdue_days"]["value"] if r["overdue_days"] else -1), r["made_iso"] or "",
                              r["ref"] or ""))
    overdue = sum(1 for r in items if r["overdue"])
    repeats = sum(1 for r in items if r["repeats_ref"])
    n = {k: records.count(float(v)).text for k, v in
         {"items": len(items), "all": len(frame), "overdue": overdue, "repeats": repeats}.items()}
    if items:
        summary = (f"{n['items']} of {n['all']} recommendations from past visits "
                   f"{'is' if len(items) == 1 else 'are'} not yet achieved"
                   + (f"; {n['overdue']} {'is' if overdue == 1 else 'are'} past {'its' if overdue == 1 else 'their'}"
                      " due date" if overdue else "")
                   + (f"; {n['repeats']} {'repeats' if repeats == 1 else 'repeat'} an earlier recommendation"
                      if repeats else "")
                   + ". For further enquiry: what has been done on each.")
    else:
        summary = f"All {n['all']} recommendations held for this facility are marked achieved or no longer applicable."
    return {"available": True, "total": figure(records.count(float(len(frame)))), "by_status": by_status,
            "outstanding": items, "outstanding_count": figure(records.count(float(len(items)))),
            "overdue": figure(records.count(float(overdue))),
            "repeats": figure(records.count(float(repeats))), "summary": summary}


def visits_section(frame: pd.DataFrame, control: Control, built_at: dt.datetime) -> list[dict[str, Any]]:
    """The ``visits`` key of the context: visits that have started by ``built_at``, latest first."""
    if frame.empty:
        return []
    records = records_control(control)
    past = frame[pd.to_datetime(frame["start"]) <= pd.Timestamp(built_at.date())]
    past = past.sort_values(["start", "visit_id"], ascending=[False, True])
    out = []
    for row in past.to_dict("records"):
        ratings = []
        for col, label in _RATINGS:
            score = row.get(col)
            if score is not None and not pd.isna(score):
                ratings.append({"test": label, "score": figure(records.count(float(score))),
                                "label": RATING_LABELS.get(int(score), "")})
        overall, framework = clean(row.get("overall_rating")), clean(row.get("framework"))
        parts = ([f"Overall: {overall}"] if overall else []) + \
            [f"{r['test']}: {r['score']['text']} ({r['label']})" for r in ratings]
        out.append({"id": clean(row.get("visit_id")), "start": date_label(row.get("start")),
                    "start_iso": date_iso(row.get("start")), "end": date_label(row.get("end")),
                    "type": clean(row.get("visit_type")), "body": clean(row.get("body")), "ratings": ratings,
                    "overall": overall, "framework": framework,
                    "ratings_text": "; ".join(parts) + (f" ({framework})" if parts and framework else "") or None})
    return out


def judgements_text(visits: list[dict[str, Any]]) -> str | None:
    """One sentence on the latest judgements against the ones before (from ``visits_section``), or None."""
    judged = [v for v in visits if v["ratings"] or v["overall"]]
    if not judged:
        return None
    last = judged[0]
    before = judged[1] if len(judged) > 1 else None
    said = []
    if last["overall"]:
        was = f", {before['overall']} before" if before and before["overall"] and before["overall"] != last["overall"] \
            else (", the same as before" if before and before["overall"] == last["overall"] else "")
        said.append(f"overall {last['overall']}{was}")
    earlier = {r["test"]: r for r in before["ratings"]} if before else {}
    for r in last["ratings"]:
        prev = earlier.get(r["test"])
        move = "" if prev is None else (" (the same as before)" if prev["score"]["value"] == r["score"]["value"]
                                        else f" (was {prev['score']['text']}, {prev['label']})")
        said.append(f"{r['test'].lower()} {r['score']['text']}, {r['label']}{move}")
    lead = f"At the visit that began {last['start']}" + (f" ({last['framework']})" if last["framework"] else "")
    versus = f"; compared with the visit that began {before['start']}" if before else ""
    return f"{lead}{versus}: " + "; ".join(said) + "."


def progress_section(frame: pd.DataFrame, visits: pd.DataFrame, control: Control, built_at: dt.datetime) -> dict[str, Any]:
    """``followup_progress``: themes raised at more than one visit, what to escalate, and change since the last visit.

    *Escalate*: outstanding recommendations that repeat an earlier one, or
    are more than a year past their due date. *Since the last visit*: of the
    recommendations made before it, how many are now achieved or still
    outstanding (by their latest status).
    """
    records = records_control(control)
    if frame.empty:
        return {"repeated_themes": [], "escalate": [], "since_last_visit": None}
    today = pd.Timestamp(built_at.date())
    themes = (frame.dropna(subset=["theme"]).groupby("theme")["visit_id"].nunique().sort_values(ascending=False))
    repeated = [{"theme": str(t), "visits": int(n),
                 "outstanding": int(frame[(frame["theme"] == t) & frame["status"].isin(OUTSTANDING)].shape[0])}
                for t, n in themes.items() if n > 1]
    due = pd.to_datetime(frame["due"])
    late = (today - due).dt.days
    escalate = frame[frame["status"].isin(OUTSTANDING) & (frame["repeats_ref"].notna() | (late > 365))]
    escalate_rows = [{"ref": clean(r["ref"]), "text": clean(r.get("text")), "theme": clean(r.get("theme")),
                      "why": "; ".join(w for w, c in (("repeats " + str(clean(r.get("repeats_ref"))),
                                                      bool(clean(r.get("repeats_ref")))),
                                                     ("over a year past its due date",
                                                      r.get("due") is not None and not pd.isna(r.get("due"))
                                                      and (today - pd.Timestamp(r["due"])).days > 365)) if c)}
                     for r in escalate.to_dict("records")]
    since = None
    started = pd.to_datetime(visits["start"]) if not visits.empty else pd.Series(dtype="datetime64[ns]")
    past = started[started <= today]
    if not past.empty:
        last = past.max()
        before = frame[pd.to_datetime(frame["made"]) < last]
        since = {"visit": date_label(last), "made_before": figure(records.count(float(len(before)))),
                 "achieved": figure(records.count(float((before["status"] == "achieved").sum()))),
                 "outstanding": figure(records.count(float(before["status"].isin(OUTSTANDING).sum())))}
    return {"repeated_themes": repeated, "escalate": escalate_rows, "since_last_visit": since}
