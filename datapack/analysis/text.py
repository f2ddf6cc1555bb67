"""Words for codes, dates and changes: how the pack spells what the tables hold.

Numbers themselves are formatted by :mod:`datapack.disclosure`; this module
only turns codes and dates into plain English and wraps a :class:`Shown`
figure in the plain-data form the context uses.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd

from datapack.disclosure import SMALL as SMALL_NOTE, Shown  # noqa: F401 (SMALL_NOTE: for the charts)
from datapack.slugs import slug  # noqa: F401  (the pack's spelling of a facility's folder name)

TYPE_LABELS = {
    "prison": "Prison", "yoi": "Young offender institution", "womens_prison": "Women's prison",
    "irc": "Immigration removal centre", "police_custody": "Police custody suite", "court_cells": "Court cells",
    "secure_hospital": "Secure hospital", "secure_childrens_home": "Secure children's home",
    "secure_training_centre": "Secure training centre", "short_term_holding": "Short-term holding facility",
    "other": "Other place of detention",
}

CATEGORY_LABELS = {
    "self_harm": "Self-harm", "death": "Deaths", "assault_on_staff": "Assaults on staff",
    "assault_on_detainee": "Assaults on detained people", "fight": "Fights", "assault": "Assaults",
    "use_of_force": "Use of force", "restraint": "Restraint", "segregation": "Segregation",
    "separation": "Separation", "seclusion": "Seclusion", "strip_search": "Strip searches",
    "body_search": "Body searches", "room_search": "Room searches", "disciplinary": "Disciplinary charges",
    "complaint": "Complaints", "escape": "Escapes", "fire": "Fires", "other": "Other incidents",
}

STATUS_LABELS = {
    "achieved": "Achieved", "partly_achieved": "Partly achieved", "not_achieved": "Not achieved",
    "open": "Open", "no_longer_applicable": "No longer applicable",
}

#: Healthy prison test scores (HMIP): 4 good ... 1 poor.
RATING_LABELS = {4: "good", 3: "reasonably good", 2: "not sufficiently good", 1: "poor"}


def lower_first(label: str) -> str:
    """Lower-case the first letter for use mid-sentence, unless the first word is an acronym (``NHS``)."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def figure(shown: Shown) -> dict[str, Any]:
    """A figure as plain data: its text always, its value only when it may be shown."""
    value = None if shown.hidden or shown.value is None else _plain_number(shown.value)
    out = {"text": shown.text, "value": value, "hidden": bool(shown.hidden)}
    if shown.hidden and shown.note:
        out["note"] = shown.note  # why: a small number, or hidden so another cannot be worked out
    return out


def no_data() -> dict[str, Any]:
    """The figure used where there is nothing to count."""
    return {"text": "no data", "value": None, "hidden": False}


def _plain_number(x: float) -> int | float:
    # Whole numbers as int so pack.json reads 412, not 412.0.
    f = float(x)
    return int(f) if f.is_integer() else round(f, 6)


def clean(value: Any) -> str | None:
    """A cell as text, or None when blank (NaN, NA, empty)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    text = str(value).strip()
    return text or None


def month_key(month: pd.Period) -> str:
    """``YYYY-MM``, the month as stored in the context."""
    return f"{month.year:04d}-{month.month:02d}"


def month_label(month: pd.Period, short: bool = False) -> str:
    """``September 2026`` (or ``Sep 2026`` when short)."""
    return month.to_timestamp().strftime("%b %Y" if short else "%B %Y")


def span_label(first: pd.Period, last: pd.Period, short: bool = True) -> str:
    """A run of months: ``Oct–Dec 2025``, ``Nov 2025–Jan 2026`` or one month."""
    if first == last:
        return month_label(first, short)
    fmt = "%b" if short else "%B"
    if first.year == last.year:
        return f"{first.to_timestamp().strftime(fmt)}–{month_label(last, short)}"
    return f"{month_label(first, short)}–{month_label(last, short)}"


def period_label(key: str, short: bool = False) -> str:
    """A chart point's period as words: a month (``YYYY-MM``: ``March 2026``) or a quarter by its first and
    last month (``YYYY-MM/YYYY-MM``: ``Jan–Mar 2026``)."""
    first, _, last = str(key).partition("/")
    if last:
        return span_label(pd.Period(first, freq="M"), pd.Period(last, freq="M"), short=True)
    return month_label(pd.Period(first, freq="M"), short)


def date_label(value: Any) -> str | None:
    """``30 September 2026``, or None for a blank date."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return clean(value)
    if pd.isna(ts):
        return None
    return f"{ts.day} {ts.strftime('%B %Y')}"


def date_iso(value: Any) -> str | None:
    """``2026-09-30``, or None for a blank date."""
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(ts) else ts.date().isoformat()


def month_end_label(month: pd.Period) -> str:
    """The last day of a month: ``30 September 2026``."""
    return date_label(month.to_timestamp(how="end")) or ""


def built_label(built_at: dt.datetime) -> str:
    """``5 October 2026 at 09:30``."""
    return f"{built_at.day} {built_at:%B %Y} at {built_at:%H:%M}"


def change(last: dict, previous: dict) -> dict[str, Any]:
    """How a figure moved between two periods, from the shown values only.

    Works on figures already through disclosure control, so a change can
    never reveal a hidden figure: either side hidden or missing means no
    change is given.
    """
    a, b = last.get("value"), previous.get("value")
    if last.get("hidden") or previous.get("hidden"):
        return {"text": "not shown (small numbers)", "direction": "none", "value": None}
    if a is None or b is None:
        return {"text": "no comparison", "direction": "none", "value": None}
    if b == 0:
        if a == 0:
            return {"text": "no change", "direction": "same", "value": 0}
        return {"text": "up from none", "direction": "up", "value": None}
    ratio = (a - b) / b
    pct = round(100 * ratio)
    if pct == 0:
        return {"text": "about the same", "direction": "same", "value": 0}
    word = "up" if pct > 0 else "down"
    return {"text": f"{word} {abs(pct)}%", "direction": word, "value": round(ratio, 4)}
