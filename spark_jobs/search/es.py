"""Elasticsearch backend: the official `elasticsearch` client behind the shared `cluster.Cluster`
interface (everything else, the snapshot semantics included, is `spark_jobs.search.cluster`).

Server majors: 8.x natively, and 9.x through REST API compatibility (the pinned 8.x client,
`elasticsearch>=8.15,<9`, sends `compatible-with=8` headers, which 9.x servers accept). For
OpenSearch use `spark_jobs.search.opensearch` (this client refuses non-Elastic servers).

The module-level functions take a plain `Elasticsearch` client (or an `EsCluster`) and run the
shared publisher on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from spark_jobs.search import cluster
from spark_jobs.search.cluster import (  # noqa: F401 - the Elasticsearch names of the shared pieces
    INDEX_KINDS, alias_names, index_names, url_from_connection,
)
from spark_jobs.search.cluster import ClusterOptions as EsOptions
from spark_jobs.search.cluster import ClusterPublishResult as EsPublishResult

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

NAME = "elasticsearch"


def connect(url: str, *, request_timeout: float = 120.0) -> Elasticsearch:
    """A client for `url` (credentials may be in the URL, e.g. from an Airflow connection)."""
    from elasticsearch import Elasticsearch

    # 429 is retried by streaming_bulk with back-off, not by the transport without one
    return Elasticsearch(url, request_timeout=request_timeout, retry_on_status=(502, 503, 504), max_retries=3)


class EsCluster:
    """`cluster.Cluster` over the Elasticsearch 8 client (keyword arguments, `.body` responses)."""

    name = NAME

    def __init__(self, client: Elasticsearch) -> None:
        self.client = client

    def put_index_template(self, name: str, body: Mapping[str, Any]) -> None:
        self.client.indices.put_index_template(name=name, index_patterns=body["index_patterns"],
                                               priority=body["priority"], template=body["template"],
                                               meta=body["_meta"])

    def alias_targets(self, alias: str) -> list[str]:
        from elasticsearch import NotFoundError

        try:
            return list(self.client.indices.get_alias(name=alias).body)
        except NotFoundError:
            return []

    def index_exists(self, index: str) -> bool:
        return bool(self.client.indices.exists(index=index))

    def create_index(self, index: str, settings: Mapping[str, Any]) -> None:
        self.client.indices.create(index=index, settings=dict(settings))

    def delete_index(self, index: str) -> None:
        self.client.indices.delete(index=index, ignore_unavailable=True)

    def put_settings(self, index: str, settings: Mapping[str, Any]) -> None:
        self.client.indices.put_settings(index=index, settings=dict(settings))

    def refresh(self, index: str) -> None:
        self.client.indices.refresh(index=index)

    def count(self, index: str) -> int:
        return int(self.client.count(index=index)["count"])

    def update_aliases(self, actions: list[dict[str, Any]]) -> None:
        self.client.indices.update_aliases(actions=actions)

    def list_indices(self, pattern: str) -> list[str]:
        return list(self.client.indices.get(index=pattern, expand_wildcards="open").body)

    def streaming_bulk(self, actions: Iterable[dict[str, Any]], **kwargs: Any) -> Iterator[tuple[bool, Any]]:
        from elasticsearch import helpers

        return helpers.streaming_bulk(self.client, actions, **kwargs)

    def search(self, index: str, body: Mapping[str, Any]) -> list[dict[str, Any]]:
        response = self.client.search(index=index, query=body["query"], size=body["size"],
                                      source_excludes=body["_source"]["excludes"])
        return list(response["hits"]["hits"])


def wrap(client: Elasticsearch | EsCluster) -> EsCluster:
    """The `cluster.Cluster` for a client (an `EsCluster` is returned as it is)."""
    return client if isinstance(client, EsCluster) else EsCluster(client)


def publish_snapshot(client: Elasticsearch | EsCluster, snapshot_id: str,
                     docs: Mapping[str, Iterable[Mapping[str, Any]]], *,
                     options: EsOptions = EsOptions()) -> EsPublishResult:
    return cluster.publish_snapshot(wrap(client), snapshot_id, docs, options=options)


def current_indices(client: Elasticsearch | EsCluster, prefix: str) -> dict[str, str | None]:
    return cluster.current_indices(wrap(client), prefix)


def list_snapshot_indices(client: Elasticsearch | EsCluster, prefix: str, kind: str) -> list[str]:
    return cluster.list_snapshot_indices(wrap(client), prefix, kind)


def expire_indices(client: Elasticsearch | EsCluster, prefix: str, *, keep: int) -> list[str]:
    return cluster.expire_indices(wrap(client), prefix, keep=keep)


def search(client: Elasticsearch | EsCluster, prefix: str, query, *, kind: str = "entities") -> list[dict[str, Any]]:
    return cluster.search(wrap(client), prefix, query, kind=kind)
