"""`mlg bench --scale N`: the end-to-end benchmark; results go to bench/results.jsonl and BENCHMARKS.md."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="benchmark a full and an incremental build at one or more scales")
    p.add_argument("--scale", type=int, nargs="+", default=[1], help="ecosystem scale(s) (1 = ~1,000 entities)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--mutate-share", type=float, default=0.01,
                   help="share of entities changed before the incremental build (default 0.01)")
    p.add_argument("--compare", nargs="*", default=["closure", "queries", "hydration"],
                   choices=["closure", "queries", "hydration"], help="side-by-side comparisons to take")
    p.add_argument("--engine", nargs="+", default=["embedded"], choices=["embedded", "spark"],
                   help="engines to build on: spark adds the same builds on a JVM Spark Connect server "
                        "(start-up measured separately; ratios in BENCHMARKS.md)")
    p.add_argument("--workdir", type=Path, help="keep the scratch lakehouse here (default: a temp dir)")
    p.add_argument("--no-record", action="store_true", help="do not append to bench/results.jsonl")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    import signal
    import sys

    from spark_jobs.bench import results, summary
    from spark_jobs.bench.suite import run_bench

    # a timeout's SIGTERM unwinds like Ctrl-C, so the scratch stack and lakehouse are removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    for scale in args.scale:
        print(f"mlg bench: scale {scale}, seed {args.seed}")
        workdir = args.workdir / f"scale-{scale}" if args.workdir else None
        run = run_bench(scale, seed=args.seed, mutate_share=args.mutate_share, workdir=workdir,
                        compare=args.compare, engines=args.engine)
        if not args.no_record:
            results.append(run.record())
    if not args.no_record:
        summary.update()
        print(f"results appended to {results.RESULTS}; summary in {summary.BENCHMARKS}")
    return 0
