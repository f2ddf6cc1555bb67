"""Values outside the canonical vocabulary: counted per column and reported with the nearest word.

Two kinds of column have a vocabulary. Columns with a fixed one (an
incident's category, a facility's type, a recommendation's status) are
checked as each file is mapped: a value outside it is left blank and
reported once per value, with how many rows hold it and the nearest word
(``Self-harm incident`` -> ``self_harm``). Person characteristics
(ethnicity, age band ...) take their groups from the population mix (the
``context`` table's ``Ethnicity: White`` factors) or ``checks.vocabulary``:
an incident whose group is not among them cannot be set against a
population and drops out of the equality analysis, so it is reported
(``White: British`` -> ``White``), never silently dropped. Raw ages
(``34``) are put into the age bands, or reported when no band holds them.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Any, Iterable

import pandas as pd

from datapack.adapters.cells import is_blank, normalise_label
from datapack.tables.checks.rows import RowProblems
from datapack.tables.schemas import CHARACTERISTICS

#: Age bands used when neither the population mix nor the configuration gives any (MoJ's bands).
DEFAULT_AGE_BANDS = ("Under 18", "18-20", "21-24", "25-29", "30-39", "40-49", "50-59", "60+")
#: Distinct unknown values reported one by one in a column; the rest are counted.
LIMIT = 20

_AGE = re.compile(r"^\s*(\d{1,3})(?:\.0+)?\s*$")
_RANGE = re.compile(r"^(\d{1,3})\s*(?:-|–|to)\s*(\d{1,3})(?:\s*(?:years?|yrs?))?$")
_UNDER = re.compile(r"^(?:under|below|less than|<)\s*(\d{1,3})(?:\s*(?:years?|yrs?))?$")
_OVER = re.compile(r"^(\d{1,3})\s*(?:\+|and over|and above|and older|or over|or older|plus)(?:\s*(?:years?|yrs?))?$")
_ABOVE = re.compile(r"^(?:over|above|>)\s*(\d{1,3})(?:\s*(?:years?|yrs?))?$")


def nearest(value: Any, words: Iterable[str]) -> str | None:
    """The canonical word closest to ``value``: one whose words it contains (earliest first), else the most alike."""
    key = normalise_label(value)
    tokens = key.split()
    forms = {normalise_label(w): w for w in words if normalise_label(w)}
    inside = []
    for form, word in forms.items():
        run = form.split()
        for i in range(len(tokens) - len(run) + 1):
            if tokens[i:i + len(run)] == run:
                inside.append((i, -len(run), word))
                break
    if inside:
        return min(inside)[2]
    close = difflib.get_close_matches(key, list(forms), n=1, cutoff=0.6)
    return forms[close[0]] if close else None


def drop_unknown(parsed: pd.Series, allowed: tuple[str, ...], name: str, heading: str, rows: pd.Series,
                 out: Any, covered: set | None = None) -> pd.Series:
    """``parsed`` with values outside ``allowed`` blanked; one problem per value, with its rows counted.

    ``out`` is mapping's collector; ``covered`` receives ``(row, heading)``
    of every blanked cell, so that the blank is not reported again as missing.
    """
    outside = parsed.notna() & ~parsed.isin(allowed)
    if not outside.any():
        return parsed
    values = pd.unique(parsed[outside])
    label = name.replace("_", " ")
    for i, value in enumerate(values):
        mask = outside & (parsed == value)
        if i == LIMIT:
            rest = outside & ~parsed.isin(values[:LIMIT])
            out.add("more", f"{len(values) - LIMIT} more values that are not a known {label} "
                    f"({int(rest.sum())} rows)", column=heading, hint="map the ones shown first; then run again")
            break
        count = int(mask.sum())
        near = nearest(value, allowed)
        out.add("value-unknown", f"{value!r} is not a known {label}" + (f" ({count} rows, the first here)" if count > 1
                else "") + (f"; nearest: {near}" if near else "") + "; left out",
                rows[mask].iloc[0], heading,
                hint=(f"if it means {near}, add {str(value)!r}: {near} under 'values: {name}:' in the configuration"
                      if near else f"map it under 'values: {name}:' in the configuration to one of: "
                      f"{', '.join(allowed)}"))
    if covered is not None:
        covered.update((int(r), heading) for r in rows[outside].dropna())
    return parsed.where(~outside, None)


def mix_groups(context: pd.DataFrame | None, characteristic: str) -> list[str]:
    """Groups of ``characteristic`` in the population mix (``Ethnicity: White`` gives ``White``)."""
    if context is None or context.empty or "factor" not in context.columns:
        return []
    parts = context["factor"].dropna().astype(str).drop_duplicates().str.partition(":")
    wanted = parts[parts[0].map(normalise_label) == normalise_label(characteristic)][2].str.strip()
    return [g for g in pd.unique(wanted) if g]


def check_characteristics(tables: dict[str, pd.DataFrame], settings: Any, out: RowProblems) -> dict[str, pd.DataFrame]:
    """Incidents with raw ages banded, and groups outside the vocabulary reported (the values kept)."""
    incidents = tables.get("incidents")
    if incidents is None or incidents.empty:
        return tables
    incidents = incidents.copy()
    for characteristic in CHARACTERISTICS:
        if characteristic not in incidents.columns or incidents[characteristic].isna().all():
            continue
        configured = settings.vocabulary.get(characteristic)
        words = list(configured or mix_groups(tables.get("context"), characteristic))
        origin = f"checks.vocabulary.{characteristic}" if configured else "the population mix"
        if characteristic == "age_band":
            incidents[characteristic] = _band_ages(incidents, words, out)
        if words:
            _outside(incidents, characteristic, words, origin, out)
    return {**tables, "incidents": incidents}


def _outside(frame: pd.DataFrame, column: str, words: list[str], origin: str, out: RowProblems) -> None:
    known = {normalise_label(w) for w in words}
    values = frame[column]
    unknown = {v for v in pd.unique(values.dropna()) if not is_blank(v) and normalise_label(v) not in known}
    outside = values.isin(list(unknown))
    if not outside.any():
        return
    part = frame[outside]
    label = column.replace("_", " ")
    for (source, value), rows in part.groupby(["_source", column], sort=False):
        near = _nearest_band(value, words) if column == "age_band" else nearest(value, words)
        out.add(rows.iloc[0].to_dict(), "group-unknown", f"{value!r} is not one of the {label} groups of {origin} "
                f"({', '.join(words)}): {len(rows)} incident row(s) left out of the equality analysis"
                + (f"; nearest: {near}" if near else ""), column,
                hint=(f"if it means {near}, add {str(value)!r}: {near} under 'values: {column}:' for this source"
                      if near else f"map it under 'values: {column}:' for this source to one of the groups")
                + (f", or add it to checks.vocabulary.{column}" if origin.startswith("checks") else ""))


def band_of(label: Any) -> tuple[float, float] | None:
    """The ages a band label covers: ``18-20``, ``18 to 20``, ``Under 18``, ``60+``, ``90 and over``."""
    if is_blank(label):
        return None
    text = str(label).strip().lower()
    if m := _RANGE.match(text):
        return float(m[1]), float(m[2])
    if m := _UNDER.match(text):
        return 0.0, float(m[1]) - 1
    if m := _OVER.match(text):
        return float(m[1]), math.inf
    if m := _ABOVE.match(text):
        return float(m[1]) + 1, math.inf
    return None


def _nearest_band(value: Any, words: list[str]) -> str | None:
    """The band that holds a band written differently (``15 to 17`` is within ``Under 18``)."""
    span = band_of(value)
    if span is None:
        return nearest(value, words)
    holding = [w for w in words if (b := band_of(w)) and b[0] <= span[0] and span[1] <= b[1]]
    return holding[0] if len(holding) == 1 else None


def _band_ages(frame: pd.DataFrame, words: list[str], out: RowProblems) -> pd.Series:
    """Raw ages put into the bands, and bands written differently relabelled (``18 to 20`` as ``18-20``)."""
    values = frame["age_band"]
    present = [v for v in pd.unique(values.dropna()) if band_of(v)]
    bands = [(w, band_of(w)) for w in (words or present or DEFAULT_AGE_BANDS) if band_of(w)]
    if not bands:
        return values
    mapping: dict[Any, Any] = {}
    for value in pd.unique(values.dropna()):
        age = _AGE.match(str(value))
        if age:
            holding = [w for w, (lo, hi) in bands if lo <= int(age[1]) <= hi]
            mapping[value] = holding[0] if len(holding) == 1 else None
        elif (span := band_of(value)) and str(value) not in dict(bands):
            same = [w for w, b in bands if b == span]
            if len(same) == 1:
                mapping[value] = same[0]
    if not mapping:
        return values
    changed = values.isin(list(mapping))
    result = values.where(~changed, values.map(mapping))
    shown = ", ".join(b for b, _ in bands)
    rejected = changed & result.isna()
    for source, rows in frame[rejected].groupby("_source", sort=False):
        ages = ", ".join(map(str, pd.unique(rows["age_band"])[:5]))
        out.add(rows.iloc[0].to_dict(), "age-unbanded", f"{len(rows)} age(s) ({ages}) fit none of the age bands "
                f"({shown}); left blank", "age_band",
                hint="correct the ages, or give the bands that hold them under checks.vocabulary.age_band")
    banded = changed & result.notna()
    for source, rows in frame[banded].groupby("_source", sort=False):
        examples = ", ".join(f"{v} as {mapping[v]}" for v in pd.unique(rows["age_band"])[:3])
        out.add(rows.iloc[0].to_dict(), "age-banded", f"{len(rows)} row(s) read into the age bands ({shown}): "
                f"{examples}", "age_band", severity="warning",
                hint="nothing to do if that is right; otherwise give the bands under checks.vocabulary.age_band")
    return result
