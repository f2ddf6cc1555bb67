"""Incidents: monthly counts from rates (with the planted signals), then one row per incident.

Counts come first, as Poisson draws around each place's rate times its
population; the planted signals change the counts (a rising self-harm series,
small counts) or who is involved (use of force). Each count then becomes
rows with a time of day, a person present at the time, a sub-type, severity
and location: all vectorised, so a national estate takes seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from datapack.demo import vocab
from datapack.demo.estate import Facility
from datapack.demo.people import ETHNICITY, LABELS, Pool
from datapack.demo.population import Population, Timeline
from datapack.demo.signals import FORCE_GROUP, FORCE_WEIGHT, PLAN, RISE_FACTOR, RISE_MONTHS, SMALL_MAX

_CAT = {c: i for i, c in enumerate(vocab.CATEGORIES)}
_CANDIDATES = 8  # people considered per incident; the one involved is drawn by propensity


def simulate_counts(estate: tuple[Facility, ...], timeline: Timeline, pop: Population,
                    rng: np.random.Generator) -> np.ndarray:
    """Counts of shape (facilities, months, categories), signals applied."""
    base = pop.base(estate)
    rates = np.array([vocab.RATES[f.function] for f in estate])  # (n, C)
    police = np.array([not f.residential for f in estate])
    per_month = np.where(police[:, None, None], 1.0, timeline.days[None, :, None] / 365.25)
    # Each place sits a little above or below its peer rate, steadily.
    level = np.exp(rng.normal(0, 0.12, (len(estate), 1, len(vocab.CATEGORIES))))
    level[[i for i, f in enumerate(estate) if f.facility_id in PLAN.values()]] = 1.0
    expected = rates[:, None, :] / 1000 * base[:, :, None] * per_month * level
    ids = [f.facility_id for f in estate]
    if PLAN["self_harm_rise"] in ids and len(timeline) >= RISE_MONTHS + 6:
        i, k = ids.index(PLAN["self_harm_rise"]), _CAT["self_harm"]
        ramp = 1 + (RISE_FACTOR - 1) * np.arange(1, RISE_MONTHS + 1) / RISE_MONTHS
        expected[i, -RISE_MONTHS:, k] *= ramp
    counts = rng.poisson(expected)
    if PLAN["self_harm_rise"] in ids and len(timeline) >= RISE_MONTHS + 6:
        # Strictly rising for the last RISE_MONTHS months: a trend well past any control limit.
        tail = np.sort(counts[i, -RISE_MONTHS:, k])
        tail[0] = max(tail[0], int(np.percentile(counts[i, :-RISE_MONTHS, k], 75)) + 1)
        for j in range(1, len(tail)):
            tail[j] = max(tail[j], tail[j - 1] + 2)
        counts[i, -RISE_MONTHS:, k] = tail
    if PLAN["no_signal"] in ids:
        i = ids.index(PLAN["no_signal"])
        for k in range(counts.shape[2]):
            counts[i, :, k] = _common_cause(rng, expected[i, :, k], counts[i, :, k])
    if PLAN["small_counts"] in ids:
        counts[ids.index(PLAN["small_counts"])] = np.minimum(counts[ids.index(PLAN["small_counts"])], SMALL_MAX)
    return counts


def special_cause(x: np.ndarray) -> bool:
    """True when an XmR chart of ``x`` shows any special-cause rule (outside limits, trend, 2 of 3, shift)."""
    mean = x.mean()
    width = 2.66 * np.abs(np.diff(x)).mean()
    if width == 0:
        return False
    if np.any(np.abs(x - mean) > width):
        return True
    steps = np.sign(np.diff(x))
    for sign in (1, -1):
        run = 0
        for s in steps:
            run = run + 1 if s == sign else 0
            if run >= 6:  # 7 points each beyond the one before
                return True
    side = np.sign(x - mean)
    near = np.abs(x - mean) > width * 2 / 3
    for j in range(len(x) - 2):
        if abs(side[j:j + 3].sum()) == 3 and near[j:j + 3].sum() >= 2:
            return True
    run, last = 0, 0
    for s in side:
        run = run + 1 if (s == last and s != 0) else (1 if s != 0 else 0)
        last = s
        if run >= 7:
            return True
    return False


def _common_cause(rng: np.random.Generator, expected: np.ndarray, current: np.ndarray) -> np.ndarray:
    """A Poisson series around ``expected`` with no special cause (the no-signal place stays quiet)."""
    if expected.sum() == 0 or not special_cause(current.astype(float)):
        return current
    for candidate in rng.poisson(expected, size=(400, len(expected))):
        if not special_cause(candidate.astype(float)):
            return candidate
    return current


def _pick(rng: np.random.Generator, options: tuple, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(canonical keys, labels) for ``n`` draws from (key, label, probability) options."""
    p = np.array([o[2] for o in options], dtype=float)
    k = rng.choice(len(options), size=n, p=p / p.sum())
    return np.array([o[0] for o in options], dtype=object)[k], np.array([o[1] for o in options], dtype=object)[k]


