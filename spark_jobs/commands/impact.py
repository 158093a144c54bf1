"""`mlg impact URI`: what breaks if an entity changes, with owners and the teams to notify."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    from spark_jobs.graph.queries import add_output_options

    p = sub.add_parser("impact", help="downstream impact: what depends on an entity, and whom to notify",
                       description="Reads graph.impact downstream (sql/queries/impact.sql): every entity that "
                                   "transitively depends on URI, its owners and the teams to notify.")
    p.add_argument("uri", help="AIP URI of the entity that changes, e.g. aip://dataset/datasets/warehouse.title_catalog")
    add_output_options(p)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    import sys

    from spark_jobs import output
    from spark_jobs.graph import queries

    columns, rows = queries.answer(args.uri, queries.impact, fmt=args.format, limit=args.limit,
                                   engine=args.engine, lookup=lambda graph, uri, limit: graph.impact(uri, limit=limit))
    teams = sorted({team for row in rows for team in (row[columns.index("teams")] or [])})
    shown = f" (from the first {args.limit} rows; raise --limit for all)" if len(rows) >= args.limit else ""
    # under the table on a terminal; on stderr otherwise, so tsv/csv/json stay pure data
    stream = sys.stdout if output.resolve(args.format) == "table" else sys.stderr
    print(f"teams to notify{shown}: {', '.join(teams) if teams else 'none'}", file=stream)
    return 0
