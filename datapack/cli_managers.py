"""Commands for managers: ``datapack compare`` (the comparison pack) and ``datapack schedule`` (the visit programme).

A thin layer over :mod:`datapack.estate_views`; :func:`register` adds both
commands to the main group. Files are written only through
:class:`datapack.writer.Writer`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from datapack.cli_common import CONFIG_HELP, load, print_problems
from datapack.cli_output import output_folder, output_option

#: Reasons printed per facility by ``datapack schedule`` (the HTML and XLSX have them all).
REASONS_SHOWN = 3


def _analyse(config: Any, quiet: bool) -> tuple[Any, dt.datetime, list[Path]]:
    """Read and analyse the estate as ``datapack build`` does; user errors become ClickExceptions."""
    from datapack.analysis.estate import analyse
    from datapack.build_time import build_time, source_date_epoch
    from datapack.disclosure import Control
    from datapack.ingest import load_estate
    from datapack.problems import InputError
    from datapack.progress import Reporter
    from datapack.render import template_dirs

    reporter = Reporter(quiet)
    total = sum(len(config.files_for(s)) for s in config.sources)
    try:
        with reporter.task("Reading sources", total) as step:
            estate = load_estate(config, progress=step, as_of=source_date_epoch())
        built_at = build_time(estate)  # as ``datapack build`` dates it: same inputs, same bytes
        with reporter.task("Analysing the estate", 1) as step:
            analysis = analyse(estate, Control(config.disclosure), as_of=built_at)
            step("done")
    except InputError as exc:
        print_problems(exc.problems)
        raise click.ClickException("nothing was written.")
    errors = len(estate.report.errors)
    if errors and not quiet:
        click.echo(f"{errors} source error(s); the rows concerned are left out (run 'datapack validate').", err=True)
    dirs = template_dirs(config.resolve(config.templates) if config.templates else None)
    return analysis, built_at, dirs


def _priorities(analysis: Any) -> list[dict[str, Any]]:
    from datapack.estate_views.schedule import schedule

    try:
        return schedule(analysis)
    except ValueError as exc:  # a setting naming something the indicators file lacks
        raise click.ClickException(str(exc))


@click.command()
@click.option("--config", "config_path", default="datapack.yaml", show_default=True, help=CONFIG_HELP)
@output_option()
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or messages.")
def compare(config_path: str, output: str | None, quiet: bool) -> None:
    """Write the comparison pack: comparison.html, .docx, .xlsx and .json.

    Every facility on one page, filterable by type, peer group, region and
    body: key rates with peer position, control-chart signals, funnel
    plots, deaths, recommendations, time since the last visit and the
    priority score with its parts. A starting point for planning, not a judgement.
    """
    from datapack.estate_views.outputs import write_comparison

    config = load(config_path)
    with output_folder(config, output) as writer:
        analysis, built_at, dirs = _analyse(config, quiet)
        paths = write_comparison(analysis, writer, built_at, dirs, priorities=_priorities(analysis))
    if not quiet:
        click.echo(f"Wrote {', '.join(p.name for p in paths.values())} to {writer.root}")


def ranked_lines(rows: list[dict[str, Any]], reasons: int = REASONS_SHOWN) -> list[str]:
    """The visit programme as short lines: rank, name, score, suggested visit, then the first reasons."""
    lines = []
    width = max((len(r["name"]) for r in rows), default=0)
    for r in rows:
        lines.append(f"{r['rank']:>3}. {r['name']:<{width}}  {r['score_text']:>5}  {r['band']['label']}")
        lines += [f"       - {reason}" for reason in r["reasons"][:reasons]]
    return lines


@click.command()
@click.option("--config", "config_path", default="datapack.yaml", show_default=True, help=CONFIG_HELP)
@output_option()
@click.option("--quiet", "-q", is_flag=True, help="No progress messages (the ranked list is still printed).")
def schedule(config_path: str, output: str | None, quiet: bool) -> None:
    """Suggest a visit programme: schedule.html and schedule.xlsx, and a ranked list here.

    Each facility gets a priority score (0-100) from weighted factors, shown
    with its parts; gateway rules (such as a self-inflicted death since the
    last visit) bring a visit forward. Weights, bands and rules are settings
    under 'schedule:' in the configuration. An aid to prioritising, not a rating.
    """
    from datapack.estate_views.outputs import write_schedule

    config = load(config_path)
    with output_folder(config, output) as writer:
        analysis, built_at, dirs = _analyse(config, quiet)
        paths, rows = write_schedule(analysis, writer, built_at, dirs, priorities=_priorities(analysis))
    click.echo("Suggested visit programme (an aid to prioritising, not a rating), most urgent first:")
    for line in ranked_lines(rows):
        click.echo(line)
    if not quiet:
        click.echo(f"Wrote {', '.join(p.name for p in paths.values())} to {writer.root}")


def register(group: click.Group) -> None:
    """Add ``compare`` and ``schedule`` to the main command group."""
    group.add_command(compare)
    group.add_command(schedule)
