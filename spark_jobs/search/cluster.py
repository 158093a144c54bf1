"""The snapshot publisher for search servers: Elasticsearch and OpenSearch alike.

Both speak the same index / alias / bulk / search REST API; only their official Python clients
differ (the Elasticsearch 8 client refuses a server that is not Elastic's, opensearch-py takes
request bodies where the other takes keyword arguments). `es.EsCluster` and
`opensearch.OpenSearchCluster` wrap one client each in the small `Cluster` interface below, and
everything else lives here once: index names, the template and mapping (`dsl`), bulk with
back-off, the alias swap, retention and the search request.

Per snapshot (id `v<entities version>-e<edges version>`, plus a `revision` of the documents'
content when the publish stage gives one: the same graph versions can yield other documents, e.g.
a new quality score):
1. `PUT _index_template/<prefix>-search` (mappings and analysers from `search.dsl`);
2. create `<prefix>-entities-<snapshot>[-<revision>]` and `<prefix>-owners-…` (a leftover index of
   the same name from a failed attempt is dropped first; a live one is never touched);
3. streaming bulk into each, retrying documents rejected with 429 with exponential back-off;
   every item error is counted and a sample kept;
4. if anything failed (item errors, or a count after refresh that is short), the new indices
   are deleted and the aliases stay where they were; otherwise one `POST _aliases` removes the
   aliases `<prefix>-entities` / `<prefix>-owners` from the old indices and adds them to the
   new ones (both in one atomic request);
5. indices of older snapshots beyond the newest `keep` are deleted (never an aliased one).
A snapshot (and revision) whose indices both aliases already point at is `unchanged`: nothing is
indexed again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, Protocol

from spark_jobs import killpoint
from spark_jobs.search import dsl

log = logging.getLogger(__name__)

INDEX_KINDS = ("entities", "owners")
PublishStatus = Literal["published", "failed", "unchanged"]


class Cluster(Protocol):
    """The REST calls the publisher makes, over one client library."""

    name: str
    client: Any

    def put_index_template(self, name: str, body: Mapping[str, Any]) -> None: ...
    def alias_targets(self, alias: str) -> list[str]: ...  # [] when the alias does not exist
    def index_exists(self, index: str) -> bool: ...
    def create_index(self, index: str, settings: Mapping[str, Any]) -> None: ...
    def delete_index(self, index: str) -> None: ...  # a missing index is fine
    def put_settings(self, index: str, settings: Mapping[str, Any]) -> None: ...
    def refresh(self, index: str) -> None: ...
    def count(self, index: str) -> int: ...
    def update_aliases(self, actions: list[dict[str, Any]]) -> None: ...
    def list_indices(self, pattern: str) -> list[str]: ...  # open indices only
    def streaming_bulk(self, actions: Iterable[dict[str, Any]], **kwargs: Any) -> Iterator[tuple[bool, Any]]: ...
    def search(self, index: str, body: Mapping[str, Any]) -> list[dict[str, Any]]: ...


@dataclass(frozen=True, kw_only=True)
class ClusterOptions:
    prefix: str = "mlg"
    keep: int = 3
    chunk_size: int = 500
    max_retries: int = 5
    initial_backoff: float = 1.0
    max_backoff: float = 60.0
    request_timeout: float = 120.0
    delete_failed: bool = True


@dataclass
class ClusterPublishResult:
    snapshot_id: str
    status: PublishStatus
    index_names: dict[str, str]
    doc_counts: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    previous: dict[str, str | None] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)


def alias_names(prefix: str) -> dict[str, str]:
    return {k: f"{prefix}-{k}" for k in INDEX_KINDS}


def index_names(prefix: str, snapshot_id: str, revision: str | None = None) -> dict[str, str]:
    """`<prefix>-<kind>-<snapshot>[-<revision>]` (the revision names the documents' content)."""
    tail = snapshot_id if revision is None else f"{snapshot_id}-{revision}"
    return {k: f"{prefix}-{k}-{tail}" for k in INDEX_KINDS}


def ensure_template(cluster: Cluster, prefix: str) -> None:
    cluster.put_index_template(f"{prefix}-search", dsl.index_template(prefix))


def current_indices(cluster: Cluster, prefix: str) -> dict[str, str | None]:
    """The index each alias points at now (None when the alias does not exist yet)."""
    out: dict[str, str | None] = {}
    for kind, alias in alias_names(prefix).items():
        targets = sorted(cluster.alias_targets(alias))
        out[kind] = targets[-1] if targets else None
    return out


def _source(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, (datetime, date)) else v) for k, v in doc.items()}


def _actions(index: str, docs: Iterable[Mapping[str, Any]], counter: list[int],
             chunk_size: int = 0) -> Iterator[dict[str, Any]]:
    for doc in docs:
        if chunk_size and counter[0] and counter[0] % chunk_size == 0:
            killpoint.reached("publish:after_cluster_chunk")  # chaos suite: a chunk is in, the rest not
        counter[0] += 1
        yield {"_op_type": "index", "_index": index, "_id": doc["id"], "_source": _source(doc)}


