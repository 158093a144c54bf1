"""`mlg build`: every stage of the build DAG, in order, with per-stage counts and times."""

from __future__ import annotations

import argparse
import sys

from spark_jobs.stages import BUILD_STAGES


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("build", help="run the build stages: " + ", ".join(BUILD_STAGES))
    p.add_argument("--only", action="append", choices=BUILD_STAGES, help="run only these stages")
    p.add_argument("--run-id", help="use this run id (default: a new one)")
    p.set_defaults(handler=handle)


def print_progress(stage: str, status: str, result) -> None:
    if status == "running":
        print(f"  {stage:<10} …", end="", flush=True, file=sys.stderr)
        return
    if result is not None:
        metrics = ", ".join(f"{k}={v}" for k, v in result.metrics.items() if not isinstance(v, (dict, list)))
        print(f"\r  {stage:<10} {result.seconds:7.2f}s  {metrics}")
    else:
        print(f"  {stage:<10} {status}")


def handle(args: argparse.Namespace) -> int:
    from spark_jobs.build import run_build
    from spark_jobs.config import Settings
    from spark_jobs.stages import RunContext

    settings = Settings.load()
    ctx = RunContext.new(args.run_id)
    print(f"build {ctx.run_id}")
    report = run_build(settings, only=args.only, ctx=ctx, progress=print_progress)
    if report.not_built:
        print(f"not built yet in this version: {', '.join(report.not_built)}")
    if not report.gate_passed:
        print("quality gate FAILED: publish was skipped", file=sys.stderr)
        return 3
    return 0
