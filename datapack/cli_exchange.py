"""Commands for exchange and build history: ``datapack export`` and ``datapack digest``.

:func:`register` adds them to the main command group. Both are thin: the work is in
:mod:`datapack.exchange` and :mod:`datapack.history`, and files are written only by the writer.
"""

from __future__ import annotations

import json

import click

from datapack.cli_common import CONFIG_HELP
from datapack.cli_common import load as _config
from datapack.cli_output import output_folder, output_option
from datapack.problems import InputError


@click.command("export")
@click.option("--config", "config_path", default="datapack.yaml", show_default=True, help=CONFIG_HELP)
@output_option("Folder for the outputs (default: 'output' from the configuration); the package is its "
               "datapackage/ folder. datapack writes only into an empty folder or one it made.")
def export_command(config_path: str, output: str | None) -> None:
    """Write the canonical tables and pack figures as a Frictionless data package (datapackage/ in the output folder).

    Incidents leave only as monthly counts and survey answers only as results per question; no
    person-level identifier is written, and every count passes disclosure control (docs/exchange.md).
    """
    from datapack.analysis.estate import analyse
    from datapack.build_time import build_time, source_date_epoch
    from datapack.disclosure import Control
    from datapack.exchange import write_datapackage
    from datapack.ingest import load_estate

    config = _config(config_path)
    with output_folder(config, output) as writer:
        try:  # dated and judged by the build time, as ``datapack build`` is: same inputs, same package
            estate = load_estate(config, as_of=source_date_epoch())
            for problem in estate.report.errors:
                click.echo(str(problem), err=True)
            # the package leaves the team: small counts are hidden as in any public output
            analysis = analyse(estate, Control(config.disclosure).for_audience("public"), as_of=build_time(estate))
        except InputError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            raise click.ClickException("nothing was exported.")
        target = write_datapackage(writer, estate, analysis)
        from datapack.leakgate import scan

        leaks = scan(target, estate.identifiers)  # the leak gate, as after a build: files kept, the export failed
    for finding in leaks:
        click.echo(f"LEAK {finding}", err=True)
    if leaks:
        raise click.ClickException(f"the leak gate found {len(leaks)} identifier(s) in {target}: do not send it; "
                                   "correct the sources named above and export again.")
    resources = len(json.loads((target / "datapackage.json").read_text(encoding="utf-8"))["resources"])
    errors = len(estate.report.errors)
    click.echo(f"Wrote a data package of {resources} resources to {target}"
               + (f"; {errors} source error(s) reported above (rows concerned left out)" if errors else ""))


@click.command("digest")
@click.option("--config", "config_path", default="datapack.yaml", show_default=True, help=CONFIG_HELP)
@output_option("Also write digest.html and digest.json to this folder (datapack writes only into an empty "
               "folder or one it made).")
@click.option("--json", "as_json", is_flag=True, help="Print the digest as JSON instead of text.")
def digest_command(config_path: str, output: str | None, as_json: bool) -> None:
    """Print what is new in the last recorded build since the one before it."""
    from datapack.history import HistoryError, digest, latest_build, render_digest_html, render_digest_json
    from datapack.render import template_dirs

    config = _config(config_path)
    if config.history is None:
        raise click.ClickException("build history is turned off ('history: null' in the configuration); "
                                   "set 'history' to a file name and run 'datapack build'.")
    db = config.resolve(config.history)
    try:
        if latest_build(db) is None:
            raise click.ClickException(f"no build is recorded in {db} yet; run 'datapack build' first.")
        result = digest(db)
    except HistoryError as exc:
        raise click.ClickException(str(exc))
    if output is not None:
        dirs = template_dirs(config.resolve(config.templates) if config.templates else None)
        with output_folder(config, output) as writer:
            writer.write_file("digest.html", render_digest_html(result, dirs).encode())
            writer.write_file("digest.json", render_digest_json(result).encode())
    click.echo(render_digest_json(result) if as_json else digest_text(result), nl=not as_json)


def digest_text(result: dict) -> str:
    """The digest as plain text for the terminal."""
    lines = [result["title"], f"Build {result['build']['id']} of {result['build']['built_at']}. {result['summary']}"]
    sections = (("new_signals", "New special-cause signals"), ("new_outliers", "New outliers against peers"),
                ("ended_signals", "Signals that ended"))
    for key, heading in sections:
        if result[key]:
            lines += ["", f"{heading}:"] + [f"  {s['facility']}: {s['indicator_label']} ({s['kind_label']}, "
                                            f"{s['period']})" for s in result[key]]
    if result["new_deaths"]:
        lines += ["", "Deaths newly recorded:"] + [f"  {d['facility']}: {d['month_label']}, {d['cause_label']}: "
                                                   f"{d['count']['text']}" for d in result["new_deaths"]]
    if result["newly_overdue"]:
        lines += ["", "Recommendations newly overdue:"] + [f"  {r['facility']}: {r['ref']} (due {r['due']})"
                                                           for r in result["newly_overdue"]]
    for c in result["look_elsewhere"]:
        lines += ["", f"Worth a look elsewhere - {c['facility']}: {c['concern']} ({c['kind'].lower()}); "
                      f"{c['compared_with']}:"]
        lines += [f"  {s['facility']}: {s['figure'] or 'no figure'}"
                  + (f" ({s['rate']})" if s["rate"] else "")
                  + (f"; signals now: {', '.join(s['signals'])}" if s["signals"] else "")
                  + ("; same area for enquiry" if s["same_entry"] else "") for s in c["similar"]]
    return "\n".join(lines)


def register(group: click.Group) -> None:
    """Add ``export`` and ``digest`` to the ``datapack`` command group."""
    group.add_command(export_command, "export")
    group.add_command(digest_command, "digest")
