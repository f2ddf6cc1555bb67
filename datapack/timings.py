"""Where a build's time goes: wall and CPU seconds per stage, recorded by the build as it runs.

A :class:`Timings` is cheap (two clock reads a stage) and always on; ``datapack build`` keeps it in
``BuildResult.timings`` and the benchmarks (``make bench``) print and store it. Stages run in this
process are timed with this process's CPU clock; the per-pack stages run in worker processes,
which time themselves (:func:`clock`) and send their figures back with the pack, so the CPU
seconds of every pack are counted wherever it was rendered.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator

#: The stages of one facility's pack, in the order they run.
PACK_STAGES = ("context", "charts", "html", "docx", "pdf", "xlsx")


class Timings:
    """Seconds by stage: ``stages[name] = {"wall": s, "cpu": s}``, summed when a stage repeats."""

    def __init__(self) -> None:
        self.stages: dict[str, dict[str, float]] = {}
        self.packs: dict[str, dict[str, float]] = {}   # pack stage -> summed wall and CPU over every pack
        self.counts: dict[str, int] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - wall, time.process_time() - cpu)

    def add(self, name: str, wall: float, cpu: float) -> None:
        into = self.stages.setdefault(name, {"wall": 0.0, "cpu": 0.0})
        into["wall"] += wall
        into["cpu"] += cpu

    def add_pack(self, times: dict[str, tuple[float, float]]) -> None:
        """One pack's stage times (``{stage: (wall, cpu)}``, as :func:`clock` records them)."""
        for name, (wall, cpu) in times.items():
            into = self.packs.setdefault(name, {"wall": 0.0, "cpu": 0.0})
            into["wall"] += wall
            into["cpu"] += cpu

    def to_dict(self) -> dict:
        def rounded(table: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
            return {k: {"wall": round(v["wall"], 3), "cpu": round(v["cpu"], 3)} for k, v in table.items()}

        order = {name: i for i, name in enumerate(PACK_STAGES)}
        packs = dict(sorted(self.packs.items(), key=lambda kv: order.get(kv[0], len(order))))
        return {"stages": rounded(self.stages), "packs": rounded(packs), "counts": dict(self.counts)}


@contextmanager
def clock(into: dict[str, tuple[float, float]], name: str) -> Iterator[None]:
    """Add the wall and CPU seconds of the block to ``into[name]`` (a plain dict, sent between processes)."""
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        before = into.get(name, (0.0, 0.0))
        into[name] = (before[0] + time.perf_counter() - wall, before[1] + time.process_time() - cpu)
