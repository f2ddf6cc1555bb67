"""Deaths since the last visit: each one's date, apparent cause and investigation status, never a name.

A real pre-visit pack lists every death in custody since the last inspection
with the state of its independent investigation (in England and Wales, the
Prisons and Probation Ombudsman's), so the team can ask what was learned. The
list is read from the incident rows of category ``death``; the investigation
status is the optional ``investigation`` column, and the pack says when it is
not held. Public outputs give only the number, under the small-count rule.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from datapack.analysis.text import date_label, figure
from datapack.disclosure import Control

#: The apparent causes of :data:`datapack.tables.schemas.DEATH_CAUSES`, in words.
CAUSE_LABELS = {"self_inflicted": "self-inflicted", "natural": "natural causes", "homicide": "homicide",
                "other": "other causes", "awaiting": "awaiting classification"}


def deaths_section(incidents: pd.DataFrame, visits: pd.DataFrame, window_start: pd.Timestamp | None,
                   control: Control) -> dict[str, Any]:
    """The ``deaths`` key: deaths at the facility since its last visit (or in the window when none is held).

    ``incidents`` and ``visits`` are the facility's rows; ``window_start`` the first day of the last window,
    used when no visit is held. Each row: ``date``, ``cause``, ``investigation`` (or None), ``count`` (an
    event log has one death a row; a table of counts may have more).
    """
    held = not incidents.empty and "category" in incidents.columns
    visit_end = _last_visit(visits)
    since = visit_end + pd.Timedelta(days=1) if visit_end is not None else window_start  # from the day after it
    since_label = (f"the last visit ({date_label(visit_end)})" if visit_end is not None else
                   f"{date_label(window_start)}, the start of the last window" if window_start is not None else None)
    out: dict[str, Any] = {"available": held, "since": since_label, "rows": [], "count": figure(control.count(None)),
                           "investigation_held": False, "summary": None}
    if not held or since is None:
        out["summary"] = "No incident records are held, so deaths cannot be listed." if not held else None
        return out
    dead = incidents[(incidents["category"] == "death") & (incidents["occurred"] >= since)]
    dead = dead.sort_values("occurred")
    counts = (dead["count"].astype("Float64").fillna(1).astype(float) if "count" in dead.columns
              else pd.Series(1.0, index=dead.index))
    total = float(counts.sum())
    shown = control.count(total)
    out["count"] = figure(shown)
    blank = pd.Series(None, index=dead.index, dtype=object)
    status = dead["investigation"] if "investigation" in dead.columns else blank
    causes = dead["subcategory"] if "subcategory" in dead.columns else blank
    out["investigation_held"] = bool(status.notna().any())
    if not control.suppresses:  # the team's pack lists each death; a public output gives the number only
        out["rows"] = [{"date": date_label(when), "cause": CAUSE_LABELS.get(_text(cause), _text(cause) or "not recorded"),
                        "investigation": _text(inv), "count": figure(control.count(n))}
                       for when, cause, inv, n in zip(dead["occurred"], causes, status, counts)]
    out["summary"] = _summary(total, shown, since_label, out)
    return out


def _summary(total: float, shown: Any, since_label: str, out: dict[str, Any]) -> str:
    if total == 0:
        return f"No death is recorded since {since_label}."
    if shown.hidden:
        return f"Deaths since {since_label}: {shown.text} (a small number, not shown in this output)."
    noun = "death is" if total == 1 else "deaths are"
    causes = "; ".join(f"{r['date']}, {r['cause']}" for r in out["rows"])
    text = f"{shown.text} {noun} recorded since {since_label}" + (f": {causes}." if causes else ".")
    if out["rows"] and not out["investigation_held"]:
        text += (" The status of each investigation is not held in the incident records: ask for it (in England "
                 "and Wales, the Prisons and Probation Ombudsman's).")
    return text + " For further enquiry: what was learned, and what has changed since."


def _last_visit(visits: pd.DataFrame) -> pd.Timestamp | None:
    if visits.empty:
        return None
    ends = visits["end"] if "end" in visits.columns else pd.Series(dtype="datetime64[ns]")
    when = ends.fillna(visits["start"]) if "start" in visits.columns else ends
    when = pd.to_datetime(when, errors="coerce").dropna()
    return None if when.empty else when.max().normalize()


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None
