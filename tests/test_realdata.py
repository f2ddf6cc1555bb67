"""The real published files in ../shared/realdata load through configuration alone, and match their check values.

Each folder of ../shared/realdata has a configuration in tests/realdata/<folder>/datapack.yaml (and
tests/realdata/datapack.yaml puts the English and Welsh prison files together); no code here or in
the package knows these files. Expected figures are the check values in each folder's README.md or
SOURCE.md, the publisher's own totals read from the file, or counts worked out here from the raw
file with the csv module or calamine, never through datapack. Building packs from the same
configurations is tested in test_realdata_build.py.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from datapack.cli import main
from datapack.config import load_config
from datapack.ingest import load_estate

from conftest import REALDATA, TESTS

CONFIGS = TESTS / "realdata"
README = TESTS.parent / "README.md"
FOLDERS = ["", "uk-prison-register-codes", "uk-deaths-in-prison-custody", "uk-hmpps-population-bulletin",
           "uk-weekly-prison-population", "nhs-mhsds-restrictive-interventions", "uk-police-use-of-force",
           "ie-prison-population"]
T = pd.Timestamp


@cache
def _estate(folder: str):
    """The estate one configuration loads (read once per test session)."""
    return load_estate(load_config(CONFIGS / folder / "datapack.yaml"))


@pytest.fixture
def estate(realdata):
    """Load the configuration of a folder: ``estate("uk-police-use-of-force")`` ('' for the combined one)."""
    return _estate


def errors(estate) -> list:
    return [p for p in estate.report.problems if p.severity == "error"]


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def sheet_rows(path: Path, sheet: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_configuration_loads_its_files_without_an_error(estate, folder):
    loaded = estate(folder)
    assert errors(loaded) == []
    rows: dict[str, int] = {}
    for f in loaded.files:  # a file may give no rows to one source (a month the source leaves out), never all
        rows[f.source] = rows.get(f.source, 0) + f.rows
    assert rows and all(rows.values())


@pytest.mark.parametrize("folder", FOLDERS)
def test_validate_passes_as_the_readme_says(realdata, folder):
    result = CliRunner().invoke(main, ["validate", "--quiet", "--config", str(CONFIGS / folder / "datapack.yaml")])
    assert result.exit_code == 0, result.output
    assert "OK: no errors" in result.output


def test_every_folder_of_real_data_has_a_configuration(realdata):
    folders = {p.name for p in realdata.iterdir() if p.is_dir()}
    assert folders == {p.parent.name for p in CONFIGS.glob("*/datapack.yaml")}
    assert {str(p.parent.relative_to(CONFIGS)).strip(".") for p in CONFIGS.rglob("datapack.yaml")} == set(FOLDERS)


def test_the_readme_lists_every_real_data_configuration_and_commands_that_exist():
    section = README.read_text().split("### Real published files")[1].split("\n## ")[0]
    for config in CONFIGS.rglob("datapack.yaml"):
        assert f"`{config.relative_to(CONFIGS).as_posix()}`" in section
    for named in re.findall(r"--config (\S+)", section):
        assert (TESTS.parent / named).is_file()


# uk-prison-register-codes -----------------------------------------------------------------------

def test_the_register_holds_every_establishment_once(estate):
    register = estate("uk-prison-register-codes").tables["facilities"].set_index("facility_id")
    # 153 rows in prison.tsv (SOURCE.md), less the two immigration removal centre rows that reuse MH and VE
    assert len(register) == 151 and register.index.is_unique
    assert register.loc["MH", "name"] == "HMP Morton Hall" and register.loc["VE", "name"] == "HMP The Verne"
    assert "BW" in register.index                                  # Berwyn is in the 2017 register
    assert not register["name"].str.contains("Five Wells|Fosse Way|Millsike").any()   # opened after 2017


def test_partial_dates_in_the_register_read_as_the_first_day_they_name(estate, realdata):
    register = estate("uk-prison-register-codes").tables["facilities"].set_index("facility_id")
    ended = [r for r in csv.reader((realdata / "uk-prison-register-codes" / "prison.tsv").open(encoding="utf-8"),
                                   delimiter="\t")][1:]
    assert register.loc["SM", "closed"] == T(2013, 2, 28)            # Shepton Mallet: 2013-02-28
    assert register.loc["AL", "closed"] == T(2009, 4, 1)             # Albany: 2009-04
    assert register.loc["WA", "closed"] == T(2006, 1, 1)             # The Weare: 2006
    assert register["closed"].notna().sum() == sum(1 for r in ended if r[3])   # every end-date read
    assert pd.isna(register.loc["AC", "closed"])


def test_without_leaving_out_the_irc_rows_the_reused_ids_are_reported_with_their_rows(realdata):
    config = load_config(CONFIGS / "uk-prison-register-codes" / "datapack.yaml")
    register = config.sources[0]
    config.sources[0] = register.model_copy(update={"skip_rows": {}})
    dupes = [p for p in load_estate(config).report.problems if p.code == "facility-duplicate"]
    assert {(p.file, p.row) for p in dupes} == {("prison.tsv", 79), ("prison.tsv", 109)}
    assert {p.severity for p in dupes} == {"error"}


# uk-deaths-in-prison-custody --------------------------------------------------------------------

def test_every_death_is_loaded_once(estate):
    deaths = estate("uk-deaths-in-prison-custody").tables["incidents"]
    assert len(deaths) == 5795 and deaths["count"].sum() == 5795     # 5,795 rows, incidents always 1
    assert (deaths["category"] == "death").all()
    assert deaths["occurred"].min() == T(2000, 1, 1) and deaths["occurred"].max() == T(2024, 9, 1)


def test_yearly_deaths_match_the_published_totals(estate):
    deaths = estate("uk-deaths-in-prison-custody").tables["incidents"]
    by_year = deaths.groupby(deaths["occurred"].dt.year)["count"].sum()
    # MoJ Safety in Custody statistics, as given in the file's SOURCE.md (2024: January to September)
    assert by_year[2016] == 354
    assert by_year[2021] == 371
    assert by_year[2023] == 311
    assert by_year[2024] == 232


def test_capitalisation_drift_in_causes_is_mapped_to_one_vocabulary(estate):
    deaths = estate("uk-deaths-in-prison-custody").tables["incidents"]
    assert set(deaths["subcategory"]) == {"natural", "self_inflicted", "homicide", "other", "awaiting"}


def test_only_spellings_of_one_establishment_share_a_facility(estate, realdata):
    loaded = estate("uk-deaths-in-prison-custody")
    deaths = loaded.tables["incidents"]
    names = [r[3] for r in sheet_rows(realdata / "uk-deaths-in-prison-custody" / "deaths_in_custody_by_prison.xlsx",
                                      "Лист1")[1:]]
    assert len(set(names)) == 157                                    # 157 distinct establishments (SOURCE.md)
    written = pd.Series(names, index=deaths["_row"].astype(int) - 2)
    by_id = written.groupby(deaths["facility_id"].to_numpy()).unique().map(set)
    shared = {k: v for k, v in by_id.items() if len(v) > 1}
    assert shared == {
        "FB": {"Forest Bank", "Forest bank"},
        "PB": {"Peterborough", "Peterborough (Male & Female)", "Peterborough (Male)"},   # one site, two units
        "iow-albany": {"IoW: Albany", "IOW: Albany"},
        "iow-camp-hill": {"IoW: Camp Hill", "IOW: Camp Hill"},
        "iow-parkhurst": {"IoW: Parkhurst", "IOW: Parkhurst"},
    }
    assert deaths["facility_id"].nunique() == 151


# uk-hmpps-population-bulletin -------------------------------------------------------------------

BULLETINS = {T(2024, 1, 1): "prison-pop-jan-2024.ods", T(2024, 12, 1): "Monthly_Bulletin_December_2024_web.ods"}


def test_altcourse_december_2024_check_value(estate):
    loaded = estate("uk-hmpps-population-bulletin")
    population = loaded.tables["population"]
    row = population[(population["facility_id"] == "AC") & (population["month"] == T(2024, 12, 1))]
    assert len(row) == 1
    got = row.iloc[0][["baseline_cna", "in_use_cna", "operational_capacity", "population"]].tolist()
    assert got == [790, 790, 1204, 1136]
    assert row.iloc[0]["count_date"] == T(2024, 12, 30)
    january = population[population["month"] == T(2024, 1, 1)]
    assert set(january["count_date"]) == {T(2024, 1, 26)}            # 'Report Date : 26/1/2024'


@pytest.mark.parametrize("month", list(BULLETINS))
def test_establishment_rows_add_up_to_the_published_total_row(estate, realdata, month):
    population = estate("uk-hmpps-population-bulletin").tables["population"]
    rows = population[population["month"] == month]
    assert len(rows) == 120 and rows["facility_id"].is_unique
    grid = sheet_rows(realdata / "uk-hmpps-population-bulletin" / BULLETINS[month], "MonthlyBulletin")
    total = next(r for r in grid if r[0] == "Total")
    assert rows["baseline_cna"].sum() == total[1]
    assert rows["in_use_cna"].sum() == total[2]
    assert rows["population"].sum() == total[4]
    # '88688**' is a different measure: "the sum of all establishments' operational capacity less 1350 places"
    assert rows["operational_capacity"].sum() - 1350 == int(str(total[3]).rstrip("*"))


def test_bulletin_totals_and_notes_do_not_become_facilities(estate):
    loaded = estate("uk-hmpps-population-bulletin")
    names = set(loaded.tables["facilities"]["name"].str.lower())
    assert "total" not in names
    assert not any(n.startswith(("certified normal", "definitions", "baseline cna", "report produced")) for n in names)


def test_establishments_opened_after_the_register_are_added_with_a_warning(estate):
    added = {p.message.split("'")[1] for p in estate("uk-hmpps-population-bulletin").report.problems
             if p.code == "facility-added"}
    assert added == {"Five Wells", "Fosse Way", "Grendon / Springhill", "Usk / Prescoed"}


# uk-weekly-prison-population --------------------------------------------------------------------

def test_weekly_population_check_values(estate):
    weekly = estate("uk-weekly-prison-population").tables["population"].sort_values("count_date")
    assert len(weekly) == 561 and weekly["population"].notna().sum() == 548
    assert weekly["population"].sum() == 45_683_644
    top, bottom = weekly.loc[weekly["population"].idxmax()], weekly.loc[weekly["population"].idxmin()]
    assert (top["population"], top["count_date"]) == (88_521, T(2024, 9, 6))
    assert (bottom["population"], bottom["count_date"]) == (77_634, T(2021, 4, 9))
    assert (weekly.iloc[0]["count_date"], weekly.iloc[0]["population"]) == (T(2014, 1, 3), 83_193)
    assert (weekly.iloc[-1]["count_date"], weekly.iloc[-1]["population"]) == (T(2024, 11, 11), 85_457)


def test_bank_holiday_weeks_are_missing_not_zero(estate):
    weekly = estate("uk-weekly-prison-population").tables["population"]
    empty = weekly.loc[weekly["population"].isna(), "count_date"]
    assert sorted(empty.dt.strftime("%Y-%m-%d")) == [
        "2014-04-18", "2014-12-26", "2015-04-03", "2015-12-25", "2016-01-01", "2016-03-25", "2016-12-23",
        "2017-04-14", "2017-12-29", "2018-12-28", "2019-04-19", "2020-05-08", "2021-04-02"]
    assert (weekly["population"] > 0).sum() == 548


def test_missing_weeks_and_the_switch_from_friday_to_monday_are_kept_as_dated(estate):
    weekly = estate("uk-weekly-prison-population").tables["population"]
    dates = weekly["count_date"].sort_values()
    assert dates.diff().dt.days.value_counts().to_dict() == {7: 553, 14: 5, 21: 1, 3: 1}
    assert (dates[dates < T(2024, 10, 21)].dt.day_of_week == 4).all()      # Fridays
    assert (dates[dates >= T(2024, 10, 21)].dt.day_of_week == 0).sum() == 4  # then Mondays
    assert (weekly["month"] == weekly["count_date"].dt.to_period("M").dt.to_timestamp()).all()


# nhs-mhsds-restrictive-interventions ------------------------------------------------------------

MHSDS_MONTHS = {"Sep_2021": T(2021, 9, 1), "Feb_2022": T(2022, 2, 1), "Jun_2022": T(2022, 6, 1)}


@pytest.mark.parametrize("name, rows, numbers, stars, total", [
    ("rstr01_Sep_2021.csv", 52, 48, 4, 2340),
    ("rstr06_Feb_2022.csv", 43, 40, 3, 2115),
    ("rstr10_Jun_2022.csv", 52, 48, 4, 2560),
])
def test_restrictive_intervention_counts_match_the_check_values(estate, realdata, name, rows, numbers, stars, total):
    counts = estate("nhs-mhsds-restrictive-interventions").tables["incident_counts"]
    mine = counts[counts["_file"] == name]
    # The README's rows include Sep 2021's provider 'UNKNOWN' (10), left out as it is not a place.
    unknown = [int(r[3]) for r in csv_rows(realdata / "nhs-mhsds-restrictive-interventions" / name) if r[1] == "UNKNOWN"]
    assert len(mine) + len(unknown) == rows
    assert (mine["status"] == "value").sum() + len(unknown) == numbers
    assert (mine["status"] == "suppressed").sum() == stars
    assert mine["count"].sum() + sum(unknown) == total
    assert set(mine["measure"]) == {"restrictive_intervention_people"}
    assert set(mine["period_start"]) == {MHSDS_MONTHS[name[7:15]]}   # dd/mm/yyyy and ISO alike


def test_suppressed_restrictive_interventions_are_never_zero(estate):
    counts = estate("nhs-mhsds-restrictive-interventions").tables["incident_counts"]
    hidden = counts[counts["status"] == "suppressed"]
    assert len(hidden) == 11 and hidden["count"].isna().all()
    assert (counts.loc[counts["status"] == "value", "count"] % 5 == 0).all()   # rounded to 5 as published


def test_restrictive_intervention_cells_match_the_check_values(estate):
    counts = estate("nhs-mhsds-restrictive-interventions").tables["incident_counts"]
    cell = counts.set_index(["period_start", "facility_id"])["count"]
    assert cell[T(2021, 9, 1), "BERKSHIRE HEALTHCARE NHS FOUNDATION TRUST"] == 30
    feb, jun = cell[T(2022, 2, 1)], cell[T(2022, 6, 1)]
    assert (feb.idxmax(), feb.max()) == ("ELYSIUM HEALTHCARE", 230)
    assert (jun.idxmax(), jun.max()) == ("CYGNET HEALTH CARE LIMITED", 245)
    assert "unknown" not in set(counts["facility_id"].str.lower())


@pytest.mark.parametrize("month, rows, total, largest", [
    (T(2021, 9, 1), 65, 16230, 1335), (T(2022, 6, 1), 69, 16420, 1345)])
def test_people_detained_are_the_population_of_the_months_that_count_detention(estate, month, rows, total, largest):
    population = estate("nhs-mhsds-restrictive-interventions").tables["population"]
    mine = population[population["month"] == month].set_index("facility_id")["population"]
    assert (len(mine), mine.sum()) == (rows, total)                   # the numeric rows of sect01 and sect10
    assert (mine.idxmax(), mine.max()) == ("CYGNET HEALTH CARE LIMITED", largest)


def test_the_wider_mental_health_act_measure_is_kept_apart_from_the_population(estate):
    loaded = estate("nhs-mhsds-restrictive-interventions")
    assert T(2022, 2, 1) not in set(loaded.tables["population"]["month"])
    context = loaded.tables["context"]
    assert set(context["factor"]) == {"subject_to_mha_end_of_month"}
    assert set(context["period_start"]) == {T(2022, 2, 1)}
    assert (len(context), context["value"].sum()) == (68, 21315)      # the numeric rows of sect06
    assert context.set_index("facility_id").loc["OXLEAS NHS FOUNDATION TRUST", "value"] == 310


# uk-police-use-of-force -------------------------------------------------------------------------

YEARS = {T(2017, 4, 1): "2017/18", T(2018, 4, 1): "2018/19", T(2019, 4, 1): "2019/20"}


def test_force_incidents_add_up_to_the_published_england_and_wales_total(estate):
    counts = estate("uk-police-use-of-force").tables["incident_counts"]
    forces = counts[counts["measure"] == "use_of_force"]
    by_year = forces.groupby("period_start")["count"]
    assert by_year.size().to_dict() == dict.fromkeys(YEARS, 43)
    # Table 12 'Total England and Wales', README check values
    assert by_year.sum().to_dict() == {T(2017, 4, 1): 313_137, T(2018, 4, 1): 427_725, T(2019, 4, 1): 491_984}
    met = forces[forces["facility_id"] == "Metropolitan"].set_index("period_start")["count"].to_dict()
    assert met == {T(2017, 4, 1): 61_016, T(2018, 4, 1): 129_729, T(2019, 4, 1): 157_705}


def test_each_release_covers_its_financial_year(estate):
    counts = estate("uk-police-use-of-force").tables["incident_counts"]
    spans = set(zip(counts["period_start"], counts["period_end"]))
    assert spans == {(T(2017, 4, 1), T(2018, 3, 31)), (T(2018, 4, 1), T(2019, 3, 31)), (T(2019, 4, 1), T(2020, 3, 31))}


def test_region_subtotals_and_the_national_total_are_not_forces(estate):
    facilities = estate("uk-police-use-of-force").tables["facilities"]
    assert not facilities["name"].str.strip().str.startswith("Total").any()
    forces = facilities[facilities["_source"] == "forces"]
    assert len(forces) == 43
    assert forces["region"].nunique() == 10 and not forces["region"].str.endswith(" ").any()


def test_custody_block_and_location_subtotals_match_the_check_values(estate):
    counts = estate("uk-police-use-of-force").tables["incident_counts"]
    national = counts[counts["facility_id"] == "england-and-wales-all-forces"]
    cell = national.set_index(["measure", "period_start"])["count"]
    assert cell["use_of_force/custody_block"].to_dict() == {T(2017, 4, 1): 41_134, T(2018, 4, 1): 55_192,
                                                            T(2019, 4, 1): 61_302}
    assert cell["use_of_force/public"].to_dict() == {T(2017, 4, 1): 172_682, T(2018, 4, 1): 243_389,
                                                     T(2019, 4, 1): 282_269}
    parts = ["street", "open_ground", "retail", "licensed_premises", "public_transport", "stadium"]
    for start in YEARS:
        assert sum(cell[f"use_of_force/{p}", start] for p in parts) == cell["use_of_force/public", start]
    assert len(national) == 18 * 3 and (national["status"] == "value").all()   # 18 locations, no tactic rows


# ie-prison-population ---------------------------------------------------------------------------

def test_offence_and_sentence_profiles_match_the_check_values(estate):
    context = estate("ie-prison-population").tables["context"]
    offences = context[context["_source"] == "offence-groups"]
    sentences = context[context["_source"] == "sentence-lengths"]
    assert (len(offences), len(sentences)) == (182, 65)
    assert offences.groupby("period_start").size().eq(14).all() and sentences.groupby("period_start").size().eq(5).all()
    assert offences.loc[offences["period_start"] == T(2014, 1, 1), "value"].sum() == 3321
    bands = sentences[sentences["period_start"] == T(2014, 1, 1)].set_index("factor")["value"].to_dict()
    assert bands == {"Life Sentence": 320, "Long (5-10yrs)": 803, "Medium (1-5yrs)": 1471, "Short (<1yr)": 373,
                     "Very Long (10yrs+)": 295}
    assert sum(bands.values()) == 3262


def test_a_january_snapshot_is_the_month_of_january(estate):
    context = estate("ie-prison-population").tables["context"]
    assert set(context["period_start"].dt.year) == set(range(2014, 2027))
    assert (context["period_start"].dt.month == 1).all() and (context["period_end"].dt.day == 31).all()


@pytest.mark.xfail(strict=True, raises=AssertionError, reason="Prison_Population needs a setting that tells its two blocks apart "
                                       "(In_Custody == Temp_Release in the first); none exists, so it is not loaded")
def test_irish_population_per_prison_matches_the_second_block(estate):
    population = estate("ie-prison-population").tables["population"]
    january = population[population["month"] == T(2014, 1, 1)]
    assert january["population"].sum() == 3984


# tests/realdata/datapack.yaml: the English and Welsh prison files together ----------------------

def test_names_drifting_from_the_register_resolve_without_being_added(estate):
    added = {p.message.split("'")[1] for p in estate("").report.problems if p.code == "facility-added"}
    # names in the 2017 register, spelt differently in the bulletin or the deaths file
    for name in ("Altcourse", "Elmley (Sheppey)", "Mount", "Verne", "Peterborough (Male & Female)"):
        assert name not in added


def test_deaths_and_population_meet_at_the_same_establishment(estate):
    loaded = estate("")
    deaths, population = loaded.tables["incidents"], loaded.tables["population"]
    both = set(deaths["facility_id"]) & set(population["facility_id"])
    assert {"AC", "PB", "MH", "VE", "five-wells", "fosse-way"} <= both
