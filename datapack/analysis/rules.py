"""The rules behind the areas for enquiry, registered by name for the master list.

Each rule looks at one facility and returns ``(hits, checked)``: a
:class:`~datapack.analysis.enquiry_entry.Hit` per thing worth a look (the figures
for the sentence, already through disclosure control, and the evidence
behind them), and the subjects it checked (for "reviewed: nothing to
highlight"). Thresholds come from ``analysis:`` settings, never from here.
"""

from __future__ import annotations

from typing import Any, Callable

import pandas as pd

from datapack.analysis import figures
from datapack.analysis import spc as spc_mod
from datapack.analysis.enquiry_entry import Entry, Hit
from datapack.analysis.spc_rare import compare_poisson
from datapack.analysis.text import CATEGORY_LABELS, lower_first, period_label
from datapack.analysis.text import month_label as text_month_label

RULES: dict[str, Callable] = {}
OUTSTANDING = ("not_achieved", "partly_achieved", "open")


def rule(fn: Callable) -> Callable:
    """Register a rule under its function name."""
    RULES[fn.__name__] = fn
    return fn


# --- formatting helpers (Python formats; templates only lay out) -------------------------------------------

def month_label(period: Any) -> str:
    """'September 2026' for a period or a 'YYYY-MM' string."""
    return text_month_label(pd.Period(str(period), freq="M"))


def p_text(p: float | None) -> str:
    if p is None or pd.isna(p):
        return "not computed"
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def base_word(basis: str) -> str:
    """What a rate is per, after ``per 1,000``: the one wording of :func:`figures.rate_label`."""
    return figures.basis_words(basis)


def _rate(a: Any, fid: str, ind: Any, period: str) -> str:
    """An indicator's rate for one period, as the pack's table of indicators shows it."""
    return figures.indicator_rate(a, fid, ind, period).rate.text


def _window(a: Any, indicator: str | None = None) -> str:
    """The length of the periods compared, in words (``12 months``): ``analysis.window_months``."""
    return figures.window_label(figures.window_months(a, indicator))


def _num(x: Any) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def _evidence(a: Any, facility_id: str, indicator: str | None, figures: dict[str, str], compared: str,
              links: dict[str, str], categories: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"figures": figures, "compared_with": compared, "links": links,
            "sources": a.sources_for(facility_id, categories=categories, indicator=indicator)}


#: What a peer rule says it reviewed when there was no place like this one to compare with.
NO_LIKE = "not compared: too few places of its type"


def _peer_phrase(peer: dict[str, Any]) -> str:
    """Who the facility was compared with, as words."""
    if peer["compared_with"] == "peers":
        return f"its {peer['peer_group']} peers"
    if peer["compared_with"] == "type":
        return f"all {int(peer['n_compared'])} places of its type (its peer group is too small)"
    return "no place of its type (too few to compare with)"


def _indicators(a: Any, include_rare: bool = False, kinds: tuple[str, ...] = ("incidents",)):
    for ind in a.definitions.indicators:
        if ind.kind in kinds and (include_rare or not ind.rare):
            yield ind


# --- deaths ------------------------------------------------------------------------------------------------

@rule
def self_inflicted_death(a: Any, fid: str, entry: Entry) -> tuple[list[Hit], list[str]]:
    """Any self-inflicted death in the latest period is raised, however few: each one matters."""
    period = a.period(fid, "deaths_self_inflicted")
    if not period or pd.isna(period["last_count"]):
        return [], []
    n = int(period["last_count"])
    if n == 0:
        return [], ["self-inflicted deaths"]
    shown = a.control.count(n, hidden=a.count_hidden(fid, "deaths_self_inflicted", "last"))
    count_text = ("At least one self-inflicted death was recorded" if shown.hidden
                  else f"{shown.text} self-inflicted death{'s were' if n > 1 else ' was'} recorded")
    latest = a.latest_event(fid, ("death",), ("self_inflicted",))
    values = {"count_text": count_text, "latest_month": month_label(latest) if latest else "the period",
              "window": _window(a, "deaths_self_inflicted")}
    return [Hit("deaths_self_inflicted", values, _evidence(
        a, fid, "deaths_self_inflicted", {f"Self-inflicted deaths, last {values['window']}": shown.text},
        "any self-inflicted death is raised", {"table": "table-indicators"}, ("death",)))], []


