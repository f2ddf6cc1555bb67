"""Disclosure control, in one place: every figure on its way to an output passes here.

Rules (all settings in ``disclosure:`` of the configuration). What is
protected follows the audience (``disclosure.audience``):

* **people, in every output**: a percentage of fewer than ``threshold``
  people (survey answers, early-days shares) is not shown, and no group of
  fewer than ``threshold`` people is described (subgroups, equality);
* **small counts, in public outputs only**: a count from 1 to
  ``threshold - 1`` is hidden (zero is shown: it identifies nobody), and
  more figures are hidden (secondary suppression) until no hidden count can
  be worked back from what is shown, counts being whole and not negative;
  rates and percentages built on a hidden count are hidden too. The team's
  pack shows counts and rates as they are;
* **rounding** (optional): shown counts are rounded to the nearest ``rounding``.
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from typing import Any
from dataclasses import dataclass

import numpy as np
import pandas as pd

from datapack.config import Disclosure


@dataclass(frozen=True)
class Shown:
    """A figure as it may be shown: its text and, where it may be shown, its value."""

    text: str
    value: float | None
    hidden: bool = False
    note: str = ""  # why a hidden figure is hidden (SMALL or FOR_ANOTHER)


#: Why a count is hidden, in words: it is small ...
SMALL = "Hidden: small number"
#: ... or it is hidden so that another hidden figure cannot be worked out from it (secondary suppression).
FOR_ANOTHER = "Hidden so that another hidden figure cannot be worked out"


class Control:
    """Disclosure rules bound to one configuration."""

    def __init__(self, settings: Disclosure):
        self.settings = settings

    @property
    def suppresses(self) -> bool:
        """Whether small counts are hidden: in public outputs, when the threshold is above 1."""
        return self.settings.audience == "public" and self.settings.threshold > 1

    @property
    def threshold(self) -> int:
        """The smallest count shown: the setting in public outputs, 0 (every count shown) in the team's pack."""
        return self.settings.threshold if self.suppresses else 0

    @property
    def min_people(self) -> int:
        """The smallest group of people an output describes (a percentage of them, a subgroup), in any audience."""
        return max(self.settings.threshold, 1)

    def is_small(self, n: float | None) -> bool:
        """True when a count must be hidden by primary suppression."""
        return n is not None and not _nan(n) and 0 < n < self.threshold

    def for_audience(self, audience: str) -> "Control":
        """The same rules for another audience (an export leaves the team, so it is public)."""
        return Control(self.settings.model_copy(update={"audience": audience}))

    def too_few_people(self, n: float | None) -> bool:
        """True when ``n`` people are too few to be described."""
        return n is not None and not _nan(n) and 0 < n < self.min_people

    def groups_mask(self, people: np.ndarray) -> np.ndarray:
        """Which groups of a breakdown of people (shown with its total) are not described, in any audience.

        A group of 1 to ``min_people - 1`` is hidden. A reader knows the hidden
        groups add up to the total less the groups shown, and that each holds
        at least one person; so while that pins any of them (one group hidden
        alone, or every hidden group holding exactly one), the smallest group
        still shown is hidden too. The outputs say the same words for every
        hidden group, so a reader cannot tell which is the small one. Groups
        of nobody are never hidden (a zero identifies nobody). In public
        outputs the threshold is the same, so the same rule holds there.
        """
        people = np.asarray(people, dtype=float)
        hidden = (people > 0) & (people < self.min_people)
        while hidden.any() and (hidden.sum() == 1 or people[hidden].sum() == hidden.sum()):
            rest = np.where(~hidden & (people > 0), people, np.inf)
            if not np.isfinite(rest).any():
                break
            hidden[int(np.argmin(rest))] = True
        return hidden

    def rounded(self, n: float) -> float:
        base = self.settings.rounding
        return float(base * math.floor(n / base + 0.5)) if base else float(n)

    def count(self, n: float | None, hidden: bool = False) -> Shown:
        """A count for display: hidden when small (or when ``hidden`` says so), else rounded."""
        if n is None or _nan(n):
            return Shown("no data", None)
        if hidden or self.is_small(n):
            return Shown(self.settings.symbol, None, True, SMALL if self.is_small(n) else FOR_ANOTHER)
        value = self.rounded(n)
        return Shown(f"{value:,.0f}", value)

    def rate(self, numerator: float | None, denominator: float | None, scale: float = 1000,
             digits: int = 1, numerator_hidden: bool = False) -> Shown:
        """``numerator / denominator * scale``; hidden when the numerator is hidden."""
        if numerator is None or denominator in (None, 0) or _nan(numerator) or _nan(denominator):
            return Shown("no data", None)
        if numerator_hidden or self.is_small(numerator):
            return Shown(self.settings.symbol, None, True, SMALL if self.is_small(numerator) else FOR_ANOTHER)
        value = numerator / denominator * scale
        return Shown(f"{value:,.{digits}f}", value)

    def percent(self, part: float | None, whole: float | None, digits: int = 0) -> Shown:
        """``part`` (people) as a percentage of ``whole`` (people); hidden when the whole is too few people.

        1 of 2 respondents identifies someone as surely as a name, in any
        audience. Public outputs also hide it when the part, or the rest, is
        a small count.
        """
        if part is None or whole in (None, 0) or _nan(part) or _nan(whole):
            return Shown("no data", None)
        if (self.too_few_people(whole) or self.is_small(part) or self.is_small(whole)
                or self.is_small(whole - part)):
            return Shown(self.settings.symbol, None, True)
        value = 100 * part / whole
        return Shown(f"{value:.{digits}f}%", value)

    def table_mask(self, counts: pd.DataFrame, totals: bool = True,
                   hidden: pd.DataFrame | None = None) -> pd.DataFrame:
        """Which cells of a count table to hide (True = hidden).

        Primary suppression first. When the table is shown with row and
        column totals, more cells are hidden until no hidden figure, in the
        body or among the totals, can be solved from what is shown.
        ``hidden`` (same shape) marks body cells hidden already, for another figure's sake.
        """
        return self._masks(counts, totals, hidden)[0]

    def _masks(self, counts: pd.DataFrame, totals: bool,
               seed: pd.DataFrame | None = None) -> tuple[pd.DataFrame, np.ndarray]:
        """Body mask, and the mask of the table with its margins (last row and column)."""
        values = counts.to_numpy(dtype=float, na_value=0.0)
        rows, cols = values.shape
        full = np.zeros((rows + 1, cols + 1))
        full[:rows, :cols] = values
        full[:rows, cols] = values.sum(axis=1)
        full[rows, :cols] = values.sum(axis=0)
        full[rows, cols] = values.sum()
        hidden = (full > 0) & (full < self.threshold)
        if seed is not None:
            hidden[:rows, :cols] |= seed.to_numpy(dtype=bool)
        if totals:
            rank = np.zeros(full.shape)
            rank[rows, :] = rank[:, cols] = 1  # body cells before totals
            hidden = protect(full.ravel(), hidden.ravel(), table_relations(rows, cols),
                             rank=rank.ravel()).reshape(full.shape)
        else:
            hidden[rows, :] = hidden[:, cols] = False
        body = pd.DataFrame(hidden[:rows, :cols], index=counts.index, columns=counts.columns)
        return body, hidden

    def table(self, counts: pd.DataFrame, totals: bool = True, hidden: pd.DataFrame | None = None) -> pd.DataFrame:
        """A count table as text for display, with a ``Total`` row and column when asked."""
        _, hidden = self._masks(counts, totals, hidden)
        values = counts.to_numpy(dtype=float, na_value=np.nan)
        rows, cols = values.shape
        shown = pd.DataFrame(index=counts.index, columns=counts.columns, dtype=object)
        for j, col in enumerate(counts.columns):
            shown[col] = [self.count(values[i, j], hidden[i, j]).text for i in range(rows)]
        if totals:
            filled = np.nan_to_num(values)
            shown["Total"] = [self.count(filled[i].sum(), hidden[i, cols]).text for i in range(rows)]
            shown.loc["Total"] = [self.count(filled[:, j].sum(), hidden[rows, j]).text for j in range(cols)] + \
                [self.count(filled.sum(), hidden[rows, cols]).text]
        return shown


