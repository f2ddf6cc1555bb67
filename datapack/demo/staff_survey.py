"""The staff survey: a SurveyMonkey "all individual responses" CSV per wave, and its codebook rows.

Two header rows: question text above the first column of each question
(blank above the rest), then ``Response``, ``Open-Ended Response`` or the
choice label. The contact columns SurveyMonkey always exports (IP address,
email, names) hold obviously fake values; the adapter drops them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import numpy as np

from datapack.demo.comments import staff_comment
from datapack.demo.estate import Facility
from datapack.demo.signals import PLAN

META = ("Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address", "First Name",
        "Last Name", "Custom Data 1")
ESTABLISHMENT = "Which establishment do you work at?"
ROLE = "What is your role?"
ROLES = ("Prison officer", "Supervising officer", "Manager", "Healthcare", "Education or activities", "Other")
TENURE = "How long have you worked here?"
TENURES = ("Less than 1 year", "1 to 5 years", "More than 5 years")
LIKERT = ("Strongly agree", "Agree", "Neither agree nor disagree", "Disagree", "Strongly disagree")
RESPECT = "Prisoners are treated with respect by staff here"
GET_ON = "Staff and prisoners get on well here"
SAFE = "I feel safe at work"
ASSAULTED = "In the last 12 months, have you been assaulted at work?"
HARDER = "Which of these make your job harder? (Select all that apply)"
HARDER_OPTIONS = ("Staff shortages", "Drugs", "Violence", "Poor regime")
OTHER = "Other (please specify)"
ANYTHING = "Is there anything else you would like to tell us?"
#: (question, theme, positive answers, good direction) for single-answer questions
SINGLE = ((ROLE, "about you", "", ""), (TENURE, "about you", "", ""),
          (RESPECT, "respect", "Strongly agree;Agree", "up"), (GET_ON, "respect", "Strongly agree;Agree", "up"),
          (SAFE, "safety", "Strongly agree;Agree", "up"), (ASSAULTED, "safety", "Yes", "down"))


def _likert(rng: np.random.Generator, agree: float, n: int) -> np.ndarray:
    p = np.array([agree * .35, agree * .65, (1 - agree) * .4, (1 - agree) * .4, (1 - agree) * .2])
    return np.array(LIKERT)[rng.choice(5, n, p=p / p.sum())]


def _rows(f: Facility, n: int, wave: int, latest: int, start: dt.datetime, first_id: int, collector: int,
          rng: np.random.Generator) -> list[list[str]]:
    young = f.function == "Young offender"
    signal = f.facility_id == PLAN["survey_difference"] and wave == latest
    safe = .45 if signal else (.55 if young else .70)
    respect = _likert(rng, .80, n)
    get_on = _likert(rng, .55 if signal else .68, n)
    feel_safe = _likert(rng, safe, n)
    assaulted = np.where(rng.random(n) < (.28 if signal else .30 if young else .15), "Yes", "No")
    harder_p = np.array([.6, .45, .65 if signal else .35, .25])
    ticks = rng.random((n, len(HARDER_OPTIONS))) < harder_p
    other = rng.random(n) < 0.08
    skipped = rng.random(n) < 0.05  # skipped the checkbox question altogether
    rows = []
    for k in range(n):
        begun = start + dt.timedelta(minutes=int(rng.integers(0, 14 * 24 * 60)))
        ended = begun + dt.timedelta(minutes=int(rng.integers(4, 25)), seconds=int(rng.integers(0, 60)))
        stamp = lambda t: t.strftime("%m/%d/%Y %I:%M:%S %p")  # noqa: E731 - SurveyMonkey writes US order
        ident = first_id + k * 7 + int(rng.integers(0, 7))
        row = [str(ident), str(collector), stamp(begun), stamp(ended), f"192.0.2.{int(rng.integers(1, 255))}",
               f"test.respondent{ident % 100000}@example.org", "Test", f"Respondent{ident % 100000}", "",
               f.name, ROLES[int(rng.choice(6, p=(.5, .15, .1, .1, .1, .05)))],
               TENURES[int(rng.choice(3, p=(.3, .4, .3)))], respect[k], get_on[k], feel_safe[k], assaulted[k]]
        row += ["" if skipped[k] or not ticks[k, j] else o for j, o in enumerate(HARDER_OPTIONS)]
        row.append("Night-time staffing" if other[k] and not skipped[k] else "")
        row.append(staff_comment(rng, f) if rng.random() < 0.3 else "")
        rows.append(row)
    return rows


def write_staff_surveys(estate: tuple[Facility, ...], waves: tuple[int, int], rng: np.random.Generator,
                        folder: Path) -> list[Path]:
    """One SurveyMonkey CSV per wave (staff of prisons, YOIs and women's prisons)."""
    folder.mkdir(parents=True, exist_ok=True)
    staffed = [f for f in estate if f.facility_type in ("prison", "yoi", "womens_prison")]
    head1 = [*META, ESTABLISHMENT, ROLE, TENURE, RESPECT, GET_ON, SAFE, ASSAULTED, HARDER,
             *[""] * len(HARDER_OPTIONS), ANYTHING]
    head2 = [""] * len(META) + ["Response"] * 7 + [*HARDER_OPTIONS, OTHER, "Open-Ended Response"]
    paths = []
    for wave in waves:
        rows = []
        collector = 400_000_000 + int(rng.integers(0, 99_999_999))
        for k, f in enumerate(staffed):
            n = int(np.clip(round(0.07 * f.capacity * rng.uniform(0.7, 1.3)), 15, 120))
            rows += _rows(f, n, wave, waves[1], dt.datetime(wave, 2, 1 + k % 20, 8, 0),
                          11_400_000_000 + 10_000_000 * (wave % 100) + 20_000 * k, collector, rng)
        rows.sort(key=lambda r: dt.datetime.strptime(r[3], "%m/%d/%Y %I:%M:%S %p"), reverse=True)  # newest first
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerows([head1, head2, *rows])
        path = folder / f"staff_survey_{wave}.csv"
        path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
        paths.append(path)
    return paths


def codebook() -> list[dict]:
    """Codebook rows keyed as the SurveyMonkey adapter keys questions (multi-select: ``text/label``)."""
    rows = [{"survey": "staff", "question": q, "text": q, "theme": theme,
             "options": ";".join(ROLES if q == ROLE else TENURES if q == TENURE else ("Yes", "No")
                                 if q == ASSAULTED else LIKERT), "positive": positive, "good_direction": direction}
            for q, theme, positive, direction in SINGLE]
    rows.append({"survey": "staff", "question": HARDER, "text": HARDER, "theme": "culture",
                 "options": ";".join((*HARDER_OPTIONS, OTHER)), "positive": "", "good_direction": ""})
    rows += [{"survey": "staff", "question": f"{HARDER}/{o}", "text": f"{HARDER}: {o}", "theme": "culture",
              "options": "selected;not selected", "positive": "selected", "good_direction": "down"}
             for o in (*HARDER_OPTIONS, OTHER)]
    rows.append({"survey": "staff", "question": f"{HARDER} / {OTHER}", "text": f"{HARDER}: {OTHER}",
                 "theme": "culture", "options": "", "positive": "", "good_direction": ""})
    rows.append({"survey": "staff", "question": ANYTHING, "text": ANYTHING, "theme": "comments", "options": "",
                 "positive": "", "good_direction": ""})
    return rows
