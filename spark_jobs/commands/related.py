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
    from spark_jobs.config import Settings
    from spark_jobs.graph import queries
    from spark_jobs.session import spark_session

    queries.check_uri(args.uri)
    settings = Settings.load()
    with spark_session(settings) as spark:
        queries.print_rows(queries.related(spark, settings, args.uri), fmt=args.format, limit=args.limit)
    return 0
