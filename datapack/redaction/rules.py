"""The one redactor every free-text field passes: identifying details out, the rest of the text kept.

Deliberately pragmatic (rules, not a language model): it removes what is
common in comments, trackers and visit notes and cheap to spot, and errs
towards removing. What it takes out, in this order:

* identifiers held in the inputs (:class:`~datapack.redaction.known.KnownIdentifiers`:
  person and respondent references, names from dropped contact columns), in
  any case -> ``[name]`` or ``[number]``;
* e-mail addresses -> ``[email]``;
* phone numbers, UK and international, with spaces, dashes or brackets
  (``07700 900123``, ``(020) 7946 0018``, ``+44 (0)20 7946 0018``,
  ``+48 512 345 678``) -> ``[phone]``;
* dates of birth: a date after "DOB", "date of birth (is)", "born (on)", or
  before "(DOB)" -> ``[date of birth]``;
* person and case numbers: prison (NOMIS) numbers also when spaced
  (``A1234BC``, ``B 5678 CD``), National Insurance numbers, NHS numbers,
  references like ``P-7F3A2C`` or ``IR-2026-011157``, and runs of five or
  more digits -> ``[number]``;
* names (:mod:`datapack.redaction.names`): the title stays, the name goes
  (``Mr [name]``) -> ``[name]``.

Places inside a facility are kept (``A Wing``, ``Unit 3``, ``Cell 7``).
Redacting twice gives the same text.
"""

from __future__ import annotations

import re

from datapack.adapters.cells import is_blank
from datapack.redaction.known import KnownIdentifiers
from datapack.redaction.names import HONORIFICS, TITLES, name_spans

PLACEHOLDERS = ("[name]", "[number]", "[phone]", "[email]", "[date of birth]")
PLACEHOLDER = re.compile(r"\[(?:name|number|phone|email|date of birth)\]")

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*"
DATE = (rf"(?:\d{{1,2}}\s?[/.-]\s?\d{{1,2}}\s?[/.-]\s?\d{{2,4}}"  # 12/03/1985, 15.04.86
        rf"|\d{{4}}-\d{{2}}-\d{{2}}"  # 1985-03-12
        rf"|(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{2,4}}"  # 3rd of May 1990
        rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"  # May 3, 1990
        rf"|\d{{4}})")  # born in 1990
_DOB_WORD = r"(?:d\.?\s?o\.?\s?b\.?|date\s+of\s+birth|birth\s*date|birthday|born(?:\s+on|\s+in)?)"

#: (pattern, replacement) in the order applied: each later rule sees earlier replacements.
RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"), "[email]"),
    # UK numbers: 0 or +44 (0), then 9-10 more digits in groups, the area code maybe in brackets.
    (re.compile(r"(?<![\w+])(?:\+44\s?(?:\(0\)\s?)?\(?|\(0|0)\d{2,4}\)?[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\w)"), "[phone]"),
    (re.compile(rf"(?i)\b{_DOB_WORD}\s*(?:(?:is|was|of|=|:|-)\s*)*{DATE}"), "[date of birth]"),
    (re.compile(rf"(?i)\b{DATE}\s*[,(\[]?\s*(?:\bmy\s+)?{_DOB_WORD}\b\s*[)\]]?"), "[date of birth]"),
    (re.compile(r"(?i)\b[A-Z]\d{4}[A-Z]{2}\b"), "[number]"),  # prison number
    (re.compile(r"\b[A-Z]\s\d{4}\s?[A-Z]{2}\b|\b[A-Z]\d{4}\s[A-Z]{2}\b"), "[number]"),  # spaced: B 5678 CD
    (re.compile(r"(?i)\b[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b"), "[number]"),  # NI number
    (re.compile(r"\b\d{3}[\s-]\d{3}[\s-]\d{4}\b"), "[number]"),  # NHS number
)
#: International numbers: + or 00, a country code, then groups; at least 8 digits in all.
_INTERNATIONAL = re.compile(r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}(?:[\s.-]?\(?\d{1,5}\)?){2,6}(?!\w)")


def _international(match: re.Match[str]) -> str:
    return "[phone]" if sum(c.isdigit() for c in match.group()) >= 8 else match.group()


#: Rules for references and long numbers; left out for fields that are document references themselves.
REFERENCE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b[A-Z]{1,4}-(?=[A-Z0-9-]*\d)[A-Z0-9]{4,}(?:-[A-Z0-9]+)*\b"), "[number]"),
    (re.compile(r"\b\d{5,}\b"), "[number]"),
)

