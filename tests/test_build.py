"""`datapack build`: packs per facility, manifests that trace inputs, failures kept to one facility."""

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from datapack.cli import main

ROOT = Path(__file__).resolve().parents[1]
CONFIG = str(ROOT / "datapack.yaml")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(main, ["build", "--config", CONFIG, "--output", str(out), "--quiet",
                                       "--facility", "NGT", "--facility", "Linden Lodge Secure Unit"])
    assert result.exit_code == 0, result.output
    return out


def test_only_the_named_facilities_are_built_each_with_all_five_files(built):
    folders = sorted(p.name for p in built.iterdir() if p.is_dir())
    assert folders == ["lls", "ngt"]
    for folder in folders:
        assert sorted(p.name for p in (built / folder).iterdir()) == [
            "data.xlsx", "datapack.docx", "datapack.html", "manifest.json", "pack.json"]
    assert (built / "index.html").is_file()


def test_the_manifest_names_every_input_with_its_real_hash(built):
    manifest = json.loads((built / "ngt" / "manifest.json").read_text())
    assert manifest["version"] and manifest["built_at"] and len(manifest["configuration_sha256"]) == 64
    assert manifest["configuration_sha256"] == hashlib.sha256((ROOT / "datapack.yaml").read_bytes()).hexdigest()
    files = {i["file"]: i["sha256"] for i in manifest["inputs"]}
    assert "incident_log_2025.csv" in files and "facilities.csv" in files
    for path in (ROOT / "sources").rglob("*"):
        if path.name in files:
            assert files[path.name] == hashlib.sha256(path.read_bytes()).hexdigest(), path.name


def test_a_police_suite_pack_does_not_list_files_that_have_none_of_its_rows(built):
    manifest = json.loads((built / "ngt" / "manifest.json").read_text())
    assert "custody_throughput.csv" not in {i["file"] for i in manifest["inputs"]}


def test_an_unknown_facility_is_refused_with_the_nearest_names(tmp_path):
    result = CliRunner().invoke(main, ["build", "--config", CONFIG, "--output", str(tmp_path), "--quiet",
                                       "--facility", "Northgat"])
    assert result.exit_code == 1
    assert "HMP Northgate" in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow  # a whole build through the command line
def test_one_facility_failing_does_not_stop_the_others(tmp_path, monkeypatch):
    import datapack.analysis as analysis

    real = analysis.facility_context

    def flaky(estate, facility_id, *args, **kwargs):
        if facility_id == "NGT":
            raise ValueError("broken data for this facility")
        return real(estate, facility_id, *args, **kwargs)
    monkeypatch.setattr(analysis, "facility_context", flaky)
    result = CliRunner().invoke(main, ["build", "--config", CONFIG, "--output", str(tmp_path), "--quiet",
                                       "--format", "html", "--facility", "NGT", "--facility", "BRF"])
    assert result.exit_code == 1
    assert ("ERROR [pack-failed] facility NGT: the pack for HMP Northgate (NGT) was not built: its analysis "
            "failed (ValueError: broken data for this facility, at test_build.py:") in result.output
    assert "Traceback" not in result.output
    assert (tmp_path / "brf" / "datapack.html").is_file()
    assert not (tmp_path / "ngt").exists()


@pytest.mark.slow  # a whole build through the command line
def test_an_organisation_overrides_a_section_and_the_word_template_by_configuration(tmp_path):
    """`templates:` in the configuration names a folder looked up before the project's templates/."""
    import shutil

    import docx
    import yaml

    project = tmp_path / "project"
    shutil.copytree(ROOT / "sources", project / "sources")
    config = yaml.safe_load((ROOT / "datapack.yaml").read_text())
    config["templates"] = "our-templates"
    config["cache"] = None
    (project / "datapack.yaml").write_text(yaml.safe_dump(config))
    ours = project / "our-templates"
    (ours / "html").mkdir(parents=True)
    (ours / "html" / "notes.html.j2").write_text(
        '<section aria-labelledby="notes"><h2 class="chapter" id="notes">7. Our own notes page</h2></section>\n')
    word = docx.Document(str(ROOT / "templates" / "pack.docx"))
    heading = next(p for p in word.paragraphs if p.text == "7. Notes for the team")
    heading.runs[0].text, *rest = "7. Notes for our inspectors", *[""] * (len(heading.runs) - 1)
    for run, text in zip(heading.runs[1:], rest):
        run.text = text
    word.save(str(ours / "pack.docx"))
    result = CliRunner().invoke(main, ["build", "--config", str(project / "datapack.yaml"), "--quiet",
                                       "--output", str(tmp_path / "out"), "--facility", "BRF",
                                       "--format", "html", "--format", "docx"])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "brf" / "datapack.html").read_text()
    assert "Our own notes page" in html and "7. Notes for the team</h2>" not in html
    built = docx.Document(str(tmp_path / "out" / "brf" / "datapack.docx"))
    headings = [p.text for p in built.paragraphs if p.style.name == "Heading 1"]
    assert "7. Notes for our inspectors" in headings
