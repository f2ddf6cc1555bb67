"""The public summary of one facility: a few sections of its pack, from the analysis for a public audience.

Nothing here is worked out again. The figures are the ones the facility's full pack shows when
the analysis is run for a public audience (``Control.for_audience("public")``): the same section
builders (:func:`datapack.analysis.findings_context.indicators_section`,
:func:`datapack.analysis.followup.recommendations_section`, :func:`datapack.analysis.held.held_section`)
called with that analysis, so a small count is hidden (with secondary suppression) and a rate or
change built on a hidden count is hidden too. What is left out on purpose: every free-text comment,
the text and owner of each recommendation, the areas for enquiry, control charts and funnels, the
team's notes and the classification marking (a public summary is published, not marked).

Only a handful of headline indicators is kept (:data:`HEADLINE`), each counting different
incident categories from the others, so no shown figure is the sum or the difference of others
(an indicator of all assaults beside assaults on staff would give a hidden third part away).
The 12-month and previous 12-month counts are shown; the latest quarter is not (a quarter is part
of the 12 months, so a shown quarter would bound a hidden 12-month count from below).
The easy-read summary is built from this same context (see :func:`easy_read`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from datapack.analysis import followup, held
from datapack.analysis.profile import _facility, _frames, facility_slugs
from datapack.disclosure import Control

#: The headline indicators of a public summary, in order: their incident categories do not overlap.
HEADLINE = ("self_harm", "assaults", "use_of_force", "restraint", "segregation", "deaths", "crowding")

#: Plain words for what each section holds when nothing is held (the team's pack says how to add it).
NOT_HELD = {
    "population": "We do not hold figures on how many people are held here, so rates cannot be worked out.",
    "incidents": "We do not hold a record of incidents here.",
    "indicators": "We do not hold enough figures to give any of the headline measures.",
    "surveys": "We do not hold a survey of the people held here.",
    "recommendations": "We do not hold a record of recommendations from past visits.",
    "visits": "We do not hold a record of past visits.",
}

#: The peer comparison of a figure, in plain words (``band`` of the indicator's peer comparison).
BANDS = {"worse than peers": "higher than in similar places",
         "better than peers": "lower than in similar places",
         "about the same as peers": "about the same as in similar places"}


def summary_context(estate: Any, facility_id: str, control: Control, built_at: dt.datetime,
                    analysis: Any) -> dict[str, Any]:
    """The ``public`` context of one facility (see docs/context.md): headline figures, recommendations, gaps.

    ``analysis`` must be the estate's analysis for a public audience, and ``control`` its control:
    a public summary is never made from the team's figures.
    """
    from datapack.analysis.findings_context import indicators_section

    if not (analysis.control.settings.audience == "public" and control.settings.audience == "public"):
        raise ValueError("a public summary needs the analysis for a public audience: "
                         "analyse(estate, control.for_audience('public'))")
    facility_id = str(facility_id)
    register = estate.facilities
    row = register[register["facility_id"].astype(str) == facility_id].iloc[0].to_dict()
    facility = _facility(row, facility_slugs(estate)[facility_id], control)
    frames = _frames(estate, facility_id)
    every = indicators_section(analysis, facility_id)
    by_id = {r["id"]: r for r in every}
    headline = [_indicator(by_id[i]) for i in HEADLINE if i in by_id]
    recs = followup.recommendations_section(frames["recommendations"], control, built_at)
    gaps = held.held_section(estate, frames, facility, every, {}, analysed=True)
    periods = next((r["periods"] for r in every if r.get("periods")), None) or {}
    return {
        "facility": {k: facility[k] for k in ("id", "name", "slug", "type_label", "function", "region",
                                                "operator", "body")},
        "body": estate.config.project.body,
        "built_at": _date(built_at),
        "periods": {"last": periods.get("last"), "prev": periods.get("prev")},
        "indicators": headline,
        "recommendations": _recommendations(recs),
        "not_held": [NOT_HELD[k] for k in NOT_HELD if gaps.get(k)],
        "disclosure": {"symbol": control.settings.symbol, "threshold": control.threshold,
                       "rounding": control.settings.rounding, "rule": _rule(control)},
    }


def _date(built_at: dt.datetime) -> dict[str, str]:
    """The build date (a public summary gives the day, not the time)."""
    return {"iso": built_at.isoformat(timespec="seconds"), "label": f"{built_at.day} {built_at:%B %Y}"}


def _indicator(row: dict[str, Any]) -> dict[str, Any]:
    """One headline row: the pack's figures as they are, and its peer comparison in plain words."""
    peer = row.get("peer") or {}
    hidden = row["last"].get("hidden") or row["rate"].get("hidden")
    if hidden or peer.get("compared_with") in (None, "none"):
        compared = "not compared" if not hidden else "not compared (the number is too small to show)"
    else:
        compared = BANDS.get(peer.get("band"), f"{peer.get('text', 'not compared')}")
    crowding = row["kind"] == "crowding"
    return {"id": row["id"], "label": row["label"], "crowding": crowding,
            "per": row["per"] or ("of the places it has in use" if crowding else ""),
            "last": None if crowding else row["last"], "prev": None if crowding else row["prev"],
            "rate": row["rate"], "prev_rate": None if crowding else row["prev_rate"],
            "change": row["change"]["text"] if not crowding else None,
            "compared": compared, "peer_rate": peer.get("target") if not hidden and peer.get("band") else None,
            "band": None if hidden else peer.get("band"), "good_direction": row["good_direction"]}


