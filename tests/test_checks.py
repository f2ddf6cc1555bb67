"""Sanity and plausibility checks: no silent wrong figure, each finding a located problem.

One small hand-made fixture per check in tests/fixtures/checks; every
expected figure is worked out by hand from the fixture in the comment beside it.
"""

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from datapack.cli import main
from datapack.config import Checks, load_config
from datapack.ingest import load_estate
from datapack.problems import InputError
from datapack.tables.checks.totals import is_total_label

from conftest import FIXTURES

FIX = FIXTURES / "checks"
README = Path(__file__).resolve().parents[1] / "README.md"
REGISTER = {"name": "register", "table": "facilities", "path": str(FIX / "register.csv"),
            "columns": {c: c for c in ("facility_id", "name", "aliases", "facility_type", "capacity")}}
BUILT = "2026-12-01"


def write_project(tmp_path, *sources, register=REGISTER, **settings) -> Path:
    data = {"cache": None, "history": None, "sources": [register, *sources], **settings}
    path = tmp_path / "datapack.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def estate_of(tmp_path, *sources, as_of=BUILT, **settings):
    return load_estate(load_config(write_project(tmp_path, *sources, **settings)), as_of=as_of)


def found(estate, code, severity=None):
    return [p for p in estate.report.problems if p.code == code and (severity is None or p.severity == severity)]


def population(file, **columns):
    return {"name": "population", "table": "population", "path": str(FIX / file), "dates": {"month": "%Y-%m"},
            "columns": columns or {"facility": "Establishment", "month": "Month", "population": "Population",
                                   "operational_capacity": "Operational capacity"}}


def incident_log(file="incident_log.csv", **extra):
    return {"name": "log", "table": "incidents", "path": str(FIX / file),
            "columns": {"incident_id": "Ref", "facility": "Establishment", "occurred": "Date", "category": "Type",
                        "person_ref": "Person"},
            "dates": {"occurred": "%d/%m/%Y %H:%M"}, **extra}


# --- total rows ---------------------------------------------------------------------------------

def test_total_labels_are_recognised_ignoring_case_and_punctuation():
    for label in ("Total", "TOTAL**", "Sub total", "Sub-total", "Subtotal", "SUBTOTAL male estate", "Grand total",
                  "All establishments", "All prisons", "England and Wales", "England & Wales", "National", "Totals"):
        assert is_total_label(label), label
    for label in ("Allenby", "Totton", "Wales", "Northallerton", "HMP Ashby", "", None):
        assert not is_total_label(label), label
    assert is_total_label("Male estate", extra=["male estate"])


def test_sub_total_with_a_space_is_a_total_not_a_facility(tmp_path):
    # on_unknown: add is where 'Sub total' once became a facility and doubled the population
    estate = estate_of(tmp_path, population("subtotal_population.csv"), facilities={"on_unknown": "add"})
    pop = estate.tables["population"]
    assert sorted(pop["facility_id"]) == ["ASH", "BRA", "CAR"]
    assert pop["population"].sum() == 118 + 305 + 50   # 473; with the two total rows read as places: 1,369
    assert not found(estate, "facility-added")
    assert not found(estate, "total-mismatch")         # 423 = 118 + 305 and 473 = all three
    assert estate.report.ok


def test_older_bulletin_with_sub_totals_and_an_irc_section_loses_only_its_totals(tmp_path):
    bulletin = {"name": "bulletin", "table": "population", "format": "stats_table",
                "path": str(FIX / "older_bulletin.csv"),
                "columns": {"facility": "Prison Name", "month": "@report_date", "population": "Population",
                            "baseline_cna": "Baseline CNA", "operational_capacity": "Operational Capacity"}}
    estate = estate_of(tmp_path, bulletin)
    pop = estate.tables["population"]
    assert sorted(pop["facility_id"]) == ["ASH", "BRA", "DUN"]
    assert pop["population"].sum() == 118 + 305 + 180  # 603, the grand total; 1,206 with the sub-totals
    assert not found(estate, "total-mismatch")
    assert estate.report.ok


def test_a_total_that_disagrees_with_its_rows_is_an_error_and_a_footnoted_one_a_warning(tmp_path):
    estate = estate_of(tmp_path, population("total_mismatch.csv"))
    [error] = found(estate, "total-mismatch", "error")
    assert (error.file, error.row, error.column) == ("total_mismatch.csv", 4, "Population")
    assert "500" in error.message and "423" in error.message          # 118 + 305
    [warning] = found(estate, "total-mismatch", "warning")
    assert (warning.row, warning.column) == (4, "Operational capacity")
    assert "400**" in warning.message and "420" in warning.message    # 120 + 300
    assert "different measure" in warning.message
    assert sorted(estate.tables["population"]["facility_id"]) == ["ASH", "BRA"]


