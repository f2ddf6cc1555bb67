"""A facility's rows of an estate table, from one grouping: the same rows, in the same order, as a scan."""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd

from datapack.analysis.facility_rows import _GROUPED, rows_of


def test_each_facilitys_rows_are_the_rows_a_scan_finds_in_the_same_order():
    rng = np.random.default_rng(5)
    ids = np.array(["A", "B", "C", "D", None], dtype=object)[rng.integers(0, 5, 500)]
    frame = pd.DataFrame({"facility_id": pd.array(ids, dtype="string"), "n": rng.integers(0, 9, 500)},
                         index=rng.permutation(1000)[:500])
    for fid in ("A", "B", "C", "D", "E", "<NA>"):
        scanned = frame[frame["facility_id"].astype(str) == fid]
        found = rows_of(frame, fid)
        assert found.equals(scanned) and list(found.index) == list(scanned.index), fid
    assert rows_of(frame, "E").empty and list(rows_of(frame, "E").columns) == ["facility_id", "n"]
    assert rows_of(frame.iloc[0:0], "A").empty


def test_a_grouping_goes_with_its_table_and_a_new_table_is_grouped_afresh():
    frame = pd.DataFrame({"facility_id": ["A", "B", "A"], "n": [1, 2, 3]})
    assert list(rows_of(frame, "A")["n"]) == [1, 3]
    key = (id(frame), "facility_id")
    assert key in _GROUPED
    del frame
    gc.collect()
    assert key not in _GROUPED
    other = pd.DataFrame({"facility_id": ["B", "A"], "n": [7, 8]})
    assert list(rows_of(other, "A")["n"]) == [8]
