"""OpenSearch backend: `opensearch-py` behind the shared `cluster.Cluster` interface (the
snapshot semantics, mapping, ranking and query DSL are the Elasticsearch backend's, in
`spark_jobs.search.cluster` and `spark_jobs.search.dsl`). Tested against a real 2.19 node
(`infra/opensearch.py`); the same REST calls work on Amazon OpenSearch Service domains with
basic auth (credentials in the URL or the `mlg_opensearch` Airflow connection).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opensearchpy import OpenSearch

NAME = "opensearch"


def connect(url: str, *, request_timeout: float = 120.0) -> OpenSearch:
    """A client for `url` (credentials may be in the URL, e.g. from an Airflow connection)."""
    from opensearchpy import OpenSearch

    # 429 is retried by streaming_bulk with back-off, not by the transport without one
    return OpenSearch(url, timeout=request_timeout, retry_on_status=(502, 503, 504), max_retries=3,
                      retry_on_timeout=False)


class OpenSearchCluster:
    """`cluster.Cluster` over opensearch-py (request bodies, plain dict responses)."""

    name = NAME

    def __init__(self, client: OpenSearch) -> None:
        self.client = client

    def put_index_template(self, name: str, body: Mapping[str, Any]) -> None:
        self.client.indices.put_index_template(name=name, body=dict(body))

    def alias_targets(self, alias: str) -> list[str]:
        from opensearchpy import NotFoundError

        try:
            return list(self.client.indices.get_alias(name=alias))
        except NotFoundError:
            return []

    def index_exists(self, index: str) -> bool:
        return bool(self.client.indices.exists(index=index))

    def create_index(self, index: str, settings: Mapping[str, Any]) -> None:
        self.client.indices.create(index=index, body={"settings": dict(settings)})

    def delete_index(self, index: str) -> None:
        self.client.indices.delete(index=index, params={"ignore_unavailable": "true"})

    def put_settings(self, index: str, settings: Mapping[str, Any]) -> None:
        self.client.indices.put_settings(index=index, body=dict(settings))

    def refresh(self, index: str) -> None:
        self.client.indices.refresh(index=index)

    def count(self, index: str) -> int:
        return int(self.client.count(index=index)["count"])

    def update_aliases(self, actions: list[dict[str, Any]]) -> None:
        self.client.indices.update_aliases(body={"actions": actions})

    def list_indices(self, pattern: str) -> list[str]:
        return list(self.client.indices.get(index=pattern, params={"expand_wildcards": "open"}))

    def streaming_bulk(self, actions: Iterable[dict[str, Any]], **kwargs: Any) -> Iterator[tuple[bool, Any]]:
        from opensearchpy import helpers

        return helpers.streaming_bulk(self.client, actions, **kwargs)

    def search(self, index: str, body: Mapping[str, Any]) -> list[dict[str, Any]]:
        return list(self.client.search(index=index, body=dict(body))["hits"]["hits"])


def wrap(client: OpenSearch | OpenSearchCluster) -> OpenSearchCluster:
    """The `cluster.Cluster` for a client (an `OpenSearchCluster` is returned as it is)."""
    return client if isinstance(client, OpenSearchCluster) else OpenSearchCluster(client)
