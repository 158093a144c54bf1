"""`mlg bootstrap`: load every source's current state in bulk through the listing endpoints
(a new deployment, benchmarks). SQS events are only for incremental change afterwards."""

from __future__ import annotations

import argparse

from spark_jobs.commands.reconcile import add_options, run_listing


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bootstrap", help="bulk-load every source through its listing endpoints")
    add_options(p)
    p.set_defaults(handler=lambda args: run_listing(args, "bootstrap"))
