"""The configuration file (``datapack.yaml``): one typed, documented schema.

Everything is checked before any work starts and every problem is reported
at once. Paths resolve against the folder of the configuration file.
"""

from __future__ import annotations

import fnmatch
import glob
import hashlib
from dataclasses import replace
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator,
                      model_validator)

from datapack.config_values import (MAX_HEADER_ROW, Limits, check_delimiter, check_encoding, check_strptime,
                                    check_regex)
from datapack.problems import InputError, Problem

TableName = Literal[
    "facilities", "population", "incidents", "incident_counts", "survey_responses",
    "survey_questions", "survey_results", "recommendations", "visits", "context",
]

#: The order tables are loaded in: the register first, so names can resolve.
TABLE_ORDER: tuple[str, ...] = (
    "facilities", "population", "incidents", "incident_counts", "survey_questions",
    "survey_responses", "survey_results", "recommendations", "visits", "context",
)

DEFAULT_PREFIXES = [
    "HMP/YOI", "HMP & YOI", "HMP and YOI", "HMP", "HMYOI", "YOI", "HMIRC", "IRC", "CEM", "STC",
    "SCH", "Immigration Removal Centre", "Prison", "Custody Suite", "The",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Unpivot(_Strict):
    """Turn wide columns (one per month or measure) into rows."""

    columns: list[str] | None = Field(None, description="Headings to turn into rows.")
    pattern: str | None = Field(None, description="Regular expression: headings that match are turned into rows.")
    names_to: str = Field(description="Canonical column that receives each heading (e.g. period, measure).")
    values_to: str = Field(description="Canonical column that receives each cell (e.g. count, population).")

    @model_validator(mode="after")
    def _one_of(self) -> "Unpivot":
        if not self.columns and not self.pattern:
            raise ValueError("give 'columns' (a list of headings) or 'pattern' (a regular expression)")
        check_regex(self.pattern, "pattern")
        return self


Headings = str | list[str]


class DateParts(_Strict):
    """A date put together from several columns: year, month (and day), or a date and a time."""

    year: Headings | None = Field(None, description="Heading of the year (2019).")
    month: Headings | None = Field(None, description="Heading of the month: a name (Jan, January, Sept) or 1-12.")
    day: Headings | None = Field(None, description="Heading of the day of the month; without it, the month.")
    date: Headings | None = Field(None, description="Heading of the date, when the time is in a column of its own.")
    time: Headings | None = Field(None, description="Heading of the time of day (14:05, 2:05 pm, 1405, 0.5); "
                                  "a blank time gives the date alone.")

    @model_validator(mode="after")
    def _one_layout(self) -> "DateParts":
        if self.date is not None:
            if self.year is not None or self.month is not None or self.day is not None:
                raise ValueError("give 'date' and 'time', or 'year' and 'month' (with 'day'), not both")
            if self.time is None:
                raise ValueError("'date' alone is a plain column: map it under 'columns', or add 'time'")
        elif self.year is None or self.month is None:
            raise ValueError("give 'year' and 'month' (and 'day', 'time' if the file has them), or 'date' and 'time'")
        elif self.time is not None and self.day is None:
            raise ValueError("a 'time' needs a 'day' (or a 'date')")
        return self

    def headings(self) -> dict[str, list[str]]:
        """Each part given, with its heading alternatives, in the order year, month, day, date, time."""
        return {part: [v] if isinstance(v, str) else list(v)
                for part in ("year", "month", "day", "date", "time") if (v := getattr(self, part)) is not None}


class SourceConfig(_Strict):
    """One export: where it is, what table it feeds, and how its columns map."""

    name: str = Field(description="Short unique name used in messages and provenance.")
    table: TableName = Field(description="Canonical table this source feeds.")
    path: str | None = Field(None, description="File path or glob, relative to the configuration file; "
                             "omitted only for a database server (format sql with options.url).")
    format: str | None = Field(None, description="Adapter name; detected from the extension when omitted.")
    sheet: str | int | None = Field(None, description="Sheet name or 0-based index; first sheet when omitted.")
    header_row: int | None = Field(None, ge=1, le=MAX_HEADER_ROW,
                                   description="1-based header row; detected when omitted.")
    encoding: str | None = Field(None, description="Text encoding; detected when omitted.")
    delimiter: str | None = Field(None, description="CSV delimiter; sniffed when omitted.")
    columns: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description="Canonical column -> heading in the file (or a list of alternatives). "
        "'@key' takes a value found around the table (e.g. '@report_date'); "
        "'path:NAME' takes a named group of 'path_pattern'.")
    constants: dict[str, Any] = Field(default_factory=dict, description="Canonical column -> the same value for every row.")
    values: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Canonical column -> {value in file: canonical value}; matched ignoring case and punctuation.")
    dates: dict[str, str | list[str]] = Field(default_factory=dict, description="Canonical column -> strptime format(s).")
    dayfirst: bool = Field(True, description="Read 03/04/2024 as 3 April (UK) rather than 4 March.")
    skip_rows: dict[str, str] = Field(
        default_factory=dict, description="Heading -> regular expression; matching rows are left out (e.g. totals).")
    unpivot: Unpivot | None = None
    path_pattern: str | None = Field(None, description="Regular expression with named groups matched against file names.")
    options: dict[str, Any] = Field(default_factory=dict, description="Settings for the adapter (see `datapack formats`).")
    required: bool = Field(True, description="When false a missing file is a warning, not an error.")
    published: bool = Field(
        False, description="The figures are already public (published statistics): shown as the publisher "
        "showed them, with its symbols, and not suppressed again.")
    # Layouts: settings that put one canonical column together from several parts of the file.
    header_rows: int = Field(1, ge=0, le=10, description="Heading rows, from the header row down, joined into one "
                             "name per column with ' / ' (a blank upper cell takes the heading to its left); "
                             "0: no heading row, columns named column_1, column_2, ...")
    date_parts: dict[str, DateParts] = Field(
        default_factory=dict, description="Canonical date column -> the columns it is put together from.")
    sums: dict[str, list[Headings]] = Field(
        default_factory=dict, description="Canonical count column -> headings added up; a suppressed or missing "
        "part makes the sum suppressed or missing.")
    financial_year_start: int = Field(4, ge=1, le=12, description="Month financial years start in (4, April).")

    @field_validator("date_parts")
    @classmethod
    def _date_columns(cls, parts: dict[str, DateParts], info: ValidationInfo) -> dict[str, DateParts]:
        for canonical, spec in parts.items():
            kind = _layout_target(canonical, info, ("date", "datetime", "month"), "date_parts")
            if spec.time is not None and kind != "datetime":
                raise ValueError(f"{canonical}: is a {kind} column, so it has no time of day; remove 'time'")
        return parts

    @field_validator("sums")
    @classmethod
    def _sum_columns(cls, sums: dict[str, list[Headings]], info: ValidationInfo) -> dict[str, list[Headings]]:
        for canonical, headings in sums.items():
            _layout_target(canonical, info, ("float", "int"), "sums")
            if len(headings) < 2:
                raise ValueError(f"{canonical}: a sum needs two or more headings; map a single one under 'columns'")
        return sums

    @field_validator("dates")
    @classmethod
    def _date_keywords(cls, dates: dict[str, str | list[str]], info: ValidationInfo) -> dict[str, str | list[str]]:
        from datapack.adapters.cells import FINANCIAL_YEAR

        for canonical, formats in dates.items():
            words = [formats] if isinstance(formats, str) else formats
            if FINANCIAL_YEAR in [w.strip().lower() for w in words] and canonical not in _PERIOD_COLUMNS:
                raise ValueError(f"{canonical}: '{FINANCIAL_YEAR}' is for the period columns "
                                 f"{' and '.join(_PERIOD_COLUMNS)}")
        return dates

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, value: str | None) -> str | None:
        return check_delimiter(value)

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        return check_encoding(value)

    @field_validator("columns")
    @classmethod
    def _headings_given(cls, value: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        for canonical, wanted in value.items():
            options = [wanted] if isinstance(wanted, str) else wanted
            if not options:
                raise ValueError(f"{canonical}: an empty list of headings; give at least one")
            if any(not o.strip() for o in options):
                raise ValueError(f"{canonical}: a heading cannot be empty")
        return value

    @field_validator("dates")
    @classmethod
    def _formats_work(cls, value: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        from datapack.adapters.cells import strptime_formats

        for canonical, formats in value.items():
            listed = [formats] if isinstance(formats, str) else formats
            if not listed:
                raise ValueError(f"{canonical}: an empty list of date formats; give one, or remove the entry")
            for fmt in strptime_formats(listed):  # 'excel' and 'financial_year' are keywords, not formats
                try:
                    check_strptime(fmt)
                except ValueError as exc:
                    raise ValueError(f"{canonical}: {exc}") from None
        return value

    @field_validator("skip_rows")
    @classmethod
    def _skip_patterns(cls, value: dict[str, str]) -> dict[str, str]:
        for heading, pattern in value.items():
            check_regex(pattern, f"{heading}:")
        return value

    @field_validator("path_pattern")
    @classmethod
    def _path_pattern(cls, value: str | None) -> str | None:
        return check_regex(value, "path_pattern")

    @model_validator(mode="after")
    def _has_path(self) -> "SourceConfig":
        if self.path is None and not (self.format == "sql" and "url" in self.options):
            raise ValueError("add 'path' (the file or glob to read); only a database source "
                             "(format: sql with options.url) has none")
        return self


#: Columns whose cells may be financial-year labels (2019/20, 2011-12).
_PERIOD_COLUMNS = ("period_start", "period_end")


def _layout_target(canonical: str, info: ValidationInfo, kinds: tuple[str, ...], setting: str) -> str:
    """The kind of ``canonical`` in the source's table; a ValueError unless it is one of ``kinds`` and not
    mapped elsewhere too."""
    from datapack.tables.schemas import TABLES

    table = info.data.get("table")
    if table is None:  # the table itself is wrong: that is reported on its own
        return kinds[0]
    cols = {c.name: c.kind for c in TABLES[table]}
    if canonical not in cols:
        raise ValueError(f"{canonical}: not a column of the {table} table; columns are {', '.join(cols)}")
    if cols[canonical] not in kinds:
        raise ValueError(f"{canonical}: is a {cols[canonical]} column; {setting} makes {' or '.join(kinds)} columns")
    for other in ("columns", "constants", "date_parts"):
        if other != setting and canonical in (info.data.get(other) or {}):
            raise ValueError(f"{canonical}: is also under '{other}'; give it in one place")
    return cols[canonical]


class Disclosure(_Strict):
    """What each output protects: people in the team's pack, small counts too in public outputs."""

    audience: Literal["team", "public"] = Field(
        "team", description="team (default): the visiting team's pack, marked as the project says; counts and rates "
        "are shown, and no group of fewer than threshold people is described (survey answers, subgroups, equality). "
        "public: counts from 1 to threshold-1 are hidden too, with secondary suppression so none can be worked back.")
    threshold: int = Field(5, ge=0, description="Smallest group of people described; in public outputs also the "
                           "smallest count shown (counts from 1 to threshold-1 are hidden; 0 shows).")
    rounding: int | None = Field(None, ge=1, description="Round shown counts to this base (e.g. 5).")
    symbol: str = Field("[c]", description="Shown in place of a hidden figure.")


class FacilityMatching(_Strict):
    """How names and codes in exports resolve to the register."""

    on_unknown: Literal["error", "warn", "add"] = Field(
        "error", description="An unknown facility is an error (default), a warning (rows dropped), or added to the register.")
    strip_prefixes: list[str] = Field(default_factory=lambda: list(DEFAULT_PREFIXES))
    default_type: str | None = Field(
        None, description="Type of the places found in the data when no register is configured, and of places "
        "added with on_unknown: add (e.g. police_custody; 'other' when omitted with a register).")

    @field_validator("default_type")
    @classmethod
    def _known_type(cls, value: str | None) -> str | None:
        from datapack.tables.schemas import FACILITY_TYPES

        if value is not None and value not in FACILITY_TYPES:
            raise ValueError(f"unknown facility type {value!r}; use one of: {', '.join(FACILITY_TYPES)}")
        return value


class Analysis(_Strict):
    """Settings of the analysis; every threshold the pack uses is here, documented."""

    indicators: str | None = Field(None, description="Indicators file; the shipped defaults when omitted.")
    enquiry: str | None = Field(None, description="Areas-for-enquiry master list; the shipped one when omitted.")
    framework: str | None = Field(None, description="One section framework of the indicators file for every pack "
                                  "(e.g. imb); null (default): each pack by the framework of the body that visits "
                                  "its type (hmip, hmip_irc, custody, cqc, children shipped).")
    window_months: int = Field(12, ge=3, description="Length of the latest and previous periods compared.")
    alpha: float = Field(0.01, gt=0, lt=0.5, description="Significance level for survey and rate comparisons.")
    spc_screening: bool = Field(False, description="Screen out large moving ranges before computing SPC limits.")
    spc_min_points: int = Field(12, ge=2, description="Below this many points, control limits are 'trial'.")
    first_page_areas: int = Field(8, ge=1, description="Areas for enquiry (one per theme) on the first page; the rest "
                                  "follow under 'More areas for enquiry'.")
    charts: Literal["signals", "all"] = Field(
        "signals", description="Which indicators get their control chart and funnel plot in the pack: 'signals' "
        "(default) those an area for enquiry points to or whose chart or funnel shows a signal, the others a "
        "sentence saying there is nothing to highlight (every series is in data.xlsx); 'all': every one held.")
    spc_baseline: int | None = Field(
        12, ge=2, description="Control limits come from the first this many months of each segment (Making Data "
        "Count), and are recalculated only where a sustained shift after them is confirmed; null: from every month.")
    funnel_overdispersion: bool = Field(True, description="Widen funnel limits for over-dispersion among peers.")
    min_peers: int = Field(5, ge=3, description="Smallest peer group a place is compared with (facilities of the "
                           "same function); with fewer it is compared with the places of its type, and with fewer "
                           "of those with none: never with places of another type.")
    equality_threshold: float = Field(1.25, gt=1, description="Relative rate beyond which a difference is raised.")
    rise_threshold: float = Field(0.25, ge=0, description="A change of rate at least this large (25%) is raised.")
    survey_min_group: int = Field(11, ge=1, description="Smallest group of respondents discussed (IDSR uses 11).")
    overdue_share: float = Field(0.5, gt=0, le=1, description="Share of recommendations not achieved that is raised.")


class Checks(_Strict):
    """Sanity and plausibility checks on every source (README, "Checks").

    What fails a check is reported as a located problem and left out of the
    tables (or, for a duplicate, counted once), so no implausible or doubled
    row reaches a pack; ``datapack build --strict`` makes any of them fatal.
    """

    earliest_year: int = Field(1970, ge=1800, le=2200, description="Event dates before 1 January of this year "
                               "are implausible: reported and left out (facility opening dates are not checked).")
    capacity_ratio: float = Field(2.0, gt=1, description="A population above this many times the facility's "
                                  "capacity (its largest capacity figure that month, else the register's) is "
                                  "reported and left out.")
    max_population: float = Field(100_000, gt=0, description="Largest plausible population, capacity or "
                                  "throughput of one facility in one month.")
    max_count: float = Field(1_000_000, gt=0, description="Largest plausible count on one row (incidents, "
                             "published counts, survey answers).")
    max_duration_hours: float = Field(87_600, gt=0, description="Longest plausible segregation, separation or "
                                      "seclusion, in hours (default 10 years).")
    totals: Literal["drop", "keep"] = Field(
        "drop", description="Rows whose facility reads as a total (Total, Sub total, Grand total, All "
        "establishments, England and Wales, National, ...) are left out of the tables and checked against the "
        "sum of their rows (drop), or kept as facilities (keep).")
    total_labels: list[str] = Field(default_factory=list, description="More facility labels that mark a total "
                                    "row, compared ignoring case and punctuation (e.g. 'Male estate').")
    total_tolerance: float = Field(0.0, ge=0, lt=1, description="Relative difference allowed between a total row "
                                   "and the sum of its rows (for figures rounded before they were summed).")
    vocabulary: dict[str, list[str]] = Field(
        default_factory=dict, description="Characteristic (ethnicity, age_band, ...) -> its canonical groups. "
        "By default the groups of the population mix (the context table's '<Characteristic>: <group>' factors).")

    @field_validator("vocabulary")
    @classmethod
    def _known_characteristics(cls, vocabulary: dict[str, list[str]]) -> dict[str, list[str]]:
        from datapack.tables.schemas import CHARACTERISTICS

        unknown = sorted(set(vocabulary) - set(CHARACTERISTICS))
        if unknown:
            raise ValueError(f"unknown characteristics {unknown}; use {', '.join(CHARACTERISTICS)}")
        return vocabulary


def _walk_glob(pattern: str) -> list[str]:
    """Files matching a ``**`` pattern, visiting each real folder once (so symlink loops end).

    ``glob.glob(recursive=True)`` follows a link such as ``loop -> ..`` about
    40 levels deep and returns one file 40 times; two such links multiply.
    """
    parts = Path(pattern).parts
    fixed = next(i for i, part in enumerate(parts) if glob.has_magic(part))
    root, wanted = Path(*parts[:fixed]), parts[fixed:]
    hidden_wanted = any(w.startswith(".") for w in wanted)
    found, visited = [], set()
    for folder, dirs, names in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in visited:
            dirs[:] = []
            continue
        visited.add(real)
        if not hidden_wanted:
            dirs[:] = [d for d in dirs if not d.startswith(".")]
        relative = Path(folder).relative_to(root).parts
        found += [os.path.join(folder, n) for n in names if _glob_match(relative + (n,), wanted)]
    return found


def _glob_match(parts: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    """Whether path ``parts`` match glob ``pattern`` segments as ``glob`` would (``**`` any folders, no dot-names)."""
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_glob_match(parts[i:], rest) for i in range(len(parts) + 1)
                   if not any(p.startswith(".") for p in parts[:i]))
    if not parts or (parts[0].startswith(".") and not head.startswith(".")):
        return False
    return fnmatch.fnmatchcase(parts[0], head) and _glob_match(parts[1:], rest)


class Project(_Strict):
    """What appears on the cover of every pack."""

    title: str = "Pre-visit datapack"
    body: str = Field("", description="The body preparing the visit.")
    marking: str = Field("OFFICIAL-SENSITIVE", description="Classification marking on every page.")


class ScheduleBand(_Strict):
    """One suggested frequency and intensity of visit, chosen by the priority score or a gateway rule."""

    id: str = Field(description="Short name, used by the gateway rules (e.g. urgent).")
    label: str = Field(description="What is suggested, in plain words (e.g. 'Unannounced full visit within 3 months').")
    min_score: float = Field(ge=0, le=100, description="Lowest priority score (0-100) that suggests this band.")
    months: int = Field(ge=1, description="Longest suggested wait before the visit, in months.")


def _default_bands() -> list[ScheduleBand]:
    return [ScheduleBand(id="urgent", label="Unannounced full visit within 3 months", min_score=60, months=3),
            ScheduleBand(id="priority", label="Full or follow-up visit within 6 months", min_score=35, months=6),
            ScheduleBand(id="routine", label="Routine visit within 12 months", min_score=0, months=12)]


class ScheduleWeights(_Strict):
    """Weight of each factor in the priority score; any non-negative numbers (they are scaled to 100)."""

    signals: float = Field(20, ge=0, description="Signals of concern on the control charts in the latest months.")
    outliers: float = Field(10, ge=0, description="Rates beyond the funnel limits on the worse side of peers.")
    deaths: float = Field(15, ge=0, description="Deaths in the last 12 months; self-inflicted deaths weigh more.")
    recommendations: float = Field(12, ge=0, description="Recommendations past their due date, and repeated ones.")
    surveys: float = Field(10, ge=0, description="Survey questions answered significantly worse than at peers.")
    disproportionality: float = Field(10, ge=0,
                                      description="Restrictive practices falling disproportionately on a group.")
    time_since_visit: float = Field(8, ge=0, description="Time since the last in-depth visit against its target.")
    vulnerability: float = Field(6, ge=0, description="Vulnerability of the people held, by type of facility.")
    restrictions: float = Field(6, ge=0, description="Segregation and restraint rates beyond the peers' funnel limits.")
    family_contact: float = Field(3, ge=0, description="Family contact (context factor) low against other places.")


class Schedule(_Strict):
    """The visit-priority model of ``datapack schedule``: an aid to prioritising, not a rating.

    Each factor is scored 0-1 from the analysis and weighted; the score
    (0-100) is the sum of the weighted parts. Gateway rules override the
    score's band (they can only bring a visit forward).
    """

    weights: ScheduleWeights = ScheduleWeights()
    missing: Literal["redistribute", "zero"] = Field(
        "redistribute", description="A factor with no data: its weight is shared among the others in proportion "
        "(redistribute), or it counts as 0 (zero). Either way it is shown as 'no data'.")
    signal_months: int = Field(3, ge=1, description="A signal of concern in this many latest months counts.")
    signals_full: int = Field(2, ge=1, description="Indicators with a recent signal of concern for the full score.")
    outlier_comparisons: list[Literal["peers", "type", "all"]] = Field(
        default_factory=lambda: ["peers", "type"],
        description="Comparisons that count for outliers and restrictions; 'all' (unlike places) is off by default.")
    outliers_full: float = Field(2, gt=0, description="Outlier points for the full score: 1 an indicator above the "
                                 "99.8% limit, 0.5 above the 95% limit.")
    restriction_indicators: list[str] = Field(
        default_factory=lambda: ["segregation", "segregation_hours", "restraint", "restraint_mechanical",
                                 "restraint_chemical"],
        description="Indicators of restrictive practices, scored under restrictions (not outliers); "
        "those the indicators file lacks are skipped unless named here explicitly.")
    death_self_inflicted: float = Field(1.0, ge=0, le=1, description="Score when any death in the last 12 months "
                                        "was self-inflicted (presence only, so no hidden count can be read back).")
    death_other: float = Field(0.5, ge=0, le=1, description="Score when there were deaths in the last 12 months, "
                               "none of them self-inflicted.")
    overdue_full: int = Field(10, ge=1, description="Overdue recommendations for the full half-score on overdue.")
    repeats_full: int = Field(5, ge=1, description="Outstanding repeated recommendations for the full half-score.")
    survey_full: int = Field(5, ge=1, description="Questions significantly worse than peers for the full score.")
    disproportion_full: float = Field(1, gt=0, description="Points for the full score: 1 a group whose interval "
                                      "lies wholly beyond the equality threshold, 0.5 otherwise.")
    full_visit_types: list[str] = Field(default_factory=lambda: ["full"],
                                        description="Visit types that count as in-depth (compared ignoring case).")
    target_months: dict[str, float] = Field(
        default_factory=lambda: {"default": 36, "yoi": 24, "womens_prison": 24, "secure_childrens_home": 12,
                                 "secure_training_centre": 12, "secure_hospital": 24, "irc": 24},
        description="Target months between in-depth visits by facility type ('default' for the rest).")
    vulnerability: dict[str, float] = Field(
        default_factory=lambda: {"default": 0.3, "yoi": 1.0, "secure_childrens_home": 1.0,
                                 "secure_training_centre": 1.0, "womens_prison": 0.8, "secure_hospital": 0.8,
                                 "irc": 0.7, "police_custody": 0.5, "short_term_holding": 0.5, "court_cells": 0.4},
        description="Vulnerability score (0-1) by facility type ('default' for the rest).")
    family_factor: str = Field("family_visits", description="Context-table factor measuring family contact "
                               "(more is better); compared across places holding it.")
    bands: list[ScheduleBand] = Field(default_factory=_default_bands,
                                      description="Suggested bands, most urgent first; one must start at 0.")
    gateway_self_inflicted_death: str | None = Field(
        "urgent", description="Band for a place with a self-inflicted death since its last visit; null for off.")
    gateway_no_full_visit: str | None = Field(
        "priority", description="Band for a place with no in-depth visit for longer than gateway_years; null for off.")
    gateway_years: dict[str, float] = Field(
        default_factory=lambda: {"default": 5, "yoi": 3, "secure_childrens_home": 2, "secure_training_centre": 2},
        description="Years without an in-depth visit that make one due, by facility type ('default' for the rest).")
    gateway_unmet_recommendations: str | None = Field(
        "priority", description="Band for a place where most assessed recommendations are not achieved; null for off.")
    gateway_unmet_share: float = Field(0.75, gt=0, le=1, description="Share of assessed recommendations not "
                                       "achieved that meets the gateway.")
    gateway_unmet_min: int = Field(5, ge=1, description="Fewest assessed recommendations for that gateway.")

    @model_validator(mode="after")
    def _consistent(self) -> "Schedule":
        from datapack.tables.schemas import FACILITY_TYPES

        problems = []
        ids = [b.id for b in self.bands]
        if not ids or len(ids) != len(set(ids)):
            problems.append("bands need unique ids")
        if [b.min_score for b in self.bands] != sorted((b.min_score for b in self.bands), reverse=True):
            problems.append("bands go from the most urgent (highest min_score) down")
        if self.bands and self.bands[-1].min_score != 0:
            problems.append("the last band must have min_score 0, so every score has a band")
        for name in ("gateway_self_inflicted_death", "gateway_no_full_visit", "gateway_unmet_recommendations"):
            if getattr(self, name) is not None and getattr(self, name) not in ids:
                problems.append(f"{name}: unknown band {getattr(self, name)!r}; bands are {', '.join(ids)}")
        for name in ("target_months", "vulnerability", "gateway_years"):
            table = getattr(self, name)
            unknown = sorted(set(table) - set(FACILITY_TYPES) - {"default"})
            if unknown:
                problems.append(f"{name}: unknown facility types {unknown}; use 'default' or one of "
                                f"{', '.join(FACILITY_TYPES)}")
            if "default" not in table:
                problems.append(f"{name}: add a 'default' entry")
        if any(not 0 <= v <= 1 for v in self.vulnerability.values()):
            problems.append("vulnerability scores go from 0 to 1")
        if sum(self.weights.model_dump().values()) <= 0:
            problems.append("at least one weight must be above 0")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class Config(_Strict):
    """The whole configuration file."""

    project: Project = Project()
    output: str = Field("output", description="Folder packs are written to, relative to the configuration file.")
    cache: str | None = Field(".datapack-cache", description="Folder for parsed sources and charts already drawn; empty to turn caching off.")
    history: str | None = Field(
        ".datapack-history.sqlite", description="Build history database (SQLite), relative to the configuration "
        "file: what each build found, for the digest of what is new; null to keep no history.")
    templates: str | None = Field(None, description="Folder of templates that override the project's templates/.")
    disclosure: Disclosure = Disclosure()
    facilities: FacilityMatching = FacilityMatching()
    analysis: Analysis = Analysis()
    checks: Checks = Field(Checks(), description="Sanity and plausibility checks on the sources.")
    schedule: Schedule = Field(Schedule(), description="The visit-priority model (datapack schedule).")
    limits: Limits = Field(Limits(), description="How big an input may be (checked before it is read).")
    status_vocabulary: dict[str, str] = Field(
        default_factory=dict, description="Extra recommendation statuses -> internal scale.")
    sources: list[SourceConfig]
    base_dir: Path = Field(Path("."), exclude=True)
    digest: str = Field("", exclude=True)

    @field_validator("sources")
    @classmethod
    def _unique_names(cls, sources: list[SourceConfig], info: ValidationInfo) -> list[SourceConfig]:
        seen: set[str] = set()
        for s in sources:
            if s.name in seen:
                raise ValueError(f"two sources are named {s.name!r}; names must be unique")
            seen.add(s.name)
        facilities = info.data.get("facilities")  # absent when its own setting failed: reported there
        if (facilities is not None and facilities.default_type is None
                and not any(s.table == "facilities" for s in sources)):
            raise ValueError("no source feeds the 'facilities' table: add the facility register, or set "
                             "'facilities: {default_type: ...}' (e.g. prison, police_custody) to take the places "
                             "found in the data as the register")
        return sources

    def resolve(self, relative: str) -> Path:
        """A path from the file, resolved against the configuration's folder."""
        p = Path(relative)
        return p if p.is_absolute() else self.base_dir / p

    def files_for(self, source: SourceConfig) -> list[Path]:
        """Files matching a source's path or glob, sorted, each real file once.

        Symbolic links are resolved, so a file reached twice (a link beside
        its target, a linked folder) is read once, and a link back up the
        tree under ``**`` is not followed round and round.
        """
        if source.path is None:
            return []
        pattern = str(self.resolve(source.path))
        if not glob.has_magic(pattern):
            p = Path(pattern)
            return [p] if p.is_file() else []
        found = _walk_glob(pattern) if "**" in pattern else glob.glob(pattern)
        files, seen = [], set()
        for p in sorted(Path(f) for f in found):
            real = os.path.realpath(p)
            if real not in seen and p.is_file():
                seen.add(real)
                files.append(p)
        return files

    def ordered_sources(self) -> list[SourceConfig]:
        """Sources in load order: the register first."""
        return sorted(self.sources, key=lambda s: TABLE_ORDER.index(s.table))


def _problem_from_pydantic(err: dict, file: str) -> Problem:
    loc = ".".join(str(x) for x in err["loc"])
    hint = None
    if err["type"] == "extra_forbidden":
        hint = "remove it, or check its spelling against README.md (Configuration)"
    elif err["type"] == "missing":
        hint = "add this setting"
    elif err["type"] == "literal_error":
        hint = "use one of the values listed"
    elif err["type"] == "value_error" or err["type"].endswith(("_type", "_parsing", "less_than_equal",
                                                                 "greater_than_equal", "greater_than")):
        hint = "correct this setting; README.md (Configuration) says what each one takes"
    return Problem("config", f"{loc}: {err['msg']}", file=file, column=loc, hint=hint)


def load_definitions(model: type[BaseModel], path: Path | None, shipped: str, code: str, setting: str) -> Any:
    """A definitions file (indicators, the enquiry master list) checked against ``model``.

    ``path`` None reads the file shipped in ``datapack/defaults``. Every
    problem is reported at once, located in the file, like the configuration.
    """
    from importlib import resources

    if path is None:
        text, where = resources.files("datapack.defaults").joinpath(shipped).read_text(), f"datapack/defaults/{shipped}"
    elif not path.is_file():
        raise InputError([Problem(f"{code}-missing", f"{str(path)!r} not found", file=str(path),
                                  hint=f"correct {setting} in the configuration")])
    else:
        text, where = path.read_text(), str(path)
    try:
        return model.model_validate(yaml.safe_load(text))
    except ValidationError as exc:
        raise InputError([Problem(code, f"{'.'.join(map(str, e['loc']))}: {e['msg']}", file=where)
                          for e in exc.errors()])
    except yaml.YAMLError as exc:
        raise InputError([Problem(f"{code}-yaml", f"not valid YAML: {exc}", file=where)])


def load_config(path: str | Path) -> Config:
    """Read and check a configuration file; raise :class:`InputError` listing every problem."""
    path = Path(path)
    if not path.is_file():
        raise InputError([Problem("config-missing", f"configuration file {str(path)!r} not found", file=str(path),
                                  hint="run from the project folder, or pass --config FILE")])
    text = path.read_bytes()
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        said = " ".join(str(getattr(exc, "problem", None) or exc).split())  # one line, however the parser put it
        raise InputError([Problem("config-yaml", f"not valid YAML: {said}", file=str(path),
                                  row=mark.line + 1 if mark else None,
                                  hint="fix the indentation (spaces, not tabs) or quoting there")])
    if not isinstance(data, dict):
        raise InputError([Problem("config-yaml", "expected a mapping of settings at the top level", file=str(path),
                                  hint="start with settings such as 'sources:' at the left margin "
                                  "(see README.md, Configuration)")])
    try:
        config = Config.model_validate({**data, "base_dir": path.parent.resolve(),
                                        "digest": hashlib.sha256(text).hexdigest()})
    except ValidationError as exc:
        raise InputError([_problem_from_pydantic(e, str(path)) for e in exc.errors()])
    problems = check_sources(config, str(path))
    if [p for p in problems if p.severity == "error"]:
        raise InputError(problems)
    return config


def check_sources(config: Config, file: str) -> list[Problem]:
    """Problems that need the file system or the adapter list: formats and paths."""
    from datapack import adapters

    problems: list[Problem] = []
    known = adapters.known()
    for s in config.sources:
        where = f"sources.{s.name}"
        files = config.files_for(s)
        target = config.resolve(s.path) if s.path is not None else None
        if not files and s.path is not None and not glob.has_magic(str(target)) and target.exists():
            kind = "a folder" if target.is_dir() else "not an ordinary file (a pipe or device)"
            problems.append(Problem(
                "not-a-file", f"{s.path!r} is {kind}", file=file, column=where,
                severity="error" if s.required else "warning",
                hint="point 'path' at the export itself, or at the files inside with a glob such as folder/*.csv"))
        elif not files and s.path is not None:
            problems.append(Problem(
                "source-missing", f"no file matches {s.path!r}", file=file, column=where,
                severity="error" if s.required else "warning",
                hint="put the export there, correct 'path', or set 'required: false'"))
        if s.format is not None and s.format not in known:
            problems.append(Problem("format-unknown", f"unknown format {s.format!r}", file=file, column=where,
                                    hint=f"use one of: {', '.join(known)}"))
        elif s.format is None:
            for f in files:
                if adapters.detect(f) is None:
                    problems.append(Problem("format-undetected", f"cannot tell the format of {f.name}", file=file,
                                            column=where, hint=f"set 'format' to one of: {', '.join(known)}"))
                    break
        check = getattr(known.get(s.format or (adapters.detect(files[0]) if files else "")), "check", None)
        if check is not None:  # the adapter's own options, e.g. a database source's URL and credentials
            problems += [replace(p, file=file, column=where) for p in check(s)]
    return problems
