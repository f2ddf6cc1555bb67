"""What the demo plants, where, and the record of it handed back to callers and tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Signal kind -> facility id in the default estate (planted only when that place is generated).
PLAN = {
    "self_harm_rise": "KSM",
    "force_disproportion": "NGT",
    "unmet_recommendations": "CSB",
    "small_counts": "LLS",
    "death_in_custody": "HWM",
    "no_signal": "BRF",
    "survey_difference": "KSM",
}

#: Self-harm rise: months of strictly rising counts at the end, and the final multiple of the usual rate.
RISE_MONTHS = 10
RISE_FACTOR = 2.6
#: Use of force: Black people's share of the population at the place, and the weight that makes
#: their share of use-of-force incidents about 35%.
FORCE_GROUP = ("ethnicity", "Black")
FORCE_WEIGHT = 4.8
#: Small counts: every monthly count at the place is at most this.
SMALL_MAX = 4
#: The planted death: days before the end date.
DEATH_DAYS_BEFORE_END = 50


@dataclass(frozen=True)
class PlantedSignal:
    """One signal put into the demo data on purpose, with what a later analysis should find."""

    kind: str
    facility_id: str
    facility_name: str
    details: dict[str, Any] = field(default_factory=dict)
    expect: str = ""


@dataclass(frozen=True)
class FacilityInfo:
    """A place in the demo register."""

    facility_id: str
    name: str
    facility_type: str
    function: str


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`datapack.demo.generate` wrote and planted."""

    out_dir: Path
    seed: int
    start: dt.date
    end: dt.date
    facilities: tuple[FacilityInfo, ...]
    files: tuple[str, ...]
    signals: tuple[PlantedSignal, ...]
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def signal(self, kind: str) -> PlantedSignal:
        """The planted signal of ``kind``; KeyError naming the kinds planted when absent."""
        for s in self.signals:
            if s.kind == kind:
                return s
        raise KeyError(f"no {kind!r} signal was planted; planted: {', '.join(s.kind for s in self.signals)}")

    def facility(self, facility_id: str) -> FacilityInfo:
        """The register entry for ``facility_id``."""
        return next(f for f in self.facilities if f.facility_id == facility_id)
