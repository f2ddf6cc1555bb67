"""Progress for long work: a bar on a terminal, plain lines otherwise, nothing with --quiet."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator

import click


class Reporter:
    """Steps of work shown to the person running the command."""

    def __init__(self, quiet: bool = False, stream=None):
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.fancy = not quiet and self.stream.isatty()

    def info(self, message: str) -> None:
        """A line of plain progress (suppressed by --quiet)."""
        if not self.quiet:
            click.echo(message, err=self.stream is sys.stderr, file=None if self.stream is sys.stderr else self.stream)

    @contextmanager
    def task(self, label: str, total: int | None = None) -> Iterator:
        """A progress bar on a terminal; plain start and end lines elsewhere."""
        if self.fancy:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                          TextColumn("{task.fields[item]}"), TimeElapsedColumn(), transient=False) as bar:
                task_id = bar.add_task(label, total=total, item="")

                def step(item: str = "") -> None:
                    bar.update(task_id, advance=1, item=item)
                yield step
            return
        self.info(f"{label}...")
        count = 0

        def step(item: str = "") -> None:
            nonlocal count
            count += 1
        yield step
        self.info(f"{label}: done ({count})")
