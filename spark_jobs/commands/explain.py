"""`mlg explain SRC DST`: a shortest path between two entities, with the relation of each hop."""

from __future__ import annotations

import argparse
import json

from spark_jobs.errors import MlgError, UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("explain", help="how two entities are connected: a shortest path with relations",
                       description="Breadth-first search over the active edges of graph.edges, walking each "
                                   "edge either way; by default only relations with a dependency meaning.")
    p.add_argument("src", help="AIP URI to start from")
    p.add_argument("dst", help="AIP URI to reach")
    p.add_argument("--max-depth", type=int, default=12, help="most hops to search (default 12)")
    p.add_argument("--all-relations", action="store_true",
                   help="also walk ownership, membership and similarity edges")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from spark_jobs.config import Settings
    from spark_jobs.graph import queries
    from spark_jobs.session import spark_session

    queries.check_uri(args.src)
    queries.check_uri(args.dst)
    if args.max_depth < 1:
        raise UsageError("--max-depth must be at least 1")
    settings = Settings.load()
    with spark_session(settings) as spark:
        path = queries.shortest_path(spark, settings, args.src, args.dst, max_depth=args.max_depth,
                                     relations="all" if args.all_relations else "dependency")
    if path is None:
        raise MlgError(f"no path from {args.src} to {args.dst} within {args.max_depth} hops")
    if args.format == "json":
        print(json.dumps([{"src": e.src, "rel": e.rel, "dst": e.dst, "walked": "forward" if e.forward else "backward"}
                          for e in path]))
        return 0
    print(args.src)
    for edge in path:
        nxt = edge.dst if edge.forward else edge.src
        arrow = f"-[{edge.rel}]->" if edge.forward else f"<-[{edge.rel}]-"
        print(f"  {arrow} {nxt}")
    print(f"({len(path)} hop{'s' if len(path) != 1 else ''})")
    return 0
