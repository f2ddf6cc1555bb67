"""Survey adapters (Kobo, ODK, SurveyMonkey, Qualtrics, Microsoft Forms) read each tool's export quirks.

Expected values are worked out by hand from the fixtures in ``fixtures/surveys``.
"""

from __future__ import annotations

import types
from pathlib import Path

import pandas as pd
import pytest

from datapack import adapters
from datapack.problems import InputError

FIXTURES = Path(__file__).parent / "fixtures" / "surveys"
SURVEY_FORMATS = ("kobo", "odk", "surveymonkey", "qualtrics", "msforms")


def source(**options):
    return types.SimpleNamespace(name="survey", sheet=None, header_row=None, encoding=None, delimiter=None,
                                 options=options, columns={})


def read(fmt: str, name: str, **options):
    return adapters.get(fmt).read(FIXTURES / name, source(**options))


def main(fmt: str, name: str, **options):
    return read(fmt, name, **options)[0]


def answers(table, key: str) -> dict:
    """Respondent -> answer for one question."""
    return dict(zip(table.frame["_respondent"], table.frame[key]))


def every_cell(table) -> str:
    return " ".join(str(v) for v in table.frame.to_numpy().ravel())


def question(table, key: str):
    return next(q for q in table.questions if q.key == key)


# --- every adapter -------------------------------------------------------------------------------------------

def test_survey_formats_are_registered_and_never_claim_a_file_extension():
    known = adapters.known()
    for fmt in SURVEY_FORMATS:
        cls = known[fmt]
        assert cls.name == fmt and cls.extensions == () and cls.description
        assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in cls.options.items())


@pytest.mark.parametrize("fmt, name, options", [
    ("kobo", "kobo.xlsx", {}), ("kobo", "kobo_semicolon.csv", {}), ("kobo", "kobo_labels.csv", {}),
    ("odk", "odk_survey.csv", {}), ("odk", "odk_zipped.csv.zip", {}), ("surveymonkey", "surveymonkey.csv", {}),
    ("qualtrics", "qualtrics.csv", {}), ("qualtrics", "qualtrics_two_header_rows.csv", {"multi": ["Q2"]}),
    ("qualtrics", "qualtrics_utf16.tsv", {}), ("msforms", "msforms.csv", {}),
])
def test_main_table_has_respondent_submitted_row_then_one_column_per_question(fmt, name, options):
    table = main(fmt, name, **options)
    frame = table.frame
    assert list(frame.columns[:3]) == ["_respondent", "_submitted", "_row"]
    assert list(frame.columns[3:]) == [q.key for q in table.questions]
    assert str(frame["_row"].dtype) == "Int64"
    assert all(isinstance(r, str) for r in frame["_respondent"])
    assert all(t is None or isinstance(t, pd.Timestamp) for t in frame["_submitted"])
    assert {q.kind for q in table.questions} <= {"single", "multi", "text", "number"}
    for q in table.questions:
        if q.kind == "multi":
            assert all(v is None or isinstance(v, list) for v in frame[q.key])
        if q.kind in ("text", "number"):
            assert q.options == []


def test_unknown_option_is_refused_with_the_options_that_exist():
    with pytest.raises(InputError) as caught:
        read("kobo", "kobo.xlsx", strip_group=True)
    problem = caught.value.problems[0]
    assert "strip_group" in problem.message and "strip_groups" in problem.hint


def test_true_false_option_must_be_a_boolean():
    with pytest.raises(InputError, match="true or false"):
        read("kobo", "kobo.xlsx", strip_groups="yes please")


# --- KoboToolbox ---------------------------------------------------------------------------------------------

def test_kobo_collapses_one_zero_columns_into_the_options_selected():
    table = main("kobo", "kobo.xlsx")
    unsafe = answers(table, "safety/unsafe_where")
    assert unsafe["a1b2-0001"] == ["wing"]
    assert unsafe["a1b2-0002"] == ["cell", "showers"]
    q = question(table, "safety/unsafe_where")
    assert (q.kind, q.options) == ("multi", ["cell", "wing", "showers"])
    assert not any(c.startswith("safety/unsafe_where/") for c in table.frame.columns)


