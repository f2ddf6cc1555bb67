"""Words on the rendered page: the cover's reading time and the short dates of narrow table columns.

Both describe the document as rendered, not the data, so they live with the renderers.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

#: Stands in a rendered pack for its reading time until the pack's words are counted (see :func:`reading_time`).
READING_MARK = "\u2063reading time\u2063"
#: Words a minute read, for the reading time on the cover (a careful reader of a report, not a skim).
WORDS_PER_MINUTE = 200


def reading_time(words: int) -> str:
    """``about 12 minutes (2,400 words before the appendices)``: the cover's reading time of a pack's text."""
    minutes = max(1, round(words / WORDS_PER_MINUTE))
    return f"about {minutes} minute{'s' if minutes != 1 else ''} ({words:,} words before the appendices)"


def short_date(label: Any) -> Any:
    """``30 Sep 2026`` for a date label such as ``30 September 2026`` (narrow table columns); anything that is
    not a whole date (blank, a month, free text) is returned as it is."""
    if not isinstance(label, str) or not re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4}", label.strip()):
        return label
    try:
        ts = pd.Timestamp(label)
    except (TypeError, ValueError):
        return label
    return f"{ts.day} {ts.strftime('%b %Y')}"
