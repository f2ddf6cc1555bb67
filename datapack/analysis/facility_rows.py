"""A facility's rows of an estate-wide table, found from one grouping of the table, not a scan per facility.

Every facility's pack, rule and section asks for its own rows of the same few tables (incidents,
the monthly series, population, context ...). Scanning a table of N facilities' rows for each of
N facilities costs N squared; :func:`rows_of` groups each table once, while it lives, and hands
each facility its rows, the same rows in the same order as ``frame[frame[column].astype(str) ==
facility_id]``. Tables are read-only once read, so a grouping stays true while its table lives.
"""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd

#: id(frame) -> (its length, facility id -> row positions); an entry goes when its frame does.
_GROUPED: dict[tuple[int, str], tuple[int, dict[str, np.ndarray]]] = {}


def rows_of(frame: pd.DataFrame, facility_id: object, column: str = "facility_id") -> pd.DataFrame:
    """The rows of ``frame`` whose ``column`` reads ``facility_id`` (as text), in the frame's order."""
    key = (id(frame), column)
    held = _GROUPED.get(key)
    if held is None or held[0] != len(frame):
        codes, names = pd.factorize(frame[column].astype(str), sort=False)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
        held = (len(frame), {str(name): order[bounds[i]:bounds[i + 1]] for i, name in enumerate(names)})
        if key not in _GROUPED:
            weakref.finalize(frame, _GROUPED.pop, key, None)
        _GROUPED[key] = held
    positions = held[1].get(str(facility_id))
    return frame.iloc[positions] if positions is not None else frame.iloc[0:0]
