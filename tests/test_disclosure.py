"""What each audience protects: people in the team's pack; small counts too, never worked back, in public outputs."""

import numpy as np
import pandas as pd

from datapack.config import Disclosure
from datapack.disclosure import Control


def test_counts_below_the_threshold_are_hidden_and_zero_is_shown():
    control = Control(Disclosure(audience="public", threshold=5))
    assert [control.count(n).text for n in (0, 1, 4, 5, 1234)] == ["0", "[c]", "[c]", "5", "1,234"]


def test_rounding_applies_to_shown_counts():
    control = Control(Disclosure(audience="public", threshold=5, rounding=5))
    assert [control.count(n).value for n in (7, 8, 12, 13)] == [5, 10, 10, 15]


def test_rates_and_percentages_on_hidden_counts_are_hidden():
    control = Control(Disclosure(audience="public", threshold=5))
    assert control.rate(3, 400).hidden
    assert control.rate(30, 400).text == "75.0"
    assert control.percent(3, 40).hidden
    assert control.percent(38, 40).hidden          # 2 people gave the other answer
    assert control.percent(12, 40).text == "30%"


def test_the_teams_pack_shows_counts_and_rates_but_not_a_percentage_of_too_few_people():
    control = Control(Disclosure(threshold=5))  # audience: team, the default
    assert control.settings.audience == "team" and not control.suppresses and control.threshold == 0
    assert [control.count(n).text for n in (0, 1, 4, 5, 1234)] == ["0", "1", "4", "5", "1,234"]
    assert control.rate(3, 400).text == "7.5"
    assert control.percent(3, 40).text == "8%" and control.percent(38, 40).text == "95%"
    assert control.percent(1, 4).hidden and control.percent(4, 4).hidden  # 4 people answered: too few to describe
    assert control.min_people == 5 and control.too_few_people(4) and not control.too_few_people(5)
    table = pd.DataFrame({"a": [1, 2], "b": [30, 0]})
    assert not control.table_mask(table).to_numpy().any()
    assert control.table(table).loc["Total", "Total"] == "33"


def test_an_output_for_another_audience_keeps_every_other_setting():
    team = Control(Disclosure(threshold=7, rounding=5, symbol="*"))
    public = team.for_audience("public")
    assert public.suppresses and public.threshold == 7 and public.count(6).text == "*"
    assert public.count(12).text == "10" and team.count(6).text == "5"
    assert team.settings.audience == "team"  # unchanged


def _recoverable(shown: pd.DataFrame) -> bool:
    """Whether any hidden figure of a shown table (with Total row and column) can be solved.

    Independent of the code under test: it reads only the text a reader
    sees, treats every '[c]' as an unknown, and asks whether some unknown is
    fixed by the equations 'a row (column) adds up to its total' (rank test).
    """
    grid = shown.to_numpy()
    cells = [tuple(c) for c in np.argwhere(grid == "[c]")]
    if not cells:
        return False
    rows, cols = grid.shape[0] - 1, grid.shape[1] - 1
    equations = []
    for i in range(rows + 1):
        equations.append([(-1 if j == cols else 1) if (r == i) else 0 for (r, j) in cells])
    for j in range(cols + 1):
        equations.append([(-1 if i == rows else 1) if (c == j) else 0 for (i, c) in cells])
    a = np.array(equations, dtype=float)
    rank = np.linalg.matrix_rank(a)
    for k in range(len(cells)):
        unit = np.zeros(len(cells))
        unit[k] = 1
        if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
            return True  # that figure is a combination of what is shown
    return False


def test_no_hidden_figure_can_be_solved_from_a_shown_table():
    rng = np.random.default_rng(7)
    control = Control(Disclosure(audience="public", threshold=5))
    for _ in range(300):
        counts = rng.choice([0, 1, 2, 3, 6, 9, 20, 40], size=(rng.integers(2, 7), rng.integers(2, 5)))
        shown = control.table(pd.DataFrame(counts))
        body = shown.iloc[:-1, :-1].to_numpy()
        primary = (counts > 0) & (counts < 5)
        assert (body[primary] == "[c]").all()          # every small count is hidden
        assert not _recoverable(shown), (counts, shown)


def test_a_single_small_cell_in_a_row_takes_a_neighbour_with_it():
    control = Control(Disclosure(audience="public", threshold=5))
    frame = pd.DataFrame({"a": [10, 2, 30], "b": [20, 40, 50], "c": [7, 8, 0]})
    mask = control.table_mask(frame)
    assert mask.loc[1, "a"] and mask.sum(axis=1)[1] >= 2 and mask.sum(axis=0)["a"] >= 2
    assert not _recoverable(control.table(frame))


