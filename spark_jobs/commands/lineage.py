"""`mlg lineage URI [--depth N] [--rel R]`: everything an entity transitively depends on."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    from spark_jobs.graph.queries import add_output_options

    p = sub.add_parser("lineage", help="upstream lineage: what an entity transitively depends on",
                       description="Reads graph.impact the upstream way (sql/queries/lineage.sql), nearest first.")
    p.add_argument("uri", help="AIP URI, e.g. aip://model-instance/registry/ranking-model-v5-20XX0101")
    p.add_argument("--depth", type=int, help="most dependency hops to go up (default: all)")
    p.add_argument("--rel", help="only entities whose shortest chains go through this relation (e.g. READS)")
    add_output_options(p)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from spark_jobs.graph import queries

    queries.check_lineage_args(args.depth, args.rel)

    def upstream(spark, settings, uri):
        return queries.lineage(spark, settings, uri, depth=args.depth, rel=args.rel)

    queries.answer(args.uri, upstream, fmt=args.format, limit=args.limit, engine=args.engine,
                   lookup=lambda graph, uri, limit: graph.lineage(uri, depth=args.depth, rel=args.rel,
                                                                     limit=limit))
    return 0
