"""Incremental build cost against the size of the change: one local stack and one full build at a
scale, then incremental builds after the simulator's churn of each share of the entities in turn
(default 0.1 %, 1 %, 10 %), every stage timed (`spark_jobs.bench.suite`'s steps). Prints one table
(seconds per stage per share) and the closure / publish metrics that say how much each touched.

    .venv/bin/python bench/bench_incremental.py --scale 10 --shares 0.001 0.01 0.1
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("RUST_LOG", "error")

from spark_jobs.bench.suite import BenchRun, _build, _land, _mutate, _workdir  # noqa: E402
from spark_jobs.config import Settings  # noqa: E402
from spark_jobs.stages import BUILD_STAGES, RunContext  # noqa: E402

TOUCHED = {"closure": ("mode", "changed_dependency_edges", "direction", "affected_entities", "affected_rows", "upserted",
                       "deleted", "impact_pairs", "incremental_fallback"),
           "publish": ("documents_changed", "documents_deleted", "documents")}


def add_score_history(settings: Settings, runs: int) -> None:
    """`runs` earlier quality runs: the newest run's scores copied 1..runs hours before it, in one
    append, and their roll-ups rebuilt by the quality stage's own code."""
    from pyspark.sql import functions as F

    from quality.scores import ROLLUPS, SCORES, heal_rollups
    from spark_jobs import tables
    from spark_jobs.session import spark_session

    with spark_session(settings) as spark:
        tables.register(spark, settings, [SCORES, ROLLUPS])
        newest = tables.read(spark, settings, SCORES, at_version=tables.version(settings, SCORES))
        hours = spark.range(1, runs + 1).select(F.col("id").cast("int").alias("_h"))
        earlier = newest.crossJoin(hours).withColumns({
            "run_id": F.concat(F.lit("history-"), F.col("_h").cast("string"), F.lit("-"), F.col("run_id")),
            "scored_at": F.col("scored_at") - F.make_interval(hours=F.col("_h"))}).drop("_h")
        tables.append(earlier, settings, SCORES)
        heal_rollups(spark, settings)


def main(argv: list[str] | None = None) -> int:
    from infra import stack

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--shares", type=float, nargs="+", default=[0.001, 0.01, 0.1])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--score-history", type=int, default=1, metavar="RUNS",
                        help="quality runs in quality.entity_scores before the incremental builds, as an hourly "
                             "DAG keeps them (score_keep_runs: 50); the full build's scores copied an hour apart")
    parser.add_argument("--json", type=Path, help="also write the steps here")
    args = parser.parse_args(argv)

    run = BenchRun(args.scale, args.seed)
    log = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    with _workdir(None) as work:
        base = Settings.load(lakehouse=str(work / "lakehouse"), state_dir=str(work / "state"),
                             reports_dir=str(work / "reports"))
        stack.up(base, seed=args.seed, scale=args.scale)
        try:
            settings = Settings.load(lakehouse=base.lakehouse, state_dir=base.state_dir, reports_dir=base.reports_dir)
            _build(run, settings, "full", RunContext.new(bootstrap="always"), log)
            if args.score_history > 1:
                add_score_history(settings, args.score_history - 1)
            for n, share in enumerate(args.shares):
                phase = f"{share:g}"
                _mutate(run, settings, share, args.seed + n, log, name=f"{phase}.mutate")
                _land(run, settings, log, name=f"{phase}.land")
                _build(run, settings, phase, RunContext.new(bootstrap="never"), log)
        finally:
            stack.down(base)

    if args.json:
        args.json.write_text(json.dumps(run.record(), indent=2, default=str))
    steps = {s.step: s for s in run.steps}
    phases = ["full", *(f"{s:g}" for s in args.shares)]
    print(f"scale {args.scale}: seconds per stage (mutated objects: "
          + ", ".join(f"{p}: {steps[p + '.mutate'].rows_out}" for p in phases[1:]) + ")")
    print(f"{'stage':<10}" + "".join(f"{p:>10}" for p in phases))
    for stage in ("land", *BUILD_STAGES):
        cells = [steps.get(f"{p}.{stage}") for p in phases]
        print(f"{stage:<10}" + "".join(f"{c.seconds:>10.2f}" if c else f"{'-':>10}" for c in cells))
    total = {p: sum(steps[f"{p}.{s}"].seconds for s in BUILD_STAGES if f"{p}.{s}" in steps) for p in phases}
    print(f"{'build':<10}" + "".join(f"{total[p]:>10.2f}" for p in phases))
    for stage, keys in TOUCHED.items():
        for p in phases:
            metrics = steps[f"{p}.{stage}"].extra.get("metrics", {})
            print(f"{p} {stage}: " + ", ".join(f"{k}={metrics.get(k)}" for k in keys))
    return 0


if __name__ == "__main__":
    sys.exit(main())
