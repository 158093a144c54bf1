"""`mlg related URI`: every active edge one hop from an entity, both directions."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    from spark_jobs.graph.queries import add_output_options

    p = sub.add_parser("related", help="entities one hop away, both directions (declared and inferred edges)")
    p.add_argument("uri", help="AIP URI of the entity")
    add_output_options(p)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from spark_jobs.graph import queries

    queries.answer(args.uri, queries.related, fmt=args.format, limit=args.limit, engine=args.engine,
                   lookup=lambda graph, uri, limit: graph.related(uri, limit=limit))
    return 0
