"""Search snapshots: documents built from the graph in Spark, published to an embedded tantivy
index and, when configured, to Elasticsearch and/or OpenSearch (new indices per snapshot, one
atomic alias swap).

- `documents`: the Spark job that turns graph.entities / graph.edges / graph.impact into
  `search.documents` (one per entity) and `search.owner_documents` (one per user and team).
- `ranking`: the ranking rules (exact > prefix > fuzzy > other fields) and filters, declared
  once; `dsl` turns them into Elasticsearch query DSL, `embedded` into tantivy queries.
- `backends`: the one interface the publish stage and `mlg search` use, and which backends
  the settings configure; `embedded`: the tantivy snapshot writer and reader; `cluster`: the
  snapshot publisher shared by `es` (Elasticsearch client) and `opensearch` (opensearch-py).
- `publish`: one snapshot end to end (used by the `publish` stage); `query`: `search()` on
  one backend (used by `mlg search`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spark_jobs.config import Settings


def expire_snapshots(settings: Settings, *, keep: int = 3) -> dict[str, list[str]]:
    """For the maintenance DAG: keep the newest `keep` snapshots of every configured backend
    (embedded, and Elasticsearch / OpenSearch when set; never the live one); what was removed."""
    from spark_jobs.search.backends import publishing

    return {backend.name: backend.expire(keep) for backend in publishing(settings, keep=keep)}
