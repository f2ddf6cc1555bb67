"""Months covered, and each place's capacity, population and throughput month by month."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from datapack.demo.estate import Facility
from datapack.demo.signals import PLAN

#: function -> (baseline CNA as a share of operational capacity, usual occupancy of operational capacity)
_SHAPE = {
    "Category B reception": (0.76, 0.97),
    "Category C training": (0.93, 0.96),
    "Category D open": (1.0, 0.86),
    "High security": (1.0, 0.92),
    "Women's local": (0.90, 0.93),
    "Young offender": (1.0, 0.76),
    "IRC": (1.0, 0.70),
    "Secure hospital": (1.0, 0.90),
}
#: Detentions a month per cell in a police custody suite.
DETENTIONS_PER_CELL = 15.0


@dataclass(frozen=True)
class Timeline:
    """The months the demo covers: ``months`` month starts ending with the month of ``end``."""

    months: pd.DatetimeIndex
    end: dt.date

    @classmethod
    def ending(cls, end: dt.date, months: int) -> "Timeline":
        """``months`` calendar months up to and including the month of ``end``."""
        if months < 12:
            raise ValueError("months must be at least 12 (a year of data)")
        last = pd.Timestamp(end.year, end.month, 1)
        return cls(pd.date_range(end=last, periods=months, freq="MS"), end)

    @property
    def start(self) -> dt.date:
        """First day covered."""
        return self.months[0].date()

    @property
    def days(self) -> np.ndarray:
        """Days covered in each month (the last month stops at ``end``)."""
        days = self.months.days_in_month.to_numpy().astype(float)
        days[-1] = self.end.day
        return days

    def __len__(self) -> int:
        return len(self.months)


@dataclass(frozen=True)
class Population:
    """Monthly figures per place: arrays of shape (facilities, months)."""

    population: np.ndarray      # average number held (NaN for police custody)
    baseline_cna: np.ndarray
    in_use_cna: np.ndarray
    operational_capacity: np.ndarray
    throughput: np.ndarray      # detentions (police custody; NaN elsewhere)

    def base(self, estate: tuple[Facility, ...]) -> np.ndarray:
        """The denominator of rates: average population, or detentions where people stay hours."""
        police = np.array([not f.residential for f in estate])[:, None]
        return np.where(police, self.throughput, self.population)


def _ar1(rng: np.random.Generator, shape: tuple[int, int], sd: float, phi: float = 0.8) -> np.ndarray:
    """Smooth month-to-month wobble (an AR(1) series per row)."""
    shocks = rng.normal(0.0, sd, size=shape)
    out = np.empty(shape)
    out[:, 0] = shocks[:, 0]
    for m in range(1, shape[1]):
        out[:, m] = phi * out[:, m - 1] + shocks[:, m]
    return out


def simulate_population(estate: tuple[Facility, ...], timeline: Timeline, rng: np.random.Generator) -> Population:
    """Capacity and population with realistic drift; detentions for police custody suites."""
    n, m = len(estate), len(timeline)
    cap = np.array([f.capacity for f in estate], dtype=float)[:, None]
    shape = np.array([_SHAPE.get(f.function, (1.0, 0.9)) for f in estate])
    baseline = np.round(cap * shape[:, :1]) * np.ones((1, m))
    # Places out of use come and go in steps (a landing refurbished, cells damaged).
    out_of_use = np.maximum(0.0, np.round(np.cumsum(rng.normal(0, 0.004, (n, m)), axis=1) * cap + 0.01 * cap))
    in_use = np.maximum(baseline - out_of_use, np.round(baseline * 0.9))
    occupancy = shape[:, 1:2] + _ar1(rng, (n, m), 0.01) - np.abs(_ar1(rng, (n, 1), 0.01))
    population = np.minimum(np.round(cap * occupancy), cap)
    # The place with nothing to highlight is not crowded either: held below its in-use CNA.
    calm = np.array([f.facility_id == PLAN["no_signal"] for f in estate])
    population[calm] = np.round(in_use[calm] * (0.96 + _ar1(rng, (int(calm.sum()), m), 0.005)))
    hospital = np.array([f.facility_type == "secure_hospital" for f in estate])
    population[hospital] = np.round(cap[hospital] * np.clip(0.88 + _ar1(rng, (int(hospital.sum()), m), 0.03),
                                                             0.5, 1.0), 1)
    irc = np.array([f.facility_type == "irc" for f in estate])
    population[irc] = np.round(cap[irc] * np.clip(0.7 + _ar1(rng, (int(irc.sum()), m), 0.06, 0.85), 0.3, 1.0))
    police = np.array([not f.residential for f in estate])
    seasonal = 1 + 0.06 * np.sin(2 * np.pi * (timeline.months.month.to_numpy() - 7) / 12)
    detentions = rng.poisson(cap * DETENTIONS_PER_CELL * seasonal * timeline.days / timeline.months.days_in_month
                             .to_numpy()).astype(float)
    throughput = np.where(police[:, None], detentions, np.nan)
    nan = np.where(police[:, None], np.nan, 1.0)
    return Population(population * nan, baseline * nan, in_use * nan, cap * np.ones((1, m)) * nan, throughput)


def population_frame(estate: tuple[Facility, ...], timeline: Timeline, pop: Population) -> pd.DataFrame:
    """One row per place and month, all figures (canonical ``population`` columns)."""
    n, m = len(estate), len(timeline)
    return pd.DataFrame({
        "facility_id": np.repeat([f.facility_id for f in estate], m),
        "month": np.tile(timeline.months.to_numpy(), n),
        "population": pop.population.ravel(),
        "baseline_cna": pop.baseline_cna.ravel(),
        "in_use_cna": pop.in_use_cna.ravel(),
        "operational_capacity": pop.operational_capacity.ravel(),
        "throughput": pop.throughput.ravel(),
    })


def report_date(month: pd.Timestamp, end: dt.date) -> dt.date:
    """The bulletin's report date: the last Friday of the month (not after ``end``)."""
    last = (month + pd.offsets.MonthEnd(0)).date()
    last = min(last, end)
    return last - dt.timedelta(days=(last.weekday() - 4) % 7)
