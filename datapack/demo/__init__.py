"""A synthetic estate to try datapack on: every kind of input, quirks included, with signals planted.

:func:`generate` writes ``datapack.yaml`` and ``sources/`` into a folder,
deterministically from a seed, and returns a :class:`DemoSummary` saying
what was written and what was planted (so tests of later analysis can check
that each signal is found). The default is twelve invented places over 36
months; ``facilities=120, months=60`` gives a national-scale estate.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from datapack.demo import followup, regime, staff_survey, surveys
from datapack.demo.config import write_config
from datapack.demo.deaths import background_deaths, planted_deaths
from datapack.demo.estate import NAMED, REAL_NAMES, build_estate
from datapack.demo.events import expand, simulate_counts
from datapack.demo.expected import describe
from datapack.demo.people import build_pools, population_mix
from datapack.demo.population import Timeline, simulate_population
from datapack.demo.readme import readme_text
from datapack.demo.signals import PLAN, DemoSummary, FacilityInfo, PlantedSignal
from datapack.demo.writers import (assign_refs, write_bulletins, write_csv, write_incidents, write_other_population,
                                   write_population_mix, write_register)

#: Prefix of the staging folder the estate is written to before it is moved into place.
STAGING = ".datapack-demo-"
#: Files a previous run may have left that this run would not overwrite (they would match the globs).
_STALE = ("population/Monthly_Bulletin_*.ods", "population/Population_Bulletin_*.ods", "surveys/detainee_*.xlsx", "surveys/staff_survey_*.csv",
          "incidents/incident_log_*.xlsx", "incidents/incident_log_*.csv", "incidents/incident_log.csv")


def _rng(seed: int, part: str) -> np.random.Generator:
    """An independent stream per part, so changing one part leaves the others' data unchanged."""
    return np.random.default_rng([seed, zlib.crc32(part.encode())])


class DemoExists(ValueError):
    """The folder already holds files the demo would write over (and ``overwrite`` was not given)."""


def generate(out_dir: Path, seed: int = 2026, facilities: int = 12, months: int = 36,
             end: dt.date = dt.date(2026, 9, 30), overwrite: bool = True) -> DemoSummary:
    """Write the demo estate into ``out_dir`` (``datapack.yaml`` and ``sources/``) and describe it.

    The estate is written to a staging folder inside ``out_dir`` first, then
    moved into place: the earlier ``datapack.yaml`` is removed first and the
    new one moved in last, so a run stopped at any point leaves no
    configuration naming files that are not there (staging a killed run left
    is removed by the next). Only files the demo writes are replaced; stale
    demo files matching its globs (an earlier run with other months, say) are
    removed. With ``overwrite=False``, :class:`DemoExists` is raised instead
    when any of those files is there, and nothing is changed.
    """
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for left in out_dir.glob(STAGING + "*"):  # by a killed run
        shutil.rmtree(left, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING, dir=out_dir))
    try:
        summary = _generate(staging, seed, facilities, months, end)
        _move_into_place(staging, out_dir, overwrite)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dataclasses.replace(summary, out_dir=out_dir, seconds=round(time.perf_counter() - started, 2))


def _move_into_place(staging: Path, out_dir: Path, overwrite: bool) -> None:
    """Move the staged estate into ``out_dir``: configuration out first, sources in, configuration in last."""
    config = Path("datapack.yaml")
    files = sorted(p.relative_to(staging) for p in staging.rglob("*") if p.is_file() and p.name != config.name)
    stale = sorted({old for pattern in _STALE for old in (out_dir / "sources").glob(pattern)} -
                   {out_dir / f for f in files})
    if not overwrite:
        there = [f.as_posix() for f in [config, *files] if (out_dir / f).exists()] + \
            [p.relative_to(out_dir).as_posix() for p in stale]
        if there:
            raise DemoExists(f"{out_dir} already holds {', '.join(there[:3])}"
                             f"{f' and {len(there) - 3} more' if len(there) > 3 else ''}; nothing was changed. "
                             "Use --force to write over them, or --out to choose another folder.")
    (out_dir / config).unlink(missing_ok=True)
    for old in stale:
        old.unlink()
    for rel in files:
        (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / rel, out_dir / rel)
    os.replace(staging / config, out_dir / config)


