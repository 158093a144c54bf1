"""`mlg repair`: list what is damaged at rest (`--check`), or move it aside and say what to run
next. Nothing is deleted: bad log entries and old staging tables go into `_quarantine` folders."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("repair", help="find (--check) or quarantine torn/missing Delta log entries and old "
                                      "staging tables")
    p.add_argument("--check", action="store_true", help="only list the problems (exit 5 if any)")
    p.add_argument("--table", action="append", help="repair only this table (e.g. graph.entities)")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from spark_jobs import lease, preflight, tables
    from spark_jobs.config import Settings
    from spark_jobs.errors import UsageError
    from spark_jobs.stages import RunContext

    settings = Settings.load()
    found = preflight.problems(settings)
    if args.table:
        known = {p.table for p in found} | set(tables.all_tables())
        unknown = sorted(set(args.table) - known)
        if unknown:
            raise UsageError(f"unknown table(s) {', '.join(unknown)}")
        found = [p for p in found if p.table in args.table]
    if not found:
        print("nothing to repair")
        return 0
    if args.check:
        for problem in found:
            print(problem.line())
        return preflight.AtRestError.exit_code
    with lease.hold(settings, "repair-" + RunContext.new().run_id, command="mlg repair"):  # no build beside it
        for problem in found:
            for line in preflight.repair(settings, problem):
                print(line)
    if any(p.kind in ("torn_entry", "missing_entries") for p in found):
        print("next: `mlg reconcile` brings the graph back to the sources (and `mlg build` the derived tables)")
    return 0
