"""The stats_table adapter: published statistics tables read through configuration.

Fixture tables are tiny and their expected values counted by hand; the HMPPS
bulletins in ../shared/realdata are checked against figures read another way.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from datapack.adapters import detect, get
from datapack.adapters.base import ROW
from datapack.adapters.cells import parse_number
from datapack.config import SourceConfig
from datapack.problems import InputError

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "stats_table"
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "uk-hmpps-population-bulletin"
DECEMBER = REALDATA / "Monthly_Bulletin_December_2024_web.ods"
JANUARY = REALDATA / "prison-pop-jan-2024.ods"


def source(**kw):
    """A source entry with only what the adapter looks at."""
    base = dict(name="test", sheet=None, header_row=None, encoding=None, delimiter=None, options={})
    return SimpleNamespace(**{**base, **kw})


def read(fixture: str, **kw):
    return get("stats_table").read(FIXTURES / fixture, source(**kw))


def one(fixture: str, **kw):
    tables = read(fixture, **kw)
    assert len(tables) == 1
    return tables[0]


def column(table, heading):
    return table.frame[heading].tolist()


# --- registration -------------------------------------------------------------------------------

def test_is_chosen_by_configuration_and_never_detected_from_extension():
    adapter = get("stats_table")
    assert adapter.extensions == ()
    assert detect(Path("bulletin.ods")) != "stats_table"
    assert detect(Path("bulletin.csv")) != "stats_table"


# --- title rows and report date -----------------------------------------------------------------

def test_title_rows_are_skipped_and_rows_numbered_as_in_the_file():
    table = one("title_and_date.csv")
    assert list(table.frame.columns) == ["Prison Name", "Baseline CNA", "Operational Capacity", "Population", ROW]
    assert column(table, "Prison Name") == ["Ashby", "Brampton", "Carrow"]
    assert column(table, ROW) == [5, 6, 7]
    assert table.title == "Monthly Bulletin - January 2024"
    assert table.meta["header_row"] == 4


def test_full_date_in_title_is_preferred_over_an_earlier_month_and_year():
    assert one("title_and_date.csv").meta["report_date"] == dt.date(2024, 1, 26)


def test_month_and_year_alone_give_the_first_of_the_month():
    assert one("month_year_only.csv").meta["report_date"] == dt.date(2024, 12, 1)


def test_day_with_month_name_counts_as_a_full_date():
    assert one("date_rows.csv").meta["report_date"] == dt.date(2024, 3, 5)


def test_date_row_option_picks_which_title_row_gives_the_date():
    table = one("date_rows.csv", options={"date_row": "as at"})
    assert table.meta["report_date"] == dt.date(2023, 12, 31)


def test_date_cell_in_a_workbook_title_row_is_used():
    table = one("date_cell.xlsx", sheet="Table_3")
    assert table.sheet == "Table_3"
    assert table.meta["report_date"] == dt.date(2024, 3, 31)
    assert table.title == "Table 3: Deaths in custody by establishment"


# --- end of table: notes ------------------------------------------------------------------------

def test_notes_after_a_blank_row_are_not_data():
    table = one("title_and_date.csv")
    assert len(table.frame) == 3
    assert not table.frame["Prison Name"].str.contains("Report produced|Population includes").any()


def test_notes_row_ends_the_table_even_without_a_blank_row():
    table = one("notes_no_blank.csv")
    assert column(table, "Establishment") == ["Ashby", "Brampton"]


def test_notes_pattern_option_sets_what_starts_the_notes():
    table = one("sections.csv", options={"end_at_blank": False, "notes_pattern": "^report produced"})
    assert column(table, "Establishment") == ["Male closed", "Ashby", "Brampton", "Immigration Removal Centres",
                                              "Dunmore IRC", "Closed establishments", "Fenwick"]
    assert column(table, ROW) == [2, 3, 4, 6, 7, 8, 9]


# --- totals -------------------------------------------------------------------------------------

def test_total_and_subtotal_rows_are_dropped_and_counted_by_default():
    table = one("totals.csv")
    # Sub-total, SUBTOTAL male estate, All prisons, Grand Total, England and Wales; "Allenby" is a prison, not "all ".
    assert column(table, "Establishment") == ["Ashby", "Allenby", "Brampton"]
    assert table.meta["dropped_totals"] == 5
    assert [r["Establishment"] for r in table.meta["total_rows"]] == [
        "Sub-total", "SUBTOTAL male estate", "All prisons", "Grand Total", "England and Wales"]


def test_keep_totals_keeps_every_row():
    table = one("totals.csv", options={"keep_totals": True})
    assert len(table.frame) == 8
    assert table.meta["dropped_totals"] == 0


def test_total_pattern_option_replaces_the_default():
    table = one("totals.csv", options={"total_pattern": "^england and wales$"})
    assert "England and Wales" not in column(table, "Establishment")
    assert "Grand Total" in column(table, "Establishment")
    assert table.meta["dropped_totals"] == 1


# --- footnote markers and symbols ---------------------------------------------------------------

def test_cell_values_are_left_as_published_for_central_parsing():
    table = one("footnotes.csv")
    assert column(table, "Population") == ["88688**", "[c]", "0"]
    assert column(table, "Deaths") == ["17~", "[x]", "-"]
    assert column(table, "Self-harm") == ["12[note 3]", "..", "[z]"]
    parsed = [parse_number(v) for v in column(table, "Population")]
    assert [(p.value, p.status, p.footnote) for p in parsed] == [
        (88688.0, "value", True), (None, "suppressed", False), (0.0, "value", False)]


def test_footnote_markers_are_stripped_from_headings_and_originals_kept():
    table = one("footnotes.csv")
    assert list(table.frame.columns) == ["Establishment", "Population", "Deaths", "Self-harm", ROW]
    assert table.meta["headings_raw"] == {"Establishment": "Establishment", "Population": "Population *",
                                          "Deaths": "Deaths [note 3]", "Self-harm": "Self-harm¹"}


def test_workbook_headings_lose_line_breaks_and_markers_and_numbers_stay_numbers():
    table = one("date_cell.xlsx", sheet="Table_3")
    # The stray cell right of the table (column D) has no heading, so it is no column.
    assert list(table.frame.columns) == ["Establishment", "Deaths", "Rate per 1,000", ROW]
    assert column(table, "Deaths") == [3, "[c]"]
    assert column(table, ROW) == [5, 6]
    assert table.meta["dropped_totals"] == 1


# --- stacked tables -----------------------------------------------------------------------------

def test_only_the_first_stacked_table_by_default():
    table = one("stacked.csv")
    assert column(table, "Establishment") == ["Ashby", "Brampton"]
    assert table.meta["table_number"] == 1


def test_all_stacked_tables_each_with_own_title_rows_and_meta():
    first, second = read("stacked.csv", options={"tables": "all"})
    assert column(first, ROW) == [5, 6]
    assert first.meta["dropped_totals"] == 1
    assert column(second, "Establishment") == ["Dunmore IRC", "Eastfield IRC"]
    assert column(second, ROW) == [15, 16]
    assert second.title == "Table 2: Immigration removal centres"
    assert second.meta["titles"] == ["Table 2: Immigration removal centres", "England and Wales"]
    assert second.meta["header_row"] == 14
    # The date in the sheet's title applies to tables stacked below it.
    assert first.meta["report_date"] == second.meta["report_date"] == dt.date(2023, 6, 30)


def test_table_title_chooses_a_stacked_table():
    table = one("stacked.csv", options={"table_title": "removal centres"})
    assert table.meta["table_number"] == 2
    assert column(table, "Establishment") == ["Dunmore IRC", "Eastfield IRC"]


def test_table_title_matching_nothing_lists_the_tables_there_are():
    with pytest.raises(InputError) as err:
        read("stacked.csv", options={"table_title": "escorts"})
    problem = err.value.problems[0]
    assert problem.code == "table-missing" and problem.file == "stacked.csv"
    assert "Table 2: Immigration removal centres" in problem.hint and "header row 14" in problem.hint


# --- section rows -------------------------------------------------------------------------------

def test_section_rows_pass_through_without_the_option():
    table = one("sections.csv")
    assert column(table, "Establishment") == ["Male closed", "Ashby", "Brampton"]


def test_section_column_labels_rows_and_drops_section_rows():
    table = one("sections.csv", options={"end_at_blank": False, "notes_pattern": "^report",
                                         "section_column": "section"})
    assert column(table, "Establishment") == ["Ashby", "Brampton", "Dunmore IRC"]
    assert column(table, "section") == ["Male closed", "Male closed", "Immigration Removal Centres"]
    assert list(table.frame.columns)[-2:] == ["section", ROW]


def test_section_pattern_keeps_empty_establishment_rows_as_data():
    table = one("sections.csv", options={"end_at_blank": False, "notes_pattern": "^report",
                                         "section_column": "section", "section_pattern": "^(male|immigration|closed)"})
    assert column(table, "Establishment") == ["Ashby", "Brampton", "Dunmore IRC", "Fenwick"]
    assert column(table, "section")[-1] == "Closed establishments"
    assert column(table, "Population")[-1] is None
    assert column(table, ROW) == [3, 4, 7, 9]


def test_blank_rows_inside_a_table_are_kept_until_a_new_title_and_header():
    first, second = read("stacked_sections.csv", options={"tables": "all", "end_at_blank": False,
                                                          "section_column": "section"})
    assert column(first, "Name") == ["Ashby", "Brampton"]
    assert column(first, "section") == [None, "Section two"]
    assert column(first, ROW) == [3, 6]
    assert (second.title, column(second, "Name"), column(second, ROW)) == ("Table 2: Centres", ["Carrow"], [10])


def test_section_column_named_like_a_heading_is_refused():
    with pytest.raises(InputError) as err:
        read("sections.csv", options={"section_column": "Population"})
    assert err.value.problems[0].row == 1


# --- header and option errors -------------------------------------------------------------------

def test_configured_header_row_is_used():
    table = one("date_rows.csv", header_row=3)
    assert column(table, "Establishment") == ["Ashby"]
    assert column(table, ROW) == [4]


def test_sheet_without_a_header_is_reported_with_what_to_do():
    with pytest.raises(InputError) as err:
        read("no_header.csv")
    problem = err.value.problems[0]
    assert problem.code == "header-missing" and problem.file == "no_header.csv"
    assert "header_row" in problem.hint


def test_option_mistakes_are_reported_together_with_allowed_values():
    with pytest.raises(InputError) as err:
        read("totals.csv", options={"tables": "some", "total_pattern": "(", "keep_totals": "yes", "titel": "x"})
    by_column = {p.column: p for p in err.value.problems}
    assert set(by_column) == {"options.tables", "options.total_pattern", "options.keep_totals", "options.titel"}
    assert "table_title" in by_column["options.titel"].hint


def test_every_option_is_documented():
    for name, meaning in get("stats_table").options.items():
        assert meaning.strip(), name


# --- real HMPPS population bulletins ------------------------------------------------------------

def bulletin(path: Path, **options):
    if not REALDATA.is_dir():
        pytest.skip(f"real data folder {REALDATA} is absent (it ships beside the project, not in it)")
    config = SourceConfig(name="bulletin", table="population", path=str(path), format="stats_table",
                          sheet="MonthlyBulletin", columns={"facility": "Prison Name", "population": "Population *"},
                          options=options)
    (table,) = get("stats_table").read(path, config)
    return table


def raw_establishment_count(path: Path) -> int:
    """Rows between 'Prison Name' and 'Total' in column A, read with pandas' own ODF reader."""
    first = pd.read_excel(path, sheet_name="MonthlyBulletin", header=None, engine="odf")[0].astype(str).str.strip()
    labels = first.tolist()
    start, stop = labels.index("Prison Name"), labels.index("Total")
    return sum(1 for label in labels[start + 1:stop] if label not in ("", "nan"))