def _generate(out_dir: Path, seed: int, facilities: int, months: int, end: dt.date) -> DemoSummary:
    """Write the estate into the (empty) folder ``out_dir``."""
    src = out_dir / "sources"
    estate = build_estate(facilities, _rng(seed, "estate"))
    timeline = Timeline.ending(end, months)
    pop = simulate_population(estate, timeline, _rng(seed, "population"))
    pools = build_pools(estate, timeline, pop, _rng(seed, "people"))
    counts = simulate_counts(estate, timeline, pop, _rng(seed, "counts"))
    incidents = expand(counts, estate, timeline, pop, pools, _rng(seed, "incidents"))
    deaths = planted_deaths(estate, timeline, pools, incidents)
    deaths += background_deaths(estate, timeline, pop, pools, _rng(seed, "deaths"))
    if deaths:
        incidents = pd.concat([incidents, pd.DataFrame(deaths)[incidents.columns]], ignore_index=True)
    incidents = assign_refs(incidents)

    written: list[Path] = []
    write_register(estate, src / "register" / "facilities.csv")
    written.append(src / "register" / "facilities.csv")
    written += write_incidents(incidents, estate, timeline, seed, _rng(seed, "layout"), src / "incidents")
    written += write_bulletins(estate, timeline, pop, src / "population")
    written += write_other_population(estate, timeline, pop, src / "population")
    mix = population_mix(estate, timeline, pop, pools)
    write_population_mix(mix, estate, src / "population" / "population_mix.csv")
    written.append(src / "population" / "population_mix.csv")
    written.append(regime.write(regime.population_profile(estate, timeline, pop, pools, _rng(seed, "profile")),
                                src / "population" / "population_profile.csv"))
    written.append(regime.write(regime.regime_measures(estate, timeline, pop, _rng(seed, "regime")),
                                src / "population" / "regime_measures.csv"))

    waves = surveys.waves(end)
    paths, shares = surveys.write_detainee_surveys(estate, end, _rng(seed, "detainee survey"), src / "surveys")
    written += paths
    written += staff_survey.write_staff_surveys(estate, waves, _rng(seed, "staff survey"), src / "surveys")
    write_csv(pd.DataFrame(surveys.codebook() + staff_survey.codebook()), src / "surveys" / "codebook.csv")
    written.append(src / "surveys" / "codebook.csv")

    follow_rng = _rng(seed, "followup")
    visits = followup.plan_visits(estate, end, follow_rng)
    recs = followup.recommendations(estate, visits, end, follow_rng)
    followup.write_tracker(recs, src / "followup" / "recommendation_tracker.xlsx")
    followup.write_visits(visits, src / "followup" / "visits.csv")
    written += [src / "followup" / "recommendation_tracker.xlsx", src / "followup" / "visits.csv"]

    signals = describe(estate, timeline, incidents, mix, recs, shares, waves)
    (src / "README.md").write_text(readme_text(estate, timeline, signals, seed, waves), encoding="utf-8")
    write_config(out_dir / "datapack.yaml", end.year, seed)
    written += [src / "README.md", out_dir / "datapack.yaml"]
    return DemoSummary(
        out_dir=out_dir, seed=seed, start=timeline.start, end=end,
        facilities=tuple(FacilityInfo(f.facility_id, f.name, f.facility_type, f.function) for f in estate),
        files=tuple(p.relative_to(out_dir).as_posix() for p in written),
        signals=tuple(signals),
        rows={"incidents": len(incidents), "recommendations": len(recs), "visits": len(visits)})


__all__ = ["DemoExists", "DemoSummary", "FacilityInfo", "NAMED", "PLAN", "PlantedSignal", "REAL_NAMES", "generate"]
