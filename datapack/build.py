"""Build packs: ingest everything, analyse every facility, render, write.

All facilities are read and analysed before any is rendered, since a pack
compares a facility with the rest of the estate. One facility failing to
render is reported and the others are still written.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import multiprocessing
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from datapack import __version__
from datapack.build_time import build_time, source_date_epoch
from datapack.config import Config
from datapack.disclosure import Control
from datapack.ingest import Estate, load_estate
from datapack.problems import Problem, failure
from datapack.progress import Reporter
from datapack.timings import Timings, clock
from datapack.writer import Writer


@dataclass
class BuildResult:
    """What a build wrote and what went wrong."""

    output: Path
    written: dict[str, Path] = field(default_factory=dict)   # facility_id -> folder
    failed: dict[str, str] = field(default_factory=dict)     # facility_id -> reason
    estate: Estate | None = None
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)    # what failed in the analysis or a pack, located
    skipped: list[str] = field(default_factory=list)         # facility ids whose pack was unchanged, so kept
    timings: Timings = field(default_factory=Timings)        # seconds by stage (see datapack.timings)
    analysis: object = None                                  # the estate's analysis, for estate views after it


def manifest(estate: Estate, built_at: dt.datetime, facility_id: str | None = None) -> dict:
    """Inputs (with SHA-256), configuration hash, tool version and build time."""
    files = estate.files
    if facility_id is not None:
        used = _files_for_facility(estate, facility_id)
        files = [f for f in files if Path(f.path).name in used or f.table == "facilities"]
    return {
        "tool": "datapack", "version": __version__, "built_at": built_at.isoformat(timespec="seconds"),
        "configuration_sha256": estate.config.digest,
        "facility_id": facility_id,
        "inputs": [{"source": f.source, "table": f.table, "file": Path(f.path).name, "sha256": f.sha256,
                    "format": f.adapter, "rows": f.rows} for f in files],
    }


def _files_for_facility(estate: Estate, facility_id: str) -> set[str]:
    used: set[str] = set()
    for frame in estate.tables.values():
        if "facility_id" in frame.columns and "_file" in frame.columns:
            used |= set(frame.loc[frame["facility_id"] == facility_id, "_file"].dropna().astype(str))
    return used


#: The files that describe the packs beside them: taken away when a build starts changing packs, written last.
SUMMARIES = ("index.html", "manifest.json", "comparison.html", "comparison.docx", "comparison.xlsx",
             "comparison.json", "schedule.html", "schedule.xlsx", "public")
#: Who a build writes for: the team's packs and the public outputs (the default), or only one of them.
AUDIENCES = ("both", "team", "public")


def build(config: Config, facilities: list[str] | None = None, output: Path | None = None,
          reporter: Reporter | None = None, formats: tuple[str, ...] = ("html", "docx", "xlsx"),
          built_at: dt.datetime | None = None, jobs: int | None = None, rebuild: bool = False,
          audience: str = "both", executor: concurrent.futures.Executor | None = None,
          start_method: str | None = None) -> BuildResult:
    """Build a pack for every facility in the register (or the ones named).

    ``audience``: ``both`` (the default) writes the team's packs and, building every facility, the
    public outputs in ``public/`` (:mod:`datapack.estate_views.public`); ``team`` only the packs;
    ``public`` only the public outputs and the index, keeping the team's packs already in the folder.
    Building some facilities only, no public outputs are written (the estate summary needs every
    facility) and the folder's earlier ones are taken away, so none is left out of date.

    A pack already in the output folder whose context, formats, templates and renderer are
    unchanged is kept as it is (and counted as skipped), unless ``rebuild`` asks for every pack
    to be rendered again.

    Every context is worked out here from the finished analysis; the packs are rendered from
    their contexts by ``jobs`` worker processes at once (default: every processor), started by
    ``start_method`` (``spawn``, ``forkserver`` or ``fork``; default :func:`default_start_method`),
    or by ``executor`` when one is given (any :class:`concurrent.futures.Executor`, such as a Dask
    client's, :func:`dask_executor`). The writing stays in this process, so only it touches ``output/``.
    The output folder is checked, claimed and locked for the whole build
    (:func:`datapack.output_dir.open_output`: a second build on it is refused);
    what a killed build left there is cleared first. The index and manifest
    (and, building every facility, the comparison) are taken away before the
    first pack changes and written last, so they always list the packs beside them.
    """
    from datapack.output_dir import open_output

    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}, not {audience!r}")
    target = output if output is not None else config.resolve(config.output)
    retire = (SUMMARIES if facilities is None else SUMMARIES[:2] + ("public",)) if audience != "public" \
        else ("index.html", "manifest.json", "public")
    with open_output(target, config.base_dir, retire=retire) as writer:
        return _build(config, facilities, writer, reporter, formats, built_at, jobs, rebuild, audience,
                      executor, start_method)


def _build(config: Config, facilities: list[str] | None, writer: Writer, reporter: Reporter | None,
           formats: tuple[str, ...], built_at: dt.datetime | None, jobs: int | None,
           rebuild: bool = False, audience: str = "both", executor: concurrent.futures.Executor | None = None,
           start_method: str | None = None) -> BuildResult:
    from datapack.analysis import estate_context, facility_context, facility_slugs
    from datapack.render import render_index_html, template_dirs
    from datapack.render.pdf import INSTALL_HINT, libreoffice_available

    notes = []
    if "pdf" in formats and libreoffice_available() is None:
        notes.append(f"No PDF packs were made: LibreOffice was not found. {INSTALL_HINT}")
        formats = tuple(f for f in formats if f != "pdf")

    reporter = reporter or Reporter(quiet=True)
    timings = Timings()
    total = sum(len(config.files_for(s)) for s in config.sources)
    with reporter.task("Reading sources", total) as step, timings.stage("read"):
        estate = load_estate(config, progress=step, as_of=built_at or source_date_epoch())
    built_at = built_at or build_time(estate)  # SOURCE_DATE_EPOCH, else the inputs' newest date: see build_time
    for problem in estate.report.problems:
        reporter.info(str(problem))
    result = BuildResult(writer.root, estate=estate, timings=timings)
    slugs = facility_slugs(estate)
    wanted = _select(slugs, facilities, estate)
    public_only = audience == "public"
    if public_only:
        wanted = []  # the team's packs in the folder are kept as they are
    control = Control(config.disclosure)

    with reporter.task("Analysing the estate", 1) as step, timings.stage("analyse"):
        # only the public outputs: the analysis for a public audience is the only one needed
        analysis = _analyse(estate, control.for_audience("public") if public_only else control, built_at, result)
        step("done")
    result.analysis = analysis
    dirs = template_dirs(config.resolve(config.templates) if config.templates else None)
    findings: dict[str, list] = {}
    from datapack.cache import KeptCharts, renderer_sha256

    previous = {} if rebuild else _unchanged_candidates(writer, slugs, tuple(formats))
    kept_charts = KeptCharts(config.resolve(config.cache) / "charts") if config.cache and wanted else None
    job = _Job(estate, analysis, control, built_at, dirs, tuple(formats), facility_context,
               renderer_sha256(dirs), previous, None if rebuild else kept_charts)
    public_wanted = facilities is None and analysis is not None and audience != "team"
    public = _PublicWork(public_jobs(estate, control, analysis, built_at, dirs, available_cores()
                                     if jobs is None else jobs) if public_wanted else [])

    views_wanted = facilities is None and analysis is not None and not public_only
    views: dict[str, bytes] = {}  # the comparison's and the schedule's files, made before they are written
    counted: dict[str, dict[str, int]] = {}  # facility id -> its areas for enquiry by severity, from its context

    def make_views() -> None:
        """The comparison and the schedule (they need every facility's context: all are worked out by now)."""
        from datapack.estate_views.outputs import comparison_files, schedule_files
        from datapack.estate_views.schedule import schedule

        if views or not views_wanted:
            return
        with timings.stage("comparison"):
            priorities = schedule(analysis)  # once, for the comparison's priority column and the schedule
            views.update(comparison_files(analysis, built_at, dirs, tuple(formats) + ("json",), priorities,
                                          enquiry=counted))
        with timings.stage("schedule"):
            views.update(schedule_files(analysis, built_at, dirs, priorities))

    def meanwhile() -> None:
        """Called once every context is worked out, while the workers render."""
        make_public()
        make_views()

    def make_public() -> None:
        """The public outputs' parts worked out here (not shared out to the pool with the packs)."""
        if public_wanted and not public.parts:
            with timings.stage("public"):
                shared = analysis if analysis.control.settings.audience == "public" else \
                    _analysis_or_problem(estate, public.jobs[0].control, built_at)
                public.parts = [shared] if isinstance(shared, Problem) else \
                    [public_part(part, shared) for part in public.jobs]

    charts_kept = 0
    with reporter.task("Building packs", len(wanted)) as step, timings.stage("packs"):
        # the public outputs go to the workers with the packs; the comparison is made here while they render
        for fid, outcome in _render_all(job, wanted, jobs, executor, start_method, meanwhile=meanwhile,
                                        side=public, counted=counted):
            if isinstance(outcome, Problem):  # one facility's failure must not stop the others
                result.failed[fid] = outcome.message
                result.problems.append(outcome)
                reporter.info(str(outcome))
            else:
                timings.add_pack(outcome.times)
                keep_drawn(kept_charts, outcome)
                charts_kept += len(outcome.kept)
                findings[fid] = outcome.findings
                try:
                    with timings.stage("write"):
                        result.written[fid] = _write_pack(writer, slugs[fid], outcome)
                except OSError as exc:
                    result.failed[fid] = f"{type(exc).__name__}: {exc}"
                if outcome.files is None:
                    result.skipped.append(fid)
            step(fid)
    if kept_charts is not None:
        timings.counts.update(charts_kept=charts_kept)
        if charts_kept:
            reporter.info(f"{charts_kept} chart(s) drawn by an earlier build used again (the same figures "
                          "and drawing code)")
        kept_charts.prune()
    order = {fid: i for i, fid in enumerate(wanted)}  # packs come back as they are done; read them in order
    findings = dict(sorted(findings.items(), key=lambda kv: order[kv[0]]))
    result.written = dict(sorted(result.written.items(), key=lambda kv: order[kv[0]]))
    result.skipped.sort(key=order.__getitem__)
    timings.counts.update(packs=len(wanted), rendered=len(wanted) - len(result.skipped) - len(result.failed),
                          skipped=len(result.skipped), failed=len(result.failed))
    if result.skipped:
        reporter.info(f"{len(result.skipped)} pack(s) unchanged, skipped (their context, templates and renderer "
                      "are as when they were written)")
    if config.history and facilities is not None and not public_only:
        notes.append("The build history was not recorded and the digest was not written again: they cover every "
                     "facility, so build without --facility.")
    if config.history and analysis is not None and facilities is None and not public_only:
        from datapack.history import HistoryError, digest, record_build, render_digest_html, render_digest_json

        try:
            with timings.stage("history and digest"):
                db = config.resolve(config.history)
                build_id = record_build(db, analysis, built_at, manifest(estate, built_at)["inputs"],
                                        findings=findings)  # the packs' own (a failed pack's are worked out there)
                found = digest(db, build_id)
                writer.write_file("digest.html", render_digest_html(found, dirs).encode())
                writer.write_file("digest.json", render_digest_json(found).encode())
        except HistoryError as exc:
            notes.append(str(exc))
    if views_wanted:  # the estate views need every facility
        with reporter.task("Comparing facilities", 2) as step:
            make_views()  # when not made while packs were rendered
            for view in ("comparison", "schedule"):
                with timings.stage("write"):
                    for name, data in views.items():
                        if name.startswith(f"{view}."):
                            writer.write_file(name, data)
                step(view)
    if facilities is not None and audience == "public":
        notes.append("No public outputs were written: the estate summary needs every facility, so build "
                     "without --facility.")
    if public_wanted:
        from datapack.estate_views.public import FOLDER

        with reporter.task("Writing the public outputs", 1) as step:
            make_public()  # when they were not worked out while packs were rendered
            files = public.files(estate.config.project.body, built_at, dirs, timings)
            if isinstance(files, Problem):
                result.problems.append(files)
                reporter.info(str(files))
            else:
                with timings.stage("write"):
                    writer.write_folder(FOLDER, files)
            step("public")
    with timings.stage("index and manifest"):
        kept = _settle_packs(writer, slugs, result, every=facilities is None and not public_only)
        index = estate_context(estate, control, built_at, list(result.written) + kept)
        index |= output_links(writer, index["facilities"])
        writer.write_file("index.html", render_index_html(index, dirs).encode())
        summary = manifest(estate, built_at) | {"packs": _packs(writer)}
        writer.write_file("manifest.json", json.dumps(summary, indent=2).encode())
    from datapack.leakgate import gate  # last: reads back every file written, fails the build on an identifier

    with reporter.task("Checking outputs for identifiers", 1) as step, timings.stage("leak gate"):
        result.failed.update(gate(writer, estate.identifiers, allowed=_configured_emails(config)))
        step("leak gate")
    result.notes = notes
    return result


#: The files of a facility's pack beside pack.json and manifest.json, by format.
PACK_FILES = {"html": "datapack.html", "docx": "datapack.docx", "pdf": "datapack.pdf", "xlsx": "data.xlsx"}
#: How the index names each kind of file it links.
FILE_LABELS = {"html": "HTML", "docx": "Word", "pdf": "PDF", "xlsx": "Excel", "json": "JSON"}
#: The estate's own outputs the index links, in order: title, what it is for, stem.
ESTATE_VIEWS = (("Comparison across facilities", "every facility on one page, with signals, outliers, follow-up "
                 "and a visit priority", "comparison"),
                ("Visit schedule", "a suggested order and timing of visits, with the reasons for each", "schedule"),
                ("What is new since the last build", "new signals, outliers, deaths and overdue recommendations, "
                 "and where else to look", "digest"))


def output_links(writer: Writer, facilities: list[dict]) -> dict[str, Any]:
    """Links to every output in the folder, for the index: each pack's files (set on ``facilities``) and the views.

    Only files that are there are linked (the index is written after them), so no link is broken.
    """
    def present(*parts: str) -> bool:
        return writer.path(*parts).is_file()

    for row in facilities:
        names = [*PACK_FILES.items(), ("json", "pack.json")]
        row["files"] = [{"label": FILE_LABELS[fmt], "href": f"{row['slug']}/{name}"}
                        for fmt, name in names if present(row["slug"], name)]
    views = []
    if present("public", "index.html"):
        views.append({"title": "Public summaries", "about": "for publication: a short summary of each facility and "
                      "of the estate, with small numbers hidden, and an easy-read summary for the people held",
                      "files": [{"label": "HTML", "href": "public/index.html"},
                                {"label": "estate summary", "href": "public/estate-summary.html"}]})
    for title, about, stem in ESTATE_VIEWS:
        files = [{"label": FILE_LABELS[fmt], "href": f"{stem}.{fmt}"} for fmt in FILE_LABELS
                 if present(f"{stem}.{fmt}")]
        if files:
            views.append({"title": title, "about": about, "files": files})
    return {"views": views}


def _unchanged_candidates(writer: Writer, slugs: dict[str, str], formats: tuple[str, ...]) -> dict[str, str]:
    """Facility id -> the key its pack in the output folder was rendered with, for the packs that may be kept.

    Only a pack of this facility's folder that holds exactly the files of these formats (no
    leak-gate mark, nothing missing) and records its key (``render_sha256`` in its manifest).
    """
    wanted = {"pack.json", "manifest.json"} | {PACK_FILES[f] for f in formats if f in PACK_FILES}
    folders = {slug: fid for fid, slug in slugs.items()}
    keys = {}
    for name, about in _pack_manifests(writer).items():
        fid, key = folders.get(name), about.get("render_sha256")
        if fid is None or fid != about.get("facility_id") or not isinstance(key, str):
            continue
        try:
            present = {p.name for p in (writer.root / name).iterdir()}
        except OSError:
            continue
        if present == wanted:
            keys[fid] = key
    return keys


def _write_pack(writer: Writer, name: str, outcome: "_Pack") -> Path:
    """Write a rendered pack; for one kept as it was, only its manifest when that changed (the inputs it lists)."""
    if outcome.files is not None:
        return writer.write_folder(name, outcome.files)
    folder = writer.path(name)
    if (folder / "manifest.json").read_bytes() == outcome.manifest:
        return folder
    files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "manifest.json"}
    return writer.write_folder(name, files | {"manifest.json": outcome.manifest})


def _settle_packs(writer: Writer, slugs: dict[str, str], result: BuildResult, every: bool) -> list[str]:
    """Remove the packs datapack wrote earlier that this build leaves out of date; the ids of those kept.

    Building every facility, the folder keeps only this build's packs (a
    facility gone from the register, or failing this time, has none). Building
    some, the others' packs stay while their facility is in the register.
    """
    built = {path.name for path in result.written.values()}
    folders = {slug: fid for fid, slug in slugs.items()}
    kept = []
    for name, about in _pack_manifests(writer).items():
        if name in built:
            continue
        if every or folders.get(name) != about.get("facility_id"):
            writer.remove(name)
        else:
            kept.append(about["facility_id"])
    return kept


def _packs(writer: Writer) -> list[dict]:
    """The packs in the output folder, each with its facility and when it was built (for the manifest)."""
    return [{"folder": name, "facility_id": about.get("facility_id"), "built_at": about.get("built_at")}
            for name, about in _pack_manifests(writer).items()]


def _pack_manifests(writer: Writer) -> dict[str, dict]:
    """Folder name -> manifest of every facility pack datapack wrote in the output folder."""
    packs = {}
    for name in writer.entries():
        try:
            about = json.loads((writer.root / name / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(about, dict) and about.get("tool") == "datapack" and about.get("facility_id"):
            packs[name] = about
    return packs


def _configured_emails(config: Config) -> list[str]:
    """E-mail addresses written in the project settings (a body's contact): not a leak when a pack shows them."""
    import re

    return re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", json.dumps(config.project.model_dump(), default=str))


@dataclass(frozen=True)
class _Job:
    """What every facility's pack needs: the estate and its analysis (for the context, here), and the rendering."""

    estate: Estate
    analysis: object
    control: Control
    built_at: dt.datetime
    dirs: list
    formats: tuple[str, ...]
    context_fn: object
    renderer: str = ""                                       # datapack.cache.renderer_sha256 of the templates
    previous: dict[str, str] = field(default_factory=dict)   # facility id -> key of its pack in the folder
    charts: object = None                                    # datapack.cache.KeptCharts to read, or None


@dataclass
class _Pack:
    """One facility's pack as it comes back to the writer."""

    files: dict[str, bytes] | None    # name -> bytes; None when the pack in the folder is unchanged (kept)
    manifest: bytes
    counts: dict[str, int]            # areas for enquiry by severity (for the comparison)
    findings: list                    # the areas for enquiry (for the history)
    times: dict[str, tuple[float, float]]
    chart_keys: dict[str, str] = field(default_factory=dict)  # chart id -> datapack.charts.chart_key
    kept: dict[str, tuple] = field(default_factory=dict)      # chart id -> the chart drawn before, as kept
    drawn: dict[str, tuple] = field(default_factory=dict)     # chart id -> the chart as the render job drew it


def _context(job: _Job, fid: str, templates) -> tuple[_Pack, object] | Problem:
    """One facility's finished context as its pack (files still to render) and its render job, or the problem.

    The job is None when the folder already holds this facility's pack rendered from the same
    context, templates and renderer (the key in its manifest): it is kept, nothing is drawn.
    """
    from datapack.analysis.enquiry import Finding
    from datapack.cache import pack_sha256
    from datapack.render import render_json
    from datapack.render_job import FAILED_HINT, RenderJob

    stage = "its analysis"
    times: dict[str, tuple[float, float]] = {}
    try:
        with clock(times, "context"):
            context = job.context_fn(job.estate, fid, job.control, job.built_at, analysis=job.analysis)
            stage = "its pack.json"
            pack_json = render_json(context).encode()
        key = pack_sha256(pack_json, job.formats, job.renderer)
        about = manifest(job.estate, job.built_at, fid) | {"render_sha256": key}
        found = [Finding(f["entry"], f["title"], f["severity"], f["subject"], f["sentence"], {})
                 for f in context["enquiry"]["findings"]]
        pack = _Pack(None, json.dumps(about, indent=2).encode(), context["enquiry"]["counts"], found, times)
        if job.previous.get(fid) == key:
            return pack, None
        pack.files = {"pack.json": pack_json, "manifest.json": pack.manifest}
        stage = "its charts kept from before"
        pack.chart_keys, pack.kept = _kept_charts(job, context)
        return pack, RenderJob(fid, _name(job.estate, fid), context, pack_json, job.formats, templates, pack.kept)
    except Exception as exc:  # reported per facility by the caller; the other packs go on
        return failure("pack-failed", f"the pack for {_name(job.estate, fid)} was not built: {stage} failed", exc,
                       FAILED_HINT, f"facility {fid}")


def _kept_charts(job: _Job, context: dict) -> tuple[dict[str, str], dict[str, tuple]]:
    """Each chart's key, and the charts drawn before under the same key in every format this build writes."""
    from datapack.charts import chart_key

    if job.charts is None:
        return {}, {}
    keys = {cid: chart_key(context, cid) for cid in context.get("charts", [])}
    needed = (["svg"] if "html" in job.formats else []) + (["png"] if {"docx", "pdf"} & set(job.formats) else [])
    kept = {}
    for cid, key in keys.items():
        found = job.charts.get(key)
        if isinstance(found, tuple) and len(found) == 4 and all(
                found[2 if f == "png" else 3] is not None for f in needed):
            kept[cid] = found
    return keys, kept


def keep_drawn(store, pack: _Pack) -> None:
    """Keep the charts a render job drew afresh (or in a format not kept before), by their keys."""
    if store is None:
        return
    for cid, drawn in pack.drawn.items():
        key = pack.chart_keys.get(cid)
        if key is not None and pack.kept.get(cid) != drawn:
            store.put(key, drawn)


def _name(estate: Estate, fid: str) -> str:
    names = estate.facilities.set_index("facility_id")["name"]
    name = names.get(fid)
    return f"{name} ({fid})" if isinstance(name, str) and name != fid else fid


def _analyse(estate: Estate, control: Control, built_at: dt.datetime, result: BuildResult):
    """The estate's analysis, or None (packs are then built without it) when it fails unexpectedly."""
    analysis = _analysis_or_problem(estate, control, built_at)
    if isinstance(analysis, Problem):
        result.problems.append(analysis)
        return None
    return analysis


def _analysis_or_problem(estate: Estate, control: Control, built_at: dt.datetime):
    """The estate's analysis for ``control``'s audience, or the problem of its unexpected failure, located."""
    from datapack.analysis.estate import analyse

    try:
        return analyse(estate, control, as_of=built_at)
    except Exception as exc:
        return failure(
            "analysis-failed", "the analysis of the estate could not be completed", exc,
            "packs were built without indicators, control charts, comparisons or areas for enquiry; run "
            "'datapack validate', and report the failure with its location if no problem there explains it",
            "analysis")


@dataclass(frozen=True)
class PublicJob:
    """Some facilities' public outputs: what a process needs to work them out for itself.

    The estate is sent without its identifiers (``Estate.identifiers`` stays in the build's
    process, for the leak gate); the analysis for a public audience is worked out where the job
    runs, once per process (:func:`public_part`).
    """

    estate: Estate
    control: Control                 # for the public audience
    built_at: dt.datetime
    dirs: list
    facilities: tuple[str, ...]
    build: str = ""                  # this build's token: a process keeps one public analysis per build


def public_jobs(estate: Estate, control: Control, analysis, built_at: dt.datetime, dirs: list,
                parts: int) -> list[PublicJob]:
    """The public outputs as ``parts`` jobs of neighbouring facilities in the register's order (at least one)."""
    import copy
    import uuid

    from datapack.redaction.known import KnownIdentifiers

    ids = tuple(str(f) for f in estate.facilities["facility_id"])
    parts = max(1, min(parts, len(ids)))
    sent = copy.copy(estate)
    sent.identifiers = KnownIdentifiers()
    public = analysis.control if analysis is not None and analysis.control.settings.audience == "public" \
        else control.for_audience("public")
    token = uuid.uuid4().hex
    bounds = [len(ids) * i // parts for i in range(parts + 1)]
    return [PublicJob(sent, public, built_at, dirs, ids[a:b], token) for a, b in zip(bounds, bounds[1:])]


#: The public analysis of the build a process last worked for: (token, analysis), kept for its next part.
_PUBLIC_ANALYSIS: list[tuple[str, object]] = []


def public_part(job: PublicJob, analysis=None) -> tuple[dict[str, bytes], list[dict], dict] | Problem:
    """One job's public files and summary contexts, with its wall and CPU seconds; or the problem.

    ``analysis``, when given (in the build's own process), is the analysis for the public audience.
    Otherwise (in a worker) it is worked out here, and kept for the next part of the same build.
    """
    from datapack.estate_views.public import facility_files

    times: dict[str, tuple[float, float]] = {}
    with clock(times, "public"):
        if analysis is None:
            held = dict(_PUBLIC_ANALYSIS)
            analysis = held.get(job.build) or _analysis_or_problem(job.estate, job.control, job.built_at)
            if isinstance(analysis, Problem):
                return analysis
            _PUBLIC_ANALYSIS[:] = [(job.build, analysis)]
        facilities = None if len(job.facilities) == len(job.estate.facilities) else job.facilities
        try:
            files, summaries = facility_files(analysis, job.built_at, job.dirs, facilities)
        except Exception as exc:
            return failure("public-failed", "the public outputs were not written: a facility's public summary "
                           "failed", exc, FAILED_PUBLIC, "public")
    return files, summaries, times


FAILED_PUBLIC = ("the team's packs were still written; run 'datapack validate', and report the failure with its "
                 "location if no problem there explains it")


@dataclass
class _PublicWork:
    """The public outputs as parts: sent to the pool beside the packs, or worked out in the build's process."""

    jobs: list[PublicJob]
    parts: list = field(default_factory=list)   # each job's public_part result, or its future, in order

    def files(self, body: str, built_at: dt.datetime, dirs: list, timings: Timings) -> dict[str, bytes] | Problem:
        """Every public file, the parts joined in order with the estate's; or the first part's problem."""
        from datapack.estate_views.public import estate_files

        files: dict[str, bytes] = {}
        summaries: list[dict] = []
        for part in self.parts:
            if isinstance(part, concurrent.futures.Future):
                try:
                    part = part.result()
                except Exception as exc:  # the worker died or could not be reached
                    return failure("public-failed", "the public outputs were not written: a worker failed", exc,
                                   FAILED_PUBLIC, "public")
                for name, (wall, cpu) in part[2].items() if not isinstance(part, Problem) else ():
                    timings.add(name, wall, cpu)  # a worker's seconds (those here are timed as they run)
            if isinstance(part, Problem):
                return part
            files |= part[0]
            summaries += part[1]
        with timings.stage("public"):
            return files | estate_files(summaries, built_at, body, dirs)


def _render_all(job: _Job, wanted: list[str], jobs: int | None, executor=None, start_method: str | None = None,
                meanwhile=None, side: "_PublicWork | None" = None, counted: dict | None = None):
    """Each wanted facility's pack (or its problem), as each is done: contexts here, rendering in workers.

    Every context is worked out in this process, from the finished analysis; each render job
    (:class:`datapack.render_job.RenderJob`: the context, formats and template files) goes to
    ``executor`` when one is given (any :class:`concurrent.futures.Executor`, a Dask client's
    included), else to a pool of ``jobs`` processes (default: every processor this process may
    use) started by ``start_method`` (default :func:`default_start_method`). With one job, or one
    pack to render, everything runs here. The writing stays with the caller. ``meanwhile``, when
    given, is called here once every job has gone to the workers, while they render.

    ``side``'s public jobs go to this build's own pool with the packs, each after an even share of
    the contexts, so the workers work them out while this process works out contexts; their futures
    are set as ``side.parts``. They never go to an ``executor`` given (a Dask cluster's machines):
    the estate they carry holds the inputs' rows. ``counted``, when given, gets each facility's
    areas for enquiry by severity as its context is worked out (before its pack is rendered).
    """
    from datapack.render_job import FAILED_HINT, Templates, render_pack

    templates = Templates.read(job.dirs) if wanted else None
    jobs = jobs or available_cores()
    if executor is None and (jobs <= 1 or len(wanted) <= 1):
        for fid in wanted:
            made = _counted(_context(job, fid, templates), fid, counted)
            if isinstance(made, Problem):
                yield fid, made
                continue
            pack, render = made
            yield fid, pack if render is None else _joined(pack, render_pack(render, job.dirs))
        return
    own = executor is None
    if own:
        executor = _LazyPool(min(jobs, len(wanted)), start_method)
    sent = side.jobs if own and side is not None else []
    try:
        waiting: dict[concurrent.futures.Future, _Pack] = {}
        for i, fid in enumerate(wanted):
            while sent and len(side.parts) * len(wanted) <= i * len(sent):  # part k after k/n of the contexts
                _send(executor, side, sent)
            made = _counted(_context(job, fid, templates), fid, counted)
            if isinstance(made, Problem):
                yield fid, made
            elif made[1] is None:
                yield fid, made[0]
            else:
                try:
                    waiting[executor.submit(render_pack, made[1])] = made[0]
                except Exception as exc:  # a pool broken by a worker's death takes no more jobs
                    yield fid, failure("pack-failed", f"the pack for {made[1].name} was not built: its render "
                                       "job could not be started", exc, FAILED_HINT, f"facility {fid}")
            done = [f for f in waiting if f.done()]  # write what is ready while the next context is worked out
            for future in done:
                yield _outcome(future, waiting.pop(future))
        while sent and len(side.parts) < len(sent):
            _send(executor, side, sent)
        if meanwhile is not None:
            meanwhile()
        for future in concurrent.futures.as_completed(list(waiting)):
            yield _outcome(future, waiting.pop(future))
    finally:
        if own:
            executor.shutdown(wait=True, cancel_futures=True)


def _counted(made, fid: str, counted: dict | None):
    """A context as :func:`_context` made it, its areas for enquiry by severity noted in ``counted``."""
    if counted is not None and not isinstance(made, Problem):
        counted[fid] = made[0].counts
    return made


def _send(executor: concurrent.futures.Executor, side: "_PublicWork", jobs: list["PublicJob"]) -> None:
    """Send the next public job to the pool (its future, or the problem when the pool takes no more)."""
    try:
        side.parts.append(executor.submit(public_part, jobs[len(side.parts)]))
    except Exception as exc:  # a pool broken by a worker's death takes no more jobs
        side.parts.append(failure("public-failed", "the public outputs were not written: their job could not "
                                  "be started", exc, FAILED_PUBLIC, "public"))


def _outcome(future: concurrent.futures.Future, pack: _Pack) -> tuple[str, object]:
    """A finished render job joined to its pack, or the failure of the worker itself, located."""
    about = json.loads(pack.manifest)
    fid = about["facility_id"]
    try:
        rendered = future.result()
    except Exception as exc:  # the worker died or could not be reached: this pack only
        from datapack.render_job import FAILED_HINT

        return fid, failure("pack-failed", f"the pack for facility {fid} was not built: its render job failed",
                            exc, FAILED_HINT, f"facility {fid}")
    return fid, _joined(pack, rendered)


def _joined(pack: _Pack, rendered) -> object:
    """The pack with its rendered files and stage times, or the rendering's problem."""
    if rendered.problem is not None:
        return rendered.problem
    pack.files = (pack.files or {}) | rendered.files
    pack.times = pack.times | rendered.times
    pack.drawn = rendered.drawn
    return pack


def available_cores() -> int:
    """The processors this process may run on (its CPU affinity where the system says, else all)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


#: Modules a forkserver loads once, so each worker it forks starts with them (rendering needs them all).
PRELOAD = ["datapack.render_job", "datapack.charts", "datapack.render.docx", "datapack.render.html",
           "datapack.render.xlsx"]


def default_start_method() -> str:
    """How worker processes start: ``DATAPACK_START_METHOD``, else forkserver where the system has it, else spawn.

    Workers never rely on what they would inherit by ``fork``: every render job carries what it
    needs. A forkserver loads the rendering modules once and forks each worker from itself.
    """
    methods = multiprocessing.get_all_start_methods()
    chosen = os.environ.get("DATAPACK_START_METHOD", "")
    if chosen:
        if chosen not in methods:
            raise ValueError(f"DATAPACK_START_METHOD={chosen!r} is not a start method here; use one of "
                             f"{', '.join(methods)}")
        return chosen
    main = sys.modules.get("__main__")
    script = getattr(main, "__file__", None)
    if script is not None and getattr(main, "__spec__", None) is None and not os.path.isfile(script) \
            and "fork" in methods:
        return "fork"  # a program read from standard input ('python -'): a new worker could not load it again
    return "forkserver" if "forkserver" in methods else "spawn"


class _LazyPool:
    """A process pool started when the first job is sent to it: a build whose packs are all unchanged starts none."""

    def __init__(self, workers: int, start_method: str | None) -> None:
        self.workers, self.start_method = workers, start_method
        self.pool: concurrent.futures.ProcessPoolExecutor | None = None

    def submit(self, fn, /, *args) -> concurrent.futures.Future:
        if self.pool is None:
            self.pool = process_pool(self.workers, self.start_method)
        return self.pool.submit(fn, *args)

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def process_pool(workers: int, start_method: str | None = None) -> concurrent.futures.ProcessPoolExecutor:
    """A pool of ``workers`` processes for render jobs, started by ``start_method``."""
    method = start_method or default_start_method()
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(PRELOAD)
    return concurrent.futures.ProcessPoolExecutor(workers, mp_context=context)


class SchedulerError(RuntimeError):
    """A Dask cluster that cannot be used: the extra is not installed, or the scheduler cannot be reached."""


@contextmanager
def dask_executor(address: str, workers: int | None = None) -> Iterator[concurrent.futures.Executor]:
    """Render jobs on a Dask cluster (the ``dask`` extra): the scheduler at ``address``, or ``local`` for one here.

    Every worker needs datapack installed (the same version); the jobs carry their templates, so
    the workers need no copy of the project. ``local`` starts a cluster of ``workers`` processes
    (default: every processor) of one thread each, and stops it after the build.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise SchedulerError("rendering on a Dask cluster needs the dask extra: pip install 'datapack[dask]'") \
            from None
    cluster = None
    try:
        if address == "local":
            cluster = LocalCluster(n_workers=workers or available_cores(), threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            address = cluster.scheduler_address
        client = Client(address, timeout="10s")
    except (OSError, ValueError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise SchedulerError(f"no Dask scheduler could be reached ({type(exc).__name__}: {exc}); check the "
                             "address (tcp://host:8786) and that the scheduler is running") from None
    try:
        yield client.get_executor(pure=False)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _select(slugs: dict[str, str], facilities: list[str] | None, estate: Estate) -> list[str]:
    if not facilities:
        return list(slugs)
    from datapack.tables.facilities import FacilityIndex

    index = FacilityIndex.from_register(estate.facilities, estate.config.facilities.strip_prefixes)
    chosen = []
    for name in facilities:
        fid = index.resolve(name) or next((f for f, s in slugs.items() if s == name), None)
        if fid is None:
            from datapack.problems import InputError, Problem
            raise InputError([Problem("facility-unknown", f"--facility {name!r} is not in the register",
                                      hint=f"nearest: {', '.join(index.nearest(name)) or 'none'}; "
                                           f"ids are: {', '.join(list(slugs)[:20])}")])
        chosen.append(fid)
    return chosen
