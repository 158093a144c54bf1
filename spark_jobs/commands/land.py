"""`mlg land`: drain the source queues into landing.events and print what each source did."""

from __future__ import annotations

import argparse
import json
import sys

from spark_jobs.model import PLATFORMS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("land", help="drain the landing zones (SQS queues, Kafka topics) into landing.events "
                                    "(bad bodies -> quarantine)")
    p.add_argument("--max-messages", type=_positive_int, metavar="N",
                   help="stop after receiving N messages (default: no count limit)")
    p.add_argument("--budget", type=_positive_float, default=60.0, metavar="SECONDS",
                   help="time budget for receiving (default 60; the last commit still runs)")
    p.add_argument("--source", action="append", choices=(*PLATFORMS, "openlineage"), metavar="P",
                   help=f"only this source (repeatable): {', '.join(PLATFORMS)}, openlineage (its Kafka topic)")
    p.add_argument("--commit-size", type=_positive_int, default=None, metavar="N",
                   help="messages per Delta commit (default 500)")
    p.add_argument("--format", choices=["table", "tsv", "csv", "json"], default=None,
                   help="table (default on a terminal), tsv (default otherwise), csv, or json")
    p.set_defaults(handler=handle)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def handle(args: argparse.Namespace) -> int:
    from spark_jobs import output
    from spark_jobs.config import Settings
    from spark_jobs.landing import land
    from spark_jobs.landing.report import LandingReport

    settings = Settings.load()
    options = {"commit_size": args.commit_size} if args.commit_size else {}
    report = land(settings, max_messages=args.max_messages, time_budget_s=args.budget,
                  sources=args.source, **options)
    fmt = output.resolve(args.format)
    if fmt == "json":
        print(json.dumps(report.as_metrics()))
    else:
        output.emit(LandingReport.ROW_COLUMNS, report.rows(), fmt)
        # on stderr, so the table / tsv / csv on stdout stay data
        print(f"{report.commits} commit(s) in {report.seconds:.1f}s, stopped by {report.stopped_by}; "
              f"landing.events version {report.events_version}", file=sys.stderr)
    report.raise_for_errors()
    return 0
