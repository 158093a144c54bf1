"""Hydration through listing endpoints: bootstrap a new deployment in bulk and reconcile.

Identity's users are listed first (they resolve every owner email); then every other
collection is paged concurrently (one thread per collection, all sharing the per-source rate
limiters), each page normalised and staged as it arrives, so memory holds a page, not a source.
Listing items are full payloads in the bundled sources (SOURCES.md listing descriptors).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from spark_jobs.config import Settings
from spark_jobs.hydration.client import HttpFailure
from spark_jobs.hydration.config import HydrationConfig
from spark_jobs.hydration.fetch import Clients
from spark_jobs.hydration.hydrate import stage_payload
from spark_jobs.hydration.staging import StagingWriter
from spark_jobs.providers import PROVIDERS, Kind, Resolver

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def _pages(clients: Clients, platform: str, kind: Kind, page_size: int):
    client = clients(platform)
    token = None
    while True:
        body = client.page(kind.collection, page_size=page_size, token=token).body
        if not isinstance(body, dict):
            raise HttpFailure(f"{platform} {kind.collection}: listing answered {body!r:.100}")
        yield body.get("items") or []
        token = body.get("next_page_token")
        if not token:
            return


def hydrate_listings(spark: SparkSession, settings: Settings, config: HydrationConfig, *, batch: str,
                     platforms: list[str] | None = None, clients: Clients | None = None) -> dict[str, Any]:
    """Stage every live object of every listed collection; reports which listings completed."""
    clients = clients or Clients(settings, config)
    writer = StagingWriter(spark, settings, batch, chunk_rows=config.stage_chunk_rows)
    lock = threading.Lock()
    resolver = Resolver()
    complete: list[str] = []
    errors: dict[str, str] = {}
    counts: dict[str, int] = {}

    def run(platform: str, kind: Kind) -> None:
        n = 0
        try:
            for items in _pages(clients, platform, kind, config.page_size):
                for payload in items:
                    if kind.collection == "users" and payload.get("username") and payload.get("email"):
                        resolver.usernames[payload["email"]] = payload["username"]
                    try:
                        ids = stage_payload(writer, lock, kind.normalise(payload, resolver), state="hydrated")
                        key = kind.key_of(payload)
                    except (KeyError, TypeError, ValueError, AttributeError) as exc:
                        errors[f"{kind.collection}:bad_payload"] = repr(exc)[:300]
                        continue
                    with lock:
                        writer.outcome(source=platform, entity_type=kind.entity_type.value, key=key,
                                       id=ids[0], outcome="hydrated")
                    n += 1
        except HttpFailure as exc:
            errors[kind.collection] = str(exc)[:300]
            return
        finally:
            counts[kind.collection] = n
        complete.append(kind.collection)

    kinds = [(p.platform, k) for p in PROVIDERS.values() if platforms is None or p.platform in platforms
             for k in p.kinds]
    first = [pk for pk in kinds if pk[1].collection == "users"]
    for platform, kind in first:  # owners resolve through the full user directory
        run(platform, kind)
    rest = [pk for pk in kinds if pk not in first]
    with ThreadPoolExecutor(max_workers=max(1, min(len(rest), config.workers)) if rest else 1) as pool:
        for f in [pool.submit(run, p, k) for p, k in rest]:
            f.result()
    staged = writer.close()
    return {"listed": counts, "complete": sorted(complete), "errors": errors, "staged": staged,
            "requests": clients.stats()}


def complete_types(complete: list[str]) -> list[str]:
    """Entity types whose every listing completed (AbTestCell goes with its tests)."""
    out = []
    for p in PROVIDERS.values():
        for k in p.kinds:
            if k.collection in complete:
                out.append(k.entity_type.value)
                out.extend(et.value for et, (coll, _f) in p.parents.items() if coll == k.collection)
    return sorted(set(out))
