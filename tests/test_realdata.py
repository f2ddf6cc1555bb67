"""The real published files in ../shared/realdata load through configuration alone.

The configuration is tests/realdata/datapack.yaml; no code here knows these files.
"""

import pandas as pd
import pytest

from datapack.config import load_config
from datapack.ingest import load_estate

from conftest import TESTS


@pytest.fixture(scope="module")
def estate():
    from conftest import REALDATA
    if not REALDATA.is_dir():
        pytest.skip(f"real data not found at {REALDATA}: these tests need ../shared beside the project")
    return load_estate(load_config(TESTS / "realdata" / "datapack.yaml"))


def test_yearly_deaths_match_the_published_totals(estate):
    deaths = estate.tables["incidents"]
    assert (deaths["category"] == "death").all()
    by_year = deaths.groupby(deaths["occurred"].dt.year)["count"].sum()
    # MoJ Safety in Custody statistics, as given in the file's SOURCE.md
    assert by_year[2016] == 354
    assert by_year[2021] == 371
    assert by_year[2023] == 311
    assert by_year[2024] == 232


def test_capitalisation_drift_in_causes_is_mapped_to_one_vocabulary(estate):
    causes = set(estate.tables["incidents"]["subcategory"].dropna())
    assert causes == {"natural", "self_inflicted", "homicide", "other", "awaiting"}


def test_altcourse_december_2024_check_value(estate):
    population = estate.tables["population"]
    register = estate.tables["facilities"].set_index("facility_id")
    altcourse = register.index[register["name"].str.contains("Altcourse")][0]
    row = population[(population["facility_id"] == altcourse) & (population["month"] == pd.Timestamp(2024, 12, 1))]
    assert len(row) == 1
    got = row.iloc[0][["baseline_cna", "in_use_cna", "operational_capacity", "population"]].tolist()
    assert got == [790, 790, 1204, 1136]
    assert row.iloc[0]["count_date"] == pd.Timestamp(2024, 12, 30)


def test_bulletin_totals_and_notes_do_not_become_facilities(estate):
    names = set(estate.tables["facilities"]["name"].str.lower())
    assert "total" not in names
    assert not any(n.startswith(("certified normal", "definitions", "baseline cna")) for n in names)
    population = estate.tables["population"]
    assert population.groupby("month")["facility_id"].nunique().between(100, 130).all()


def test_names_drifting_from_the_register_resolve_without_being_added(estate):
    added = {p.message.split("'")[1] for p in estate.report.problems if p.code == "facility-added"}
    # names in the 2017 register, spelt differently in the bulletin or the deaths file
    for name in ("Altcourse", "Elmley (Sheppey)", "Mount", "Verne"):
        assert name not in added


def test_the_real_register_duplicates_are_reported_with_their_rows(estate):
    dupes = [p for p in estate.report.problems if p.code == "facility-duplicate"]
    assert {p.file for p in dupes} == {"prison.tsv"}
    assert all(p.row and p.row > 1 for p in dupes)
