"""Render jobs: a pack is rendered from its finished context alone, the same in this process, in a spawned
worker and on a Dask worker; a job carries its templates, and a failure comes back located (issue 9.3)."""

from __future__ import annotations

import calendar
import concurrent.futures
import datetime as dt
import json
import multiprocessing
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

BUILT_AT = dt.datetime(2026, 10, 15, 9, 0)  # as a build reads SOURCE_DATE_EPOCH: UTC, without a zone
FORMATS = ("html", "docx", "xlsx")


@pytest.fixture(scope="module")
def qlc_job(demo_estate, demo_analysis):
    """The render job of the demo's smallest pack (QLC), made from its context as a build makes it."""
    from datapack.analysis import facility_context
    from datapack.disclosure import Control
    from datapack.render import render_json, template_dirs
    from datapack.render_job import RenderJob, Templates

    context = facility_context(demo_estate, "QLC", Control(demo_estate.config.disclosure), BUILT_AT,
                               analysis=demo_analysis)
    dirs = template_dirs(None)
    return RenderJob("QLC", "Quarry Lane (QLC)", context, render_json(context).encode(), FORMATS,
                     Templates.read(dirs)), dirs


@pytest.fixture(scope="module")
def rendered_here(qlc_job):
    from datapack.render_job import render_pack

    job, dirs = qlc_job
    return render_pack(job, dirs)


def test_a_job_renders_every_format_here_with_its_stage_times(rendered_here):
    assert rendered_here.problem is None
    assert sorted(rendered_here.files) == ["data.xlsx", "datapack.docx", "datapack.html"]
    assert set(rendered_here.times) == {"charts", "html", "docx", "xlsx"}
    assert all(wall >= 0 and cpu >= 0 for wall, cpu in rendered_here.times.values())
    assert "<html" in rendered_here.files["datapack.html"].decode()


def test_a_spawned_worker_renders_the_same_bytes(qlc_job, rendered_here):
    """Under spawn nothing is inherited: the job alone must carry everything the pack needs."""
    from datapack.render_job import render_pack

    job, _ = qlc_job
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        there = pool.submit(render_pack, job).result(timeout=600)
    assert there.problem is None
    assert there.files == rendered_here.files


def test_a_dask_worker_renders_the_same_bytes(qlc_job, rendered_here):
    distributed = pytest.importorskip("distributed", reason="the dask extra is in the test extra")
    from datapack.render_job import render_pack

    job, _ = qlc_job
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        executor = client.get_executor(pure=False)
        there = [f.result(timeout=600) for f in [executor.submit(render_pack, job) for _ in range(2)]]
    # two jobs on one worker's two threads: the pack is the same bytes both times (rendering is one at a time)
    assert all(r.problem is None and r.files == rendered_here.files for r in there)


def test_a_job_carries_its_templates_so_a_worker_needs_no_copy_of_the_project(qlc_job, tmp_path):
    """An organisation's folder, read into the job, then gone from disk: the worker still uses its template."""
    from datapack.render import template_dirs
    from datapack.render_job import RenderJob, Templates, render_pack

    job, dirs = qlc_job
    own = tmp_path / "our-templates"
    shutil.copytree(Path(dirs[-1]), own)
    page = own / "pack.html.j2"
    assert page.is_file(), sorted(p.name for p in own.iterdir())
    page.write_text(page.read_text(encoding="utf-8").replace("<body", "<body data-ours=\"yes\"", 1),
                    encoding="utf-8")
    templates = Templates.read(template_dirs(own))
    shutil.rmtree(own)
    ours = RenderJob(job.facility_id, job.name, job.context, job.pack_json, ("html",), templates)
    ours = pickle.loads(pickle.dumps(ours))  # as a worker receives it
    rendered = render_pack(ours)
    assert rendered.problem is None
    assert 'data-ours="yes"' in rendered.files["datapack.html"].decode()
    assert templates.digest != Templates.read(dirs).digest


