"""The house style of every chart, and saving a figure the same way every time.

Calm and printable: a white ground, no top or right spine, light horizontal
grid, one sans-serif font that ships with matplotlib (so PNGs look the same
on every machine). Colours are the Okabe-Ito colour-blind-safe set, and no
chart relies on colour alone: lines differ by style and marker, hidden
figures are hatched.

Output is deterministic: the SVG id salt is fixed per chart, dates and the
software tag are left out of the metadata, so the same data gives the same
bytes.
"""

from __future__ import annotations

import calendar
import io
from contextlib import contextmanager
from typing import Any, Iterator

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.axes import Axes
from matplotlib.figure import Figure

#: Okabe & Ito (2008), safe for the common colour-vision deficiencies.
COLOURS = {
    "blue": "#0072B2", "vermillion": "#D55E00", "green": "#009E73", "orange": "#E69F00",
    "sky": "#56B4E9", "purple": "#CC79A7", "ink": "#222222", "grey": "#6B6B6B", "light": "#D9D9D9",
}

RC = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 9,
    "axes.titlesize": 9.5,
    "axes.titlelocation": "left",
    "axes.labelcolor": COLOURS["ink"],
    "axes.edgecolor": COLOURS["grey"],
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,
    "grid.color": COLOURS["light"],
    "grid.linewidth": 0.6,
    "xtick.color": COLOURS["grey"],
    "ytick.color": COLOURS["grey"],
    "xtick.labelcolor": COLOURS["ink"],
    "ytick.labelcolor": COLOURS["ink"],
    "legend.frameon": False,
    "legend.fontsize": 8.5,
    "lines.linewidth": 1.8,
    "lines.markersize": 5,
    "hatch.linewidth": 0.6,
    "hatch.color": COLOURS["grey"],
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    # Text stays text in SVG: smaller, searchable, read by screen readers.
    "svg.fonttype": "none",
}

#: Width of every chart in inches (fits an A4 page with margins).
WIDTH = 7.0


@contextmanager
def house_style(chart_id: str) -> Iterator[None]:
    """Apply the house style (and a per-chart SVG id salt) without touching global settings."""
    with matplotlib.rc_context(RC | {"svg.hashsalt": f"datapack-{chart_id}"}):
        yield


def new_figure(height: float) -> Figure:
    """A figure drawn by the Agg backend, independent of pyplot and of any GUI."""
    fig = Figure(figsize=(WIDTH, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


class Drawing:
    """A figure saved on demand, each format drawn at most once: PNG (for Word), SVG (for HTML).

    A build that writes only HTML never rasterises a chart, and one that writes only Word never
    writes its SVG. The house-style settings read when saving (the SVG id salt, hatching, text
    as text) are kept from the moment the chart was drawn, so the bytes are the same whenever,
    and in whichever order, the formats are asked for.
    """

    def __init__(self, fig: Figure):
        self._fig: Figure | None = fig
        self._rc = {key: matplotlib.rcParams[key] for key in (*RC, "svg.hashsalt")}
        self._png: bytes | None = None
        self._svg: str | None = None

    def png(self) -> bytes:
        if self._png is None:
            self._png = self._save("png", dpi=150, metadata={"Software": None}).getvalue()
            self._release()
        return self._png

    def svg(self) -> str:
        if self._svg is None:
            self._svg = self._save("svg", metadata={"Date": None, "Creator": None}).getvalue().decode("utf-8")
            self._release()
        return self._svg

    def _save(self, fmt: str, **kwargs) -> io.BytesIO:
        out = io.BytesIO()
        with matplotlib.rc_context(self._rc):
            self._fig.savefig(out, format=fmt, **kwargs)
        return out

    def _release(self) -> None:
        if self._png is not None and self._svg is not None:
            self._fig = None


def save(fig: Figure) -> tuple:
    """The PNG and SVG of a figure, each drawn when first asked for (see :class:`Drawing`), with
    metadata that never changes between builds: two functions, ``png()`` -> bytes, ``svg()`` -> text."""
    drawing = Drawing(fig)
    return drawing.png, drawing.svg


def month_ticks(keys: list[str], every: int = 3) -> tuple[list[int], list[str]]:
    """Tick positions (every ``every``-th month from the first) and two-line labels (``Oct`` / ``2025``)."""
    positions = list(range(0, len(keys), max(1, every)))
    labels = [f"{calendar.month_abbr[int(keys[i][5:7])]}\n{keys[i][:4]}" for i in positions]
    return positions, labels


#: Statistical process control colours (NHS "Making Data Count"); shape always carries the meaning too.
SPC_COLOURS = {"common_cause": "#a6a6a6", "improvement": "#00b0f0", "concern": "#e46c0a", "neutral": "#490092"}


def fixed_figure(height: float, left: float, right: float, top: float, bottom: float) -> tuple[Figure, Axes]:
    """A figure with one axes at fixed margins (in inches): no layout engine, so fast and always the same."""
    fig = Figure(figsize=(WIDTH, height), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((left / WIDTH, bottom / height, 1 - (left + right) / WIDTH, 1 - (top + bottom) / height))
    return fig, ax


def fixed_grid(nrows: int, ncols: int, panel: float, left: float, right: float, top: float, bottom: float,
               hgap: float, wgap: float) -> tuple[Figure, Any]:
    """A figure of ``nrows`` x ``ncols`` axes (sharing x) at fixed margins and gaps, in inches.

    Each panel is ``panel`` inches high; the figure is as high as the panels, gaps and margins.
    No layout engine: drawing is measured once, not again at every save, and the bytes never
    depend on how text happened to be measured.
    """
    height = top + bottom + nrows * panel + (nrows - 1) * hgap
    fig = Figure(figsize=(WIDTH, height), dpi=100)
    FigureCanvasAgg(fig)
    width = (WIDTH - left - right - (ncols - 1) * wgap) / ncols
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, gridspec_kw={
        "left": left / WIDTH, "right": 1 - right / WIDTH, "top": 1 - top / height, "bottom": bottom / height,
        "hspace": hgap / panel, "wspace": wgap / width})
    return fig, axes


def set_title(ax: Axes, text: str) -> None:
    """A panel's title at a fixed place above it (matplotlib's moving of titles clear of ticks costs a measure per draw)."""
    ax.set_title(text, y=1.0, pad=4)


def number(value: float, decimals: int | None = None) -> str:
    """A figure as the charts print it: thousands separated, one decimal below 1,000 unless told."""
    if decimals is None:
        decimals = 0 if abs(value) >= 1000 else 1
    return f"{value:,.{decimals}f}"


def tick_decimals(ticks) -> int:
    """The fewest decimals (at most 4) that show every tick as it is: 0.05, 0.10, 0.15, never 0.1, 0.1, 0.1."""
    import math

    values = sorted({float(t) for t in ticks if math.isfinite(t)})
    steps = [b - a for a, b in zip(values, values[1:])]
    if not steps:
        return 0
    step = min(steps)
    return next((d for d in range(5) if all(abs(round(v, d) - v) <= step / 100 for v in values)), 4)


def readable_ticks(axis) -> None:
    """Label ``axis`` with thousands separators and just enough decimals for its ticks to differ (never 0.1, 0.1)."""
    axis.set_major_formatter(lambda v, _pos: f"{v:,.{tick_decimals(axis.get_majorticklocs())}f}")
