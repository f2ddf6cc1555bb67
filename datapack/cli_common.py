"""What every command shares: the ``--config`` help, and reading the configuration with its problems printed.

The command modules (:mod:`datapack.cli`, :mod:`datapack.cli_managers`,
:mod:`datapack.cli_exchange`) all import this; it imports none of them, so the
main group can register the others' commands without an import circle.
"""

from __future__ import annotations

from typing import Iterable

import click

from datapack.config import Config, load_config
from datapack.problems import InputError, Problem

CONFIG_HELP = "Configuration file (default: datapack.yaml in the current folder)."


def print_problems(problems: Iterable[Problem]) -> None:
    """Each problem on its own line of standard error."""
    for p in problems:
        click.echo(str(p), err=True)


def load(config_path: str) -> Config:
    """The checked configuration; its problems printed and the command stopped (exit 1) when it has any."""
    try:
        return load_config(config_path)
    except InputError as exc:
        print_problems(exc.problems)
        raise click.ClickException(f"{len(exc.problems)} problem(s) in the configuration; nothing was done.")
