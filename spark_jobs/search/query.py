"""`search()`: one query against the live snapshot, on Elasticsearch when configured, else on
the embedded index. Both return `SearchHit`s with the rules that matched (`why`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from spark_jobs.config import Settings
from spark_jobs.search.ranking import RULES, SearchQuery

Backend = Literal["auto", "embedded", "elasticsearch"]
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
    use_es = backend == "elasticsearch" or (backend == "auto" and (es_client is not None or settings.es_url))
    if use_es:
        from spark_jobs.search import es

        client = es_client or es.connect(settings.es_url)
        return [_hit(h["_source"], h.get("matched_queries") or (), h.get("_score"))
                for h in es.search(client, settings.es_index_prefix, query, kind=kind)]
    from spark_jobs.search.embedded import EmbeddedSearcher

    return [_hit(h.doc, h.why, h.score) for h in EmbeddedSearcher(settings).search(query, kind=kind)]