def test_regional_totals_above_their_rows_are_checked_against_their_region(tmp_path):
    # the Home Office layout: a national total first, then each region's total above its forces
    counts = {"name": "counts", "table": "incident_counts", "path": str(FIX / "totals_above_rows.csv"),
              "columns": {"facility": "Force", "count": "Total"},
              "constants": {"period_start": "2024-04-01", "measure": "use_of_force"}}
    estate = estate_of(tmp_path, counts)
    assert estate.tables["incident_counts"]["count"].sum() == 10 + 15 + 35   # 60, the national total
    [mismatch] = found(estate, "total-mismatch")
    assert (mismatch.row, mismatch.column) == (6, "Total")                    # Total South: 40, Carlton 35
    assert "40" in mismatch.message and "1 row adds up to 35" in mismatch.message


def test_totals_keep_leaves_total_rows_in_on_request(tmp_path):
    estate = estate_of(tmp_path, population("subtotal_population.csv"), facilities={"on_unknown": "add"},
                       checks={"totals": "keep"})
    assert len(estate.tables["population"]) == 5
    assert len(found(estate, "facility-added")) == 2


# --- duplicate keys -----------------------------------------------------------------------------

def test_two_establishments_folded_into_one_code_are_reported_and_left_out(tmp_path):
    source = population("folded_population.csv", facility="Establishment", month="Month", population="Population")
    estate = estate_of(tmp_path, source)
    pop = estate.tables["population"].set_index("facility_id")["population"]
    assert pop.to_dict() == {"ASH": 118, "BRA": 305}   # Peterborough's 840 and 360 disagree: neither is kept
    conflict, repeat = found(estate, "duplicate-key")
    assert (conflict.row, conflict.column) == (3, "Establishment")
    assert "840" in conflict.message and "360" in conflict.message and "left out" in conflict.message
    assert repeat.row == 5 and "counted once" in repeat.message


def test_an_overlapping_use_of_force_export_is_counted_once(tmp_path):
    export = {"name": "uof_export", "table": "incidents", "path": str(FIX / "use_of_force_export.csv"),
              "columns": {"facility": "Establishment", "occurred": "When", "person_ref": "Person"},
              "constants": {"category": "use_of_force"}, "dates": {"occurred": "%d/%m/%Y %H:%M"}}
    estate = estate_of(tmp_path, incident_log(), export)
    incidents = estate.tables["incidents"]
    force = incidents[(incidents["category"] == "use_of_force") & (incidents["facility_id"] == "ASH")]
    assert len(force) == 4        # ids 1, 2, 3 and the export's P6; 8 if the repeat and the overlap counted
    repeats = found(estate, "duplicate-incident")
    assert {(p.file, p.row) for p in repeats if "counted once" in p.message} == {
        ("incident_log.csv", 5), ("use_of_force_export.csv", 2), ("use_of_force_export.csv", 3),
        ("use_of_force_export.csv", 4)}
    [reused] = [p for p in repeats if "another facility" in p.message]
    assert (reused.file, reused.row, reused.column) == ("incident_log.csv", 8, "Ref")
    assert (incidents["category"] == "self_harm").sum() == 3       # id 5 at two places: both kept
    [overlap] = found(estate, "sources-overlap")
    assert "ASH" in overlap.message and overlap.severity == "warning"


def test_one_file_read_by_two_sources_counts_its_incidents_once(tmp_path):
    first = {"name": "first", "table": "incidents", "path": str(FIX / "use_of_force_export.csv"),
             "columns": {"facility": "Establishment", "occurred": "When"}, "constants": {"category": "use_of_force"},
             "dates": {"occurred": "%d/%m/%Y %H:%M"}}
    second = {**first, "name": "second", "dates": {"occurred": ["%d/%m/%Y %H:%M", "%d/%m/%Y"]}}
    estate = estate_of(tmp_path, first, second)
    assert len(estate.tables["incidents"]) == 4                      # not 8
    assert {p.row for p in found(estate, "duplicate-incident")} == {2, 3, 4, 5}


