"""People's names in free text: found by cue (title, "my name is"), by shape, and by a list of names.

Three signals, each cheap and explainable:

* **cues**: a title or role (``Mr``, ``Officer``, ``Custody Manager``) or
  "my name is" is followed by a name, in any case (``mr smith``);
* **shape**: two or more capitalised words together that are not known
  non-names (``since Jamie Fenwick was``);
* **a list of given names and surnames** (Faker's lists for the languages
  most spoken by people held in the UK, compared without case or accents):
  a given name followed by another word is a name even at the start of a
  sentence, in lower case or in capitals (``John Smith hit me``, ``zoë
  müller``, ``JOHN SMITH``) and even when the surname is an ordinary word
  (``Jamie Lane``, ``Sarah Sunday``); a capitalised given name alone
  mid-sentence is a name too (``ask Dave``).

Places inside a facility are kept: a run ending in a place word (``A Wing``,
``Unit 3``, ``Rose Unit``, ``Residential Unit B``) locates a problem, not a
person. A surname alone without a title (``Smith said``) and a lower-case
given name alone are not caught: the names held in the inputs
(:mod:`datapack.redaction.known`) cover those when they are known.
"""

from __future__ import annotations

import functools
import importlib
import re
import unicodedata

#: Titles and roles written before a name; kept, the name after them replaced.
TITLES = ("Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Professor", "Rev", "Father", "Sister", "Nurse",
          "Officer", "Manager", "Governor", "Guv", "Sergeant", "Sgt", "Inspector", "PC", "DC", "DS", "SO",
          "Custody Manager", "Chaplain", "Imam", "Rabbi", "Doctor", "Matron", "Mister")
#: Titles that only ever stand before a name, so a lower-case word after them is a name too.
HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "mister", "prof"})

#: Words naming a place inside a facility: a run ending in one is a place, not a person.
PLACE_WORDS = frozenset(
    "wing unit block houseblock house landing cell cells spur lodge suite centre center ward room hall yard "
    "annexe annex floor corridor".split())

#: Capitalised words that are not names (places, services, days, months, peoples, sentence words).
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
    "Please Thanks Thank Good Bad Nothing Everything Some All Too More Most Why What When Where Who How "
    "I And Or But If So Because Also Still Just Even Only Then Now Here Every Any Each Many Much Very "
    "Black White Asian Mixed Arab African Caribbean Roma Gypsy Traveller Travellers Polish Romanian Albanian "
    "Pakistani Indian Bangladeshi Chinese Somali Eritrean Afghan Iranian Iraqi Syrian Kurdish Vietnamese "
    "European American Jamaican Nigerian Ghanaian Lithuanian Latvian Portuguese Spanish French German "
    "Italian Turkish Russian Ukrainian God Allah Jesus Lord Islam Bible Quran Koran OK Okay Sir Madam "
    "Governor Governors Officer Manager Managers Nurse Nurses Doctor Doctors Chaplain Chaplaincy Head "
    "Deputy Director Lead Senior Chief Support Grade Operational Safety Security Operations Psychology "
    "Equality Diversity Offender Management Supervising Supervisor Trust Council Authority Agency Group "
    "Prisoner Prisoners Detainee Detainees Patient Patients Resident Residents Inmate Inmates Mum Dad "
    "Kingdom UK England Wales Scotland London Britain Europe Internet Wifi Xbox PlayStation Amazon").split())

#: Ordinary English words that are also given names or surnames: never a name by the list alone.
COMMON_WORDS = frozenset(
    "will may can mark bill pat rob sue frank jack don art ray guy chase hunter miles major dean grant cook "
    "price rice hall wood king young long little white black brown green day ward hill lane street page "
    "bell baker hope grace rose joy faith dawn june april august summer winter autumn sky star sunny rich "
    "penny ruby amber jade ivy holly lily iris daisy poppy heather violet pearl crystal honey candy ginger "
    "gay earl duke prince baron noble justice liberty mercy patience precious blessing gift favour peace "
    "victory harmony destiny trinity unique royal sterling carol christian norman french english "
    "more most less best good bad nice new old big fair close short tall strong wise gentle kind sweet "
    "new love lucky happy early rain river ocean stone rock clay glen heath forest bay brook field dale "
    "moss reed rush fox wolf hawk drake robin wren jay lark finch crane swan bear buck lamb hart "
    "stay lock bang help care time work food cell wing unit block house yard gate court law rule "
    "said told asked went came got saw made gave took left felt kept the and but for not all any one".split())