def test_kobo_keeps_not_asked_apart_from_nothing_selected():
    unsafe = answers(main("kobo", "kobo.xlsx"), "safety/unsafe_where")
    assert unsafe["a1b2-0003"] is None  # felt safe, so never asked: every 1/0 cell empty
    assert unsafe["a1b2-0004"] == []  # asked, ticked nothing: every 1/0 cell 0


def test_kobo_keys_keep_group_paths_and_text_is_the_humanised_name():
    table = main("kobo", "kobo.xlsx")
    assert [q.key for q in table.questions] == [
        "about_you/age", "about_you/ethnicity", "safety/feel_safe", "safety/unsafe_where", "safety/comments"]
    assert question(table, "about_you/age").text == "Age"
    assert question(table, "safety/feel_safe").text == "Feel safe"
    assert question(table, "about_you/age").kind == "number"
    assert question(table, "safety/comments").kind == "text"  # XML values never hold spaces; typed text does
    assert question(table, "about_you/ethnicity").options == ["white", "mixed", "black"]


def test_kobo_gives_response_id_submission_time_and_row_number():
    frame = main("kobo", "kobo.xlsx").frame
    assert list(frame["_respondent"]) == ["a1b2-0001", "a1b2-0002", "a1b2-0003", "a1b2-0004"]
    assert frame["_submitted"][1] == pd.Timestamp("2025-03-14 10:21:30")
    assert list(frame["_row"]) == [2, 3, 4, 5]


def test_kobo_drops_device_enumerator_and_location_columns():
    table = main("kobo", "kobo.xlsx")
    for heading in ("deviceid", "location", "_location_latitude", "_submitted_by", "_id", "_uuid", "start"):
        assert heading not in table.frame.columns
    text = every_cell(table)
    assert "collect:AbC123" not in text and "enumerator1" not in text and "51.5074" not in text
    assert {"deviceid", "location", "_submitted_by"} <= set(table.meta["personal_columns_dropped"])


def test_kobo_leaves_out_not_approved_submissions_unless_asked():
    table = main("kobo", "kobo.xlsx")
    assert "a1b2-0005" not in set(table.frame["_respondent"])
    assert table.meta["excluded"] == {"not approved": 1}
    kept = main("kobo", "kobo.xlsx", include_not_approved=True)
    assert answers(kept, "safety/unsafe_where")["a1b2-0005"] == ["cell"]
    assert list(kept.frame["_row"]) == [2, 3, 4, 5, 6]


def test_kobo_repeat_sheet_is_counted_in_meta_not_returned_by_default():
    tables = read("kobo", "kobo.xlsx")
    assert len(tables) == 1
    assert tables[0].meta["repeats_ignored"] == {"incidents": 3}  # the 4th belongs to a not-approved submission


def test_kobo_repeat_rows_link_to_their_respondent_through_parent_index():
    main_table, incidents = read("kobo", "kobo.xlsx", repeats=True)
    assert main_table.title is None and incidents.title == "incidents"
    assert list(incidents.frame["_respondent"]) == ["a1b2-0001", "a1b2-0001", "a1b2-0002"]
    assert list(incidents.frame["incidents/incident_type"]) == ["assault", "theft", "bullying"]
    assert list(incidents.frame["_row"]) == [2, 3, 4]
    assert incidents.frame["_submitted"][2] == pd.Timestamp("2025-03-14 10:21:30")
    assert not incidents.problems  # many rows per respondent is what a repeat is, not a duplicate


def test_kobo_csv_with_semicolons_and_bom_and_strip_groups():
    table = main("kobo", "kobo_semicolon.csv", strip_groups=True)
    assert table.meta["delimiter"] == ";" and table.meta["encoding"] == "utf-8-sig"
    assert [q.key for q in table.questions] == ["age", "feel_safe", "unsafe_where"]
    assert answers(table, "unsafe_where") == {"c3d4-0001": ["cell", "wing"], "c3d4-0002": None}


