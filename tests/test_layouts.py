"""Layouts real exports have, each expressed by configuration alone (README: Configuration reference).

One small fixture per layout in tests/fixtures/layouts; the workbooks are written by its
make_workbooks.py. Every expected value is worked out by hand from the fixture.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from datapack import adapters
from datapack.adapters.stats_table import StatsTableAdapter
from datapack.config import SourceConfig, load_config
from datapack.ingest import load_estate
from datapack.problems import InputError

from conftest import FIXTURES

LAYOUTS = FIXTURES / "layouts"
README = Path(__file__).resolve().parents[1] / "README.md"
REGISTER = {"name": "register", "table": "facilities", "path": "register.csv",
            "columns": {"facility_id": "ID", "name": "Name", "facility_type": "Type"}}
T = pd.Timestamp


def _write(tmp_path: Path, sources: list[dict]) -> Path:
    entries = [{**s, "path": str(LAYOUTS / s["path"])} for s in [REGISTER, *sources]]
    path = tmp_path / "datapack.yaml"
    path.write_text(yaml.safe_dump({"cache": None, "sources": entries}))
    return path


def load(tmp_path: Path, *sources: dict):
    """The estate from the layout fixtures' register and ``sources``."""
    return load_estate(load_config(_write(tmp_path, list(sources))))


def found(estate, source: str = "test") -> set[tuple]:
    """(code, row, column) of every problem a source raised."""
    return {(p.code, p.row, p.column) for p in estate.report.problems if p.source == source}


def source(**settings) -> dict:
    return {"name": "test", **settings}


# 1. A date from year / month / day columns ------------------------------------------------------

def test_a_month_comes_from_year_and_month_columns_whatever_way_the_month_is_written(tmp_path):
    estate = load(tmp_path, source(table="population", path="population_year_month.csv",
                                   columns={"facility": "Prison", "population": "In custody"},
                                   date_parts={"month": {"year": "Year", "month": "Month"}}))
    rows = estate.tables["population"]
    got = sorted(zip(rows["facility_id"], rows["month"], rows["population"]))
    assert got == [("ASH", T(2023, 12, 1), 398), ("ASH", T(2024, 3, 1), 400), ("NGT", T(2024, 1, 1), 812),
                   ("NGT", T(2024, 2, 1), 820), ("NGT", T(2024, 9, 1), 801), ("WFD", T(2024, 3, 1), 120)]
    # 'Smarch' (row 8) is not a month; row 9 has no year: each reported once, at its own cell
    assert found(estate) == {("not-month", 8, "Month"), ("value-missing", 9, "Year")}


def test_a_date_comes_from_year_month_and_day_columns_and_an_impossible_day_is_reported(tmp_path):
    estate = load(tmp_path, source(table="incidents", path="incidents_year_month_day.csv",
                                   columns={"incident_id": "Ref", "facility": "Site", "category": "Type"},
                                   date_parts={"occurred": {"year": "Year", "month": "Month", "day": "Day"}}))
    rows = estate.tables["incidents"].set_index("incident_id")
    assert rows["occurred"].to_dict() == {"D1": T(2024, 7, 3), "D2": T(2024, 7, 31)}
    assert found(estate) == {("not-datetime", 4, "Day"), ("value-missing", 5, "Day")}
    message = next(p.message for p in estate.report.problems if p.code == "not-datetime")
    assert message == "'30' is not a day of February 2024"


def test_without_a_day_a_date_is_the_first_of_the_month_and_a_period_the_whole_month(tmp_path):
    estate = load(tmp_path, source(table="incident_counts", path="counts_year_month.csv",
                                   columns={"facility": "Establishment", "count": "Self-harm incidents"},
                                   constants={"measure": "self_harm"},
                                   date_parts={"period_start": {"year": "Year", "month": "Month"}}))
    rows = estate.tables["incident_counts"]
    assert list(zip(rows["period_start"], rows["period_end"], rows["count"])) == [
        (T(2024, 1, 1), T(2024, 1, 31), 14), (T(2024, 2, 1), T(2024, 2, 29), 11)]
    assert found(estate) == set()


