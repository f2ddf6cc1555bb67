"""The estate-wide pages as HTML and JSON: pure functions of their context.

HTML comes from ``templates/comparison.html.j2`` and
``templates/schedule.html.j2`` through the same Jinja environment as the
facility packs (autoescaping, undefined names are errors), with the house
CSS and the charts inlined: one file, no network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from datapack.render.html import chart_views, environment
from datapack.render.json_out import render_json

COMPARISON_TEMPLATE = "comparison.html.j2"
SCHEDULE_TEMPLATE = "schedule.html.j2"


def render_comparison_html(context: dict[str, Any], charts: Iterable[Any] = (),
                           template_dirs: Iterable[Path] | None = None) -> str:
    """``comparison.html`` from :func:`~datapack.estate_views.comparison.comparison_context` and its charts."""
    namespace = {**context, "charts": chart_views(charts)}
    return environment(template_dirs).get_template(COMPARISON_TEMPLATE).render(namespace)


def render_schedule_html(context: dict[str, Any], template_dirs: Iterable[Path] | None = None) -> str:
    """``schedule.html`` from :func:`~datapack.estate_views.schedule.schedule_context`."""
    return environment(template_dirs).get_template(SCHEDULE_TEMPLATE).render(context)


def render_comparison_json(context: dict[str, Any]) -> str:
    """``comparison.json``: the whole context as indented JSON (plain data only, no NaN)."""
    return render_json(context)
