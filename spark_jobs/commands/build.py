"""`mlg build`: every stage of the build DAG, in order, with a progress bar and per-stage
counts and times (rich on a terminal, plain lines otherwise)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from spark_jobs.stages import BUILD_STAGES

_COUNT_KEYS = ("entities", "hydrated", "deleted", "failed", "retries_due", "entities_inserted",
               "entities_updated", "edges_inserted", "edges_updated", "references", "enriched", "mode")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("build", help="run the build stages: " + ", ".join(BUILD_STAGES))
    p.add_argument("--only", action="append", choices=BUILD_STAGES, help="run only these stages")
    p.add_argument("--run-id", help="use this run id (default: a new one)")
    p.add_argument("--bootstrap", choices=["auto", "always", "never"],
                   help="list every source instead of reading events (auto: when the graph is empty)")
    p.add_argument("--enrich-limit", type=int, help="reference entities to hydrate per run (default 1000)")
    p.set_defaults(handler=handle)


def summarise(metrics: dict[str, Any], limit: int = 8) -> str:
    """The stage's headline counts first, then other scalar metrics."""
    keys = [k for k in _COUNT_KEYS if k in metrics] + \
           [k for k, v in metrics.items() if k not in _COUNT_KEYS and not isinstance(v, (dict, list))]
    return ", ".join(f"{k}={metrics[k]}" for k in keys[:limit])


def print_progress(stage: str, status: str, result) -> None:
    """Plain-text progress (output is not a terminal)."""
    if status == "running":
        return
    if result is not None:
        print(f"  {stage:<10} {result.seconds:7.2f}s  {summarise(result.metrics)}", flush=True)
    else:
        print(f"  {stage:<10} {status}")


class RichProgress:
    """A progress bar over the stages; each finished stage prints its counts and time."""

    def __init__(self, stages: list[str]) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = Console(stderr=False)
        self.progress = Progress(TextColumn("[bold]{task.description:<18}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=self.console, transient=False)
        self.task = self.progress.add_task("build", total=len(stages))

    def __enter__(self) -> RichProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, stage: str, status: str, result) -> None:
        if status == "running":
            self.progress.update(self.task, description=f"build: {stage}")
            return
        if result is not None:
            self.progress.console.print(f"  [green]✓[/] {stage:<10} {result.seconds:7.2f}s  "
                                        f"{summarise(result.metrics)}", highlight=False)
        else:
            self.progress.console.print(f"  [yellow]-[/] {stage:<10} {status}", highlight=False)
        self.progress.advance(self.task)


def handle(args: argparse.Namespace) -> int:
    from spark_jobs.build import run_build
    from spark_jobs.config import Settings
    from spark_jobs.stages import RunContext

    settings = Settings.load()
    options = {k: v for k, v in {"bootstrap": args.bootstrap, "enrich_limit": args.enrich_limit}.items()
               if v is not None}
    ctx = RunContext.new(args.run_id, **options)
    print(f"build {ctx.run_id}")
    stages = [s for s in BUILD_STAGES if not args.only or s in args.only]
    if sys.stdout.isatty():
        with RichProgress(stages) as progress:
            report = run_build(settings, only=args.only, ctx=ctx, progress=progress)
    else:
        report = run_build(settings, only=args.only, ctx=ctx, progress=print_progress)
    if not report.gate_passed:
        print("quality gate FAILED: publish was skipped", file=sys.stderr)
        return 3
    return 0
