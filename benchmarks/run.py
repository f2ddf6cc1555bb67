"""Benchmarks: a whole build of a national-scale synthetic estate, stage by stage.

Run with ``make bench`` (``ARGS="--quick"`` for a small estate), or
``.venv/bin/python benchmarks/run.py --facilities 160 --months 36 --seed 11``.
The estate is generated from a fixed seed, so runs are comparable. Each
scenario runs in a process of its own, so its CPU seconds (its own and its
render workers') and peak memory are its alone:

* ``cold``: every pack in HTML, Word and XLSX, the comparison, the digest
  (build history) and the visit schedule, with no parse cache and no history;
* ``unchanged``: the same build again into the same folder (every pack kept);
* ``one-source-changed``: one row of one source file changed, then a rebuild
  (how many packs were rendered again, how many kept);
* ``one-facility``: one facility's pack, with the parse cache warm.

Stage times come from the build itself (``BuildResult.timings``, see
:mod:`datapack.timings`); the table is printed and the whole report written as
JSON (``benchmarks/results/`` by default). Speed is measured here, never
asserted in unit tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FORMATS = ("html", "docx", "xlsx")
SCENARIOS = ("cold", "unchanged", "one-source-changed", "one-facility")
#: The file and row changed by the ``one-source-changed`` scenario (one secure hospital's month).
CHANGED_FILE = Path("sources/population/secure_hospital_occupancy.csv")


# --- one scenario, in a process of its own --------------------------------------------------------------------

def _usage() -> dict:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"cpu": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
            "peak_rss_mb": round(me.ru_maxrss / 1024, 1), "peak_worker_rss_mb": round(kids.ru_maxrss / 1024, 1)}


def run_scenario(name: str, root: Path, jobs: int | None) -> dict:
    """Build as the scenario says; the build's stage timings, counts, and this process's CPU and memory."""
    from datapack.build import build
    from datapack.config import load_config

    config = load_config(root / "datapack.yaml")
    output = root / ("output-one" if name == "one-facility" else "output")
    wanted = None
    if name == "one-facility":
        import pandas as pd

        register = pd.read_csv(root / "sources" / "register" / "facilities.csv", dtype=str)
        wanted = [register["facility_id"].iloc[0]]
    start = time.perf_counter()
    result = build(config, wanted, output, None, FORMATS, None, jobs)
    timings = result.timings
    wall = time.perf_counter() - start
    rows = {table: len(frame) for table, frame in result.estate.tables.items() if len(frame)}
    return {"scenario": name, "wall": round(wall, 2), **_usage(), **timings.to_dict(),
            "failed": sorted(result.failed), "rows": rows}


# --- the benchmark: generate, run each scenario, report ---------------------------------------------------------

def _machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    memory = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), None) if Path("/proc/meminfo").exists() else None
    return {"processors": os.cpu_count(), "cpu": cpu, "memory_mb": memory, "python": platform.python_version(),
            "platform": platform.platform()}


def _change_one_row(root: Path) -> str:
    path = root / CHANGED_FILE
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    cells = lines[1].split(",")
    cells[-1] = f"{float(cells[-1]) + 1:.1f}"  # one month's occupied beds at one unit
    lines[1] = ",".join(cells)
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    return f"{CHANGED_FILE}: row 2 ({cells[0]}, {cells[1]})"


def _child(name: str, root: Path, jobs: int | None, nice: int) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--scenario", name, "--root", str(root)]
    if jobs:
        command += ["--jobs", str(jobs)]
    env = dict(os.environ)
    # workers started by spawn are this scenario's own children, so their CPU seconds and memory are counted in its
    # usage (a forkserver's workers are its children, and it outlives the measurement)
    env.setdefault("DATAPACK_START_METHOD", "spawn")
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parent)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    done = subprocess.run(command, capture_output=True, text=True, env=env,
                          preexec_fn=(lambda: os.nice(nice)) if nice else None)
    if done.returncode != 0:
        raise SystemExit(f"scenario {name} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _table(report: dict) -> list[str]:
    """The results as Markdown tables: one row a scenario, then the cold build's stages."""
    lines = ["| scenario | wall s | CPU s | CPU s / pack | peak RSS MB (main / worker) | packs rendered / kept |",
             "|---|---:|---:|---:|---:|---:|"]
    for s in report["scenarios"]:
        counts = s["counts"]
        per = s["cpu"] / max(counts.get("packs", 0), 1)
        lines.append(f"| {s['scenario']} | {s['wall']:.1f} | {s['cpu']:.1f} | {per:.2f} | "
                     f"{s['peak_rss_mb']:.0f} / {s['peak_worker_rss_mb']:.0f} | "
                     f"{counts.get('rendered', 0)} / {counts.get('skipped', 0)} |")
    cold = next((s for s in report["scenarios"] if s["scenario"] == "cold"), None)
    if cold:
        packs = max(cold["counts"].get("packs", 0), 1)
        lines += ["", "| cold build stage | wall s | CPU s | CPU s / pack |", "|---|---:|---:|---:|"]
        for name, t in cold["stages"].items():
            label = "packs (all stages below, in workers)" if name == "packs" else name
            lines.append(f"| {label} | {t['wall']:.1f} | {t['cpu']:.1f} | |")
        for name, t in cold["packs"].items():
            lines.append(f"| &nbsp; per pack: {name} | | {t['cpu']:.1f} | {t['cpu'] / packs:.2f} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facilities", type=int, default=160)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--quick", action="store_true", help="A small estate (20 facilities, 24 months).")
    parser.add_argument("--jobs", type=int, default=None, help="Packs rendered at once (default: the build's).")
    parser.add_argument("--only", action="append", choices=SCENARIOS, help="Run only these scenarios (repeat).")
    parser.add_argument("--nice", type=int, default=0, help="Run the builds at this niceness (shared machines).")
    parser.add_argument("--work", type=Path, default=None,
                        help="Folder for the estate and outputs (default: a temporary one, removed after).")
    parser.add_argument("--json", type=Path, default=None,
                        help="Write the report here (default: benchmarks/results/<facilities>x<months>-<time>.json).")
    parser.add_argument("--scenario", choices=SCENARIOS, help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scenario:  # one scenario, in the child process
        print(json.dumps(run_scenario(args.scenario, args.root, args.jobs)))
        return 0
    if args.quick:
        args.facilities, args.months = 20, 24
    from datapack import __version__
    from datapack.demo import generate

    scenarios = [s for s in SCENARIOS if not args.only or s in args.only]
    work = args.work or Path(__import__("tempfile").mkdtemp(prefix="datapack-bench-"))
    root = work / f"estate-{args.seed}-{args.facilities}x{args.months}"
    machine = _machine()
    print(f"datapack {__version__}: {args.facilities} facilities x {args.months} months (seed {args.seed}); "
          f"{machine['processors']} processors, {machine['cpu']}, {machine['memory_mb']} MB, "
          f"Python {machine['python']}", flush=True)
    try:
        start = time.perf_counter()
        if not (root / "datapack.yaml").is_file():
            generate(root, seed=args.seed, facilities=args.facilities, months=args.months)
        generated = time.perf_counter() - start
        print(f"  estate generated in {generated:.1f} s (not counted below)", flush=True)
        report = {"version": __version__, "machine": machine, "facilities": args.facilities, "months": args.months,
                  "seed": args.seed, "formats": list(FORMATS), "jobs": args.jobs, "scenarios": [],
                  "when": dt.datetime.now().astimezone().isoformat(timespec="seconds")}
        for name in scenarios:
            if name == "cold":
                for stale in (".datapack-cache", "output", "output-one"):
                    shutil.rmtree(root / stale, ignore_errors=True)
                (root / ".datapack-history.sqlite").unlink(missing_ok=True)
            note = _change_one_row(root) if name == "one-source-changed" else None
            result = _child(name, root, args.jobs, args.nice) | ({"changed": note} if note else {})
            report["scenarios"].append(result)
            counts = result["counts"]
            print(f"  {name:<20} {result['wall']:7.1f} s wall {result['cpu']:8.1f} s CPU  "
                  f"peak {result['peak_rss_mb']:.0f} MB (worker {result['peak_worker_rss_mb']:.0f} MB)  "
                  f"{counts.get('rendered', 0)} rendered, {counts.get('skipped', 0)} unchanged, skipped",
                  flush=True)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    report["rows"] = report["scenarios"][0]["rows"] if report["scenarios"] else {}
    report["table"] = _table(report)
    print("\n".join(report["table"]))
    target = args.json or HERE / "results" / f"{args.facilities}x{args.months}-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(report, indent=2) + "\n")
    print(f"Wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
