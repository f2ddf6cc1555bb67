"""The people held: a pool per place, with characteristics, arrival dates and pseudonymous references.

Each residential place gets a pool of people arriving over the period (and
before it, so it starts full). Who is "present" on a day is approximated by
the most recent arrivals, as many as the population. People differ in how
likely they are to self-harm or be involved in violence; a few account for
many incidents, as in real data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from datapack.demo.estate import Facility
from datapack.demo.population import Population, Timeline

AGE = ("Under 18", "18-20", "21-24", "25-29", "30-39", "40-49", "50-59", "60+")
SEX = ("Male", "Female")
ETHNICITY = ("White", "Black", "Asian", "Mixed", "Other")
RELIGION = ("Christian", "Muslim", "No religion", "Buddhist", "Jewish", "Other")
YES_NO = ("Y", "N")
NATIONALITY = ("British", "Other European", "Rest of world")
LABELS = {"age_band": AGE, "sex": SEX, "ethnicity": ETHNICITY, "religion": RELIGION, "disability": YES_NO,
          "nationality": NATIONALITY}

_ADULT_AGE = (0, .04, .11, .16, .31, .20, .12, .06)
_ETH = (.72, .13, .08, .05, .02)
#: facility_type or function -> characteristic -> probabilities (in LABELS order)
_MIX: dict[str, dict[str, tuple[float, ...]]] = {
    "default": {"age_band": _ADULT_AGE, "sex": (1, 0), "ethnicity": _ETH, "religion": (.42, .17, .33, .02, .01, .05),
                "disability": (.25, .75), "nationality": (.89, .07, .04)},
    "High security": {"age_band": (0, 0, .05, .13, .34, .24, .15, .09)},
    "Category B reception": {"ethnicity": (.70, .15, .08, .05, .02)},
    "womens_prison": {"sex": (0, 1), "disability": (.40, .60), "ethnicity": (.80, .08, .05, .05, .02)},
    "yoi": {"age_band": (0, .83, .17, 0, 0, 0, 0, 0), "ethnicity": (.58, .22, .10, .08, .02)},
    "irc": {"age_band": (0, .05, .16, .26, .34, .14, .04, .01), "ethnicity": (.22, .24, .36, .04, .14),
            "religion": (.35, .40, .12, .06, 0, .07), "nationality": (0, .30, .70), "disability": (.12, .88)},
    "police_custody": {"age_band": (.06, .12, .15, .17, .27, .14, .07, .02), "sex": (.85, .15),
                       "nationality": (.86, .09, .05)},
    "secure_hospital": {"age_band": (0, .03, .12, .20, .33, .20, .09, .03), "disability": (.70, .30)},
}
#: Average stay in months, so the pool turns over realistically.
_STAY = {"Category B reception": 5, "Category C training": 14, "Category D open": 8, "High security": 36,
         "Women's local": 4, "Young offender": 6, "IRC": 1.5, "Secure hospital": 18, "Police custody": 1}


def mix(facility: Facility) -> dict[str, tuple[float, ...]]:
    """The expected population mix of ``facility`` (probabilities per characteristic)."""
    out = dict(_MIX["default"])
    out.update(_MIX.get(facility.facility_type, {}))
    out.update(_MIX.get(facility.function, {}))
    return out


@dataclass
class Pool:
    """People who pass through one place: sorted by arrival."""

    arrival: np.ndarray                 # datetime64[D], ascending
    traits: dict[str, np.ndarray]       # characteristic -> index into LABELS[characteristic]
    risk_self_harm: np.ndarray
    risk_violence: np.ndarray
    first_ref: int                      # global number of the first person (for references)

    def __len__(self) -> int:
        return len(self.arrival)

    def present(self, when: np.ndarray, population: np.ndarray | float, u: np.ndarray) -> np.ndarray:
        """Indexes of people present on ``when`` (one per draw ``u`` in [0,1)): recent arrivals."""
        k = np.searchsorted(self.arrival, when.astype("datetime64[D]"), side="right")
        window = np.maximum(1, np.minimum(k, np.asarray(population).astype(int)))
        return np.clip(k - 1 - np.floor(u * window).astype(int), 0, len(self) - 1)


def build_pools(estate: tuple[Facility, ...], timeline: Timeline, pop: Population,
                rng: np.random.Generator) -> list[Pool]:
    """One pool per place; police custody pools are detainees (one arrival per detention, roughly)."""
    pools: list[Pool] = []
    first = 0
    start = np.datetime64(timeline.start, "D")
    end = np.datetime64(timeline.end, "D")
    span = float((end - start).astype(int))
    for i, f in enumerate(estate):
        stay = _STAY.get(f.function, 6) * 30.4
        if f.residential:
            mean_pop = float(np.nanmean(pop.population[i]))
            size = int(np.ceil(mean_pop * (1 + span / stay)))
            offsets = rng.uniform(-stay, span, size)
        else:
            size = int(np.nansum(pop.throughput[i]) * 0.8) + 1  # some people are detained more than once
            offsets = rng.uniform(0, span, size)
        arrival = np.sort(start + np.floor(offsets).astype("timedelta64[D]"))
        traits = {}
        for trait, p in mix(f).items():
            p = np.asarray(p, dtype=float)
            traits[trait] = rng.choice(len(p), size=size, p=p / p.sum()).astype(np.int8)
        shape = 0.25 if f.facility_type == "womens_prison" else 0.4
        pools.append(Pool(arrival, traits, rng.gamma(shape, 1 / shape, size), rng.gamma(0.6, 1 / 0.6, size), first))
        first += size
    return pools


def person_refs(numbers: np.ndarray, seed: int) -> np.ndarray:
    """Pseudonymous references like ``P-7F3A2C``: a scramble of the person's number (no collisions)."""
    width = 6 if numbers.size == 0 or numbers.max() < 0xFFFFFF else 8
    mask = (1 << (4 * width)) - 1
    salt = (seed * 2654435761) & mask
    # Multiplying by an odd number modulo 2**bits is a bijection, so two people never share a reference.
    scrambled = ((numbers.astype(np.int64) * 0x9E3779B1 + salt) & mask) ^ (salt >> 3)
    shifts = 4 * np.arange(width - 1, -1, -1)
    digits = np.array(list("0123456789ABCDEF"))[(scrambled[:, None] >> shifts) & 15]
    return np.char.add("P-", np.ascontiguousarray(digits).view(f"<U{width}").ravel())


def population_mix(estate: tuple[Facility, ...], timeline: Timeline, pop: Population,
                   pools: list[Pool]) -> pd.DataFrame:
    """People held by ethnicity at the start of each quarter (residential places): a wide table."""
    rows = []
    quarter_starts = [m for m in timeline.months if m.month in (1, 4, 7, 10)]
    for i, f in enumerate(estate):
        if not f.residential:
            continue
        for q in quarter_starts:
            m = timeline.months.get_loc(q)
            held = int(pop.population[i, m])
            k = int(np.searchsorted(pools[i].arrival, np.datetime64(q.date(), "D"), side="right"))
            codes = pools[i].traits["ethnicity"][max(0, k - held):k]
            counts = np.bincount(codes, minlength=len(ETHNICITY))
            rows.append({"facility_id": f.facility_id, "period_start": q.date(),
                         **{e: int(c) for e, c in zip(ETHNICITY, counts)}})
    return pd.DataFrame(rows)

