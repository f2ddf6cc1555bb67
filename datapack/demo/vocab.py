"""What incident logs say and how often: rates by peer group, labels, sub-types, places, times of day.

Rates are per 1,000 average population a year (per 1,000 detentions for
police custody), close to the published orders of magnitude: self-harm far
higher in women's prisons and YOIs, violence highest in YOIs and reception
prisons, restraint and seclusion in secure hospitals. Adjudications are
thinned to keep national-scale runs quick; they are background, not a signal.
"""

from __future__ import annotations

import numpy as np

#: Canonical categories simulated from rates (deaths are placed one by one).
CATEGORIES = ("self_harm", "assault_on_staff", "assault_on_detainee", "fight", "use_of_force", "restraint",
              "segregation", "seclusion", "strip_search", "disciplinary")
VIOLENT = ("assault_on_staff", "assault_on_detainee", "fight", "use_of_force", "restraint", "segregation",
           "seclusion", "disciplinary")

_R = dict(zip(CATEGORIES, range(len(CATEGORIES))))


def _rates(**kw: float) -> np.ndarray:
    out = np.zeros(len(CATEGORIES))
    for key, value in kw.items():
        out[_R[key]] = value
    return out


#: function -> rate per category (CATEGORIES order)
RATES = {
    "Category B reception": _rates(self_harm=700, assault_on_staff=130, assault_on_detainee=220, fight=90,
                                   use_of_force=950, segregation=160, strip_search=260, disciplinary=450),
    "Category C training": _rates(self_harm=520, assault_on_staff=80, assault_on_detainee=160, fight=70,
                                  use_of_force=560, segregation=110, strip_search=160, disciplinary=380),
    "Category D open": _rates(self_harm=80, assault_on_staff=8, assault_on_detainee=15, fight=10, use_of_force=60,
                              segregation=20, strip_search=60, disciplinary=250),
    "High security": _rates(self_harm=600, assault_on_staff=150, assault_on_detainee=150, fight=50,
                            use_of_force=900, segregation=220, strip_search=300, disciplinary=420),
    "Women's local": _rates(self_harm=3200, assault_on_staff=120, assault_on_detainee=150, fight=60,
                            use_of_force=700, segregation=70, strip_search=90, disciplinary=400),
    "Young offender": _rates(self_harm=950, assault_on_staff=260, assault_on_detainee=550, fight=350,
                             use_of_force=1800, segregation=220, strip_search=200, disciplinary=700),
    "IRC": _rates(self_harm=180, assault_on_staff=40, assault_on_detainee=50, fight=20, use_of_force=260,
                  restraint=160, segregation=120, strip_search=30),
    "Secure hospital": _rates(self_harm=900, assault_on_staff=450, assault_on_detainee=300, restraint=1300,
                              seclusion=600),
    # per 1,000 detentions
    "Police custody": _rates(self_harm=8, assault_on_staff=12, use_of_force=90, restraint=45, strip_search=40),
}

_TYPE_LABEL = {"self_harm": "Self Harm", "assault_on_staff": "Assault on Staff", "fight": "Fight",
               "use_of_force": "Use of Force", "restraint": "Restraint", "segregation": "Segregation",
               "seclusion": "Seclusion", "strip_search": "Strip Search", "disciplinary": "Adjudication",
               "death": "Death in Custody"}


def type_label(category: str, facility_type: str) -> str:
    """The incident type as the log writes it for this kind of place."""
    if category == "assault_on_detainee":
        return {"irc": "Detainee on Detainee Assault", "police_custody": "Detainee on Detainee Assault",
                "secure_hospital": "Patient on Patient Assault"}.get(facility_type, "Prisoner on Prisoner Assault")
    if category == "segregation" and facility_type == "irc":
        return "Removal from Association"
    return _TYPE_LABEL[category]


#: Every type label used, for the configuration's value mapping.
TYPE_LABELS = {**{v: k for k, v in _TYPE_LABEL.items()}, "Prisoner on Prisoner Assault": "assault_on_detainee",
               "Detainee on Detainee Assault": "assault_on_detainee", "Patient on Patient Assault": "assault_on_detainee",
               "Removal from Association": "segregation"}

