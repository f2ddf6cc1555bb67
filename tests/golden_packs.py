"""Golden pack contexts: the ``pack.json`` of every facility of the bundled demo, committed in tests/golden/packs/.

A change to how a figure is computed shows here as a list of changed figures (``path: old -> new``), so a
refactoring that should change nothing can be seen to change nothing, and one that corrects a figure names
every figure it corrects. The test (tests/test_golden_packs.py) only compares; the files are written only by
the explicit command

    make golden            (or: python tests/golden_packs.py regenerate)

after checking that every change it reports is intended.

What is stored, and why it is deterministic: the demo estate of this repository (datapack.yaml and
sources/), analysed as of :data:`AS_OF` and built at that moment (the same date as the tests' shared
``demo_analysis``; a build fixes the same moment with ``SOURCE_DATE_EPOCH``). Left out or shortened:

* ``built_at`` and ``version``: they change with the build time and every release, not with a figure;
* ``spc.<indicator>.points``: each month's point of the control charts (a third of the bytes) is kept
  as the number of points and a SHA-256 digest of them, so a change there still fails the test, without
  month-by-month detail. Everything else, every figure and text of the context, is kept as it is.

Files are JSON with sorted keys and an indent of 1, one per facility id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden" / "packs"
#: The moment the golden packs are analysed and built at (the tests' DEMO_AS_OF).
AS_OF = "2026-10-15"
BUILT_AT = dt.datetime(2026, 10, 15)
#: Top-level keys left out: they change with the build, not with a figure.
VOLATILE = ("built_at", "version")


def golden_form(context: dict[str, Any]) -> dict[str, Any]:
    """A facility's context as the golden file keeps it (see the module's docstring)."""
    kept = json.loads(json.dumps({k: v for k, v in context.items() if k not in VOLATILE}, allow_nan=False))
    for chart in kept.get("spc", {}).values():
        points = chart.pop("points", [])
        chart["points_count"] = len(points)
        chart["points_sha256"] = hashlib.sha256(json.dumps(points, sort_keys=True).encode()).hexdigest()
    return kept


def dumps(form: dict[str, Any]) -> str:
    return json.dumps(form, ensure_ascii=False, sort_keys=True, indent=1, allow_nan=False) + "\n"


def path_for(facility_id: str) -> Path:
    return GOLDEN / f"{facility_id}.json"


def contexts(analysis) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every facility's context, in register order, from an analysis of the demo as of :data:`AS_OF`."""
    from datapack.analysis.profile import facility_context

    for fid in analysis.estate.facilities["facility_id"].astype(str):
        yield fid, facility_context(analysis.estate, fid, analysis.control, BUILT_AT, analysis=analysis)


def demo_analysis():
    from datapack.analysis.estate import analyse
    from datapack.config import load_config
    from datapack.disclosure import Control
    from datapack.ingest import load_estate

    estate = load_estate(load_config(ROOT / "datapack.yaml"))
    return analyse(estate, Control(estate.config.disclosure), as_of=AS_OF)


def changes(old: Any, new: Any, path: str = "") -> Iterator[str]:
    """Each differing leaf as ``path: old -> new`` (a key or item only on one side as ``(absent)``)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            sub = f"{path}.{key}" if path else str(key)
            if key not in old:
                yield f"{sub}: (absent) -> {_short(new[key])}"
            elif key not in new:
                yield f"{sub}: {_short(old[key])} -> (absent)"
            else:
                yield from changes(old[key], new[key], sub)
    elif isinstance(old, list) and isinstance(new, list):
        for i in range(max(len(old), len(new))):
            sub = f"{path}[{i}]"
            if i >= len(old):
                yield f"{sub}: (absent) -> {_short(new[i])}"
            elif i >= len(new):
                yield f"{sub}: {_short(old[i])} -> (absent)"
            else:
                yield from changes(old[i], new[i], sub)
    elif old != new or type(old) is not type(new):
        yield f"{path}: {_short(old)} -> {_short(new)}"


def _short(value: Any, width: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= width else text[: width - 3] + "..."


def regenerate() -> int:
    """Write every golden file afresh (and remove those of facilities no longer in the demo); print the changes."""
    GOLDEN.mkdir(parents=True, exist_ok=True)
    written, total = set(), 0
    for fid, context in contexts(demo_analysis()):
        form = golden_form(context)
        target = path_for(fid)
        if target.exists():
            for line in changes(json.loads(target.read_text(encoding="utf-8")), form):
                print(f"{fid}: {line}")
        else:
            print(f"{fid}: new golden file")
        text = dumps(form)
        target.write_text(text, encoding="utf-8")
        written.add(target.name)
        total += len(text.encode())
    for stale in GOLDEN.glob("*.json"):
        if stale.name not in written:
            print(f"{stale.stem}: removed (not in the demo)")
            stale.unlink()
    print(f"{len(written)} golden packs, {total:,} bytes, in {GOLDEN.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] != ["regenerate"]:
        print("usage: python tests/golden_packs.py regenerate   (rewrites tests/golden/packs/*.json)",
              file=sys.stderr)
        sys.exit(2)
    sys.path.insert(0, str(ROOT))
    sys.exit(regenerate())