def _choose_people(rng: np.random.Generator, pool: Pool, when: np.ndarray, held: np.ndarray,
                   weights_of: np.ndarray, boost: np.ndarray) -> np.ndarray:
    """For each incident, one of several people present, drawn by propensity (times ``boost``)."""
    n = len(when)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    u = rng.random((n, _CANDIDATES))
    cand = pool.present(np.repeat(when, _CANDIDATES), np.repeat(held, _CANDIDATES), u.ravel()).reshape(n, -1)
    w = weights_of[cand] * boost[cand]
    cum = np.cumsum(w, axis=1)
    pick = (cum < rng.random((n, 1)) * cum[:, -1:]).sum(axis=1)
    return cand[np.arange(n), np.minimum(pick, _CANDIDATES - 1)]


def expand(counts: np.ndarray, estate: tuple[Facility, ...], timeline: Timeline, pop: Population,
           pools: list[Pool], rng: np.random.Generator) -> pd.DataFrame:
    """One row per incident with canonical values (labels are applied when files are written)."""
    f_idx, m_idx, c_idx = np.nonzero(counts)
    reps = counts[f_idx, m_idx, c_idx]
    F, M, C = np.repeat(f_idx, reps), np.repeat(m_idx, reps), np.repeat(c_idx, reps)
    n = len(F)
    hour = np.zeros(n, dtype=int)
    for k, cat in enumerate(vocab.CATEGORIES):
        sel = C == k
        hour[sel] = rng.choice(24, size=int(sel.sum()), p=vocab.HOURS[cat])
    day = np.floor(rng.random(n) * timeline.days[M]).astype(int)
    occurred = (timeline.months.to_numpy()[M].astype("datetime64[m]") + (day * 1440 + hour * 60)
                .astype("timedelta64[m]") + rng.integers(0, 60, n).astype("timedelta64[m]"))
    person = np.zeros(n, dtype=np.int64)
    arrival = np.empty(n, dtype="datetime64[D]")
    traits = {t: np.zeros(n, dtype=np.int8) for t in LABELS}
    violent = np.isin(C, [_CAT[c] for c in vocab.VIOLENT])
    for i, f in enumerate(estate):
        rows = np.nonzero(F == i)[0]
        if not len(rows):
            continue
        pool = pools[i]
        if f.residential:
            ones = np.ones(len(pool))
            is_self_harm, is_violent = C[rows] == _CAT["self_harm"], violent[rows]
            is_force = np.zeros(len(rows), dtype=bool)
            groups = []
            if f.facility_id == PLAN["force_disproportion"]:
                is_force = C[rows] == _CAT["use_of_force"]
                group = pool.traits[FORCE_GROUP[0]] == ETHNICITY.index(FORCE_GROUP[1])
                groups.append((is_force, pool.risk_violence, np.where(group, FORCE_WEIGHT, 1.0)))
            groups += [(is_self_harm, pool.risk_self_harm, ones), (is_violent & ~is_force, pool.risk_violence, ones),
                       (~is_self_harm & ~is_violent, ones, ones)]
            who = np.empty(len(rows), dtype=np.int64)
            for sel, weights, boost in groups:
                r = rows[sel]
                who[sel] = _choose_people(rng, pool, occurred[r], pop.population[i, M[r]], weights, boost)
            arrival[rows] = pool.arrival[who]
        else:
            who = rng.integers(0, len(pool), len(rows))
            hours_before = (rng.uniform(0.3, 18, len(rows)) * 60).astype("timedelta64[m]")
            arrival[rows] = (occurred[rows] - hours_before).astype("datetime64[D]")
        person[rows] = who + pool.first_ref
        for t in traits:
            traits[t][rows] = pool.traits[t][who]
    frame = pd.DataFrame({
        "facility": F, "occurred": occurred.astype("datetime64[s]"),
        "category": np.array(vocab.CATEGORIES, dtype=object)[C], "person": person,
        "arrival_date": arrival.astype("datetime64[s]"),
        **{t: np.array(LABELS[t], dtype=object)[traits[t]] for t in LABELS},
    })
    _describe(frame, estate, rng)
    return frame