@rule
def deaths_above_peers(a: Any, fid: str, entry: Entry) -> tuple[list[Hit], list[str]]:
    """More deaths than the peer rate would lead one to expect (exact Poisson test)."""
    period, peer = a.period(fid, "deaths"), a.peer(fid, "deaths")
    if not period or not peer or pd.isna(period["last_count"]) or not period["last_base"] > 0:
        return [], []
    if peer["compared_with"] not in ("peers", "type"):
        return [], [NO_LIKE]
    others = a.results.periods[(a.results.periods["indicator"] == "deaths")
                               & a.results.periods["facility_id"].isin(a.pool_ids(fid, "deaths"))]
    others = others.dropna(subset=["last_count", "last_base"])
    if others.empty or others["last_base"].sum() <= 0:
        return [], ["deaths"]
    test = compare_poisson(period["last_count"], period["last_base"], others["last_count"].sum(),
                           others["last_base"].sum())
    if not (period["last_count"] > test.expected1 and test.p_value < a.settings.alpha):
        return [], ["deaths"]
    values = {"count": a.control.count(period["last_count"], hidden=a.count_hidden(fid, "deaths", "last")).text,
              "expected": f"{test.expected1:.1f}",
              "peer_group": _peer_phrase(peer),
              "p": p_text(test.p_value), "window": _window(a, "deaths")}
    return [Hit("deaths", values, _evidence(a, fid, "deaths", {f"Deaths, last {values['window']}": values["count"],
                                                               "Expected at the peer rate": values["expected"]},
                                             "the pooled death rate of peers", {"table": "table-indicators"},
                                             ("death",)))], []


# --- change over time --------------------------------------------------------------------------------------

def _pattern(summary: dict[str, Any]) -> tuple[str, str] | None:
    """Words for the latest special cause of concern, and the month (or quarter) it started."""
    trend, shift = summary.get("trend"), summary.get("shift")
    grain = summary.get("grain", "month")
    if trend and trend["ongoing"] and trend["type"] == "concern":
        verb = "rose" if trend["direction"] == "up" else "fell"
        return f"{verb} for {trend['length'] - 1} consecutive {grain}s", period_label(trend["start"])
    if shift and shift["ongoing"] and shift["type"] == "concern":
        return (f"has been {shift['direction']} its average for {shift['length']} consecutive {grain}s",
                period_label(shift["start"]))
    if summary.get("latest_type") == "concern":
        side = "above the upper" if summary.get("latest_direction") == "high" else "below the lower"
        return f"was {side} control limit", period_label(summary["latest_period"])
    return None


#: What each chart is called in an area's evidence.
CHART_NAMES = {"xmr": "XmR control chart", "u": "u-chart", "laney": "Laney u′ chart"}


