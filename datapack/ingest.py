"""Read every configured source into the canonical tables, collecting every problem.

The register is loaded first so that facility names in other sources can
resolve. A file that cannot be read is reported and skipped; rows that
cannot be used are reported and left out; everything else goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd
import pandera.errors as pa_errors

from datapack import adapters
from datapack.cache import RawCache, file_sha256
from datapack.config import Config, SourceConfig
from datapack.problems import InputError, Problem, Report
from datapack.tables import schemas
from datapack.tables.facilities import FacilityIndex
from datapack.tables.mapping import to_canonical
from datapack.tables.survey_long import codebook_rows

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SourceFile:
    """One input file as read: what it fed and its fingerprint."""

    source: str
    table: str
    path: str
    sha256: str
    adapter: str
    rows: int
    cached: bool


@dataclass
class Estate:
    """Every canonical table for the whole estate, with the files and problems behind them."""

    config: Config
    tables: dict[str, pd.DataFrame]
    files: list[SourceFile] = field(default_factory=list)
    report: Report = field(default_factory=Report)

    def __post_init__(self) -> None:
        # Absent is a state: every canonical table is held, with every canonical column
        # (empty, or all blank), so no analysis has to ask whether a column exists.
        self.tables = {name: complete(name, self.tables.get(name)) for name in schemas.TABLES} | {
            name: frame for name, frame in self.tables.items() if name not in schemas.TABLES}

    def table(self, name: str) -> pd.DataFrame:
        """The canonical table ``name``: every canonical column, empty when no source feeds it."""
        frame = self.tables.get(name)
        return schemas.empty(name) if frame is None else frame

    def held(self, name: str) -> bool:
        """Whether any row of the table ``name`` is held."""
        return not self.table(name).empty

    @property
    def facilities(self) -> pd.DataFrame:
        return self.table("facilities")


def complete(name: str, frame: pd.DataFrame | None) -> pd.DataFrame:
    """``frame`` with every canonical column of ``name`` (a blank one where no source maps it)."""
    empty = schemas.empty(name)
    if frame is None:
        return empty
    missing = [c for c in empty.columns if c not in frame.columns]
    if not missing:
        return frame
    blank = pd.DataFrame({c: empty[c].reindex(frame.index) for c in missing}, index=frame.index)
    full = pd.concat([frame, blank], axis=1)
    return full[list(empty.columns) + [c for c in frame.columns if c not in empty.columns]]


def _settings(source: SourceConfig) -> dict:
    """The source settings that change what an adapter returns (the cache key)."""
    return {k: getattr(source, k) for k in ("format", "sheet", "header_row", "encoding", "delimiter", "options")} | {
        "columns": source.columns, "skip_rows": source.skip_rows,
        "unpivot": source.unpivot.model_dump() if source.unpivot else None}


def _with_status_vocabulary(source: SourceConfig, config: Config) -> SourceConfig:
    """Recommendation statuses mapped to the internal scale; the words used kept in ``status_raw``."""
    if source.table != "recommendations" or "status" not in source.columns:
        return source
    values = dict(source.values)
    values["status"] = schemas.STATUS_VOCABULARY | config.status_vocabulary | values.get("status", {})
    columns = dict(source.columns)
    columns.setdefault("status_raw", columns["status"])
    return source.model_copy(update={"values": values, "columns": columns})


def read_file(path: Path, source: SourceConfig, cache: RawCache) -> tuple[list, str, str, bool]:
    """Adapter output for one file (from the cache when unchanged), its format and hash."""
    fmt = source.format or adapters.detect(path)
    sha = file_sha256(path)
    key = cache.key(sha, fmt, _settings(source))
    cached = cache.get(key)
    if cached is not None:
        return cached, fmt, sha, True
    raws = adapters.get(fmt).read(path, source)
    cache.put(key, raws)
    return raws, fmt, sha, False


def _validate(table: str, frame: pd.DataFrame, report: Report) -> pd.DataFrame:
    """Final check against the pandera schema; failing rows are reported and dropped."""
    try:
        return schemas.schema(table).validate(frame, lazy=True)
    except pa_errors.SchemaErrors as exc:
        cases = exc.failure_cases
        bad_index = set()
        for case in cases.itertuples(index=False):
            idx = case.index if case.index is not None and not pd.isna(case.index) else None
            row = frame.loc[idx] if idx is not None and idx in frame.index else None
            if idx is not None:
                bad_index.add(idx)
            report.add(Problem(
                "schema", f"{table}: {case.check} (value {case.failure_case!r})",
                file=None if row is None else row["_file"], sheet=None if row is None else row["_sheet"],
                row=None if row is None or pd.isna(row["_row"]) else int(row["_row"]),
                column=str(case.column), source=None if row is None else row["_source"],
                hint="correct the value in the file" if row is not None else "check the mapping"))
        return frame.drop(index=list(bad_index))


def load_estate(config: Config, progress: Progress | None = None, only_tables: set[str] | None = None) -> Estate:
    """Read, map and check every source; never raises for bad input, reports it instead."""
    cache = RawCache(config.resolve(config.cache) if config.cache else None)
    report = Report()
    frames: dict[str, list[pd.DataFrame]] = {}
    files: list[SourceFile] = []
    derived_questions: list[dict] = []
    index: FacilityIndex | None = None
    added: dict[str, str] = {}
    # With no register, the places named in the data are the register (of the configured type).
    registered = any(s.table == "facilities" for s in config.sources)
    on_unknown = config.facilities.on_unknown if registered else "add"
    for source in config.ordered_sources():
        if only_tables and source.table not in only_tables | {"facilities"}:
            continue
        if index is None and source.table != "facilities":
            index = _build_index(frames, config, report)
        effective = _with_status_vocabulary(source, config)
        paths = config.files_for(source)
        if not paths:
            report.add(Problem("source-missing", f"no file matches {source.path!r}", source=source.name,
                               severity="error" if source.required else "warning",
                               hint="put the export there or correct 'path' in the configuration"))
        for path in paths:
            if progress:
                progress(f"{source.name}: {path.name}")
            try:
                raws, fmt, sha, was_cached = read_file(path, effective, cache)
            except InputError as exc:
                report.extend(_with_source(p, source.name) for p in exc.problems)
                continue
            rows = 0
            for raw in raws:
                if source.table == "survey_responses" and raw is not raws[0]:
                    continue  # repeat groups: one row per repeat, not per respondent; not counted as answers
                report.extend(_with_source(p, source.name) for p in raw.problems)
                frame, problems = to_canonical(raw, effective, index, on_unknown, added)
                report.extend(p for p in problems if registered or p.code != "facility-added")
                frames.setdefault(source.table, []).append(frame)
                rows += len(frame)
                if source.table == "survey_responses" and raw.questions:
                    survey = source.constants.get("survey", source.name)
                    derived_questions += codebook_rows(raw, str(survey), set(_survey_keys(source)))
            files.append(SourceFile(source.name, source.table, str(path), sha, fmt, rows, was_cached))
    if index is None:
        index = _build_index(frames, config, report)
    tables = {name: _validate(name, pd.concat(parts, ignore_index=True), report)
              for name, parts in frames.items() if parts}
    if added:
        kind = config.facilities.default_type or "other"
        tables["facilities"] = pd.concat([tables.get("facilities", schemas.empty("facilities")), pd.DataFrame(
            [{"facility_id": i, "name": n, "facility_type": kind, "_source": "found in the data"}
             for n, i in added.items()])], ignore_index=True)
        if not registered:
            report.add(Problem("no-register", f"no facility register is configured: the {len(added)} places named "
                               f"in the data are taken as the register, each of type {kind!r}", severity="warning",
                               hint="add a source for the facilities table to give names, types and peer groups"))
    tables["survey_questions"] = _merge_codebook(tables.get("survey_questions"), derived_questions)
    return Estate(config, tables, files, report)


def _survey_keys(source: SourceConfig) -> list[str]:
    return [v for v in source.columns.values() if isinstance(v, str)]


def _with_source(problem: Problem, source: str) -> Problem:
    return problem if problem.source else Problem(**{**problem.to_dict(), "source": source})


def _build_index(frames: dict[str, list[pd.DataFrame]], config: Config, report: Report) -> FacilityIndex:
    parts = frames.get("facilities", [])
    register = pd.concat(parts, ignore_index=True) if parts else schemas.empty("facilities")
    dupes = register[register["facility_id"].duplicated(keep="first")]
    for row in dupes.to_dict("records"):
        report.add(Problem("facility-duplicate", f"facility id {row['facility_id']!r} appears twice in the register",
                           file=row["_file"], sheet=row["_sheet"], row=row["_row"], column="facility_id",
                           source=row["_source"], hint="give each facility one row and a unique id"))
    if dupes.shape[0]:
        frames["facilities"] = [register.drop_duplicates("facility_id")]
    return FacilityIndex.from_register(register.drop_duplicates("facility_id"), config.facilities.strip_prefixes)


def _merge_codebook(configured: pd.DataFrame | None, derived: list[dict]) -> pd.DataFrame:
    """The configured codebook, filled in with question texts and options from the exports."""
    derived_frame = pd.DataFrame(derived, columns=schemas.column_names("survey_questions"))
    derived_frame = derived_frame.drop_duplicates(["survey", "question"])
    configured = None if configured is None else complete("survey_questions", configured)
    if configured is None or configured.empty:
        return derived_frame.assign(_source="export", _file=None, _sheet=None, _row=pd.NA)
    merged = configured.merge(derived_frame, on=["survey", "question"], how="outer", suffixes=("", "_export"))
    for col in ("text", "options"):
        merged[col] = merged[col].where(merged[col].notna(), merged[f"{col}_export"])
    merged["_source"] = merged["_source"].fillna("export")
    return merged[[c for c in configured.columns]]
