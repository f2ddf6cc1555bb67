"""Who is held and what the regime offers: the population profile and the regime measures of the demo.

* ``population_profile.csv`` (wide, one column per group): the people held at the start of each
  quarter by age band and nationality, counted from the same pools of people as the incidents (so
  the groups match the incident log's), and by legal status (remand, recall, sentenced), drawn by
  function. Residential places only; secure hospitals and IRCs have no legal status column.
* ``regime_measures.csv`` (long, one row per measure and period): time out of cell, people in work,
  education or training, attendance, settled accommodation and work after release each quarter,
  receptions each month, and the average length of stay in an IRC. Kestrel Moor's time out of cell
  falls over the last year (planted, beside its rise in violence).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from datapack.demo.estate import Facility
from datapack.demo.people import LABELS, Pool
from datapack.demo.population import Population, Timeline
from datapack.demo.writers import write_csv

LEGAL = ("Remand", "Recall", "Sentenced")
#: function -> (remand, recall) shares
_LEGAL = {"Category B reception": (.27, .12), "Women's local": (.30, .14), "Young offender": (.34, .08),
          "Category C training": (.02, .09), "High security": (.05, .03), "Category D open": (0, .04)}
_PROFILE = {"age_band": "Age band", "nationality": "Nationality"}

#: function -> (hours out of cell, % in activity, % attendance, % settled accommodation, % in work after release)
_REGIME = {"Category B reception": (3.8, 62, 71, 68, 14), "Women's local": (6.2, 74, 78, 58, 12),
           "Young offender": (4.4, 80, 69, 72, 10), "Category C training": (6.8, 86, 82, 76, 27),
           "High security": (5.1, 78, 80, None, None), "Category D open": (9.5, 92, 85, 84, 41)}
#: Measures as they are written in the file (the configuration maps them to the indicators file's factors).
MEASURES = {"time_out_of_cell": "Time out of cell (hours a weekday)",
            "purposeful_activity_pct": "In work, education or training (%)",
            "education_attendance_pct": "Attendance at allocated activity (%)",
            "settled_accommodation_pct": "Released to settled accommodation (%)",
            "employment_6_weeks_pct": "In work 6 weeks after release (%)",
            "receptions": "Receptions", "length_of_stay_days": "Average length of stay (days)"}
#: The unit written beside each measure (the context table's ``unit``; people are counted under disclosure control).
UNITS = {"time_out_of_cell": "hours", "receptions": "people", "length_of_stay_days": "days"}
#: Average stay in days, for receptions (people received = population / stay).
_STAY_DAYS = {"Category B reception": 150, "Women's local": 120, "Young offender": 180, "Category C training": 420,
              "High security": 1100, "Category D open": 240, "IRC": 45, "Secure hospital": 550}
PLANTED_FALL = "KSM"


def _quarters(timeline: Timeline) -> list[pd.Timestamp]:
    return [m for m in timeline.months if m.month in (1, 4, 7, 10)]


def population_profile(estate: tuple[Facility, ...], timeline: Timeline, pop: Population, pools: list[Pool],
                       rng: np.random.Generator) -> pd.DataFrame:
    """People held at each quarter start by age band, nationality and legal status: a wide table."""
    rows = []
    for i, f in enumerate(estate):
        if not f.residential:
            continue
        for q in _quarters(timeline):
            m = timeline.months.get_loc(q)
            held = int(pop.population[i, m])
            k = int(np.searchsorted(pools[i].arrival, np.datetime64(q.date(), "D"), side="right"))
            row: dict = {"Establishment": f.name, "Count date": q.strftime("%d/%m/%Y")}
            for trait, head in _PROFILE.items():
                counts = np.bincount(pools[i].traits[trait][max(0, k - held):k], minlength=len(LABELS[trait]))
                row.update({f"{head}: {label}": int(c) for label, c in zip(LABELS[trait], counts)})
            if f.function in _LEGAL:
                remand, recall = _LEGAL[f.function]
                n = rng.multinomial(held, (remand, recall, 1 - remand - recall))
                row.update({f"Legal status: {label}": int(c) for label, c in zip(LEGAL, n)})
            rows.append(row)
    frame = pd.DataFrame(rows)
    counts = [c for c in frame.columns if ":" in c]
    frame[counts] = frame[counts].astype("Int64")  # blank where a place has no such column
    return frame


def regime_measures(estate: tuple[Facility, ...], timeline: Timeline, pop: Population,
                    rng: np.random.Generator) -> pd.DataFrame:
    """Regime and resettlement measures each quarter, receptions each month: a long table."""
    rows = []
    quarters = _quarters(timeline)
    for i, f in enumerate(estate):
        if not f.residential:
            continue
        base = _REGIME.get(f.function)
        for j, q in enumerate(quarters):
            late = max(0, j - (len(quarters) - 5))  # the last four quarters
            values = {}
            if base is not None:
                hours = base[0] + rng.normal(0, 0.2) - (0.35 * late if f.facility_id == PLANTED_FALL else 0)
                values = {"time_out_of_cell": round(max(hours, 0.5), 1),
                          "purposeful_activity_pct": round(float(np.clip(base[1] + rng.normal(0, 2), 0, 100))),
                          "education_attendance_pct": round(float(np.clip(base[2] + rng.normal(0, 3), 0, 100)))}
                if base[3] is not None:
                    values["settled_accommodation_pct"] = round(float(np.clip(base[3] + rng.normal(0, 3), 0, 100)))
                    values["employment_6_weeks_pct"] = round(float(np.clip(base[4] + rng.normal(0, 2), 0, 100)))
            elif f.facility_type == "irc":
                values = {"time_out_of_cell": round(11.5 + rng.normal(0, 0.3), 1),
                          "length_of_stay_days": round(float(_STAY_DAYS["IRC"] * rng.uniform(0.8, 1.3)))}
            rows += [{"Establishment": f.name, "Period start": q.strftime("%d/%m/%Y"), "Measure": MEASURES[key],
                      "Value": f"{value:g}", "Unit": UNITS.get(key, "percent")} for key, value in values.items()]
        stay = _STAY_DAYS.get(f.function, 365)
        for m, month in enumerate(timeline.months):
            held = pop.population[i, m]
            if np.isfinite(held):
                received = rng.poisson(max(held, 0) * month.days_in_month / stay)
                rows.append({"Establishment": f.name, "Period start": month.strftime("%d/%m/%Y"),
                             "Measure": MEASURES["receptions"], "Value": int(received), "Unit": "people"})
    return pd.DataFrame(rows, columns=["Establishment", "Period start", "Measure", "Value", "Unit"])


def write(frame: pd.DataFrame, path: Path) -> Path:
    write_csv(frame, path)
    return path