#: category -> (canonical sub-type, label, probability); restraint depends on the kind of place.
SUBTYPES = {
    "use_of_force": (("planned", "Planned", .2), ("spontaneous", "Spontaneous", .8)),
    "self_harm": (("cutting", "Cutting/scratching", .55), ("ligature", "Ligature", .12),
                  ("swallowing", "Swallowing objects", .07), ("head_banging", "Head banging", .11),
                  ("overdose", "Overdose", .05), ("other", "Other", .10)),
    "segregation": (("good_order", "Good order or discipline", .7), ("own_protection", "Own protection", .2),
                    ("awaiting_adjudication", "Awaiting adjudication", .1)),
    "strip_search": (("intelligence_led", "Intelligence led", .6), ("risk_assessed", "Risk assessed", .4)),
}
_RESTRAINT = {"police_custody": (.55, .45, 0, 0), "irc": (.45, .55, 0, 0), "secure_hospital": (.72, .03, .18, .07)}


def restraint_subtypes(facility_type: str) -> tuple[tuple[str, str, float], ...]:
    """Physical, mechanical, chemical and environmental restraint, weighted for the kind of place."""
    p = _RESTRAINT.get(facility_type, (.6, .4, 0, 0))
    return tuple((k.lower(), k, q) for k, q in zip(("Physical", "Mechanical", "Chemical", "Environmental"), p))


DEATH_LABELS = {"self_inflicted": "Self-inflicted", "natural": "Natural causes", "homicide": "Homicide",
                "awaiting": "Awaiting information"}

#: Every sub-type label used -> canonical value, for the configuration's value mapping.
SUBTYPE_LABELS = {label: key for opts in SUBTYPES.values() for key, label, _ in opts}
SUBTYPE_LABELS.update({label: label.lower() for label in ("Physical", "Mechanical", "Chemical", "Environmental")})
SUBTYPE_LABELS.update({v: k for k, v in DEATH_LABELS.items()})

#: category -> (hospital attendance probability, serious probability); None = not recorded.
SEVERITY = {"self_harm": (.06, None), "assault_on_staff": (.07, .12), "assault_on_detainee": (.09, .13),
            "fight": (.04, .06), "use_of_force": (.015, None), "restraint": (.01, None)}


def _profile(weights: list[float]) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return p / p.sum()


_NIGHT = [3, 2, 2, 1, 1, 1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 5, 6, 7, 8, 9, 9, 8, 6, 4]
_DAY = [1, .5, .5, .5, .5, .5, 1, 3, 8, 9, 8, 7, 8, 8, 8, 8, 9, 8, 5, 3, 2, 1.5, 1, 1]
#: category -> probability of each hour of the day
HOURS = {c: _profile(_NIGHT if c in ("self_harm", "seclusion") else _DAY) for c in CATEGORIES}

#: facility_type -> (ordinary locations, where segregation/seclusion happens)
LOCATIONS = {
    "prison": (("A Wing", "B Wing", "C Wing", "D Wing", "E Wing", "F Wing", "Healthcare", "Education",
                "Workshops", "Exercise Yard", "Visits Hall"), "Segregation Unit"),
    "womens_prison": (("Houseblock 1", "Houseblock 2", "Houseblock 3", "Houseblock 4", "Healthcare", "Education",
                       "Gym"), "Care and Separation Unit"),
    "yoi": (("Unit 1", "Unit 2", "Unit 3", "Unit 4", "Unit 5", "Education", "Gym"), "Care and Separation Unit"),
    "irc": (("Residential Unit A", "Residential Unit B", "Residential Unit C", "Healthcare", "Activities Hub"),
            "Care and Separation Unit"),
    "police_custody": (("Booking-in", "Cell corridor", "Cell", "Cell", "Cell", "Van dock"), "Cell"),
    "secure_hospital": (("Ward 1", "Ward 2", "Ward 3", "Courtyard", "Therapy Centre"), "Seclusion Suite"),
}
