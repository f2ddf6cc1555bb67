"""The demo facility register: twelve named places, then generated ones for national-scale runs.

Every name is invented. :data:`REAL_NAMES` lists real UK establishments
whose names a generated name must never take.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

#: Names of real UK prisons, IRCs and secure hospitals (bare, lower case) a generated name must avoid.
REAL_NAMES = frozenset((
    "acklington", "addiewell", "albany", "aldine house", "altcourse", "ashfield", "ashwell", "ashworth",
    "askham grange", "aylesbury", "barlinnie", "bedford", "belmarsh", "berwyn", "birmingham", "blakenhurst",
    "blantyre house", "blundeston", "brinsford", "bristol", "brixton", "broadmoor", "brockhill", "bronzefield",
    "brook house", "buckley hall", "bullingdon", "bullwood hall", "bure", "camp hill", "campsfield", "canterbury",
    "cardiff", "carstairs", "castington", "castle huntly", "channings wood", "chelmsford", "clayfields",
    "coldingley", "colnbrook", "cookham wood", "cornton vale", "dartmoor", "deerbolt", "derwentside", "doncaster",
    "dorchester", "dovegate", "dover", "downview", "drake hall", "dungavel", "durham", "east sutton park",
    "eastwood park", "edmunds hill", "elmley", "erlestoke", "everthorpe", "exeter", "featherstone", "feltham",
    "five wells", "ford", "forest bank", "fosse way", "foston hall", "frankland", "full sutton", "garth", "gartree",
    "glen parva", "glenochil", "gloucester", "grampian", "grendon", "guys marsh", "harmondsworth", "haslar",
    "hatfield", "haverigg", "hewell", "hewell grange", "high down", "highpoint", "hindley", "hollesley bay",
    "holloway", "holme house", "hull", "humber", "huntercombe", "hydebank wood", "isis", "isle of wight", "kennet",
    "kilmarnock", "kingston", "kirkham", "kirklevington grange", "lancaster", "lancaster farms", "latchmere house",
    "leeds", "leicester", "lewes", "leyhill", "lincoln", "lindholme", "littlehey", "liverpool", "long lartin",
    "low moss", "low newton", "lowdham grange", "maghaberry", "magilligan", "maidstone", "manchester", "medway",
    "millsike", "moorland", "morton hall", "new hall", "north sea camp", "northallerton", "northumberland",
    "norwich", "nottingham", "oakhill", "oakwood", "onley", "parc", "parkhurst", "pentonville", "perth",
    "peterborough", "polmont", "portland", "prescoed", "preston", "rainsbrook", "rampton", "ranby", "reading",
    "risley", "rochester", "rye hill", "saughton", "send", "shepton mallet", "shotts", "shrewsbury", "spring hill",
    "stafford", "standford hill", "stocken", "stoke heath", "styal", "sudbury", "swaleside", "swansea",
    "swinfen hall", "thameside", "the mount", "the verne", "the weare", "thorn cross", "tinsley house", "usk",
    "wakefield", "wandsworth", "warren hill", "wayland", "wealstun", "wellingborough", "werrington", "wetherby",
    "whatton", "whitemoor", "winchester", "wolds", "woodhill", "wormwood scrubs", "wymott", "yarls wood",
))


@dataclass(frozen=True)
class Facility:
    """One place in the demo register, with what the simulation needs to know about it."""

    facility_id: str
    name: str               # as the register spells it, e.g. "HMP Northgate"
    short: str              # the bare name, e.g. "Northgate"
    facility_type: str
    function: str           # the peer group
    operator: str
    region: str
    capacity: int           # operational capacity (places, beds or cells)
    population_group: str
    body: str
    opened: dt.date
    bulletin_name: str = ""  # how the HMPPS-style bulletin writes it ("" = the short name)

    @property
    def residential(self) -> bool:
        """True unless the place holds people for hours (police custody)."""
        return self.facility_type != "police_custody"

    @property
    def in_bulletin(self) -> bool:
        """Prisons, YOIs, women's prisons and IRCs appear in the monthly bulletin."""
        return self.facility_type in ("prison", "yoi", "womens_prison", "irc")

    @property
    def rated(self) -> bool:
        """Places scored on the four healthy-establishment tests."""
        return self.facility_type in ("prison", "yoi", "womens_prison", "irc")

    @property
    def name_variants(self) -> tuple[str, ...]:
        """How incident exports write this place: full name, bare name, shouting with a suffix, the code."""
        tag = {"police_custody": "CUSTODY", "secure_hospital": "HOSPITAL", "irc": "IRC", "yoi": "YOI"}
        suffix = tag.get(self.facility_type, "HMP")
        return (self.name, self.short, f"{self.short.upper()} ({suffix})", self.facility_id)


