"""Survey statistics: the tests, the choice between them, % positive, and the demo's planted difference."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from datapack.analysis import survey_stats as ss
from datapack.config import load_config
from datapack.ingest import load_estate

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def estate(demo_estate):
    return demo_estate


@pytest.fixture(scope="module")
def demo_results(estate):
    return ss.percent_positive(estate.table("survey_responses"), estate.table("survey_questions"),
                               ["facility_id", "survey", "wave", "question"])


# --- compare_proportions -------------------------------------------------------------------------


def test_z_test_matches_hand_arithmetic_and_chi_square_without_correction():
    # 30/100 vs 20/100: pooled p = 0.25, SE = sqrt(0.25 * 0.75 * (1/100 + 1/100)) = 0.0612372,
    # z = 0.10 / 0.0612372 = 1.632993, two-sided p = 2 * (1 - Phi(1.632993)) = 0.102470.
    c = ss.compare_proportions(30, 100, 20, 100)
    assert c.test == "z"
    assert c.p_value == pytest.approx(0.1024704, abs=1e-6)
    assert c.p_value == pytest.approx(stats.chi2_contingency([[30, 70], [20, 80]], correction=False)[1], rel=1e-9)
    assert c.difference == pytest.approx(10.0)
    assert c.direction == "higher" and not c.significant


@pytest.mark.parametrize("x1,n1,x2,n2", [(84, 144, 43, 175), (5, 40, 30, 60), (120, 400, 95, 410)])
def test_z_test_p_value_equals_scipy_chi_square(x1, n1, x2, n2):
    c = ss.compare_proportions(x1, n1, x2, n2)
    expected = stats.chi2_contingency([[x1, n1 - x1], [x2, n2 - x2]], correction=False)[1]
    assert c.test == "z" and c.p_value == pytest.approx(expected, rel=1e-9)


def test_fisher_is_used_when_an_expected_count_is_below_five_and_matches_scipy():
    # Pooled p = 4/30; expected positives on the first side = 10 * 4/30 = 1.33 < 5.
    c = ss.compare_proportions(3, 10, 1, 20)
    assert c.test == "fisher"
    assert c.p_value == pytest.approx(stats.fisher_exact([[3, 7], [1, 19]]).pvalue, rel=1e-12)
    assert c.direction == "higher"


def test_boundary_expected_count_of_exactly_five_uses_the_z_test():
    # Pooled p = 10/40 = 0.25; expected positives 20 * 0.25 = 5 on each side: not below 5.
    assert ss.compare_proportions(5, 20, 5, 20).test == "z"


def test_significance_uses_alpha():
    c = ss.compare_proportions(84, 144, 43, 175, alpha=0.01)
    assert c.significant and c.p_value < 0.01
    # p = 0.102: not significant at 0.01 or 0.05, significant at 0.2.
    assert not ss.compare_proportions(30, 100, 20, 100, alpha=0.05).significant
    assert ss.compare_proportions(30, 100, 20, 100, alpha=0.2).significant


def test_zero_base_is_no_valid_comparison():
    c = ss.compare_proportions(3, 10, 0, 0)
    assert c.test == "none" and not c.valid and not c.significant and math.isnan(c.p_value)
    assert ss.shading(c) == ss.NO_COMPARISON


def test_equal_proportions_are_the_same_and_not_significant():
    c = ss.compare_proportions(10, 50, 20, 100)
    assert c.direction == "same" and c.difference == 0 and c.p_value == pytest.approx(1.0)


def test_shading_reads_the_good_direction():
    higher = ss.compare_proportions(84, 144, 43, 175)
    assert ss.shading(higher, "up") == ss.BETTER
    assert ss.shading(higher, None) == ss.BETTER  # blank direction reads as up
    assert ss.shading(higher, "down") == ss.WORSE
    assert ss.shading(ss.compare_proportions(43, 175, 84, 144), "down") == ss.BETTER
    assert ss.shading(ss.compare_proportions(30, 100, 20, 100)) == ss.NO_DIFFERENCE


# --- percent_positive ---------------------------------------------------------------------------

CODEBOOK = pd.DataFrame([
    {"survey": "detainee", "question": "safe", "positive": "Yes", "theme": "safety", "good_direction": None},
    {"survey": "detainee", "question": "unsafe_where/cell", "positive": "selected", "theme": "safety",
     "good_direction": "down"},
    {"survey": "detainee", "question": "respect", "positive": "Strongly agree;Agree", "theme": "respect",
     "good_direction": "up"},
    {"survey": "detainee", "question": "time_here", "positive": None, "theme": "about you", "good_direction": None},
])


def _rows(facility, question, answers, survey="detainee", wave="2026", **extra):
    return [{"survey": survey, "wave": wave, "facility_id": facility, "respondent": f"{facility}{i}",
             "question": question, "answer": a, **{k: v[i] for k, v in extra.items()}} for i, a in enumerate(answers)]


def test_percent_positive_counts_matches_and_leaves_out_blanks_and_dont_know():
    responses = pd.DataFrame(
        _rows("A", "safe", ["yes", "YES ", "No", "Don't know", None, "dont_know", "Yes."])
        + _rows("A", "unsafe_where/cell", ["selected", "not selected", None, None, "Selected", "not selected", None])
        + _rows("A", "respect", ["Strongly agree", "agree", "Neither agree nor disagree", "Disagree",
                                 "Prefer not to say", "", "N/A"])
        + _rows("A", "time_here", ["1 year"] * 7))
    out = ss.percent_positive(responses, CODEBOOK, ["facility_id", "survey", "question"]).set_index("question")
    assert set(out.index) == {"safe", "unsafe_where/cell", "respect"}  # no positive list: skipped
    # safe: yes, YES, No, Yes. answered (Don't know / dont_know / blank out) -> 3 of 4.
    assert (out.loc["safe", "n_answering"], out.loc["safe", "n_positive"]) == (4, 3)
    assert out.loc["safe", "pct"] == pytest.approx(75.0)
    # Multi-select: blank = not asked, so out of the base; "not selected" stays in.
    assert (out.loc["unsafe_where/cell", "n_answering"], out.loc["unsafe_where/cell", "n_positive"]) == (4, 2)
    assert (out.loc["respect", "n_answering"], out.loc["respect", "n_positive"]) == (4, 2)
    assert out.loc["safe", "good_direction"] == "up" and out.loc["unsafe_where/cell", "good_direction"] == "down"


def test_percent_positive_not_counted_list_is_a_setting():
    responses = pd.DataFrame(_rows("A", "safe", ["Yes", "No", "Don't know"]))
    everyone = ss.percent_positive(responses, CODEBOOK, ["question"], not_counted=())
    assert everyone.loc[0, "n_answering"] == 3
    assert ss.percent_positive(responses, CODEBOOK, ["question"]).loc[0, "n_answering"] == 2


def test_percent_positive_zero_base_gives_nan_percent():
    out = ss.percent_positive(pd.DataFrame(_rows("A", "safe", [None, "Don't know"])), CODEBOOK, ["question"])
    assert out.loc[0, "n_answering"] == 0 and math.isnan(out.loc[0, "pct"])


def test_percent_positive_counts_a_million_rows():
    rng = np.random.default_rng(1)
    n = 1_000_000
    answers = np.array(["Yes", "No", "Don't know", None, "yes"], dtype=object)
    responses = pd.DataFrame({
        "survey": "detainee", "wave": rng.choice(["2024", "2026"], n),
        "facility_id": rng.choice([f"F{i:03d}" for i in range(120)], n),
        "respondent": rng.integers(0, 50_000, n).astype(str),
        "question": rng.choice(["safe", "respect", "time_here"], n),
        "answer": answers[rng.integers(0, 5, n)]})
    book = CODEBOOK.assign(positive=CODEBOOK["positive"].where(CODEBOOK["question"] != "respect", "Yes"))
    out = ss.percent_positive(responses, book, ["facility_id", "survey", "wave", "question"])  # its speed: make bench
    counted = responses[responses["question"].isin(["safe", "respect"]) & responses["answer"].isin(["Yes", "No", "yes"])]
    assert out["n_answering"].sum() == len(counted)
    assert out["n_positive"].sum() == counted["answer"].isin(["Yes", "yes"]).sum()


# --- survey_comparisons -------------------------------------------------------------------------


def _results(rows):
    return pd.DataFrame(rows, columns=["facility_id", "survey", "wave", "question", "n_answering", "n_positive",
                                       "good_direction"])


def test_comparisons_pool_the_peers_without_the_facility_itself():
    results = _results([
        ("A", "detainee", "2026", "safe", 100, 60, "down"),
        ("A", "detainee", "2024", "safe", 100, 30, "down"),
        ("B", "detainee", "2026", "safe", 50, 10, "down"),
        ("C", "detainee", "2026", "safe", 150, 40, "down"),
        ("D", "detainee", "2026", "safe", 999, 999, "down"),  # not a peer
    ])
    out = ss.survey_comparisons(results, "A", "detainee", "2026", ["A", "B", "C"], "2024").iloc[0]
    assert (out["peers_n_answering"], out["peers_n_positive"]) == (200, 50)  # B + C, not A
    assert out["peers_pct"] == pytest.approx(25.0) and out["peers_included"] == 2
    assert out["peers_difference"] == pytest.approx(35.0)
    assert out["peers_p_value"] == pytest.approx(
        stats.chi2_contingency([[60, 40], [50, 150]], correction=False)[1], rel=1e-9)
    assert out["peers_label"] == ss.WORSE  # more answering yes to a "down" question
    assert out["previous_pct"] == pytest.approx(30.0) and out["previous_label"] == ss.WORSE


def test_comparisons_without_previous_wave_or_peers_are_no_valid_comparison():
    results = _results([("A", "detainee", "2026", "safe", 100, 60, "up")])
    out = ss.survey_comparisons(results, "A", "detainee", "2026", [], None).iloc[0]
    assert out["previous_label"] == ss.NO_COMPARISON and out["peers_label"] == ss.NO_COMPARISON


def test_comparisons_take_good_direction_from_a_codebook_for_published_results():
    results = pd.DataFrame([("A", "detainee", "2026", "safe", "all", 100, 80),
                            ("A", "detainee", "2026", "safe", "women", 9, 1),
                            ("A", "detainee", "2024", "safe", "all", 100, 50)],
                           columns=["facility_id", "survey", "wave", "question", "group", "n_answering", "n_positive"])
    out = ss.survey_comparisons(results, "A", "detainee", "2026", [], "2024", codebook=CODEBOOK)
    assert len(out) == 1 and out.loc[0, "n_answering"] == 100 and out.loc[0, "previous_label"] == ss.BETTER


def test_demo_kestrel_moor_felt_unsafe_is_significantly_worse_than_before_and_than_peers(estate, demo_results):
    facilities = estate.table("facilities")
    peers = facilities.loc[facilities["function"] == "Category B reception", "facility_id"].tolist()
    out = ss.survey_comparisons(demo_results, "KSM", "detainee", "2026", peers, "2024", alpha=0.01)
    row = out.set_index("question").loc["safety/felt_unsafe"]
    assert row["pct"] == pytest.approx(58.3, abs=0.1)  # the planted 58%
    assert row["previous_pct"] == pytest.approx(24.6, abs=0.1)
    assert row["peers_pct"] == pytest.approx(31.3, abs=0.2)
    assert row["previous_p_value"] < 0.01 and row["peers_p_value"] < 0.01
    assert row["previous_label"] == ss.WORSE and row["peers_label"] == ss.WORSE
    assert row["peers_included"] == 2  # NGT and CSB, not KSM


def test_demo_no_signal_place_has_no_significant_felt_unsafe_difference(estate, demo_results):
    facilities = estate.table("facilities")
    peers = facilities.loc[facilities["function"] == "Category C training", "facility_id"].tolist()
    row = ss.survey_comparisons(demo_results, "BRF", "detainee", "2026", peers, "2024").set_index("question")
    assert row.loc["safety/felt_unsafe", "previous_label"] == ss.NO_DIFFERENCE


# --- breakdown ----------------------------------------------------------------------------------


def test_breakdown_compares_each_group_with_the_rest_and_hides_small_groups():
    eth = ["Black"] * 20 + ["white"] * 30 + ["White"] * 10 + ["Asian"] * 3 + [None] * 4 + ["Prefer not to say"] * 2
    answers = ["Yes"] * 18 + ["No"] * 2 + ["Yes"] * 10 + ["No"] * 30 + ["Yes"] * 9
    responses = pd.DataFrame(_rows("A", "safe", answers, ethnicity=eth))
    out = ss.breakdown(responses, CODEBOOK, "A", "detainee", "2026", "ethnicity", alpha=0.01, min_group=5)
    asian = out[out["group"] == "Asian"].iloc[0]
    assert asian["label"] == ss.TOO_FEW and pd.isna(asian["n_answering"]) and pd.isna(asian["respondents"])
    black = out[out["group"] == "Black"].iloc[0]
    # Rest = white (40) and Asian (3); blank and "prefer not to say" belong to no group.
    assert (black["n_answering"], black["n_positive"]) == (20, 18)
    assert (black["rest_n_answering"], black["rest_n_positive"]) == (43, 13)
    assert black["p_value"] == pytest.approx(stats.chi2_contingency([[18, 2], [13, 30]], correction=False)[1])
    assert black["label"] == ss.BETTER  # "safe" is an up question
    white = out[out["group"].str.lower() == "white"]
    assert len(white) == 1 and white.iloc[0]["respondents"] == 40  # spellings merged


# --- staff_detainee_gap -------------------------------------------------------------------------


def test_staff_detainee_gap_pairs_questions_sharing_a_theme():
    book = pd.DataFrame([
        {"survey": "detainee", "question": "respect", "positive": "yes", "theme": "Respect", "good_direction": "up"},
        {"survey": "staff", "question": "Prisoners are respected", "positive": "Agree", "theme": "respect",
         "good_direction": "up"},
        {"survey": "staff", "question": "I was assaulted", "positive": "Yes", "theme": "respect",
         "good_direction": "down"},  # other direction: not paired
    ])
    results = _results([("A", "detainee", "2026", "respect", 150, 75, "up"),
                        ("A", "staff", "2026", "Prisoners are respected", 60, 54, "up")])
    out = ss.staff_detainee_gap(results, "A", ["respect"], codebook=book)
    assert len(out) == 1
    row = out.iloc[0]
    assert (row["detainee_pct"], row["staff_pct"]) == (50.0, 90.0)
    assert row["gap"] == pytest.approx(40.0) and row["significant"]
    assert row["label"] == "staff significantly more favourable"


def test_staff_detainee_gap_on_the_demo_finds_the_respect_gap(demo_results):
    pair = [("respect", "respect/staff_treat_with_respect", "Prisoners are treated with respect by staff here")]
    row = ss.staff_detainee_gap(demo_results, "KSM", pair, wave="2026").iloc[0]
    assert row["staff_pct"] > row["detainee_pct"] and row["detainee_n_answering"] > 100
    auto = ss.staff_detainee_gap(demo_results, "KSM", None)
    assert {"respect", "safety"} <= set(auto["theme"]) and (auto["wave"] == "2026").all()