def test_kobo_label_export_uses_labels_for_text_and_options():
    table = main("kobo", "kobo_labels.csv")
    q = question(table, "Safety/Where do you feel unsafe?")
    assert q.text == "Where do you feel unsafe?" and q.options == ["In my cell", "On the wing"]
    assert answers(table, q.key) == {"e5f6-0001": ["In my cell", "On the wing"], "e5f6-0002": ["On the wing"]}
    assert question(table, "About you/How old are you?").text == "How old are you?"


def test_kobo_space_separated_only_export_needs_multi_option():
    assert question(main("kobo", "kobo_summary_only.csv"), "safety/unsafe_where").kind != "multi"
    table = main("kobo", "kobo_summary_only.csv", multi=["safety/unsafe_where"])
    assert answers(table, "safety/unsafe_where") == {"g7h8-0001": ["cell", "showers"], "g7h8-0002": None}


def test_kobo_refuses_an_export_without_response_ids():
    with pytest.raises(InputError) as caught:
        read("kobo", "odk_survey.csv")
    problem = caught.value.problems[0]
    assert "_uuid" in problem.message and problem.file == "odk_survey.csv" and problem.row == 1
    assert "format" in problem.hint


# --- ODK Central ---------------------------------------------------------------------------------------------

def test_odk_turns_dash_group_paths_into_slash_keys():
    table = main("odk", "odk_survey.csv")
    assert [q.key for q in table.questions] == [
        "about_you/age", "about_you/ethnicity", "safety/feel_safe", "safety/unsafe_where", "safety/comments"]
    assert question(table, "safety/unsafe_where").text == "Unsafe where"


def test_odk_select_multiple_is_a_list_and_empty_is_none_even_with_zero_columns():
    table = main("odk", "odk_survey.csv")
    unsafe = answers(table, "safety/unsafe_where")
    assert unsafe["uuid:0d1e-0001"] == ["cell", "showers"]
    assert unsafe["uuid:0d1e-0002"] is None  # Central writes 0s for an unanswered question
    assert question(table, "safety/unsafe_where").options == ["cell", "wing", "showers"]


def test_odk_gives_key_submission_date_and_row_and_leaves_out_rejected():
    table = main("odk", "odk_survey.csv")
    assert list(table.frame["_respondent"]) == ["uuid:0d1e-0001", "uuid:0d1e-0002"]
    assert table.frame["_submitted"][0] == pd.Timestamp("2025-03-14 09:13:01.123")
    assert list(table.frame["_row"]) == [2, 3]
    assert table.meta["excluded"] == {"rejected": 1}
    assert len(main("odk", "odk_survey.csv", include_rejected=True).frame) == 3


def test_odk_drops_submitter_device_and_gps_columns():
    table = main("odk", "odk_survey.csv")
    text = every_cell(table)
    assert "Pat Inspector" not in text and "collect:AbC123" not in text and "51.5074" not in text
    assert {"SubmitterName", "SubmitterID", "DeviceID", "where-Latitude"} <= set(table.meta["personal_columns_dropped"])


def test_odk_reads_the_repeat_file_beside_the_main_file_when_asked():
    main_table, incidents = read("odk", "odk_survey.csv", repeats=True)
    assert incidents.title == "incidents"
    # The third incident belongs to a rejected submission and goes with it.
    assert list(incidents.frame["_respondent"]) == ["uuid:0d1e-0001", "uuid:0d1e-0001"]
    assert list(incidents.frame["incident_type"]) == ["assault", "theft"]
    assert list(main_table.frame["_respondent"]) == ["uuid:0d1e-0001", "uuid:0d1e-0002"]


def test_odk_reads_the_zip_central_downloads():
    zipped = read("odk", "odk_zipped.csv.zip")
    assert len(zipped) == 1 and zipped[0].meta["repeats_ignored"] == {"incidents": 2}
    plain = main("odk", "odk_survey.csv")
    pd.testing.assert_frame_equal(zipped[0].frame, plain.frame)


def test_odk_refuses_a_repeat_file_given_as_the_main_table():
    with pytest.raises(InputError) as caught:
        read("odk", "odk_survey-incidents.csv")
    assert "repeat-group file" in caught.value.problems[0].message
    assert "main .csv" in caught.value.problems[0].hint


