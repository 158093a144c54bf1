"""`POST /api/v1/lineage`: OpenLineage run events in (the path OpenLineage's HTTP transport
posts to). The only write endpoint: it needs `MLG_API_TOKEN` on the server (without one it is
off: 403 with the reason) and `Authorization: Bearer <token>` on the request (compared in
constant time, 401 otherwise). A valid event lands in `landing.events` (source `openlineage`,
transport `http`) before the 200; an invalid one gets a 400 with the reason and is kept in
`landing.quarantine`. Posting the same event again is accepted and lands nothing new."""

from __future__ import annotations

import hmac
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from spark_jobs.portal.deps import State
from spark_jobs.portal.schemas import Problem

router = APIRouter(prefix="/api/v1", tags=["ingest"])

MAX_BODY = 1 << 20  # 1 MiB: far above any run event, bounded memory per request
_SINKS_LOCK = threading.Lock()


class Accepted(BaseModel):
    accepted: bool
    id: str
    """The event's dedup id (its identity: run, eventType, eventTime, job)."""
    message_id: str


def _sink(request: Request, state: Any):
    """One group-committing landing per app (created on the first write)."""
    from spark_jobs.landing.http import HttpLanding
    from spark_jobs.landing.transport import OPENLINEAGE

    with _SINKS_LOCK:
        sink = getattr(request.app.state, "lineage_landing", None)
        if sink is None:
            sink = request.app.state.lineage_landing = HttpLanding(state.settings, OPENLINEAGE)
    return sink


def _gunzip(body: bytes) -> bytes | None:
    import zlib

    inflate = zlib.decompressobj(wbits=31)
    try:
        out = inflate.decompress(body, MAX_BODY + 1)
    except zlib.error:
        return None
    return out if len(out) <= MAX_BODY and inflate.eof else None


def _refuse(status: int, detail: str, **headers: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers or None)


@router.post("/lineage", response_model=Accepted, summary="Accept one OpenLineage run event",
             responses={400: {"model": Problem}, 401: {"model": Problem}, 403: {"model": Problem},
                        413: {"model": Problem}, 503: {"model": Problem}})
async def post_lineage(request: Request, state: State,
                       authorization: Annotated[str | None, Header()] = None) -> Any:
    token = state.settings.api_token
    if not token:
        return _refuse(403, "writes are off: the server has no MLG_API_TOKEN set")
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        return _refuse(401, "a valid 'Authorization: Bearer <MLG_API_TOKEN>' header is required",
                       **{"WWW-Authenticate": "Bearer"})
    body = await request.body()
    if len(body) > MAX_BODY:
        return _refuse(413, f"an OpenLineage event must be at most {MAX_BODY} bytes")
    if request.headers.get("content-encoding", "").lower() == "gzip":  # the HTTP transport's `compression`
        body = _gunzip(body)
        if body is None:
            return _refuse(400, f"the gzip body is corrupt or inflates past {MAX_BODY} bytes")
    from spark_jobs.landing.http import CommitFailed

    try:
        verdict = await run_in_threadpool(_sink(request, state).submit, body.decode("utf-8", errors="replace"))
    except CommitFailed as exc:
        return _refuse(503, f"{exc}; nothing was landed, retry")
    if not verdict.accepted:
        return _refuse(400, f"{verdict.reason}: {verdict.detail} (kept in landing.quarantine as {verdict.message_id})")
    return Accepted(accepted=True, id=verdict.dedup_id or "", message_id=verdict.message_id)
