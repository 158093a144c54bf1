"""`mlg sql "…"` / `mlg sql -f FILE --param k=v`: Spark SQL over the lakehouse."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from spark_jobs.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    from spark_jobs import output

    p = sub.add_parser("sql", help="run Spark SQL over the lakehouse tables",
                       description="Every table is registered under its documented name (graph.entities, …) "
                                   "and the analyst views under sql/views/ are created. Parameters are bound "
                                   "as SQL literals: write :name in the query and pass --param name=value.")
    p.add_argument("query", nargs="?", help="SQL text (or use -f)")
    p.add_argument("-f", "--file", type=Path, help="read the SQL from a file")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="bind :NAME")
    output.add_format_option(p)
    p.add_argument("--limit", type=int, default=1000, help="most rows to print (default 1000)")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from spark_jobs.config import Settings
    from spark_jobs.session import spark_session
    from spark_jobs import output
    from spark_jobs.sqlrun import check_params, parse_params, run_sql

    if bool(args.query) == bool(args.file):
        raise UsageError("give a query or -f FILE (exactly one)")
    if args.file and not args.file.is_file():
        raise UsageError(f"no such SQL file: {args.file}")
    text = args.file.read_text() if args.file else args.query
    params = parse_params(args.param)
    check_params(text, params)  # a missing or stray --param is said before the engine starts
    if args.limit < 1:
        raise UsageError(f"--limit must be at least 1, got {args.limit}")
    settings = Settings.load()
    with spark_session(settings) as spark:
        df = run_sql(spark, settings, text, params)
        if df is None:
            return 0
        rows = [tuple(r) for r in df.limit(args.limit + 1).collect()]
        columns = df.columns
    output.emit(columns, rows[:args.limit], args.format)
    if len(rows) > args.limit:
        print(f"(stopped at --limit {args.limit})", file=sys.stderr)
    return 0
