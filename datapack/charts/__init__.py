"""Charts for a pack, drawn from the context alone (so they can show nothing the pack hides).

``facility_charts(context)`` draws every chart the context names in
``context["charts"]``; each is an immutable :class:`Chart` carrying PNG bytes
(for Word) and SVG text (for HTML), with a title and alt text generated from
the data. The same context always gives the same bytes.
"""

from __future__ import annotations

from typing import Any, Callable

from datapack.charts.equality import equality_chart
from datapack.charts.followup import recommendations_chart
from datapack.charts.funnel import funnel_chart
from datapack.charts.incidents import incidents_chart
from datapack.charts.population import population_chart
from datapack.charts.spc import spc_chart
from datapack.charts.survey import survey_chart

Drawn = tuple[str, str, bytes, str]


class Chart:
    """One chart: ``id`` as named in the context, ``alt`` says what it shows and its main finding.

    ``png`` (bytes, for Word) and ``svg`` (text, for HTML) may be given as functions that draw
    them: each is then drawn the first time it is read, so an output that does not use a format
    never pays for it.
    """

    __slots__ = ("id", "title", "alt", "_png", "_svg")

    def __init__(self, id: str, title: str, alt: str, png: bytes | Callable[[], bytes],
                 svg: str | Callable[[], str]):
        self.id, self.title, self.alt, self._png, self._svg = id, title, alt, png, svg

    @property
    def png(self) -> bytes:
        if callable(self._png):
            self._png = self._png()
        return self._png

    @property
    def svg(self) -> str:
        if callable(self._svg):
            self._svg = self._svg()
        return self._svg

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Chart) and (self.id, self.title, self.alt, self.png, self.svg) == (
            other.id, other.title, other.alt, other.png, other.svg)

    def __hash__(self) -> int:
        return hash((self.id, self.title, self.alt))

    def __reduce__(self):  # sent to another process whole: both formats drawn first
        return Chart, (self.id, self.title, self.alt, self.png, self.svg)

    def __repr__(self) -> str:
        return f"Chart({self.id!r}, {self.title!r})"


_DRAW: dict[str, Callable[[dict[str, Any]], Drawn | None]] = {
    "population": population_chart,
    "incidents": incidents_chart,
    "recommendations": recommendations_chart,
}

#: Charts with one id per indicator, survey or practice: the prefix, then the key in the context.
_DRAW_BY_PREFIX: dict[str, Callable[[dict[str, Any], str], Drawn | None]] = {
    "spc-": spc_chart,
    "funnel-": funnel_chart,
    "survey-": survey_chart,
    "equality-": equality_chart,
}

#: Chart ids this module can draw (``<...>`` stands for an indicator, survey or practice).
KNOWN = tuple(_DRAW) + (
    "spc-<indicator>", "funnel-<indicator>", "survey-<survey>", "equality-<practice>-<characteristic>")


def chart(context: dict[str, Any], chart_id: str) -> Chart | None:
    """One chart by id, or None when the context has nothing to draw for it.

    Raises ``ValueError`` listing the known kinds when the id is neither a
    known chart nor starts with a known prefix.
    """
    if chart_id in _DRAW:
        drawn = _DRAW[chart_id](context)
    else:
        prefix = next((p for p in _DRAW_BY_PREFIX if chart_id.startswith(p) and len(chart_id) > len(p)), None)
        if prefix is None:
            raise ValueError(f"unknown chart {chart_id!r}; known charts: {', '.join(KNOWN)}")
        drawn = _DRAW_BY_PREFIX[prefix](context, chart_id)
    if drawn is None:
        return None
    title, alt, png, svg = drawn
    return Chart(chart_id, title, alt, png, svg)


def facility_charts(context: dict[str, Any]) -> list[Chart]:
    """Every chart named in ``context["charts"]``, in that order."""
    return [c for c in (chart(context, cid) for cid in context["charts"]) if c is not None]


__all__ = ["Chart", "KNOWN", "chart", "facility_charts"]
