"""Resolving facility names and codes as exports write them to the register.

Exports drift: ``HMP Northgate``, ``NORTHGATE (HMP)``, ``Northgate`` and a
code such as ``NGI`` all mean one place. Each register entry is indexed
under its id, name and aliases, in several normalised forms; a name from a
file is looked up form by form, most exact first. A name that matches two
entries at its most exact form is ambiguous: it resolves to neither (the
caller reports it), never to whichever a looser form happens to single out.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import pandas as pd

from datapack.adapters.cells import is_blank, normalise_label


#: Characters of a written name compared when suggesting the nearest known ones.
NAME_CHARS = 200


def _prefix_pattern(prefixes: list[str]) -> re.Pattern:
    words = sorted({normalise_label(p) for p in prefixes if normalise_label(p)}, key=len, reverse=True)
    alternatives = "|".join(re.escape(w) for w in words) or "(?!)"
    return re.compile(rf"^(?:(?:{alternatives})\b\s*)+|\s*\b(?:(?:{alternatives})\s*)+$")


def name_forms(name: str, prefixes: re.Pattern) -> list[str]:
    """Normalised forms of a name, most exact first.

    ``HMP/YOI Elmley (Sheppey)`` gives ``hmp yoi elmley sheppey``,
    ``elmley sheppey`` and ``elmley``.
    """
    forms = [normalise_label(name)]
    forms.append(prefixes.sub("", forms[0]).strip())
    without_brackets = re.sub(r"\([^)]*\)", " ", str(name))
    forms.append(prefixes.sub("", normalise_label(without_brackets)).strip())
    out: list[str] = []
    for f in forms:
        if f and f not in out:
            out.append(f)
    return out


@dataclass
class FacilityIndex:
    """Look-up from any spelling of a facility to its ``facility_id``."""

    prefixes: list[str]
    names: dict[str, str] = field(default_factory=dict)  # facility_id -> display name
    _index: list[dict[str, set[str]]] = field(default_factory=lambda: [{}, {}, {}])

    @classmethod
    def from_register(cls, register: pd.DataFrame, prefixes: list[str]) -> "FacilityIndex":
        """Index every id, name and alias of the register."""
        index = cls(prefixes)
        for row in register.itertuples(index=False):
            index.add(row.facility_id, row.name, getattr(row, "aliases", None))
        return index

    def __post_init__(self) -> None:
        self._pattern = _prefix_pattern(self.prefixes)

    def add(self, facility_id: str, name: str, aliases: str | None = None) -> None:
        """Index one facility under its id, name and ``;``-separated aliases."""
        self.names[facility_id] = name
        spellings = [facility_id, name] + ([] if is_blank(aliases) else str(aliases).split(";"))
        pattern = self._pattern
        for spelling in spellings:
            for level, form in enumerate(name_forms(spelling, pattern)):
                self._index[level].setdefault(form, set()).add(facility_id)

    def candidates(self, text: object) -> set[str]:
        """Every facility ``text`` may mean: the ids under its most exact form that is indexed.

        More than one means ambiguous: the name is not looked up more
        loosely, so that it is never quietly given to one of them.
        """
        if is_blank(text):
            return set()
        for form in name_forms(str(text), self._pattern):
            for level in self._index:
                if ids := level.get(form):
                    return set(ids)
        return set()

    def resolve(self, text: object) -> str | None:
        """The facility id for ``text``, or None when unknown or ambiguous."""
        ids = self.candidates(text)
        return next(iter(ids)) if len(ids) == 1 else None

    def shared_spellings(self) -> dict[str, set[str]]:
        """Spellings (ids, names, aliases, compared normalised) that two or more facilities share."""
        return {form: ids for form, ids in self._index[0].items() if len(ids) > 1}

    def nearest(self, text: object, n: int = 3) -> list[str]:
        """Known names closest to ``text``, for error messages."""
        names = list(self.names.values())
        written = "" if is_blank(text) else str(text)[:NAME_CHARS]  # no name is longer; difflib is slow on more
        key = normalise_label(written)
        if not key:  # only punctuation ('-', '..'): nothing to be near
            return []
        by_key = {normalise_label(v): v for v in names}
        close = difflib.get_close_matches(key, list(by_key), n=n, cutoff=0.5)
        if not close:
            forms = name_forms(written, self._pattern)
            if forms:
                close = difflib.get_close_matches(forms[-1], list(by_key), n=n, cutoff=0.4)
        return [by_key[c] for c in close]
