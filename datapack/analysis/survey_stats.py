"""Survey statistics: % positive per question, and whether differences are significant.

The methods follow HM Inspectorate of Prisons' survey practice: per
question, the share giving a positive answer with its base; compared with
the same place's previous survey and with a pooled comparator of similar
places; broken down by respondent characteristics; and significance at
``p < 0.01`` (a setting) because a pack makes many comparisons at once.

Everything here returns raw figures. Nothing reaches a page without passing
:class:`datapack.disclosure.Control`; groups too small to discuss are
flagged here and carry no figures at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from datapack.adapters.cells import is_blank, normalise_label

#: Answers that say nothing either way: left out of the base (n_answering).
#: Compared with :func:`normalise_label`, so ``Don't know`` = ``dont_know``.
#: An answer the codebook lists as positive is always counted, even if listed here.
NOT_COUNTED: tuple[str, ...] = ("Don't know", "Not applicable", "N/A", "Prefer not to say")

#: Default significance level (HMIP uses 0.01 to allow for many comparisons).
ALPHA = 0.01

#: Fisher's exact test is used when any expected cell count is below this.
MIN_EXPECTED = 5

BETTER, WORSE = "significantly better", "significantly worse"
NO_DIFFERENCE, NO_COMPARISON = "no significant difference", "no valid comparison"
TOO_FEW = "too few to report"


@dataclass(frozen=True)
class Comparison:
    """Two proportions compared: ``p1`` (x1 of n1) against ``p2`` (x2 of n2).

    ``difference`` is ``p1 - p2`` in percentage points; ``direction`` says
    whether p1 is ``higher``, ``lower`` or the ``same``; ``test`` is ``z``,
    ``fisher`` or ``none`` (no valid comparison: a base of zero).
    """

    x1: float
    n1: float
    x2: float
    n2: float
    p1: float
    p2: float
    difference: float
    p_value: float
    test: str
    significant: bool
    direction: str

    @property
    def valid(self) -> bool:
        """False when one side had nobody answering."""
        return self.test != "none"


def compare_proportions(x1: float, n1: float, x2: float, n2: float, alpha: float = ALPHA) -> Comparison:
    """Two-sided test of x1/n1 against x2/n2.

    Rule: the pooled two-proportion z-test (identical to Pearson's
    chi-square on the 2x2 table without continuity correction) when every
    expected cell count ``n_i * p`` and ``n_i * (1 - p)`` (``p`` pooled) is
    at least :data:`MIN_EXPECTED`; otherwise Fisher's exact test, which
    stays right for small or extreme tables. A zero base gives "no valid
    comparison" (``test == "none"``, p-value NaN, not significant).
    """
    if pd.isna(n1) or pd.isna(n2) or not n1 or not n2:
        nan = float("nan")
        return Comparison(x1, n1, x2, n2, _pct(x1, n1) / 100, _pct(x2, n2) / 100, nan, nan, "none", False, "none")
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    expected = (n1 * pooled, n1 * (1 - pooled), n2 * pooled, n2 * (1 - pooled))
    if min(expected) >= MIN_EXPECTED:
        se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        p_value, test = float(2 * stats.norm.sf(abs(p1 - p2) / se)), "z"
    else:
        table = [[int(round(x1)), int(round(n1 - x1))], [int(round(x2)), int(round(n2 - x2))]]
        p_value, test = float(stats.fisher_exact(table, alternative="two-sided").pvalue), "fisher"
    direction = "higher" if p1 > p2 else "lower" if p1 < p2 else "same"
    return Comparison(x1, n1, x2, n2, p1, p2, 100 * (p1 - p2), p_value, test, p_value < alpha, direction)


def shading(comparison: Comparison, good_direction: str | None = "up") -> str:
    """HMIP's shading label for a comparison of "this place" (p1) with a comparator (p2).

    ``good_direction`` ``up`` (the default, also for blanks) means more
    positive answers are better; ``down`` means fewer are.
    """
    if not comparison.valid:
        return NO_COMPARISON
    if not comparison.significant or comparison.direction == "same":
        return NO_DIFFERENCE
    up_is_good = (good_direction or "up").strip().lower() != "down"
    return BETTER if (comparison.direction == "higher") == up_is_good else WORSE


def _codebook(codebook: pd.DataFrame) -> pd.DataFrame:
    """Questions with a positive answer list: survey, question, theme, good_direction, positive."""
    book = codebook.copy()
    for col in ("theme", "good_direction", "positive", "text"):
        if col not in book:
            book[col] = None
    book = book[~book["positive"].map(is_blank)]
    book = book.assign(survey=book["survey"].astype(str).str.strip(), question=book["question"].astype(str).str.strip(),
                       good_direction=book["good_direction"].map(
                           lambda d: "up" if is_blank(d) else str(d).strip().lower()))
    book = book[["survey", "question", "text", "theme", "good_direction", "positive"]]
    return book.drop_duplicates(["survey", "question"])


def percent_positive(responses: pd.DataFrame, codebook: pd.DataFrame, by: Sequence[str],
                     not_counted: Iterable[str] = NOT_COUNTED) -> pd.DataFrame:
    """Respondents answering and answering positively, per group of ``by`` columns.

    ``responses`` are long ``survey_responses`` rows (one per respondent and
    question); ``codebook`` is ``survey_questions``. A question without a
    ``positive`` list is skipped. Answers match the list after
    :func:`normalise_label`. The base ``n_answering`` leaves out blanks (not
    asked, not shown, not answered) and the ``not_counted`` answers.

    Returns ``by`` + ``n_answering``, ``n_positive``, ``pct`` (0-100, NaN on a
    zero base); when ``by`` holds ``survey`` and ``question``, also the
    codebook's ``text``, ``theme``, ``good_direction`` (blank read as up) and
    ``positive``. Vectorised: answers are normalised once per distinct value.
    """
    by = list(dict.fromkeys(by))
    book = _codebook(codebook)
    if responses.empty or book.empty:
        return pd.DataFrame(columns=by + ["n_answering", "n_positive", "pct"])
    positives = {(s, q): {normalise_label(p) for p in str(pos).split(";") if p.strip()}
                 for s, q, pos in book[["survey", "question", "positive"]].itertuples(index=False)}
    keys = pd.MultiIndex.from_arrays([responses["survey"].astype(str).str.strip(),
                                      responses["question"].astype(str).str.strip()])
    q_codes, q_uniques = pd.factorize(keys)
    known = np.array([key in positives for key in q_uniques], dtype=bool)[q_codes]
    # Free text has no positive list: dropping it first keeps the distinct answers few.
    frame, q_codes = responses.loc[known, list(dict.fromkeys(by + ["answer"]))], q_codes[known]
    a_codes, a_uniques = pd.factorize(frame["answer"], use_na_sentinel=True)
    a_norm = [normalise_label(a) for a in a_uniques]
    skip = {normalise_label(a) for a in not_counted}
    # Lookup tables over (question x distinct answer), the last column for blanks: per row, two indexings.
    is_pos = np.zeros((len(q_uniques), len(a_uniques) + 1), dtype=bool)
    is_counted = np.zeros_like(is_pos)
    for i, key in enumerate(q_uniques):
        wanted = positives.get(key)
        for j, norm in enumerate(a_norm if wanted is not None else ()):
            is_pos[i, j] = norm in wanted
            is_counted[i, j] = bool(norm) and (norm in wanted or norm not in skip)
    a_index = np.where(a_codes >= 0, a_codes, len(a_uniques))
    frame = frame[by].assign(n_answering=is_counted[q_codes, a_index].astype(np.int64),
                             n_positive=is_pos[q_codes, a_index].astype(np.int64))
    if not by:
        out = frame[["n_answering", "n_positive"]].sum().to_frame().T
    else:
        out = frame.groupby(by, dropna=False, sort=True, observed=True)[["n_answering", "n_positive"]].sum().reset_index()
    out["pct"] = 100 * out["n_positive"] / out["n_answering"].where(out["n_answering"] > 0)
    if {"survey", "question"} <= set(by):
        out = out.merge(book, on=["survey", "question"], how="left")
    return out.reset_index(drop=True)


def _prepare(results: pd.DataFrame, codebook: pd.DataFrame | None) -> pd.DataFrame:
    """The 'all respondents' rows (a survey_results table holds groups too), with theme and good direction."""
    if "group" in results:
        group = results["group"].map(lambda g: "" if is_blank(g) else str(g).strip().lower())
        results = results[group.isin(["", "all", "everyone", "total"])]
    if codebook is not None:
        book = _codebook(codebook)[["survey", "question", "theme", "good_direction"]]
        results = results.drop(columns=[c for c in ("theme", "good_direction") if c in results]).merge(
            book, on=["survey", "question"], how="left")
    for col in ("theme", "good_direction"):
        if col not in results:
            results = results.assign(**{col: None})
    return results


def survey_comparisons(results: pd.DataFrame, facility_id: str, survey: str, wave: str, peers: Sequence[str],
                       previous_wave: str | None = None, alpha: float = ALPHA,
                       codebook: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per question of the facility's survey: its % positive against its past and its peers.

    ``results`` is :func:`percent_positive` by ``facility_id, survey, wave,
    question`` (or a ``survey_results`` table; ``codebook`` then supplies
    ``good_direction``). The previous wave is the same facility's; the peer
    comparator pools the peers' counts (sum of n_positive / sum of
    n_answering), never including the facility itself. Each comparison
    carries ``*_difference`` (points), ``*_p_value``, ``*_test`` and a
    ``*_label`` (:func:`shading`).
    """
    res = _prepare(results, codebook)
    res = res.assign(wave=res["wave"].astype(str), facility_id=res["facility_id"].astype(str))
    res = res[res["survey"].astype(str) == str(survey)]
    here = res[(res["facility_id"] == str(facility_id)) & (res["wave"] == str(wave))]
    sums = ["n_answering", "n_positive"]
    before = (res[(res["facility_id"] == str(facility_id)) & (res["wave"] == str(previous_wave))]
              .groupby("question")[sums].sum() if previous_wave is not None else pd.DataFrame(columns=sums))
    peer_ids = [str(p) for p in peers if str(p) != str(facility_id)]
    pool = res[res["facility_id"].isin(peer_ids) & (res["wave"] == str(wave))]
    pooled = pool.groupby("question")[sums].sum()
    n_peers = pool[pool["n_answering"] > 0].groupby("question")["facility_id"].nunique()
    rows = []
    for rec in here.to_dict("records"):
        q = rec["question"]
        row = {"question": q, "theme": rec.get("theme"), "good_direction": rec.get("good_direction") or "up",
               "n_answering": rec["n_answering"], "n_positive": rec["n_positive"],
               "pct": _pct(rec["n_positive"], rec["n_answering"])}
        for prefix, table in (("previous", before), ("peers", pooled)):
            x, n = (table.loc[q, "n_positive"], table.loc[q, "n_answering"]) if q in table.index else (0, 0)
            cmp = compare_proportions(rec["n_positive"], rec["n_answering"], x, n, alpha)
            row.update({f"{prefix}_n_answering": n, f"{prefix}_n_positive": x, f"{prefix}_pct": _pct(x, n),
                        f"{prefix}_difference": cmp.difference, f"{prefix}_p_value": cmp.p_value,
                        f"{prefix}_test": cmp.test, f"{prefix}_label": shading(cmp, row["good_direction"])})
        row["peers_included"] = int(n_peers.get(q, 0))
        rows.append(row)
    return pd.DataFrame(rows)


