"""GET /api/v1/search: the live search snapshot (embedded index, or OpenSearch/Elasticsearch when
configured) with why each hit matched and facet counts to narrow by."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from spark_jobs.portal.deps import State
from spark_jobs.portal.errors import BadRequest, NotFound
from spark_jobs.portal.schemas import ERRORS, SearchResult
from spark_jobs.portal.views import ENTITY_TYPES

router = APIRouter(prefix="/api/v1", tags=["search"])


def run_search(state, q: str, entity_type: str | None, tags: list[str], owner: str | None, *,
               kind: str = "entities", offset: int = 0, limit: int = 20) -> dict[str, Any]:
    from spark_jobs.search.ranking import SearchQuery

    if entity_type is not None and entity_type not in ENTITY_TYPES:
        raise BadRequest(f"unknown type {entity_type!r}; one of {', '.join(ENTITY_TYPES)}")
    window = max(state.portal.facet_window, offset + limit)
    try:
        query = SearchQuery(text=q, entity_type=entity_type, tags=tuple(tags), owner=owner or None, limit=window)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    try:
        hits = state.search.search(query, kind=kind, explain=offset + limit)
    except FileNotFoundError as exc:
        raise NotFound(str(exc)) from None
    facets = {"type": Counter(h.entity_type for h in hits),
              "tag": Counter(t for h in hits for t in (h.doc.get("tags") or ())),
              "owner": Counter(o for h in hits for o in h.owners)}
    return {
        "q": q, "total_in_window": len(hits), "window": window,
        "hits": [{"id": h.id, "entity_type": h.entity_type, "name": h.name, "owners": list(h.owners),
                  "why": list(h.why), "score": round(h.score, 3), "description": h.doc.get("description"),
                  "tags": list(h.doc.get("tags") or ())} for h in hits[offset:offset + limit]],
        "facets": {k: [{"value": v, "count": n} for v, n in sorted(c.items(), key=lambda x: (-x[1], x[0]))[:20]]
                   for k, c in facets.items()},
    }


@router.get("/search", response_model=SearchResult, responses=ERRORS,
            summary="search assets (or people and teams) by text with type / tag / owner filters")
def api_search(
    state: State,
    q: Annotated[str, Query(max_length=200, description="text; may be empty with filters")] = "",
    type: Annotated[str | None, Query(max_length=40, description="entity type, e.g. Model")] = None,  # noqa: A002
    tag: Annotated[list[str], Query(max_length=200, description="key::value, repeatable (all must match)")] = [],  # noqa: B006
    owner: Annotated[str | None, Query(max_length=300, description="AIP URI, username or team name")] = None,
    kind: Annotated[Literal["entities", "owners"], Query(description="assets, or people and teams")] = "entities",
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> dict[str, Any]:
    return run_search(state, q, type, tag, owner, kind=kind, offset=offset, limit=limit)
