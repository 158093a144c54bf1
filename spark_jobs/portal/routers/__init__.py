"""The routers the app includes, in order: one module per resource, each exposing `router`.
Adding an endpoint group is adding its module here (e.g. "lineage" for POST /api/v1/lineage)."""

ROUTER_MODULES: tuple[str, ...] = ("search", "entities", "closure", "lineage", "pages")
