"""`mlg explain SRC DST`: a shortest path between two entities, with the relation of each hop."""

from __future__ import annotations

import argparse

from spark_jobs.errors import MlgError, UsageError

PATH_COLUMNS = ["hop", "src", "rel", "dst", "walked"]


def register(sub: argparse._SubParsersAction) -> None:
    from spark_jobs import output
    from spark_jobs.graph.queries import add_engine_option

    p = sub.add_parser("explain", help="how two entities are connected: a shortest path with relations",
                       description="Breadth-first search over the active edges of graph.edges, walking each "
                                   "edge either way; by default only relations with a dependency meaning. "
                                   "--format table draws the path; tsv, csv and json give one row per hop.")
    p.add_argument("src", help="AIP URI to start from")
    p.add_argument("dst", help="AIP URI to reach")
    p.add_argument("--max-depth", type=int, default=12, help="most hops to search (default 12)")
    p.add_argument("--all-relations", action="store_true",
                   help="also walk ownership, membership and similarity edges")
    output.add_format_option(p)
    add_engine_option(p)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from spark_jobs import output
    from spark_jobs.config import Settings
    from spark_jobs.graph import queries

    queries.check_uri(args.src)
    queries.check_uri(args.dst)
    if args.max_depth < 1:
        raise UsageError("--max-depth must be at least 1")
    settings = Settings.load()
    relations = "all" if args.all_relations else "dependency"
    if args.engine == "delta":
        from spark_jobs.graph.lookup import GraphLookup

        path = GraphLookup(settings).shortest_path(args.src, args.dst, max_depth=args.max_depth,
                                                   relations=relations)
    else:
        from spark_jobs.session import spark_session

        with spark_session(settings) as spark:
            path = queries.shortest_path(spark, settings, args.src, args.dst, max_depth=args.max_depth,
                                         relations=relations)
    if path is None:
        raise MlgError(f"no path from {args.src} to {args.dst} within {args.max_depth} hops")
    fmt = output.resolve(args.format)
    if fmt != "table":
        output.emit(PATH_COLUMNS, [(i, e.src, e.rel, e.dst, "forward" if e.forward else "backward")
                                   for i, e in enumerate(path, 1)], fmt)
        return 0
    print(args.src)
    for edge in path:
        nxt = edge.dst if edge.forward else edge.src
        arrow = f"-[{edge.rel}]->" if edge.forward else f"<-[{edge.rel}]-"
        print(f"  {arrow} {nxt}")
    print(f"({len(path)} hop{'s' if len(path) != 1 else ''})")
    return 0
