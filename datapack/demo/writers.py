"""File layouts: the register, the incident log (old CSV and new XLSX exports) and population files.

Each function writes one kind of file as the real export lays it out,
quirks included (a BOM, day-first dates, drifting names and capitalisation,
title rows, footnote markers), and returns the paths written.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from datapack.demo import vocab
from datapack.demo.estate import Facility
from datapack.demo.people import ETHNICITY, person_refs
from datapack.demo.population import Population, Timeline, report_date
from datapack.demo.workbook import write_ods, write_xlsx

#: Headings of the old system's CSV export and the new system's XLSX export.
CSV_HEADINGS = {
    "incident_id": "Incident Ref", "facility": "Establishment", "occurred": "Incident Date/Time",
    "category": "Incident Type", "subcategory": "Sub-type", "serious": "Serious", "hospital": "Hospital Attendance",
    "duration_hours": "Segregation Duration (hrs)", "person_ref": "Person Ref", "age_band": "Age Band", "sex": "Sex",
    "ethnicity": "Ethnic Group", "religion": "Religion", "disability": "Disability",
    "nationality": "Nationality Group", "location": "Location", "arrival_date": "Date of Arrival",
}
XLSX_HEADINGS = {
    **CSV_HEADINGS, "incident_id": "Ref", "occurred": "Date/Time of Incident", "subcategory": "Sub Type",
    "serious": "Serious (Y/N)", "hospital": "Hospital (Y/N)", "duration_hours": "Duration (hours)",
    "ethnicity": "Ethnicity", "nationality": "Nationality", "arrival_date": "Arrival Date",
}
INCIDENT_SHEET = "Incidents"
BULLETIN_SHEET = "MonthlyBulletin"


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8 with a byte-order mark and Windows line endings, as exported from Excel-minded systems."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")


def write_register(estate: tuple[Facility, ...], path: Path) -> None:
    """The facility register (canonical headings; aliases hold odd spellings seen in exports)."""
    write_csv(pd.DataFrame({
        "facility_id": [f.facility_id for f in estate],
        "name": [f.name for f in estate],
        "aliases": [";".join(a for a in (f.short, f.bulletin_name) if a) for f in estate],
        "facility_type": [f.facility_type for f in estate],
        "function": [f.function for f in estate],
        "operator": [f.operator for f in estate],
        "region": [f.region for f in estate],
        "capacity": [f.capacity for f in estate],
        "population_group": [f.population_group for f in estate],
        "body": [f.body for f in estate],
        "opened": [f.opened.isoformat() for f in estate],
        "closed": ["" for _ in estate],
    }), path)


def _drift(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Capitalisation drift: most as written, some lower case, some Title Case."""
    out = labels.copy()
    u = rng.random(len(labels))
    has = np.array([isinstance(v, str) for v in labels], dtype=bool)
    low, title = has & (u < 0.12), has & (u >= 0.12) & (u < 0.20)
    out[low] = [v.lower() for v in labels[low]]
    out[title] = [v.title() for v in labels[title]]
    return out


def _yes_no(values: np.ndarray) -> np.ndarray:
    return np.array([("Y" if v else "N") if isinstance(v, (bool, np.bool_)) else None for v in values], dtype=object)