# 2. A datetime from separate date and time columns ----------------------------------------------

def test_a_datetime_comes_from_a_date_column_and_a_time_column(tmp_path):
    estate = load(tmp_path, source(table="incidents", path="date_and_time.csv",
                                   columns={"incident_id": "Ref", "facility": "Site", "category": "Type"},
                                   date_parts={"occurred": {"date": "Date", "time": "Time"}},
                                   dates={"occurred": "%d/%m/%Y"}))
    rows = estate.tables["incidents"].set_index("incident_id")
    assert rows["occurred"].to_dict() == {"T1": T(2024, 7, 3, 14, 5), "T2": T(2024, 7, 4, 14, 30),
                                          "T3": T(2024, 7, 5)}   # no time recorded: the date alone
    assert found(estate) == {("not-datetime", 5, "Time")}     # 25:61


def test_date_cells_and_time_cells_of_a_workbook_are_put_together(tmp_path):
    estate = load(tmp_path, source(table="incidents", path="dates_and_times.xlsx", sheet="Log",
                                   columns={"incident_id": "Ref", "facility": "Site", "category": "Type"},
                                   date_parts={"occurred": {"date": "Date", "time": "Time"}}))
    rows = estate.tables["incidents"].set_index("incident_id")
    assert rows["occurred"].to_dict() == {"A1": T(2024, 7, 3, 14, 5), "A2": T(2024, 7, 4, 0, 30),
                                          "A3": T(2024, 7, 5)}
    assert found(estate) == set()


# 3. Excel serial dates -------------------------------------------------------------------------

@pytest.mark.parametrize("path, sheet", [("serial_dates.csv", None), ("dates_and_times.xlsx", "Serials")])
def test_excel_serial_numbers_are_dates_but_a_year_written_as_a_number_never_is(tmp_path, path, sheet):
    settings = dict(table="incidents", path=path, sheet=sheet,
                    columns={"incident_id": "Ref", "facility": "Site", "category": "Type", "occurred": "When"})
    estate = load(tmp_path, source(**settings))
    rows = estate.tables["incidents"].set_index("incident_id")
    assert rows["occurred"].to_dict() == {"S1": T(2016, 9, 2), "S2": T(2024, 7, 1, 12)}
    assert found(estate) == {("not-datetime", 4, "When"), ("excel-serial", None, "When")}
    year = next(p for p in estate.report.problems if p.code == "not-datetime")
    assert "year" in year.hint and "date_parts" in year.hint
    warning = next(p for p in estate.report.problems if p.code == "excel-serial")
    assert warning.severity == "warning" and "2 numbers" in warning.message

    # Saying so with the 'excel' keyword reads the same dates and drops the warning.
    confirmed = load(tmp_path, source(**settings, dates={"occurred": "excel"}))
    assert confirmed.tables["incidents"].set_index("incident_id")["occurred"].to_dict() == rows["occurred"].to_dict()
    assert found(confirmed) == {("not-datetime", 4, "When")}


# 4. Blank cells in skip_rows --------------------------------------------------------------------

def test_skip_rows_matches_a_blank_cell_as_empty_text(tmp_path):
    settings = dict(table="population", path="blank_rows.csv", constants={"month": "Jan 2024"},
                    columns={"facility": "Establishment", "population": "Population"})
    kept = load(tmp_path, source(**settings))
    # the region sub-total rows have no establishment: without skipping they are errors
    assert found(kept) == {("value-missing", 2, "Establishment"), ("value-missing", 5, "Establishment")}

    skipped = load(tmp_path, source(**settings, skip_rows={"Establishment": "^$"}))
    assert found(skipped) == set()
    rows = skipped.tables["population"]
    assert sorted(rows["facility_id"]) == ["ASH", "NGT", "WFD"]
    assert rows["population"].sum() == 812 + 400 + 120
    assert set(rows["month"]) == {T(2024, 1, 1)}


