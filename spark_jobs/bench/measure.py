"""Per-step measurement: wall time and peak RSS of this process (the embedded engine runs
in-process, so its memory is counted too), optionally with its child processes; the process's own
peak is kept apart too (`peak_self_rss_mb`: what a build worker needs, without the local stack)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Measurement:
    step: str
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    peak_self_rss_mb: float = 0.0
    rows_in: int | None = None
    rows_out: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rows_per_s(self) -> float | None:
        rows = self.rows_out if self.rows_out is not None else self.rows_in
        if not rows or self.seconds <= 0:
            return None
        return rows / self.seconds

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["rows_per_s"] = None if self.rows_per_s is None else round(self.rows_per_s, 1)
        out["seconds"] = round(self.seconds, 3)
        out["peak_rss_mb"] = round(self.peak_rss_mb, 1)
        out["peak_self_rss_mb"] = round(self.peak_self_rss_mb, 1)
        return out


class _RssSampler(threading.Thread):
    def __init__(self, interval_s: float, *, include_children: bool) -> None:
        super().__init__(daemon=True)
        import psutil

        self._process = psutil.Process(os.getpid())
        self._include_children = include_children
        self._interval = interval_s
        self._stop_event = threading.Event()
        self.peak_self = 0
        self.peak = self._rss()

    def _rss(self) -> int:
        total = self._process.memory_info().rss
        self.peak_self = max(self.peak_self, total)
        if not self._include_children:
            return total
        # e.g. a classic JVM started for this step
        for child in self._process.children(recursive=True):
            try:
                total += child.memory_info().rss
            except Exception:  # noqa: BLE001 - a child may exit between listing and reading
                pass
        return total

    def run(self) -> None:
        while not self._stop_event.wait(self._interval):
            self.peak = max(self.peak, self._rss())

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        self.peak = max(self.peak, self._rss())
        return self.peak


@contextmanager
def measure(step: str, *, interval_s: float = 0.05, include_children: bool = False) -> Iterator[Measurement]:
    """Time a block and sample its peak RSS; fill rows_in/rows_out on the yielded object."""
    m = Measurement(step)
    sampler = _RssSampler(interval_s, include_children=include_children)
    sampler.start()
    start = time.perf_counter()
    try:
        yield m
    finally:
        m.seconds = time.perf_counter() - start
        m.peak_rss_mb = sampler.stop() / 2**20
        m.peak_self_rss_mb = sampler.peak_self / 2**20
