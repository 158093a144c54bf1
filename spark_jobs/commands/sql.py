"""`mlg sql "…"` / `mlg sql -f FILE --param k=v`: Spark SQL over the lakehouse."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from spark_jobs.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sql", help="run Spark SQL over the lakehouse tables",
                       description="Every table is registered under its documented name (graph.entities, …) "
                                   "and the analyst views under sql/views/ are created. Parameters are bound "
                                   "as SQL literals: write :name in the query and pass --param name=value.")
    p.add_argument("query", nargs="?", help="SQL text (or use -f)")
    p.add_argument("-f", "--file", type=Path, help="read the SQL from a file")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="bind :NAME")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument("--limit", type=int, default=1000, help="most rows to print (default 1000)")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from spark_jobs.config import Settings
    from spark_jobs.session import spark_session
    from spark_jobs.sqlrun import format_rows, parse_params, run_sql

    if bool(args.query) == bool(args.file):
        raise UsageError("give a query or -f FILE (exactly one)")
    if args.file and not args.file.is_file():
        raise UsageError(f"no such SQL file: {args.file}")
    text = args.file.read_text() if args.file else args.query
    params = parse_params(args.param)
    settings = Settings.load()
    with spark_session(settings) as spark:
        df = run_sql(spark, settings, text, params)
        if df is None:
            return 0
        rows = df.limit(args.limit).collect()
        columns = df.columns
    for line in format_rows(columns, [tuple(r) for r in rows], args.format):
        print(line)
    if len(rows) == args.limit:
        print(f"(stopped at --limit {args.limit})", file=sys.stderr)
    return 0
