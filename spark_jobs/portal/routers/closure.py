"""Lineage (upstream) and impact (downstream) from graph.impact with depth, relation, type and
owning-team filters, paging and CSV; the owners to notify; explain (a path between two)."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from spark_jobs.model import RELATIONSHIPS
from spark_jobs.portal import views
from spark_jobs.portal.deps import SnapshotDep, State, UriQuery, check_uri, require_entity
from spark_jobs.portal.errors import BadRequest, NotFound
from spark_jobs.portal.readmodel import Snapshot
from spark_jobs.portal.schemas import ERRORS, Closure, Explanation, OwnersToNotify

router = APIRouter(prefix="/api/v1", tags=["lineage and impact"])
CLOSURE_RESPONSES: dict[int | str, dict[str, Any]] = {**ERRORS, 200: {"content": {"text/csv": {}}}}
Format = Literal["json", "csv"]
CSV_COLUMNS = ("id", "entity_type", "name", "depth", "relations", "owners", "teams")


def closure_filters(
    depth: Annotated[int | None, Query(ge=1, le=1000, description="most dependency hops (default: all)")] = None,
    rel: Annotated[str | None, Query(max_length=40, description="only chains through this relation")] = None,
    type: Annotated[str | None, Query(max_length=40, description="only entities of this type")] = None,  # noqa: A002
    team: Annotated[str | None, Query(max_length=300, description="only entities this team is told about (AIP URI)")] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 100,
) -> views.ClosureFilters:
    if rel and rel not in RELATIONSHIPS:
        raise BadRequest(f"unknown relation {rel!r}; known: {', '.join(RELATIONSHIPS)}")
    if type and type not in views.ENTITY_TYPES:
        raise BadRequest(f"unknown type {type!r}; one of {', '.join(views.ENTITY_TYPES)}")
    if team:
        check_uri(team)
    return views.ClosureFilters(depth=depth, rel=rel or None, entity_type=type or None, team=team or None,
                                offset=offset, limit=limit)


Filters = Annotated[views.ClosureFilters, Depends(closure_filters)]


def closure_response(snap: Snapshot, uri: str, direction: str, f: views.ClosureFilters, format: Format) -> Any:  # noqa: A002
    """The closure in one direction as JSON (one page) or CSV (every filtered row)."""
    return as_csv(snap, uri, direction, f) if format == "csv" else closure_answer(snap, uri, direction, f)


def closure_answer(snap: Snapshot, uri: str, direction: str, f: views.ClosureFilters) -> dict[str, Any]:
    require_entity(snap, uri)
    if not snap.has_impact:
        raise NotFound("graph.impact has not been built yet: run `mlg build` (its closure stage) first")
    answer = views.closure_rows(snap, uri, direction, f)
    return {"uri": uri, "direction": direction, **answer, "snapshot": views.snapshot_info(snap)}


def as_csv(snap: Snapshot, uri: str, direction: str, f: views.ClosureFilters) -> Response:
    require_entity(snap, uri)
    rows = views.all_closure_rows(snap, uri, direction, f)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow([_csv_safe(r["id"]), r["entity_type"], _csv_safe(r["name"] or ""), r["depth"],
                         " ".join(r["relations"]), " ".join(r["owners"]), " ".join(r["teams"])])
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{direction}.csv"'})


def _csv_safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (hostile names start with = + - @)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.get("/impact", response_model=Closure, responses=CLOSURE_RESPONSES,
            summary="what transitively depends on an entity (breaks if it changes), with owners and teams")
def get_impact(snap: SnapshotDep, uri: UriQuery, f: Filters, format: Format = "json") -> Any:  # noqa: A002
    return closure_response(snap, uri, "impact", f, format)


@router.get("/lineage", response_model=Closure, responses=CLOSURE_RESPONSES,
            summary="what an entity transitively depends on (upstream), nearest first")
def get_lineage(snap: SnapshotDep, uri: UriQuery, f: Filters, format: Format = "json") -> Any:  # noqa: A002
    return closure_response(snap, uri, "lineage", f, format)


@router.get("/owners", response_model=OwnersToNotify, responses=ERRORS,
            summary="the owners and teams to notify when an entity changes (its impact set)")
def get_owners(snap: SnapshotDep, uri: UriQuery, f: Filters) -> dict[str, Any]:
    require_entity(snap, uri)
    return {"uri": uri, "owners": views.owners_to_notify(snap, uri, f),
            "teams": views.closure_summary(snap, uri, "impact", f)["teams"],
            "snapshot": views.snapshot_info(snap)}


@router.get("/explain", response_model=Explanation, responses=ERRORS,
            summary="a shortest path between two entities, with the relation of each hop")
def get_explain(
    state: State, snap: SnapshotDep,
    src: Annotated[str, Query(min_length=1, max_length=2048)],
    dst: Annotated[str, Query(min_length=1, max_length=2048)],
    max_depth: Annotated[int, Query(ge=1, le=12)] = 8,
    relations: Annotated[Literal["dependency", "all"], Query(description="dependency relations only, or all")] =
        "dependency",
) -> dict[str, Any]:
    require_entity(snap, src)
    require_entity(snap, dst)
    if snap.as_of.label is not None:
        raise BadRequest("explain reads the latest graph only (no as_of)")
    from spark_jobs.graph import queries

    path = state.engine.run(lambda spark: queries.shortest_path(spark, state.settings, src, dst,
                                                                max_depth=max_depth, relations=relations))
    hops = [{"src": e.src, "rel": e.rel, "dst": e.dst, "walked": "forward" if e.forward else "backward"}
            for e in path or ()]
    chain = [src] + [h["dst"] if h["walked"] == "forward" else h["src"] for h in hops]
    return {"src": src, "dst": dst, "found": path is not None, "hops": hops,
            "entities": [views.ref(snap, u) for u in chain] if path is not None else []}
