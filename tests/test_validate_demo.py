"""`datapack validate` on the bundled demo (clean) and on a damaged copy (every problem located)."""

import csv
import io
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from datapack.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_the_bundled_demo_validates_cleanly():
    result = CliRunner().invoke(main, ["validate", "--json", "--config", str(ROOT / "datapack.yaml")])
    assert result.exit_code == 0, result.output[-2000:]
    data = json.loads(result.stdout)
    assert data["errors"] == 0
    assert {f["source"] for f in data["files"]} >= {"register", "incident_log", "population_bulletin"}
    facilities = {c["facility_id"] for c in data["coverage"]}
    assert len(facilities) == 12


def _edit_csv(path: Path, row_number: int, column: str, value: str) -> None:
    """Set one cell of a CSV (row_number as a spreadsheet shows it; 1 is the header)."""
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    rows[row_number - 1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8-sig")


@pytest.fixture(scope="module")
def damaged(tmp_path_factory):
    root = tmp_path_factory.mktemp("damaged")
    shutil.copy(ROOT / "datapack.yaml", root)
    shutil.copytree(ROOT / "sources", root / "sources")
    log = root / "sources/incidents/incident_log_2025.csv"
    _edit_csv(log, 10, "Incident Date/Time", "31/13/2025 10:00")
    _edit_csv(log, 11, "Establishment", "HMP Nortgate")
    _edit_csv(log, 12, "Incident Type", "Tea party")
    _edit_csv(root / "sources/followup/visits.csv", 3, "Start date", "next Tuesday")
    book = openpyxl.load_workbook(root / "sources/followup/recommendation_tracker.xlsx")
    sheet = book["Tracker"]
    status_col = [c.value for c in sheet[4]].index("Status") + 1
    sheet.cell(row=6, column=status_col, value="Sort of done")
    book.save(root / "sources/followup/recommendation_tracker.xlsx")
    (root / "sources/population/Population_Bulletin_March_2025.ods").write_bytes(b"not a spreadsheet")
    return CliRunner().invoke(main, ["validate", "--json", "--config", str(root / "datapack.yaml")])


def _find(result, code, file):
    problems = json.loads(result.stdout)["problems"]
    return [p for p in problems if p["code"] == code and p["file"] == file]


def test_a_damaged_copy_fails_validation(damaged):
    assert damaged.exit_code == 1
    assert json.loads(damaged.stdout)["errors"] >= 6


def test_each_damaged_cell_is_reported_at_its_place(damaged):
    [date] = _find(damaged, "not-datetime", "incident_log_2025.csv")
    assert (date["row"], date["column"]) == (10, "Incident Date/Time")
    [place] = _find(damaged, "facility-unknown", "incident_log_2025.csv")
    assert (place["row"], place["column"]) == (11, "Establishment")
    assert "HMP Northgate" in place["hint"]
    [kind] = _find(damaged, "value-unknown", "incident_log_2025.csv")
    assert (kind["row"], kind["column"]) == (12, "Incident Type")
    [visit] = _find(damaged, "not-date", "visits.csv")
    assert (visit["row"], visit["column"]) == (3, "Start date")
    [status] = _find(damaged, "value-unknown", "recommendation_tracker.xlsx")
    assert (status["sheet"], status["row"], status["column"]) == ("Tracker", 6, "Status")


def test_an_unreadable_file_is_reported_and_the_others_still_read(damaged):
    [broken] = _find(damaged, "unreadable", "Population_Bulletin_March_2025.ods")
    assert "re-export" in broken["hint"]
    data = json.loads(damaged.stdout)
    bulletins = [f for f in data["files"] if f["source"] == "population_bulletin"]
    assert len(bulletins) == 35
    gaps = [c for c in data["coverage"] if c["source"] == "population_bulletin" and c["facility_id"] == "NGT"]
    assert gaps[0]["months_missing"] == ["2025-03"]
