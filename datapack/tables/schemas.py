"""The canonical tables: every column, its type, and the values it may hold.

Each table is described once here as a list of :class:`Col`; the pandera
schema used to check it and the table reference in the README are both
built from that list. Every canonical frame also carries provenance columns
``_source``, ``_file``, ``_sheet`` and ``_row``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd
import pandera.pandas as pa

Kind = Literal["str", "int", "float", "date", "datetime", "month", "bool", "status"]

PROVENANCE = ("_source", "_file", "_sheet", "_row")

FACILITY_TYPES = (
    "prison", "yoi", "womens_prison", "irc", "police_custody", "court_cells", "secure_hospital",
    "secure_childrens_home", "secure_training_centre", "short_term_holding", "other",
)
#: Facility types measured by throughput (detentions) rather than average population.
THROUGHPUT_TYPES = ("police_custody", "court_cells", "short_term_holding")

INCIDENT_CATEGORIES = (
    "self_harm", "death", "assault_on_staff", "assault_on_detainee", "fight", "assault", "use_of_force",
    "restraint", "segregation", "separation", "seclusion", "strip_search", "body_search", "room_search",
    "disciplinary", "complaint", "escape", "fire", "other",
)
DEATH_CAUSES = ("self_inflicted", "natural", "homicide", "other", "awaiting")

#: The internal scale for the progress of a recommendation.
REC_STATUSES = ("achieved", "partly_achieved", "not_achieved", "open", "no_longer_applicable")

#: Common status vocabularies mapped to the internal scale (keys compared normalised).
STATUS_VOCABULARY = {
    "achieved": "achieved", "fully achieved": "achieved", "completed": "achieved", "complete": "achieved",
    "closed achieved": "achieved", "good progress": "achieved", "implemented": "achieved",
    "partially achieved": "partly_achieved", "partly achieved": "partly_achieved",
    "reasonable progress": "partly_achieved", "insufficient progress": "partly_achieved",
    "in progress": "partly_achieved", "partially implemented": "partly_achieved",
    "not achieved": "not_achieved", "no meaningful progress": "not_achieved", "not implemented": "not_achieved",
    "no progress": "not_achieved",
    "open": "open", "not yet due": "open", "not assessed": "open", "awaiting response": "open", "new": "open",
    "no longer applicable": "no_longer_applicable", "withdrawn": "no_longer_applicable",
    "superseded": "no_longer_applicable", "not applicable": "no_longer_applicable",
}

CHARACTERISTICS = ("age_band", "sex", "gender", "ethnicity", "religion", "disability", "nationality",
                   "sexual_orientation", "language", "legal_status")


@dataclass(frozen=True)
class Col:
    """One canonical column."""

    name: str
    kind: Kind
    doc: str
    required: bool = False
    allowed: tuple[str, ...] | None = None
    unique: bool = False
    words: tuple[tuple[str, float], ...] = ()  # numbers written as words, read as the number


#: Healthy prison test scores as HM Inspectorate of Prisons writes them.
HEALTHY_PRISON_SCORES = (("good", 4.0), ("reasonably good", 3.0), ("not sufficiently good", 2.0), ("poor", 1.0))
_SCORE_DOC = ("Healthy prison test score for {test}: 4 good, 3 reasonably good, 2 not sufficiently good, "
              "1 poor (the words are read as the numbers).")

_PERSON = tuple(Col(c, "str", f"Person characteristic: {c.replace('_', ' ')}.") for c in CHARACTERISTICS)

TABLES: dict[str, list[Col]] = {
    "facilities": [
        Col("facility_id", "str", "Stable short identifier (e.g. a NOMIS code).", True, unique=True),
        Col("name", "str", "Name as the register spells it.", True),
        Col("aliases", "str", "Other names and codes, separated by ';'."),
        Col("facility_type", "str", "Kind of place.", True, FACILITY_TYPES),
        Col("function", "str", "Function or category; facilities with the same function are peers."),
        Col("operator", "str", "Public or the contractor running it."),
        Col("region", "str", "Region or area."),
        Col("capacity", "float", "Nominal capacity (places or cells)."),
        Col("population_group", "str", "Who is held (adult men, women, children, ...)."),
        Col("body", "str", "Monitoring or inspection body responsible."),
        Col("opened", "date", "Date opened."),
        Col("closed", "date", "Date closed; blank when open."),
    ],
    "population": [
        Col("facility_id", "str", "Facility.", True),
        Col("month", "month", "Month the figures describe (first of month).", True),
        Col("population", "float", "Average population or the count on the report date."),
        Col("baseline_cna", "float", "Certified normal (uncrowded) accommodation."),
        Col("in_use_cna", "float", "Baseline CNA less places out of use."),
        Col("operational_capacity", "float", "The most that can be held safely."),
        Col("throughput", "float", "Detentions or admissions in the month (short-stay places)."),
        Col("count_date", "date", "Date of a point-in-time count."),
    ],
    "incidents": [
        Col("incident_id", "str", "Reference of the incident in the source system."),
        Col("facility_id", "str", "Facility.", True),
        Col("occurred", "datetime", "Date and time of the incident.", True),
        Col("category", "str", "Kind of incident.", True, INCIDENT_CATEGORIES),
        Col("subcategory", "str", "Sub-type: planned/spontaneous force, kind of restraint, apparent cause of death ..."),
        Col("serious", "bool", "Serious (e.g. a serious assault)."),
        Col("hospital", "bool", "Led to a hospital attendance."),
        Col("count", "int", "Events this row stands for (1 for an event log)."),
        Col("duration_hours", "float", "Length, for segregation, separation or seclusion."),
        Col("person_ref", "str", "Pseudonymous person reference; never shown in a pack."),
        *_PERSON,
        Col("location", "str", "Where in the facility."),
        Col("arrival_date", "date", "When the person arrived."),
        Col("days_since_arrival", "float", "Days from arrival to the incident."),
        Col("investigation", "str", "For a death: the status of its independent investigation (e.g. PPO "
            "investigation ongoing, report published)."),
    ],
    "incident_counts": [
        Col("facility_id", "str", "Facility.", True),
        Col("period_start", "date", "First day of the period.", True),
        Col("period_end", "date", "Last day of the period (filled from a period label such as 2019/20)."),
        Col("measure", "str", "What is counted (e.g. self_harm, assault_on_staff).", True),
        Col("count", "float", "The count; blank unless status is 'value'."),
        Col("individuals", "float", "People involved, where given."),
        Col("status", "status", "value, suppressed, missing or not_applicable.", True,
            ("value", "suppressed", "missing", "not_applicable")),
        Col("symbol", "str", "The publisher's symbol where no count is given ([c], .., *, [x], [z]); "
            "taken from the count cell."),
    ],
    "survey_questions": [
        Col("survey", "str", "Survey name.", True),
        Col("question", "str", "Question key.", True),
        Col("text", "str", "Question as asked."),
        Col("theme", "str", "Theme, for grouping and for matching staff and detainee questions."),
        Col("options", "str", "Answer options, separated by ';'."),
        Col("positive", "str", "Answers that count as positive, separated by ';'."),
        Col("good_direction", "str", "Whether more positive answers are good.", False, ("up", "down")),
    ],
    "survey_responses": [
        Col("survey", "str", "Survey name (e.g. detainee, staff).", True),
        Col("wave", "str", "Wave or round (e.g. 2025).", True),
        Col("facility_id", "str", "Facility.", True),
        Col("respondent", "str", "Respondent reference (pseudonymous).", True),
        Col("submitted", "datetime", "When the response was submitted."),
        Col("question", "str", "Question key.", True),
        Col("answer", "str", "Answer as given; blank when not asked or not answered."),
        *_PERSON,
    ],
    "survey_results": [
        Col("facility_id", "str", "Facility.", True),
        Col("survey", "str", "Survey name.", True),
        Col("wave", "str", "Wave.", True),
        Col("question", "str", "Question key.", True),
        Col("group", "str", "Respondent group ('all' for everyone)."),
        Col("n_answering", "float", "Respondents answering."),
        Col("n_positive", "float", "Respondents giving a positive answer."),
    ],
    "recommendations": [
        Col("ref", "str", "Reference.", True),
        Col("facility_id", "str", "Facility.", True),
        Col("visit_id", "str", "Visit that made it."),
        Col("body", "str", "Body that made it."),
        Col("made", "date", "Date made (usually the visit or report date)."),
        Col("text", "str", "The recommendation or concern."),
        Col("theme", "str", "Theme or section."),
        Col("priority", "str", "Priority (e.g. key, priority concern)."),
        Col("response", "str", "The authority's response (accepted, partly accepted, rejected)."),
        Col("owner", "str", "Who is responsible."),
        Col("due", "date", "Due date."),
        Col("status", "str", "Progress on the internal scale.", True, REC_STATUSES),
        Col("status_raw", "str", "Status as written in the tracker."),
        Col("status_date", "date", "When the status was assessed."),
        Col("repeats_ref", "str", "Reference of an earlier recommendation this repeats."),
    ],
    "visits": [
        Col("visit_id", "str", "Visit reference.", True),
        Col("facility_id", "str", "Facility.", True),
        Col("start", "date", "First day.", True),
        Col("end", "date", "Last day."),
        Col("visit_type", "str", "full, follow-up, thematic, unannounced ..."),
        Col("body", "str", "Body that visited."),
        Col("rating_safety", "float", _SCORE_DOC.format(test="safety"), words=HEALTHY_PRISON_SCORES),
        Col("rating_respect", "float", _SCORE_DOC.format(test="respect"), words=HEALTHY_PRISON_SCORES),
        Col("rating_purposeful_activity", "float", _SCORE_DOC.format(test="purposeful activity"),
            words=HEALTHY_PRISON_SCORES),
        Col("rating_rehabilitation", "float", _SCORE_DOC.format(test="rehabilitation and release planning"),
            words=HEALTHY_PRISON_SCORES),
        Col("overall_rating", "str", "Overall rating or judgement as published, in its own words "
            "(e.g. 'Requires improvement', 'Good', 'Inadequate')."),
        Col("framework", "str", "Standard or framework the ratings are given under "
            "(e.g. CQC, HMIP healthy prison tests, Ofsted SCCIF, IMB annual report)."),
    ],
    "context": [
        Col("facility_id", "str", "Facility.", True),
        Col("period_start", "date", "First day of the period.", True),
        Col("period_end", "date", "Last day of the period (filled from a period label such as 2019/20)."),
        Col("factor", "str", "What is measured (family_visits, time_unlocked_hours, staffing ...).", True),
        Col("value", "float", "The figure."),
        Col("unit", "str", "Unit of the figure."),
    ],
}


def columns(table: str) -> list[Col]:
    """Canonical columns of ``table``."""
    return TABLES[table]


def column_names(table: str) -> list[str]:
    return [c.name for c in TABLES[table]]


def empty(table: str) -> pd.DataFrame:
    """An empty canonical frame with the right columns and dtypes."""
    return pd.DataFrame({c.name: pd.Series(dtype=_DTYPES[c.kind]) for c in TABLES[table]}
                        | {p: pd.Series(dtype="object" if p != "_row" else "Int64") for p in PROVENANCE})


_DTYPES = {"str": "object", "int": "Int64", "float": "float64", "date": "datetime64[ns]",
           "datetime": "datetime64[ns]", "month": "datetime64[ns]", "bool": "boolean", "status": "object"}


def schema(table: str) -> pa.DataFrameSchema:
    """The pandera schema that a canonical frame must pass."""
    cols: dict[str, pa.Column] = {}
    for c in TABLES[table]:
        checks = []
        if c.allowed:
            checks.append(pa.Check.isin(list(c.allowed), error=f"must be one of: {', '.join(c.allowed)}"))
        if c.kind == "month":
            checks.append(pa.Check(lambda s: s.dt.day == 1, element_wise=False, error="must be the first of a month"))
        cols[c.name] = pa.Column(
            _DTYPES[c.kind] if c.kind not in ("str", "status") else None,
            checks=checks, nullable=not c.required, required=c.required, unique=c.unique, coerce=False,
        )
    return pa.DataFrameSchema(cols, strict=False, name=table)


def describe_markdown() -> str:
    """A Markdown reference of every canonical table (used for the README)."""
    out = []
    for table, cols in TABLES.items():
        out.append(f"### `{table}`\n\n| column | type | required | meaning |\n|---|---|---|---|")
        for c in cols:
            allowed = f" One of: {', '.join(c.allowed)}." if c.allowed else ""
            out.append(f"| `{c.name}` | {c.kind} | {'yes' if c.required else ''} | {c.doc}{allowed} |")
        out.append("")
    return "\n".join(out)