# 5. A column that is the sum of several headings ------------------------------------------------

def test_a_sum_of_columns_is_a_number_only_when_every_part_is(tmp_path):
    estate = load(tmp_path, source(table="incident_counts", path="counts_by_sex.csv",
                                   columns={"facility": "Establishment", "period_start": "Period"},
                                   constants={"measure": "self_harm"}, sums={"count": ["Male", "Female"]}))
    rows = estate.tables["incident_counts"].set_index(["facility_id", "period_start"])
    fy = {"2023/24": T(2023, 4, 1), "2022/23": T(2022, 4, 1)}

    def cell(facility, year):
        row = rows.loc[(facility, fy[year])]
        return (None if math.isnan(row["count"]) else row["count"]), row["status"]

    assert cell("NGT", "2023/24") == (15, "value")              # 10 + 5
    assert cell("ASH", "2023/24") == (None, "suppressed")       # 7 + [c]
    assert cell("WFD", "2023/24") == (None, "missing")          # 3 + ..
    assert cell("NGT", "2022/23") == (None, "not_applicable")   # [z] + [z]
    assert cell("ASH", "2022/23") == (4, "value")               # 4 + [z]: not applicable counts as none
    assert cell("WFD", "2022/23") == (None, "missing")          # 2 + 'lots', which is reported
    assert found(estate) == {("not-float", 7, "Female")}
    assert set(rows["period_end"]) == {T(2024, 3, 31), T(2023, 3, 31)}


# 6. Headings over several rows ------------------------------------------------------------------

JOINED = ["Establishment", "Self-harm / Incidents", "Self-harm / People", "Assaults on staff / Incidents",
          "Assaults on staff / People", "Total"]


@pytest.mark.parametrize("path", ["two_row_header.csv", "two_row_header.xlsx", "two_row_header.ods"])
@pytest.mark.parametrize("header_row", [None, 3])
def test_two_heading_rows_with_merged_cells_join_into_one_name_per_column(tmp_path, path, header_row):
    estate = load(tmp_path, source(
        table="incident_counts", path=path, header_row=header_row, header_rows=2,
        columns={"facility": "Establishment", "individuals": "Self-harm / People"},
        unpivot={"columns": ["Self-harm / Incidents", "Assaults on staff Incidents"], "names_to": "measure",
                 "values_to": "count"},
        values={"measure": {"Self-harm / Incidents": "self_harm", "Assaults on staff / Incidents": "assault_on_staff"}},
        constants={"period_start": "2023/24"}))
    assert found(estate) == set()
    rows = estate.tables["incident_counts"].set_index(["facility_id", "measure"])
    assert rows["count"].to_dict() == {("NGT", "self_harm"): 40, ("ASH", "self_harm"): 10,
                                       ("NGT", "assault_on_staff"): 30, ("ASH", "assault_on_staff"): 5}
    assert rows.loc[("NGT", "self_harm"), "individuals"] == 12
    assert rows.loc[("NGT", "self_harm"), "_row"] == 5       # the first row under the two heading rows

    read = SourceConfig(name="test", table="incident_counts", path=path, header_row=header_row, header_rows=2,
                        columns={"facility": "Establishment"})
    table, = adapters.get(adapters.detect(LAYOUTS / path)).read(LAYOUTS / path, read)
    assert [c for c in table.frame.columns if c != "_row"] == JOINED


def _stats_source(**settings) -> SourceConfig:
    return SourceConfig(name="test", table="incident_counts", path="x", format="stats_table", **settings)


