"""The command line: a thin layer over the library.

``datapack validate`` checks every source; ``datapack build`` writes packs;
``datapack demo`` writes a synthetic estate; ``datapack formats`` lists
the input formats.
"""

from __future__ import annotations

import json
import logging
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from datapack import __version__
from datapack.cli_common import CONFIG_HELP
from datapack.cli_common import load as _load
from datapack.cli_common import print_problems as _print_problems
from datapack.cli_output import output_errors, output_option
from datapack.problems import InputError
from datapack.progress import Reporter


class _Guarded(click.Group):
    """The command group, with one handler that turns an unexpected exception into a short message.

    Problems with the inputs are reported as problems long before this; what
    reaches here is a fault in datapack itself, so the message says what was
    being done and how to report it. ``--debug`` shows the traceback instead.
    """

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:
            if ctx.meta.get("datapack.debug"):
                raise
            command = ctx.invoked_subcommand or "datapack"
            doing = ctx.meta.get("datapack.doing", f"running 'datapack {command}'")
            raise click.ClickException(
                f"datapack failed while {doing}: {type(exc).__name__}: {exc}\n"
                f"This is a fault in datapack, not something you did. Run the same command with --debug "
                f"(datapack --debug {command} ...) to see where it happened, and report it with that output "
                "to the project's issue tracker.") from None


