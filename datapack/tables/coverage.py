"""What each source covers: rows, date range and months missing, per facility."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

#: The date that places each table's rows in time.
DATE_COLUMN = {
    "population": "month", "incidents": "occurred", "incident_counts": "period_start",
    "survey_responses": "submitted", "recommendations": "made", "visits": "start", "context": "period_start",
}
#: Tables expected to have something every month, so a gap is worth reporting.
MONTHLY = {"population", "incident_counts"}


@dataclass(frozen=True)
class Coverage:
    """One source's rows for one facility."""

    source: str
    table: str
    facility_id: str
    rows: int
    first: str | None
    last: str | None
    months_missing: list[str]

    def to_dict(self) -> dict:
        return asdict(self)


def months_missing(dates: pd.Series) -> list[str]:
    """Months between the first and last date with no row, as ``YYYY-MM``."""
    months = pd.to_datetime(dates.dropna()).dt.to_period("M")
    if months.empty:
        return []
    full = pd.period_range(months.min(), months.max(), freq="M")
    return [str(p) for p in full.difference(pd.PeriodIndex(months.unique()))]


def coverage(tables: dict[str, pd.DataFrame]) -> list[Coverage]:
    """Coverage per source and facility, for every table that has a date."""
    out: list[Coverage] = []
    for table, column in DATE_COLUMN.items():
        frame = tables.get(table)
        if frame is None or frame.empty or column not in frame.columns:
            continue
        for (source, facility), part in frame.groupby(["_source", "facility_id"], sort=True, dropna=False):
            dates = part[column].dropna()
            out.append(Coverage(
                str(source), table, str(facility), len(part),
                None if dates.empty else dates.min().date().isoformat(),
                None if dates.empty else dates.max().date().isoformat(),
                months_missing(dates) if table in MONTHLY or table == "incidents" else []))
    return out
