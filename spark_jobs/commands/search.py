"""`mlg search "text" [--type T] [--tag k::v] [--owner U] [--min-quality N] [--max-quality N] [--limit N]
[--owners] [--backend B]`: the
live search snapshot of one backend (default: MLG_SEARCH_BACKEND, else the configured OpenSearch or
Elasticsearch, else the embedded index), best match first, with why each hit matched (exact /
prefix / fuzzy name, or another field) and the asset's metadata quality score (quality.entity_scores)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    from spark_jobs import output

    p = sub.add_parser("search", help="search the published snapshot (exact > prefix > fuzzy name, then other fields)")
    p.add_argument("text", help="what to look for (may be empty with filters)")
    p.add_argument("--type", dest="entity_type", help="entity type filter, e.g. Model")
    p.add_argument("--tag", action="append", default=[], help="tag filter key::value (repeatable: all must match)")
    p.add_argument("--owner", help="owner filter: an AIP URI, a username or a team name")
    p.add_argument("--min-quality", type=float, metavar="N",
                   help="only assets whose metadata quality score (0-100, newest quality run) is at least N")
    p.add_argument("--max-quality", type=float, metavar="N",
                   help="only assets scoring at most N: the ones whose metadata needs work")
    p.add_argument("--limit", type=int, default=10, help="hits to show (default 10)")
    p.add_argument("--owners", action="store_true", help="search people and teams instead of assets")
    p.add_argument("--backend", choices=("auto", "embedded", "opensearch", "elasticsearch"), default="auto",
                   help="where to read (default auto: MLG_SEARCH_BACKEND, else the configured server, else embedded)")
    output.add_format_option(p)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from spark_jobs.config import Settings
    from spark_jobs.errors import MlgError, UsageError
    from spark_jobs.model import EntityType
    from spark_jobs.search.backends import SERVERS
    from spark_jobs.search.query import search
    from spark_jobs.search.ranking import SearchQuery

    types = {t.value.lower(): t.value for t in EntityType}
    entity_type = None
    if args.entity_type:
        entity_type = types.get(args.entity_type.lower())
        if entity_type is None:
            raise UsageError(f"unknown --type {args.entity_type!r}; one of {', '.join(types.values())}")
    quality = (args.min_quality, args.max_quality)
    if args.owners and quality != (None, None):
        raise UsageError("--min-quality / --max-quality filter assets; people and teams (--owners) have no score")
    try:
        query = SearchQuery(text=args.text, entity_type=entity_type, tags=tuple(args.tag), owner=args.owner,
                            limit=args.limit, min_quality=args.min_quality, max_quality=args.max_quality)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    settings = Settings.load()
    server = SERVERS.get(args.backend)
    if server is not None and not getattr(settings, server.url_field):
        local = " (or run `mlg up --search opensearch`)" if args.backend == "opensearch" else ""
        raise UsageError(f"--backend {args.backend} needs a URL: set {server.env} (e.g. http://127.0.0.1:9200){local}")
    try:
        hits = search(settings, query, kind="owners" if args.owners else "entities", backend=args.backend)
    except FileNotFoundError as exc:
        raise MlgError(str(exc)) from None
    from spark_jobs import output

    fmt = output.resolve(args.format)
    if not hits and fmt == "table":
        print("no matches")
        return 0
    rows = [(h.entity_type, h.name, h.id, list(h.owners), list(h.why) or ["filter"], round(h.score, 3),
             h.doc.get("quality_score")) for h in hits]
    output.emit(["type", "name", "uri", "owners", "why", "score", "quality"], rows, fmt)
    return 0