def breakdown(responses: pd.DataFrame, codebook: pd.DataFrame, facility_id: str, survey: str, wave: str,
              characteristic: str, alpha: float = ALPHA, min_group: int = 5,
              not_counted: Iterable[str] = NOT_COUNTED) -> pd.DataFrame:
    """% positive per group of ``characteristic`` against the rest of the facility's respondents.

    Groups are the characteristic's values matched by :func:`normalise_label`;
    respondents with it blank or one of ``not_counted`` (e.g. "prefer not to
    say") belong to no group and are not in "the rest" either, so a group is
    compared with people known to be outside it. A group with fewer than
    ``min_group`` respondents, or whose rest has fewer, gets one row labelled
    "too few to report" and no figures. ``label`` is the group's shading
    against the rest.
    """
    not_counted = tuple(not_counted)
    part = responses[(responses["facility_id"].astype(str) == str(facility_id))
                     & (responses["survey"].astype(str) == str(survey)) & (responses["wave"].astype(str) == str(wave))]
    codes, uniques = pd.factorize(part[characteristic], use_na_sentinel=True)
    norms = np.array([normalise_label(u) for u in uniques] + [""], dtype=object)
    group = norms[np.where(codes >= 0, codes, len(uniques))]
    stated = (group != "") & ~pd.Series(group).isin({normalise_label(a) for a in not_counted}).to_numpy()
    part = part.loc[stated].assign(_group=group[stated])
    labels = {normalise_label(u): str(u) for u in reversed(list(uniques))}  # first spelling seen wins
    people = part.groupby("_group")["respondent"].nunique()
    everyone = part["respondent"].nunique()
    counts = percent_positive(part, codebook, ["survey", "question", "_group"], not_counted)
    totals = counts.groupby("question")[["n_answering", "n_positive"]].sum()
    rows = []
    for g in sorted(people.index):
        if people[g] < min_group or everyone - people[g] < min_group:
            rows.append({"group": labels.get(g, g), "question": None, "label": TOO_FEW})
            continue
        for rec in counts[counts["_group"] == g].to_dict("records"):
            q = rec["question"]
            rest_x = totals.loc[q, "n_positive"] - rec["n_positive"]
            rest_n = totals.loc[q, "n_answering"] - rec["n_answering"]
            cmp = compare_proportions(rec["n_positive"], rec["n_answering"], rest_x, rest_n, alpha)
            rows.append({"group": labels.get(g, g), "question": q, "respondents": int(people[g]),
                         "theme": rec.get("theme"), "good_direction": rec.get("good_direction"),
                         "n_answering": rec["n_answering"], "n_positive": rec["n_positive"], "pct": rec["pct"],
                         "rest_n_answering": rest_n, "rest_n_positive": rest_x, "rest_pct": _pct(rest_x, rest_n),
                         "difference": cmp.difference, "p_value": cmp.p_value, "test": cmp.test,
                         "significant": cmp.significant, "label": shading(cmp, rec.get("good_direction"))})
    return pd.DataFrame(rows, columns=["group", "question", "respondents", "theme", "good_direction", "n_answering",
                                       "n_positive", "pct", "rest_n_answering", "rest_n_positive", "rest_pct",
                                       "difference", "p_value", "test", "significant", "label"])