# --- SurveyMonkey --------------------------------------------------------------------------------------------

UNSAFE = "Where do you feel unsafe? (tick all that apply)"


def test_surveymonkey_keys_are_question_text_carried_across_continuation_columns():
    table = main("surveymonkey", "surveymonkey.csv")
    assert [q.key for q in table.questions] == [
        "Which prison are you in?", UNSAFE, f"{UNSAFE} / Other (please specify)", "How safe do you feel?",
        "How safe do you feel? / Other (please specify)", "Is there anything else you would like to tell us?",
        "How much do you agree? / Staff treat me with respect",
        "How much do you agree? / I can get help when I need it"]
    assert question(table, "Is there anything else you would like to tell us?").kind == "text"
    assert question(table, "How much do you agree? / Staff treat me with respect").options == ["Agree", "Strongly agree"]


def test_surveymonkey_checkbox_columns_become_one_list_of_labels():
    table = main("surveymonkey", "surveymonkey.csv")
    q = question(table, UNSAFE)
    assert q.kind == "multi"
    assert q.options == ["In my cell", "On the wing", "In the showers", "Other (please specify)"]
    assert answers(table, UNSAFE)["114000000001"] == ["In my cell", "In the showers"]


def test_surveymonkey_keeps_skipped_apart_from_not_ticked():
    unsafe = answers(main("surveymonkey", "surveymonkey.csv"), UNSAFE)
    assert "On the wing" not in unsafe["114000000001"]  # answered; did not tick it
    assert unsafe["114000000003"] is None  # filled none of the question's columns


def test_surveymonkey_writing_in_other_counts_as_choosing_other():
    table = main("surveymonkey", "surveymonkey.csv")
    assert answers(table, UNSAFE)["114000000002"] == ["On the wing", "Other (please specify)"]
    assert answers(table, f"{UNSAFE} / Other (please specify)")["114000000002"] == "In the gym"


def test_surveymonkey_drops_ip_email_names_and_custom_data():
    table = main("surveymonkey", "surveymonkey.csv")
    text = every_cell(table)
    for value in ("192.0.2.10", "alex@example.org", "Alex", "Smith", "ref-77", "400123456"):
        assert value not in text
    assert table.meta["personal_columns_dropped"] == [
        "IP Address", "Email Address", "First Name", "Last Name", "Custom Data 1"]


def test_surveymonkey_end_date_is_read_month_first_and_rows_count_both_header_rows():
    frame = main("surveymonkey", "surveymonkey.csv").frame
    assert frame["_submitted"][1] == pd.Timestamp("2025-03-04 14:05:00")
    assert list(frame["_row"]) == [3, 4, 5]


def test_surveymonkey_export_without_the_second_header_row_is_refused():
    with pytest.raises(InputError) as caught:
        read("surveymonkey", "surveymonkey_one_header_row.csv")
    problem = caught.value.problems[0]
    assert problem.row == 2 and "row 2 should hold 'Response'" in problem.message and "format" in problem.hint


# --- Qualtrics -----------------------------------------------------------------------------------------------

def test_qualtrics_uses_short_names_and_text_and_skips_the_import_id_row():
    table = main("qualtrics", "qualtrics.csv")
    assert [q.key for q in table.questions] == ["Q1", "Q2", "Q2_4_TEXT", "Q3_1", "Q3_2", "Q4", "Q5", "prison"]
    assert question(table, "Q1").text == "How safe do you feel?"
    assert question(table, "Q2").text == "Where do you feel unsafe?"
    assert question(table, "Q3_1").text == "How much do you agree? - Staff treat me with respect"
    assert question(table, "Q5").kind == "text" and question(table, "Q4").kind == "number"
    assert list(table.frame["_row"]) == [4, 5, 6, 7]
    assert table.frame["_submitted"][0] == pd.Timestamp("2025-03-14 09:12:40")


