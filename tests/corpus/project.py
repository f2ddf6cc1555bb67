"""A tiny estate to swap bad inputs into: three prisons, five sources, two years of data.

Written afresh for each case by :func:`write_project`, deterministically, so a
case can replace one file or one setting and compare what happens with what
the clean estate gives. It is small on purpose: every case is validated and
built, and a case must take well under a second.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import yaml

#: The three facilities: id, name, alias as the exports write it.
FACILITIES = (("ALD", "HMP Alder", "Alder Wood"), ("BRC", "HMP Birch", "Birch Hill"),
              ("CDR", "HMP Cedar", "Cedar Vale"))
MONTHS = [dt.date(2024 + (9 + i) // 12, (9 + i) % 12 + 1, 1) for i in range(24)]  # Oct 2024 - Sep 2026

BASE_CONFIG = {
    "project": {"title": "Corpus estate", "body": "Test body", "marking": "OFFICIAL"},
    "cache": None,
    "history": None,
    "sources": [
        {"name": "register", "table": "facilities", "path": "sources/register.csv",
         "columns": {"facility_id": "Code", "name": "Name", "aliases": "Aliases", "facility_type": "Type",
                     "function": "Function", "capacity": "Capacity"}},
        {"name": "incidents", "table": "incidents", "path": "sources/incidents.csv",
         "columns": {"incident_id": "Ref", "facility": "Establishment", "occurred": "Date",
                     "category": "Type", "serious": "Serious", "count": "Count"},
         "dates": {"occurred": "%d/%m/%Y"}},
        {"name": "population", "table": "population", "path": "sources/population.csv",
         "columns": {"facility": "Establishment", "month": "Month", "population": "Population",
                     "operational_capacity": "Operational capacity"},
         "dates": {"month": "%Y-%m"}},
        {"name": "visits", "table": "visits", "path": "sources/visits.csv",
         "columns": {"visit_id": "Visit", "facility": "Establishment", "start": "Start", "end": "End",
                     "visit_type": "Type"},
         "dates": {"start": "%d/%m/%Y", "end": "%d/%m/%Y"}},
        {"name": "recommendations", "table": "recommendations", "path": "sources/recommendations.csv",
         "columns": {"ref": "Ref", "facility": "Establishment", "visit_id": "Visit", "made": "Made",
                     "text": "Recommendation", "status": "Status"},
         "dates": {"made": "%d/%m/%Y"}},
    ],
}


def _csv(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def register_csv() -> bytes:
    """The register: every facility a Category B prison, so they are peers on the funnels."""
    return _csv([["Code", "Name", "Aliases", "Type", "Function", "Capacity"]]
                + [[fid, name, alias, "prison", "Category B", 600 + 100 * i]
                   for i, (fid, name, alias) in enumerate(FACILITIES)])


def incidents_csv() -> bytes:
    """Self-harm and use of force, 6 to 11 a month each (never small, so nothing is hidden)."""
    rows: list[list[object]] = [["Ref", "Establishment", "Date", "Type", "Serious", "Count"]]
    ref = 0
    for i, (fid, name, _) in enumerate(FACILITIES):
        for m, month in enumerate(MONTHS):
            for kind, base in (("Self Harm", 6 + i), ("Use of Force", 7)):
                for k in range(base + (m * 7 + i) % 5):
                    ref += 1
                    day = month + dt.timedelta(days=(k * 3) % 27)
                    rows.append([f"R{ref}", name if k % 2 else fid, day.strftime("%d/%m/%Y"), kind,
                                 "Y" if k % 4 == 0 else "N", 1])
    return _csv(rows)


def population_csv() -> bytes:
    """Monthly average population and operational capacity."""
    rows: list[list[object]] = [["Establishment", "Month", "Population", "Operational capacity"]]
    for i, (_, name, _) in enumerate(FACILITIES):
        for m, month in enumerate(MONTHS):
            rows.append([name, month.strftime("%Y-%m"), 550 + 100 * i + m % 7, 620 + 100 * i])
    return _csv(rows)


def visits_csv() -> bytes:
    """One full visit to each facility."""
    return _csv([["Visit", "Establishment", "Start", "End", "Type"]]
                + [[f"V{i + 1}", name, f"0{i + 3}/03/2025", f"1{i + 3}/03/2025", "full"]
                   for i, (_, name, _) in enumerate(FACILITIES)])


def recommendations_csv() -> bytes:
    """Two recommendations from each visit, one achieved and one not."""
    rows: list[list[object]] = [["Ref", "Establishment", "Visit", "Made", "Recommendation", "Status"]]
    for i, (_, name, _) in enumerate(FACILITIES):
        rows.append([f"V{i + 1}.1", name, f"V{i + 1}", "20/04/2025", "Improve the first night centre.", "Achieved"])
        rows.append([f"V{i + 1}.2", name, f"V{i + 1}", "20/04/2025", "Review the use of force.", "Not achieved"])
    return _csv(rows)


SOURCES = {"register.csv": register_csv, "incidents.csv": incidents_csv, "population.csv": population_csv,
           "visits.csv": visits_csv, "recommendations.csv": recommendations_csv}


def write_project(root: Path, config: dict | None = None) -> Path:
    """The clean estate under ``root``; returns the path of its ``datapack.yaml``."""
    (root / "sources").mkdir(parents=True, exist_ok=True)
    for name, make in SOURCES.items():
        (root / "sources" / name).write_bytes(make())
    path = root / "datapack.yaml"
    path.write_text(yaml.safe_dump(config or BASE_CONFIG, sort_keys=False))
    return path