def test_repeated_and_reused_visit_ids_and_visits_ending_before_they_start(tmp_path):
    visits = {"name": "visits", "table": "visits", "path": str(FIX / "visits.csv"),
              "columns": {"visit_id": "Visit ID", "facility": "Establishment", "start": "Start", "end": "End"},
              "dates": {"start": "%d/%m/%Y", "end": "%d/%m/%Y"}}
    estate = estate_of(tmp_path, visits)
    kept = estate.tables["visits"]
    assert sorted(zip(kept["visit_id"], kept["facility_id"])) == [("V1", "ASH"), ("V2", "BRA"), ("V2", "CAR")]
    once, reused = found(estate, "duplicate-visit")
    assert once.row == 3 and "counted once" in once.message
    assert reused.row == 5 and "another visit" in reused.message
    [backwards] = found(estate, "visit-ends-before-start")
    assert (backwards.row, backwards.column) == (6, "End")


def test_a_name_matching_two_register_entries_is_reported_never_merged_or_added(tmp_path):
    register = {"name": "register", "table": "facilities", "path": str(FIX / "register_shared_alias.csv"),
                "columns": {c: c for c in ("facility_id", "name", "aliases", "facility_type")}}
    log = {"name": "log", "table": "incidents", "path": str(FIX / "highpoint_incidents.csv"),
           "columns": {"incident_id": "Ref", "facility": "Establishment", "occurred": "Date", "category": "Type"},
           "dates": {"occurred": "%d/%m/%Y %H:%M"}}
    estate = estate_of(tmp_path, log, register=register, facilities={"on_unknown": "add"})
    [shared] = found(estate, "facility-name-shared")
    assert shared.file == "register_shared_alias.csv" and "HPN" in shared.message and "HPS" in shared.message
    [ambiguous] = found(estate, "facility-ambiguous")
    assert (ambiguous.row, ambiguous.column) == (3, "Establishment")
    assert "Highpoint North" in ambiguous.message and "Highpoint South" in ambiguous.message
    assert list(estate.tables["incidents"]["incident_id"]) == ["1"]
    assert len(estate.tables["facilities"]) == 2 and not found(estate, "facility-added")
    assert not found(estate, "value-missing")     # the two left-out rows are reported once, as ambiguous


# --- vocabulary ---------------------------------------------------------------------------------

def _people(tmp_path, **settings):
    log = {"name": "log", "table": "incidents", "path": str(FIX / "incidents_people.csv"),
           "columns": {"incident_id": "Ref", "facility": "Establishment", "occurred": "Date", "category": "Type",
                       "ethnicity": "Ethnic group", "age_band": "Age"},
           "dates": {"occurred": "%d/%m/%Y %H:%M"}}
    mix = {"name": "mix", "table": "context", "path": str(FIX / "population_mix.csv"),
           "columns": {"facility": "Establishment", "period_start": "Count date"},
           "unpivot": {"pattern": "^(Ethnicity|Age band): ", "names_to": "factor", "values_to": "value"},
           "dates": {"period_start": "%d/%m/%Y"}}
    return estate_of(tmp_path, log, mix, **settings)


def test_groups_outside_the_population_mix_are_counted_with_the_nearest_group(tmp_path):
    estate = _people(tmp_path)
    [british] = found(estate, "group-unknown")
    assert (british.row, british.column) == (3, "Ethnic group")   # refs 2 and 4, the first on file row 3
    assert "'White: British'" in british.message and "2 incident row(s)" in british.message
    assert "nearest: White" in british.message
    assert set(estate.tables["incidents"]["ethnicity"]) == {"White", "White: British", "Black"}   # kept, reported


def test_an_unknown_category_is_reported_once_with_its_count_and_nearest_word(tmp_path):
    estate = _people(tmp_path)
    [category] = found(estate, "value-unknown")
    assert (category.row, category.column) == (6, "Type")
    assert "'Self-harm incident'" in category.message and "nearest: self_harm" in category.message
    assert "5" not in set(estate.tables["incidents"]["incident_id"])


def test_raw_ages_are_banded_and_ages_no_band_holds_are_rejected(tmp_path):
    estate = _people(tmp_path)
    bands = estate.tables["incidents"].set_index("incident_id")["age_band"]
    assert bands["1"] == "30-39"            # 34
    assert bands["3"] == "18-20"            # '18 to 20', the mix's 18-20 written another way
    assert bands["2"] == "21-24"
    assert pd.isna(bands["4"])              # 7: no band of the mix holds it
    [rejected] = found(estate, "age-unbanded")
    assert rejected.row == 5 and "7" in rejected.message
    [banded] = found(estate, "age-banded")
    assert banded.severity == "warning" and "34 as 30-39" in banded.message