def _describe(frame: pd.DataFrame, estate: tuple[Facility, ...], rng: np.random.Generator) -> None:
    """Sub-type, severity, duration and location, in place."""
    n = len(frame)
    ftype = np.array([f.facility_type for f in estate], dtype=object)[frame["facility"].to_numpy()]
    sub_key = np.full(n, None, dtype=object)
    sub_label = np.full(n, None, dtype=object)
    cat = frame["category"].to_numpy()
    for c, options in vocab.SUBTYPES.items():
        sel = np.nonzero(cat == c)[0]
        sub_key[sel], sub_label[sel] = _pick(rng, options, len(sel))
    for t in sorted(set(ftype)):  # sorted: set order changes with the hash seed, and so would the draws
        sel = np.nonzero((cat == "restraint") & (ftype == t))[0]
        if len(sel):
            sub_key[sel], sub_label[sel] = _pick(rng, vocab.restraint_subtypes(t), len(sel))
    frame["subcategory"], frame["subcategory_label"] = sub_key, sub_label
    serious = np.full(n, None, dtype=object)
    hospital = np.full(n, None, dtype=object)
    for c, (p_hosp, p_serious) in vocab.SEVERITY.items():
        sel = np.nonzero(cat == c)[0]
        hospital[sel] = rng.random(len(sel)) < p_hosp
        if p_serious is not None:
            serious[sel] = rng.random(len(sel)) < p_serious
    frame["serious"], frame["hospital"] = serious, hospital
    duration = np.full(n, np.nan)
    median = np.where(cat == "seclusion", 10.0, np.where(ftype == "irc", 30.0, 70.0))
    held = np.isin(cat, ("segregation", "seclusion"))
    duration[held] = np.round(median[held] * np.exp(rng.normal(0, 0.9, int(held.sum()))), 1)
    frame["duration_hours"] = np.maximum(duration, 0.5)
    location = np.full(n, None, dtype=object)
    for t in sorted(set(ftype)):  # sorted: set order changes with the hash seed, and so would the draws
        ordinary, separate = vocab.LOCATIONS[t]
        sel = np.nonzero(ftype == t)[0]
        location[sel] = np.array(ordinary, dtype=object)[rng.integers(0, len(ordinary), len(sel))]
        location[sel[held[sel]]] = separate
        searched = sel[(cat[sel] == "strip_search") & (rng.random(len(sel)) < 0.5)]
        location[searched] = "Reception" if t != "police_custody" else "Booking-in"
    police = ftype == "police_custody"
    cells = np.nonzero(police & (location == "Cell"))[0]
    location[cells] = np.char.add("Cell ", rng.integers(1, 21, len(cells)).astype(str)).astype(object)
    frame["location"] = location