def incident_layout(frame: pd.DataFrame, estate: tuple[Facility, ...], seed: int, rng: np.random.Generator,
                    new_system: bool) -> pd.DataFrame:
    """Incidents as an export writes them: labels, drifting names, Y/N flags, dates as text or cells."""
    f = frame["facility"].to_numpy()
    ftype = np.array([x.facility_type for x in estate], dtype=object)[f]
    variants = np.array([x.name_variants for x in estate], dtype=object)
    p = (0.6, 0.0, 0.0, 0.4) if new_system else (0.55, 0.2, 0.1, 0.15)
    establishment = variants[f, rng.choice(4, size=len(f), p=p)]
    cats = frame["category"].to_numpy()
    labels = {(c, t): vocab.type_label(c, t) for c, t in set(zip(cats, ftype))}
    types = np.array([labels[(c, t)] for c, t in zip(cats, ftype)], dtype=object)
    if new_system:  # the newer system writes sentence case
        types = np.array([t[0] + t[1:].lower() for t in types], dtype=object)
    sub = frame["subcategory_label"].to_numpy(dtype=object).copy()
    deaths = cats == "death"
    sub[deaths] = [vocab.DEATH_LABELS[k] for k in frame["subcategory"].to_numpy()[deaths]]
    out = pd.DataFrame({
        "incident_id": frame["incident_id"].to_numpy(),
        "facility": establishment,
        "occurred": frame["occurred"] if new_system else frame["occurred"].dt.strftime("%d/%m/%Y %H:%M"),
        "category": types,
        "subcategory": _drift(sub, rng),
        "serious": _yes_no(frame["serious"].to_numpy()),
        "hospital": _yes_no(frame["hospital"].to_numpy()),
        "duration_hours": frame["duration_hours"],
        "person_ref": person_refs(frame["person"].to_numpy(), seed),
        **{c: frame[c].to_numpy() for c in ("age_band", "sex", "ethnicity", "religion", "disability",
                                            "nationality", "location")},
        "arrival_date": frame["arrival_date"] if new_system else frame["arrival_date"].dt.strftime("%d/%m/%Y"),
    })
    return out.rename(columns=XLSX_HEADINGS if new_system else CSV_HEADINGS)


def assign_refs(frame: pd.DataFrame) -> pd.DataFrame:
    """Incidents in time order, each with a reference numbered within its year (IR-2026-000123)."""
    frame = frame.sort_values(["occurred", "facility"], kind="stable").reset_index(drop=True)
    year = frame["occurred"].dt.year.to_numpy()
    seq = pd.Series(np.ones(len(frame), dtype=int)).groupby(year).cumsum().to_numpy()
    frame.insert(0, "incident_id", np.char.add(np.char.add("IR-", year.astype(str)),
                                               np.char.add("-", np.char.zfill(seq.astype(str), 6))))
    return frame


def write_incidents(frame: pd.DataFrame, estate: tuple[Facility, ...], timeline: Timeline, seed: int,
                    rng: np.random.Generator, folder: Path) -> list[Path]:
    """Before the end date's year: the old system's CSV, a file a year; that year: the new system's XLSX.

    ``frame`` comes from :func:`assign_refs`.
    """
    folder.mkdir(parents=True, exist_ok=True)
    cut = frame["occurred"] >= pd.Timestamp(timeline.end.year, 1, 1)
    old = incident_layout(frame[~cut].reset_index(drop=True), estate, seed, rng, new_system=False)
    new = incident_layout(frame[cut].reset_index(drop=True), estate, seed, rng, new_system=True)
    xlsx_path = folder / f"incident_log_{timeline.end.year}.xlsx"
    paths = []
    years = frame.loc[~cut, "occurred"].dt.year.reset_index(drop=True)
    for year in sorted(years.unique()):
        path = folder / f"incident_log_{year}.csv"
        write_csv(old[(years == year).to_numpy()], path)
        paths.append(path)
    write_xlsx(xlsx_path, [(INCIDENT_SHEET, new, [])])
    return [*paths, xlsx_path]