def test_templates_are_written_once_whole_even_past_a_copy_cut_off_part_way(tmp_path, monkeypatch):
    from datapack.render_job import Templates

    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    (ours / "partials").mkdir(parents=True)
    (ours / "pack.html.j2").write_text("ours")
    (ours / "partials" / "a.j2").write_bytes(b"\x00binary too")
    theirs.mkdir()
    (theirs / "pack.html.j2").write_text("theirs")
    templates = Templates.read([ours, theirs])
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(temp))
    stale = temp / f"datapack-templates-{templates.digest[:20]}"
    (stale / "0").mkdir(parents=True)  # what a killed worker left: no 'complete' mark, files missing
    dirs = templates.dirs()
    assert [(d / "pack.html.j2").read_text() for d in dirs] == ["ours", "theirs"]
    assert (dirs[0] / "partials" / "a.j2").read_bytes() == b"\x00binary too"
    assert templates.dirs() == dirs  # once per process
    assert Templates.read(dirs).digest == templates.digest


def test_a_failing_job_comes_back_as_a_located_problem_not_an_exception(qlc_job):
    from datapack.render_job import RenderJob, render_pack

    job, _ = qlc_job
    broken = dict(job.context)
    broken.pop("facility")
    bad = RenderJob(job.facility_id, job.name, broken, job.pack_json, ("html",), job.templates)
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        rendered = pool.submit(render_pack, bad).result(timeout=600)
    assert rendered.files == {}
    assert rendered.problem.code == "pack-failed"
    assert rendered.problem.file == "facility QLC"
    assert "Quarry Lane (QLC)" in rendered.problem.message and "failed" in rendered.problem.message
    assert "'facility' is undefined" in rendered.problem.message and "pack.html.j2" in rendered.problem.message


def test_the_default_workers_start_without_fork(monkeypatch):
    from datapack.build import available_cores, default_start_method

    assert default_start_method() in ("forkserver", "spawn")
    monkeypatch.setenv("DATAPACK_START_METHOD", "spawn")
    assert default_start_method() == "spawn"
    monkeypatch.setenv("DATAPACK_START_METHOD", "teleport")
    with pytest.raises(ValueError, match="teleport"):
        default_start_method()
    assert available_cores() >= 1