# -- leaks through a shown total, each worked by hand (issue 12.5) -------------------------------------------

def _pinned(values, hidden, relations):
    """Hidden figures whose whole-number interval is a single value, by the attacker's own solver."""
    from recovery_attack import Model, intervals

    m = Model()
    for i, v in enumerate(values):
        if hidden[i]:
            m.figure(i, {"text": "[c]", "value": None, "hidden": True})
        else:
            m.show(i, v)
    for row, lo, hi in relations:
        m.rows.append(({m.var(k): c for k, c in row.items()}, lo, hi))
    return {k: v for k, v in intervals(m).items() if v[0] == v[1]}


def test_a_small_part_of_a_total_of_shown_parts_hides_the_total_and_nothing_else():
    from datapack.disclosure import equal, protect

    # staff 13, detainees 12, fights 4 (small, hidden); assaults (all) 29 = 13 + 12 + 4. Staff and detainees
    # are each shown again as an indicator of their own (13, 12). Shown as it was, fights = 29 - 13 - 12 = 4.
    values = [13, 12, 4, 29, 13, 12]
    relations = [equal(3, [0, 1, 2]), equal(4, [0]), equal(5, [1])]
    hidden = np.array([False, False, True, False, False, False])
    assert _pinned(values, hidden, relations) == {2: (4.0, 4.0)}
    done = protect(np.array(values, float), hidden, relations)
    # hiding staff or detainees alone frees nothing (each is shown again); only the assaults total does
    assert done.tolist() == [False, False, True, True, False, False]
    assert _pinned(values, done, relations) == {}


def test_a_quarter_cell_equal_to_a_shown_quarter_count_hides_that_count():
    from datapack.disclosure import equal, protect

    # a category's two quarters 20 and 7 (both hidden), total 27 shown; the second quarter's months 2, 3, 2
    # (unknowns the pack never shows) are the chart's months (hidden), whose sum the pack shows as the latest
    # quarter's count, 7: the hidden cell is that count, three relations away.
    #          0 q1  1 q2  2 total  3-5 months  6-8 chart months  9 quarter count
    values = [20, 7, 27, 2, 3, 2, 2, 3, 2, 7]
    relations = [equal(2, [0, 1]), equal(1, [3, 4, 5]), equal(6, [3]), equal(7, [4]), equal(8, [5]),
                 equal(9, [6, 7, 8])]
    hidden = np.array([True, True, False, True, True, True, True, True, True, False])
    guard = np.array([True, True, True, False, False, False, True, True, True, True])
    movable = np.array([True, True, False, False, False, False, True, True, True, True])
    assert 1 in _pinned(values, hidden, relations) and _pinned(values, hidden, relations)[1] == (7.0, 7.0)
    done = protect(np.array(values, float), hidden, relations, guard=guard, movable=movable)
    assert done[9] and done.sum() == hidden.sum() + 1  # the quarter count, and nothing more
    found = _pinned(values, done, relations)
    assert not any(k in found for k in (0, 1, 9)), found


def test_a_group_solved_again_gives_the_same_answer_and_is_solved_once():
    from datapack import disclosure as d

    rng = np.random.default_rng(3)
    calls = []
    original = d._narrow

    def counted(*args):
        calls.append(args)
        return original(*args)

    d._narrow, saved = counted, d._SOLVED.copy()
    d._SOLVED.clear()
    try:
        for _ in range(40):
            rows, cols = int(rng.integers(1, 4)), int(rng.integers(2, 6))
            matrix = rng.choice([0.0, 1.0, -1.0], size=(rows, cols))
            truth = rng.integers(0, 6, cols).astype(float)
            lo = hi = matrix @ truth
            wanted = sorted(rng.choice(cols, int(rng.integers(1, cols + 1)), replace=False).tolist())
            first = d._narrow_once(matrix, lo, hi, truth, wanted, 1)
            assert list(first) == original(matrix, lo, hi, truth, wanted, 1)
            before = len(calls)
            assert d._narrow_once(matrix.copy(), lo.copy(), hi.copy(), truth.copy(), list(wanted), 1) == first
            assert len(calls) == before  # the same group again: not solved again
            d._narrow_once(matrix, lo, hi, truth + 1, wanted, 1)  # other figures: another group
            assert len(calls) == before + 1
    finally:
        d._narrow = original
        d._SOLVED.clear()
        d._SOLVED.update(saved)