HMIP = "HM Inspectorate of Prisons"
CQC = "Care Quality Commission"
POLICE_BODY = "HMICFRS and HM Inspectorate of Prisons (joint)"
PUBLIC = "Public sector"

#: The default estate, in this order; signal-bearing places first so small estates keep them.
NAMED: tuple[Facility, ...] = (
    Facility("NGT", "HMP Northgate", "Northgate", "prison", "Category B reception", PUBLIC, "North West", 1050,
             "Adult men", HMIP, dt.date(1968, 5, 1)),
    Facility("KSM", "HMP Kestrel Moor", "Kestrel Moor", "prison", "Category B reception",
             "Greyline Justice Services Ltd", "Yorkshire and the Humber", 880, "Adult men", HMIP,
             dt.date(2001, 9, 1), bulletin_name="Kestrel Moor (Wrenbury)"),
    Facility("CSB", "HMP Castlebridge", "Castlebridge", "prison", "Category B reception", PUBLIC, "West Midlands",
             780, "Adult men", HMIP, dt.date(1889, 3, 1)),
    Facility("LLS", "Linden Lodge Secure Unit", "Linden Lodge", "secure_hospital", "Secure hospital",
             "Northvale NHS Foundation Trust", "North East", 24, "Adult men (low secure mental health)", CQC,
             dt.date(2009, 4, 1)),
    Facility("HWM", "HMP & YOI Hollowmere", "Hollowmere", "womens_prison", "Women's local", PUBLIC, "South West",
             420, "Adult women and young women", HMIP, dt.date(1975, 6, 1)),
    Facility("BRF", "HMP Brackenfield", "Brackenfield", "prison", "Category C training", PUBLIC, "East of England",
             720, "Adult men", HMIP, dt.date(1992, 11, 1)),
    Facility("RVS", "HMP Ravenscar", "Ravenscar", "prison", "High security", PUBLIC, "North East", 600,
             "Adult men (high security)", HMIP, dt.date(1983, 2, 1)),
    Facility("SLT", "HMP Saltmoor", "Saltmoor", "prison", "Category C training", "Meridian Custodial Ltd",
             "South East", 950, "Adult men", HMIP, dt.date(2012, 7, 1)),
    Facility("WRF", "HMYOI Wrenfield", "Wrenfield", "yoi", "Young offender", PUBLIC, "East Midlands", 360,
             "Young men aged 18 to 21", HMIP, dt.date(1964, 10, 1)),
    Facility("FBK", "Fennbrook House IRC", "Fennbrook House", "irc", "IRC", "Meridian Custodial Ltd", "South East",
             380, "Adult men (immigration detention)", HMIP, dt.date(2006, 1, 1)),
    Facility("HSC", "Harbour Street Custody Suite", "Harbour Street", "police_custody", "Police custody",
             "Northvale Police", "North East", 40, "Adults and children", POLICE_BODY, dt.date(2014, 3, 1)),
    Facility("QLC", "Quarry Lane Custody Suite", "Quarry Lane", "police_custody", "Police custody",
             "Northvale Police", "North East", 18, "Adults and children", POLICE_BODY, dt.date(1998, 8, 1)),
)