def test_stacked_published_tables_with_two_heading_rows_are_each_found(tmp_path):
    """An upper heading merged over several columns can be the only cell of its row, like a title."""
    tables = StatsTableAdapter().read(LAYOUTS / "stacked_two_row.csv", _stats_source(
        header_rows=2, options={"tables": "all"}, columns={"facility": "Establishment"}))
    assert [[c for c in t.frame.columns if c != "_row"] for t in tables] == [
        ["Establishment", "Incident location / Custody block", "Incident location / Cell", "Total"],
        ["Establishment", "Incident location / Custody block", "Incident location / Cell"]]
    assert tables[0].frame["Incident location / Custody block"].tolist() == ["5", "2"]
    assert tables[1].frame.set_index("Establishment")["Incident location / Custody block"].to_dict() == {"Northgate": "6"}
    assert [t.meta["header_row"] for t in tables] == [3, 10]
    assert tables[1].meta["titles"] == ["Table 9a: Use of force by location", "Year ending March 2024"]


def test_a_file_without_a_heading_row_has_its_columns_named_by_position(tmp_path):
    estate = load(tmp_path, source(table="incident_counts", path="no_header.csv", header_rows=0,
                                   columns={"period_start": "column_1", "facility": "column_2", "measure": "column_3",
                                            "count": "column_4"}))
    assert found(estate) == set()
    rows = estate.tables["incident_counts"].set_index("facility_id")
    assert rows.loc["NGT", ["period_start", "count", "status", "_row"]].tolist() == [T(2022, 2, 1), 15, "value", 1]
    assert rows.loc["ASH", ["status", "_row"]].tolist() == ["suppressed", 2]    # '*', the first row is data too


def test_heading_rows_past_the_end_of_the_file_are_a_located_problem(tmp_path):
    estate = load(tmp_path, source(table="incident_counts", path="two_row_header.csv", header_row=6,
                                   header_rows=2, columns={"facility": "Establishment"}))
    problem = next(p for p in estate.report.problems if p.code == "header-missing")
    assert problem.file == "two_row_header.csv" and "header_rows" in problem.hint


# 7. Ratings and standards on visits -------------------------------------------------------------

def test_visits_keep_the_overall_rating_and_framework_and_read_test_scores_written_as_words(tmp_path):
    estate = load(tmp_path, source(table="visits", path="visits.csv", columns={
        "visit_id": "Visit", "facility": "Establishment", "start": "Start", "visit_type": "Type",
        "framework": "Framework", "overall_rating": "Overall", "rating_safety": "Safety", "rating_respect": "Respect",
        "rating_purposeful_activity": "Purposeful activity", "rating_rehabilitation": "Rehabilitation"}))
    rows = estate.tables["visits"].set_index("visit_id")
    tests = ["rating_safety", "rating_respect", "rating_purposeful_activity", "rating_rehabilitation"]
    assert rows.loc["V1", tests].tolist() == [4, 3, 2, 1]     # Good, reasonably good, Not sufficiently good, POOR
    assert rows.loc["V2", ["rating_safety", "rating_respect", "rating_rehabilitation"]].tolist() == [3, 2, 1]
    assert math.isnan(rows.loc["V2", "rating_purposeful_activity"])
    assert found(estate) == {("not-float", 3, "Purposeful activity")}    # 'excellent' is no test score
    assert rows.loc["V3", ["overall_rating", "framework"]].tolist() == ["Requires improvement", "CQC"]
    assert rows.loc["V1", "framework"] == "HMIP healthy prison tests" and pd.isna(rows.loc["V1", "overall_rating"])


# 8. Periods of any grain ------------------------------------------------------------------------

def _periods(estate, table="incident_counts"):
    rows = estate.tables[table]
    return list(zip(rows["facility_id"], rows["period_start"], rows["period_end"], rows["count"]))


