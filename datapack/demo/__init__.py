"""A synthetic estate to try datapack on: every kind of input, quirks included, with signals planted.

:func:`generate` writes ``datapack.yaml`` and ``sources/`` into a folder,
deterministically from a seed, and returns a :class:`DemoSummary` saying
what was written and what was planted (so tests of later analysis can check
that each signal is found). The default is twelve invented places over 36
months; ``facilities=120, months=60`` gives a national-scale estate.
"""

from __future__ import annotations

import datetime as dt
import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from datapack.demo import followup, staff_survey, surveys
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

#: Files a previous run may have left that this run would not overwrite (they would match the globs).
_STALE = ("population/Monthly_Bulletin_*.ods", "population/Population_Bulletin_*.ods", "surveys/detainee_*.xlsx", "surveys/staff_survey_*.csv",
          "incidents/incident_log_*.xlsx", "incidents/incident_log_*.csv", "incidents/incident_log.csv")


def _rng(seed: int, part: str) -> np.random.Generator:
    """An independent stream per part, so changing one part leaves the others' data unchanged."""
    return np.random.default_rng([seed, zlib.crc32(part.encode())])


def generate(out_dir: Path, seed: int = 2026, facilities: int = 12, months: int = 36,
             end: dt.date = dt.date(2026, 9, 30)) -> DemoSummary:
    """Write the demo estate into ``out_dir`` (``datapack.yaml`` and ``sources/``) and describe it.

    Only files the demo writes are replaced; stale demo files matching its
    globs (an earlier run with other months, say) are removed first.
    """
    started = time.perf_counter()
    out_dir = Path(out_dir)
    src = out_dir / "sources"
    for pattern in _STALE:
        for old in src.glob(pattern):
            old.unlink()
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
        rows={"incidents": len(incidents), "recommendations": len(recs), "visits": len(visits)},
        seconds=round(time.perf_counter() - started, 2))


__all__ = ["DemoSummary", "FacilityInfo", "NAMED", "PLAN", "PlantedSignal", "REAL_NAMES", "generate"]