#: Words that make an owner a role or a body rather than a person.
ROLE_WORDS = frozenset(
    "head heads governor governors deputy director directors manager managers management lead leads chief "
    "executive officer officers team teams department service services unit safety security healthcare "
    "health board trust provider providers custody prison prisons hmpps hmps nhs ministry council "
    "commissioner commissioners operations residential education chaplaincy reception safer equality "
    "diversity psychology mental offender supervisor coordinator co-ordinator group committee partnership "
    "authority agency office contractor contractors governance quality assurance senior operational "
    "centre estates facilities maintenance catering kitchen learning skills regime programmes interventions "
    "substance misuse drugs nurse matron clinical clinician pharmacy medical doctor gp dental mental-health "
    "safeguarding violence reduction segregation admin administration finance hr police home iso irc hmp "
    "yoi moj unit all staff area regional national local".split())
#: Placeholder for each kind of held identifier (references and anything else: ``[number]``).
_HELD = {"name": "[name]", "personal": "[name]", "email": "[email]"}
_OWNER_JUNK = re.compile(r"^[\s,;:/&()\-–—.]+|[\s,;:/&()\-–—.]+$")
_TITLE_BEFORE = re.compile(r"(?i)\b(?:" + "|".join(re.escape(t) for t in sorted(TITLES, key=len, reverse=True))
                           + r")\.?\s*(?=\[name\])")


def redact(text: object, known: KnownIdentifiers | None = None, references: bool = True,
           found: list[str] | None = None, shapes: bool = True) -> str:
    """``text`` with identifying details replaced by placeholders (see the module docstring).

    ``known`` adds the identifiers held in the inputs; ``references=False``
    keeps document references (for fields that are one, like a visit id);
    ``shapes=False`` finds names by cue and by the list of names only, for
    labels written in Title Case (``Head of Reducing Reoffending``); ``found``, when given, receives every name removed (so they can be looked
    for elsewhere: it is for memory only). Blank input gives ``""``.
    """
    if is_blank(text):
        return ""
    out = str(text)
    if known is not None and len(known):
        out = _replace(out, [(s, e, _HELD.get(kind, "[number]")) for s, e, kind in known.find(out)])
    out = RULES[0][0].sub(RULES[0][1], out)  # e-mails first: their digits are not phone numbers
    out = _INTERNATIONAL.sub(_international, out)
    for pattern, replacement in RULES[1:] + (REFERENCE_RULES if references else ()):
        out = pattern.sub(replacement, out)
    spans = name_spans(out, shapes)
    if found is not None:
        found.extend(out[s:e] for s, e in spans)
    return _replace(out, [(s, e, "[name]") for s, e in spans])


def _replace(text: str, spans: list[tuple[int, int, str]]) -> str:
    """``text`` with each span replaced, adjacent names (``[name] [name]``) merged into one."""
    out, last = [], 0
    for start, end, placeholder in sorted(spans):
        if start < last:
            continue
        out += [text[last:start], placeholder]
        last = end
    out.append(text[last:])
    return re.sub(r"\[name\](?:[\s-]+\[name\])+", "[name]", "".join(out))


def owner_role(text: object, known: KnownIdentifiers | None = None, found: list[str] | None = None) -> str:
    """An owner as a role: names taken out (``Mrs Patel, Head of Healthcare`` -> ``Head of Healthcare``).

    An owner with no word of a role or body in it (``John Smith``, ``Smith``)
    is taken to be a person and given as ``[name]``. Blank gives ``""``.
    """
    clean = redact(text, known, found=found, shapes=False)
    if not clean:
        return ""
    words = re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", PLACEHOLDER.sub(" ", clean).lower())
    if not any(w in ROLE_WORDS for w in words):
        if found is not None and not PLACEHOLDER.search(clean):
            found.append(clean)  # a bare name held as an owner is a name to look for elsewhere
        return "[name]"
    role = _TITLE_BEFORE.sub("", clean)
    role = re.sub(r"\(\s*\[name\]\s*\)|\[name\]", " ", role)
    role = re.sub(r"\s{2,}", " ", re.sub(r"\(\s*\)", "", role))
    role = _OWNER_JUNK.sub("", role)
    lowered = role.lower()
    return role if role and lowered not in HONORIFICS else "[name]"
