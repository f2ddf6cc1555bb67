"""Read every configured source into the canonical tables, collecting every problem.

The register is loaded first so that facility names in other sources can
resolve. A file that cannot be read is reported and skipped; rows that
cannot be used are reported and left out; everything else goes on. A file
whose content was already read for the same table is not read again, and
the sanity checks (:mod:`datapack.tables.checks`) run over the whole
estate before it is handed on.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd
import pandera.errors as pa_errors

from datapack import adapters
from datapack.adapters import guard
from datapack.cache import RawCache, file_sha256
from datapack.config import Config, SourceConfig
from datapack.problems import InputError, Problem, Report
from datapack.redaction.known import KnownIdentifiers
from datapack.redaction.tables import protect
from datapack.tables import schemas
from datapack.tables.checks import run_checks
from datapack.tables.checks.totals import fold_footnoted
from datapack.tables.facilities import FacilityIndex
from datapack.tables.mapping import to_canonical
from datapack.tables.survey_long import codebook_rows

Progress = Callable[[str], None]
log = logging.getLogger(__name__)
#: Key of ``RawTable.meta`` where survey adapters put the contact values they drop (taken out before caching).
PERSONAL_VALUES = "personal_values"


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
    #: Identifiers the inputs hold (person refs, names ...), for the leak gate: in memory only, never written.
    identifiers: KnownIdentifiers = field(default_factory=KnownIdentifiers, repr=False, compare=False)

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
        "unpivot": source.unpivot.model_dump() if source.unpivot else None,
        # heading rows, and the headings of composed columns, change which rows are found as the header
        "header_rows": source.header_rows, "date_parts": {k: v.model_dump() for k, v in source.date_parts.items()},
        "sums": source.sums,
        "dropped": PERSONAL_VALUES}  # entries cached before contact values were collected are read again


def _with_status_vocabulary(source: SourceConfig, config: Config) -> SourceConfig:
    """Recommendation statuses mapped to the internal scale; the words used kept in ``status_raw``."""
    if source.table != "recommendations" or "status" not in source.columns:
        return source
    values = dict(source.values)
    values["status"] = schemas.STATUS_VOCABULARY | config.status_vocabulary | values.get("status", {})
    columns = dict(source.columns)
    columns.setdefault("status_raw", columns["status"])
    return source.model_copy(update={"values": values, "columns": columns})


def read_file(path: Path | None, source: SourceConfig, cache: RawCache,
              sha: str | None = None) -> tuple[list, str, str, bool]:
    """Adapter output for one file (from the cache when unchanged), its format and hash.

    A database (``path`` None for a server) has no bytes to hash beforehand: it
    is read, and its result's hash with the query makes the key.
    """
    fmt = source.format or adapters.detect(path)
    adapter = adapters.get(fmt)
    if getattr(adapter, "hashes_result", False):
        raws = adapter.read(path, source)
        sha = raws[0].meta["sha256"]
        key = cache.key(sha, fmt, _settings(source))
        cached = cache.get(key)
        if cached is None:
            cache.put(key, raws)
        return (raws if cached is None else cached), fmt, sha, cached is not None
    guard.check_file(path)  # size, archive and XML checks come before any reader, and before the cache
    sha = sha or file_sha256(path)
    key = cache.key(sha, fmt, _settings(source))
    cached = cache.get(key)
    if cached is not None:
        return cached, fmt, sha, True
    raws = adapter.read(path, source)
    if any(raw.meta.get(PERSONAL_VALUES) for raw in raws):
        return raws, fmt, sha, False  # contact details the adapter dropped are never written, not even to the cache
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


def load_estate(config: Config, progress: Progress | None = None, only_tables: set[str] | None = None,
                as_of: object = None) -> Estate:
    """Read, map and check every source; never raises for bad input, reports it instead.

    ``as_of`` is the build date (default now): events dated after it are
    reported and left out.
    """
    cache = RawCache(config.resolve(config.cache) if config.cache else None)
    guard.use(config.limits)
    report = Report()
    read: dict[tuple[str, str, str], tuple[Path, str]] = {}  # (table, content hash, settings) -> first file
    frames: dict[str, list[pd.DataFrame]] = {}
    files: list[SourceFile] = []
    derived_questions: list[dict] = []
    index: FacilityIndex | None = None
    added: dict[str, str] = {}
    personal: list[tuple[str, str]] = []
    # With no register, the places named in the data are the register (of the configured type).
    registered = any(s.table == "facilities" for s in config.sources)
    on_unknown = config.facilities.on_unknown if registered else "add"
    for source in config.ordered_sources():
        if only_tables and source.table not in only_tables | {"facilities"}:
            continue
        if index is None and source.table != "facilities":
            index = _build_index(frames, config, report)
        effective = _with_status_vocabulary(source, config)
        paths = config.files_for(source) if source.path is not None else [None]  # None: a database server
        if not paths:
            report.add(Problem("source-missing", f"no file matches {source.path!r}", source=source.name,
                               severity="error" if source.required else "warning",
                               hint="put the export there or correct 'path' in the configuration"))
        for path in paths:
            if progress:
                progress(f"{source.name}: {path.name if path else 'database'}")
            sha = None
            if path is not None:
                try:
                    sha = file_sha256(path)
                except OSError as exc:
                    report.add(_unreadable(path, source.name, exc))
                    continue
                if (first := _read_before(read, path, sha, effective)) is not None:
                    report.add(_read_twice(path, source, *first))
                    continue
            try:
                raws, fmt, sha, was_cached = read_file(path, effective, cache, sha)
            except InputError as exc:
                report.extend(_with_source(p, source.name) for p in exc.problems)
                continue
            except OSError as exc:
                report.add(_unreadable(path, source.name, exc))
                continue
            except Exception as exc:  # a reader's own failure must cost this file, not the whole run
                report.add(_unexpected("reading", path.name, source.name, exc))
                continue
            rows = 0
            for raw in raws:
                personal += raw.meta.pop(PERSONAL_VALUES, [])
                if source.table == "survey_responses" and raw is not raws[0]:
                    continue  # repeat groups: one row per repeat, not per respondent; not counted as answers
                report.extend(_with_source(p, source.name) for p in raw.problems)
                try:
                    frame, problems = to_canonical(raw, effective, index, on_unknown, added, checks=config.checks)
                except Exception as exc:
                    report.add(_unexpected("mapping", raw.file, source.name, exc))
                    continue
                report.extend(p for p in problems if registered or p.code != "facility-added")
                frames.setdefault(source.table, []).append(frame)
                rows += len(frame)
                if source.table == "survey_responses" and raw.questions:
                    survey = source.constants.get("survey", source.name)
                    derived_questions += codebook_rows(raw, str(survey), set(_survey_keys(source)))
            # a database is named by what was read (database and table or query), never its credentials
            where = raws[0].file if getattr(adapters.get(fmt), "hashes_result", False) else str(path)
            files.append(SourceFile(source.name, source.table, where, sha, fmt, rows, was_cached))
    if index is None:
        index = _build_index(frames, config, report)
    tables = {name: _validate(name, _conform(name, pd.concat(parts, ignore_index=True)), report)
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
    tables, problems = run_checks(tables, config, as_of)
    report.extend(problems)
    report.problems = fold_footnoted(report.problems)
    tables["survey_questions"] = _merge_codebook(tables.get("survey_questions"), derived_questions)
    identifiers = protect(tables, personal)  # every free-text column redacted once, before anything reads it
    return Estate(config, tables, files, report, identifiers)


def _read_before(read: dict, path: Path, sha: str, source: SourceConfig) -> tuple[Path, str] | None:
    """The file already read with this content and this mapping (any path or name), if any (else remembered)."""
    mapping = source.model_dump(exclude={"name", "path", "required"})
    key = (source.table, sha, json.dumps(mapping, sort_keys=True, default=str))
    if key in read:
        return read[key]
    read[key] = (path, source.name)
    return None


def _read_twice(path: Path, source: SourceConfig, first: Path, first_source: str) -> Problem:
    """A copy of a file already read: reported, and not read again (it would double every count)."""
    also = "" if first_source == source.name else f" (source {first_source!r})"
    return Problem("file-read-twice", f"this file has the same content as {first.name}{also}, which was read; "
                   "it is not read again, so its rows are counted once", file=path.name, source=source.name,
                   hint="keep one of the two files in the sources folder, or narrow 'path' so it matches one")


def _unreadable(path: Path, source: str, exc: OSError) -> Problem:
    return Problem("unreadable", f"cannot be read: {exc.strerror or exc}", file=path.name, source=source,
                   hint="check the file is there, is not open elsewhere and that you may read it (its permissions)")


def _unexpected(doing: str, file: str, source: str, exc: Exception) -> Problem:
    """A located problem for a failure no check foresaw; the traceback goes to the debug log (``--debug``)."""
    log.debug("%s %s failed", doing, file, exc_info=exc)
    return Problem("unexpected", f"{doing} the file failed: {type(exc).__name__}: {exc}", file=file, source=source,
                   hint="the file was skipped; check it is the export the configuration describes. If it is, "
                   "run again with 'datapack --debug ...' and report the output as a bug")


def _conform(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Every canonical column present, so a column no source maps is empty rather than absent.

    The analysis can then treat absent data as a state (an empty column), and
    a file whose headings could not be mapped adds no rows instead of a frame
    without ``facility_id``.
    """
    missing = [c for c in schemas.column_names(table) if c not in frame.columns]
    if not missing:
        return frame
    dtypes = schemas.empty(table).dtypes
    return pd.concat([frame, pd.DataFrame({c: pd.Series(index=frame.index, dtype=dtypes[c]) for c in missing})],
                     axis=1)


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
    index = FacilityIndex.from_register(register.drop_duplicates("facility_id"), config.facilities.strip_prefixes)
    rows = register.drop_duplicates("facility_id").set_index("facility_id")
    for spelling, ids in index.shared_spellings().items():
        ids = sorted(ids, key=lambda i: (pd.isna(rows.at[i, "_row"]), rows.at[i, "_row"]))
        last = rows.loc[ids[-1]]
        named = ", ".join(f"{rows.at[i, 'name']} ({i})" for i in ids)
        report.add(Problem(
            "facility-name-shared", f"{len(ids)} register entries can be written {spelling!r}: {named}; "
            "a file that writes it matches none of them",
            file=last["_file"], sheet=last["_sheet"], row=None if pd.isna(last["_row"]) else int(last["_row"]),
            column="aliases", source=last["_source"],
            hint="give each facility names and aliases that only it has"))
    return index


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
