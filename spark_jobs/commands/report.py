"""`mlg report`: render the governance report (HTML + CSVs) from the current lakehouse."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="render the governance report (HTML with charts + one CSV per section)",
                       description="Ownership coverage, inactive owners, stale and undocumented assets, "
                                   "deprecation candidates, quality trend and graph size over versions, from "
                                   "the SQL in sql/reports/. Written to <reports>/governance/. Stale means "
                                   "what the quality scores say: outside the type's window (quality setting "
                                   "score_freshness_days, e.g. MLG_QUALITY_SCORE_FRESHNESS_DAYS=Dataset=30).")
    p.add_argument("--max-versions", type=int, default=30, help="newest Delta versions in the graph-size section")
    p.add_argument("--run-id", help="label the report with this run id")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from quality.governance import ReportOptions, build_report
    from spark_jobs.config import Settings
    from spark_jobs.errors import UsageError
    from spark_jobs.session import spark_session
    from spark_jobs.stages import RunContext

    if args.max_versions < 1:
        raise UsageError("--max-versions must be >= 1")
    from spark_jobs.graph.guard import require_live_graph

    settings = Settings.load()
    require_live_graph(settings, "report on")  # before the engine starts
    ctx = RunContext.new(args.run_id)
    with spark_session(settings) as spark:
        outcome = build_report(spark, settings, run_id=ctx.run_id, now=ctx.started_at,
                               options=ReportOptions(max_versions=args.max_versions))
    for key, path in outcome.csvs.items():
        print(f"  {key:<24} {outcome.rows[key]:>8,} rows  {path}")
    print(f"report: {outcome.html}")
    return 0
