"""Charts for a pack, drawn from the context alone (so they can show nothing the pack hides).

``facility_charts(context)`` draws every chart the context names in
``context["charts"]``; each is an immutable :class:`Chart` carrying PNG bytes
(for Word) and SVG text (for HTML), with a title and alt text generated from
the data. The same context always gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from datapack.charts.incidents import incidents_chart
from datapack.charts.population import population_chart


@dataclass(frozen=True)
class Chart:
    """One chart: ``id`` as named in the context, ``alt`` says what it shows and its main finding."""

    id: str
    title: str
    alt: str
    png: bytes
    svg: str


_DRAW: dict[str, Callable[[dict[str, Any]], tuple[str, str, bytes, str] | None]] = {
    "population": population_chart,
    "incidents": incidents_chart,
}

#: Chart ids this module can draw.
KNOWN = tuple(_DRAW)


def chart(context: dict[str, Any], chart_id: str) -> Chart | None:
    """One chart by id, or None when the context has nothing to draw for it."""
    if chart_id not in _DRAW:
        raise ValueError(f"unknown chart {chart_id!r}; known charts: {', '.join(KNOWN)}")
    drawn = _DRAW[chart_id](context)
    if drawn is None:
        return None
    title, alt, png, svg = drawn
    return Chart(chart_id, title, alt, png, svg)


def facility_charts(context: dict[str, Any]) -> list[Chart]:
    """Every chart named in ``context["charts"]``, in that order."""
    return [c for c in (chart(context, cid) for cid in context["charts"]) if c is not None]


__all__ = ["Chart", "KNOWN", "chart", "facility_charts"]
