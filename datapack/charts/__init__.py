"""Charts for a pack, drawn from the context alone (so they can show nothing the pack hides).

``facility_charts(context)`` draws every chart the context names in
``context["charts"]``; each is an immutable :class:`Chart` carrying PNG bytes
(for Word) and SVG text (for HTML), with a title and alt text generated from
the data. The same context always gives the same bytes.

Each kind of chart reads only the entries of the context named in :data:`INPUTS`, so
:func:`chart_key` (those entries, the chart's id and the drawing code) says when a chart
drawn before can be used again: a build keeps charts by that key (``.datapack-cache/charts``)
and draws only the ones whose figures changed. A chart is drawn through a context that notes
every entry read; one that read an entry not declared is never kept.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from datapack.charts.equality import equality_chart
from datapack.charts.followup import recommendations_chart
from datapack.charts.funnel import funnel_chart
from datapack.charts.incidents import incidents_chart
from datapack.charts.population import population_chart
from datapack.charts.spc import spc_chart
from datapack.charts.survey import survey_chart

#: What a chart is drawn as: title, alt text, PNG bytes and SVG text (None for a format not drawn yet).
Drawn = tuple[str, str, Any, Any]


class Chart:
    """One chart: ``id`` as named in the context, ``alt`` says what it shows and its main finding.

    ``png`` (bytes, for Word) and ``svg`` (text, for HTML) may be given as functions that draw
    them: each is then drawn the first time it is read, so an output that does not use a format
    never pays for it.
    """

    __slots__ = ("id", "title", "alt", "_png", "_svg", "keepable")

    def __init__(self, id: str, title: str, alt: str, png: bytes | Callable[[], bytes],
                 svg: str | Callable[[], str], keepable: bool = False):
        self.id, self.title, self.alt, self._png, self._svg = id, title, alt, png, svg
        self.keepable = keepable  # drawn from the declared inputs alone (see INPUTS): may be kept by its key

    def drawn(self) -> Drawn:
        """Title, alt text and the formats drawn so far (None for one not drawn): what a cache keeps."""
        return (self.title, self.alt, None if callable(self._png) else self._png,
                None if callable(self._svg) else self._svg)

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


#: The entries of the context each kind of chart reads (by id, or by prefix): its key is made of them alone.
INPUTS: dict[str, tuple[str, ...]] = {
    "population": ("population",),
    "incidents": ("incidents",),
    "recommendations": ("recommendations",),
    "spc-": ("spc", "indicators", "disclosure"),
    "funnel-": ("funnels", "facility", "disclosure"),
    "survey-": ("survey_comparisons", "facility"),
    "equality-": ("equality",),
}


def _kind(chart_id: str) -> str:
    if chart_id in _DRAW:
        return chart_id
    prefix = next((p for p in _DRAW_BY_PREFIX if chart_id.startswith(p) and len(chart_id) > len(p)), None)
    if prefix is None:
        raise ValueError(f"unknown chart {chart_id!r}; known charts: {', '.join(KNOWN)}")
    return prefix


class _Reads(dict):
    """The context, noting each entry a chart reads (and any look at the whole, as ``"*"``)."""

    def __init__(self, context: dict[str, Any]):
        super().__init__(context)
        self.read: set[str] = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)

    def __iter__(self):
        self.read.add("*")
        return super().__iter__()

    def keys(self):
        self.read.add("*")
        return super().keys()

    def values(self):
        self.read.add("*")
        return super().values()

    def items(self):
        self.read.add("*")
        return super().items()


def chart(context: dict[str, Any], chart_id: str) -> Chart | None:
    """One chart by id, or None when the context has nothing to draw for it.

    Raises ``ValueError`` listing the known kinds when the id is neither a
    known chart nor starts with a known prefix.
    """
    kind = _kind(chart_id)
    reads = _Reads(context)
    drawn = _DRAW[chart_id](reads) if kind == chart_id else _DRAW_BY_PREFIX[kind](reads, chart_id)
    if drawn is None:
        return None
    title, alt, png, svg = drawn
    return Chart(chart_id, title, alt, png, svg, keepable=reads.read <= set(INPUTS[kind]))


@lru_cache(maxsize=1)
def code_sha256() -> str:
    """Fingerprint of the drawing: this package's code, and the versions of datapack, matplotlib and Pillow."""
    from importlib import metadata

    from datapack import __version__

    digest = hashlib.sha256(f"datapack {__version__}\n".encode())
    for package in ("matplotlib", "Pillow", "numpy"):
        try:
            digest.update(f"{package} {metadata.version(package)}\n".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{package} -\n".encode())
    here = Path(__file__).resolve().parent
    for path in sorted(here.rglob("*.py")):
        digest.update(f"{path.relative_to(here).as_posix()}\n".encode() + path.read_bytes())
    return digest.hexdigest()


def chart_key(context: dict[str, Any], chart_id: str) -> str:
    """The key of one chart: its id, the drawing code, and the context's entries its kind reads (:data:`INPUTS`).

    Two contexts that agree on those entries draw the same chart, byte for byte.
    """
    digest = hashlib.sha256(f"{code_sha256()}\n{chart_id}\n".encode())
    for name in INPUTS[_kind(chart_id)]:
        value = json.dumps(context.get(name, "<absent>"), sort_keys=True, ensure_ascii=False, default=str)
        digest.update(f"{name}\n{len(value)}\n{value}\n".encode())
    return digest.hexdigest()


def from_drawn(context: dict[str, Any], chart_id: str, drawn: Drawn) -> Chart:
    """A chart kept from before: its title, alt text and formats; a format not kept is drawn when asked for."""
    title, alt, png, svg = drawn

    def fresh() -> Chart:
        again = chart(context, chart_id)
        if again is None:
            raise ValueError(f"chart {chart_id!r} was kept but has nothing to draw now")
        return again

    return Chart(chart_id, title, alt, png if png is not None else (lambda: fresh().png),
                 svg if svg is not None else (lambda: fresh().svg))


def facility_charts(context: dict[str, Any], kept: dict[str, Drawn] | None = None) -> list[Chart]:
    """Every chart named in ``context["charts"]``, in that order; those in ``kept`` (by id) are not drawn again."""
    kept = kept or {}
    out = []
    for cid in context["charts"]:
        made = from_drawn(context, cid, kept[cid]) if cid in kept else chart(context, cid)
        if made is not None:
            out.append(made)
    return out


__all__ = ["Chart", "INPUTS", "KNOWN", "chart", "chart_key", "code_sha256", "facility_charts", "from_drawn"]
