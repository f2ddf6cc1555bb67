"""A rebuild renders again only the packs whose context (or templates, or renderer) changed (issue 9 part 4).

The tiny corpus estate, with the recommendations split into one file per facility, so that a
change to one facility's rows feeds only that facility's pack (a pack lists, with their
SHA-256, the files that fed it: a file shared by every facility changes every pack).
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json

import yaml

from corpus.project import BASE_CONFIG, FACILITIES, write_project
from datapack.build import build
from datapack.config import load_config

BUILT_AT = dt.datetime(2026, 10, 1)


def _project(root):
    config = copy.deepcopy(BASE_CONFIG)
    write_project(root)
    rows = list(csv.reader(io.StringIO((root / "sources" / "recommendations.csv").read_text())))
    (root / "sources" / "recommendations.csv").unlink()
    for fid, name, _ in FACILITIES:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([rows[0]] + [r for r in rows[1:] if r[1] == name])
        (root / "sources" / f"recommendations_{fid}.csv").write_text(out.getvalue())
    for source in config["sources"]:
        if source["name"] == "recommendations":
            source["path"] = "sources/recommendations_*.csv"
    path = root / "datapack.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".datapack-lock"}


def _build(path, output, formats=("html", "xlsx")):
    return build(load_config(path), None, output, None, formats, BUILT_AT, 1)


def test_a_rebuild_skips_unchanged_packs_and_renders_the_one_whose_rows_changed(tmp_path):
    path = _project(tmp_path)
    output = tmp_path / "out"
    first = _build(path, output)
    assert sorted(first.written) == sorted(fid for fid, _, _ in FACILITIES) and first.skipped == []
    assert first.timings.counts == {"packs": 3, "rendered": 3, "skipped": 0, "failed": 0}
    before = _files(output)

    again = _build(path, output)
    assert sorted(again.skipped) == sorted(again.written) == sorted(first.written)
    assert "charts" not in again.timings.packs  # nothing drawn
    assert _files(output) == before  # the same bytes, every pack and summary

    tracker = tmp_path / "sources" / "recommendations_ALD.csv"
    tracker.write_text(tracker.read_text().replace("Review the use of force.", "Review the use of segregation."))
    changed = _build(path, output)
    assert sorted(changed.skipped) == ["BRC", "CDR"]
    assert changed.timings.counts["rendered"] == 1
    after = _files(output)
    ald = first.written["ALD"].name
    assert "Review the use of segregation." in after[f"{ald}/datapack.html"].decode()
    for fid in ("BRC", "CDR"):
        folder = first.written[fid].name
        assert {k: v for k, v in after.items() if k.startswith(folder + "/")} == \
            {k: v for k, v in before.items() if k.startswith(folder + "/")}


def test_a_pack_is_rendered_again_when_its_formats_or_files_are_not_as_the_key_says(tmp_path):
    path = _project(tmp_path)
    output = tmp_path / "out"
    first = _build(path, output)
    folder = first.written["BRC"]
    key = json.loads((folder / "manifest.json").read_text())["render_sha256"]
    (folder / "data.xlsx").unlink()  # a file gone: the pack cannot be kept
    again = _build(path, output)
    assert "BRC" not in again.skipped and (folder / "data.xlsx").is_file()
    assert sorted(again.skipped) == ["ALD", "CDR"]
    more = _build(path, output, formats=("html", "xlsx", "docx"))  # another format: every pack again
    assert more.skipped == [] and all((p / "datapack.docx").is_file() for p in more.written.values())
    assert json.loads((folder / "manifest.json").read_text())["render_sha256"] != key


def test_rebuild_renders_every_pack_again_and_gives_the_same_bytes(tmp_path):
    path = _project(tmp_path)
    output = tmp_path / "out"
    first = _build(path, output)
    before = _files(output)
    forced = build(load_config(path), None, output, None, ("html", "xlsx"), BUILT_AT, 1, rebuild=True)
    assert forced.skipped == [] and forced.timings.counts["rendered"] == 3
    assert _files(output) == before  # rendered again from the same inputs: the same bytes
    assert sorted(forced.written) == sorted(first.written)


def test_a_rebuild_with_every_pack_unchanged_starts_no_worker_processes(tmp_path, monkeypatch):
    import datapack.build as building

    path = _project(tmp_path)
    output = tmp_path / "out"
    started = []
    real = building.process_pool
    monkeypatch.setattr(building, "process_pool", lambda *args: started.append(args) or real(*args))
    first = build(load_config(path), None, output, None, ("html",), BUILT_AT, 2, audience="team")
    assert first.skipped == [] and len(started) == 1  # the packs are rendered by a pool of two
    again = build(load_config(path), None, output, None, ("html",), BUILT_AT, 2, audience="team")
    assert sorted(again.skipped) == sorted(first.written) and len(started) == 1  # none started: nothing to render
