"""FastAPI dependencies: the shared state, the snapshot a request reads (`?as_of=`), and a
checked entity URI (a query parameter or one encoded path segment)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from spark_jobs.portal.errors import BadRequest, NotFound
from spark_jobs.portal.readmodel import Snapshot
from spark_jobs.portal.state import PortalState
from spark_jobs.uris import AipUri, InvalidAipUri

AS_OF_HELP = "a graph.entities version (e.g. 3) or an ISO-8601 timestamp: read the tables as of then"


def get_state(request: Request) -> PortalState:
    return request.app.state.portal


State = Annotated[PortalState, Depends(get_state)]


def get_snapshot(state: State, as_of: Annotated[str | None, Query(max_length=64, description=AS_OF_HELP)] = None
                 ) -> Snapshot:
    from spark_jobs.portal.readmodel import latest

    snap = state.snapshots.get(as_of)
    if snap.as_of.version("graph.entities") is None and latest(state.settings).version("graph.entities") is None:
        raise NotFound("there is no graph yet: run `mlg build` (or `make run`) first")
    return snap


SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]


def check_uri(text: str) -> str:
    """The canonical AIP URI, or a 400 with the reason."""
    try:
        AipUri.parse(text)
    except InvalidAipUri as exc:
        raise BadRequest(str(exc)) from None
    return text


def require_entity(snap: Snapshot, uri: str) -> dict:
    check_uri(uri)
    row = snap.entity(uri)
    if row is None:
        raise NotFound(f"unknown entity {uri}: it is not in graph.entities"
                       + (f" as of {snap.as_of.label}" if snap.as_of.label else ""))
    return row


UriQuery = Annotated[str, Query(min_length=1, max_length=2048, description="AIP URI, e.g. aip://model/registry/x")]