def _nan(x: float) -> bool:
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return False




# -- the integer audit ---------------------------------------------------------------------------------
#
# Every suppression path (a table with its margins, a series with its window totals, the figures one
# pack shows together, the exchange files) asks one question: can a hidden count be worked back from
# what is shown? Counts are whole numbers and never negative, so an attacker solves for each hidden
# count's smallest and largest possible value by integer programming, not only by linear algebra.
# A hidden count is safe when that interval holds more than ``WIDTH`` values... i.e. when
# ``max - min >= WIDTH``.

#: A hidden count is safe when the largest and smallest values it could take, given every total
#: shown, differ by at least this much (1: what is shown never pins it to a single value).
WIDTH = 1

#: A relation between figures: ``lo <= sum(coefficient * figure) <= hi``.
Relation = tuple[dict[int, float], float, float]


def equal(total: int, parts: list[int]) -> Relation:
    """``figure[total] == sum(figure[parts])``."""
    row = {p: 1.0 for p in parts}
    row[total] = row.get(total, 0.0) - 1.0
    return row, 0.0, 0.0


def at_most(parts: list[int], whole: list[int]) -> Relation:
    """``sum(figure[parts]) <= sum(figure[whole])`` (a part of something: planned use of force)."""
    row: dict[int, float] = {}
    for p in parts:
        row[p] = row.get(p, 0.0) + 1.0
    for w in whole:
        row[w] = row.get(w, 0.0) - 1.0
    return row, -math.inf, 0.0


