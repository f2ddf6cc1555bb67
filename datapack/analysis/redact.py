"""Free-text comments: identifying details removed, then grouped by theme for quoting.

:func:`redact` is deliberately pragmatic (rules, not a language model): it
removes what is common in survey comments and cheap to spot, and errs
towards removing. What it takes out, in this order:

* e-mail addresses -> ``[email]``;
* phone numbers (UK forms: ``07700 900123``, ``+44 7700 900123``,
  ``0161 496 0000``) -> ``[phone]``;
* dates of birth (a date after "DOB", "date of birth", "born") -> ``[date of birth]``;
* person and case numbers: prison (NOMIS) numbers ``A1234BC``, National
  Insurance numbers, references like ``P-7F3A2C`` or ``IR-2026-011157``,
  and runs of five or more digits -> ``[number]``;
* names: a title or role followed by capitalised words (``Mr Smith``,
  ``Officer Jones``, ``Manager Lee Marlowe``: the title stays, the name
  goes), "my name is ...", and two or more capitalised words together
  that do not start a sentence (``since Jamie Fenwick was``) -> ``[name]``.

Places inside a facility are kept (``A Wing``, ``Unit 3``, ``Cell 7``,
``Houseblock 2``): they locate a problem, not a person, and inspectors need
them. Words that are often capitalised but are not names (wings, units,
services, days, months) are listed in :data:`NOT_NAMES` so that
``Residential Unit B`` survives. A name written in lower case, or a
surname alone without a title, is not caught: read quotes before use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import pandas as pd

from datapack.tables.cells import is_blank, normalise_label

#: Titles and roles written before a name; kept, the name after them replaced.
TITLES = ("Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Professor", "Rev", "Father", "Sister", "Nurse",
          "Officer", "Manager", "Governor", "Guv", "Sergeant", "Sgt", "Inspector", "PC", "DC", "DS", "SO",
          "Custody Manager", "Chaplain", "Imam", "Rabbi", "Doctor", "Matron", "Mister")

#: Capitalised words that are not names: a run of capitalised words containing any of them is kept.
NOT_NAMES = frozenset(w.lower() for w in (
    "Wing Unit Block Houseblock House Residential Landing Cell Cells Spur Lodge Suite Centre Center Ward "
    "Healthcare Health Mental Care Reception Segregation Seg Chapel Gym Library Kitchen Kitchens Workshop "
    "Education Induction Visits Visit Hall Yard Exercise Road Street Lane Court Custody Prison Prisons HMP "
    "YOI IRC NHS ACCT CSIP Listener Listeners Samaritans Independent Monitoring Board IMB Ministry Justice "
    "Service Services Team Safer Custody Probation Home Office Police Department Programme Scheme Canteen "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July "
    "August September October November December Christmas Easter Ramadan Eid Diwali English British Welsh "
    "Scottish Irish Muslim Christian Catholic Jewish Sikh Hindu Buddhist Covid Night Day Time Staff Officers "
    "The This That These Those There Their They We Our You Your He She His Her It Its My Me Not No Yes "
    "Please Thanks Thank Good Bad Nothing Everything Some All Too More Most Why What When Where Who How").split())

_NAME_WORD = r"(?:Mc|Mac|O['’])?[A-Z][a-z]+(?:[-'’][A-Z][a-z]+)?"
_TITLE = r"\b(?:" + "|".join(re.escape(t) for t in sorted(TITLES, key=len, reverse=True)) + r")\.?"
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*"
_DATE = (rf"(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}"  # 12/03/1985
         rf"|(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{2,4}}"  # 3rd of May 1990
         rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"  # May 3, 1990
         rf"|\d{{4}})")  # born in 1990

#: (pattern, replacement) in the order applied: each later rule sees earlier replacements.
RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"), "[email]"),
    (re.compile(r"(?<![\w+])(?:\+44\s?(?:\(0\)\s?)?|0)\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\w)"), "[phone]"),
    (re.compile(rf"(?i)\b(?:d\.?o\.?b\.?|date of birth|born(?: on| in)?)\s*[:\-]?\s*{_DATE}"), "[date of birth]"),
    (re.compile(r"(?i)\b[A-Z]\d{4}[A-Z]{2}\b"), "[number]"),
    (re.compile(r"(?i)\b[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b"), "[number]"),
    (re.compile(r"\b[A-Z]{1,4}-(?=[A-Z0-9-]*\d)[A-Z0-9]{4,}(?:-[A-Z0-9]+)*\b"), "[number]"),
    (re.compile(r"\b\d{3}[\s-]\d{3}[\s-]\d{4}\b"), "[number]"),  # NHS number
    (re.compile(r"\b\d{5,}\b"), "[number]"),
)

_MY_NAME = re.compile(rf"(?i:\b(?:my name is|my name's|i am called|i'm called|call me)\s+)"
                      rf"({_NAME_WORD}(?:\s+{_NAME_WORD})*)")
_AFTER_TITLE = re.compile(rf"({_TITLE}\s+)({_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}})")
_RUN = re.compile(rf"{_NAME_WORD}(?:\s+{_NAME_WORD})+")
_PLACEHOLDER = re.compile(r"\[(?:name|number|phone|email|date of birth)\]")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“(]\s*|\n\s*)$")


def _name_words_ok(words: str) -> bool:
    # A run is a name only if none of its words is a known non-name.
    return not any(w.lower().strip("'’") in NOT_NAMES for w in words.split())


def _names(text: str) -> str:
    text = _MY_NAME.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + "[name]", text)
    text = _AFTER_TITLE.sub(lambda m: m.group(1) + "[name]" if _name_words_ok(m.group(2)) else m.group(0), text)

    def run(m: re.Match[str]) -> str:
        words = m.group(0).split()
        if _SENTENCE_START.search(text[: m.start()]):
            # The first word is capitalised anyway; judge the rest, and keep the first unless it is a name too.
            rest = " ".join(words[1:])
            if len(words) > 2 and _name_words_ok(rest) and words[0].lower() not in NOT_NAMES:
                return "[name]"
            return m.group(0)
        return "[name]" if _name_words_ok(m.group(0)) else m.group(0)

    return _RUN.sub(run, text)


def redact(text: str) -> str:
    """``text`` with names, numbers, phone numbers, e-mails and dates of birth replaced.

    See the module docstring for the rules. Idempotent: redacting twice
    gives the same text. Blank input gives ``""``.
    """
    if is_blank(text):
        return ""
    out = str(text)
    for pattern, replacement in RULES:
        out = pattern.sub(replacement, out)
    return _names(out)


#: Keyword themes for comments. A keyword matches whole words (plural ``s``
#: allowed); a trailing ``*`` matches any word starting with it. A comment
#: can fall under several themes; one under none goes to ``other``.
DEFAULT_THEMES: dict[str, list[str]] = {
    "safety and violence": ["safe", "unsafe", "safety", "violen*", "fight*", "assault*", "attack*", "bull*",
                            "threat*", "weapon*", "hurt", "drug*", "spice", "cutting", "self-harm*", "self harm*",
                            "ACCT", "bell", "scared", "afraid", "intimidat*"],
    "staff and respect": ["staff*", "officer*", "respect*", "disrespect*", "fair", "unfair", "rude", "listen*",
                          "manager*", "governor*", "helped", "helpful", "training", "shortage*", "racis*", "discriminat*"],
    "health": ["health*", "healthcare", "doctor*", "nurse*", "medic*", "meds", "mental", "dentist*", "GP",
               "ill", "illness", "pain", "prescription*"],
    "family and visits": ["visit*", "family", "families", "mum", "dad", "mother", "father", "child*", "kid*",
                          "partner", "wife", "husband", "letter*", "phone call*", "PIN"],
    "regime and time out of cell": ["regime", "time out", "out of cell", "locked*", "lock up", "behind our doors",
                                    "bang up", "banged up", "association", "exercise", "education", "workshop*",
                                    "job*", "gym", "course*", "canteen", "waiting list"],
    "food": ["food", "meal*", "dinner*", "lunch*", "breakfast*", "portion*", "kitchen*", "halal", "hungry"],
    "complaints": ["complain*", "complaint*", "comp1", "grievance*", "app", "apps", "application*", "ignored",
                   "no answer", "never answer*", "no response"],
}

OTHER = "other"

#: Comments that say nothing; dropped before theming (compared normalised).
NO_CONTENT = frozenset({"", "nothing", "nothing to add", "nothing else", "no", "none", "n a", "na", "no comment",
                        "no comments", "not applicable", "test submission please ignore"})


def _theme_pattern(keywords: Iterable[str]) -> re.Pattern[str]:
    parts = []
    for k in keywords:
        k = k.strip()
        if k.endswith("*"):
            parts.append(re.escape(k[:-1]) + r"[\w-]*")
        else:
            parts.append(re.escape(k).replace(r"\ ", r"\s+") + r"s?")
    return re.compile(r"(?i)(?<!\w)(?:" + "|".join(parts) + r")(?!\w)")


def theme_comments(comments: Iterable[str], themes: Mapping[str, Sequence[str]] | None = None) -> dict[str, list[str]]:
    """Comments redacted (always, first) and grouped by keyword theme.

    ``themes`` maps a theme to keywords (default :data:`DEFAULT_THEMES`).
    Comments with nothing in them (:data:`NO_CONTENT`) are dropped;
    comments matching no theme are listed under ``other``. Every theme is
    a key of the result, in the order given, even when empty.
    """
    themes = DEFAULT_THEMES if themes is None else themes
    patterns = {name: _theme_pattern(words) for name, words in themes.items()}
    out: dict[str, list[str]] = {name: [] for name in themes} | {OTHER: []}
    for comment in comments:
        if is_blank(comment) or normalise_label(comment) in NO_CONTENT:
            continue
        clean = redact(comment)
        hits = [name for name, pattern in patterns.items() if pattern.search(clean)]
        for name in hits or [OTHER]:
            out[name].append(clean)
    return out


@dataclass(frozen=True)
class ThemedComments:
    """One theme's comments for a pack: how many, and a few redacted quotes.

    ``count`` is None and ``quotes`` empty when there are fewer comments
    than the disclosure threshold; ``note`` then says "fewer than N".
    """

    theme: str
    count: int | None
    quotes: tuple[str, ...]
    note: str | None = None


def free_text_questions(codebook: pd.DataFrame) -> list[tuple[str, str]]:
    """``(survey, question)`` of codebook questions with no answer options: the free-text ones."""
    free = codebook[codebook["options"].map(is_blank)] if "options" in codebook else codebook.iloc[0:0]
    return list(dict.fromkeys(zip(free["survey"].astype(str), free["question"].astype(str))))


def comments_for_pack(responses: pd.DataFrame, questions: pd.DataFrame | Iterable[str], facility_id: str,
                      min_group: int = 5, survey: str | None = None, wave: str | None = None,
                      themes: Mapping[str, Sequence[str]] | None = None, max_quotes: int = 5) -> list[ThemedComments]:
    """Themed, redacted quotes from one facility's free-text answers.

    ``questions`` is the codebook (free-text questions are those without
    options) or a list of question keys. ``survey`` and ``wave`` narrow the
    responses when given. Quotes are up to ``max_quotes`` distinct comments
    of each theme, those with nothing redacted first, else in the order given. A theme with fewer than
    ``min_group`` comments (the disclosure threshold) shows no count and no
    quotes, only "fewer than N comments".
    """
    part = responses[responses["facility_id"].astype(str) == str(facility_id)]
    if survey is not None:
        part = part[part["survey"].astype(str) == str(survey)]
    if wave is not None:
        part = part[part["wave"].astype(str) == str(wave)]
    if isinstance(questions, pd.DataFrame):
        keys = pd.MultiIndex.from_tuples(free_text_questions(questions) or [("", "")])
        chosen = pd.MultiIndex.from_arrays([part["survey"].astype(str), part["question"].astype(str)]).isin(keys)
    else:
        chosen = part["question"].astype(str).isin([str(q) for q in questions]).to_numpy()
    grouped = theme_comments(part.loc[chosen, "answer"].tolist(), themes)
    out = []
    for name, found in grouped.items():
        if not found:
            out.append(ThemedComments(name, 0, (), "no comments"))  # zero identifies nobody
        elif len(found) < min_group:
            out.append(ThemedComments(name, None, (), f"fewer than {min_group} comments"))
        else:
            # Quotes needing no redaction read better, so they come first; otherwise the order given.
            distinct = sorted(dict.fromkeys(found), key=lambda q: len(_PLACEHOLDER.findall(q)))
            out.append(ThemedComments(name, len(found), tuple(distinct[:max_quotes])))
    return out
