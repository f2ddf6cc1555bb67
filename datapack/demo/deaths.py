"""Deaths in custody: the planted recent self-inflicted death, and background deaths.

In the default estate deaths are placed by hand (the planted one, and one
death from natural causes long before it) so that the planted death is the
only recent one. Generated places get deaths at realistic rates, and recent
ones are often still "awaiting information", as in published data.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from datapack.demo.estate import NAMED, Facility
from datapack.demo.people import LABELS, Pool
from datapack.demo.population import Population, Timeline
from datapack.demo.signals import DEATH_DAYS_BEFORE_END, PLAN

#: Deaths per 1,000 population a year, by apparent cause (generated places only).
_RATES = {"natural": 1.3, "self_inflicted": 0.9, "homicide": 0.05}
_NAMED_IDS = {f.facility_id for f in NAMED}


def _row(i: int, f: Facility, pool: Pool, who: int, when: dt.datetime, cause: str) -> dict:
    return {"facility": i, "occurred": pd.Timestamp(when), "category": "death", "person": pool.first_ref + who,
            "arrival_date": pd.Timestamp(pool.arrival[who]), "subcategory": cause, "subcategory_label": None,
            "serious": None, "hospital": None, "duration_hours": np.nan,
            "location": "Healthcare" if cause == "natural" else "Houseblock 2" if f.facility_type == "womens_prison"
            else "A Wing",
            **{t: LABELS[t][pool.traits[t][who]] for t in LABELS}}


def planted_deaths(estate: tuple[Facility, ...], timeline: Timeline, pools: list[Pool],
                   incidents: pd.DataFrame) -> list[dict]:
    """The planted self-inflicted death (a person with recent self-harm) and an older natural death."""
    rows = []
    ids = [f.facility_id for f in estate]
    if PLAN["death_in_custody"] in ids:
        i = ids.index(PLAN["death_in_custody"])
        when = dt.datetime.combine(timeline.end - dt.timedelta(days=DEATH_DAYS_BEFORE_END), dt.time(3, 40))
        recent = incidents[(incidents["facility"] == i) & (incidents["category"] == "self_harm")
                           & (incidents["occurred"] < pd.Timestamp(when))
                           & (incidents["occurred"] > pd.Timestamp(when) - pd.Timedelta(days=120))]
        person = int(recent["person"].value_counts().index[0]) if len(recent) else pools[i].first_ref
        rows.append(_row(i, estate[i], pools[i], person - pools[i].first_ref, when, "self_inflicted"))
    if "RVS" in ids and len(timeline) >= 24:
        i = ids.index("RVS")
        when = dt.datetime.combine(timeline.end - dt.timedelta(days=610), dt.time(14, 5))
        who = int(np.searchsorted(pools[i].arrival, np.datetime64(when.date(), "D"))) - 40
        rows.append(_row(i, estate[i], pools[i], max(who, 0), when, "natural"))
    return rows


def background_deaths(estate: tuple[Facility, ...], timeline: Timeline, pop: Population, pools: list[Pool],
                      rng: np.random.Generator) -> list[dict]:
    """Deaths at realistic rates in generated residential places."""
    rows = []
    for i, f in enumerate(estate):
        if f.facility_id in _NAMED_IDS or not f.residential:
            continue
        person_years = float(np.nansum(pop.population[i] * timeline.days / 365.25))
        for cause, rate in _RATES.items():
            scale = 2.5 if (cause == "natural" and f.function == "High security") else 1.0
            for _ in range(rng.poisson(rate * scale * person_years / 1000)):
                day = timeline.start + dt.timedelta(days=int(rng.integers(0, (timeline.end - timeline.start).days)))
                when = dt.datetime.combine(day, dt.time(int(rng.integers(0, 24)), int(rng.integers(0, 60))))
                shown = "awaiting" if (timeline.end - day).days < 90 and rng.random() < 0.5 else cause
                held = int(np.nanmean(pop.population[i]))
                k = int(np.searchsorted(pools[i].arrival, np.datetime64(day, "D"), side="right"))
                who = max(0, k - 1 - int(rng.integers(0, max(1, min(k, held)))))
                rows.append(_row(i, f, pools[i], who, when, shown))
    return rows
