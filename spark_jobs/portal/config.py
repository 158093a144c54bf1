"""Portal settings: typed, from MLG_PORTAL_* environment variables; explicit arguments win."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from spark_jobs.config import ConfigError


@dataclass(frozen=True, kw_only=True)
class PortalSettings:
    #: an entity hydrated or enriched within `fresh_hours` is "fresh", within `stale_hours` "aging",
    #: older (or never) "stale"
    fresh_hours: float = 24.0
    stale_hours: float = 24.0 * 7
    #: how many search hits the facet counts are taken over
    facet_window: int = 100
    #: how many teams and owners an impact tab names (most impacted assets first; the rest are
    #: in the owners API and the CSV)
    notify_shown: int = 25
    #: how often the portal looks for new Delta versions of the graph (seconds)
    refresh_s: float = 2.0
    #: how many time-travel snapshots stay loaded besides the latest
    snapshots_kept: int = 2

    @classmethod
    def load(cls, *, env: Mapping[str, str] | None = None, **overrides: Any) -> PortalSettings:
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for name, kind in (("fresh_hours", float), ("stale_hours", float), ("facet_window", int), ("notify_shown", int),
                           ("refresh_s", float), ("snapshots_kept", int)):
            raw = env.get(f"MLG_PORTAL_{name.upper()}")
            if raw not in (None, ""):
                try:
                    values[name] = kind(raw)
                except ValueError:
                    raise ConfigError(f"MLG_PORTAL_{name.upper()} must be a number, got {raw!r}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        if not 0 < settings.fresh_hours <= settings.stale_hours:
            raise ConfigError("portal freshness thresholds need 0 < fresh_hours <= stale_hours")
        if settings.notify_shown < 1:
            raise ConfigError(f"MLG_PORTAL_NOTIFY_SHOWN must be at least 1, got {settings.notify_shown}")
        return settings
