"""Survey results of one facility: per survey, wave and question, the % giving a positive answer.

Which answers count as positive comes from the codebook (``survey_questions.
positive``, separated by ``;``); a question without one is left out rather
than guessed. Multi-select options arrive as their own ``question/option``
keys answered ``selected`` / ``not selected``, so they are counted the same
way. Blank answers (not asked, not shown, not answered) are not in the base.

Respondent references are used only to count respondents; none is kept.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from datapack.analysis.text import clean, figure, no_data

_ALL_GROUPS = {None, "all", "everyone", "total"}


def codebook(questions: pd.DataFrame) -> dict[tuple[str, str], dict[str, Any]]:
    """Question text, theme and positive answers by (survey, question)."""
    book: dict[tuple[str, str], dict[str, Any]] = {}
    for row in questions.to_dict("records"):
        positive = [p.strip() for p in (clean(row.get("positive")) or "").split(";") if p.strip()]
        book[(str(row["survey"]), str(row["question"]))] = {
            "text": clean(row.get("text")) or str(row["question"]), "theme": clean(row.get("theme")),
            "positive": positive, "good_direction": clean(row.get("good_direction"))}
    return book


def _label(survey: str, wave: str) -> str:
    return f"{survey[:1].upper()}{survey[1:].replace('_', ' ')} survey, {wave}"


def _question(control, key: str, entry: dict[str, Any], answering: float, positive: float) -> dict[str, Any]:
    percent = figure(control.percent(positive, answering))
    direction = entry.get("good_direction")
    return {"question": key, "text": entry["text"], "theme": entry["theme"],
            "positive_answers": "; ".join(entry["positive"]), "good_direction": direction,
            "reading": {"up": "higher is better", "down": "lower is better"}.get(direction or "", ""),
            "percent": percent,
            "answering": figure(control.count(answering)),
            # Hidden whenever the percentage is, or it would give the percentage away.
            "positive": figure(control.count(positive, hidden=percent["hidden"]))}


def _from_responses(part: pd.DataFrame, book: dict, survey: str, control) -> list[dict[str, Any]]:
    out = []
    answered = part[part["answer"].map(clean).notna()]
    for key in dict.fromkeys(part["question"].astype(str)):
        entry = book.get((survey, key))
        if not entry or not entry["positive"]:
            continue
        answers = answered.loc[answered["question"].astype(str) == key, "answer"].map(lambda a: str(a).strip().casefold())
        wanted = {p.casefold() for p in entry["positive"]}
        out.append(_question(control, key, entry, float(len(answers)), float(answers.isin(wanted).sum())))
    return out


def _from_results(part: pd.DataFrame, book: dict, survey: str, control) -> list[dict[str, Any]]:
    out = []
    for row in part.to_dict("records"):
        key = str(row["question"])
        entry = book.get((survey, key)) or {"text": key, "theme": None, "positive": [], "good_direction": None}
        if pd.isna(row.get("n_answering")) or pd.isna(row.get("n_positive")):
            continue
        out.append(_question(control, key, entry, float(row["n_answering"]), float(row["n_positive"])))
    return out


def surveys_section(responses: pd.DataFrame, results: pd.DataFrame, questions: pd.DataFrame,
                    control) -> list[dict[str, Any]]:
    """The ``surveys`` key of the context: one entry per survey and wave, latest wave first."""
    book = codebook(questions)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    if not responses.empty:
        for (survey, wave), part in responses.groupby(["survey", "wave"], sort=True):
            survey, wave = str(survey), str(wave)
            submitted = pd.to_datetime(part["submitted"], errors="coerce").dropna() if "submitted" in part else None
            when = submitted.max() if submitted is not None and not submitted.empty else None
            found[(survey, wave)] = {
                "survey": survey, "wave": wave, "label": _label(survey, wave),
                "when": when.strftime("%B %Y") if when is not None else None, "_sort": (when, wave),
                "respondents": figure(control.count(float(part["respondent"].nunique()))),
                "respondents_note": None, "questions": _from_responses(part, book, survey, control)}
    if not results.empty:
        everyone = results[results["group"].map(lambda g: (clean(g) or "").lower() or None).isin(_ALL_GROUPS)
                           | results["group"].isna()]
        for (survey, wave), part in everyone.groupby(["survey", "wave"], sort=True):
            survey, wave = str(survey), str(wave)
            if (survey, wave) in found:
                continue  # respondent-level answers, when held, are the better source
            biggest = part["n_answering"].max()
            found[(survey, wave)] = {
                "survey": survey, "wave": wave, "label": _label(survey, wave), "when": None, "_sort": (None, wave),
                "respondents": figure(control.count(float(biggest))) if pd.notna(biggest) else no_data(),
                "respondents_note": "largest number answering any one question (from published results)",
                "questions": _from_results(part, book, survey, control)}
    ordered = sorted(found.values(), key=lambda s: (s["survey"], _sort_key(s["_sort"])))
    for s in ordered:
        del s["_sort"]
    return ordered


def _sort_key(key: tuple[pd.Timestamp | None, str]) -> tuple:
    # Latest first: by date when known, then by the wave's name.
    when, wave = key
    return (-(when.value if when is not None else 0), tuple(-ord(ch) for ch in wave))


def latest_survey_label(surveys: list[dict[str, Any]]) -> str | None:
    """``survey of March 2026`` for the most recent wave held, or None."""
    dated = [s for s in surveys if s["when"]]
    if dated:
        latest = max(dated, key=lambda s: pd.Timestamp(s["when"]))
        return f"survey of {latest['when']}"
    return f"survey {max(s['wave'] for s in surveys)}" if surveys else None