def test_a_program_read_from_standard_input_gets_workers_that_need_not_load_it_again(monkeypatch):
    """``python - <<EOF``: spawn and forkserver workers would look for a file named '<stdin>'."""
    import types

    from datapack.build import default_start_method

    monkeypatch.delenv("DATAPACK_START_METHOD", raising=False)
    piped = types.ModuleType("__main__")
    piped.__file__, piped.__spec__ = "<stdin>", None
    monkeypatch.setitem(sys.modules, "__main__", piped)
    assert default_start_method() == ("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    piped.__file__ = __file__  # a script on disk: started afresh as usual
    assert default_start_method() in ("forkserver", "spawn")


def _files(folder: Path) -> dict[str, bytes]:
    """The files of every facility's pack in an output folder, by path."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.glob("*/*")) if p.is_file()}


@pytest.mark.slow
def test_a_build_under_spawn_and_one_on_a_local_dask_cluster_write_the_packs_of_a_build_here(tmp_path):
    """Three builds of two facilities: in this process, in spawned workers, and on a Dask cluster from the
    command line. Every file is the same bytes."""
    pytest.importorskip("distributed", reason="the dask extra is in the test extra")
    from datapack.build import build
    from datapack.config import load_config

    project = tmp_path / "project"  # a copy: the builds record a history beside their configuration
    shutil.copytree(ROOT / "sources", project / "sources")
    shutil.copyfile(ROOT / "datapack.yaml", project / "datapack.yaml")
    config = load_config(project / "datapack.yaml")
    picked = ["QLC", "HSC"]
    here = build(config, picked, tmp_path / "here", formats=FORMATS, built_at=BUILT_AT, jobs=1, audience="team")
    spawned = build(config, picked, tmp_path / "spawned", formats=FORMATS, built_at=BUILT_AT, jobs=2,
                    audience="team", start_method="spawn")
    assert not here.failed and not spawned.failed
    assert list(spawned.written) == picked  # in the order asked, whichever worker finished first
    command = [sys.executable, "-m", "datapack", "build", "--config", str(project / "datapack.yaml"), "--quiet",
               "--output", str(tmp_path / "dask"), "--audience", "team", "--scheduler", "local", "--jobs", "2",
               *[a for f in picked for a in ("--facility", f)]]
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(calendar.timegm(BUILT_AT.timetuple())))
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    mine = _files(tmp_path / "here")  # the packs (the digest differs: each build adds to the history)
    assert {"qlc/datapack.html", "hsc/datapack.docx", "qlc/data.xlsx"} <= set(mine)
    assert _files(tmp_path / "spawned") == mine
    assert _files(tmp_path / "dask") == mine
    assert json.loads(mine["qlc/manifest.json"])["facility_id"] == "QLC"


def test_an_unreachable_scheduler_is_a_plain_error(tmp_path):
    pytest.importorskip("distributed", reason="the dask extra is in the test extra")
    from click.testing import CliRunner

    from datapack.cli import main

    result = CliRunner().invoke(main, ["build", "--config", str(ROOT / "datapack.yaml"), "--output",
                                       str(tmp_path / "out"), "--quiet", "--facility", "QLC",
                                       "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 1, result.output
    assert "--scheduler tcp://127.0.0.1:9" in result.output and "no Dask scheduler" in result.output
    assert not (tmp_path / "out" / "qlc").exists()


def test_the_word_pack_renders_while_something_still_holds_docxtpls_parse_of_its_body(qlc_job, monkeypatch):
    """A Dask worker's profiler holds the frames of running threads: docxtpl's plain parse of the body lives on."""
    import io

    import docx
    from docxtpl import DocxTemplate

    from datapack.charts import facility_charts
    from datapack.render.docx import render_docx

    held, original = [], DocxTemplate.fix_tables

    def holding(self, xml):
        held.append(original(self, xml))
        return held[-1]

    monkeypatch.setattr(DocxTemplate, "fix_tables", holding)
    job, dirs = qlc_job
    made = docx.Document(io.BytesIO(render_docx(job.context, facility_charts(job.context), dirs)))
    assert held and len(made.tables) >= 3


def test_a_whole_build_shared_out_to_spawned_workers_writes_every_file_a_build_here_writes(tmp_path):
    """The public outputs go to the pool in parts and the comparison is made while the workers render:
    every file, packs, public outputs, comparison, schedule, index and manifest, is the same bytes."""
    from corpus.project import FACILITIES, write_project
    from datapack.build import build
    from datapack.config import load_config

    config = load_config(write_project(tmp_path / "project"))

    def every_file(folder: Path) -> dict[str, bytes]:
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
                if p.is_file() and p.name != ".datapack-lock"}

    here = build(config, None, tmp_path / "here", formats=("html", "xlsx"), built_at=BUILT_AT, jobs=1)
    spawned = build(config, None, tmp_path / "spawned", formats=("html", "xlsx"), built_at=BUILT_AT, jobs=2,
                    start_method="spawn")
    assert not here.failed and not spawned.failed and len(here.written) == len(FACILITIES)
    mine = every_file(tmp_path / "here")
    assert {"comparison.html", "comparison.json", "schedule.xlsx", "public/estate-summary.html", "index.html"} \
        <= set(mine)
    theirs = every_file(tmp_path / "spawned")
    assert sorted(theirs) == sorted(mine)
    assert [name for name in mine if theirs[name] != mine[name]] == []
    assert spawned.timings.stages["public"]["cpu"] > 0  # the workers' seconds, sent back with their parts
