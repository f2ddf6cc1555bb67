"""Free-text comments grouped by theme for quoting, after the one redactor.

The redactor itself lives in :mod:`datapack.redaction` (every free-text
field of the inputs passes it once, at read time); :func:`redact` is
re-exported here for the callers that quote comments. Quotes are grouped by
theme and, within a theme, kept in the order given: whether anything was
redacted from a comment does not move it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import pandas as pd

from datapack.adapters.cells import is_blank, normalise_label
from datapack.redaction import PLACEHOLDER, redact
from datapack.redaction.names import NOT_NAMES, TITLES

__all__ = ["DEFAULT_THEMES", "NOT_NAMES", "OTHER", "PLACEHOLDER", "TITLES", "ThemedComments", "comments_for_pack",
           "free_text_questions", "redact", "theme_comments"]


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
    of each theme, in the order given. A theme with fewer than
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
            # The order given: putting quotes with nothing redacted first would show the unredacted ones first.
            distinct = list(dict.fromkeys(found))
            out.append(ThemedComments(name, len(found), tuple(distinct[:max_quotes])))
    return out
