"""Reading single cells: numbers, symbols, dates, labels."""

import datetime as dt

import pandas as pd
import pytest

from datapack.adapters.cells import date_in_text, normalise_label, parse_date, parse_number


@pytest.mark.parametrize("cell, value, status, footnote", [
    ("88688**", 88688.0, "value", True),
    ("17~", 17.0, "value", True),
    ("12[note 3]", 12.0, "value", True),
    ("1,234", 1234.0, "value", False),
    (" 42 ", 42.0, "value", False),
    ("0", 0.0, "value", False),
    (0, 0.0, "value", False),
    ("[c]", None, "suppressed", False),
    ("*", None, "suppressed", False),
    ("[x]", None, "missing", False),
    ("..", None, "missing", False),
    ("[z]", None, "not_applicable", False),
    ("", None, "missing", False),
    (None, None, "missing", False),
])
def test_numbers_keep_suppressed_zero_and_missing_apart(cell, value, status, footnote):
    n = parse_number(cell)
    assert (n.value, n.status, n.footnote) == (value, status, footnote)


def test_text_that_is_not_a_number_is_refused():
    assert parse_number("twelve") is None
    assert parse_number("12 apples") is None


def test_dates_inside_title_text():
    assert date_in_text("Report Date : 26/1/2024") == dt.date(2024, 1, 26)
    assert date_in_text("Report Date : 30/12/2024") == dt.date(2024, 12, 30)
    assert date_in_text("Monthly Bulletin - December 2024") == dt.date(2024, 12, 1)
    assert date_in_text("no date here") is None


def test_dates_are_read_day_first_by_default_and_with_formats():
    assert parse_date("03/04/2024") == pd.Timestamp(2024, 4, 3)
    assert parse_date("03/04/2024", dayfirst=False) == pd.Timestamp(2024, 3, 4)
    assert parse_date("3 April 2024", ["%d %B %Y"]) == pd.Timestamp(2024, 4, 3)
    assert parse_date("2024-04-03T10:11:00+01:00") == pd.Timestamp(2024, 4, 3, 10, 11)
    assert parse_date("31/02/2024") is None
    assert parse_date("soon") is None


def test_labels_match_ignoring_case_punctuation_and_underscores():
    assert normalise_label("Women's prison") == normalise_label("womens_prison")
    assert normalise_label("Self Harm") == normalise_label("self_harm") == "self harm"
    assert normalise_label("  Natural Causes ") == normalise_label("natural causes")
