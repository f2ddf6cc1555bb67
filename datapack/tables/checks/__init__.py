"""Sanity and plausibility checks against silent wrong figures.

Mapping checks each cell; these checks look at what the cells say together,
once every source is read: a total row read as a facility, one key given
twice, two sources describing the same incidents, a value outside the
vocabulary, a date after the build, a population of ``1e308``. Each finding
is a located :class:`~datapack.problems.Problem` in the report that
``datapack validate`` prints and ``datapack build --strict`` refuses; the
rows concerned are left out (or, for a repeat, counted once), so that no
such figure reaches a pack. Settings are under ``checks:`` in the
configuration (:class:`datapack.config.Checks`).

Where each check runs:

* :mod:`.totals` and :func:`.plausible.unparsed_formats` on each file as it
  is mapped (they need the cells as written);
* :mod:`.vocabulary` on each column with a fixed vocabulary as it is
  parsed, and on person characteristics once the population mix is read;
* :mod:`.plausible` and :mod:`.duplicates` on the whole estate, in
  :func:`run_checks`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from datapack.problems import Problem
from datapack.tables.checks.duplicates import check_duplicates
from datapack.tables.checks.plausible import check_plausible
from datapack.tables.checks.rows import RowProblems
from datapack.tables.checks.vocabulary import check_characteristics


def run_checks(tables: dict[str, pd.DataFrame], config: Any,
               as_of: Any = None) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """The canonical tables after the estate-wide checks, and the problems found.

    ``as_of`` is the build date (default today): no event may be dated after
    it. Implausible values go first, so that a wrong date or figure cannot
    make two rows look like one another.
    """
    as_of = pd.Timestamp(as_of if as_of is not None else pd.Timestamp.now()).tz_localize(None)
    out = RowProblems(config.sources)
    tables = check_plausible(tables, config.checks, as_of, out)
    tables = check_duplicates(tables, out)
    tables = check_characteristics(tables, config.checks, out)
    return tables, out.finish()