@rule
def spc_concern(a: Any, fid: str, entry: Entry) -> tuple[list[Hit], list[str]]:
    """The latest point, or a run reaching it, is a special cause of concern (on the chart the pack shows)."""
    hits, checked = [], []
    for ind in _indicators(a):  # crowding has its own rule: a rise below capacity is no concern
        result = a.signals.chart(fid, ind.id)
        if result is None or ind.good_direction == "neutral":
            continue
        checked.append(ind.label.lower())
        summary = spc_mod.summary(result)
        found = _pattern(summary)
        if not found:
            continue
        words, since = found
        grain = result.grain
        latest_period = summary["latest_period"]
        measure = a.signals.measure.get((fid, ind.id))
        if grain == "month":
            row = a.month_row(fid, ind.id, latest_period)
            if a.chart_hidden(fid, ind.id)[-1]:  # the latest month is hidden on the chart: not quoted either
                row = {"count": None, "base": None}
            latest = (figures.rate_of(a.control, row["count"], row["base"], scale=ind.scale, basis=a.basis(fid),
                                      months=1, crowding=ind.kind == "crowding").rate.text if measure == "rate"
                      else a.control.count(row["count"]).text)
        else:  # a quarter: its point as the chart shows it, unless the chart hides it
            hidden = a.chart_mask(fid, ind.id)[-1]
            value = result.values[-1]
            latest = ("hidden" if hidden or pd.isna(value) else
                      f"{value:,.1f}" if measure == "rate" else a.control.count(value).text)
        unit = "%" if ind.kind == "crowding" else (f" {figures.rate_label(a.basis(fid), ind.scale)}"
                                                   if measure == "rate" else "")
        subject = (ind.label if ind.kind == "crowding" else
                   f"The {grain}ly {'rate' if measure == 'rate' else 'number'} of {lower_first(ind.label)}")
        if not latest[0].isdigit():
            latest = "a level not shown here (small numbers)"
        values = {"subject": subject, "pattern": words, "latest": f"{latest}{unit}" if latest[0].isdigit() else latest,
                  "latest_month": period_label(latest_period), "since": since}
        hits.append(Hit(ind.id, values, _evidence(
            a, fid, ind.id, {f"Latest {grain}": values["latest"], "Pattern": words,
                             "Trial limits": "yes" if summary["trial"] else "no"},
            f"the facility's own {grain}ly pattern ({CHART_NAMES.get(result.kind, 'control chart')})",
            {"chart": f"chart-spc-{ind.id}"}, tuple(ind.numerator.categories))))
    return hits, checked


@rule
def rise_12_months(a: Any, fid: str, entry: Entry) -> tuple[list[Hit], list[str]]:
    """A rise (or, where more is better, a fall) on the previous period beyond the threshold, unlikely by chance."""
    hits, checked = [], []
    for ind in _indicators(a):
        p = a.period(fid, ind.id)
        if not p or ind.good_direction == "neutral" or pd.isna(p["last_count"]) or pd.isna(p["prev_count"]):
            continue
        if ind.numerator.count == "duration_hours":
            continue  # hours are not event counts: no exact Poisson test
        checked.append(ind.label.lower())
        change = p["change"]
        worse = change >= a.settings.rise_threshold if ind.good_direction == "down" else change <= -a.settings.rise_threshold
        if pd.isna(change) or not worse or not (p["last_base"] > 0 and p["prev_base"] > 0):
            continue
        test = compare_poisson(p["last_count"], p["last_base"], p["prev_count"], p["prev_base"])
        if test.p_value >= a.settings.alpha:
            continue
        values = {"indicator": lower_first(ind.label), "rate": _rate(a, fid, ind, "last"),
                  "prev_rate": _rate(a, fid, ind, "prev"),
                  "moved": "rose" if change > 0 else "fell",
                  "base_word": base_word(p["basis"]), "change": f"{'up' if change > 0 else 'down'} {abs(change):.0%}",
                  "p": p_text(test.p_value), "window": _window(a, ind.id)}
        hits.append(Hit(ind.id, values, _evidence(
            a, fid, ind.id, {f"Last {values['window']}": values["rate"],
                             f"Previous {values['window']}": values["prev_rate"]},
            f"the same facility's previous {values['window']}", {"chart": f"chart-spc-{ind.id}", "table": "table-indicators"},
            tuple(ind.numerator.categories))))
    return hits, checked


# --- peers -------------------------------------------------------------------------------------------------

