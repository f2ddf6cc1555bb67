"""Raw cells to canonical tables: every bad cell reported with its place, good rows kept."""

import shutil

import pandas as pd
import pytest
import yaml

from datapack.config import load_config
from datapack.ingest import load_estate
from datapack.problems import InputError

from conftest import FIXTURES


@pytest.fixture
def estate():
    return load_estate(load_config(FIXTURES / "mapping" / "datapack.yaml"))


def test_good_rows_are_mapped_to_canonical_values(estate):
    incidents = estate.tables["incidents"].set_index("incident_id")
    assert incidents.loc["1", "facility_id"] == "NGI"          # NORTHGATE (HMP) via prefix rules
    assert incidents.loc["1", "category"] == "self_harm"        # 'Self Harm' via the vocabulary
    assert incidents.loc["1", "occurred"] == pd.Timestamp(2024, 4, 3, 10, 15)
    assert incidents.loc["2", "facility_id"] == "WFD"
    assert incidents.loc["2", "serious"] is True or incidents.loc["2", "serious"] == True  # noqa: E712
    assert estate.tables["facilities"].set_index("facility_id").loc["WFD", "facility_type"] == "womens_prison"


def test_every_bad_cell_is_reported_with_file_row_and_column(estate):
    found = {(p.code, p.row, p.column) for p in estate.report.problems}
    assert ("facility-unknown", 4, "Establishment") in found     # Northgte: CSV row 4 (header is row 1)
    assert ("not-datetime", 5, "Date") in found                  # 31/02/2024
    assert ("value-unknown", 6, "Type") in found                 # Tea party
    assert ("not-bool", 6, "Serious") in found                   # maybe
    assert ("value-missing", 7, "Establishment") in found        # blank facility
    assert all(p.file == "incidents.csv" for p in estate.report.problems)


def test_unknown_facility_message_names_the_nearest_known_one(estate):
    unknown = next(p for p in estate.report.problems if p.code == "facility-unknown")
    assert "HMP Northgate" in unknown.hint


def test_rows_with_unusable_required_values_are_left_out_and_the_rest_kept(estate):
    # 3: unknown facility; 4: impossible date; 5: unknown category; 6: no facility
    assert sorted(estate.tables["incidents"]["incident_id"]) == ["1", "2"]


def test_provenance_is_kept_on_every_row(estate):
    row = estate.tables["incidents"].set_index("incident_id").loc["2"]
    assert (row["_source"], row["_file"], row["_row"]) == ("log", "incidents.csv", 3)


def test_configuration_problems_are_all_reported_at_once(tmp_path):
    shutil.copy(FIXTURES / "mapping" / "register.csv", tmp_path)
    config = yaml.safe_load((FIXTURES / "mapping" / "datapack.yaml").read_text())
    config["sources"][1]["table"] = "incidentz"
    config["sources"][1]["colums"] = {}
    config["sources"][0]["format"] = "excel"
    config["disclosure"] = {"threshold": -1}
    (tmp_path / "datapack.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(InputError) as caught:
        load_config(tmp_path / "datapack.yaml")
    where = {p.column for p in caught.value.problems}
    assert {"sources.1.table", "sources.1.colums", "disclosure.threshold"} <= where


def test_missing_file_and_unknown_format_are_reported_before_any_work(tmp_path):
    config = yaml.safe_load((FIXTURES / "mapping" / "datapack.yaml").read_text())
    config["sources"][0]["format"] = "excel"
    (tmp_path / "datapack.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(InputError) as caught:
        load_config(tmp_path / "datapack.yaml")
    codes = {p.code for p in caught.value.problems}
    assert {"source-missing", "format-unknown"} <= codes
    unknown = next(p for p in caught.value.problems if p.code == "format-unknown")
    assert "csv" in unknown.hint and "xlsx" in unknown.hint


def test_a_mapped_heading_that_is_not_in_the_file_suggests_the_close_ones(tmp_path):
    for name in ("register.csv", "incidents.csv"):
        shutil.copy(FIXTURES / "mapping" / name, tmp_path)
    config = yaml.safe_load((FIXTURES / "mapping" / "datapack.yaml").read_text())
    config["sources"][1]["columns"]["occurred"] = "Dates"
    (tmp_path / "datapack.yaml").write_text(yaml.safe_dump(config))
    estate = load_estate(load_config(tmp_path / "datapack.yaml"))
    missing = next(p for p in estate.report.problems if p.code == "column-missing")
    assert missing.column == "Dates" and "'Date'" in missing.hint
