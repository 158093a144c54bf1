"""Hydrate a list of entities: fetch each from its source in bulk, resolve owners through
identity, normalise, and stage the rows (entities, declared edges, one outcome per request)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from spark_jobs.config import Settings
from spark_jobs.hydration.config import HydrationConfig
from spark_jobs.hydration.fetch import Clients, FetchResult, fetch_all
from spark_jobs.hydration.staging import StagingWriter
from spark_jobs.model import EntityType
from spark_jobs.providers import PROVIDERS, Normalised, Resolver, target

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

USERS = PROVIDERS["identity"].kind("users")


def stage_payload(writer: StagingWriter, lock: threading.Lock, normalised: Normalised, *,
                  state: str) -> list[str]:
    """Write one payload's rows; returns the entity ids it produced."""
    with lock:
        for row in normalised.entities:
            writer.entity({**row, "state": state})
        for src, rel, dst, by in dict.fromkeys(normalised.edges):
            writer.edge(src, rel, dst, by)
    return [row["id"] for row in normalised.entities]


def resolve_owners(clients: Clients, config: HydrationConfig, emails: Iterable[str],
                   resolver: Resolver) -> list[FetchResult]:
    """Look up unknown owner emails in identity (`users:batchGet`); returns the user payloads."""
    unknown = sorted({e for e in emails if e and e not in resolver.usernames})
    results = list(fetch_all(clients, (("identity", USERS, e) for e in unknown), workers=config.workers))
    for r in results:
        if r.status == "ok" and r.payload.get("username"):
            resolver.usernames[r.key] = r.payload["username"]
    return results


def hydrate_entities(spark: SparkSession, settings: Settings, config: HydrationConfig,
                     work: Iterable[tuple[str, str]], *, batch: str, state: str = "hydrated",
                     clients: Clients | None = None, writer: StagingWriter | None = None) -> dict[str, Any]:
    """Hydrate `(entity_type, source key)` pairs into staging batch `batch` (through `writer`
    when the caller already staged rows of this batch in it; it is closed here)."""
    clients = clients or Clients(settings, config)
    requested: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    unroutable = 0
    for entity_type, key in dict.fromkeys(work):
        found = target(entity_type, key)
        if found is None:
            unroutable += 1
            continue
        prov, kind, fetch_key = found
        requested.setdefault((prov.platform, kind.collection, fetch_key), []).append((entity_type, key))
    fetch_work = [(p, PROVIDERS[p].kind(c), k) for p, c, k in requested]
    results = list(fetch_all(clients, fetch_work, workers=config.workers))

    resolver = Resolver()
    for r in results:  # users hydrated in this batch resolve themselves
        if r.status == "ok" and r.kind.collection == "users" and r.payload.get("username"):
            resolver.usernames[r.key] = r.payload["username"]
    emails = [e for r in results if r.status == "ok" for e in r.kind.owner_emails(r.payload)]
    owner_users = [u for u in resolve_owners(clients, config, emails, resolver) if u.status == "ok"]

    writer = writer or StagingWriter(spark, settings, batch, chunk_rows=config.stage_chunk_rows)
    lock = threading.Lock()
    counts = {"requested": sum(len(v) for v in requested.values()), "unroutable": unroutable,
              "hydrated": 0, "deleted": 0, "failed": 0, "owner_users": 0}
    for r in results:
        asked = requested[(r.platform, r.kind.collection, r.key)]
        if r.status == "ok":
            try:
                ids = stage_payload(writer, lock, r.kind.normalise(r.payload, resolver), state=state)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                r = FetchResult(r.platform, r.kind, r.key, "failed", error=f"bad payload: {exc!r}"[:500])
            else:
                for entity_type, key in asked:
                    et = EntityType(entity_type)
                    if et == r.kind.entity_type:
                        writer.outcome(source=r.platform, entity_type=entity_type, key=key, id=ids[0],
                                       outcome="hydrated")
                        counts["hydrated"] += 1
                    else:  # hydrated through its parent (an A/B test cell): gone if the parent lacks it
                        uri = et.uri(key)
                        gone = uri not in ids
                        writer.outcome(source=r.platform, entity_type=entity_type, key=key, id=uri,
                                       outcome="deleted" if gone else "hydrated")
                        counts["deleted" if gone else "hydrated"] += 1
                continue
        for entity_type, key in asked:
            if r.status == "missing":
                et = EntityType(entity_type)
                # a user's URI is its username, which a 404 on its email cannot tell: merge finds it
                uri = None if et == EntityType.USER else et.uri(key)
                writer.outcome(source=r.platform, entity_type=entity_type, key=key, id=uri, outcome="deleted")
                counts["deleted"] += 1
            else:
                writer.outcome(source=r.platform, entity_type=entity_type, key=key, id=None,
                               outcome="failed", error=r.error)
                counts["failed"] += 1
    hydrated_users = {r.key for r in results if r.kind.collection == "users"}
    for u in owner_users:
        if u.key not in hydrated_users:
            ids = stage_payload(writer, lock, USERS.normalise(u.payload, resolver), state="hydrated")
            writer.outcome(source="identity", entity_type="User", key=u.key, id=ids[0], outcome="hydrated")
            counts["owner_users"] += 1
    counts["staged"] = writer.close()
    counts["requests"] = clients.stats()
    return counts