@rule
def peer_outlier_high(a: Any, fid: str, entry: Entry) -> tuple[list[Hit], list[str]]:
    """Beyond the funnel limit on the side that is worse."""
    hits, checked, unlike = [], [], False
    for ind in _indicators(a):
        peer, p = a.peer(fid, ind.id), a.period(fid, ind.id)
        unlike |= bool(peer) and peer["compared_with"] == "none"
        if not peer or not p or not isinstance(peer.get("flag"), str) or ind.good_direction == "neutral":
            continue
        if peer["compared_with"] not in ("peers", "type"):  # no like-for-like comparison
            continue
        checked.append(ind.label.lower())
        bad_side = "above" if ind.good_direction == "down" else "below"
        if not str(peer["flag"]).startswith(bad_side):
            continue
        level = str(peer["flag"]).split("_")[1]
        group = _peer_phrase(peer)
        shown = figures.indicator_rate(a, fid, ind, "last")
        values = {"indicator": lower_first(ind.label), "rate": shown.rate.text,
                  "base_word": base_word(p["basis"]), "count": shown.count.text,
                  "peer_rate": f"{peer['target']:,.1f}", "peer_group": group, "level": level,
                  "window": shown.window}
        hits.append(Hit(ind.id, values, _evidence(
            a, fid, ind.id, {f"Rate, last {values['window']}": values["rate"], "Peer rate": values["peer_rate"],
                             "Funnel limit crossed": f"{level}%"},
            f"{group}: funnel limits at 95% and 99.8%"
            + (", widened for over-dispersion" if peer.get("adjusted") else ""),
            {"chart": f"chart-funnel-{ind.id}"}, tuple(ind.numerator.categories)), level=level))
    if not checked and unlike:
        checked = [NO_LIKE]
    return hits, checked


# --- people at risk ----------------------------------------------------------------------------------------

@rule
def disproportionate_practice(a: Any, fid: str, entry: Entry) -> tuple[list[Hit], list[str]]:
    """A group's rate of a restrictive practice against everyone else's, beyond the threshold, CI excluding 1.

    Only groups above the disclosure threshold are discussed (the analysis
    gives no figures for smaller ones).
    """
    table = a.equality(fid)
    if table.empty:
        return [], []
    checked = sorted({CATEGORY_LABELS.get(p, p).lower() for p in table["practice"]})
    flagged = table[(table["flagged"] == True) & (table["relative_rate"] > 1)]  # noqa: E712
    hits = []
    for row in flagged.sort_values("relative_rate", ascending=False).to_dict("records"):
        practice = CATEGORY_LABELS.get(row["practice"], row["practice"].replace("_", " "))
        conf = round(100 * a.equality_confidence)
        values = {"practice": practice, "group": str(row["group"]), "ratio": f"{row['relative_rate']:.1f}",
                  "ci_level": str(conf), "low": f"{row['ci_low']:.1f}", "high": f"{row['ci_high']:.1f}",
                  "population_share": f"{row['population_share']:.0%}", "incident_share": f"{row['incident_share']:.0%}"}
        subject = f"{row['practice']}:{row['characteristic']}:{row['group']}"
        # high only when even the lower end of the interval passes the threshold
        severity = None if row["ci_low"] >= a.settings.equality_threshold else "medium"
        hits.append(Hit(subject, values, severity=severity, evidence=_evidence(
            a, fid, None, {"Incidents involving the group": a.control.count(row["incidents"]).text,
                           "Share of incidents": values["incident_share"],
                           "Share of the population": values["population_share"],
                           f"Relative rate ({conf}% CI)": f"{values['ratio']} ({values['low']} to {values['high']})"},
            "everyone else held at the facility over the same months (people, not incidents, counted)",
            {"chart": f"chart-equality-{row['practice']}-{row['characteristic']}"}, (row["practice"],))))
    return hits, checked


@rule
def early_days(a: Any, fid: str, entry: Entry) -> tuple[list[Hit], list[str]]:
    """A higher share of incidents in the first week after arrival than at peer places."""
    days = int(entry.params.get("days", 7))
    hits, checked = [], []
    for share in a.early:
        if share.facility_id != fid or share.days != days:
            continue
        group = CATEGORY_LABELS.get(share.group, share.group.replace("_", " ")).lower()
        checked.append(f"{group} in the {share.label}")
        if not share.higher_than_peers:
            continue
        pct = a.control.percent(share.early, share.known)
        peer = a.control.percent(share.peer_early, share.peer_known)
        values = {"share": pct.text, "group": group, "window": share.label,
                  "early": a.control.count(share.early).text, "known": a.control.count(share.known).text,
                  "peer_share": peer.text}
        hits.append(Hit(f"early:{share.group}", values, _evidence(
            a, fid, None, {"In the first 7 days": f"{values['early']} of {values['known']}",
                           "Peer share": peer.text}, "peer places pooled (the facility left out)",
            {"table": "table-early-days"}, ())))
    return hits, checked


