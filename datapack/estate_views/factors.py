"""The factors of the visit-priority model, each read from the analysis as a 0-1 score.

Every factor returns a :class:`Reading`: the figures it rests on in words
(``raw``), its score from 0 to 1, or None when there is no data, and a
plain-words reason when it adds to the priority. Figures about people go
through the disclosure control; a score never rests on a hidden count (the
deaths factor scores presence, not number). The settings are
:class:`datapack.config.Schedule`; docs/comparison.md explains each factor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from datapack.adapters.cells import normalise_label
from datapack.analysis.followup import records_control
from datapack.analysis.text import CATEGORY_LABELS, TYPE_LABELS, date_label, lower_first
from datapack.config import Schedule
from datapack.estate_views import facts

#: Fewest places holding the family-contact figure for it to be compared.
MIN_FAMILY_PLACES = 3
DAYS_A_MONTH = 365.25 / 12


@dataclass(frozen=True)
class Reading:
    """One factor for one facility: what it rests on, its 0-1 score (None = no data), and why it counts."""

    raw: str
    score: float | None
    reason: str | None = None


@dataclass(frozen=True)
class Facts:
    """What the factors share for one facility, read once."""

    facility_id: str
    facility_type: str
    visits: facts.Visits
    deaths: facts.Deaths
    recommendations: facts.Recommendations


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def by_type(table: dict[str, float], kind: str) -> float:
    return float(table.get(kind, table["default"]))


def signals(a: Any, f: Facts, s: Schedule) -> Reading:
    """Indicators with a signal of concern among the latest ``signal_months`` points of their control chart."""
    charted, found = 0, []
    for ind in a.definitions.indicators:
        result = a.signals.spc.get((f.facility_id, ind.id))
        if result is None or ind.kind != "incidents" or ind.good_direction == "neutral":
            continue
        charted += 1
        present = [i for i, t in enumerate(result.point_type) if t != "missing"][-s.signal_months:]
        if any(result.point_type[i] == "concern" for i in present):
            found.append(lower_first(ind.label))
    if not charted:
        return Reading("no control charts", None)
    raw = (f"{len(found)} of {charted} charted indicators with a signal of concern in the latest "
           f"{s.signal_months} months" + (f": {', '.join(found)}" if found else ""))
    reason = (f"a signal of concern in the latest {s.signal_months} months on the control chart of "
              f"{_listed(found)}") if found else None
    return Reading(raw, min(1.0, len(found) / s.signals_full), reason)


def _flags(a: Any, f: Facts, s: Schedule, restrictions: bool) -> tuple[int, list[tuple[str, float]]]:
    """Like-for-like funnel comparisons made, and the indicators beyond a limit on the worse side."""
    compared, found = 0, []
    for ind in a.definitions.indicators:
        if ind.kind != "incidents" or ind.rare or ind.good_direction == "neutral" \
                or (ind.id in s.restriction_indicators) != restrictions:
            continue
        peer = a.peer(f.facility_id, ind.id)
        if not peer or not isinstance(peer.get("flag"), str) or peer["compared_with"] not in s.outlier_comparisons:
            continue
        compared += 1
        bad = "above" if ind.good_direction == "down" else "below"
        if peer["flag"].startswith(bad):
            level = peer["flag"].split("_")[1]
            found.append((f"{lower_first(ind.label)} ({bad} the {level}% limit)", 1.0 if level == "99.8" else 0.5))
    return compared, found


def outliers(a: Any, f: Facts, s: Schedule) -> Reading:
    """Rates beyond the funnel limits on the worse side: 1 point above 99.8%, 0.5 above 95%."""
    compared, found = _flags(a, f, s, restrictions=False)
    if not compared:
        return Reading("no like-for-like comparison with peers", None)
    points = sum(p for _, p in found)
    raw = f"{len(found)} of {compared} rates beyond a limit" + (f": {'; '.join(n for n, _ in found)}" if found else "")
    reason = f"rates beyond the peers' funnel limits: {'; '.join(n for n, _ in found)}" if found else None
    return Reading(raw, min(1.0, points / s.outliers_full), reason)


def restrictions(a: Any, f: Facts, s: Schedule) -> Reading:
    """Restrictive practices against peers: the highest of 1 (above 99.8%) and 0.5 (above 95%)."""
    compared, found = _flags(a, f, s, restrictions=True)
    if not compared:
        return Reading("no like-for-like comparison of segregation or restraint", None)
    listed = "; ".join(n for n, _ in found)
    raw = f"{len(found)} of {compared} compared beyond a limit" + (f": {listed}" if found else "")
    reason = f"restrictive practices beyond the peers' funnel limits: {listed}" if found else None
    return Reading(raw, max((p for _, p in found), default=0.0), reason)


def deaths(a: Any, f: Facts, s: Schedule) -> Reading:
    """Any death in the last 12 months; a self-inflicted one scores more (presence, never number)."""
    d = f.deaths
    if d.last_12 is None:
        return Reading("no data on deaths", None)
    shown = a.control.count(d.last_12).text
    si = a.control.count(d.self_inflicted_12).text if d.self_inflicted_12 is not None else "no data"
    raw = f"deaths in the last 12 months: {shown} (self-inflicted: {si})"
    if d.self_inflicted_12:
        return Reading(raw, s.death_self_inflicted, "at least one self-inflicted death in the last 12 months")
    if d.last_12:
        return Reading(raw, s.death_other, "at least one death in the last 12 months")
    return Reading(raw, 0.0)


def recommendations(a: Any, f: Facts, s: Schedule) -> Reading:
    """Half for overdue recommendations (full at ``overdue_full``), half for repeats (full at ``repeats_full``)."""
    r = f.recommendations
    if r.total is None:
        return Reading("no recommendations held", None)
    n = records_control(a.control)
    raw = (f"{n.count(r.outstanding).text} of {n.count(r.total).text} not yet achieved; "
           f"{n.count(r.overdue).text} past their due date; {n.count(r.repeats).text} "
           f"repeat{'s' if r.repeats == 1 else ''} an earlier one")
    score = 0.5 * min(1.0, r.overdue / s.overdue_full) + 0.5 * min(1.0, r.repeats / s.repeats_full)
    parts = ([f"{r.overdue} recommendation{'s' if r.overdue != 1 else ''} past the due date"] if r.overdue else []) \
        + ([f"{r.repeats} outstanding repeat{'s' if r.repeats != 1 else ''} of earlier ones"] if r.repeats else [])
    return Reading(raw, score, _listed(parts) if parts else None)


def surveys(a: Any, f: Facts, s: Schedule) -> Reading:
    """Questions in the latest wave of each survey answered significantly worse than at peers."""
    worse, compared, names = 0, 0, []
    for survey in a.surveys(f.facility_id):
        table = a.survey_comparison(f.facility_id, survey)
        if table.empty:
            continue
        valid = table[table["peers_label"] != "no valid comparison"]
        compared += len(valid)
        for row in valid[valid["peers_label"] == "significantly worse"].to_dict("records"):
            # only questions the pack itself may quote (both percentages shown)
            if not (a.control.percent(row["n_positive"], row["n_answering"]).hidden
                    or a.control.percent(row["peers_n_positive"], row["peers_n_answering"]).hidden):
                worse += 1
                names.append(survey)
    if not compared:
        return Reading("no survey compared with peers", None)
    raw = f"{worse} of {compared} questions significantly worse than at peers"
    by_survey = ", ".join(f"{names.count(sv)} in the {sv} survey" for sv in dict.fromkeys(names))
    reason = f"survey answers significantly worse than at similar places ({by_survey})" if worse else None
    return Reading(raw, min(1.0, worse / s.survey_full), reason)


def disproportionality(a: Any, f: Facts, s: Schedule) -> Reading:
    """Groups on whom a practice falls disproportionately: 1 point when the whole interval passes the threshold."""
    table = a.equality(f.facility_id)
    if table.empty:
        return Reading("no population mix to compare with", None)
    flagged = table[(table["flagged"] == True) & (table["relative_rate"] > 1)]  # noqa: E712
    found, points = [], 0.0
    for row in flagged.sort_values("relative_rate", ascending=False).to_dict("records"):
        practice = CATEGORY_LABELS.get(row["practice"], str(row["practice"]).replace("_", " "))
        found.append(f"{practice.lower()} on {row['group']} people ({row['relative_rate']:.1f} times others)")
        points += 1.0 if row["ci_low"] >= a.settings.equality_threshold else 0.5
    raw = f"{len(found)} group{'s' if len(found) != 1 else ''} flagged" + (f": {'; '.join(found)}" if found else "")
    reason = f"practices falling disproportionately on a group: {'; '.join(found)}" if found else None
    return Reading(raw, min(1.0, points / s.disproportion_full), reason)


def time_since_visit(a: Any, f: Facts, s: Schedule) -> Reading:
    """Months since the last in-depth visit against the target for the facility type (full at the target)."""
    v = f.visits
    target = by_type(s.target_months, f.facility_type)
    if not v.held:
        return Reading("no visit records held", None)
    if v.full_start is None:
        since = f" (records from {date_label(v.records_from)})" if v.records_from is not None else ""
        return Reading(f"no in-depth visit on record{since}; target every {target:g} months", 1.0,
                       f"no in-depth visit on record{since}")
    months = v.days_since(a.as_of, full=True) / DAYS_A_MONTH
    raw = f"{months:.0f} months since the last in-depth visit ({date_label(v.full_start)}); target {target:g}"
    reason = f"{months:.0f} months since the last in-depth visit (target {target:g})" if months >= target / 2 else None
    return Reading(raw, min(1.0, months / target), reason)


def vulnerability(a: Any, f: Facts, s: Schedule) -> Reading:
    """The configured vulnerability of the people held, by facility type."""
    score = by_type(s.vulnerability, f.facility_type)
    label = TYPE_LABELS.get(f.facility_type, f.facility_type)
    reason = f"who is held ({label.lower()})" if score >= 0.7 else None
    return Reading(f"{label}: {score:g}", score, reason)


def family_contact(a: Any, f: Facts, s: Schedule) -> Reading:
    """Family contact against other places holding the figure: the lowest scores 1, the highest 0."""
    context = a.estate.table("context")
    wanted = normalise_label(s.family_factor)
    rows = context[context["factor"].map(normalise_label) == wanted] if not context.empty else context
    rows = rows.dropna(subset=["value"]) if not rows.empty else rows
    if rows.empty:
        return Reading(f"no data ({s.family_factor} not held)", None)
    latest = rows.sort_values("period_start").groupby(rows["facility_id"].astype(str)).last()
    if len(latest) < MIN_FAMILY_PLACES or f.facility_id not in latest.index:
        return Reading(f"no data ({s.family_factor} not held here, or at fewer than {MIN_FAMILY_PLACES} places)", None)
    rank = latest["value"].rank(method="average")[f.facility_id]
    n = len(latest)
    score = float((n - rank) / (n - 1))
    unit = latest.loc[f.facility_id, "unit"]
    raw = f"{latest.loc[f.facility_id, 'value']:,.1f}{' ' + str(unit) if isinstance(unit, str) else ''} " \
          f"(lowest = 1 of {n} places)"
    return Reading(raw, score, "family contact low against other places" if score >= 0.75 else None)


#: Factor id (as in ``schedule.weights``), label and reader, in the order shown.
FACTORS: tuple[tuple[str, str, Callable[[Any, Facts, Schedule], Reading]], ...] = (
    ("signals", "Signals of concern (control charts)", signals),
    ("outliers", "Outliers against peers (funnel plots)", outliers),
    ("deaths", "Deaths in the last 12 months", deaths),
    ("recommendations", "Overdue and repeated recommendations", recommendations),
    ("surveys", "Survey answers worse than peers", surveys),
    ("disproportionality", "Practices falling on one group", disproportionality),
    ("time_since_visit", "Time since the last in-depth visit", time_since_visit),
    ("vulnerability", "Vulnerability of the people held", vulnerability),
    ("restrictions", "Segregation and restraint against peers", restrictions),
    ("family_contact", "Family contact", family_contact),
)


def read_facts(a: Any, facility_id: str, facility_type: str, s: Schedule) -> Facts:
    """Visits, deaths and recommendations of one facility, read once for all factors."""
    seen = facts.visits(a, facility_id, tuple(s.full_visit_types))
    return Facts(facility_id, facility_type, seen, facts.deaths(a, facility_id, seen),
                 facts.recommendations(a, facility_id))


def check_settings(a: Any, s: Schedule) -> None:
    """Settings that need the indicator definitions: restriction indicators named in the file must exist.

    The defaults are checked loosely, so an organisation's own indicators
    file without (say) chemical restraint still works.
    """
    known = {ind.id for ind in a.definitions.indicators}
    unknown = sorted(set(s.restriction_indicators) - known)
    if unknown and "restriction_indicators" in s.model_fields_set:
        raise ValueError(f"schedule.restriction_indicators: unknown indicators {unknown}; "
                         f"known: {', '.join(sorted(known))}")


__all__ = ["FACTORS", "Facts", "Reading", "by_type", "check_settings", "read_facts"]