def test_configured_vocabulary_replaces_the_population_mix(tmp_path):
    estate = _people(tmp_path, checks={"vocabulary": {"ethnicity": ["White", "White: British", "Black"]}})
    assert not found(estate, "group-unknown")


# --- plausibility -------------------------------------------------------------------------------

def _implausible(tmp_path, **settings):
    log = {"name": "log", "table": "incidents", "path": str(FIX / "implausible_incidents.csv"),
           "columns": {"incident_id": "Ref", "facility": "Establishment", "occurred": "Date", "category": "Type",
                       "count": "Count", "duration_hours": "Hours"},
           "dates": {"occurred": "%d/%m/%Y %H:%M"}}
    return estate_of(tmp_path, log, population("implausible_population.csv"), **settings)


def test_implausible_dates_and_numbers_are_reported_and_left_out(tmp_path):
    estate = _implausible(tmp_path)
    incidents = estate.tables["incidents"].set_index("incident_id")
    assert sorted(incidents.index) == ["1", "5"]   # 2: 2099, 3: 1950, 4: a count of -263, 6: a count of 1e999
    assert pd.isna(incidents.loc["5", "duration_hours"]) and incidents.loc["1", "duration_hours"] == 36
    assert incidents["occurred"].max() == pd.Timestamp(2024, 1, 5, 9)   # the latest month is not 2099
    pop = estate.tables["population"].set_index("month")["population"]
    assert list(pop.index) == list(pd.date_range("2024-01-01", "2024-04-01", freq="MS"))
    assert pop.iloc[0] == 118 and pop.iloc[1:].isna().all()   # 1e308, -263, and 400 against a capacity of 120
    where = {(p.code, p.file, p.row, p.column) for p in estate.report.problems}
    assert where >= {
        ("date-implausible", "implausible_incidents.csv", 3, "Date"),
        ("date-implausible", "implausible_incidents.csv", 4, "Date"),
        ("number-implausible", "implausible_incidents.csv", 5, "Count"),
        ("number-implausible", "implausible_incidents.csv", 6, "Hours"),
        ("number-implausible", "implausible_incidents.csv", 7, "Count"),
        ("number-implausible", "implausible_population.csv", 3, "Population"),
        ("number-implausible", "implausible_population.csv", 4, "Population"),
        ("population-above-capacity", "implausible_population.csv", 5, "Population"),
        ("date-implausible", "implausible_population.csv", 6, "Month")}
    assert not estate.report.ok


def test_earliest_year_and_capacity_ratio_are_settings(tmp_path):
    estate = _implausible(tmp_path, checks={"earliest_year": 1940, "capacity_ratio": 4})
    assert "3" in set(estate.tables["incidents"]["incident_id"])     # 1950 is after 1940
    assert estate.tables["population"].set_index("month").loc["2024-04-01", "population"] == 400   # < 4 x 120


def test_the_build_date_bounds_event_dates(tmp_path):
    estate = estate_of(tmp_path, incident_log(), as_of="2024-01-09")
    # ids 4 and 5 are dated 10, 12 and 13 January, after a build on 9 January
    assert sorted(set(estate.tables["incidents"]["incident_id"])) == ["1", "2", "3"]
    assert len(found(estate, "date-implausible")) == 3


def test_a_date_format_that_reads_nothing_is_reported(tmp_path):
    # '%Q' is refused when the configuration is read; a valid format that fits none of the cells is found here
    estate = estate_of(tmp_path, incident_log(dates={"occurred": "%Y-%m-%d"}))
    [unused] = found(estate, "date-format-unused")
    assert (unused.file, unused.row, unused.column) == ("incident_log.csv", 2, "Date")
    fine = estate_of(tmp_path, incident_log(dates={"occurred": ["%d/%m/%Y %H:%M", "%Y"]}))
    assert not found(fine, "date-format-unused")     # one alternative unused is normal


# --- the same file twice ------------------------------------------------------------------------

def test_a_copied_file_and_a_link_to_it_are_read_once(tmp_path):
    folder = tmp_path / "sources"
    folder.mkdir()
    shutil.copy(FIX / "incident_log.csv", folder / "log.csv")
    shutil.copy(FIX / "incident_log.csv", folder / "log - Copy.csv")
    os.symlink(folder / "log.csv", folder / "link.csv")
    config = load_config(write_project(tmp_path, incident_log(path="sources/*.csv")))
    files = config.files_for(config.sources[1])
    assert len(files) == 2                           # the link and its target are one file
    estate = load_estate(config, as_of=BUILT)
    [twice] = found(estate, "file-read-twice")
    assert twice.file == "log - Copy.csv" and "link.csv" in twice.message
    assert len(estate.tables["incidents"]) == 6      # seven rows, one a repeat; 12 had the copy been read