# --- surveys -----------------------------------------------------------------------------------------------

_WHO = {"staff": "staff"}


def _answer_phrase(entry: dict[str, Any], key: str) -> tuple[str, str]:
    """'answered "yes"' and the question; for an option of a multi-select, 'chose "Drugs"' and its stem."""
    text = entry.get("text") or key
    positive = entry.get("positive_text") or "positively"
    if positive == '"selected"' and ": " in text:
        stem, option = text.rsplit(": ", 1)
        stem = stem.replace("(Select all that apply)", "").replace("(select all that apply)", "").strip()
        return f'chose "{option}"', stem
    return f"answered {positive}", text


def _survey_hits(a: Any, fid: str, label_column: str) -> tuple[list[Hit], list[str]]:
    hits, checked = [], []
    book = a.codebook()
    for survey in a.surveys(fid):
        table = a.survey_comparison(fid, survey)
        if table.empty:
            continue
        wave, previous = a.latest_wave(fid, survey)
        checked.append(f"{survey} survey {wave}")
        worse = table[table[label_column] == "significantly worse"]
        prefix = label_column.split("_")[0]
        for row in worse.sort_values(f"{prefix}_p_value").to_dict("records"):
            entry = book.get((survey, row["question"]), {})
            pct = a.control.percent(row["n_positive"], row["n_answering"])
            other = a.control.percent(row[f"{prefix}_n_positive"], row[f"{prefix}_n_answering"])
            if pct.hidden or other.hidden:
                continue
            answer, question = _answer_phrase(entry, row["question"])
            values = {"survey": f"{survey.capitalize()} survey {wave}", "pct": pct.text,
                      "n": a.control.count(row["n_answering"]).text, "answer": answer,
                      "question": question, "comparator": other.text,
                      "previous": other.text, "previous_wave": str(previous), "p": p_text(row[f"{prefix}_p_value"]),
                      "who": _WHO.get(survey, "detained people")}
            hits.append(Hit(f"{survey}:{row['question']}", values, _evidence(
                a, fid, None, {"This survey": f"{pct.text} of {values['n']}",
                               ("Similar places" if prefix == "peers" else f"Survey {previous}"): other.text},
                "similar places pooled (the facility left out)" if prefix == "peers" else f"the {previous} survey",
                {"table": f"table-survey-{survey}"}, ())))
    return hits, checked


@rule
def survey_worse_than_peers(a: Any, fid: str, entry: Entry) -> tuple[list[Hit], list[str]]:
    """Questions answered significantly worse than at similar places (alpha from settings)."""
    return _survey_hits(a, fid, "peers_label")


@rule
def survey_worse_than_previous(a: Any, fid: str, entry: Entry) -> tuple[list[Hit], list[str]]:
    """Questions answered significantly worse than in the facility's previous survey."""
    return _survey_hits(a, fid, "previous_label")


@rule
def staff_detainee_gap(a: Any, fid: str, entry: Entry) -> tuple[list[Hit], list[str]]:
    """Staff answering significantly more favourably than detained people on the same theme."""
    table = a.culture_gap(fid)
    if table.empty:
        return [], []
    table = table[table["significant"] == True]  # noqa: E712
    # one sentence a theme: the widest gap
    table = table.reindex(table["gap"].abs().sort_values(ascending=False).index).drop_duplicates("theme")
    book = a.codebook()
    hits = []
    for row in table.to_dict("records"):
        if not str(row.get("label", "")).startswith("staff significantly more"):
            continue
        staff = a.control.percent(row["staff_n_positive"], row["staff_n_answering"])
        det = a.control.percent(row["detainee_n_positive"], row["detainee_n_answering"])
        if staff.hidden or det.hidden:
            continue
        values = {"theme": str(row["theme"]).replace("_", " "), "staff_pct": staff.text, "detainee_pct": det.text,
                  "gap": f"{abs(row['gap']):.0f}",
                  "staff_question": book.get(("staff", row["staff_question"]), {}).get("text") or row["staff_question"],
                  "detainee_question": book.get(("detainee", row["detainee_question"]), {}).get("text")
                  or row["detainee_question"]}
        hits.append(Hit(f"gap:{row['theme']}", values, _evidence(
            a, fid, None, {"Staff": staff.text, "Detained people": det.text}, "staff and detained people's surveys",
            {"table": "table-culture"}, ())))
    return hits, sorted({str(t).replace("_", " ") for t in a.culture_gap(fid)["theme"]})


