"""Search snapshots: documents built from the graph in Spark, published to Elasticsearch
(new indices per snapshot, one atomic alias swap) and to an embedded tantivy index (the
default when no Elasticsearch is configured).

- `documents`: the Spark job that turns graph.entities / graph.edges / graph.impact into
  `search.documents` (one per entity) and `search.owner_documents` (one per user and team).
- `ranking`: the ranking rules (exact > prefix > fuzzy > other fields) and filters, declared
  once; `dsl` turns them into Elasticsearch query DSL, `embedded` into tantivy queries.
- `es`: the Elasticsearch publisher; `embedded`: the tantivy snapshot writer and reader.
- `publish`: one snapshot end to end (used by the `publish` stage); `query`: `search()`,
  which picks the backend (used by `mlg search`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spark_jobs.config import Settings


def expire_snapshots(settings: Settings, *, keep: int = 3) -> dict[str, list[str]]:
    """For the maintenance DAG: keep the newest `keep` snapshots of the embedded index and, when
    Elasticsearch is configured, of its indices (never the live one); returns what was removed."""
    from spark_jobs.search import embedded

    removed = {"embedded": embedded.expire_snapshots(settings, keep=keep)}
    if settings.es_url:
        from spark_jobs.search import es

        removed["elasticsearch"] = es.expire_indices(es.connect(settings.es_url), settings.es_index_prefix, keep=keep)
    return removed
