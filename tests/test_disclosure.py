"""Small numbers are hidden, and cannot be worked back from totals."""

import itertools

import numpy as np
import pandas as pd

from datapack.config import Disclosure
from datapack.disclosure import Control


def test_counts_below_the_threshold_are_hidden_and_zero_is_shown():
    control = Control(Disclosure(threshold=5))
    assert [control.count(n).text for n in (0, 1, 4, 5, 1234)] == ["0", "[c]", "[c]", "5", "1,234"]


def test_rounding_applies_to_shown_counts():
    control = Control(Disclosure(threshold=5, rounding=5))
    assert [control.count(n).value for n in (7, 8, 12, 13)] == [5, 10, 10, 15]


def test_rates_and_percentages_on_hidden_counts_are_hidden():
    control = Control(Disclosure(threshold=5))
    assert control.rate(3, 400).hidden
    assert control.rate(30, 400).text == "75.0"
    assert control.percent(3, 40).hidden
    assert control.percent(38, 40).hidden          # 2 people gave the other answer
    assert control.percent(12, 40).text == "30%"


def _recoverable(counts: np.ndarray, hidden: np.ndarray) -> bool:
    """Whether any hidden cell is fixed by the row and column totals (rank test)."""
    cells = list(zip(*np.where(hidden)))
    if not cells:
        return False
    rows, cols = counts.shape
    # each equation: a row or column total minus the shown cells = sum of its hidden cells
    equations = []
    for r in range(rows):
        equations.append([1 if c[0] == r else 0 for c in cells])
    for k in range(cols):
        equations.append([1 if c[1] == k else 0 for c in cells])
    a = np.array(equations, dtype=float)
    rank = np.linalg.matrix_rank(a)
    for i in range(len(cells)):
        unit = np.zeros(len(cells))
        unit[i] = 1
        if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
            return True  # that cell is a combination of known totals
    return False


def test_no_hidden_cell_can_be_solved_from_the_margins():
    rng = np.random.default_rng(7)
    control = Control(Disclosure(threshold=5))
    for _ in range(200):
        counts = rng.choice([0, 1, 2, 3, 6, 9, 20, 40], size=(rng.integers(2, 6), rng.integers(2, 5)))
        frame = pd.DataFrame(counts)
        mask = control.table_mask(frame).to_numpy()
        primary = (counts > 0) & (counts < 5)
        assert (mask | ~primary).all()             # every small count is hidden
        assert not _recoverable(counts, mask), counts


def test_a_single_small_cell_in_a_row_takes_a_neighbour_with_it():
    control = Control(Disclosure(threshold=5))
    frame = pd.DataFrame({"a": [10, 2, 30], "b": [20, 40, 50], "c": [7, 8, 0]})
    mask = control.table_mask(frame)
    assert mask.sum().sum() == 4
    assert mask.loc[1, "a"] and mask.loc[1, "c"] and mask.loc[0, "a"] and mask.loc[0, "c"]
