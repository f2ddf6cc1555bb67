"""One facility's pack rendered from its finished context: a job any executor can run, here or elsewhere.

A :class:`RenderJob` carries all the rendering needs: the pack's context (already worked out by
the analysis, with its ``pack.json``), the formats wanted and the template files themselves
(:class:`Templates`: their bytes, not their paths). :func:`render_pack` turns it into the pack's
files and the time each stage took. It reads nothing from the estate and writes nothing to the
output folder, so a job pickles and runs the same under ``fork`` or ``spawn``, in a process pool,
through any :class:`concurrent.futures.Executor` or on a Dask worker on another machine; the
build's writer alone writes what comes back.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datapack.problems import Problem, failure
from datapack.timings import clock

#: What a worker is told when a pack's rendering fails: the build goes on with the other packs.
FAILED_HINT = ("the other packs were built; run 'datapack validate' for problems in this facility's rows, and "
               "report the failure with its location if none explains it")

# matplotlib's settings are process-wide: threads of one worker (a Dask worker may run several)
# render one pack at a time, so no chart is drawn under another's settings.
_ONE_AT_A_TIME = threading.Lock()
_MATERIALISED: dict[str, list[Path]] = {}


@dataclass(frozen=True)
class Templates:
    """The template folders' files, in lookup order, as bytes: a job carries them to any worker."""

    folders: tuple[tuple[tuple[str, bytes], ...], ...]   # per folder: (path inside it, bytes), sorted
    digest: str                                          # SHA-256 of every folder's paths and bytes

    @classmethod
    def read(cls, dirs: list[Path] | tuple[Path, ...]) -> Templates:
        folders, digest = [], hashlib.sha256()
        for i, folder in enumerate(Path(d) for d in dirs):
            files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
            entries = tuple((p.relative_to(folder).as_posix(), p.read_bytes()) for p in files)
            for name, data in entries:
                digest.update(f"{i} {name} {hashlib.sha256(data).hexdigest()}\n".encode())
            folders.append(entries)
        return cls(tuple(folders), digest.hexdigest())

    def dirs(self) -> list[Path]:
        """The folders on this machine: written once per process under the temporary folder, by their digest.

        Each is written to a folder of its own and renamed into place, so workers writing at
        the same time never see half a folder.
        """
        if self.digest in _MATERIALISED:
            return _MATERIALISED[self.digest]
        root = Path(tempfile.gettempdir()) / f"datapack-templates-{self.digest[:20]}"
        if not (root / "complete").is_file():
            staging = Path(tempfile.mkdtemp(prefix=f".{root.name}-", dir=root.parent))
            for i, entries in enumerate(self.folders):
                for name, data in entries:
                    path = staging / str(i) / name
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
                (staging / str(i)).mkdir(exist_ok=True)
            (staging / "complete").write_bytes(b"")
            try:
                os.rename(staging, root)
            except OSError:
                if (root / "complete").is_file():  # another worker got there first: its copy is the same bytes
                    import shutil

                    shutil.rmtree(staging, ignore_errors=True)
                else:  # a copy cut off part-way is in the way: this process keeps its own
                    root = staging
        _MATERIALISED[self.digest] = [root / str(i) for i in range(len(self.folders))]
        return _MATERIALISED[self.digest]


@dataclass(frozen=True)
class RenderJob:
    """One facility's pack to render: its context and ``pack.json``, the formats and the templates."""

    facility_id: str
    name: str                       # the facility as a message names it: "Kestrel Moor (KSM)"
    context: dict[str, Any]
    pack_json: bytes
    formats: tuple[str, ...]
    templates: Templates
    kept: dict[str, tuple] = field(default_factory=dict)   # chart id -> a chart drawn before (see charts.chart_key)


@dataclass
class Rendered:
    """A rendered pack as it comes back: its files (``pack.json`` aside) and each stage's wall and CPU seconds."""

    facility_id: str
    files: dict[str, bytes] = field(default_factory=dict)
    times: dict[str, tuple[float, float]] = field(default_factory=dict)
    problem: Problem | None = None
    drawn: dict[str, tuple] = field(default_factory=dict)  # chart id -> each chart drawn afresh that may be kept


def render_pack(job: RenderJob, dirs: list[Path] | None = None) -> Rendered:
    """The pack's files from its context: charts, then HTML, Word (and PDF) and the spreadsheet.

    ``dirs`` are the template folders when they are at hand (rendering in the build's own
    process); elsewhere the job's own copy of them is used. A failure is returned, located,
    as the pack's :class:`~datapack.problems.Problem`, never raised: the other packs go on.
    """
    with _ONE_AT_A_TIME:
        return _render(job, dirs)


def _render(job: RenderJob, dirs: list[Path] | None) -> Rendered:
    from datapack.charts import facility_charts
    from datapack.render.docx import render_docx
    from datapack.render.html import render_html
    from datapack.render.pdf import convert_to_pdf
    from datapack.render.xlsx import render_xlsx

    out = Rendered(job.facility_id)
    files, times, formats = out.files, out.times, set(job.formats)
    stage = "its charts"
    try:
        dirs = dirs if dirs is not None else job.templates.dirs()
        with clock(times, "charts"):  # drawn here in the formats the outputs use, so each stage is timed alone
            charts = facility_charts(job.context, job.kept)
            for chart in charts:
                if "html" in formats:
                    _ = chart.svg
                if {"docx", "pdf"} & formats:
                    _ = chart.png
            out.drawn = {c.id: c.drawn() for c in charts if c.keepable}
        if "html" in formats:
            stage = "the HTML pack"
            with clock(times, "html"):
                files["datapack.html"] = render_html(job.context, charts, dirs).encode()
        if {"docx", "pdf"} & formats:
            stage = "the Word pack"
            with clock(times, "docx"):
                docx_bytes = render_docx(job.context, charts, dirs)
            if "docx" in formats:
                files["datapack.docx"] = docx_bytes
            if "pdf" in formats:
                stage = "the PDF pack"
                with clock(times, "pdf"):
                    files["datapack.pdf"] = convert_to_pdf(docx_bytes)
        if "xlsx" in formats:
            stage = "the spreadsheet (data.xlsx)"
            with clock(times, "xlsx"):
                files["data.xlsx"] = render_xlsx(job.context)
    except Exception as exc:  # reported per facility by the build; the other packs go on
        out.files = {}
        out.problem = failure("pack-failed", f"the pack for {job.name} was not built: {stage} failed", exc,
                              FAILED_HINT, f"facility {job.facility_id}")
    return out