#: Words listed as non-names that are common surnames too: after a title they are the name (Officer Lane).
SURNAME_WORDS = frozenset("lane street day hall ward king young white black brown green court house sunday "
                          "monday friday may june april august christian english french".split())

#: Small words that end a lower-case name ("my name is john and ...").
_STOP = frozenset("a an and or but the to of in on at for with is was are were i im i'm he she they we it "
                  "not no yes very so if then that this there here my me you your".split())

# Words: letters in any script, with inner apostrophes or hyphens (O'Brien, McDonald-Smith, Zoë).
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_TITLE_WORDS = {tuple(t.lower().split()) for t in TITLES}
_SINGLE_TITLES = {t[0] for t in _TITLE_WORDS if len(t) == 1}
_MAX_TITLE = max(len(t) for t in _TITLE_WORDS)
_MY_NAME = re.compile(r"(?i)\b(?:my name is|my name's|i am called|i'm called|call me|named|called)\s+$")
_SENTENCE_END = re.compile(r"(?:^|[.!?:;\"“(\[\]\n•*-]\s*)$")

#: Faker locales whose name lists are read: English, and the languages most spoken by people held in the UK.
LOCALES = ("en_GB", "en_IE", "en_US", "en_NG", "en_IN", "en_PK", "ga_IE", "fr_FR", "de_DE", "es_ES", "it_IT",
           "pt_PT", "pt_BR", "pl_PL", "ro_RO", "lt_LT", "lv_LV", "cs_CZ", "sk_SK", "hu_HU", "nl_NL", "tr_TR",
           "sq_AL", "hr_HR", "bg_BG", "sv_SE", "da_DK", "no_NO", "fi_FI")


def fold(word: str) -> str:
    """``word`` without case or accents, for comparing names (``Zoë`` -> ``zoe``, ``Müller`` -> ``muller``)."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'").replace("ł", "l")


@functools.cache
def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """(given names, surnames), folded, from Faker's person providers; read once per process."""
    given: set[str] = set()
    family: set[str] = set()
    for locale in LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ImportError:  # a locale dropped by a later Faker: the others still count
            continue
        for attr in ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary"):
            given.update(fold(n) for n in getattr(provider, attr, ()) if isinstance(n, str))
        for attr in ("last_names", "last_names_male", "last_names_female"):
            family.update(fold(n) for n in getattr(provider, attr, ()) if isinstance(n, str))
    # Two-letter names (Al, Jo, Li) are too often something else; ordinary words are judged by shape only.
    drop = COMMON_WORDS | NOT_NAMES
    return (frozenset(n for n in given if len(n) > 2 and n not in drop),
            frozenset(n for n in family if len(n) > 2 and n not in drop))


def _cap(word: str) -> bool:
    return word[0].isupper() and (len(word) == 1 or not word.isupper())


def _upper(word: str) -> bool:
    return len(word) > 1 and word.isupper()


def _given(word: str) -> bool:
    return fold(word) in name_lists()[0]


def _family(word: str) -> bool:
    return fold(word) in name_lists()[1]


def _not_name(word: str) -> bool:
    return word.lower().strip("'’") in NOT_NAMES


def name_spans(text: str, shapes: bool = True) -> list[tuple[int, int]]:
    """``(start, end)`` of every name found in ``text``, in order, not overlapping (titles left out).

    ``shapes=False`` leaves out the rule for runs of capitalised words (for Title Case labels).
    """
    words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        taken = _after_cue(text, words, i) or _run(text, words, i, shapes) or _lower_pair(words, i)
        if taken:
            first, last = taken
            spans.append((words[first][0], words[last][1]))
            i = last + 1
        else:
            i += 1
    return spans


def _joined(text: str, words: list, a: int, b: int) -> bool:
    """Words ``a`` and ``b`` (= a + 1) are separated by spaces only (so one name can run across them)."""
    return text[words[a][1]:words[b][0]].strip(" ") == "" and words[b][0] - words[a][1] <= 2