def test_unpivoted_financial_year_headings_give_the_start_and_end_of_each_year(tmp_path):
    settings = dict(table="incident_counts", path="financial_years.csv", columns={"facility": "Establishment"},
                    unpivot={"pattern": r"^\d{4}", "names_to": "period_start", "values_to": "count"},
                    constants={"measure": "self_harm"})
    estate = load(tmp_path, source(**settings))
    assert found(estate) == set()
    got = {(f, s, e): c for f, s, e, c in _periods(estate)}
    assert got[("NGT", T(2019, 4, 1), T(2020, 3, 31))] == 120      # 2019/20
    assert got[("NGT", T(2020, 4, 1), T(2021, 3, 31))] == 98       # 2020-21
    assert math.isnan(got[("NGT", T(2021, 4, 1), T(2022, 3, 31))])  # '2021/22 [note 3]': [c]
    assert len(got) == 6

    july = load(tmp_path, source(**settings, financial_year_start=7))   # years starting in July
    assert {(s, e) for _, s, e, _ in _periods(july)} == {
        (T(2019, 7, 1), T(2020, 6, 30)), (T(2020, 7, 1), T(2021, 6, 30)), (T(2021, 7, 1), T(2022, 6, 30))}


def test_year_headings_written_as_numbers_in_a_workbook_are_calendar_years(tmp_path):
    estate = load(tmp_path, source(table="incident_counts", path="years_as_numbers.xlsx",
                                   columns={"facility": "Establishment"}, constants={"measure": "self_harm"},
                                   unpivot={"pattern": r"^\d{4}$", "names_to": "period_start", "values_to": "count"}))
    assert found(estate) == set()
    assert [(s, e, c) for _, s, e, c in _periods(estate)] == [(T(2019, 1, 1), T(2019, 12, 31), 31),
                                                              (T(2020, 1, 1), T(2020, 12, 31), 27)]


def test_a_period_end_given_in_the_file_wins_over_the_end_of_the_start_label(tmp_path):
    estate = load(tmp_path, source(table="incident_counts", path="period_with_end.csv",
                                   constants={"measure": "self_harm"},
                                   columns={"facility": "Establishment", "period_start": "From", "period_end": "To",
                                            "count": "Count"}))
    assert found(estate) == set()
    assert [(s, e) for _, s, e, _ in _periods(estate)] == [
        (T(2019, 4, 1), T(2019, 12, 31)),    # 2019/20, but the file says it ended early
        (T(2020, 4, 1), T(2021, 3, 31)),     # 2020/21 with no end given: the label's end
        (T(2021, 4, 1), T(2022, 3, 31))]     # an end written as a label: its last day


def test_period_labels_of_every_grain_give_their_first_and_last_day(tmp_path):
    estate = load(tmp_path, source(table="incident_counts", path="period_labels.csv", constants={"measure": "self_harm"},
                                   columns={"facility": "Establishment", "period_start": "Period", "count": "Count"}))
    assert [(s, e, c) for _, s, e, c in _periods(estate)] == [
        (T(2019, 1, 1), T(2019, 12, 31), 100),     # 2019
        (T(2019, 7, 1), T(2019, 9, 30), 30),       # Q3 2019
        (T(2019, 10, 1), T(2019, 12, 31), 25),     # 2019 Q4
        (T(2020, 7, 1), T(2020, 9, 30), 20),       # Jul-Sep 2020
        (T(2019, 4, 1), T(2019, 6, 30), 22),       # 2019/20 Q1: the first quarter of the financial year
        (T(2019, 1, 1), T(2019, 1, 31), 9),        # Jan 2019
        (T(2023, 4, 1), T(2024, 3, 31), 70)]       # 12 months to March 2024
    assert found(estate) == {("not-date", 9, "Period")}  # Summer


