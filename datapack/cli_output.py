"""The ``--output`` option every writing command shares, and the output folder's refusals as messages.

The rules themselves are in :mod:`datapack.output_dir` and :mod:`datapack.writer`;
this module only turns them into command-line options and exit statuses.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import click

OUTPUT_HELP = ("Folder for the outputs (default: 'output' from the configuration). datapack writes only into an "
               "empty folder or one it made, and one run at a time (README: 'The output folder').")


def output_option(help_text: str = OUTPUT_HELP):
    """The ``--output FOLDER`` option every writing command shares (a string, so that '' is refused, not '.')."""
    return click.option("--output", default=None, metavar="FOLDER", help=help_text)


class FolderBusy(click.ClickException):
    """Another run holds the output folder: exit status 75 (try again later)."""

    exit_code = 75  # datapack.output_dir.EXIT_BUSY


@contextmanager
def output_errors(from_option: bool) -> Iterator[None]:
    """Refusals of the output folder as messages: a bad ``--output`` is a usage error (exit 2), others exit 1."""
    from datapack.output_dir import BadTarget, OutputBusy
    from datapack.writer import OutputRefused

    try:
        yield
    except BadTarget as exc:
        if from_option:
            raise click.BadParameter(str(exc), param_hint="'--output'") from None
        raise click.ClickException(f"the 'output' setting of the configuration: {exc}") from None
    except OutputBusy as exc:
        raise FolderBusy(str(exc)) from None
    except OutputRefused as exc:
        raise click.ClickException(str(exc)) from None


@contextmanager
def output_folder(config: Any, output: str | None) -> Iterator:
    """The writer of the checked, claimed and locked output folder (``--output``, else the configuration's)."""
    from datapack.output_dir import open_output

    with output_errors(output is not None):
        with open_output(output if output is not None else config.resolve(config.output), config.base_dir) as writer:
            yield writer
