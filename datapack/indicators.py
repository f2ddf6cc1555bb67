"""Indicator definitions: what is counted, against what base, and which way is good.

Definitions live in configuration (``datapack/defaults/indicators.yaml`` by
default; ``analysis.indicators`` names another file), never in code, so an
organisation can add or change one without programming. The file is checked
in full against this schema before any work.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from datapack.config import load_definitions
from datapack.tables.schemas import INCIDENT_CATEGORIES

Direction = Literal["up", "down", "neutral"]
Lens = Literal["people", "moments", "practices", "culture", "followup", "wider"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Numerator(_Strict):
    """What an indicator counts."""

    categories: list[str] = Field(default_factory=list, description="Incident categories counted.")
    subcategories: list[str] | None = Field(None, description="Only these sub-categories (matched ignoring case).")
    count: Literal["events", "individuals", "hospital", "serious", "duration_hours"] = "events"
    measures: list[str] = Field(default_factory=list,
                                description="incident_counts measures that feed this indicator (published aggregates).")

    @model_validator(mode="after")
    def _known(self) -> "Numerator":
        unknown = [c for c in self.categories if c not in INCIDENT_CATEGORIES]
        if unknown:
            raise ValueError(f"unknown categories {unknown}; known: {', '.join(INCIDENT_CATEGORIES)}")
        return self


class Indicator(_Strict):
    """One indicator, computed for every facility."""

    id: str
    label: str
    kind: Literal["incidents", "crowding"] = "incidents"
    numerator: Numerator = Numerator()
    denominator: Literal["auto", "population", "throughput", "none"] = "auto"
    scale: float = Field(1000, description="Rates are per this many of the base.")
    good_direction: Direction = "down"
    rare: bool = Field(False, description="Rare events (deaths): compared by exact Poisson, not control charts.")
    sections: dict[str, str] = Field(default_factory=dict, description="Framework id -> section id.")
    lens: Lens = "practices"
    series_breaks: list[str] = Field(default_factory=list, description="Months (YYYY-MM) where definitions changed.")
    unit: Literal["events", "people", "hours", "percent"] = "events"


class Measure(_Strict):
    """A figure the place reports about its regime or outcomes (time out of cell, settled
    accommodation on release ...), read from the ``context`` table where its ``factor`` is one of
    ``factors`` (matched ignoring case, spaces and punctuation). Shown as held, latest against a
    year before, never charted or flagged: a level, not a count of events.
    """

    id: str
    label: str
    factors: list[str] = Field(min_length=1, description="context factors that hold it (the first found is used).")
    unit: Literal["hours", "percent", "people", "days", "number"] = "number"
    summed: bool = Field(False, description="Summed over the last 12 months (receptions), not the latest value.")
    good_direction: Direction = "neutral"
    sections: dict[str, str] = Field(default_factory=dict, description="Framework id -> section id; a measure "
                                     "with none is shown with the population profile.")


class Section(_Strict):
    id: str
    title: str


class Framework(_Strict):
    title: str
    sections: list[Section]
    types: list[str] = Field(default_factory=list, description="Facility types whose packs are sectioned by this "
                             "framework (analysis.framework, when set, sections every pack by one framework).")


class IndicatorSet(_Strict):
    """The whole indicators file."""

    version: str
    frameworks: dict[str, Framework]
    indicators: list[Indicator]
    measures: list[Measure] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> "IndicatorSet":
        ids = [i.id for i in self.indicators]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"indicator ids must be unique; repeated: {', '.join(dupes)}")
        claimed: dict[str, str] = {}
        for name, framework in self.frameworks.items():
            for kind in framework.types:
                if kind in claimed:
                    raise ValueError(f"facility type {kind!r} is claimed by frameworks {claimed[kind]!r} and {name!r}")
                claimed[kind] = name
        ids = [m.id for m in self.measures]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"measure ids must be unique; repeated: {', '.join(dupes)}")
        for ind in [*self.indicators, *self.measures]:
            for framework, section in ind.sections.items():
                if framework not in self.frameworks:
                    raise ValueError(f"{ind.id}: unknown framework {framework!r}")
                if section not in {s.id for s in self.frameworks[framework].sections}:
                    raise ValueError(f"{ind.id}: framework {framework!r} has no section {section!r}")
        return self

    def framework_for(self, facility_type: str | None) -> str | None:
        """The framework whose ``types`` hold ``facility_type`` (or "other"); else the first that names no type."""
        for kind in (facility_type or "other", "other"):
            for name, framework in self.frameworks.items():
                if kind in framework.types:
                    return name
        untyped = [name for name, framework in self.frameworks.items() if not framework.types]
        return (untyped or list(self.frameworks) or [None])[0]

    def get(self, indicator_id: str) -> Indicator:
        return next(i for i in self.indicators if i.id == indicator_id)


def load_indicators(path: Path | None = None) -> IndicatorSet:
    """The configured indicators file, or the shipped defaults; every problem reported at once."""
    return load_definitions(IndicatorSet, path, "indicators.yaml", "indicators", "analysis.indicators")
