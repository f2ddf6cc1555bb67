"""Property-based tests of the cell and header parsers: they never raise, and round-trip what they should."""

from __future__ import annotations

import datetime as dt
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from datapack.adapters.cells import (EARLIEST, LATEST, date_in_text, is_blank, normalise_label, parse_date,
                                     parse_number)
from datapack.adapters.layout import (clean_heading, find_header, grid_to_frame, looks_like_heading_row,
                                      unique_headings)

CELLS = st.one_of(st.none(), st.text(max_size=40), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                  st.booleans(), st.dates(), st.datetimes())
NUMBER_TEXT = st.text(alphabet="0123456789,.-+()£$%eE*~[]cx: ", max_size=30)
SAFE_INTS = st.integers(min_value=-(2 ** 53), max_value=2 ** 53)
# No deadline: the machines these run on are shared, and a slow example is not a wrong one.
settings.register_profile("parsers", deadline=None, max_examples=100)
settings.load_profile("parsers")

IN_RANGE = st.dates(min_value=EARLIEST.date(), max_value=LATEST.date())


@given(st.one_of(CELLS, NUMBER_TEXT))
def test_parse_number_never_raises_and_never_gives_an_infinite_value(cell):
    number = parse_number(cell)
    if number is not None and number.value is not None:
        assert math.isfinite(number.value)
        assert number.status == "value"


@given(SAFE_INTS)
def test_an_integer_with_thousands_separators_parses_back_to_itself(n):
    assert parse_number(f"{n:,}").value == n


@given(st.integers(min_value=0, max_value=2 ** 53))
def test_an_integer_in_brackets_is_negative(n):
    assert parse_number(f"({n:,})").value == -n


@given(st.integers(min_value=0, max_value=10 ** 9), st.sampled_from(["*", "**", "~", "[note 3]", "†"]))
def test_a_footnote_marker_is_dropped_and_flagged(n, marker):
    number = parse_number(f"{n:,}{marker}")
    assert (number.value, number.footnote) == (n, True)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_float_written_out_parses_back_to_itself(x):
    assert parse_number(repr(x)).value == x


@given(st.one_of(CELLS, st.text(alphabet="0123456789/-.: TZ+", max_size=30)),
       st.lists(st.sampled_from(["%d/%m/%Y", "%Y-%m-%d %H:%M", "%b %Y", "%d.%m.%y"]), max_size=2),
       st.booleans())
def test_parse_date_never_raises_and_stays_in_the_range_a_table_holds(cell, formats, dayfirst):
    stamp = parse_date(cell, formats, dayfirst)
    assert stamp is None or EARLIEST <= stamp <= LATEST


@given(IN_RANGE)
def test_a_day_first_date_parses_back_to_itself(day):
    text = f"{day.day:02d}/{day.month:02d}/{day.year:04d}"
    assert parse_date(text).date() == day
    assert parse_date(text, ["%d/%m/%Y"]).date() == day


@given(st.datetimes(min_value=dt.datetime(1678, 1, 1), max_value=dt.datetime(2261, 12, 31)))
def test_an_iso_date_and_time_parses_back_to_itself(moment):
    moment = moment.replace(microsecond=0)
    assert parse_date(moment.isoformat()).to_pydatetime() == moment


@given(st.dates(max_value=dt.date(1677, 1, 1)) | st.dates(min_value=dt.date(2263, 1, 1)))
def test_a_date_no_table_can_hold_is_not_read(day):
    assert parse_date(day) is None
    assert parse_date(day.strftime("%d/%m/") + f"{day.year:04d}", ["%d/%m/%Y"]) is None


@given(IN_RANGE, st.text(max_size=20))
def test_a_report_date_in_title_text_is_found(day, words):
    text = f"Report Date : {day.day}/{day.month}/{day.year:04d}"
    found = date_in_text(f"{text} {words}" if not any(c.isdigit() for c in words) else text)
    assert found == day or day.year < 100  # two-digit years are read as 20xx


@given(st.one_of(CELLS, st.text()))
def test_normalise_label_never_raises_and_is_idempotent(cell):
    once = normalise_label(cell)
    assert normalise_label(once) == once


GRIDS = st.lists(st.lists(st.one_of(st.none(), st.text(max_size=12), st.integers(), st.floats()), max_size=8),
                 max_size=15)


@settings(max_examples=200)
@given(GRIDS, st.sets(st.text(max_size=10), max_size=4))
def test_find_header_never_raises_and_gives_a_row_of_the_grid(rows, expected):
    index = find_header(rows, {normalise_label(e) for e in expected} - {""})
    assert index == 0 or 0 <= index < len(rows)


@given(st.lists(st.one_of(st.none(), st.text(max_size=8), st.integers()), max_size=20))
def test_headings_are_unique_and_one_per_cell(row):
    headings = unique_headings(row)
    assert len(headings) == len(row) and len(set(headings)) == len(headings)


@given(st.lists(st.one_of(st.none(), st.text(max_size=20), st.integers(), st.floats()), max_size=10))
def test_heading_helpers_never_raise(row):
    looks_like_heading_row(row, {"name"})
    for cell in row:
        cleaned = clean_heading(cell)
        assert is_blank(cell) or not isinstance(cell, str) or cleaned


@given(GRIDS.filter(bool))
def test_every_data_row_keeps_its_row_number(rows):
    frame = grid_to_frame(rows, 0)
    numbers = list(frame["_row"])
    assert numbers == sorted(numbers) and all(2 <= n <= len(rows) for n in numbers)
