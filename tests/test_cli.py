"""The command line: exit codes, the validation report, documentation of every option."""

import json
import re
import shutil
from pathlib import Path

import click
import yaml
from click.testing import CliRunner

from datapack.cli import main

from conftest import FIXTURES

README = Path(__file__).resolve().parents[1] / "README.md"


def _fixture_project(tmp_path, clean: bool):
    shutil.copy(FIXTURES / "mapping" / "register.csv", tmp_path)
    source = (FIXTURES / "mapping" / "incidents.csv").read_bytes()
    if clean:
        source = b"\n".join(source.splitlines()[:3]) + b"\n"   # header and the two good rows
    (tmp_path / "incidents.csv").write_bytes(source)
    shutil.copy(FIXTURES / "mapping" / "datapack.yaml", tmp_path)
    return str(tmp_path / "datapack.yaml")


def test_validate_reports_every_problem_with_its_place_and_exits_1(tmp_path):
    result = CliRunner().invoke(main, ["validate", "--config", _fixture_project(tmp_path, clean=False)])
    assert result.exit_code == 1
    assert "incidents.csv, row 4, column 'Establishment'" in result.output
    assert "incidents.csv, row 5, column 'Date'" in result.output
    assert "incidents.csv, row 6, column 'Type'" in result.output
    assert "FAILED: 5 error(s)" in result.output


def test_validate_of_clean_sources_exits_0_with_coverage(tmp_path):
    result = CliRunner().invoke(main, ["validate", "--config", _fixture_project(tmp_path, clean=True)])
    assert result.exit_code == 0, result.output
    assert "OK: no errors" in result.output
    assert re.search(r"log\s+NGI\s+1 rows\s+2024-04-03 to 2024-04-03", result.output)


def test_validate_json_gives_the_same_report_as_data(tmp_path):
    result = CliRunner().invoke(main, ["validate", "--json", "--config", _fixture_project(tmp_path, clean=False)])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["errors"] == 5
    first = data["problems"][0]
    assert {"code", "file", "sheet", "row", "column", "message", "hint", "severity"} <= set(first)


def test_a_broken_configuration_is_reported_before_any_work(tmp_path):
    path = Path(_fixture_project(tmp_path, clean=True))
    config = yaml.safe_load(path.read_text())
    config["sources"][1]["tabel"] = "incidents"
    path.write_text(yaml.safe_dump(config))
    result = CliRunner().invoke(main, ["validate", "--config", str(path)])
    assert result.exit_code == 1
    assert "sources.1.tabel" in result.output and "nothing was done" in result.output


def test_a_missing_configuration_says_what_to_do(tmp_path):
    result = CliRunner().invoke(main, ["validate", "--config", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "not found" in result.output and "--config" in result.output


def test_every_command_and_option_is_documented_in_the_readme():
    readme = README.read_text()
    for name, command in main.commands.items():
        assert f"datapack {name}" in readme, f"'datapack {name}' is not in README.md"
        for param in command.params:
            if isinstance(param, click.Option) and param.name != "help":
                assert any(opt in readme for opt in param.opts), f"{name} {param.opts} not in README.md"


def test_progress_is_plain_text_when_not_a_terminal_and_silent_with_quiet(tmp_path):
    config = _fixture_project(tmp_path, clean=True)
    loud = CliRunner().invoke(main, ["validate", "--config", config])
    assert "Reading sources..." in loud.output and "\x1b[" not in loud.output
    quiet = CliRunner().invoke(main, ["validate", "--quiet", "--config", config])
    assert "Reading sources" not in quiet.output