def _after_cue(text: str, words: list, i: int) -> tuple[int, int] | None:
    """Word ``i`` starts a name after a title or "my name is" (returns the name's first and last word)."""
    start = words[i][0]
    cue = _MY_NAME.search(text[max(0, start - 20):start])
    title = None
    for n in range(_MAX_TITLE, 0, -1):  # the longest title ending just before word i ("Custody Manager")
        if i - n >= 0 and tuple(w[2].lower() for w in words[i - n:i]) in _TITLE_WORDS and \
                re.fullmatch(r"\.?\s+", text[words[i - 1][1]:start]) and \
                all(_joined(text, words, k, k + 1) for k in range(i - n, i - 1)):
            title = words[i - n][2]
            break
    if cue is None and title is None:
        return None
    honorific = cue is not None or (title is not None and title.lower() in HONORIFICS)
    last = None
    for k in range(i, min(i + 3, len(words))):
        if k > i and not _joined(text, words, k - 1, k):
            break
        word = words[k][2]
        if fold(word) in _STOP or (word.lower() in PLACE_WORDS and k == i):
            break
        shaped = _cap(word) or _upper(word)
        if not (shaped or honorific or _given(word) or _family(word)):
            break
        if shaped and _not_name(word) and word.lower() not in SURNAME_WORDS:
            break  # "Officer Support Grade": role words, not a name (but "Officer Lane" is one)
        last = k
        if not shaped and k > i:
            break  # lower case: a given name and one more word at most
    return (i, last) if last is not None else None


def _run(text: str, words: list, i: int, shapes: bool = True) -> tuple[int, int] | None:
    """A run of capitalised (or capital-letter) words starting at ``i`` that is a name."""
    if not (_cap(words[i][2]) or _upper(words[i][2])):
        return None
    j = i
    while j + 1 < len(words) and _joined(text, words, j, j + 1) and (_cap(words[j + 1][2]) or _upper(words[j + 1][2])):
        j += 1
    run = [w[2] for w in words[i:j + 1]]
    if run[0].lower() in _SINGLE_TITLES:
        return None  # the title stays; the name after it is found from the title
    if len(run[0]) == 1 and text[words[i][1]:words[i][1] + 1] == "." and i + 1 < len(words) and \
            re.fullmatch(r"\.\s?", text[words[i][1]:words[i + 1][0]]) and _cap(words[i + 1][2]) and \
            not _not_name(words[i + 1][2]):
        return i, i + 1  # J. Smith
    if run[-1].lower() in PLACE_WORDS or (len(run) > 1 and run[-2].lower() in PLACE_WORDS and len(run[-1]) == 1):
        return None  # A Wing, Rose Unit, Residential Unit B: places
    at_start = bool(_SENTENCE_END.search(text[:words[i][0]]))
    capitals = all(_upper(w) for w in run)
    if _given(run[0]) and not _not_name(run[0]):
        if len(run) > 1:  # John Smith, Jamie Lane, ZOË MÜLLER: a given name, the next word, maybe one more name
            third = i + 2 <= j and (not capitals or _given(run[2]) or _family(run[2]))
            return i, i + 2 if third else i + 1
        if not at_start and not capitals:
            return i, i  # ask Dave
    if capitals:
        return None  # shouting, acronyms: only the list of names says what is a name in capitals
    if shapes and len(run) > 1 and not any(_not_name(w) for w in run):
        if not at_start:
            return i, j  # since Jamie Fenwick was
        if len(run) > 2 or _family(run[-1]):
            return i, j  # Jamie Fenwick Smith said; Obi Okafor said
    # A name inside a longer run ("On Sunday Sarah Jones said"): start again at its given name.
    for k in range(i + 1, j):
        if _given(run[k - i]) and not _not_name(run[k - i]) and not _not_name(run[k - i + 1]):
            return k, min(j, k + 2)
    return None


def _lower_pair(words: list, i: int) -> tuple[int, int] | None:
    """A given name and a surname in lower case (``john smith``): both from the lists, neither an ordinary word."""
    if i + 1 >= len(words) or _cap(words[i][2]):
        return None
    first, second = words[i][2], words[i + 1][2]
    if fold(first) in _STOP or fold(second) in _STOP or _upper(first) != _upper(second):
        return None
    return (i, i + 1) if _given(first) and (_family(second) or _given(second)) else None