def test_december_bulletin_altcourse_row_matches_published_figures():
    table = bulletin(DECEMBER)
    row = table.frame[table.frame["Prison Name"] == "Altcourse"].iloc[0]
    figures = [parse_number(row[h]).value for h in ("Baseline CNA", "In Use CNA", "Operational Capacity",
                                                    "Population")]
    assert figures == [790, 790, 1204, 1136]


@pytest.mark.parametrize("path, date", [(DECEMBER, dt.date(2024, 12, 30)), (JANUARY, dt.date(2024, 1, 26))])
def test_bulletin_report_date_comes_from_the_title_rows(path, date):
    assert bulletin(path).meta["report_date"] == date


@pytest.mark.parametrize("path", [DECEMBER, JANUARY])
def test_bulletin_total_dropped_and_notes_left_out(path):
    table = bulletin(path)
    names = table.frame["Prison Name"]
    assert table.meta["dropped_totals"] == 1
    assert "Total" not in names.tolist()
    assert not names.str.contains("Report produced|Definitions|Capacity", regex=True).any()
    assert len(table.frame) == raw_establishment_count(path)
    assert table.meta["headings_raw"]["Population"] == "Population *"


def test_bulletin_total_kept_on_request_parses_its_footnoted_capacity():
    table = bulletin(DECEMBER, keep_totals=True)
    total = table.frame[table.frame["Prison Name"] == "Total"].iloc[0]
    parsed = parse_number(total["Operational Capacity"])
    assert (parsed.value, parsed.status, parsed.footnote) == (88688, "value", True)
    assert total[ROW] == 125