@click.group(cls=_Guarded)
@click.version_option(__version__, prog_name="datapack")
@click.option("--debug", is_flag=True, help="Show the full traceback of an unexpected error, and debug messages.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Pre-visit datapacks for places of detention."""
    ctx.meta["datapack.debug"] = debug
    if debug:
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")


def _doing(what: str) -> None:
    """Say what the command is doing, for the message if it fails unexpectedly."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta["datapack.doing"] = what


def _first_line(reason: str) -> str:
    """A failure's first line; the traceback after it only with --debug."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.meta.get("datapack.debug"):
        return reason
    return reason.strip().splitlines()[0] if reason.strip() else reason


@main.command()
@click.option("--config", "config_path", default="datapack.yaml", show_default=True, help=CONFIG_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on standard output.")
@click.option("--quiet", "-q", is_flag=True, help="No progress messages.")
def validate(config_path: str, as_json: bool, quiet: bool) -> None:
    """Check every source and report all problems at once.

    Exits with status 1 when there are errors (warnings alone exit 0).
    """
    from datapack.ingest import load_estate
    from datapack.tables.coverage import coverage

    reporter = Reporter(quiet or as_json)
    _doing(f"reading the configuration {config_path}")
    config = _load(config_path)
    _doing("reading the sources")
    total = sum(len(config.files_for(s)) for s in config.sources)
    with reporter.task("Reading sources", total) as step:
        estate = load_estate(config, progress=step)
    cover = coverage(estate.tables)
    report = estate.report
    if as_json:
        click.echo(json.dumps({
            "ok": report.ok, "errors": len(report.errors), "warnings": len(report.warnings),
            "problems": [p.to_dict() for p in report.problems],
            "files": [f.__dict__ for f in estate.files],
            "coverage": [c.to_dict() for c in cover],
        }, indent=2, default=str))
    else:
        _print_validation(estate, cover)
    sys.exit(0 if report.ok else 1)


def _print_validation(estate, cover) -> None:
    report = estate.report
    if report.problems:
        click.echo(f"Problems ({len(report.errors)} errors, {len(report.warnings)} warnings):")
        for p in report.problems:
            click.echo(f"  {p}")
        click.echo("")
    click.echo("Files read:")
    for f in estate.files:
        click.echo(f"  {f.source:<24} {Path(f.path).name:<40} {f.adapter:<12} {f.rows:>8} rows"
                   f"{'  (cached)' if f.cached else ''}")
    click.echo("")
    click.echo("Coverage by source and facility:")
    for c in cover:
        gap = f"; {len(c.months_missing)} month(s) with no rows: {', '.join(c.months_missing[:6])}" \
            f"{' ...' if len(c.months_missing) > 6 else ''}" if c.months_missing else ""
        click.echo(f"  {c.source:<24} {c.facility_id:<14} {c.rows:>7} rows  {c.first or '-'} to {c.last or '-'}{gap}")
    click.echo("")
    if report.ok:
        click.echo(f"OK: no errors ({len(report.warnings)} warnings).")
    else:
        click.echo(f"FAILED: {len(report.errors)} error(s). Fix them in the files named above, then run again.")


@main.command()
def formats() -> None:
    """List the input formats (adapters) and their options."""
    from datapack import adapters

    for name, cls in adapters.known().items():
        ext = f" ({', '.join(cls.extensions)})" if cls.extensions else ""
        click.echo(f"{name}{ext}: {cls.description}")
        for option, meaning in cls.options.items():
            click.echo(f"    options.{option}: {meaning}")


@contextmanager
def _executor(scheduler: str | None, jobs: int | None):
    """The executor render jobs go to: a Dask cluster's with --scheduler, else None (the build's own pool)."""
    if scheduler is None:
        yield None
        return
    from datapack.build import SchedulerError, dask_executor

    try:
        with dask_executor(scheduler, jobs) as executor:
            yield executor
    except SchedulerError as exc:
        raise click.ClickException(f"--scheduler {scheduler}: {exc}") from None


@main.command()
@click.option("--config", "config_path", default="datapack.yaml", show_default=True, help=CONFIG_HELP)
@click.option("--facility", "facilities", multiple=True, metavar="ID",
              help="Build only this facility (id, name or alias); repeat for more.")
@output_option()
@click.option("--format", "formats", multiple=True, type=click.Choice(["html", "docx", "xlsx", "pdf"]),
              help="Formats to write; repeat for several (default: html, docx and xlsx; pdf needs LibreOffice).")
@click.option("--strict", is_flag=True, help="Stop without writing when any source has an error.")
@click.option("--jobs", type=click.IntRange(1, 1024), default=None,
              help="Packs rendered at once, each in a worker process (default: every processor).")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Render the packs on a Dask cluster: its scheduler's address (tcp://host:8786), or 'local' "
                   "to start one here of --jobs workers. Needs the dask extra (pip install 'datapack[dask]') "
                   "and datapack on every worker.")
@click.option("--rebuild", is_flag=True,
              help="Render every pack again, even those whose inputs, templates and formats are unchanged.")
@click.option("--audience", type=click.Choice(["both", "team", "public"]), default="both", show_default=True,
              help="Who to write for: the team's packs and the public outputs (in public/, when every facility "
                   "is built), only the team's packs, or only the public outputs (the team's packs already "
                   "there are kept).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or messages.")
def build(config_path: str, facilities: tuple[str, ...], output: str | None, formats: tuple[str, ...],
          strict: bool, jobs: int | None, scheduler: str | None, rebuild: bool, audience: str,
          quiet: bool) -> None:
    """Build a pack for every facility (or those named with --facility).

    Problems in the sources are reported and the rows concerned left out;
    with --strict any error stops the build before anything is written.
    """
    from datapack.build import build as run_build
    from datapack.output_dir import check_target

    _doing(f"reading the configuration {config_path}")
    config = _load(config_path)
    with output_errors(output is not None):  # a bad folder is refused before minutes of reading
        target = check_target(output if output is not None else config.resolve(config.output), config.base_dir)
    _doing("building the packs")
    reporter = Reporter(quiet)
    if strict:
        from datapack.ingest import load_estate

        report = load_estate(config).report
        if not report.ok:
            _print_problems(report.errors)
            raise click.ClickException(f"{len(report.errors)} error(s) in the sources; nothing was written "
                                       "(run 'datapack validate' for the full report).")
    try:
        with output_errors(output is not None), _executor(scheduler, jobs) as executor:
            result = run_build(config, list(facilities) or None, target, reporter,
                               tuple(formats) or ("html", "docx", "xlsx"), jobs=jobs, rebuild=rebuild,
                               audience=audience, executor=executor)
    except InputError as exc:
        _print_problems(exc.problems)
        raise click.ClickException("nothing was built.")
    for note in result.notes:
        click.echo(note, err=True)
    errors = len(result.estate.report.errors)
    if not quiet:
        click.echo(f"Wrote {len(result.written)} pack(s) to {result.output}"
                   + (f"; {errors} source error(s) reported above (rows concerned left out)" if errors else ""))
    for problem in result.problems:
        click.echo(str(problem), err=True)
    if result.failed:
        reported = {p.message for p in result.problems}
        for fid, reason in result.failed.items():
            if reason not in reported:  # a failure with no problem of its own (e.g. the leak gate's)
                click.echo(f"FAILED {fid}: {_first_line(reason)}", err=True)
        raise click.ClickException(f"{len(result.failed)} pack(s) could not be built; the others were written.")
    if result.problems:
        raise click.ClickException("the packs were written, but part of the analysis failed (reported above).")


@main.command()
@click.option("--out", "out_dir", default="demo", show_default=True, metavar="FOLDER",
              help="Folder to write the demo estate to (sources/ and datapack.yaml).")
@click.option("--seed", default=2026, show_default=True, help="Random seed: the same seed gives the same estate.")
@click.option("--facilities", "n_facilities", default=12, show_default=True, help="Number of facilities.")
@click.option("--months", default=36, show_default=True, help="Months of data, ending September 2026.")
@click.option("--force", is_flag=True, help="Overwrite an existing datapack.yaml and demo sources.")
@click.option("--quiet", "-q", is_flag=True, help="No messages.")
def demo(out_dir: str, seed: int, n_facilities: int, months: int, force: bool, quiet: bool) -> None:
    """Write a realistic synthetic estate in the real export formats, with known signals planted.

    The estate is written to a staging folder and moved into place, datapack.yaml last, so a
    run that is stopped leaves no configuration naming files that are not there.
    """
    from datapack.demo import generate

    if not out_dir.strip():
        raise click.BadParameter(f"the folder is empty ({out_dir!r}); name one, for example --out mydemo.",
                                 param_hint="'--out'")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise click.BadParameter(f"{str(out_dir)!r} is a file, not a folder.", param_hint="'--out'")
    if (out_dir / "datapack.yaml").exists() and not force:
        raise click.ClickException(f"{out_dir / 'datapack.yaml'} exists; use --force to overwrite it, "
                                   "or --out to choose another folder.")
    try:
        generate(out_dir, seed=seed, facilities=n_facilities, months=months, overwrite=force)
    except ValueError as exc:
        raise click.ClickException(str(exc))
    if not quiet:
        click.echo(f"Wrote a demo estate of {n_facilities} facilities and {months} months to {out_dir}/ "
                   f"(see {out_dir / 'sources' / 'README.md'} for the planted signals).")
        click.echo(f"Next: datapack build --config {out_dir / 'datapack.yaml'}")


@main.command()
def tables() -> None:
    """Print the reference of the canonical tables (Markdown), as in docs/tables.md."""
    from datapack.tables.schemas import describe_markdown

    click.echo("# Canonical tables\n\nGenerated by `datapack tables`; every frame also carries "
               "provenance columns `_source`, `_file`, `_sheet` and `_row`.\n")
    click.echo(describe_markdown())


def _register_more() -> None:
    """Commands that live in their own modules (managers' views, exchange between bodies)."""
    from datapack.cli_managers import register as register_managers

    register_managers(main)
    try:
        from datapack.cli_exchange import register as register_exchange
    except ModuleNotFoundError:
        return
    register_exchange(main)


_register_more()


if __name__ == "__main__":  # pragma: no cover
    main()
