"""`mlg maintain`: compact, vacuum and checkpoint the Delta tables (what mlg_maintenance does,
without Airflow and without the reconcile / search-expiry steps)."""

from __future__ import annotations

import argparse
import contextlib

STEPS = ("compact_landing", "optimize", "vacuum", "checkpoint")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("maintain", help="Delta maintenance: compact landing, optimize, vacuum, checkpoint")
    p.add_argument("--step", action="append", choices=STEPS, help="run only these steps (default: all, in order)")
    p.add_argument("--retention-hours", type=int, default=168,
                   help="vacuum keeps files referenced by versions this recent (default 168; less needs --force)")
    p.add_argument("--include-today", action="store_true", help="also compact today's landing partition")
    p.add_argument("--dry-run", action="store_true", help="report what would change, change nothing")
    p.add_argument("--force", action="store_true", help="allow --retention-hours below 168 (breaks time travel)")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from spark_jobs import lease, maintenance, preflight
    from spark_jobs.config import Settings
    from spark_jobs.stages import RunContext
    from spark_jobs.errors import UsageError

    if args.retention_hours < maintenance.DEFAULT_RETENTION_HOURS and not args.force:
        raise UsageError(f"--retention-hours below {maintenance.DEFAULT_RETENTION_HOURS} deletes files that "
                         "time travel needs; add --force if that is intended")
    if args.retention_hours < 0:
        raise UsageError("--retention-hours must be >= 0")
    settings = Settings.load()
    options = maintenance.MaintenanceOptions(retention_hours=args.retention_hours,
                                             include_open_partition=args.include_today, dry_run=args.dry_run)
    functions = {"compact_landing": maintenance.compact_landing, "optimize": maintenance.optimize,
                 "vacuum": maintenance.vacuum, "checkpoint": maintenance.checkpoint}
    # maintenance never runs beside a build (a dry run changes nothing and needs no lease)
    held = contextlib.nullcontext() if args.dry_run else \
        lease.hold(settings, "maintain-" + RunContext.new().run_id, command="mlg maintain")
    with held:
        preflight.check(settings, stack=False)  # compacting a torn table would bury the damage
        for step in args.step or STEPS:
            per_table = functions[step](settings, options=options)
            print(f"{step}: {maintenance.summarize(per_table)}")
            for name, metrics in per_table.items():
                print(f"  {name:<30} {', '.join(f'{k}={v}' for k, v in metrics.items())}")
    return 0
