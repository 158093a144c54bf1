"""`mlg down`: stop exactly the processes `mlg up` started (from its state file)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("down", help="stop the local stack started by `mlg up`")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from infra import stack
    from spark_jobs.config import Settings

    lines = stack.down(Settings.load())
    if not lines:
        print("nothing running")
    for line in lines:
        print(line)
    return 0
