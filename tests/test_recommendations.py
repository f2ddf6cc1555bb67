"""Recommendation trackers: both status vocabularies mapped to one internal scale."""

import openpyxl
import pandas as pd
import yaml

from datapack.config import load_config
from datapack.ingest import load_estate

ROWS = [
    ("Ref", "Establishment", "Date made", "Recommendation", "Status", "Repeat of", "Target date"),
    ("NG-2021-01", "Northgate", "2021-05-01", "Reduce self-harm", "Not achieved", None, "2022-05-01"),
    ("NG-2024-03", "Northgate", "2024-06-01", "Reduce self-harm", "No meaningful progress", "NG-2021-01", "2025-06-01"),
    ("NG-2024-04", "Northgate", "2024-06-01", "Better induction", "Reasonable progress", None, "2025-06-01"),
    ("NG-2024-05", "Northgate", "2024-06-01", "Family visits", "Good Progress", None, "2025-06-01"),
    ("NG-2021-02", "HMP Northgate", "2021-05-01", "Cell bells", "Partially achieved", None, "2022-05-01"),
    ("NG-2024-06", "Northgate", "2024-06-01", "Showers", "Sort of", None, "2025-06-01"),
]


def _project(tmp_path, vocabulary=None):
    (tmp_path / "register.csv").write_text("id,name,type\nNGI,HMP Northgate,prison\n")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Tracker 2024"
    sheet.append(["Recommendations tracker - all establishments"])
    sheet.append([])
    for row in ROWS:
        sheet.append(list(row))
    book.save(tmp_path / "tracker.xlsx")
    config = {"cache": None, "sources": [
        {"name": "register", "table": "facilities", "path": "register.csv",
         "columns": {"facility_id": "id", "name": "name", "facility_type": "type"}},
        {"name": "tracker", "table": "recommendations", "path": "tracker.xlsx", "sheet": "Tracker 2024",
         "columns": {"ref": "Ref", "facility": "Establishment", "made": "Date made", "text": "Recommendation",
                     "status": "Status", "repeats_ref": "Repeat of", "due": "Target date"}},
    ]}
    if vocabulary:
        config["status_vocabulary"] = vocabulary
    (tmp_path / "datapack.yaml").write_text(yaml.safe_dump(config))
    return load_estate(load_config(tmp_path / "datapack.yaml"))


def test_both_vocabularies_map_to_the_internal_scale_and_the_words_are_kept(tmp_path):
    estate = _project(tmp_path)
    recs = estate.tables["recommendations"].set_index("ref")
    assert recs["status"].to_dict() == {
        "NG-2021-01": "not_achieved", "NG-2024-03": "not_achieved", "NG-2024-04": "partly_achieved",
        "NG-2024-05": "achieved", "NG-2021-02": "partly_achieved"}
    assert recs.loc["NG-2024-05", "status_raw"] == "Good Progress"
    assert recs.loc["NG-2024-03", "repeats_ref"] == "NG-2021-01"
    assert recs.loc["NG-2024-03", "due"] == pd.Timestamp(2025, 6, 1)


def test_an_unknown_status_is_reported_at_its_cell_and_can_be_mapped_by_configuration(tmp_path):
    estate = _project(tmp_path)
    problem = next(p for p in estate.report.problems if p.code == "value-unknown")
    assert (problem.file, problem.sheet, problem.row, problem.column) == ("tracker.xlsx", "Tracker 2024", 9, "Status")
    assert "status_vocabulary" in problem.hint or "values:" in problem.hint
    mapped = _project(tmp_path, {"Sort of": "partly_achieved"})
    assert mapped.report.ok
    assert mapped.tables["recommendations"].set_index("ref").loc["NG-2024-06", "status"] == "partly_achieved"
