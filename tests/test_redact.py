"""Redaction of free-text comments, theming, and the quotes a pack may show."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from datapack.analysis.redact import DEFAULT_THEMES, OTHER, comments_for_pack, redact, theme_comments
from datapack.config import load_config
from datapack.demo import comments as demo_comments
from datapack import ingest
from datapack.ingest import load_estate
from datapack.redaction import KnownIdentifiers, owner_role

ROOT = Path(__file__).resolve().parents[1]
PLANTED_NAMES = set(demo_comments.FIRST) | set(demo_comments.SURNAMES)
NOMIS = re.compile(r"\b[A-Z]\d{4}[A-Z]{2}\b")
PHONE = re.compile(r"07700\s?900\d{3}")


FREE_QUESTIONS = ["comments/anything_else", "Is there anything else you would like to tell us?"]


@pytest.fixture(scope="module")
def estate(demo_estate):
    return demo_estate


@pytest.fixture(scope="module")
def raw_estate():
    """The demo as read before redaction (the reader redacts every free-text column itself)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ingest, "protect", lambda tables, personal=(): KnownIdentifiers())
        return load_estate(load_config(ROOT / "datapack.yaml"))


def _free_text(estate):
    responses = estate.table("survey_responses")
    free = responses["question"].isin(FREE_QUESTIONS)
    return responses.loc[free & responses["answer"].notna(), "answer"].tolist()


@pytest.fixture(scope="module")
def demo_free_text(raw_estate):
    return _free_text(raw_estate)


def test_the_reader_redacts_the_demo_comments_before_anything_reads_them(estate, demo_free_text):
    read = _free_text(estate)
    assert len(read) == len(demo_free_text)
    assert [c for c in read if _leaks(c)] == []
    assert read == [redact(c) for c in demo_free_text]


def _leaks(text: str) -> list[str]:
    words = set(re.findall(r"[A-Za-z]+", text))
    return sorted(words & PLANTED_NAMES) + NOMIS.findall(text) + PHONE.findall(text)


def test_redact_removes_every_planted_name_and_number_in_the_demo_comments(demo_free_text):
    assert len(demo_free_text) > 500
    planted = [c for c in demo_free_text if _leaks(c)]
    assert len(planted) > 100  # the demo does plant them
    leaks = {c: _leaks(redact(c)) for c in demo_free_text}
    assert {c: found for c, found in leaks.items() if found} == {}


def test_redact_removes_names_and_numbers_from_every_template_of_the_generator():
    rng = np.random.default_rng(7)
    place = SimpleNamespace(short="Northgate")
    made = [demo_comments.detainee_comment(rng, place, unsafe=bool(i % 2)) for i in range(2000)]
    made += [demo_comments.staff_comment(rng, place) for _ in range(500)]
    assert not [c for c in made if _leaks(redact(c))]


def test_redact_leaves_comments_without_identifiers_unchanged():
    for plain in demo_comments._PLAIN:
        assert redact(plain) == plain
    kept = "Staffing is at crisis point on Residential Unit B and in Cell 7, A Wing, Houseblock 2."
    assert redact(kept) == kept
    assert redact("I spoke to the Independent Monitoring Board on Monday in March 2026.") == \
        "I spoke to the Independent Monitoring Board on Monday in March 2026."


@pytest.mark.parametrize("text,expected", [
    ("Mr Smith was kind.", "Mr [name] was kind."),
    ("Ask Officer O'Brien or Mrs McDonald-Smith.", "Ask Officer [name] or Mrs [name]."),
    ("Manager Lee Marlowe does not listen.", "Manager [name] does not listen."),
    ("My name is Jamie Fenwick, prison number A1234BC.", "My name is [name], prison number [number]."),
    ("I don't feel safe since Sarah Jones arrived.", "I don't feel safe since [name] arrived."),
    ("Ring 07700 900123 or +44 7700 900456 or 0161 496 0000.", "Ring [phone] or [phone] or [phone]."),
    ("Email jamie.fenwick@example.org please", "Email [email] please"),
    ("DOB: 12/03/1985, born on the 3rd of May 1990", "[date of birth], [date of birth]"),
    ("Refs P-7F3A2C, IR-2026-011157, AB 12 34 56 C and 1234567.", "Refs [number], [number], [number] and [number]."),
])
def test_redact_examples(text, expected):
    assert redact(text) == expected


def test_redact_is_idempotent_and_blank_safe():
    once = redact("Mr Smith, A1234BC, 07700 900123")
    assert redact(once) == once
    assert redact(None) == "" and redact("  ") == ""


def test_theme_comments_redacts_groups_and_drops_empty_comments():
    grouped = theme_comments(["The food is cold.", "Officer Pryce is fair.", "Nothing to add.", "",
                              "Please ring my mum on 07700 900123", "Hello there"])
    assert list(grouped)[: len(DEFAULT_THEMES)] == list(DEFAULT_THEMES)
    assert grouped["food"] == ["The food is cold."]
    assert grouped["staff and respect"] == ["Officer [name] is fair."]
    assert grouped["family and visits"] == ["Please ring my mum on [phone]"]
    assert grouped[OTHER] == ["Hello there"]


def test_theme_keywords_are_configurable_with_prefix_matching():
    grouped = theme_comments(["Staffing is short", "The staffroom", "Night-time staffing"],
                             {"staff": ["staffing"], "rooms": ["staff*"]})
    assert grouped["staff"] == ["Staffing is short", "Night-time staffing"]
    assert grouped["rooms"] == ["Staffing is short", "The staffroom", "Night-time staffing"]


