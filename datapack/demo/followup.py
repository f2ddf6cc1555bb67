"""Past visits and the recommendation tracker.

Each place has two past visits. Recommendations from the earlier one were
followed up with the older vocabulary (achieved / partially / not achieved);
those from the later one with the newer one (good / reasonable / insufficient
/ no meaningful progress), and some are still open. At the place chosen for
unmet recommendations most are not achieved, several repeat earlier ones and
all are overdue; at the no-signal place everything is achieved.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from datapack.demo.estate import Facility
from datapack.demo.signals import PLAN
from datapack.demo.workbook import write_xlsx

THEMES = ("safety", "respect", "purposeful activity", "rehabilitation")
_TEXT = {
    "safety": ("Leaders should make sure that people at risk of self-harm receive timely, good-quality case "
               "management and care.",
               "Use of force should be proportionate, and governance should include routine review of body-worn "
               "camera footage.",
               "Leaders should analyse the causes of violence and put in place a plan to reduce it.",
               "People new to the establishment should receive a thorough first-night interview and induction."),
    "respect": ("Cells should be clean and properly furnished, and cell call bells answered within five minutes.",
                "Complaints should be answered on time and address the issues raised.",
                "Leaders should monitor outcomes for protected groups and act on any disproportionate treatment.",
                "Staff should know the people in their care and engage with them constructively."),
    "purposeful activity": ("Everyone should have at least two hours out of their cell every day.",
                            "Education, skills and work places should be fully used and attendance improved.",
                            "Library and gym access should be predictable and fair."),
    "rehabilitation": ("Family visits should be easy to book and start on time.",
                       "Release planning should begin early enough to secure accommodation on release.",
                       "Offender management should be regular and meaningful for everyone held."),
}
_OWNERS = {"safety": "Head of Safety", "respect": "Head of Residence", "purposeful activity": "Head of Activities",
           "rehabilitation": "Head of Reducing Reoffending"}
_RATINGS = {"NGT": ((2, 3, 2, 3), (2, 3, 2, 3)), "KSM": ((3, 3, 3, 3), (3, 3, 2, 3)),
            "CSB": ((2, 2, 2, 2), (1, 2, 1, 2)), "BRF": ((3, 3, 3, 3), (3, 3, 3, 3)),
            "HWM": ((3, 3, 2, 3), (2, 3, 2, 3)), "RVS": ((3, 3, 2, 3), (3, 3, 2, 3)),
            "WRF": ((2, 2, 1, 2), (2, 2, 2, 2))}
OLD_STATUS = (("Achieved", .5), ("Partially achieved", .25), ("Not achieved", .25))
NEW_STATUS = (("Good progress", .35), ("Reasonable progress", .3), ("Insufficient progress", .2),
              ("No meaningful progress", .15))


#: The framework each kind of place is judged under, and the overall judgements of secure hospitals.
_FRAMEWORKS = {"secure_hospital": "CQC", "police_custody": "Expectations for police custody",
               "irc": "Expectations for immigration detention"}
_OVERALL = ("Requires improvement", "Good")


def _visit(f: Facility, start: dt.date, kind: str, ratings: tuple | None, number: int = 0) -> dict:
    length = {"full": 9, "follow-up": 2, "unannounced": 1, "thematic": 3}[kind]
    r = ratings or (None,) * 4
    framework = _FRAMEWORKS.get(f.facility_type, "Healthy prison tests" if ratings else None)
    return {"visit_id": f"{f.facility_id}-{start:%Y%m}", "facility": f.name, "start": start,
            "end": start + dt.timedelta(days=length), "visit_type": kind, "body": f.body,
            "rating_safety": r[0], "rating_respect": r[1], "rating_purposeful_activity": r[2],
            "rating_rehabilitation": r[3], "framework": framework,
            "overall_rating": _OVERALL[number % 2] if f.facility_type == "secure_hospital" else None}


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def plan_visits(estate: tuple[Facility, ...], end: dt.date, rng: np.random.Generator) -> list[dict]:
    """Two past visits per place: about 30 months and about 13 months before ``end``."""
    visits = []
    for f in estate:
        jitter = [int(rng.integers(-45, 46)) for _ in range(2)]
        first = _monday(end - dt.timedelta(days=912 + jitter[0]))
        second = _monday(end - dt.timedelta(days=395 + jitter[1]))
        if f.rated:
            ratings = _RATINGS.get(f.facility_id) or tuple(tuple(int(x) for x in rng.choice(
                [1, 2, 3, 4], 4, p=(.08, .32, .48, .12))) for _ in range(2))
            kinds = ("full", "full" if f.facility_id in ("CSB", "BRF") else "unannounced")
            visits += [_visit(f, first, kinds[0], ratings[0]), _visit(f, second, kinds[1], ratings[1], 1)]
        else:
            visits += [_visit(f, first, "unannounced", None), _visit(f, second, "unannounced", None, 1)]
    return visits


def _status(rng: np.random.Generator, options: tuple) -> str:
    p = np.array([o[1] for o in options])
    return options[int(rng.choice(len(options), p=p / p.sum()))][0]


def recommendations(estate: tuple[Facility, ...], visits: list[dict], end: dt.date,
                    rng: np.random.Generator) -> pd.DataFrame:
    """The tracker: every recommendation from every visit, with its latest status."""
    rows = []
    by_place: dict[str, list[dict]] = {}
    for v in visits:
        by_place.setdefault(v["visit_id"].split("-")[0], []).append(v)
    for f in estate:
        earlier: list[dict] = []
        unmet = f.facility_id == PLAN["unmet_recommendations"]
        clean = f.facility_id == PLAN["no_signal"]
        for number, v in enumerate(by_place.get(f.facility_id, [])):
            count = int(rng.integers(7, 11)) if v["visit_type"] == "full" else int(rng.integers(4, 7))
            made = v["end"] + dt.timedelta(days=int(rng.integers(40, 70)))  # the report's date
            follow_up = made + dt.timedelta(days=int(rng.integers(230, 300)))
            repeats = [e for e in earlier if e["Status"] not in ("Achieved", "Good progress")]
            repeats = repeats[: (6 if unmet else int(rng.integers(0, 3)))]
            for k in range(count):
                theme = "safety" if unmet and k < 5 else THEMES[int(rng.integers(len(THEMES)))]
                text = _TEXT[theme][int(rng.integers(len(_TEXT[theme])))]
                repeat = repeats[k] if k < len(repeats) else None
                if repeat:
                    theme, text = repeat["Theme/Area"], repeat["Recommendation"]
                priority = ("Key concern" if unmet and k < 3 else
                            ["Key concern", "Priority concern", "Recommendation"][int(rng.choice(3, p=(.15, .25, .6)))])
                response = "Accepted" if clean else ["Accepted", "Partly accepted", "Rejected"][
                    int(rng.choice(3, p=(.8, .15, .05)))]
                due = made + dt.timedelta(days=int(rng.choice([90, 180, 270, 365])))
                if number == 0:
                    status = "Achieved" if clean else "Not achieved" if unmet and rng.random() < .75 \
                        else _status(rng, OLD_STATUS)
                    status_date = follow_up if follow_up <= end else None
                elif follow_up <= end and (unmet or clean or rng.random() < .75):
                    status = "Good progress" if clean else "No meaningful progress" if unmet and (
                        repeat or rng.random() < .6) else _status(rng, NEW_STATUS)
                    status_date = follow_up
                else:
                    status, status_date = ("Not yet due" if due > end else "Open"), None
                if unmet:
                    due = min(due, end - dt.timedelta(days=60))  # everything at this place is overdue
                row = {"Ref": f"{v['visit_id']}-R{k + 1:02d}", "Establishment": f.name if k % 3 else f.short,
                       "Visit": v["visit_id"], "Body": v["body"], "Date made": made, "Recommendation": text,
                       "Theme/Area": theme, "Priority": priority, "Response": response,
                       "Owner": _OWNERS[theme] if f.residential else "Custody Inspector", "Target date": due,
                       "Status": status, "Status date": status_date, "Repeat of": repeat["Ref"] if repeat else None}
                rows.append(row)
            earlier = [r for r in rows if r["Visit"] == v["visit_id"]]
    return pd.DataFrame(rows)


def write_visits(visits: list[dict], path: Path) -> None:
    """visits.csv: UTF-8 with BOM, dates day first."""
    frame = pd.DataFrame(visits)
    for c in ("start", "end"):
        frame[c] = [d.strftime("%d/%m/%Y") for d in frame[c]]
    for c in [c for c in frame.columns if c.startswith("rating_")]:
        frame[c] = frame[c].astype("Int64")
    frame.columns = ["Visit ID", "Establishment", "Start date", "End date", "Type", "Body", "Safety", "Respect",
                     "Purposeful activity", "Rehabilitation and release planning", "Framework", "Overall judgement"]
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")


def write_tracker(frame: pd.DataFrame, path: Path) -> None:
    """recommendation_tracker.xlsx: a title and marking above the table, sheet 'Tracker'."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for c in ("Date made", "Target date", "Status date"):
        frame[c] = pd.to_datetime(frame[c])
    write_xlsx(path, [("Tracker", frame, [["Recommendation tracker (demonstration data)"], ["OFFICIAL-SENSITIVE"],
                                          []])])
