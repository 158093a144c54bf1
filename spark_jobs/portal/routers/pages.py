"""The pages: search, entity (overview, lineage and impact tabs), explain. Server-rendered from
templates/ with autoescaping on; every link to an entity carries its URI as a query parameter."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from functools import lru_cache
from urllib.parse import quote_plus, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from spark_jobs.model import RELATIONSHIPS
from spark_jobs.portal import svg, views
from spark_jobs.portal.deps import SnapshotDep, State, UriQuery, require_entity
from spark_jobs.portal.routers.closure import Filters
from spark_jobs.portal.routers.search import run_search
from spark_jobs.portal.views import ENTITY_TYPES

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"
router = APIRouter(include_in_schema=False)


def _url(path: str, **params: Any) -> str:
    """`path?k=v&…` (as urlencode with doseq), leaving out empty values. Pages link every row to its
    entity, owners and teams: the same few thousand URIs quoted again on every page dominated
    rendering, so each value's quoting is kept."""
    pairs = []
    for key, value in params.items():
        if value in (None, ""):
            continue
        if isinstance(value, (list, tuple)):
            pairs.extend(f"{_quoted(key)}={_quoted(str(v))}" for v in value)
        else:
            pairs.append(f"{_quoted(key)}={_quoted(str(value))}")
    return path + ("?" + "&".join(pairs) if pairs else "")


@lru_cache(maxsize=65_536)
def _quoted(text: str) -> str:
    return quote_plus(text)


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(url=_url, relationships=RELATIONSHIPS, entity_types=ENTITY_TYPES, without_as_of=_without_as_of)
    env.filters["shortname"] = _shortname
    return env


def _without_as_of(request: Request) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "as_of"]
    return request.url.path + ("?" + urlencode(params) if params else "")


def _shortname(uri: str, snap) -> str:
    row = snap.entity(uri)
    return (row["name"] if row else None) or uri


templates = Jinja2Templates(env=_environment())


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def render_error(request: Request, status: int, message: str) -> Response:
    return page(request, "error.html", status, status=status, message=message, as_of=None)


AsOfText = Annotated[str | None, Query(max_length=64)]


@router.get("/", response_class=HTMLResponse)
@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, state: State,
                q: Annotated[str, Query(max_length=200)] = "",
                type: Annotated[str | None, Query(max_length=40)] = None,  # noqa: A002
                tag: Annotated[list[str], Query(max_length=200)] = [],  # noqa: B006
                owner: Annotated[str | None, Query(max_length=300)] = None,
                offset: Annotated[int, Query(ge=0, le=10_000)] = 0) -> HTMLResponse:
    searched = bool(q or type or tag or owner)
    result = run_search(state, q, type or None, tag, owner, offset=offset, limit=25) if searched else None
    return page(request, "search.html", q=q, type=type, tags=tag, owner=owner, offset=offset, result=result,
                as_of=None)


def _entity_context(state, snap, uri: str) -> dict[str, Any]:
    require_entity(snap, uri)
    detail = views.entity_detail(snap, uri, state.portal)
    return {"e": detail, "uri": uri, "snap": snap, "as_of": snap.as_of.label,
            "as_of_param": _as_of_param(snap)}


def _as_of_param(snap) -> str | None:
    if snap.as_of.label is None:
        return None
    return str(snap.as_of.version("graph.entities")) if snap.as_of.at is None else snap.as_of.at.isoformat()


@router.get("/entity", response_class=HTMLResponse)
def entity_page(request: Request, state: State, snap: SnapshotDep, uri: UriQuery,
                as_of: AsOfText = None) -> HTMLResponse:
    context = _entity_context(state, snap, uri)
    context["as_of_param"] = as_of
    rows = views.relationships(snap, uri)
    return page(request, "entity.html", tab="overview", groups=views.grouped_relationships(rows),
                view=views.type_view(snap, uri), **context)


@router.get("/entity/{uri:path}", response_class=HTMLResponse)
def entity_page_by_path(request: Request, state: State, snap: SnapshotDep, uri: str,
                        as_of: AsOfText = None) -> HTMLResponse:
    return entity_page(request, state, snap, uri, as_of)


@router.get("/lineage", response_class=HTMLResponse)
def lineage_page(request: Request, state: State, snap: SnapshotDep, uri: UriQuery,
                 depth: Annotated[int, Query(ge=1, le=50)] = 2, as_of: AsOfText = None) -> HTMLResponse:
    context = _entity_context(state, snap, uri)
    context["as_of_param"] = as_of
    f = views.ClosureFilters(depth=depth, limit=1000)
    up = views.closure_rows(snap, uri, "lineage", f)
    down = views.closure_rows(snap, uri, "impact", f)
    picture = svg.layout(snap, uri, views.all_closure_rows(snap, uri, "lineage", f),
                         views.all_closure_rows(snap, uri, "impact", f))
    return page(request, "lineage.html", tab="lineage", depth=depth, picture=picture, upstream=up,
                downstream=down, **context)


@router.get("/impact", response_class=HTMLResponse)
def impact_page(request: Request, state: State, snap: SnapshotDep, uri: UriQuery, f: Filters,
                as_of: AsOfText = None) -> HTMLResponse:
    context = _entity_context(state, snap, uri)
    context["as_of_param"] = as_of
    answer = views.closure_rows(snap, uri, "impact", f)
    owners = views.owners_to_notify(snap, uri, f)
    # the summary names the teams and owners with the most impacted assets; all of them are one
    # click away (the owners API, the CSV): a root dataset's page would otherwise list ~800 teams
    shown = state.portal.notify_shown
    filters = {"depth": f.depth, "rel": f.rel, "type": f.entity_type, "team": f.team, "as_of": as_of}
    return page(request, "impact.html", tab="impact", f=f, impact=answer,
                teams=views.most_assets(answer["teams"], shown, key="team"), teams_total=len(answer["teams"]),
                owners=views.most_assets(owners, shown, key="id"), owners_total=len(owners),
                owners_url=_url("/api/v1/owners", uri=uri, **filters),
                present_types=views.present_types(snap, uri, "impact"),
                csv_url=_url("/api/v1/impact", uri=uri, **filters, format="csv"), **context)


@router.get("/explain", response_class=HTMLResponse)
def explain_page(request: Request, state: State, snap: SnapshotDep,
                 src: Annotated[str, Query(min_length=1, max_length=2048)],
                 dst: Annotated[str, Query(min_length=1, max_length=2048)],
                 relations: Annotated[str, Query(pattern="^(dependency|all)$")] = "dependency") -> HTMLResponse:
    from spark_jobs.portal.routers.closure import get_explain

    answer = get_explain(state, snap, src, dst, relations=relations)  # type: ignore[arg-type]
    return page(request, "explain.html", answer=answer, snap=snap, as_of=None, relations=relations)
