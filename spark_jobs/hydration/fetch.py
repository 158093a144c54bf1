"""Bulk fetch: batch endpoints (<= 100 ids) where a source has one, concurrent single GETs
where it has not, all sharing one rate limiter per source, on a pool of worker threads.

Why threads on the driver and not Spark partitions: the work is network-bound and paced by a
per-source budget that is global, so one limiter per source shared by a pool of threads reaches
the configured rate (0.99 of 100 req/s per source with 16-32 workers), while the same fetch as
mapInArrow partitions on the embedded engine, each with budget/partitions, reached 0.51 at best
(numbers and method: README.md "Hydration design", bench/bench_hydration.py). The pool never
holds more than the run's work list.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Literal

from spark_jobs.config import Settings
from spark_jobs.hydration.client import HttpFailure, RateLimiter, SourceClient
from spark_jobs.hydration.config import HydrationConfig
from spark_jobs.providers import Kind

BATCH_LIMIT = 100
Status = Literal["ok", "missing", "failed"]


@dataclass
class FetchResult:
    platform: str
    kind: Kind
    key: str
    status: Status
    payload: dict[str, Any] | None = None
    error: str | None = None


class Clients:
    """One SourceClient per platform for a run (one limiter each, shared by all workers)."""

    def __init__(self, settings: Settings, config: HydrationConfig) -> None:
        self.settings = settings
        self.config = config
        self._clients: dict[str, SourceClient] = {}

    def __call__(self, platform: str) -> SourceClient:
        if platform not in self._clients:
            self._clients[platform] = SourceClient(
                platform, self.settings.source_url(platform), self.config,
                RateLimiter(self.config.rate(platform)))
        return self._clients[platform]

    def stats(self) -> dict[str, dict[str, int]]:
        return {p: {"requests": c.requests, "retries": c.retries} for p, c in self._clients.items()}


def _tasks(work: Iterable[tuple[str, Kind, str]]) -> list[tuple[str, Kind, list[str]]]:
    grouped: dict[tuple[str, str], tuple[str, Kind, dict[str, None]]] = {}
    for platform, kind, key in work:
        grouped.setdefault((platform, kind.collection), (platform, kind, {}))[2][key] = None
    per_source: list[list[tuple[str, Kind, list[str]]]] = []
    for platform, kind, keys in grouped.values():
        ids = list(keys)
        size = BATCH_LIMIT if kind.batch_path else 1
        per_source.append([(platform, kind, ids[i:i + size]) for i in range(0, len(ids), size)])
    # round-robin across sources and collections: every source works (at its own budget) at once
    return [t for group in itertools.zip_longest(*per_source) for t in group if t is not None]


def _run_task(clients: Clients, platform: str, kind: Kind, keys: list[str]) -> list[FetchResult]:
    client = clients(platform)
    try:
        if kind.batch_path:
            resp = client.batch(kind.batch_path, kind.batch_field, keys)
            if resp.status == 404:
                raise HttpFailure(f"{platform} {kind.batch_path} answered 404")
            found = {kind.key_of(p): p for p in resp.body.get(kind.batch_response) or ()}
            return [FetchResult(platform, kind, k, "ok", found[k]) if k in found
                    else FetchResult(platform, kind, k, "missing") for k in keys]
        (key,) = keys
        resp = client.get(kind.collection, key)
        if resp.status == 404:
            return [FetchResult(platform, kind, key, "missing")]
        return [FetchResult(platform, kind, key, "ok", resp.body)]
    except (HttpFailure, ValueError, AttributeError, TypeError) as exc:
        return [FetchResult(platform, kind, k, "failed", error=str(exc)[:500]) for k in keys]


def fetch_all(clients: Clients, work: Iterable[tuple[str, Kind, str]], *,
              workers: int) -> Iterator[FetchResult]:
    """Fetch every (platform, kind, key) once; yields results as they complete."""
    tasks = _tasks(work)
    if not tasks:
        return
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="mlg-fetch") as pool:
        pending = set()
        it = iter(tasks)
        for task in it:
            pending.add(pool.submit(_run_task, clients, *task))
            if len(pending) >= workers * 4:
                break
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield from future.result()
            for task in it:
                pending.add(pool.submit(_run_task, clients, *task))
                if len(pending) >= workers * 4:
                    break
