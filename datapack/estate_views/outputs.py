"""Writing the estate-wide files: the comparison pack and the visit programme, through the one writer.

Called by ``datapack build`` (comparison) and by ``datapack compare`` and
``datapack schedule``; every file goes through :class:`datapack.writer.Writer`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterable

from datapack.writer import Writer

COMPARISON_FORMATS = ("html", "docx", "xlsx", "json")


def write_comparison(analysis: Any, writer: Writer, built_at: dt.datetime,
                     template_dirs: Iterable[Path] | None = None,
                     formats: Iterable[str] = COMPARISON_FORMATS,
                     priorities: list[dict[str, Any]] | None = None,
                     enquiry: dict[str, dict[str, int]] | None = None) -> dict[str, Path]:
    """Write ``comparison.<format>`` for each of ``formats`` (html, docx, xlsx, json); return the paths.

    ``formats`` may hold others (such as ``pdf`` from ``datapack build``); they are ignored.
    ``enquiry``: counts of areas for enquiry by facility, from the packs
    already built (``context["enquiry"]["counts"]``), to save working them out again.
    """
    files = comparison_files(analysis, built_at, template_dirs, formats, priorities, enquiry)
    return {name.rsplit(".", 1)[1]: writer.write_file(name, data) for name, data in files.items()}


def comparison_files(analysis: Any, built_at: dt.datetime, template_dirs: Iterable[Path] | None = None,
                     formats: Iterable[str] = COMPARISON_FORMATS, priorities: list[dict[str, Any]] | None = None,
                     enquiry: dict[str, dict[str, int]] | None = None) -> dict[str, bytes]:
    """The files :func:`write_comparison` writes, name -> bytes (made before they are written)."""
    from datapack.estate_views.charts import comparison_charts
    from datapack.estate_views.comparison import comparison_context
    from datapack.estate_views.docx import render_comparison_docx
    from datapack.estate_views.render import render_comparison_html, render_comparison_json
    from datapack.estate_views.xlsx import render_comparison_xlsx

    wanted = set(formats)
    context = comparison_context(analysis, built_at, priorities=priorities, enquiry=enquiry)
    charts = comparison_charts(context) if wanted & {"html", "docx"} else []
    makers = {"html": lambda: render_comparison_html(context, charts, template_dirs).encode(),
              "docx": lambda: render_comparison_docx(context, charts),
              "xlsx": lambda: render_comparison_xlsx(context),
              "json": lambda: render_comparison_json(context).encode()}
    return {f"comparison.{fmt}": make() for fmt, make in makers.items() if fmt in wanted}


def write_schedule(analysis: Any, writer: Writer, built_at: dt.datetime,
                   template_dirs: Iterable[Path] | None = None,
                   priorities: list[dict[str, Any]] | None = None) -> tuple[dict[str, Path], list[dict[str, Any]]]:
    """Write ``schedule.html`` and ``schedule.xlsx``; return their paths and the ranked facilities."""
    from datapack.estate_views.schedule import schedule

    rows = priorities if priorities is not None else schedule(analysis)
    files = schedule_files(analysis, built_at, template_dirs, rows)
    return {name.rsplit(".", 1)[1]: writer.write_file(name, data) for name, data in files.items()}, rows


def schedule_files(analysis: Any, built_at: dt.datetime, template_dirs: Iterable[Path] | None,
                   rows: list[dict[str, Any]]) -> dict[str, bytes]:
    """The files :func:`write_schedule` writes, name -> bytes, for the ranked facilities ``rows``."""
    from datapack.estate_views.render import render_schedule_html
    from datapack.estate_views.schedule import schedule_context
    from datapack.estate_views.xlsx import render_schedule_xlsx

    context = schedule_context(analysis, built_at, rows=rows)
    return {"schedule.html": render_schedule_html(context, template_dirs).encode(),
            "schedule.xlsx": render_schedule_xlsx(context)}
