"""Source-system providers: one module per platform (events, hydration endpoints, normaliser).

`PROVIDERS` is the registry. Adding a source system = one module exposing `PROVIDER` and its
name in `MODULES` (and `MLG_SOURCE_<PLATFORM>_URL` for where it lives).
"""

from __future__ import annotations

import importlib

from spark_jobs.model import SELF_DESCRIBING_PLATFORMS, EntityType
from spark_jobs.providers.base import EventSpec, Kind, Normalised, Provider, Resolver

MODULES: tuple[str, ...] = ("registry", "orchestrator", "abtest", "featurestore", "datasets", "identity")
SELF_DESCRIBING: tuple[str, ...] = SELF_DESCRIBING_PLATFORMS
"""Sources whose events are their own payload (nothing to fetch): `spark_jobs.providers.<name>`
exposes `stage(spark, settings, writer, until=)`, which the hydrate stage calls when new events
of that source landed. Their entities live under their own platform id in every URI."""

PROVIDERS: dict[str, Provider] = {}
for _name in MODULES:
    _provider: Provider = importlib.import_module(f"spark_jobs.providers.{_name}").PROVIDER
    PROVIDERS[_provider.platform] = _provider


def provider(platform: str) -> Provider:
    try:
        return PROVIDERS[platform]
    except KeyError:
        raise KeyError(f"no provider for source {platform!r}; known: {', '.join(PROVIDERS)}") from None


def all_kinds() -> list[Kind]:
    return [k for p in PROVIDERS.values() for k in p.kinds]


def target(entity_type: str | EntityType, key: str) -> tuple[Provider, Kind, str] | None:
    """Which provider, kind and key hydrate the entity `(entity_type, key)`; None if no source can."""
    et = EntityType(entity_type)
    p = PROVIDERS.get(et.platform)
    found = p.target(et, key) if p else None
    return None if found is None else (p, *found)


__all__ = ["EventSpec", "Kind", "Normalised", "Provider", "Resolver", "PROVIDERS", "SELF_DESCRIBING",
           "provider", "all_kinds", "target"]
