"""`create_app(settings)`: the portal's FastAPI application (JSON API under /api/v1, server-
rendered pages, static CSS). Read-only; every response carries a Content-Security-Policy that
allows no script at all and no asset from outside the app."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from spark_jobs import __version__
from spark_jobs.config import Settings
from spark_jobs.errors import MlgError, UsageError
from spark_jobs.portal.config import PortalSettings
from spark_jobs.portal.errors import PortalError
from spark_jobs.portal.routers import ROUTER_MODULES
from spark_jobs.portal.state import PortalState

STATIC_DIR = Path(__file__).resolve().parent / "static"
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def create_app(settings: Settings | None = None, *, portal: PortalSettings | None = None,
               start_engine: bool = True) -> FastAPI:
    """The app over one lakehouse; `start_engine=False` opens the Spark session only when a
    request needs it (explain), e.g. in tests that never ask."""
    state = PortalState(settings or Settings.load(), portal or PortalSettings.load(), start_engine=start_engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with state.running():
            yield

    # No /docs or /redoc: Swagger UI loads script from a CDN, which the portal never does.
    app = FastAPI(title="Model Lifecycle Graph portal", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None,
                  description="Read-only API over the ML metadata graph: search, entities, relationships, "
                              "lineage, impact, explain and history. `as_of` reads any earlier version.")
    app.state.portal = state
    for name in ROUTER_MODULES:
        app.include_router(importlib.import_module(f"spark_jobs.portal.routers.{name}").router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _install_error_handlers(app)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    return app


def app_from_environment() -> FastAPI:
    """The app of one `mlg serve --workers N` worker process: settings from the environment."""
    return create_app(Settings.load())


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def _error(request: Request, status: int, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    from spark_jobs.portal.routers.pages import render_error

    return render_error(request, status, message)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(PortalError)
    async def portal_error(request: Request, exc: PortalError):
        return _error(request, exc.status_code, exc.message)

    @app.exception_handler(UsageError)
    async def usage_error(request: Request, exc: UsageError):
        return _error(request, 400, str(exc))

    @app.exception_handler(MlgError)
    async def mlg_error(request: Request, exc: MlgError):
        from spark_jobs.graph.queries import UnknownEntity

        return _error(request, 404 if isinstance(exc, UnknownEntity) else 400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        reasons = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'request'}: {e.get('msg')}"
                            for e in exc.errors())
        return _error(request, 400, reasons or "bad request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        message = "no such page" if exc.status_code == 404 else str(exc.detail)
        return _error(request, exc.status_code, message)
