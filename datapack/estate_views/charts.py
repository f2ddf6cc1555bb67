"""Charts of the comparison pack: a funnel plot per key indicator, drawn by :mod:`datapack.charts.funnel`.

The facility packs' drawer is reused as is: each estate funnel in
``context["funnels"]`` has the shape it reads, with no place marked as
"this" one. Title and alt text are written here for the whole estate,
and name the places beyond the limits so the chart needs no colour or
label to be read.
"""

from __future__ import annotations

from typing import Any

from datapack.charts import Chart
from datapack.charts.funnel import FLAG_WORDS, funnel_chart
from datapack.charts.style import number


def _alt(section: dict[str, Any], threshold: Any) -> str:
    label = section["label"]
    what = label[:1].lower() + label[1:] if label[1:2].islower() else label
    points = section["points"]
    parts = [f"Funnel plot of the rate of {what} {section['per']} over the last 12 months against size, for "
             f"{len(points)} places of one type ({section.get('group') or 'every place'}) measured the same way; "
             f"pooled rate {number(section['target'])}."]
    beyond = [p for p in points if p["flag"] not in (None, "within")]
    if beyond:
        parts.append("Beyond the limits: " + "; ".join(
            f"{p['label']} ({p['rate']}, {FLAG_WORDS.get(p['flag'], p['flag'])})" for p in beyond) + ".")
    else:
        parts.append("Every place lies within the limits.")
    if section["adjusted"]:
        parts.append("The limits allow for over-dispersion between places.")
    if section["left_off"]:
        parts.append(f"Left off because the number is small (fewer than {threshold}): "
                     f"{', '.join(section['left_off'])}.")
    return " ".join(parts)


def comparison_charts(context: dict[str, Any]) -> list[Chart]:
    """Every funnel plot named in ``context["charts"]``, in that order, as :class:`~datapack.charts.Chart`."""
    out = []
    threshold = context["disclosure"]["threshold"]
    by_id = {f["id"]: (key, f) for key, f in context["funnels"].items()}
    for chart_id in context["charts"]:
        key, section = by_id[chart_id]
        drawn = funnel_chart({"funnels": {key: section}, "facility": {"name": "Every place"},
                              "disclosure": context["disclosure"]}, f"funnel-{key}")
        if drawn is None:
            continue
        _, _, png, svg = drawn
        title = f"{section['label']}: {(section.get('group') or 'every place').lower()} places, {section['per']}"
        out.append(Chart(chart_id, title, _alt(section, threshold), png, svg))
    return out