# --- follow-up ---------------------------------------------------------------------------------------------

@rule
def recommendations_unmet(a: Any, fid: str, entry: Entry) -> tuple[list[Hit], list[str]]:
    """A high share of assessed recommendations not achieved, or repeated ones."""
    recs = a.recommendations(fid)
    if recs.empty:
        return [], []
    assessed = recs[recs["status"].isin(("achieved", "partly_achieved", "not_achieved"))]
    not_met = assessed[assessed["status"] == "not_achieved"]
    repeats = recs[recs["repeats_ref"].notna() & recs["status"].isin(OUTSTANDING)]
    share = len(not_met) / len(assessed) if len(assessed) else 0.0
    if share < a.settings.overdue_share and len(repeats) < 2:
        return [], ["recommendations"]
    severity = None if share >= a.settings.overdue_share else "medium"  # repeats alone: worth a look, less urgent
    repeat_text = (f"; {len(repeats)} outstanding recommendation{'s repeat' if len(repeats) != 1 else ' repeats'} "
                   "an earlier one" if len(repeats) else "")
    values = {"not_achieved": str(len(not_met)), "assessed": str(len(assessed)), "repeat_text": repeat_text}
    return [Hit("recommendations", values, severity=severity, evidence={
        "figures": {"Not achieved": values["not_achieved"], "Assessed": values["assessed"],
                    "Outstanding repeats": str(len(repeats))},
        "compared_with": f"the setting: raised at {a.settings.overdue_share:.0%} not achieved, or 2 repeats",
        "links": {"table": "table-recommendations"}, "sources": a.sources_for(fid, tables=("recommendations",))})], []


@rule
def recommendations_overdue(a: Any, fid: str, entry: Entry) -> tuple[list[Hit], list[str]]:
    """Outstanding recommendations past their due date."""
    recs = a.recommendations(fid)
    if recs.empty:
        return [], []
    due = pd.to_datetime(recs["due"])
    late = recs[recs["status"].isin(OUTSTANDING) & due.notna() & (due < pd.Timestamp(a.as_of))]
    if late.empty:
        return [], ["recommendations"]
    longest = int((pd.Timestamp(a.as_of) - pd.to_datetime(late["due"]).min()).days)
    values = {"overdue": str(len(late)), "longest": f"{longest:,}"}
    return [Hit("recommendations_overdue", values, {
        "figures": {"Past their due date": values["overdue"], "Longest overdue (days)": values["longest"]},
        "compared_with": f"due dates, as at {pd.Timestamp(a.as_of):%d %B %Y}",
        "links": {"table": "table-recommendations"}, "sources": a.sources_for(fid, tables=("recommendations",))})], []


# --- wider factors -----------------------------------------------------------------------------------------

@rule
def crowding(a: Any, fid: str, entry: Entry) -> tuple[list[Hit], list[str]]:
    """Population above in-use capacity in the latest month held."""
    p = a.period(fid, "crowding")
    if not p or pd.isna(p["last_count"]) or not p["last_base"] > 0:
        return [], []
    pct = p["last_count"] / p["last_base"] * 100
    if pct <= 100:
        return [], ["crowding"]
    month = a.latest_month(fid, "crowding")
    values = {"month": month_label(month) if month else "the latest month", "population": f"{p['last_count']:,.0f}",
              "pct": f"{pct:.0f}%", "capacity": f"{p['last_base']:,.0f}"}
    return [Hit("crowding", values, {
        "figures": {"Population": values["population"], "In-use capacity": values["capacity"], "Share": values["pct"]},
        "compared_with": "in-use certified normal accommodation (uncrowded capacity)",
        "links": {"chart": "chart-population"}, "sources": a.sources_for(fid, tables=("population",))})], []
