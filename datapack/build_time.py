"""When a build says it was built: ``SOURCE_DATE_EPOCH``, else the newest date the inputs hold.

Every output carries its build time (the packs' "Built" line, the manifests,
the documents' core properties, the digest), and the analysis judges
recommendations overdue as at that moment, so the build time decides bytes
and figures alike. To make two builds of the same inputs byte-identical it
must come from the inputs, not the clock:

1. ``SOURCE_DATE_EPOCH`` (seconds since 1970, the reproducible-builds.org
   convention), read as UTC, when it is set;
2. otherwise the newest date held in the rows: the date that places each
   table's rows in time (``datapack.tables.coverage.DATE_COLUMN``: an
   incident's ``occurred``, a population ``month``, a visit's ``start``...)
   and the other dates of things that have happened (:data:`ALSO_DATED`:
   a period's end, when a recommendation's status was assessed), never a
   due date. Dates later than now are passed over, so a planned visit or a
   mistyped year cannot date a build in the future;
3. only when no row has such a date, the newest modification time of the
   input files, and failing that, now.

Dates held in the rows rather than modification times, because the dates are
part of the content: a fresh checkout, a copy or a download changes every
file's modification time but not a byte of its content, and the cache
already treats files with the same bytes as the same input.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pandas as pd

from datapack.problems import InputError, Problem
from datapack.tables.coverage import DATE_COLUMN

#: The environment variable that fixes the build time (https://reproducible-builds.org/specs/source-date-epoch/).
ENV = "SOURCE_DATE_EPOCH"
#: Besides each table's own date (``DATE_COLUMN``), the dates of things that have happened.
ALSO_DATED = {"incident_counts": ("period_end",), "context": ("period_end",), "recommendations": ("status_date",),
              "visits": ("end",), "population": ("count_date",)}


def source_date_epoch() -> dt.datetime | None:
    """``SOURCE_DATE_EPOCH`` as a naive UTC time, or None when unset; a malformed value is an input error."""
    value = os.environ.get(ENV, "").strip()
    if not value:
        return None
    try:
        return dt.datetime.fromtimestamp(int(value), dt.timezone.utc).replace(tzinfo=None)
    except (ValueError, OverflowError, OSError):
        raise InputError([Problem("source-date-epoch", f"{ENV}={value!r} is not a whole number of seconds "
                                  "since 1 January 1970", hint="set it to e.g. $(git log -1 --format=%ct), "
                                  "or unset it to date the build by its inputs")]) from None


def newest_date(tables: dict[str, pd.DataFrame], now: dt.datetime) -> dt.datetime | None:
    """The newest date, not after ``now``, that places a row in time (see the module docstring)."""
    newest = None
    for table, frame in tables.items():
        for column in (DATE_COLUMN.get(table), *ALSO_DATED.get(table, ())):
            if column not in frame.columns:
                continue
            dates = pd.to_datetime(frame[column], errors="coerce")
            if getattr(dates.dt, "tz", None) is not None:  # wall time, as the tables keep it
                dates = dates.dt.tz_localize(None)
            dates = dates[dates.notna() & (dates <= pd.Timestamp(now))]
            if not dates.empty and (newest is None or dates.max() > newest):
                newest = dates.max()
    return None if newest is None else newest.to_pydatetime().replace(microsecond=0)


def _newest_mtime(paths: list[str]) -> dt.datetime | None:
    times = [Path(p).stat().st_mtime for p in paths if Path(p).is_file()]
    return dt.datetime.fromtimestamp(int(max(times))) if times else None


def build_time(estate: Any, now: dt.datetime | None = None) -> dt.datetime:
    """The build time of ``estate``: ``SOURCE_DATE_EPOCH``, else its newest date, else its newest file, else now."""
    now = now or dt.datetime.now().replace(microsecond=0)
    return (source_date_epoch() or newest_date(estate.tables, now)
            or _newest_mtime([f.path for f in estate.files]) or now)