def matched_questions(codebook: pd.DataFrame, themes: Iterable[str] | None = None, detainee_survey: str = "detainee",
                      staff_survey: str = "staff") -> list[tuple[str, str, str]]:
    """``(theme, detainee question, staff question)`` pairs sharing a theme in the codebook.

    Only questions with a positive list and the same good direction are
    paired (so both sides measure the same way round); options of
    multi-select questions (positive ``selected``) are left out.
    """
    book = _codebook(codebook)
    book = book[book["positive"].map(normalise_label) != "selected"]
    book = book.assign(_theme=book["theme"].map(normalise_label))
    wanted = None if themes is None else {normalise_label(t) for t in themes}
    det, staff = book[book["survey"] == detainee_survey], book[book["survey"] == staff_survey]
    pairs = det.merge(staff, on=["_theme", "good_direction"], suffixes=("_d", "_s"))
    pairs = pairs[(pairs["_theme"] != "") & (pairs["_theme"].isin(wanted) if wanted is not None else True)]
    return [(t, d, s) for t, d, s in pairs[["theme_d", "question_d", "question_s"]].itertuples(index=False)]


def staff_detainee_gap(results: pd.DataFrame, facility_id: str,
                       matched_themes: Sequence[tuple[str, str, str]] | Iterable[str] | None = None,
                       wave: str | None = None, alpha: float = ALPHA, codebook: pd.DataFrame | None = None,
                       detainee_survey: str = "detainee", staff_survey: str = "staff") -> pd.DataFrame:
    """Staff and detainee answers on the same theme, side by side, with the gap in points.

    ``matched_themes`` is a list of ``(theme, detainee question, staff
    question)`` pairs, or theme names (or None for every shared theme)
    paired by :func:`matched_questions` from ``codebook`` or, failing that,
    from the ``theme``/``good_direction``/``positive`` columns of
    ``results``. ``gap`` = staff % - detainee % positive; ``label`` says
    whether staff answer significantly more or less favourably (read with
    the question's good direction), the "us and them" signal. ``wave``
    defaults to the latest wave both surveys share at the facility.
    """
    res = _prepare(results, codebook)
    res = res[res["facility_id"].astype(str) == str(facility_id)].assign(wave=lambda f: f["wave"].astype(str))
    if matched_themes is None or all(isinstance(m, str) for m in matched_themes):
        book = codebook if codebook is not None else res.drop_duplicates(["survey", "question"])
        pairs = matched_questions(book, matched_themes, detainee_survey, staff_survey)
    else:
        pairs = list(matched_themes)
    if wave is None:
        shared = (set(res.loc[res["survey"] == detainee_survey, "wave"])
                  & set(res.loc[res["survey"] == staff_survey, "wave"]))
        wave = max(shared) if shared else None
    here = res[res["wave"] == str(wave)].set_index(["survey", "question"])
    rows = []
    for theme, det_q, staff_q in pairs:
        d = here.loc[(detainee_survey, det_q)] if (detainee_survey, det_q) in here.index else None
        s = here.loc[(staff_survey, staff_q)] if (staff_survey, staff_q) in here.index else None
        dx, dn = (d["n_positive"], d["n_answering"]) if d is not None else (0, 0)
        sx, sn = (s["n_positive"], s["n_answering"]) if s is not None else (0, 0)
        cmp = compare_proportions(sx, sn, dx, dn, alpha)
        rows.append({"theme": theme, "wave": wave, "detainee_question": det_q, "staff_question": staff_q,
                     "detainee_n_answering": dn, "detainee_n_positive": dx, "detainee_pct": _pct(dx, dn),
                     "staff_n_answering": sn, "staff_n_positive": sx, "staff_pct": _pct(sx, sn),
                     "gap": cmp.difference, "p_value": cmp.p_value, "test": cmp.test,
                     "significant": cmp.significant, "label": _gap_label(cmp, d if d is not None else s)})
    return pd.DataFrame(rows)


def _gap_label(cmp: Comparison, row: pd.Series | None) -> str:
    # Said as "favourable" so a question where fewer positive answers are good reads the right way round.
    if not cmp.valid:
        return NO_COMPARISON
    if not cmp.significant or cmp.direction == "same":
        return NO_DIFFERENCE
    down = row is not None and str(row.get("good_direction") or "up").strip().lower() == "down"
    kinder = (cmp.direction == "higher") != down
    return f"staff significantly {'more' if kinder else 'less'} favourable"


def _pct(x: float, n: float) -> float:
    return 100 * x / n if not pd.isna(n) and n else float("nan")