def test_a_symlink_loop_under_a_double_star_glob_is_not_followed(tmp_path):
    inner = tmp_path / "sources" / "a"
    inner.mkdir(parents=True)
    shutil.copy(FIX / "incident_log.csv", inner / "log.csv")
    os.symlink("..", inner / "loop")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(FIX / "use_of_force_export.csv", elsewhere / "other.csv")
    os.symlink(elsewhere, tmp_path / "sources" / "linked")     # a linked folder is still read
    config = load_config(write_project(tmp_path, incident_log(path="sources/**/*.csv")))
    names = [p.relative_to(tmp_path).as_posix() for p in config.files_for(config.sources[1])]
    assert names == ["sources/a/log.csv", "sources/linked/other.csv"]


def test_the_real_bulletins_totals_agree_but_for_the_footnoted_useable_capacity(realdata):
    estate = load_estate(load_config(Path(__file__).parent / "realdata" / "datapack.yaml"))
    [capacity] = found(estate, "total-mismatch")   # population, baseline and in-use CNA totals all agree
    assert capacity.severity == "warning" and capacity.column == "Operational Capacity"
    # SOURCE.md: the total is the useable capacity, the sum of the establishments' less 1,350 places
    assert "88688**" in capacity.message and f"{88688 + 1350:,}" in capacity.message
    assert "prison-pop-jan-2024.ods" in capacity.message
    pop = estate.tables["population"].groupby("month")["population"].sum()
    assert pop[pd.Timestamp(2024, 12, 1)] == 85618          # the December bulletin's Total row
    assert not found(estate, "duplicate-key") and not found(estate, "duplicate-incident")


# --- configuration and commands -----------------------------------------------------------------

def test_checks_settings_are_typed_and_checked(tmp_path):
    with pytest.raises(InputError) as caught:
        load_config(write_project(tmp_path, checks={"earliest": 1990, "vocabulary": {"colour": ["red"]}}))
    columns = {p.column for p in caught.value.problems}
    assert {"checks.earliest", "checks.vocabulary"} <= columns


def test_every_checks_setting_is_in_the_readme():
    readme = README.read_text()
    for name in Checks.model_fields:
        assert f"checks.{name}" in readme, f"checks.{name} is not documented in README.md"


def test_validate_reports_a_check_in_text_and_json_and_strict_build_refuses(tmp_path):
    config = str(write_project(tmp_path, population("implausible_population.csv")))
    text = CliRunner().invoke(main, ["validate", "--config", config])
    assert text.exit_code == 1
    assert "[date-implausible] implausible_population.csv, row 6, column 'Month'" in text.output
    data = json.loads(CliRunner().invoke(main, ["validate", "--json", "--config", config]).stdout)
    codes = {(p["code"], p["row"]) for p in data["problems"]}
    assert {("date-implausible", 6), ("population-above-capacity", 5)} <= codes
    built = CliRunner().invoke(main, ["build", "--strict", "--quiet", "--config", config,
                                      "--output", str(tmp_path / "out")])
    assert built.exit_code == 1 and "nothing was written" in built.output
    assert not (tmp_path / "out").exists()


def test_a_national_unit_in_the_register_is_a_place_and_its_weekly_counts_are_kept(tmp_path):
    """'England and Wales' reads as a total, but a register that holds it as a unit means that unit;
    several counts in one month, each with its count date, are a series, not duplicates."""
    (tmp_path / "register.csv").write_text("facility_id,name,facility_type\n"
                                           "england-and-wales,England and Wales,prison\n")
    (tmp_path / "weekly.csv").write_text("Week,Population\n2024-01-05,87000\n2024-01-12,87100\n"
                                         "2024-01-19,87200\n2024-02-02,87300\n")
    register = {"name": "register", "table": "facilities", "path": str(tmp_path / "register.csv"),
                "columns": {"facility_id": "facility_id", "name": "name", "facility_type": "facility_type"}}
    weekly = {"name": "weekly", "table": "population", "path": str(tmp_path / "weekly.csv"),
              "columns": {"month": "Week", "count_date": "Week", "population": "Population"},
              "constants": {"facility": "England and Wales"}}
    estate = estate_of(tmp_path, weekly, register=register)
    assert list(estate.tables["facilities"]["facility_id"]) == ["england-and-wales"]
    assert len(estate.tables["population"]) == 4          # all four weeks, none taken for a total or a repeat
    assert not found(estate, "duplicate-key")
