"""Every demo facility's pack context against its golden file (tests/golden/packs/; see tests/golden_packs.py).

A failure lists each changed figure as ``path: old -> new``. When every change is intended (and explained
in the commit), rewrite the files with ``make golden``; the tests never write them.
"""

from __future__ import annotations

import json

import pytest

from golden_packs import GOLDEN, changes, contexts, dumps, golden_form, path_for

#: The golden files, all together, stay small enough to review and to keep in the repository.
MAX_BYTES = 3_000_000


@pytest.fixture(scope="module")
def current(demo_analysis):
    return {fid: golden_form(context) for fid, context in contexts(demo_analysis)}


def test_every_facility_of_the_demo_has_a_golden_file_and_no_other(current):
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == sorted(current), \
        "the demo's facilities and tests/golden/packs/ differ: run 'make golden' if the demo changed on purpose"


def test_golden_files_stay_small():
    assert sum(p.stat().st_size for p in GOLDEN.glob("*.json")) < MAX_BYTES


def test_each_facility_context_matches_its_golden_file(current):
    report = []
    for fid, form in current.items():
        path = path_for(fid)
        if not path.exists():
            report.append(f"{fid}: no golden file")
            continue
        found = list(changes(json.loads(path.read_text(encoding="utf-8")), form))
        report += [f"{fid}: {line}" for line in found[:40]]
        if len(found) > 40:
            report.append(f"{fid}: ... and {len(found) - 40} more changes")
    assert not report, ("figures differ from tests/golden/packs/ (run 'make golden' once every change is "
                        "intended):\n" + "\n".join(report))


def test_the_golden_form_is_plain_sorted_json(current):
    """Round trip: the stored text is exactly what the form serialises to, so a regenerate leaves no noise."""
    fid, form = next(iter(current.items()))
    assert json.loads(dumps(form)) == form
    assert "built_at" not in form and "version" not in form


def test_changes_name_the_figure_that_moved():
    old = {"a": {"rate": {"text": "1.0", "value": 1.0}}, "b": [1, 2], "gone": 1}
    new = {"a": {"rate": {"text": "1.5", "value": 1.5}}, "b": [1], "added": "x"}
    assert list(changes(old, new)) == ['a.rate.text: "1.0" -> "1.5"', "a.rate.value: 1.0 -> 1.5",
                                       'added: (absent) -> "x"', "b[1]: 2 -> (absent)", "gone: 1 -> (absent)"]
