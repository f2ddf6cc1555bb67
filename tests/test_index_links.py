"""Outputs found from one place (issue 10.8): index.html links every pack in every format and every estate view.

A small demo (two facilities, a year) is built as ``make datapack`` builds one, and every link of its
index is followed to a file; every file the build wrote is reached from the index.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from datapack.cli import main


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def _hrefs(page: Path) -> list[str]:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.hrefs


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    from datapack.demo import generate

    demo = generate(tmp_path_factory.mktemp("demo"), facilities=2, months=12)
    out = demo.out_dir / "output"
    result = CliRunner().invoke(main, ["build", "--config", str(demo.out_dir / "datapack.yaml"), "--output", str(out),
                                       "--quiet", "--format", "html", "--format", "docx", "--format", "xlsx"])
    assert result.exit_code == 0, result.output
    return out


def test_every_link_in_the_index_resolves_to_a_file_the_build_wrote(built):
    hrefs = _hrefs(built / "index.html")
    local = [h for h in hrefs if not re.match(r"^[a-z]+:", h) and not h.startswith("#")]
    assert local, hrefs
    missing = [h for h in local if not (built / h).is_file()]
    assert missing == []


def test_the_index_reaches_every_pack_in_every_format_and_every_estate_view(built):
    linked = {h for h in _hrefs(built / "index.html")}
    packs = [p for p in built.iterdir() if p.is_dir() and p.name != "public"]
    assert len(packs) == 2
    for pack in packs:
        for name in ("datapack.html", "datapack.docx", "data.xlsx", "pack.json"):
            assert f"{pack.name}/{name}" in linked, (pack.name, name)
    views = {"comparison.html", "comparison.docx", "comparison.xlsx", "comparison.json", "schedule.html",
             "schedule.xlsx"}
    assert views <= linked, views - linked
    written = {p.name for p in built.iterdir() if p.is_file()}
    assert views <= written  # make datapack writes the schedule too
    if (built / "digest.html").exists():  # with build history on (the demo's default), the digest
        assert "digest.html" in linked


def test_the_index_reaches_every_public_output(built):
    assert "public/index.html" in _hrefs(built / "index.html")
    public = built / "public"
    reached = set(_hrefs(public / "index.html"))
    written = {p.name for p in public.iterdir()}
    assert len(written) == 2 * 3 + 3  # two facilities' summary (HTML, Word) and easy read; the estate's two; the index
    assert written - {"index.html"} <= reached, written - reached
    assert all((public / h).is_file() for h in reached)


def test_building_some_facilities_links_only_what_is_there(built, tmp_path):
    from datapack.config import load_config
    from datapack.ingest import load_estate

    config = built.parent / "datapack.yaml"
    first = str(load_estate(load_config(config)).facilities["facility_id"].iloc[0])
    out = tmp_path / "some"
    result = CliRunner().invoke(main, ["build", "--config", str(config), "--output", str(out), "--quiet",
                                       "--format", "html", "--facility", first])
    assert result.exit_code == 0, result.output
    hrefs = [h for h in _hrefs(out / "index.html") if not h.startswith("#")]
    assert hrefs and all((out / h).is_file() for h in hrefs), hrefs
    assert not any(h.startswith(("comparison.", "schedule.", "public/")) for h in hrefs)
    assert not (out / "public").exists()  # the estate summary needs every facility