def _bulletin_rows(estate: tuple[Facility, ...], pop: Population, m: int, month: pd.Timestamp,
                   when: dt.date) -> list[list]:
    rows: list[list] = [[f"Monthly Bulletin - {month:%B %Y}"], [f"Report Date : {when.day}/{when.month}/{when.year}"],
                        [], ["Prison Name", "Baseline CNA", "In Use CNA", "Operational Capacity", "Population *",
                             "% Pop to In Use CNA"]]
    listed = sorted((f.bulletin_name or f.short, i) for i, f in enumerate(estate) if f.in_bulletin)
    totals = np.zeros(4)
    for name, i in listed:
        figures = [pop.baseline_cna[i, m], pop.in_use_cna[i, m], pop.operational_capacity[i, m], pop.population[i, m]]
        totals += figures
        rows.append([name, *(int(v) for v in figures), f"{round(100 * figures[3] / figures[1])}%"])
    margin = int(round(totals[2] * 0.015))
    rows.append(["Total", *(int(v) for v in totals[:2]), f"{int(totals[2]) - margin}**", int(totals[3]),
                 f"{round(100 * totals[3] / totals[1])}%"])
    rows += [[], ["Report produced by the Capacity Management Team (demonstration data, not official statistics)."],
             ["*The prison unlock figure may be lower than the 'Population', as the 'Population' includes "
              "prisoners on authorised absence."],
             [f"** Useable Operational Capacity of the estate is the sum of all establishments' operational "
              f"capacity less {margin} places."],
             [f"The report is compiled from data on the last working Friday in {month:%B %Y} ."], [],
             ["Definitions of Accommodation Terms"], [],
             ["Certified Normal Accommodation (CNA), or uncrowded capacity, is the Prison Service's own measure "
              "of accommodation."]]
    return rows


def write_bulletins(estate: tuple[Facility, ...], timeline: Timeline, pop: Population, folder: Path) -> list[Path]:
    """One ODS per month laid out like the HMPPS monthly bulletin."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    if not any(f.in_bulletin for f in estate):
        return paths
    for m, month in enumerate(timeline.months):
        path = folder / f"Population_Bulletin_{month:%B}_{month:%Y}.ods"
        write_ods(path, BULLETIN_SHEET, _bulletin_rows(estate, pop, m, month, report_date(month, timeline.end)))
        paths.append(path)
    return paths


def write_other_population(estate: tuple[Facility, ...], timeline: Timeline, pop: Population,
                           folder: Path) -> list[Path]:
    """Police custody detentions and secure hospital occupancy: two plain CSVs."""
    folder.mkdir(parents=True, exist_ok=True)
    police = [(i, f) for i, f in enumerate(estate) if f.facility_type == "police_custody"]
    hospital = [(i, f) for i, f in enumerate(estate) if f.facility_type == "secure_hospital"]
    months = timeline.months
    throughput = pd.DataFrame({
        "Custody suite": np.repeat([f.name for _, f in police], len(months)),
        "Month": np.tile(months.strftime("%Y-%m"), len(police)),
        "Detentions": np.concatenate([pop.throughput[i] for i, _ in police]).astype(int) if police else [],
    })
    beds = pd.DataFrame({
        "Unit": np.repeat([f.name for _, f in hospital], len(months)),
        "Month": np.tile(months.strftime("%b %Y"), len(hospital)),
        "Commissioned beds": np.concatenate([pop.operational_capacity[i] for i, _ in hospital]).astype(int)
        if hospital else [],
        "Average occupied beds": np.concatenate([pop.population[i] for i, _ in hospital]) if hospital else [],
    })
    write_csv(throughput, folder / "custody_throughput.csv")
    write_csv(beds, folder / "secure_hospital_occupancy.csv")
    return [folder / "custody_throughput.csv", folder / "secure_hospital_occupancy.csv"]


def write_population_mix(mix: pd.DataFrame, estate: tuple[Facility, ...], path: Path) -> None:
    """People held by ethnic group at the start of each quarter: one column per group (wide)."""
    names = {f.facility_id: f.name for f in estate}
    out = pd.DataFrame({"Establishment": mix["facility_id"].map(names),
                        "Count date": pd.to_datetime(mix["period_start"]).dt.strftime("%d/%m/%Y")})
    for group in ETHNICITY:
        out[f"Ethnicity: {group}"] = mix[group]
    out["Total"] = mix[list(ETHNICITY)].sum(axis=1)
    write_csv(out, path)
