"""Response models of the JSON API (they make /openapi.json)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class Problem(BaseModel):
    detail: str = Field(description="what is wrong, in one line")


# The error answers every read route documents: a bad argument (400) or an unknown entity / no graph (404).
ERRORS: dict[int | str, dict[str, Any]] = {400: {"model": Problem}, 404: {"model": Problem}}


class Ref(BaseModel):
    id: str
    entity_type: str | None = None
    name: str | None = None
    state: str | None = None


class OwnerRef(Ref):
    inactive: bool = False


class Tag(BaseModel):
    tag: str | None = None
    value: str | None = None


class Freshness(BaseModel):
    status: str = Field(description="fresh, aging or stale (thresholds: MLG_PORTAL_FRESH_HOURS / _STALE_HOURS)")
    checked_at: datetime | None = None
    age_hours: float | None = None
    reason: str


class Finding(BaseModel):
    kind: str
    severity: str
    message: str


class Deprecation(BaseModel):
    reason: str


class TimeTravel(BaseModel):
    as_of: str | None = Field(None, description="what the answer reads; null: the latest versions")
    versions: dict[str, int | None]


class Entity(BaseModel):
    id: str
    entity_type: str
    name: str | None = None
    description: str | None = None
    domain: str | None = None
    provider: str | None = None
    state: str
    source_status: str | None = None
    owners: list[OwnerRef]
    tags: list[Tag]
    properties: dict[str, str | None]
    created_at: datetime | None = None
    updated_at: datetime | None = None
    first_seen_at: datetime | None = None
    last_hydrated_at: datetime | None = None
    last_enriched_at: datetime | None = None
    freshness: Freshness
    deprecation: Deprecation | None = None
    findings: list[Finding]
    quality_score: float | None = None
    view: dict[str, Any] = Field(default_factory=dict, description="panels that depend on the entity type")
    snapshot: TimeTravel


class PathEdge(BaseModel):
    src: str
    rel: str
    dst: str


class Relationship(BaseModel):
    direction: str = Field(description="out: this entity is the edge's src; in: its dst")
    rel: str
    id: str
    entity_type: str | None = None
    name: str | None = None
    state: str | None = None
    provenance: str = Field(description="declared by a source, or inferred by a rule")
    rule: str | None = None
    rule_description: str | None = None
    meaning: str = ""
    path: list[PathEdge] | None = Field(None, description="for an inferred edge: the edges implying it")


class Relationships(BaseModel):
    uri: str
    relationships: list[Relationship]
    snapshot: TimeTravel


class ClosureRow(BaseModel):
    id: str
    entity_type: str | None = None
    name: str | None = None
    depth: int
    relations: list[str]
    owners: list[str]
    teams: list[str]


class TeamToNotify(BaseModel):
    team: str
    name: str | None = None
    assets: int
    owners: list[str]


class Closure(BaseModel):
    uri: str
    direction: str = Field(description="impact (downstream: what breaks) or lineage (upstream: what it comes from)")
    total: int
    offset: int
    limit: int
    rows: list[ClosureRow]
    teams: list[TeamToNotify]
    snapshot: TimeTravel


class OwnerToNotify(OwnerRef):
    teams: list[str]
    assets: int


class OwnersToNotify(BaseModel):
    uri: str
    owners: list[OwnerToNotify]
    teams: list[TeamToNotify]
    snapshot: TimeTravel


class ExplainHop(BaseModel):
    src: str
    rel: str
    dst: str
    walked: str = Field(description="forward (along the arrow) or backward")


class Explanation(BaseModel):
    src: str
    dst: str
    found: bool
    hops: list[ExplainHop]
    entities: list[Ref]


class HistoryVersion(BaseModel):
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    content_hash: str | None = None
    run_id: str | None = None
    payload: dict[str, Any]


class History(BaseModel):
    uri: str
    versions: list[HistoryVersion]


class SearchHitModel(BaseModel):
    id: str
    entity_type: str
    name: str
    owners: list[str]
    why: list[str] = Field(description="the ranking rules that matched (exact, prefix, fuzzy, owner, tag, ...)")
    score: float
    description: str | None = None
    tags: list[str] = []


class FacetCount(BaseModel):
    value: str
    count: int


class SearchResult(BaseModel):
    q: str
    total_in_window: int = Field(description="hits counted for the facets (at most MLG_PORTAL_FACET_WINDOW)")
    hits: list[SearchHitModel]
    facets: dict[str, list[FacetCount]]
