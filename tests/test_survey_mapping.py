"""A survey export through configuration to long answers, keeping 'not asked' apart from 'not selected'."""

import pandas as pd
import pytest

from datapack.config import load_config
from datapack.ingest import load_estate

from conftest import FIXTURES


@pytest.fixture(scope="module")
def estate():
    return load_estate(load_config(FIXTURES / "survey_mapping" / "datapack.yaml"))


def _answer(estate, respondent, question):
    rows = estate.tables["survey_responses"]
    hit = rows[(rows["respondent"] == respondent) & (rows["question"] == question)]
    assert len(hit) == 1
    answer = hit.iloc[0]["answer"]
    return None if pd.isna(answer) else answer


def test_multi_select_becomes_one_yes_no_question_per_option(estate):
    assert _answer(estate, "a1b2-0002", "safety/unsafe_where/cell") == "selected"
    assert _answer(estate, "a1b2-0002", "safety/unsafe_where/wing") == "not selected"


def test_not_shown_stays_blank_and_answered_nothing_is_not_selected(estate):
    assert _answer(estate, "a1b2-0003", "safety/unsafe_where/cell") is None     # not shown (felt safe)
    assert _answer(estate, "a1b2-0004", "safety/unsafe_where/cell") == "not selected"


def test_characteristics_are_carried_on_every_row_not_counted_as_questions(estate):
    rows = estate.tables["survey_responses"]
    assert "about_you/ethnicity" not in set(rows["question"])
    assert set(rows.loc[rows["respondent"] == "a1b2-0004", "ethnicity"]) == {"black"}
    assert set(rows["facility_id"]) == {"NGI"}
    assert set(rows["wave"]) == {"kobo"} and set(rows["survey"]) == {"detainee"}


def test_question_texts_and_options_come_into_the_codebook(estate):
    book = estate.tables["survey_questions"].set_index("question")
    assert book.loc["safety/feel_safe", "text"] == "Feel safe"
    assert book.loc["safety/unsafe_where/cell", "options"] == "selected;not selected"
