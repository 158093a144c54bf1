"""Per-source HTTP faults: rate limit (token bucket -> 429 + Retry-After), 5xx, latency, hangs,
connection resets (the socket closed with a TCP RST and no response).

Configured as JSON, at start (`--faults-json`) or at run time (`POST /_admin/faults`):

    {"registry": {"rate_limit_rps": 50, "rate_limit_burst": 10, "error_rate": 0.05,
                  "error_statuses": [500, 503], "latency_ms": 20, "latency_jitter_ms": 10,
                  "hang_rate": 0.01, "hang_s": 30, "reset_rate": 0.02},
     "*": {...}}          # "*" configures every source; named sources then override it

Every random decision comes from a generator seeded with (seed, source, generation), so a
sequence of requests sees the same faults on every run.
"""

from __future__ import annotations

import json

import math
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from random import Random
from typing import Any, Literal

from spark_jobs.model import PLATFORMS

FaultKind = Literal["rate_limited", "error", "hang", "latency", "reset"]
TRANSIENT_STATUSES = (500, 502, 503, 504)


@dataclass(frozen=True, kw_only=True)
class FaultSpec:
    """Faults of one source; all off by default."""

    rate_limit_rps: float | None = None
    rate_limit_burst: float | None = None
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = TRANSIENT_STATUSES
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    hang_rate: float = 0.0
    hang_s: float = 30.0
    reset_rate: float = 0.0

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, where: str) -> FaultSpec:
        if not isinstance(data, Mapping):
            raise ValueError(f"faults for {where} must be an object, got {data!r}")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault setting(s) for {where}: {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(sorted(known))}")
        values = dict(data)
        if "error_statuses" in values:
            values["error_statuses"] = tuple(int(s) for s in values["error_statuses"])
        spec = cls(**values)
        for rate in ("error_rate", "hang_rate", "reset_rate"):
            if not 0.0 <= getattr(spec, rate) <= 1.0:
                raise ValueError(f"{rate} for {where} must be within [0, 1]")
        if spec.rate_limit_rps is not None and spec.rate_limit_rps <= 0:
            raise ValueError(f"rate_limit_rps for {where} must be > 0 (or null for no limit)")
        if any(s < 400 or s > 599 for s in spec.error_statuses) or not spec.error_statuses:
            raise ValueError(f"error_statuses for {where} must be HTTP error codes")
        return spec

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["error_statuses"] = list(self.error_statuses)
        return out


@dataclass
class Decision:
    """What to do to one request before serving it."""

    status: int | None = None
    retry_after_s: int | None = None
    delay_s: float = 0.0
    reset: bool = False
    faults: list[FaultKind] = field(default_factory=list)


class _SourceFaults:
    def __init__(self, spec: FaultSpec, rng: Random) -> None:
        self.spec = spec
        self.rng = rng
        self.lock = threading.Lock()
        self.tokens = spec.rate_limit_burst or max(1.0, spec.rate_limit_rps or 1.0)
        self.refilled_at = time.monotonic()

    def decide(self) -> Decision:
        spec, decision = self.spec, Decision()
        with self.lock:
            if spec.rate_limit_rps is not None:
                capacity = spec.rate_limit_burst or max(1.0, spec.rate_limit_rps)
                now = time.monotonic()
                self.tokens = min(capacity, self.tokens + (now - self.refilled_at) * spec.rate_limit_rps)
                self.refilled_at = now
                if self.tokens < 1.0:
                    decision.status = 429
                    decision.retry_after_s = max(1, math.ceil((1.0 - self.tokens) / spec.rate_limit_rps))
                    decision.faults.append("rate_limited")
                    return decision
                self.tokens -= 1.0
            # draw every roll on every request, so one fault's rate never shifts another's stream
            hang_roll, error_roll, status_roll, jitter_roll = (self.rng.random() for _ in range(4))
            # drawn only when configured, so adding resets never shifts the other faults' streams
            reset_roll = self.rng.random() if spec.reset_rate else 1.0
        if spec.reset_rate and reset_roll < spec.reset_rate:
            decision.reset = True
            decision.faults.append("reset")
            return decision
        if spec.hang_rate and hang_roll < spec.hang_rate:
            decision.delay_s = spec.hang_s
            decision.faults.append("hang")
            return decision
        if spec.latency_ms or spec.latency_jitter_ms:
            decision.delay_s = (spec.latency_ms + spec.latency_jitter_ms * jitter_roll) / 1000.0
            decision.faults.append("latency")
        if spec.error_rate and error_roll < spec.error_rate:
            decision.status = spec.error_statuses[int(status_roll * len(spec.error_statuses))]
            decision.faults.append("error")
        return decision


class FaultInjector:
    """The current faults of every source; reconfigurable while serving."""

    def __init__(self, *, seed: int, config: Mapping[str, Any] | None = None) -> None:
        self._seed = seed
        self._generation = 0
        self._lock = threading.Lock()
        self._sources: dict[str, _SourceFaults] = {}
        self.configure(config or {}, replace=True)

    def configure(self, config: Mapping[str, Any], *, replace: bool = False) -> dict[str, Any]:
        """Set faults per source (`"*"` = all); `replace` resets sources not named to no faults."""
        if not isinstance(config, Mapping):
            raise ValueError("faults must be a JSON object keyed by source (or '*')")
        unknown = set(config) - set(PLATFORMS) - {"*"}
        if unknown:
            raise ValueError(f"unknown source(s) in faults: {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(PLATFORMS)} or '*'")
        specs = {p: FaultSpec.from_json(config[p], where=p) for p in config}
        with self._lock:
            self._generation += 1
            for platform in PLATFORMS:
                if platform in specs:
                    spec = specs[platform]
                elif "*" in specs:
                    spec = specs["*"]
                elif replace or platform not in self._sources:
                    spec = FaultSpec()
                else:
                    continue
                rng = Random(f"{self._seed}:faults:{platform}:{self._generation}")
                self._sources[platform] = _SourceFaults(spec, rng)
        return self.describe()

    def describe(self) -> dict[str, Any]:
        return {p: s.spec.to_json() for p, s in self._sources.items()}

    def decide(self, platform: str) -> Decision:
        return self._sources[platform].decide()


def json_object_option(text: str | None, flag: str) -> dict | None:
    """A command-line option holding a JSON object (faults, event faults, queues); None when empty."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{flag} is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ValueError(f"{flag} must be a JSON object")
    return value