def test_qualtrics_choice_columns_become_one_list():
    table = main("qualtrics", "qualtrics.csv")
    q2 = answers(table, "Q2")
    assert q2["R_1aaaaaaaaaaaaaa"] == ["In my cell", "In the showers"]
    assert q2["R_4ddddddddddddddd"] == ["Somewhere else"]
    assert answers(table, "Q2_4_TEXT")["R_4ddddddddddddddd"] == "The gym"
    assert question(table, "Q2").options == ["In my cell", "On the wing", "In the showers", "Somewhere else"]


def test_qualtrics_seen_but_unanswered_is_nothing_selected_and_not_shown_is_none():
    table = main("qualtrics", "qualtrics.csv")
    q2 = answers(table, "Q2")
    assert q2["R_2bbbbbbbbbbbbbb"] == []  # -99 in every choice column: seen, nothing ticked
    assert q2["R_3ccccccccccccccc"] is None  # blank: not shown
    assert answers(table, "Q3_1")["R_2bbbbbbbbbbbbbb"] is None  # -99 on a single answer is no answer


def test_qualtrics_leaves_out_previews_and_drops_contact_and_location():
    table = main("qualtrics", "qualtrics.csv")
    assert "R_5eeeeeeeeeeeeee" not in set(table.frame["_respondent"])
    assert table.meta["excluded"] == {"preview, test or spam": 1}
    assert "192.0.2.10" not in every_cell(table) and "51.5" not in every_cell(table)
    assert {"IPAddress", "RecipientEmail", "LocationLatitude"} <= set(table.meta["personal_columns_dropped"])
    assert len(main("qualtrics", "qualtrics.csv", include_previews=True).frame) == 5


def test_qualtrics_without_import_id_row_reads_a_comma_separated_multi_when_named():
    table = main("qualtrics", "qualtrics_two_header_rows.csv", multi=["Q2"])
    assert list(table.frame["_row"]) == [3, 4]
    assert answers(table, "Q2") == {"R_6fffffffffffffff": ["In my cell", "In the showers"],
                                    "R_7ggggggggggggggg": None}


def test_qualtrics_reads_the_utf16_tab_separated_export():
    table = main("qualtrics", "qualtrics_utf16.tsv")
    assert table.meta["encoding"] == "utf-16" and table.meta["delimiter"] == "\t"
    assert question(table, "Q1").text == "Comment ça va ?"
    assert answers(table, "Q1") == {"R_8hhhhhhhhhhhhhhh": "Très bien"}


def test_qualtrics_export_without_the_question_text_row_is_refused(tmp_path):
    path = tmp_path / "legacy.csv"
    path.write_text("StartDate,EndDate,ResponseId,Q1\n2025-03-14,2025-03-14,R_1abc,Yes\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 2 should hold the question text"):
        adapters.get("qualtrics").read(path, source())


# --- Microsoft Forms -----------------------------------------------------------------------------------------

def test_msforms_splits_semicolon_answers_into_lists():
    table = main("msforms", "msforms.csv")
    assert answers(table, "Where do you feel unsafe?") == {
        "1": ["In my cell", "In the showers"], "2": ["On the wing"], "3": None}
    assert question(table, "Where do you feel unsafe?").kind == "multi"
    assert question(table, "How safe do you feel?").options == ["Very unsafe", "Quite safe", "Very safe"]


def test_msforms_drops_email_and_name():
    table = main("msforms", "msforms.csv")
    assert "Email" not in table.frame.columns and "Name" not in table.frame.columns
    assert "alex.smith@example.org" not in every_cell(table) and "Alex Smith" not in every_cell(table)
    assert table.meta["personal_columns_dropped"] == ["Email", "Name"]


def test_msforms_csv_saved_on_a_uk_pc_reads_windows_1252_and_day_first_times():
    table = main("msforms", "msforms.csv")
    assert table.meta["encoding"] == "cp1252"
    assert "Anything else you’d like to tell us?" in table.frame.columns
    assert table.frame["_submitted"][0] == pd.Timestamp("2025-04-03 09:12")
    assert list(table.frame["_row"]) == [2, 3, 4]


def test_msforms_refuses_another_tools_export():
    with pytest.raises(InputError, match="does not look like a Microsoft Forms export"):
        read("msforms", "qualtrics.csv")