def _recommendations(recs: dict[str, Any]) -> dict[str, Any]:
    """Counts of recommendations by status (documents, not people: shown in full) and how many are overdue."""
    if not recs["available"]:
        return {"available": False, "by_status": [], "outstanding": None, "overdue": None, "total": None}
    outstanding = len(recs["outstanding"])
    overdue = sum(1 for r in recs["outstanding"] if r["overdue"])
    return {"available": True,
            "by_status": [{"label": s["label"], "count": s["count"]} for s in recs["by_status"]],
            "total": sum(s["count"]["value"] or 0 for s in recs["by_status"]),
            "outstanding": outstanding, "overdue": overdue}


def _rule(control: Control) -> str:
    rounding = (f" Other counts are rounded to the nearest {control.settings.rounding}."
                if control.settings.rounding else "")
    return (f"To protect the people held, a number from 1 to {control.threshold - 1} is not shown: "
            f"{control.settings.symbol} stands in its place, and so does any number from which a hidden one "
            f"could be worked out. A rate or change built on a hidden number is not shown either.{rounding} "
            "Recommendations are counted in full: they are about the service, not about people."
            if control.threshold > 1 else
            "Counts are shown as they are." + rounding)


def estate_summary(summaries: list[dict[str, Any]], built_at: dt.datetime, body: str) -> dict[str, Any]:
    """The estate's public summary: each facility's headline figures, as its own summary shows them."""
    labels = []
    for s in summaries:
        for r in s["indicators"]:
            if r["id"] not in [x["id"] for x in labels]:
                labels.append({"id": r["id"], "label": r["label"], "per": r["per"], "crowding": r["crowding"]})
    order = {i: n for n, i in enumerate(HEADLINE)}
    labels.sort(key=lambda x: order.get(x["id"], len(order)))
    rows = []
    for s in sorted(summaries, key=lambda s: s["facility"]["name"]):
        mine = {r["id"]: r for r in s["indicators"]}
        rows.append({"facility": s["facility"], "cells": [mine.get(x["id"]) for x in labels]})
    first = next((s for s in summaries if s["periods"].get("last")), None)
    return {"body": body, "built_at": _date(built_at),
            "periods": first["periods"] if first else {"last": None, "prev": None},
            "indicators": labels, "rows": rows, "count": len(rows),
            "disclosure": summaries[0]["disclosure"] if summaries else None}


#: Easy words for the topic of each headline indicator (what the inspectors will ask about).
EASY_TOPICS = {"self_harm": "people hurting themselves", "assaults": "fights and attacks",
               "use_of_force": "staff using force", "restraint": "staff holding people so they cannot move",
               "segregation": "people kept away from others", "deaths": "deaths", "crowding": "how full this place is"}

#: What every visit looks at, in easy words: (icon, words).
EASY_LOOK = (("safe", "We look at how safe you are."),
             ("respect", "We look at how staff treat you."),
             ("day", "We look at what you can do in the day."),
             ("leave", "We look at the help you get to plan for when you leave."))

#: How to speak to the inspectors, in easy words: (icon, words).
EASY_TALK = (("talk", "You can talk to us."),
             ("choice", "It is your choice. You do not have to."),
             ("private", "You can talk to us on your own."),
             ("language", "You can ask for help in your own language."),
             ("name", "We will not tell staff what you said."),
             ("alert", "If we think you or someone else is at risk of harm, we must tell someone."),
             ("write", "You can also give us a note."))

#: The text read out by a screen reader for each icon (its alt text).
ICON_ALT = {"inspector": "Picture of an inspector with a clipboard", "safe": "Picture of a shield",
            "respect": "Picture of a heart", "day": "Picture of a sun", "leave": "Picture of an open door",
            "look": "Picture of a magnifying glass", "talk": "Picture of two speech bubbles",
            "choice": "Picture of a tick and a cross", "private": "Picture of a closed door",
            "language": "Picture of a speech bubble with letters", "name": "Picture of a padlock",
            "alert": "Picture of a warning sign", "write": "Picture of a pencil and paper",
            "list": "Picture of a list with ticks"}


def easy_read(summary: dict[str, Any]) -> dict[str, Any]:
    """The easy-read summary for the people held: short lines, one idea each, each with an icon.

    Made from the public summary only (:func:`summary_context`): the topics named are the headline
    indicators found higher than in similar places, never a number about people.
    """
    def point(icon: str, text: str) -> dict[str, str]:
        return {"icon": icon, "alt": ICON_ALT[icon], "text": text}

    name = summary["facility"]["name"]
    about = [point("inspector", "Inspectors are coming to visit."),
             point("inspector", "We do not work for this place."),
             point("look", "We check how people here are treated.")]
    look = [point(icon, text) for icon, text in EASY_LOOK]
    higher = [r["id"] for r in summary["indicators"] if r.get("band") == "worse than peers" and r["id"] in EASY_TOPICS]
    for ind in higher[:3]:
        look.append(point("look", f"We will ask about {EASY_TOPICS[ind]}."))
    recs = summary["recommendations"]
    if recs["available"] and recs["total"]:
        look.append(point("list", f"At past visits we asked for {recs['total']:,} changes."))
        look.append(point("list", "We will check if they have been made."))
    return {"facility": {"name": name, "slug": summary["facility"]["slug"]}, "body": summary["body"],
            "built_at": summary["built_at"],
            "sections": [{"id": "about", "title": "Who we are", "points": about},
                         {"id": "look", "title": "What we will look at", "points": look},
                         {"id": "talk", "title": "How to talk to us", "points": [point(i, t) for i, t in EASY_TALK]}]}