_PREFIXES = ("Quill", "Tarn", "Yarrow", "Ember", "Sorrel", "Bramble", "Heron", "Lark", "Otter", "Rook", "Thistle",
             "Vetch", "Wychel", "Alder", "Cinder", "Drover", "Fallow", "Gorse", "Hazel", "Juniper", "Kite",
             "Linnet", "Merlin", "Nettle", "Osier", "Plover", "Rowan", "Sedge", "Teal", "Umber", "Wren", "Flint",
             "Marram", "Pewit", "Tansy", "Cobble", "Furze", "Harrier", "Lapwing", "Mallow")
_SUFFIXES = ("moor", "holt", "dene", "wold", "combe", "ridge", "stead", "mere", "gate", "ley", "hurst", "bank",
             "croft", "thwaite", "shaw")
_REGIONS = ("North West", "North East", "Yorkshire and the Humber", "East Midlands", "West Midlands",
            "East of England", "London", "South East", "South West", "Wales")
#: (facility_type, function, share of generated places, capacity range)
_MIX = (
    ("prison", "Category B reception", 0.18, (500, 1400)),
    ("prison", "Category C training", 0.28, (400, 1300)),
    ("prison", "Category D open", 0.06, (150, 500)),
    ("prison", "High security", 0.04, (450, 900)),
    ("womens_prison", "Women's local", 0.05, (200, 550)),
    ("yoi", "Young offender", 0.05, (200, 500)),
    ("irc", "IRC", 0.05, (100, 450)),
    ("police_custody", "Police custody", 0.22, (12, 60)),
    ("secure_hospital", "Secure hospital", 0.07, (15, 120)),
)


def _title(kind: str, short: str) -> tuple[str, str, str]:
    """(register name, population group, body) for a generated place."""
    return {
        "prison": (f"HMP {short}", "Adult men", HMIP),
        "womens_prison": (f"HMP & YOI {short}", "Adult women and young women", HMIP),
        "yoi": (f"HMYOI {short}", "Young men aged 18 to 21", HMIP),
        "irc": (f"{short} IRC", "Adult men (immigration detention)", HMIP),
        "police_custody": (f"{short} Custody Suite", "Adults and children", POLICE_BODY),
        "secure_hospital": (f"{short} Secure Unit", "Adults (secure mental health)", CQC),
    }[kind]


def _code(short: str, used: set[str]) -> str:
    """A three-letter code for ``short`` not already used (like a NOMIS code)."""
    letters = [c for c in short.upper() if c.isalpha()]
    candidates = [letters[0] + a + b for i, a in enumerate(letters[1:], 1) for b in letters[i + 1:]]
    candidates += [letters[0] + a + b for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
    code = next(c for c in candidates if c not in used)
    used.add(code)
    return code


def build_estate(count: int, rng: np.random.Generator) -> tuple[Facility, ...]:
    """The first ``count`` named places, then generated ones with invented names."""
    if count < 1:
        raise ValueError("facilities must be at least 1")
    estate = list(NAMED[:count])
    extra = count - len(estate)
    if extra <= 0:
        return tuple(estate)
    taken = {f.short.lower() for f in NAMED} | REAL_NAMES
    combos = [p + s for p in _PREFIXES for s in _SUFFIXES]
    combos = [combos[i] for i in rng.permutation(len(combos))]
    names = [c for c in combos if c.lower() not in taken]
    round_ = 0
    while len(names) < extra:  # very large estates: qualify repeats, as real registers do
        round_ += 1
        names += [f"{c} {['North', 'South', 'East', 'West'][round_ % 4]}" for c in combos][: extra - len(names)]
    used = {f.facility_id for f in NAMED}
    shares = np.array([m[2] for m in _MIX])
    kinds = rng.choice(len(_MIX), size=extra, p=shares / shares.sum())
    for short, k in zip(names[:extra], kinds):
        kind, function, _, (low, high) = _MIX[k]
        if kind == "police_custody":
            short = f"{short} Road"
        name, group, body = _title(kind, short)
        estate.append(Facility(
            _code(short, used), name, short, kind, function,
            PUBLIC if rng.random() < 0.75 else "Meridian Custodial Ltd", _REGIONS[rng.integers(len(_REGIONS))],
            int(rng.integers(low, high)), group, body,
            dt.date(int(rng.integers(1850, 2020)), int(rng.integers(1, 13)), 1)))
    return tuple(estate)
