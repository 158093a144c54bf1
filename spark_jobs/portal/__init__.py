"""The portal: `mlg serve` runs `create_app(settings)` (FastAPI) under uvicorn.

- `app`: the application, its security headers and error pages;
- `routers/`: one module per resource (search, entities, closure = lineage/impact/explain, pages);
- `readmodel`: the graph tables of one Delta version, in memory (delta-rs), for point lookups;
- `views`: what each endpoint and page shows, computed from a snapshot;
- `templates/`, `static/`: the pages (Jinja2, autoescaped) and their CSS; no script anywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from spark_jobs.config import Settings


def create_app(settings: Settings | None = None, **kwargs) -> FastAPI:
    from spark_jobs.portal.app import create_app as create

    return create(settings, **kwargs)
