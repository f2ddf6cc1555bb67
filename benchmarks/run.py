"""Benchmarks: how long each stage takes on a national-scale synthetic estate.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/run.py --facilities 120 --months 60``).
Speed is measured here, never asserted in unit tests. The estate is generated
into a temporary folder from a fixed seed, so runs are comparable; results are
printed as a table and, with ``--json FILE``, written as data.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

from datapack import __version__
from datapack.analysis.estate import analyse
from datapack.build import build
from datapack.config import load_config
from datapack.demo import generate
from datapack.disclosure import Control
from datapack.ingest import load_estate


def _timed(label: str, results: list, fn, *args, **kwargs):
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    seconds = time.perf_counter() - start
    results.append({"stage": label, "seconds": round(seconds, 2)})
    print(f"  {label:<44} {seconds:8.2f} s", flush=True)
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facilities", type=int, default=120)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--packs", type=int, default=12, help="How many facilities' packs to build.")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--json", type=Path, default=None, help="Write the results to this file.")
    args = parser.parse_args(argv)
    results: list[dict] = []
    print(f"datapack {__version__} benchmarks: {args.facilities} facilities x {args.months} months, "
          f"Python {platform.python_version()}, {platform.machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _timed("generate the synthetic estate", results, generate, root, facilities=args.facilities,
               months=args.months)
        config = load_config(root / "datapack.yaml")
        estate = _timed("read and check every source (cold cache)", results, load_estate, config)
        _timed("read and check every source (warm cache)", results, load_estate, config)
        rows = {name: len(frame) for name, frame in estate.tables.items()}
        control = Control(config.disclosure)
        analysis = _timed("analyse the whole estate", results, analyse, estate, control)
        wanted = list(estate.facilities["facility_id"])[: args.packs]
        _timed(f"build {len(wanted)} packs (html, docx, xlsx)", results, build, config, wanted,
               root / "output", None, ("html", "docx", "xlsx"), None, args.jobs)
        del analysis
    report = {"version": __version__, "python": platform.python_version(), "machine": platform.machine(),
              "facilities": args.facilities, "months": args.months, "rows": rows, "stages": results}
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    print(f"  rows: {rows.get('incidents', 0):,} incidents, {rows.get('survey_responses', 0):,} survey answers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
