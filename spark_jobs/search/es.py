"""Elasticsearch publisher: each snapshot goes into new indices, then one atomic alias swap.

Server majors: 8.x natively, and 9.x through REST API compatibility (the pinned 8.x client,
`elasticsearch>=8.15,<9`, sends `compatible-with=8` headers, which 9.x servers accept).

Per snapshot (id `v<entities version>-e<edges version>`):
1. `PUT _index_template/<prefix>-search` (mappings and analysers from `search.dsl`);
2. create `<prefix>-entities-<snapshot>` and `<prefix>-owners-<snapshot>` (a leftover index of
   the same name from a failed attempt is dropped first; a live one is never touched);
3. `helpers.streaming_bulk` into each, retrying documents rejected with 429 with exponential
   back-off; every item error is counted and a sample kept;
4. if anything failed (item errors, or a count after refresh that is short), the new indices
   are deleted and the aliases stay where they were; otherwise one `POST _aliases` removes the
   aliases `<prefix>-entities` / `<prefix>-owners` from the old indices and adds them to the
   new ones (both in one atomic request);
5. indices of older snapshots beyond the newest `keep` are deleted (never an aliased one).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from spark_jobs.search import dsl

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

log = logging.getLogger(__name__)

INDEX_KINDS = ("entities", "owners")
PublishStatus = Literal["published", "failed", "unchanged"]


@dataclass(frozen=True, kw_only=True)
class EsOptions:
    prefix: str = "mlg"
    keep: int = 3
    chunk_size: int = 500
    max_retries: int = 5
    initial_backoff: float = 1.0
    max_backoff: float = 60.0
    request_timeout: float = 120.0
    delete_failed: bool = True


@dataclass
class EsPublishResult:
    snapshot_id: str
    status: PublishStatus
    index_names: dict[str, str]
    doc_counts: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    previous: dict[str, str | None] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)


def connect(url: str, *, request_timeout: float = 120.0) -> Elasticsearch:
    """A client for `url` (credentials may be in the URL, e.g. from an Airflow connection)."""
    from elasticsearch import Elasticsearch

    # 429 is retried by streaming_bulk with back-off, not by the transport without one
    return Elasticsearch(url, request_timeout=request_timeout, retry_on_status=(502, 503, 504), max_retries=3)


def alias_names(prefix: str) -> dict[str, str]:
    return {k: f"{prefix}-{k}" for k in INDEX_KINDS}


def index_names(prefix: str, snapshot_id: str) -> dict[str, str]:
    return {k: f"{prefix}-{k}-{snapshot_id}" for k in INDEX_KINDS}


def ensure_template(client: Elasticsearch, prefix: str) -> None:
    body = dsl.index_template(prefix)
    client.indices.put_index_template(name=f"{prefix}-search", index_patterns=body["index_patterns"],
                                      priority=body["priority"], template=body["template"], meta=body["_meta"])


def current_indices(client: Elasticsearch, prefix: str) -> dict[str, str | None]:
    """The index each alias points at now (None when the alias does not exist yet)."""
    from elasticsearch import NotFoundError

    out: dict[str, str | None] = {}
    for kind, alias in alias_names(prefix).items():
        try:
            targets = sorted(client.indices.get_alias(name=alias).body)
        except NotFoundError:
            targets = []
        out[kind] = targets[-1] if targets else None
    return out


def _source(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, (datetime, date)) else v) for k, v in doc.items()}


def _actions(index: str, docs: Iterable[Mapping[str, Any]], counter: list[int]) -> Iterator[dict[str, Any]]:
    for doc in docs:
        counter[0] += 1
        yield {"_op_type": "index", "_index": index, "_id": doc["id"], "_source": _source(doc)}


def _bulk(client: Elasticsearch, index: str, docs: Iterable[Mapping[str, Any]], options: EsOptions,
          samples: list[str]) -> tuple[int, int]:
    """(documents sent, documents failed) for one index."""
    from elasticsearch import helpers

    sent = [0]
    failed = 0
    for ok, item in helpers.streaming_bulk(
        client, _actions(index, docs, sent), chunk_size=options.chunk_size, max_retries=options.max_retries,
        initial_backoff=options.initial_backoff, max_backoff=options.max_backoff,
        raise_on_error=False, raise_on_exception=False, yield_ok=False,
    ):
        if not ok:
            failed += 1
            if len(samples) < 10:
                op = next(iter(item.values()), {})
                err = op.get("error")
                reason = err.get("reason", err) if isinstance(err, dict) else err
                samples.append(f"{index}/{op.get('_id')}: {op.get('status')} {reason}"[:300])
    return sent[0], failed


def publish_snapshot(client: Elasticsearch, snapshot_id: str, docs: Mapping[str, Iterable[Mapping[str, Any]]], *,
                     options: EsOptions = EsOptions()) -> EsPublishResult:
    """Index one snapshot into new indices and move the aliases to them only if all went in."""
    names = index_names(options.prefix, snapshot_id)
    previous = current_indices(client, options.prefix)
    result = EsPublishResult(snapshot_id, "failed", names, previous=previous)
    if all(previous[k] == names[k] for k in INDEX_KINDS):
        result.status = "unchanged"
        result.doc_counts = {k: int(client.count(index=names[k])["count"]) for k in INDEX_KINDS}
        return result
    ensure_template(client, options.prefix)
    for kind, name in names.items():
        if client.indices.exists(index=name):  # a leftover of a failed attempt (never a live one here)
            client.indices.delete(index=name)
        client.indices.create(index=name, settings={"refresh_interval": "-1"})
    for kind, name in names.items():
        sent, failed = _bulk(client, name, docs.get(kind, ()), options, result.error_samples)
        result.doc_counts[kind] = sent - failed
        result.errors += failed
    if not result.errors:
        for kind, name in names.items():
            client.indices.put_settings(index=name, settings={"refresh_interval": None})
            client.indices.refresh(index=name)
            found = int(client.count(index=name)["count"])
            if found != result.doc_counts[kind]:
                result.errors += abs(result.doc_counts[kind] - found)
                result.error_samples.append(f"{name}: {found} documents after refresh, {result.doc_counts[kind]} sent")
    if result.errors:
        log.warning("snapshot %s not published: %d errors (%s)", snapshot_id, result.errors, result.error_samples[:3])
        if options.delete_failed:
            for name in names.values():
                client.indices.delete(index=name, ignore_unavailable=True)
        return result
    swap_aliases(client, options.prefix, names, previous)
    result.status = "published"
    result.deleted = expire_indices(client, options.prefix, keep=options.keep)
    return result


def swap_aliases(client: Elasticsearch, prefix: str, new: Mapping[str, str], old: Mapping[str, str | None]) -> None:
    """One `POST _aliases`: remove each alias from its old index and add it to the new one."""
    actions: list[dict[str, Any]] = []
    for kind, alias in alias_names(prefix).items():
        if old.get(kind):
            actions.append({"remove": {"index": old[kind], "alias": alias}})
        actions.append({"add": {"index": new[kind], "alias": alias}})
    client.indices.update_aliases(actions=actions)


def list_snapshot_indices(client: Elasticsearch, prefix: str, kind: str) -> list[str]:
    return sorted(client.indices.get(index=f"{prefix}-{kind}-v*", expand_wildcards="open").body)


def expire_indices(client: Elasticsearch, prefix: str, *, keep: int) -> list[str]:
    """Delete snapshot indices beyond the newest `keep` per kind, never one an alias points at."""
    if keep < 1:
        raise ValueError("keep must be at least 1")
    live = {v for v in current_indices(client, prefix).values() if v}
    deleted = []
    for kind in INDEX_KINDS:
        for name in list_snapshot_indices(client, prefix, kind)[:-keep]:
            if name not in live:
                client.indices.delete(index=name)
                deleted.append(name)
    return deleted


def search(client: Elasticsearch, prefix: str, query, *, kind: str = "entities") -> list[dict[str, Any]]:
    """Run a `SearchQuery` against the live alias; hits with `_score`, `matched_queries`, `_source`."""
    body = dsl.search_body(query)
    response = client.search(index=alias_names(prefix)[kind], query=body["query"], size=body["size"],
                             source_excludes=body["_source"]["excludes"])
    return list(response["hits"]["hits"])


def url_from_connection(conn: Any) -> str:
    """An Elasticsearch URL from an Airflow connection (conn_type `elasticsearch`): host, port,
    login, password and `extra.scheme` (http by default), for the DAG to pass as `es_url`."""
    from urllib.parse import quote

    host = conn.host or "localhost"
    if "://" in host:
        return host.rstrip("/")
    extra = getattr(conn, "extra_dejson", None) or {}
    scheme = extra.get("scheme") or "http"
    auth = f"{quote(conn.login, safe='')}:{quote(conn.password or '', safe='')}@" if conn.login else ""
    port = f":{conn.port}" if conn.port else ""
    return f"{scheme}://{auth}{host}{port}"
