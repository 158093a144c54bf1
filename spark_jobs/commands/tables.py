"""`mlg tables`: every table with its Delta version and row count."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tables", help="list the lakehouse tables with version and row count")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.set_defaults(handler=handle)


def table_summary(spark, settings) -> list[tuple]:
    from spark_jobs import tables

    rows = []
    for name, t in tables.all_tables().items():
        version = tables.version(settings, name)
        count = tables.read(spark, settings, name).count() if version is not None else None
        rows.append((name, version, count, t.description))
    return rows


def handle(args: argparse.Namespace) -> int:
    from spark_jobs.config import Settings
    from spark_jobs.session import spark_session
    from spark_jobs.sqlrun import format_rows

    settings = Settings.load()
    with spark_session(settings) as spark:
        rows = table_summary(spark, settings)
    for line in format_rows(["table", "version", "rows", "description"], rows, args.format):
        print(line)
    return 0
