"""Hydration settings: per-source request budgets, workers, retries, timeouts, enrichment size.

Environment (all optional): `MLG_SOURCE_<PLATFORM>_RATE` (requests/s, default 50),
`MLG_HYDRATE_WORKERS` (32), `MLG_HTTP_MAX_ATTEMPTS` (6), `MLG_HTTP_CONNECT_TIMEOUT` (3 s),
`MLG_HTTP_READ_TIMEOUT` (10 s), `MLG_HTTP_BACKOFF_BASE` (0.2 s), `MLG_HTTP_BACKOFF_MAX` (10 s),
`MLG_ENRICH_LIMIT` (1000), `MLG_BOOTSTRAP` (auto|always|never), `MLG_LISTING_PAGE_SIZE` (1000),
`MLG_STAGE_CHUNK_ROWS` (50000).
A stage's `ctx.options` override them (same names in lower case without the prefix, e.g.
`{"rate": {"registry": 20}, "enrich_limit": 10, "bootstrap": "never"}`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from spark_jobs.model import PLATFORMS

BootstrapMode = Literal["auto", "always", "never"]


@dataclass(frozen=True, kw_only=True)
class HydrationConfig:
    rates: Mapping[str, float] = field(default_factory=dict)
    default_rate: float = 50.0
    workers: int = 32
    max_attempts: int = 6
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    backoff_base: float = 0.2
    backoff_max: float = 10.0
    retry_after_max: float = 30.0
    enrich_limit: int = 1000
    bootstrap: BootstrapMode = "auto"
    page_size: int = 1000
    stage_chunk_rows: int = 50_000
    """Rows buffered per staging table before a write (bounds driver memory on bulk loads)."""
    failure_backoff_s: float = 60.0
    """First retry delay of a failed entity in `ops.hydration_failures` (doubles per attempt)."""

    def rate(self, platform: str) -> float:
        return float(self.rates.get(platform, self.default_rate))

    @classmethod
    def load(cls, options: Mapping[str, Any] | None = None,
             env: Mapping[str, str] | None = None) -> HydrationConfig:
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        rates = {p: float(env[f"MLG_SOURCE_{p.upper()}_RATE"]) for p in PLATFORMS
                 if env.get(f"MLG_SOURCE_{p.upper()}_RATE")}
        numeric = {"workers": ("MLG_HYDRATE_WORKERS", int), "max_attempts": ("MLG_HTTP_MAX_ATTEMPTS", int),
                   "connect_timeout": ("MLG_HTTP_CONNECT_TIMEOUT", float),
                   "read_timeout": ("MLG_HTTP_READ_TIMEOUT", float),
                   "backoff_base": ("MLG_HTTP_BACKOFF_BASE", float),
                   "backoff_max": ("MLG_HTTP_BACKOFF_MAX", float),
                   "enrich_limit": ("MLG_ENRICH_LIMIT", int), "page_size": ("MLG_LISTING_PAGE_SIZE", int),
                   "stage_chunk_rows": ("MLG_STAGE_CHUNK_ROWS", int),
                   "default_rate": ("MLG_SOURCE_RATE", float)}
        for name, (var, conv) in numeric.items():
            if env.get(var):
                values[name] = conv(env[var])
        if env.get("MLG_BOOTSTRAP"):
            values["bootstrap"] = env["MLG_BOOTSTRAP"]
        config = cls(rates=rates, **values)
        opts = dict(options or {})
        if "rate" in opts:
            rate = opts.pop("rate")
            if isinstance(rate, Mapping):
                config = replace(config, rates={**config.rates, **{k: float(v) for k, v in rate.items()}})
            else:
                config = replace(config, default_rate=float(rate), rates={})
        known = {f for f in cls.__dataclass_fields__} - {"rates"}
        config = replace(config, **{k: v for k, v in opts.items() if k in known})
        if config.bootstrap not in ("auto", "always", "never"):
            raise ValueError(f"bootstrap must be auto, always or never, got {config.bootstrap!r}")
        return config