def exposed(values: np.ndarray, hidden: np.ndarray, relations: list[Relation], guard: np.ndarray,
            width: int = WIDTH) -> list[int]:
    """Guarded hidden figures whose whole-number interval, given every shown figure, is narrower than ``width``.

    The hidden figures are unknowns (whole numbers, at least 0; zero is shown by the rules, but a
    figure hidden for another's sake may be zero), the shown ones constants. The relations split
    into groups of unknowns that share none, each solved on its own. For each guarded unknown the
    linear relaxation is solved first (HiGHS): its bounds hold the whole-number bounds, so a narrow
    relaxation is a leak at once, and an optimum at a whole-number point is the whole-number bound
    (tables with margins and series with window totals give such points). Only where the optimum
    is fractional is :func:`scipy.optimize.milp` asked.
    """
    values = np.nan_to_num(np.asarray(values, dtype=float))
    unknown = np.flatnonzero(hidden)
    if not len(unknown):
        return []
    index = {int(k): i for i, k in enumerate(unknown)}
    parent = list(range(len(unknown)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    reduced = []
    for row, lo, hi in relations:
        rest = {index[k]: c for k, c in row.items() if k in index and c}
        if not rest:
            continue
        shift = sum(c * values[k] for k, c in row.items() if k not in index)
        reduced.append((rest, lo - shift, hi - shift))
        first = next(iter(rest))
        for j in rest:
            parent[find(j)] = find(first)
    groups: dict[int, list[int]] = {}
    for r, (rest, _, _) in enumerate(reduced):
        groups.setdefault(find(next(iter(rest))), []).append(r)
    out = []
    for root, rows in groups.items():
        members = sorted({j for r in rows for j in reduced[r][0]})
        wanted = [j for j in members if guard[unknown[j]]]
        if not wanted:
            continue
        local = {j: n for n, j in enumerate(members)}
        matrix = np.zeros((len(rows), len(members)))
        lo = np.empty(len(rows))
        hi = np.empty(len(rows))
        for n, r in enumerate(rows):
            rest, lo[n], hi[n] = reduced[r]
            for j, c in rest.items():
                matrix[n, local[j]] = c
        truth = values[unknown[members]]
        out += [int(unknown[members[t]]) for t in _narrow_once(matrix, lo, hi, truth, [local[j] for j in wanted], width)]
    return out


#: Groups already solved in this process, by the digest of everything :func:`_narrow` reads: an audit
#: asks the same group again and again while :func:`protect` tries figures elsewhere (in one public
#: summary about 2,300 groups, 900 of them different). The answer is a pure function of the group.
_SOLVED: OrderedDict[bytes, tuple[int, ...]] = OrderedDict()
_SOLVED_MAX = 50_000


def _narrow_once(matrix: np.ndarray, lo: np.ndarray, hi: np.ndarray, truth: np.ndarray, wanted: list[int],
                 width: int) -> tuple[int, ...]:
    """:func:`_narrow`, each different group solved once per process (kept for the last ``_SOLVED_MAX``)."""
    digest = hashlib.blake2b(digest_size=32)
    for part in (np.asarray(matrix.shape, dtype=np.int64), matrix, lo, hi, truth,
                 np.asarray(wanted, dtype=np.int64), np.asarray([width], dtype=np.int64)):
        digest.update(np.ascontiguousarray(part, dtype=np.int64 if part.dtype.kind in "iu" else np.float64).tobytes())
        digest.update(b"|")
    key = digest.digest()
    found = _SOLVED.get(key)
    if found is None:
        found = _SOLVED[key] = tuple(_narrow(matrix, lo, hi, truth, wanted, width))
        if len(_SOLVED) > _SOLVED_MAX:
            _SOLVED.popitem(last=False)
    else:
        _SOLVED.move_to_end(key)
    return found


def _narrow(matrix: np.ndarray, lo: np.ndarray, hi: np.ndarray, truth: np.ndarray, wanted: list[int],
            width: int) -> list[int]:
    """The ``wanted`` unknowns whose whole-number interval under ``lo <= matrix @ x <= hi``, ``x >= 0`` is narrow.

    ``truth`` (the real figures) is one whole-number solution. Any other whole-number solution that
    differs from it by ``width`` or more in an unknown shows that unknown safe, so a few solutions of
    the relaxation (pushing all the wanted unknowns up, then down, then one by one) settle most of
    them at once; the rest get their own bounds, by :func:`scipy.optimize.milp` only where the
    relaxation's bound is fractional and not already narrow.
    """
    size = matrix.shape[1]
    solver = _Solver(matrix, lo, hi)
    equalities = bool(np.all(lo == hi))
    open_ = set(wanted)
    if equalities:  # pinned by linear algebra alone: no need to ask the solver
        fixed = solvable(matrix)
        narrow = [t for t in wanted if fixed[t]]
        open_ -= set(narrow)
    else:
        narrow = []

    def solve(c: np.ndarray, integral: int) -> Any:
        return solver.minimise(c, bool(integral))

    def certify(x: np.ndarray | None) -> None:
        if x is not None and abs(x - np.round(x)).max() < 1e-7:
            open_.difference_update([t for t in list(open_) if abs(x[t] - truth[t]) >= width - 1e-7])

    for sign in (-1.0, 1.0):  # all the wanted unknowns up at once, then down (for one, its own bounds below)
        if len(open_) > 1:
            c = np.zeros(size)
            c[list(open_)] = sign
            certify(solve(c, 0).x)
    for t in wanted:
        if t not in open_:
            continue
        ends = []
        for sign in (-1.0, 1.0):
            c = np.zeros(size)
            c[t] = sign
            res = solve(c, 0)
            if res.status == 3 or res.x is None:
                ends.append(math.inf if sign < 0 else -math.inf)  # unbounded: as open as can be
                continue
            certify(res.x)
            ends.append(-sign * res.fun)
            if t not in open_:
                break
        if t not in open_:
            continue
        high, low = math.floor(ends[0] + 1e-7) if math.isfinite(ends[0]) else math.inf, math.ceil(-ends[1] - 1e-7) \
            if math.isfinite(ends[1]) else 0.0
        if high - low >= width:  # the relaxation is wide: is the whole-number problem too?
            whole = []
            for sign in (-1.0, 1.0):
                c = np.zeros(size)
                c[t] = sign
                res = solve(c, 1)
                whole.append((math.inf if res.status == 3 else truth[t]) if res.x is None else sign * res.fun)
            high, low = whole
        if high - low < width:
            narrow.append(t)
        else:
            open_.discard(t)
    return narrow


@dataclass
class _Result:
    """One solve, as :func:`scipy.optimize.milp` would give it: ``status`` 3 when unbounded, ``x`` None unless optimal."""

    status: int
    x: np.ndarray | None
    fun: float


class _Solver:
    """``lo <= matrix @ x <= hi``, ``x >= 0``, held once in HiGHS and minimised for one objective after another.

    The model is passed once; each objective only changes the costs, so HiGHS starts from the
    last basis. This is the same solver :func:`scipy.optimize.milp` calls, without building the
    model again for every objective (thousands of them in one public pack's audit).
    """

    def __init__(self, matrix: np.ndarray, lo: np.ndarray, hi: np.ndarray):
        highspy = _highspy()
        self.highspy = highspy
        rows, cols = matrix.shape
        self.cols = cols
        self.index = np.arange(cols, dtype=np.int32)
        inf = highspy.kHighsInf
        h = self.h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = cols, rows
        lp.col_cost_ = np.zeros(cols)
        lp.col_lower_ = np.zeros(cols)
        lp.col_upper_ = np.full(cols, inf)
        lp.row_lower_ = np.where(np.isfinite(lo), lo, -inf)
        lp.row_upper_ = np.where(np.isfinite(hi), hi, inf)
        nonzero = matrix != 0
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.concatenate([[0], np.cumsum(nonzero.sum(axis=0))]).astype(np.int32)
        r, c = np.nonzero(nonzero.T)
        lp.a_matrix_.index_ = c.astype(np.int32)
        lp.a_matrix_.value_ = matrix.T[r, c]
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = cols, rows
        h.passModel(lp)
        self.integral = False

    def minimise(self, c: np.ndarray, integral: bool) -> _Result:
        hs, h = self.highspy, self.h
        if integral != self.integral:
            kind = hs.HighsVarType.kInteger if integral else hs.HighsVarType.kContinuous
            h.changeColsIntegrality(self.cols, self.index, np.array([kind] * self.cols))
            self.integral = integral
        h.changeColsCost(self.cols, self.index, np.asarray(c, dtype=float))
        h.run()
        status = h.getModelStatus()
        if status == hs.HighsModelStatus.kUnbounded:
            return _Result(3, None, math.nan)
        if status != hs.HighsModelStatus.kOptimal:
            return _Result(2, None, math.nan)
        return _Result(0, np.array(h.getSolution().col_value), h.getInfo().objective_function_value)


_HIGHSPY: Any = None


def _highspy() -> Any:
    """The highspy module, its first solver made with the program's output shut: HiGHS prints a banner then."""
    global _HIGHSPY
    if _HIGHSPY is None:
        import os
        import sys

        import highspy

        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 1)
                highspy.Highs().setOptionValue("output_flag", False)
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _HIGHSPY = highspy
    return _HIGHSPY


def protect(values: np.ndarray, hidden: np.ndarray, relations: list[Relation], *,
            guard: np.ndarray | None = None, movable: np.ndarray | None = None,
            rank: np.ndarray | None = None, width: int = WIDTH) -> np.ndarray:
    """Hide more figures until every guarded hidden one is safe (see :func:`exposed`).

    ``values`` are the true figures (whole counts), ``hidden`` those hidden already, ``relations``
    every total the outputs show together. ``guard`` says
    which hidden figures must be safe (default all: a hidden zero worked back says 'none' where the
    pack chose to say nothing), ``movable`` (default all) which shown ones may be hidden for
    their sake, ``rank`` which come first (0 before 1: body cells before totals). While a guarded
    figure is exposed, the cheapest shown movable figure of the first rank whose hiding alone frees
    it is hidden (next to it before further off, then a positive one before a zero, the smallest
    first); where no one figure frees it (a cell of a table with both margins needs three more),
    the smallest shown positive figure of the first rank sharing a relation with it (a zero only
    where no positive one is left), then any in its group; only where none of the first rank is
    left are figures of later ranks tried, the same way; and the audit is repeated.
    """
    values = np.nan_to_num(np.asarray(values, dtype=float))
    hidden = np.asarray(hidden, dtype=bool).copy()
    n = len(values)
    movable = np.ones(n, dtype=bool) if movable is None else np.asarray(movable, dtype=bool)
    rank = np.zeros(n) if rank is None else np.asarray(rank, dtype=float)
    touching: dict[int, list[int]] = {}
    for r, (row, _, _) in enumerate(relations):
        for k in row:
            touching.setdefault(k, []).append(r)

    def cost(i: int) -> tuple:
        return rank[i], values[i] <= 0, values[i], i

    def still_pinned(b: int, trial: np.ndarray, rows: list[int]) -> bool:
        one = np.zeros(n, dtype=bool)
        one[b] = True
        return bool(exposed(values, trial, [relations[r] for r in rows], one, width))

    def helpful(b: int, upto: float = math.inf) -> int | None:
        """The cheapest shown figure whose hiding alone leaves ``b`` no longer pinned (None if none does).

        The figures tried are those sharing a relation with ``b`` or with a hidden figure linked to it
        (through hidden figures only): the figure that frees ``b`` may be several relations away (a
        quarter's cell pinned by a quarter count that is the sum of chart months, each the sum of the
        cells of that month).
        """
        seen, frontier, found, rows = {b}, [b], {}, set()
        depth = 0
        while frontier:
            depth += 1
            nxt = []
            for h in frontier:
                for r in touching.get(h, []):
                    rows.add(r)
                    for k in relations[r][0]:
                        if k in seen:
                            continue
                        seen.add(k)
                        if hidden[k]:
                            nxt.append(k)
                        elif movable[k] and rank[k] <= upto:
                            found[k] = depth
            frontier = nxt
        for k in sorted(found, key=lambda k: (rank[k], found[k] > 1, *cost(k)[1:])):
            trial = hidden.copy()
            trial[k] = True
            if not still_pinned(b, trial, sorted(rows | set(touching.get(k, [])))):
                return k
        return None

    first = rank[movable].min() if movable.any() else 0.0
    while True:
        guarded = hidden if guard is None else hidden & np.asarray(guard, dtype=bool)
        bad = exposed(values, hidden, relations, guarded, width)
        if not bad:
            return hidden
        done: set[int] = set()
        progress = False
        for b in bad:
            if b in done:
                continue
            near = {k for r in touching.get(b, []) for k in relations[r][0]}
            reach = {k for h in near if hidden[h] for r in touching.get(h, []) for k in relations[r][0]}
            pick = None
            for upto in (first, math.inf):  # the first rank alone (body cells, months), then any
                pick = helpful(b, upto)
                if pick is not None:
                    break
                # no one figure frees it: the cheapest next to it, then the audit again
                candidates = [k for k in near if not hidden[k] and movable[k] and rank[k] <= upto]
                if not candidates:  # widen: anything related to a hidden figure related to this one
                    candidates = [k for k in reach if not hidden[k] and movable[k] and rank[k] <= upto]
                if candidates:
                    pick = min(candidates, key=cost)
                    break
            if pick is None:
                continue
            hidden[pick] = True
            progress = True
            done |= {k for r in touching.get(pick, []) for k in relations[r][0]} | near
        if not progress:
            return hidden  # nothing left to hide next to what is exposed


def solvable(equations: np.ndarray) -> np.ndarray:
    """Which unknowns a set of linear equations pins down exactly (one bool per column).

    The linear-algebra part of the audit, kept for callers that ask only it: an unknown is fixed
    when its unit vector lies in the row space of the equations.
    """
    equations = np.atleast_2d(np.asarray(equations, dtype=float))
    if equations.size == 0:
        return np.zeros(equations.shape[1] if equations.ndim == 2 else 0, dtype=bool)
    _, sing, vt = np.linalg.svd(equations)
    null = vt[int((sing > 1e-9).sum()):]
    if null.shape[0] == 0:
        return np.ones(equations.shape[1], dtype=bool)
    return np.all(np.abs(null) <= 1e-9, axis=0)


def table_relations(rows: int, cols: int) -> list[Relation]:
    """A table with a total column and row, flattened row by row ((rows + 1) x (cols + 1) figures)."""
    at = lambda i, j: i * (cols + 1) + j  # noqa: E731
    out = [equal(at(i, cols), [at(i, j) for j in range(cols)]) for i in range(rows + 1)]
    out += [equal(at(rows, j), [at(i, j) for i in range(rows)]) for j in range(cols + 1)]
    return out


def series_mask(counts: np.ndarray, hidden: np.ndarray, windows: list[list[int]],
                relations: list[Relation] | None = None) -> np.ndarray:
    """Hide more points of a series until no hidden point can be worked back from the window totals shown.

    ``counts`` are the series' counts (e.g. months), ``hidden`` those hidden already (small counts,
    or cells hidden in another table of the same pack), ``windows`` the index sets whose totals the
    pack shows (the last 12 months, the previous 12, the latest quarter ...). The totals are shown
    and not hidden here; the points are audited as whole numbers (see :func:`protect`).
    """
    counts = np.nan_to_num(np.asarray(counts, dtype=float))
    n = len(counts)
    values = np.concatenate([counts, [counts[w].sum() for w in windows]])
    rows = [equal(n + k, list(w)) for k, w in enumerate(windows)] + list(relations or [])
    start = np.concatenate([np.asarray(hidden, dtype=bool), np.zeros(len(windows), dtype=bool)])
    movable = np.arange(len(values)) < n
    return protect(values, start, rows, movable=movable)[:n]
