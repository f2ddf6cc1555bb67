"""The identifiers actually held in the inputs, to be found again wherever they appear.

Person references, respondent references, incident references, the names and
e-mail addresses in the contact columns survey adapters drop, and the names
the redactor found in free text are kept here, **in memory only**: this object
is never written, pickled into the cache or logged. The redactor removes them
from free text whatever their case or accents; the leak gate looks for them in
every output.

Values are compared as sequences of folded words (case and accents ignored;
``P-7F3A2C`` is the words ``p 7f3a2c``), separated in the text by spaces or
light punctuation, so ``JOHN  SMITH``, ``john-smith`` and ``Zoe Muller`` all
match the held ``John Smith`` / ``Zoë Müller``.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

from datapack.redaction.names import COMMON_WORDS, NOT_NAMES, fold

_TOKEN = re.compile(r"[^\W_]+")
#: What may stand between two words of one identifier in a text.
_GAP = re.compile(r"[\s\-.'’@_/,]{1,3}")
_MIN_CHARS = 4       # shorter values ("Al", "17") would match everything
_MIN_DIGITS = 6      # a reference of digits alone must be long to be told from a count


def words(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, folded word)`` for every word of ``text``."""
    if text.isascii():  # lower case keeps every position: one pass over the whole text
        return [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text.lower())]
    return [(m.start(), m.end(), fold(m.group())) for m in _TOKEN.finditer(text)]


def key(text: str) -> tuple[str, ...]:
    """The folded words of ``text``, as an identifier is held."""
    return tuple(_TOKEN.findall(fold(text)))


def _usable(tokens: tuple[str, ...]) -> bool:
    joined = "".join(tokens)
    if len(joined) < _MIN_CHARS:
        return False
    if joined.isdigit():
        return len(joined) >= _MIN_DIGITS
    if len(tokens) == 1 and not any(c.isdigit() for c in joined):
        return tokens[0] not in COMMON_WORDS and tokens[0] not in NOT_NAMES
    return True


class KnownIdentifiers:
    """A set of identifiers held in the inputs, each with its kind (``person_ref``, ``name``, ...)."""

    def __init__(self) -> None:
        self._kinds: dict[tuple[str, ...], str] = {}
        self._lengths: set[int] = set()
        self._firsts: set[str] = set()  # first words, so most words of a text are passed over at once

    def add(self, value: object, kind: str) -> bool:
        """Hold ``value`` (ignored when blank or too short to be told from ordinary text); True if held."""
        if value is None or (isinstance(value, float) and value != value):
            return False
        text = str(value).strip()
        if isinstance(value, float) and value.is_integer():
            text = str(int(value))
        tokens = key(text)
        if not tokens or not _usable(tokens):
            return False
        self._kinds.setdefault(tokens, kind)
        self._lengths.add(len(tokens))
        self._firsts.add(tokens[0])
        return True

    def update(self, values: Iterable[object], kind: str) -> None:
        """Hold every value of ``values``."""
        for value in values:
            self.add(value, kind)

    def discard_found_in(self, texts: Iterable[str]) -> None:
        """Forget identifiers that occur in ``texts`` (facility names, question texts: the pack's own words)."""
        for text in texts:
            for start, end, kind in self.find(str(text)):
                self._kinds.pop(key(str(text)[start:end]), None)

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """``(start, end, kind)`` of every held identifier in ``text``, longest first where they overlap."""
        if not self._kinds or not text:
            return []
        toks = words(text)
        found: list[tuple[int, int, str]] = []
        i = 0
        while i < len(toks):
            if toks[i][2] not in self._firsts:
                i += 1
                continue
            hit = None
            for n in sorted(self._lengths, reverse=True):
                if i + n > len(toks):
                    continue
                key = tuple(t[2] for t in toks[i:i + n])
                if key in self._kinds and all(_GAP.fullmatch(text[toks[k][1]:toks[k + 1][0]])
                                              for k in range(i, i + n - 1)):
                    hit = (toks[i][0], toks[i + n - 1][1], self._kinds[key], n)
                    break
            if hit:
                found.append(hit[:3])
                i += hit[3]
            else:
                i += 1
        return found

    def counts(self) -> dict[str, int]:
        """How many identifiers of each kind are held (for reports; never the values)."""
        return dict(Counter(self._kinds.values()))

    def __len__(self) -> int:
        return len(self._kinds)

    def __repr__(self) -> str:  # never the values: a repr can end up in a log or a traceback
        return f"KnownIdentifiers({self.counts()})"

    def __copy__(self) -> "KnownIdentifiers":
        return self

    def __deepcopy__(self, memo: dict) -> "KnownIdentifiers":
        return self

    def __reduce_ex__(self, protocol):
        if not self._kinds:  # an empty set holds nothing (an estate sent to a worker carries one)
            return (KnownIdentifiers, ())
        raise TypeError("KnownIdentifiers are kept in memory only and cannot be pickled")
