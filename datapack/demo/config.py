"""The demo's ``datapack.yaml``: one commented source entry per file written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from datapack.demo import vocab
from datapack.demo.regime import MEASURES
from datapack.demo.staff_survey import ESTABLISHMENT
from datapack.demo.writers import BULLETIN_SHEET, CSV_HEADINGS, INCIDENT_SHEET, XLSX_HEADINGS

PROJECT = {"title": "Pre-visit datapack (demonstration estate)",
           "body": "Demonstration Inspectorate of Places of Detention", "marking": "OFFICIAL-SENSITIVE"}

_INCIDENT_VALUES = {"category": dict(sorted(vocab.TYPE_LABELS.items())),
                    "subcategory": dict(sorted(vocab.SUBTYPE_LABELS.items()))}
_CANONICAL_REGISTER = ("facility_id", "name", "aliases", "facility_type", "function", "operator", "region",
                       "capacity", "population_group", "body", "opened", "closed")
_CODEBOOK = ("survey", "question", "text", "theme", "options", "positive", "good_direction")


def sources(latest_year: int) -> list[tuple[str, dict[str, Any]]]:
    """(comment, source entry) for every demo file, register first."""
    return [
        ("The facility register: canonical headings, so each column maps to itself.",
         {"name": "register", "table": "facilities", "path": "sources/register/facilities.csv",
          "columns": {c: c for c in _CANONICAL_REGISTER}, "dates": {"opened": "%Y-%m-%d", "closed": "%Y-%m-%d"}}),
        ("Incident log, old system: CSV with a BOM, day-first dates, names written four ways.",
         {"name": "incident_log", "table": "incidents", "path": "sources/incidents/incident_log_*.csv",
          "columns": dict(CSV_HEADINGS), "constants": {"count": 1}, "values": _INCIDENT_VALUES,
          "dates": {"occurred": "%d/%m/%Y %H:%M", "arrival_date": "%d/%m/%Y"}}),
        (f"Incident log, new system ({latest_year}): XLSX, sheet '{INCIDENT_SHEET}', other headings, real dates.",
         {"name": "incident_log_latest", "table": "incidents", "path": "sources/incidents/incident_log_*.xlsx",
          "sheet": INCIDENT_SHEET, "columns": dict(XLSX_HEADINGS), "constants": {"count": 1},
          "values": _INCIDENT_VALUES}),
        ("HMPPS-style monthly bulletin, one ODS a month: title rows, report date in text, Total row with '**'.",
         {"name": "population_bulletin", "table": "population", "format": "stats_table",
          "path": "sources/population/Population_Bulletin_*.ods", "sheet": BULLETIN_SHEET,
          "columns": {"facility": "Prison Name", "month": "@report_date", "count_date": "@report_date",
                      "baseline_cna": "Baseline CNA", "in_use_cna": "In Use CNA",
                      "operational_capacity": "Operational Capacity", "population": "Population"}}),
        ("Police custody suites: detentions a month (rates there are per 1,000 detentions).",
         {"name": "custody_throughput", "table": "population", "path": "sources/population/custody_throughput.csv",
          "columns": {"facility": "Custody suite", "month": "Month", "throughput": "Detentions"},
          "dates": {"month": "%Y-%m"}}),
        ("Secure hospital occupancy: commissioned and average occupied beds a month.",
         {"name": "hospital_occupancy", "table": "population",
          "path": "sources/population/secure_hospital_occupancy.csv",
          "columns": {"facility": "Unit", "month": "Month", "operational_capacity": "Commissioned beds",
                      "population": "Average occupied beds"}, "dates": {"month": "%b %Y"}}),
        ("Population mix by ethnic group each quarter, wide: one column per group, turned into rows.",
         {"name": "population_mix", "table": "context", "path": "sources/population/population_mix.csv",
          "columns": {"facility": "Establishment", "period_start": "Count date"},
          "unpivot": {"pattern": "^Ethnicity: ", "names_to": "factor", "values_to": "value"},
          "constants": {"unit": "people"}, "dates": {"period_start": "%d/%m/%Y"}}),
        ("Population profile each quarter, wide: age band, nationality and legal status, one column per group.",
         {"name": "population_profile", "table": "context", "path": "sources/population/population_profile.csv",
          "columns": {"facility": "Establishment", "period_start": "Count date"},
          "unpivot": {"pattern": "^(Age band|Nationality|Legal status): ", "names_to": "factor",
                      "values_to": "value"},
          "constants": {"unit": "people"}, "dates": {"period_start": "%d/%m/%Y"}}),
        ("Regime and resettlement measures (long: one row per measure and period); receptions each month.",
         {"name": "regime_measures", "table": "context", "path": "sources/population/regime_measures.csv",
          "columns": {"facility": "Establishment", "period_start": "Period start", "factor": "Measure",
                      "value": "Value", "unit": "Unit"},
          "values": {"factor": {label: key for key, label in MEASURES.items()}},
          "dates": {"period_start": "%d/%m/%Y"}}),
        ("Detainee survey, KoboToolbox XLSX export per wave; the wave comes from the file name.",
         {"name": "detainee_survey", "table": "survey_responses", "format": "kobo",
          "path": "sources/surveys/detainee_*.xlsx", "path_pattern": r"detainee_(?P<wave>\d{4})\.xlsx$",
          "columns": {"facility": "establishment", "wave": "path:wave", "age_band": "about_you/age_band",
                      "sex": "about_you/sex", "ethnicity": "about_you/ethnicity", "religion": "about_you/religion",
                      "disability": "about_you/disability"},
          "constants": {"survey": "detainee"}}),
        ("Staff survey, SurveyMonkey CSV export per wave (two header rows).",
         {"name": "staff_survey", "table": "survey_responses", "format": "surveymonkey",
          "path": "sources/surveys/staff_survey_*.csv", "path_pattern": r"staff_survey_(?P<wave>\d{4})\.csv$",
          "columns": {"facility": ESTABLISHMENT, "wave": "path:wave"}, "constants": {"survey": "staff"}}),
        ("Survey codebook: themes, positive answers and good direction for both surveys.",
         {"name": "survey_codebook", "table": "survey_questions", "path": "sources/surveys/codebook.csv",
          "columns": {c: c for c in _CODEBOOK}}),
        ("Recommendation tracker: title rows above the table; both status vocabularies in use.",
         {"name": "recommendations", "table": "recommendations",
          "path": "sources/followup/recommendation_tracker.xlsx", "sheet": "Tracker",
          "columns": {"ref": "Ref", "facility": "Establishment", "visit_id": "Visit", "body": "Body",
                      "made": "Date made", "text": "Recommendation", "theme": "Theme/Area", "priority": "Priority",
                      "response": "Response", "owner": "Owner", "due": "Target date", "status": "Status",
                      "status_date": "Status date", "repeats_ref": "Repeat of"}}),
        ("Past visits, with healthy-establishment ratings (1 poor to 4 good; blank where not rated) and overall "
         "judgements where the framework gives one.",
         {"name": "visits", "table": "visits", "path": "sources/followup/visits.csv",
          "columns": {"visit_id": "Visit ID", "facility": "Establishment", "start": "Start date", "end": "End date",
                      "visit_type": "Type", "body": "Body", "rating_safety": "Safety", "rating_respect": "Respect",
                      "rating_purposeful_activity": "Purposeful activity",
                      "rating_rehabilitation": "Rehabilitation and release planning", "framework": "Framework",
                      "overall_rating": "Overall judgement"},
          "dates": {"start": "%d/%m/%Y", "end": "%d/%m/%Y"}}),
    ]


def write_config(path: Path, latest_year: int, seed: int) -> None:
    """Write ``datapack.yaml`` with a comment above each source."""
    head = {"project": PROJECT, "disclosure": {"threshold": 5}}
    text = [f"# Demonstration estate generated by `datapack demo` (seed {seed}). Every name and figure is invented.",
            "# Paths are relative to this file. See sources/README.md for the files and the signals planted.",
            yaml.safe_dump(head, sort_keys=False, allow_unicode=True, width=110).rstrip(), "sources:"]
    for comment, entry in sources(latest_year):
        dumped = yaml.safe_dump([entry], sort_keys=False, allow_unicode=True, width=110).rstrip()
        text.append(f"  # {comment}")
        text.append("\n".join("  " + line for line in dumped.splitlines()))
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