def _bulk(cluster: Cluster, index: str, docs: Iterable[Mapping[str, Any]], options: ClusterOptions,
          samples: list[str]) -> tuple[int, int]:
    """(documents sent, documents failed) for one index."""
    sent = [0]
    failed = 0
    for ok, item in cluster.streaming_bulk(
        _actions(index, docs, sent, options.chunk_size), chunk_size=options.chunk_size, max_retries=options.max_retries,
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


def publish_snapshot(cluster: Cluster, snapshot_id: str, docs: Mapping[str, Iterable[Mapping[str, Any]]], *,
                     options: ClusterOptions = ClusterOptions(), revision: str | None = None) -> ClusterPublishResult:
    """Index one snapshot (of one content `revision`) into new indices and move the aliases to
    them only if all went in."""
    names = index_names(options.prefix, snapshot_id, revision)
    previous = current_indices(cluster, options.prefix)
    result = ClusterPublishResult(snapshot_id, "failed", names, previous=previous)
    if all(previous[k] == names[k] for k in INDEX_KINDS):
        result.status = "unchanged"
        result.doc_counts = {k: cluster.count(names[k]) for k in INDEX_KINDS}
        return result
    ensure_template(cluster, options.prefix)
    for name in names.values():
        if cluster.index_exists(name):  # a leftover of a failed attempt (never a live one here)
            cluster.delete_index(name)
        cluster.create_index(name, {"refresh_interval": "-1"})
    for kind, name in names.items():
        sent, failed = _bulk(cluster, name, docs.get(kind, ()), options, result.error_samples)
        result.doc_counts[kind] = sent - failed
        result.errors += failed
    if not result.errors:
        for kind, name in names.items():
            cluster.put_settings(name, {"refresh_interval": None})
            cluster.refresh(name)
            found = cluster.count(name)
            if found != result.doc_counts[kind]:
                result.errors += abs(result.doc_counts[kind] - found)
                result.error_samples.append(f"{name}: {found} documents after refresh, {result.doc_counts[kind]} sent")
    if result.errors:
        log.warning("snapshot %s not published to %s: %d errors (%s)", snapshot_id, cluster.name, result.errors,
                    result.error_samples[:3])
        if options.delete_failed:
            for name in names.values():
                cluster.delete_index(name)
        return result
    swap_aliases(cluster, options.prefix, names, previous)
    result.status = "published"
    result.deleted = expire_indices(cluster, options.prefix, keep=options.keep)
    return result


def swap_aliases(cluster: Cluster, prefix: str, new: Mapping[str, str], old: Mapping[str, str | None]) -> None:
    """One `POST _aliases`: remove each alias from its old index and add it to the new one."""
    actions: list[dict[str, Any]] = []
    for kind, alias in alias_names(prefix).items():
        if old.get(kind):
            actions.append({"remove": {"index": old[kind], "alias": alias}})
        actions.append({"add": {"index": new[kind], "alias": alias}})
    cluster.update_aliases(actions)


def list_snapshot_indices(cluster: Cluster, prefix: str, kind: str) -> list[str]:
    return sorted(cluster.list_indices(f"{prefix}-{kind}-v*"))


def expire_indices(cluster: Cluster, prefix: str, *, keep: int) -> list[str]:
    """Delete snapshot indices beyond the newest `keep` per kind, never one an alias points at."""
    if keep < 1:
        raise ValueError("keep must be at least 1")
    live = {v for v in current_indices(cluster, prefix).values() if v}
    deleted = []
    for kind in INDEX_KINDS:
        for name in list_snapshot_indices(cluster, prefix, kind)[:-keep]:
            if name not in live:
                cluster.delete_index(name)
                deleted.append(name)
    return deleted


def search(cluster: Cluster, prefix: str, query, *, kind: str = "entities") -> list[dict[str, Any]]:
    """Run a `SearchQuery` against the live alias; hits with `_score`, `_source` and
    `matched_queries` (as why-labels)."""
    hits = cluster.search(alias_names(prefix)[kind], dsl.search_body(query))
    for hit in hits:
        hit["matched_queries"] = dsl.why_labels(hit.get("matched_queries"))
    return hits


def url_from_connection(conn: Any) -> str:
    """A server URL from an Airflow connection (conn_type `elasticsearch`, `opensearch` or `http`):
    host, port, login, password and `extra.scheme` (http by default)."""
    from urllib.parse import quote

    host = conn.host or "localhost"
    if "://" in host:
        return host.rstrip("/")
    extra = getattr(conn, "extra_dejson", None) or {}
    scheme = extra.get("scheme") or "http"
    auth = f"{quote(conn.login, safe='')}:{quote(conn.password or '', safe='')}@" if conn.login else ""
    port = f":{conn.port}" if conn.port else ""
    return f"{scheme}://{auth}{host}{port}"
