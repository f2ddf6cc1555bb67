"""The detainee survey: a KoboToolbox XLSX export per wave, and its codebook rows.

Kobo's "XML values and headers" export: group paths joined by ``/``,
answers as choice names (``yes``, ``18_20``), a select-multiple as one
space-separated column followed by ``question/option`` columns of 1/0 that
are all empty when the question was not shown, then metadata columns. The
sheet is named after the form title. Two submissions per wave are test
entries marked "Not approved", as projects do.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from datapack.demo.comments import detainee_comment
from datapack.demo.estate import Facility
from datapack.demo.people import ETHNICITY, RELIGION, mix
from datapack.demo.signals import PLAN
from datapack.demo.workbook import write_xlsx

#: (key, text, options, positive answers, good direction, theme)
QUESTIONS = (
    ("about_you/age_band", "What is your age?", ("18_20", "21_24", "25_29", "30_39", "40_49", "50_59", "60_plus"),
     "", "", "about you"),
    ("about_you/sex", "What is your sex?", ("male", "female"), "", "", "about you"),
    ("about_you/ethnicity", "What is your ethnic group?", ("white", "black", "asian", "mixed", "other"), "", "",
     "about you"),
    ("about_you/religion", "What is your religion?", ("christian", "muslim", "no_religion", "buddhist", "jewish",
                                                      "other"), "", "", "about you"),
    ("about_you/disability", "Do you consider yourself to have a disability?", ("yes", "no", "prefer_not_to_say"),
     "", "", "about you"),
    ("about_you/time_here", "How long have you been here?",
     ("less_than_1_month", "1_to_6_months", "6_to_12_months", "over_12_months"), "", "", "about you"),
    ("safety/felt_unsafe", "Have you ever felt unsafe here?", ("yes", "no"), "yes", "down", "safety"),
    ("safety/victimised_by_staff", "Have you been victimised (insulted, threatened or assaulted) by staff here?",
     ("yes", "no"), "yes", "down", "safety"),
    ("safety/victimised_by_others", "Have you been victimised by other people held here?", ("yes", "no"), "yes",
     "down", "safety"),
    ("respect/staff_treat_with_respect", "Do most staff here treat you with respect?", ("yes", "no"), "yes", "up",
     "respect"),
    ("respect/staff_to_turn_to", "Is there a member of staff you could turn to if you had a problem?",
     ("yes", "no"), "yes", "up", "respect"),
    ("purposeful/time_out_of_cell", "How long do you usually spend out of your cell on a weekday?",
     ("less_than_2h", "2_to_6h", "6_to_10h", "over_10h"), "6_to_10h;over_10h", "up", "purposeful activity"),
    ("rehabilitation/family_contact_help", "Have staff helped you keep in touch with family or friends?",
     ("yes", "no", "dont_know"), "yes", "up", "rehabilitation"),
)
#: Questions the configuration maps to respondent characteristics (not counted as questions).
CARRIED = {"about_you/age_band": "age_band", "about_you/sex": "sex", "about_you/ethnicity": "ethnicity",
           "about_you/religion": "religion", "about_you/disability": "disability"}
UNSAFE_WHERE = ("cell", "wing_landing", "showers", "exercise_yard", "healthcare", "workshops_education",
                "reception", "segregation_unit")
_WHERE_P = np.array([.15, .45, .30, .25, .05, .10, .10, .05])
_UNSAFE = {"Category B reception": .30, "Category C training": .24, "Category D open": .10, "High security": .28,
           "Women's local": .27, "Young offender": .38, "IRC": .22}
_OUT_OF_CELL = {"Category B reception": (.45, .35, .15, .05), "Category D open": (.02, .10, .30, .58),
                "Young offender": (.50, .35, .10, .05), "IRC": (0, .05, .25, .70), "High security": (.3, .4, .2, .1)}


def waves(end: dt.date) -> tuple[int, int]:
    """The two survey years: the latest March on or before ``end``, and two years earlier."""
    latest = end.year if end.month >= 4 else end.year - 1
    return latest - 2, latest


def respondents(f: Facility, rng: np.random.Generator) -> int:
    """How many answered at ``f`` in one wave."""
    return int(np.clip(round(0.18 * f.capacity * rng.uniform(0.8, 1.2)), 30, 220))


def _probabilities(f: Facility, wave: int, latest: int, shift: float) -> dict[str, float]:
    """Chance of a 'yes' per question at ``f`` in ``wave`` (planted differences included)."""
    young = f.function == "Young offender"
    p = {"felt_unsafe": _UNSAFE.get(f.function, .25), "victimised_by_staff": .25 if young else .18,
         "victimised_by_others": .30 if young else .20, "respect": .60 if young else .72, "turn_to": .75}
    if f.facility_id == PLAN["survey_difference"] and wave == latest:
        p.update(felt_unsafe=.58, victimised_by_others=.40, respect=.52, turn_to=.55)
    return {k: float(np.clip(v + (shift if k in ("felt_unsafe", "victimised_by_staff", "victimised_by_others")
                                 else -shift), .02, .98)) for k, v in p.items()}


def _answers(f: Facility, n: int, wave: int, latest: int, shift: float, rng: np.random.Generator) -> pd.DataFrame:
    m = mix(f)
    age_p = np.asarray(m["age_band"][1:], dtype=float)  # nobody under 18 answers
    eth = rng.choice(len(ETHNICITY), n, p=np.asarray(m["ethnicity"]) / sum(m["ethnicity"]))
    p = _probabilities(f, wave, latest, shift)

    def yes(chance: float) -> np.ndarray:
        return np.where(rng.random(n) < chance, "yes", "no")

    staff = rng.random(n) < np.where((eth == ETHNICITY.index("Black")) & (f.facility_id == PLAN["force_disproportion"]),
                                     .48, p["victimised_by_staff"])
    out = pd.DataFrame({
        "about_you/age_band": np.array(QUESTIONS[0][2])[rng.choice(7, n, p=age_p / age_p.sum())],
        "about_you/sex": np.where(rng.random(n) < m["sex"][0] / sum(m["sex"]), "male", "female"),
        "about_you/ethnicity": np.array(QUESTIONS[2][2])[eth],
        "about_you/religion": np.array(QUESTIONS[3][2])[rng.choice(len(RELIGION), n, p=np.asarray(m["religion"]) /
                                                                    sum(m["religion"]))],
        "about_you/disability": np.array(QUESTIONS[4][2])[rng.choice(3, n, p=(m["disability"][0] * .95,
                                                                               m["disability"][1] * .95, .05))],
        "about_you/time_here": np.array(QUESTIONS[5][2])[rng.choice(4, n, p=(.12, .38, .22, .28))],
        "safety/felt_unsafe": yes(p["felt_unsafe"]),
    })
    shown = out["safety/felt_unsafe"].to_numpy() == "yes"
    ticks = rng.random((n, len(UNSAFE_WHERE))) < _WHERE_P * (1.4 if p["felt_unsafe"] > .5 else 1.0)
    ticks[~ticks.any(axis=1), 1] = True  # someone who felt unsafe says where
    out["safety/unsafe_where"] = [" ".join(o for o, t in zip(UNSAFE_WHERE, row) if t) if s else None
                                  for row, s in zip(ticks, shown)]
    for j, option in enumerate(UNSAFE_WHERE):
        out[f"safety/unsafe_where/{option}"] = pd.Series(np.where(shown, ticks[:, j].astype(int), -1)).map(
            lambda v: None if v < 0 else int(v)).astype(object)
    out["safety/victimised_by_staff"] = np.where(staff, "yes", "no")
    out["safety/victimised_by_others"] = yes(p["victimised_by_others"])
    out["respect/staff_treat_with_respect"] = yes(p["respect"])
    out["respect/staff_to_turn_to"] = yes(p["turn_to"])
    cell_p = np.asarray(_OUT_OF_CELL.get(f.function, (.25, .40, .25, .10)))
    out["purposeful/time_out_of_cell"] = np.array(QUESTIONS[11][2])[rng.choice(4, n, p=cell_p)]
    out["rehabilitation/family_contact_help"] = np.array(QUESTIONS[12][2])[rng.choice(3, n, p=(.55, .30, .15))]
    unsafe_now = f.facility_id == PLAN["survey_difference"] and wave == latest
    out["comments/anything_else"] = [detainee_comment(rng, f, unsafe_now) if rng.random() < 0.4 else None
                                     for _ in range(n)]
    # A few questions left unanswered (not the same as answering "no").
    for column in ("about_you/disability", "safety/victimised_by_staff", "respect/staff_to_turn_to",
                   "purposeful/time_out_of_cell"):
        out.loc[rng.random(n) < 0.03, column] = None
    return out


def _meta(frame: pd.DataFrame, start: dt.datetime, rng: np.random.Generator, first_id: int) -> pd.DataFrame:
    n = len(frame)
    began = [start + dt.timedelta(minutes=int(x)) for x in np.sort(rng.integers(0, 3 * 24 * 60, n))]
    took = rng.integers(6, 35, n)
    ended = [b + dt.timedelta(minutes=int(t), seconds=int(s)) for b, t, s in zip(began, took, rng.integers(0, 60, n))]
    stamp = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}+00:00"  # noqa: E731
    frame.insert(0, "start", [stamp(b) for b in began])
    frame.insert(1, "end", [stamp(e) for e in ended])
    frame["__version__"] = "vDemo3kPq7ZxW2"
    frame["_id"] = np.arange(first_id, first_id + n)
    frame["_uuid"] = [str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(n)]
    frame["_submission_time"] = [(e + dt.timedelta(seconds=int(s))).strftime("%Y-%m-%dT%H:%M:%S")
                                 for e, s in zip(ended, rng.integers(5, 4000, n))]
    frame["_validation_status"] = None
    frame["_notes"] = None
    frame["_status"] = "submitted_via_web"
    frame["_submitted_by"] = None
    frame["_tags"] = None
    return frame


def write_detainee_surveys(estate: tuple[Facility, ...], end: dt.date, rng: np.random.Generator,
                           folder: Path) -> tuple[list[Path], dict]:
    """One Kobo XLSX per wave; returns the paths and felt-unsafe shares per facility and wave."""
    folder.mkdir(parents=True, exist_ok=True)
    surveyed = [(i, f) for i, f in enumerate(estate) if f.rated]
    first, latest = waves(end)
    shift = {f.facility_id: (0.0 if i < 12 else float(rng.normal(0, .05))) for i, f in surveyed}
    paths, shares = [], {}
    for wave in (first, latest):
        parts = []
        for k, (i, f) in enumerate(surveyed):
            answers = _answers(f, respondents(f, rng), wave, latest, shift[f.facility_id], rng)
            answers.insert(0, "establishment", f.facility_id.lower())
            start = dt.datetime(wave, 3, 2 + (2 * k) % 24, 9, 0)
            parts.append(_meta(answers, start, rng, 40_000_000 + 100_000 * (wave % 100) + 1_000 * k))
            shares[(f.facility_id, wave)] = float((answers["safety/felt_unsafe"] == "yes").mean())
        frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        if len(frame):
            test = frame.iloc[:2].copy()
            test["comments/anything_else"] = "TEST submission - please ignore"
            test["_validation_status"] = "Not approved"
            test["_id"] = test["_id"] + 99_000
            test["_uuid"] = [str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(2)]
            frame = pd.concat([test, frame], ignore_index=True)
            frame = frame.sort_values("_submission_time", kind="stable").reset_index(drop=True)
        frame["_index"] = np.arange(1, len(frame) + 1)
        path = folder / f"detainee_{wave}.xlsx"
        write_xlsx(path, [(f"Detainee survey {wave}", frame, [])], header=True)
        paths.append(path)
    return paths, shares


def codebook() -> list[dict]:
    """Codebook rows for the detainee survey, keyed as the Kobo adapter keys questions."""
    rows = [{"survey": "detainee", "question": key, "text": text, "theme": theme, "options": ";".join(options),
             "positive": positive, "good_direction": direction}
            for key, text, options, positive, direction, theme in QUESTIONS if key not in CARRIED]
    rows.append({"survey": "detainee", "question": "safety/unsafe_where", "text": "Where have you felt unsafe?",
                 "theme": "safety", "options": ";".join(UNSAFE_WHERE), "positive": "", "good_direction": ""})
    rows += [{"survey": "detainee", "question": f"safety/unsafe_where/{o}", "text": f"Where have you felt unsafe?: {o}",
              "theme": "safety", "options": "selected;not selected", "positive": "selected", "good_direction": "down"}
             for o in UNSAFE_WHERE]
    rows.append({"survey": "detainee", "question": "comments/anything_else",
                 "text": "Is there anything else you would like to tell us?", "theme": "comments", "options": "",
                 "positive": "", "good_direction": ""})
    return rows
