"""Parsed sources are cached by content; the writer never escapes the output folder."""

import shutil

import pytest
import yaml

from datapack.config import load_config
from datapack.ingest import load_estate
from datapack.writer import MARKER, UnsafePath, Writer, slugify

from conftest import FIXTURES


def _project(tmp_path):
    for name in ("register.csv", "incidents.csv"):
        shutil.copy(FIXTURES / "mapping" / name, tmp_path)
    config = yaml.safe_load((FIXTURES / "mapping" / "datapack.yaml").read_text())
    config["cache"] = ".cache"
    (tmp_path / "datapack.yaml").write_text(yaml.safe_dump(config))
    return tmp_path / "datapack.yaml"


def test_an_unchanged_source_is_not_read_again_and_a_changed_one_is(tmp_path):
    path = _project(tmp_path)
    first = load_estate(load_config(path))
    assert not any(f.cached for f in first.files)
    second = load_estate(load_config(path))
    assert all(f.cached for f in second.files)
    assert second.tables["incidents"].equals(first.tables["incidents"])
    with (tmp_path / "incidents.csv").open("ab") as handle:
        handle.write(b"7;Northgate;08/04/2024;Fight;;N\n")
    third = load_estate(load_config(path))
    cached = {f.source: f.cached for f in third.files}
    assert cached == {"register": True, "log": False}
    assert "7" in set(third.tables["incidents"]["incident_id"])


def test_a_corrupt_cache_entry_is_read_afresh(tmp_path):
    path = _project(tmp_path)
    load_estate(load_config(path))
    for entry in (tmp_path / ".cache").iterdir():
        entry.write_bytes(b"not a pickle")
    again = load_estate(load_config(path))
    assert not any(f.cached for f in again.files)
    assert len(again.tables["incidents"]) == 2


@pytest.mark.parametrize("name", ["..", "../escape", "/etc", "a/b", "", "."])
def test_writer_refuses_paths_outside_the_output_folder(tmp_path, name):
    writer = Writer(tmp_path / "output")
    with pytest.raises(UnsafePath):
        writer.write_folder(name, {"x.txt": b"x"})


def test_slugs_are_plain_and_cannot_climb(tmp_path):
    assert slugify("HMP/YOI Elmley (Sheppey)") == "hmp-yoi-elmley-sheppey"
    assert slugify("../../etc/passwd") == "etc-passwd"
    assert slugify("Ysgol Caerdydd ŵ") == "ysgol-caerdydd-w"


def test_a_failed_write_leaves_the_earlier_pack_whole(tmp_path):
    writer = Writer(tmp_path)
    writer.write_folder("pack", {"a.txt": b"old"})

    class Boom(bytes):
        pass
    with pytest.raises(TypeError):
        writer.write_folder("pack", {"a.txt": b"new", "b.txt": None})
    assert (tmp_path / "pack" / "a.txt").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == [MARKER, "pack"]  # no staging left, only the marker
