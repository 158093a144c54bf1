"""Entities: GET /api/v1/entities (by URI), their relationships and their history. The URI
travels as `?uri=` or as one percent-encoded path segment (/api/v1/entities/aip%3A%2F%2F...)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from spark_jobs.portal import views
from spark_jobs.portal.deps import SnapshotDep, State, UriQuery, require_entity
from spark_jobs.portal.readmodel import Snapshot, history_rows
from spark_jobs.portal.schemas import ERRORS, Entity, History, Relationships

router = APIRouter(prefix="/api/v1", tags=["entities"])


def entity_answer(state, snap: Snapshot, uri: str) -> dict[str, Any]:
    require_entity(snap, uri)
    detail = views.entity_detail(snap, uri, state.portal)
    assert detail is not None
    return {**detail, "view": views.type_view(snap, uri), "snapshot": views.snapshot_info(snap)}


def relationships_answer(snap: Snapshot, uri: str) -> dict[str, Any]:
    require_entity(snap, uri)
    return {"uri": uri, "relationships": views.relationships(snap, uri), "snapshot": views.snapshot_info(snap)}


def history_answer(state, snap: Snapshot, uri: str) -> dict[str, Any]:
    require_entity(snap, uri)
    return {"uri": uri, "versions": history_rows(state.settings, uri, snap.as_of)}


@router.get("/entities", response_model=Entity, responses=ERRORS, summary="one entity by its AIP URI")
def get_entity(state: State, snap: SnapshotDep, uri: UriQuery) -> dict[str, Any]:
    return entity_answer(state, snap, uri)


@router.get("/relationships", response_model=Relationships, responses=ERRORS,
            summary="every active edge of an entity, both directions, declared and inferred")
def get_relationships(snap: SnapshotDep, uri: UriQuery) -> dict[str, Any]:
    return relationships_answer(snap, uri)


@router.get("/history", response_model=History, responses=ERRORS,
            summary="the versions of an entity (graph.entity_history), newest first")
def get_history(state: State, snap: SnapshotDep, uri: UriQuery) -> dict[str, Any]:
    return history_answer(state, snap, uri)


# The same answers with the URI as one encoded path segment. Suffix routes come first: the
# `path` converter would otherwise take ".../relationships" as part of the URI.
@router.get("/entities/{uri:path}/relationships", response_model=Relationships, responses=ERRORS,
            summary="relationships, URI in the path")
def get_relationships_by_path(snap: SnapshotDep, uri: str) -> dict[str, Any]:
    return relationships_answer(snap, uri)


@router.get("/entities/{uri:path}/history", response_model=History, responses=ERRORS,
            summary="history, URI in the path")
def get_history_by_path(state: State, snap: SnapshotDep, uri: str) -> dict[str, Any]:
    return history_answer(state, snap, uri)


@router.get("/entities/{uri:path}", response_model=Entity, responses=ERRORS, summary="one entity, URI in the path")
def get_entity_by_path(state: State, snap: SnapshotDep, uri: str) -> dict[str, Any]:
    return entity_answer(state, snap, uri)
