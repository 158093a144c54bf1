"""`mlg quality`: run the quality gate alone; exit 3 when a critical expectation fails."""

from __future__ import annotations

import argparse
import sys

GATE_FAILED_EXIT = 3


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("quality", help="validate the current graph tables (GE suites + graph checks)",
                       description="Validates the current versions of graph.entities and graph.edges, appends "
                                   "one quality.results row per expectation, renders GE Data Docs and a summary "
                                   "under <reports>/quality/, and exits 3 when a critical expectation fails.")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", dest="settings",
                   help="override a threshold or severity (e.g. drift_max_drop_share=0.5, "
                        "severities=owners_present=critical); also MLG_QUALITY_<NAME>")
    p.add_argument("--run-id", help="record the results under this run id (default: a new one)")
    p.add_argument("--no-docs", action="store_true", help="skip GE Data Docs and the summary page")
    p.add_argument("--for", dest="target", metavar="URI|TEAM",
                   help="print the newest metadata score of one entity (AIP URI) or team (name, team id or "
                        "team URI) and what to fix first, instead of running the suites")
    p.set_defaults(handler=handle)


def parse_settings(pairs: list[str]) -> dict[str, str]:
    from spark_jobs.errors import UsageError

    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--set expects NAME=VALUE, got {pair!r}")
        out[name.strip()] = value
    return out


def handle(args: argparse.Namespace) -> int:
    from quality.config import QualityConfig
    from quality.runner import run_quality
    from spark_jobs.config import Settings
    from spark_jobs.session import spark_session
    from spark_jobs.stages import RunContext

    config = QualityConfig.load(parse_settings(args.settings))
    settings = Settings.load()
    if args.target is not None:
        return _explain(settings, config, args.target)
    ctx = RunContext.new(args.run_id)
    with spark_session(settings) as spark:
        outcome = run_quality(spark, settings, run_id=ctx.run_id, config=config, now=ctx.started_at,
                              data_docs=not args.no_docs)
    for result in outcome.failed_critical + outcome.failed_warning:
        observed = {k: v for k, v in result.observed.items() if k in ("unexpected", "of", "examples", "drop_share",
                                                                     "error", "coverage")}
        print(f"  {result.severity.upper():8} {result.suite}.{result.expectation}[{result.target}] {observed}")
    print(f"quality {outcome.run_id}: gate {outcome.gate.upper()} ({len(outcome.results)} checks, "
          f"{len(outcome.failed_critical)} critical and {len(outcome.failed_warning)} warning failed)")
    if outcome.docs_dir:
        print(f"report: {outcome.docs_dir / 'index.html'}")
    if outcome.gate == "fail":
        print("quality gate FAILED: a build would skip publish", file=sys.stderr)
        return GATE_FAILED_EXIT
    return 0


def _explain(settings, config, target: str) -> int:
    from quality.lookup import explain
    from spark_jobs import tables
    from spark_jobs.errors import MlgError, UsageError
    from spark_jobs.session import spark_session

    if not target.strip():
        raise UsageError("--for expects an AIP URI or a team name")
    if tables.version(settings, "quality.entity_scores") is None:
        raise MlgError(f"no metadata scores at {tables.lakehouse_root(settings)} yet: run `mlg build` or "
                       "`mlg quality` first")
    with spark_session(settings) as spark:
        answer = explain(spark, settings, target, config)
    for line in answer.lines:
        print(line)
    return 0
