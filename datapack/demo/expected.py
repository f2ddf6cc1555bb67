"""The record of what was planted, measured on the generated data (what an analysis should find)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from datapack.demo.estate import Facility
from datapack.demo.people import ETHNICITY
from datapack.demo.population import Timeline
from datapack.demo.signals import FORCE_GROUP, PLAN, RISE_MONTHS, SMALL_MAX, PlantedSignal


def _monthly(incidents: pd.DataFrame, i: int, category: str, timeline: Timeline) -> pd.Series:
    rows = incidents[(incidents["facility"] == i) & (incidents["category"] == category)]
    months = rows["occurred"].dt.to_period("M").dt.to_timestamp()
    return months.value_counts().reindex(timeline.months, fill_value=0)


def _increases(series: pd.Series) -> int:
    """Length of the run of strict month-on-month increases ending at the last month."""
    diffs = np.diff(series.to_numpy())
    run = 0
    for d in diffs[::-1]:
        if d <= 0:
            break
        run += 1
    return run


def describe(estate: tuple[Facility, ...], timeline: Timeline, incidents: pd.DataFrame, mix: pd.DataFrame,
             recs: pd.DataFrame, survey_shares: dict, waves: tuple[int, int]) -> list[PlantedSignal]:
    """One :class:`PlantedSignal` per signal planted in this estate, with measured figures."""
    ids = [f.facility_id for f in estate]
    out: list[PlantedSignal] = []

    def add(kind: str, details: dict, expect: str) -> None:
        """Record a signal of ``kind`` at the place the plan gives it."""
        f = estate[ids.index(PLAN[kind])]
        out.append(PlantedSignal(kind, f.facility_id, f.name, details, expect))

    if PLAN["self_harm_rise"] in ids and len(timeline) >= RISE_MONTHS + 6:
        i = ids.index(PLAN["self_harm_rise"])
        s = _monthly(incidents, i, "self_harm", timeline)
        before = s.iloc[:-RISE_MONTHS]
        add("self_harm_rise", {
            "category": "self_harm", "rise_from": s.index[-RISE_MONTHS].date().isoformat(),
            "months_rising": RISE_MONTHS, "consecutive_increases": _increases(s),
            "mean_before": round(float(before.mean()), 1), "last_month": int(s.iloc[-1]),
            "monthly_counts": {k.strftime("%Y-%m"): int(v) for k, v in s.items()}},
            f"Self-harm incidents rise every month for the last {RISE_MONTHS} months, from about "
            f"{before.mean():.0f} a month to {int(s.iloc[-1])}: a trend and points above the upper control limit.")
    if PLAN["force_disproportion"] in ids:
        i = ids.index(PLAN["force_disproportion"])
        force = incidents[(incidents["facility"] == i) & (incidents["category"] == "use_of_force")]
        share = float((force[FORCE_GROUP[0]] == FORCE_GROUP[1]).mean())
        held = mix[mix["facility_id"] == PLAN["force_disproportion"]]
        pop_share = float(held[FORCE_GROUP[1]].sum() / held[list(ETHNICITY)].sum(axis=1).sum())
        add("force_disproportion", {
            "category": "use_of_force", "characteristic": FORCE_GROUP[0], "group": FORCE_GROUP[1],
            "incident_share": round(share, 3), "population_share": round(pop_share, 3),
            "ratio": round(share / pop_share, 2), "incidents": int(len(force)),
            "population_source": "sources/population/population_mix.csv"},
            f"{FORCE_GROUP[1]} people are {pop_share:.0%} of the population but {share:.0%} of use-of-force "
            f"incidents (about {share / pop_share:.1f} times their share).")
    if PLAN["unmet_recommendations"] in ids and len(recs):
        f = estate[ids.index(PLAN["unmet_recommendations"])]
        mine = recs[recs["Visit"].str.startswith(f.facility_id + "-")]
        unmet = mine["Status"].isin(["Not achieved", "No meaningful progress"])
        overdue = unmet & (pd.to_datetime(mine["Target date"]) < pd.Timestamp(timeline.end))
        add("unmet_recommendations", {
            "recommendations": int(len(mine)), "not_achieved": int(unmet.sum()),
            "repeats": int(mine["Repeat of"].notna().sum()), "overdue_not_achieved": int(overdue.sum()),
            "repeat_refs": sorted(mine.loc[mine["Repeat of"].notna(), "Ref"].tolist())},
            f"{int(unmet.sum())} of {len(mine)} recommendations not achieved or with no meaningful progress; "
            f"{int(mine['Repeat of'].notna().sum())} repeat earlier ones; all past their target date.")
    if PLAN["small_counts"] in ids:
        i = ids.index(PLAN["small_counts"])
        rows = incidents[(incidents["facility"] == i) & (incidents["category"] != "death")]
        monthly = rows.groupby([rows["occurred"].dt.to_period("M"), "category"]).size()
        add("small_counts", {"max_monthly_count": int(monthly.max()) if len(monthly) else 0, "cap": SMALL_MAX,
                             "categories": sorted(rows["category"].unique().tolist())},
            f"Every monthly count is between 0 and {SMALL_MAX}: figures must be suppressed (threshold 5).")
    if PLAN["death_in_custody"] in ids:
        i = ids.index(PLAN["death_in_custody"])
        death = incidents[(incidents["facility"] == i) & (incidents["category"] == "death")].iloc[-1]
        add("death_in_custody", {"date": death["occurred"].date().isoformat(), "cause": "self_inflicted",
                                 "incident_id": death["incident_id"],
                                 "days_before_end": (timeline.end - death["occurred"].date()).days},
            "A self-inflicted death in custody in the last two months: a gateway for an early visit.")
    if PLAN["no_signal"] in ids:
        add("no_signal", {"note": "steady rates at the peer level, every recommendation achieved, "
                                  "surveys in the middle of the range"},
            "Nothing to highlight: every indicator common-cause, no outliers, follow-up complete.")
    if PLAN["survey_difference"] in ids and (PLAN["survey_difference"], waves[1]) in survey_shares:
        f = estate[ids.index(PLAN["survey_difference"])]
        peers = [survey_shares[(g.facility_id, waves[1])] for g in estate
                 if g.function == f.function and g.facility_id != f.facility_id
                 and (g.facility_id, waves[1]) in survey_shares]
        add("survey_difference", {
            "survey": "detainee", "question": "safety/felt_unsafe", "answer": "yes", "wave": str(waves[1]),
            "share": round(survey_shares[(f.facility_id, waves[1])], 3),
            "previous_wave": str(waves[0]), "previous_share": round(survey_shares[(f.facility_id, waves[0])], 3),
            "peer_share": round(float(np.mean(peers)), 3) if peers else None},
            "Far more detainees say they have felt unsafe than in the previous survey and than at peer "
            "prisons; respect and having staff to turn to are lower too.")
    return out

