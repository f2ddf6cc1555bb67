"""The configuration file (``datapack.yaml``): one typed, documented schema.

Everything is checked before any work starts and every problem is reported
at once. Paths resolve against the folder of the configuration file.
"""

from __future__ import annotations

import glob
import hashlib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

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
        return self


class SourceConfig(_Strict):
    """One export: where it is, what table it feeds, and how its columns map."""

    name: str = Field(description="Short unique name used in messages and provenance.")
    table: TableName = Field(description="Canonical table this source feeds.")
    path: str = Field(description="File path or glob, relative to the configuration file.")
    format: str | None = Field(None, description="Adapter name; detected from the extension when omitted.")
    sheet: str | int | None = Field(None, description="Sheet name or 0-based index; first sheet when omitted.")
    header_row: int | None = Field(None, ge=1, description="1-based header row; detected when omitted.")
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


class Disclosure(_Strict):
    """Small-number suppression applied to every output."""

    threshold: int = Field(5, ge=0, description="Counts from 1 to threshold-1 are hidden (0 shows).")
    rounding: int | None = Field(None, ge=1, description="Round shown counts to this base (e.g. 5).")
    symbol: str = Field("[c]", description="Shown in place of a hidden figure.")


class FacilityMatching(_Strict):
    """How names and codes in exports resolve to the register."""

    on_unknown: Literal["error", "warn", "add"] = Field(
        "error", description="An unknown facility is an error (default), a warning (rows dropped), or added to the register.")
    strip_prefixes: list[str] = Field(default_factory=lambda: list(DEFAULT_PREFIXES))


class Analysis(_Strict):
    """Settings of the analysis; every threshold the pack uses is here, documented."""

    indicators: str | None = Field(None, description="Indicators file; the shipped defaults when omitted.")
    enquiry: str | None = Field(None, description="Areas-for-enquiry master list; the shipped one when omitted.")
    framework: str = Field("hmip", description="Section framework of the indicators file (hmip or imb shipped).")
    window_months: int = Field(12, ge=3, description="Length of the latest and previous periods compared.")
    alpha: float = Field(0.01, gt=0, lt=0.5, description="Significance level for survey and rate comparisons.")
    spc_screening: bool = Field(False, description="Screen out large moving ranges before computing SPC limits.")
    spc_min_points: int = Field(12, ge=2, description="Below this many points, control limits are 'trial'.")
    funnel_overdispersion: bool = Field(True, description="Widen funnel limits for over-dispersion among peers.")
    equality_threshold: float = Field(1.25, gt=1, description="Relative rate beyond which a difference is raised.")
    rise_threshold: float = Field(0.25, ge=0, description="A change of rate at least this large (25%) is raised.")
    survey_min_group: int = Field(11, ge=1, description="Smallest group of respondents discussed (IDSR uses 11).")
    overdue_share: float = Field(0.5, gt=0, le=1, description="Share of recommendations not achieved that is raised.")


class Project(_Strict):
    """What appears on the cover of every pack."""

    title: str = "Pre-visit datapack"
    body: str = Field("", description="The body preparing the visit.")
    marking: str = Field("OFFICIAL-SENSITIVE", description="Classification marking on every page.")


class Config(_Strict):
    """The whole configuration file."""

    project: Project = Project()
    output: str = Field("output", description="Folder packs are written to, relative to the configuration file.")
    cache: str | None = Field(".datapack-cache", description="Folder for parsed sources; empty to turn caching off.")
    templates: str | None = Field(None, description="Folder of templates that override the project's templates/.")
    disclosure: Disclosure = Disclosure()
    facilities: FacilityMatching = FacilityMatching()
    analysis: Analysis = Analysis()
    status_vocabulary: dict[str, str] = Field(
        default_factory=dict, description="Extra recommendation statuses -> internal scale.")
    sources: list[SourceConfig]
    base_dir: Path = Field(Path("."), exclude=True)
    digest: str = Field("", exclude=True)

    @field_validator("sources")
    @classmethod
    def _unique_names(cls, sources: list[SourceConfig]) -> list[SourceConfig]:
        seen: set[str] = set()
        for s in sources:
            if s.name in seen:
                raise ValueError(f"two sources are named {s.name!r}; names must be unique")
            seen.add(s.name)
        if not any(s.table == "facilities" for s in sources):
            raise ValueError("no source feeds the 'facilities' table: add the facility register")
        return sources

    def resolve(self, relative: str) -> Path:
        """A path from the file, resolved against the configuration's folder."""
        p = Path(relative)
        return p if p.is_absolute() else self.base_dir / p

    def files_for(self, source: SourceConfig) -> list[Path]:
        """Files matching a source's path or glob, sorted."""
        pattern = str(self.resolve(source.path))
        if glob.has_magic(pattern):
            return sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
        p = Path(pattern)
        return [p] if p.is_file() else []

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
    return Problem("config", f"{loc}: {err['msg']}", file=file, column=loc, hint=hint)


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
        raise InputError([Problem("config-yaml", f"not valid YAML: {getattr(exc, 'problem', exc)}", file=str(path),
                                  row=mark.line + 1 if mark else None, hint="fix the indentation or quoting there")])
    if not isinstance(data, dict):
        raise InputError([Problem("config-yaml", "expected a mapping of settings at the top level", file=str(path))])
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
        if not files:
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
    return problems