def _responses(comments: list[str], facility="A"):
    return pd.DataFrame({"survey": "detainee", "wave": "2026", "facility_id": facility, "respondent": range(len(comments)),
                         "question": "comments", "answer": comments})


def test_a_theme_with_fewer_comments_than_the_threshold_shows_no_quotes():
    responses = _responses(["The food is cold."] * 3 + ["Officer Pryce is fair.", "Staff are rude.", "Staff are kind.",
                                                        "Staff help.", "Staff listen.", "Staff ok."])
    found = {t.theme: t for t in comments_for_pack(responses, ["comments"], "A", min_group=5)}
    assert found["food"].count is None and found["food"].quotes == () and found["food"].note == "fewer than 5 comments"
    staff = found["staff and respect"]
    assert staff.count == 6 and len(staff.quotes) == 5 and "Officer Pryce is fair." not in staff.quotes
    # In the order given: a quote is not moved for having something redacted (nor for having nothing).
    assert staff.quotes == ("Officer [name] is fair.", "Staff are rude.", "Staff are kind.", "Staff help.",
                            "Staff listen.")
    assert found["health"].count == 0 and found["health"].note == "no comments"


def test_comments_for_pack_reads_free_text_questions_from_the_codebook(estate):
    themed = comments_for_pack(estate.table("survey_responses"), estate.table("survey_questions"), "KSM",
                               min_group=5, wave="2026")
    found = {t.theme: t for t in themed}
    assert found["safety and violence"].count >= 5
    for t in themed:
        for quote in t.quotes:
            assert not _leaks(quote)
        assert (t.count is None) == (t.note is not None and t.note.startswith("fewer than"))


# --- the misses found when the redactor was attacked (issue 12, point 4) ------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("John Smith hit me on A Wing.", "[name] hit me on A Wing."),  # a full name at the start
    ("i told john smith about it", "i told [name] about it"),  # lower case
    ("ASK DANIEL HARGREAVES WHY", "ASK [name] WHY"),  # capitals
    ("since Zoë Müller arrived", "since [name] arrived"),  # accents
    ("Łukasz Nowak and José García", "[name] and [name]"),
    ("Jamie Lane is rude and Sarah Sunday shouts", "[name] is rude and [name] shouts"),  # ordinary words in names
    ("Officer Lane said no; officer smith agreed", "Officer [name] said no; officer [name] agreed"),
    ("ask Dave about it", "ask [name] about it"),
    ("On Sunday Sarah Jones said hello", "On Sunday [name] said hello"),
    ("Ring my sister on (020) 7946 0018 or +48 512 345 678", "Ring my sister on [phone] or [phone]"),
    ("my number is B 5678 CD, his is C1234DE", "my number is [number], his is [number]"),
    ("my date of birth is 15/04/1986", "my [date of birth]"),
    ("16/05/1985 (DOB) is on my file", "[date of birth] is on my file"),
    ("NHS number 943 476 5919", "NHS number [number]"),
    ("Deputy Governor (J. Smith) agreed", "Deputy Governor ([name]) agreed"),
])
def test_redact_catches_names_by_position_case_and_accent_and_every_number_spelling(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "Black prisoners are treated worse than White prisoners.",
    "NOBODY LISTENS TO US HERE",
    "the officer said no and the manager agreed",
    "Staff on Rose Unit and Residential Unit B were kind.",
    "Head of Reducing Reoffending",
])
def test_redact_keeps_ordinary_words_places_and_groups(text):
    assert redact(text, shapes=not text.startswith("Head")) == text


def test_held_identifiers_are_removed_whatever_their_case_or_accents():
    known = KnownIdentifiers()
    known.add("Zoë Kowalczyk-Brady", "personal")
    known.add("P-7F3A2C", "person_ref")
    assert redact("zoe kowalczyk-brady saw p-7f3a2c", known) == "[name] saw [number]"
    assert redact("ZOË KOWALCZYK BRADY", known) == "[name]"
    assert len(known) == 2 and "Zoë" not in repr(known)


@pytest.mark.parametrize("owner,role", [
    ("Head of Safety", "Head of Safety"), ("John Smith", "[name]"), ("Smith", "[name]"),
    ("Mrs Patel, Head of Healthcare", "Head of Healthcare"), ("Deputy Governor (J. Smith)", "Deputy Governor"),
    ("j.smith@example.org", "[name]"), ("Head of Reducing Reoffending", "Head of Reducing Reoffending"), ("", ""),
])
def test_an_owner_is_a_role_never_a_name(owner, role):
    assert owner_role(owner) == role


def test_the_reader_gives_owners_as_roles_and_redacts_recommendations_and_visits(estate, raw_estate):
    recs, raw = estate.table("recommendations"), raw_estate.table("recommendations")
    assert recs["owner"].tolist() == [owner_role(o) if isinstance(o, str) else o for o in raw["owner"]]
    assert recs["text"].tolist() == [redact(t) if isinstance(t, str) else t for t in raw["text"]]
    assert estate.table("visits")["visit_id"].tolist() == raw_estate.table("visits")["visit_id"].tolist()
    counts = estate.identifiers.counts()
    assert counts["person_ref"] > 1000 and counts["respondent"] > 1000 and counts["email"] > 100