def test_a_label_that_could_be_a_financial_year_or_a_month_is_reported_unless_the_column_tells(tmp_path):
    settings = dict(table="incident_counts", path="ambiguous_years.csv", constants={"measure": "self_harm"},
                    columns={"facility": "Establishment", "period_start": "Year", "count": "Count"})
    unsure = load(tmp_path, source(**settings))
    assert found(unsure) == {("period-ambiguous", 2, "Year"), ("period-ambiguous", 3, "Year")}
    assert "December 2011" in next(p.message for p in unsure.report.problems if p.row == 3)
    assert unsure.tables["incident_counts"].empty

    told = load(tmp_path, source(**settings, dates={"period_start": "financial_year"}))
    assert [(s, e) for _, s, e, _ in _periods(told)] == [(T(2010, 4, 1), T(2011, 3, 31)),
                                                          (T(2011, 4, 1), T(2012, 3, 31))]
    months = load(tmp_path, source(**settings, dates={"period_start": "%Y-%m"}))
    assert [(s, e) for _, s, e, _ in _periods(months)] == [(T(2010, 11, 1), T(2010, 11, 30)),
                                                           (T(2011, 12, 1), T(2011, 12, 31))]


def test_a_period_given_as_a_constant_fills_start_and_end_of_context_figures(tmp_path):
    estate = load(tmp_path, source(table="context", path="family_visits.csv",
                                   columns={"facility": "Establishment", "value": "Visits"},
                                   constants={"factor": "family_visits", "period_start": "2019/20"}))
    rows = estate.tables["context"]
    assert list(zip(rows["facility_id"], rows["period_start"], rows["period_end"], rows["value"])) == [
        ("NGT", T(2019, 4, 1), T(2020, 3, 31), 1510), ("ASH", T(2019, 4, 1), T(2020, 3, 31), 620)]


def test_a_population_month_may_be_a_month_label_but_not_a_longer_period(tmp_path):
    estate = load(tmp_path, source(table="population", path="population_labels.csv",
                                   columns={"facility": "Establishment", "month": "Month", "population": "Population"}))
    rows = estate.tables["population"]
    assert list(zip(rows["month"], rows["population"])) == [(T(2024, 1, 1), 812), (T(2024, 2, 1), 820)]
    assert found(estate) == {("not-month", 4, "Month")}
    assert "financial year" in next(p.message for p in estate.report.problems if p.code == "not-month")


# Configuration: each new setting checked before any work ------------------------------------------

@pytest.mark.parametrize("settings, where, words", [
    ({"header_rows": -1}, "sources.1.header_rows", "greater than or equal to 0"),
    ({"header_rows": 11}, "sources.1.header_rows", "less than or equal to 10"),
    ({"date_parts": {"occured": {"date": "D", "time": "T"}}}, "sources.1.date_parts", "not a column"),
    ({"date_parts": {"category": {"year": "Y", "month": "M"}}}, "sources.1.date_parts", "str column"),
    ({"date_parts": {"occurred": {"year": "Y"}}}, "sources.1.date_parts.occurred", "'month'"),
    ({"date_parts": {"arrival_date": {"date": "D", "time": "T"}}}, "sources.1.date_parts", "no time of day"),
    ({"sums": {"count": ["Male"]}}, "sources.1.sums", "two or more"),
    ({"sums": {"count": ["Male", "Female"]}, "columns": {"count": "All"}}, "sources.1.sums", "also under 'columns'"),
    ({"dates": {"occurred": "financial_year"}}, "sources.1.dates", "period columns"),
    ({"financial_year_start": 13}, "sources.1.financial_year_start", "less than or equal to 12"),
])
def test_a_bad_layout_setting_is_a_located_configuration_problem(tmp_path, settings, where, words):
    entry = {"name": "test", "table": "incidents", "path": "date_and_time.csv", **settings}
    with pytest.raises(InputError) as caught:
        load_config(_write(tmp_path, [entry]))
    problem = next(p for p in caught.value.problems if p.column == where)
    assert problem.code == "config" and words in problem.message


def test_every_source_setting_is_in_the_readme_reference():
    from datapack.config import DateParts

    reference = README.read_text().split("### Configuration reference", 1)[1].split("\n### ", 1)[0]
    documented = set(re.findall(r"`([a-z_]+)`", reference))
    assert set(SourceConfig.model_fields) - documented == set()
    assert set(DateParts.model_fields) - documented == set()
