"""`search()`: one query against the live snapshot of one backend (`backends.reader`: embedded,
OpenSearch or Elasticsearch; by default the configured one). Every backend returns `SearchHit`s
with the rules that matched (`why`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from spark_jobs.config import Settings
from spark_jobs.search.ranking import RULES, SearchQuery

Backend = Literal["auto", "embedded", "opensearch", "elasticsearch"]
IndexKind = Literal["entities", "owners"]


@dataclass(frozen=True)
class SearchHit:
    id: str
    entity_type: str
    name: str
    owners: tuple[str, ...]
    why: tuple[str, ...]
    score: float
    doc: dict[str, Any]


def _order(why) -> tuple[str, ...]:
    rank = {r.why: n for n, r in enumerate(RULES)}
    return tuple(sorted({w for w in why if w in rank}, key=rank.__getitem__))


def _hit(doc: dict[str, Any], why, score: float) -> SearchHit:
    return SearchHit(doc["id"], doc.get("entity_type") or "", doc.get("name") or "",
                     tuple(doc.get("owner_names") or ()), _order(why), float(score or 0.0), doc)


def search(settings: Settings, query: SearchQuery, *, kind: IndexKind = "entities", backend: Backend = "auto",
           es_client=None) -> list[SearchHit]:
    """`es_client` (a ready Elasticsearch client) implies `backend="elasticsearch"` under auto."""
    from spark_jobs.search.backends import reader

    if es_client is not None and backend == "auto":
        backend = "elasticsearch"
    engine = reader(settings, backend, client=es_client if backend == "elasticsearch" else None)
    return [_hit(doc, why, score) for doc, why, score in engine.search(query, kind=kind)]
