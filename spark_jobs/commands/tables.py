"""`mlg tables`: every table with its Delta version and row count."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    from spark_jobs import output
    from spark_jobs.graph.queries import add_engine_option

    p = sub.add_parser("tables", help="list the lakehouse tables with version and row count")
    output.add_format_option(p)
    add_engine_option(p)
    p.set_defaults(handler=handle)


def table_summary(spark, settings) -> list[tuple]:
    """The engine's answer: versions from the Delta log, counts by reading each table."""
    from spark_jobs import tables

    rows = []
    for name, t in tables.all_tables().items():
        version = tables.version(settings, name)
        count = tables.read(spark, settings, name).count() if version is not None else None
        rows.append((name, version, count, t.description))
    return rows


def handle(args: argparse.Namespace) -> int:
    from spark_jobs import output
    from spark_jobs.config import Settings
    from spark_jobs.graph.lookup import TABLES_COLUMNS, GraphLookup

    settings = Settings.load()
    if args.engine == "delta":
        _, rows = GraphLookup(settings).table_summary()
    else:
        from spark_jobs.session import spark_session

        with spark_session(settings) as spark:
            rows = table_summary(spark, settings)
    output.emit(TABLES_COLUMNS, rows, args.format)
    return 0
