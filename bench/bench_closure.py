"""Closure benchmark: the same DataFrame closure job (dependency edges -> closure -> pairs
written as Parquet and counted) on the embedded engine (pysail) and on classic local PySpark
(JVM, local[2]), against networkx, on synthetic organisations of `scale` units
(spark_jobs.graph.synthetic.scaled_lineage) or a built lakehouse's graph.edges.

Input is the graph.edges rows as one Parquet file (classic local Spark has no Delta jars here),
read by both engines. Session start-up is timed apart from the job. Every engine's row count is
checked against the others; `--implementations new old` also times the semi-naive closure the
product replaced, in the same session, and `--check-rows` compares their rows.

    .venv/bin/python bench/bench_closure.py --scales 10 100 1000 --engines embedded classic networkx
    .venv/bin/python bench/bench_closure.py --scales 100 --engines embedded --implementations old new --check-rows
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("RUST_LOG", "error")
# classic Spark's console progress bar would interleave with the results
# (and its default 1 GiB driver cannot broadcast the scale-1000 frontier)
os.environ.setdefault("PYSPARK_SUBMIT_ARGS",
                      "--driver-memory 4g --conf spark.ui.showConsoleProgress=false pyspark-shell")

from spark_jobs import tables  # noqa: E402
from spark_jobs.config import Settings  # noqa: E402
from spark_jobs.graph.closure import closure_dataframe, dependency_edges, impact_relations  # noqa: E402
from spark_jobs.graph.synthetic import scaled_lineage  # noqa: E402

from bench.closure_baseline import closure_seminaive  # noqa: E402

ENGINES = ("embedded", "classic", "networkx")


def write_edges_parquet(scale: int, directory: Path) -> tuple[Path, int, list[tuple[str, str, str]]]:
    """graph.edges rows of the synthetic organisation as Parquet; also the dependency triples."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    edges = scaled_lineage(scale)
    columns = tables.table("graph.edges").column_names
    rows = [e.row() for e in edges]
    table = pa.table({c: [r[i] for r in rows] for i, c in enumerate(columns)})
    path = directory / f"edges-{scale}.parquet"
    pq.write_table(table, path)
    forward, backward = impact_relations()
    deps = sorted({(e.src, e.dst, e.rel) for e in edges if e.rel in forward}
                  | {(e.dst, e.src, e.rel) for e in edges if e.rel in backward})
    return path, len(edges), deps


def read_edges_parquet(path: Path) -> tuple[Path, int, list[tuple[str, str, str]]]:
    """A lakehouse's graph.edges exported as Parquet (active rows are the dependency input)."""
    import pyarrow.parquet as pq

    rows = pq.read_table(path, columns=["src", "rel", "dst", "active"]).to_pylist()
    forward, backward = impact_relations()
    live = [r for r in rows if r["active"]]
    deps = sorted({(r["src"], r["dst"], r["rel"]) for r in live if r["rel"] in forward}
                  | {(r["dst"], r["src"], r["rel"]) for r in live if r["rel"] in backward})
    return path, len(rows), deps


def spark_job(spark, parquet: Path, scratch: Path, implementation: str) -> dict[str, Any]:
    """The closure of the graph.edges rows in `parquet`, its pairs written as Parquet (as the stage
    writes them to graph.impact) and counted from there."""
    start = time.perf_counter()
    edges = spark.read.parquet(str(parquet))
    closure = closure_dataframe if implementation == "new" else closure_seminaive
    result = closure(spark, dependency_edges(edges), scratch=str(scratch / "work"))
    closed = time.perf_counter()
    result.pairs.write.mode("overwrite").parquet(str(scratch / "pairs"))
    rows = spark.read.parquet(str(scratch / "pairs")).count()
    end = time.perf_counter()
    return {"seconds": end - start, "closure_seconds": closed - start, "write_seconds": end - closed,
            "rows": rows, "depth": result.depth, "converged": result.converged, "pairs": str(scratch / "pairs")}


def same_rows(spark, a: str, b: str) -> bool:
    """Whether two written closures hold the same (src, dst, min_depth, relations) rows: the same
    count and the same order-free fingerprint (sums of the two halves of each row's xxhash64,
    which cannot overflow), one scan each instead of a shuffle of tens of millions of rows."""
    from pyspark.sql import functions as F

    def fingerprint(path: str) -> tuple:
        h = F.xxhash64("src", "dst", "min_depth", F.array_join("relations", ","))
        row = spark.read.parquet(path).agg(F.count(F.lit(1)), F.sum(h.bitwiseAND(F.lit(0xFFFFFFFF))),
                                           F.sum(F.shiftright(h, 32))).collect()[0]
        return tuple(row)

    return fingerprint(a) == fingerprint(b)


def run_spark(engine: str, inputs: dict[int, Path], work: Path, implementations: list[str],
              check_rows: bool) -> dict[str, dict[int, dict[str, Any]]]:
    from spark_jobs.session import spark_session

    overrides = {"spark_master": "local[2]"} if engine == "classic" else {}
    settings = Settings.load(env={}, lakehouse=str(work / engine), **overrides)
    started = time.perf_counter()
    out: dict[str, dict[int, dict[str, Any]]] = {label(engine, i): {} for i in implementations}
    with spark_session(settings) as spark:
        startup = time.perf_counter() - started
        for scale, parquet in inputs.items():
            for implementation in implementations:
                name = label(engine, implementation)
                scratch = work / f"scratch-{name}-{scale}"
                try:
                    result = {**spark_job(spark, parquet, scratch, implementation), "startup": startup}
                except Exception as exc:  # noqa: BLE001 - one engine failing at one scale is a result too
                    out[name][scale] = {"error": str(exc).strip().splitlines()[0][:200], "startup": startup}
                    print(f"  {name:<13} scale {scale:>5}: FAILED {out[name][scale]['error']}", file=sys.stderr,
                          flush=True)
                    continue
                out[name][scale] = result
                print(f"  {name:<13} scale {scale:>5}: {result['seconds']:8.2f}s (closure {result['closure_seconds']:.2f}s"
                      f" + write {result['write_seconds']:.2f}s)  {result['rows']:>9} rows", file=sys.stderr, flush=True)
            done = [out[label(engine, i)][scale] for i in implementations if "pairs" in out[label(engine, i)][scale]]
            if check_rows and len(done) == 2:
                equal = same_rows(spark, done[0]["pairs"], done[1]["pairs"])
                for r in done:
                    r["rows_equal"] = equal
                print(f"  {engine:<13} scale {scale:>5}: old and new rows {'equal' if equal else 'DIFFER'}",
                      file=sys.stderr, flush=True)
    return out


def label(engine: str, implementation: str) -> str:
    return engine if implementation == "new" else f"{engine}-old"


def run_networkx(deps: dict[int, list[tuple[str, str, str]]]) -> dict[int, dict[str, Any]]:
    import networkx  # noqa: F401 - imported before the clock starts, like the Spark sessions

    from spark_jobs.graph.reference import networkx_closure

    out = {}
    for scale, triples in deps.items():
        start = time.perf_counter()
        closure = networkx_closure(triples)
        out[scale] = {"seconds": time.perf_counter() - start, "rows": len(closure),
                      "depth": max((d for d, _ in closure.values()), default=0)}
        print(f"  networkx  scale {scale:>5}: {out[scale]['seconds']:8.2f}s  {out[scale]['rows']:>9} rows",
              file=sys.stderr, flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--implementations", nargs="+", choices=("new", "old"), default=["new"],
                        help="old: the semi-naive closure over URIs it replaced (bench/closure_baseline.py)")
    parser.add_argument("--check-rows", action="store_true",
                        help="with both implementations: compare their rows (not only their counts)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--edges-parquet", type=Path,
                        help="use these graph.edges rows (e.g. a built lakehouse's) instead of synthetic scales")
    args = parser.parse_args(argv)
    if args.edges_parquet:
        args.scales = [0]

    with tempfile.TemporaryDirectory(prefix="mlg-bench-closure-") as tmp:
        work = Path(tmp)
        inputs, sizes, deps = {}, {}, {}
        for scale in args.scales:
            inputs[scale], sizes[scale], deps[scale] = (read_edges_parquet(args.edges_parquet) if args.edges_parquet
                                                        else write_edges_parquet(scale, work))
        results: dict[str, dict[int, dict[str, Any]]] = {}
        # classic last: it turns this process's PySpark into classic mode
        for engine in [e for e in ("embedded", "networkx", "classic") if e in args.engines]:
            if engine == "networkx":
                results[engine] = run_networkx(deps)
            else:
                results.update(run_spark(engine, inputs, work, args.implementations, args.check_rows))

    header = f"{'scale':>6} {'edges':>7} {'dep edges':>9} {'impact rows':>11} {'depth':>5}"
    header += "".join(f" {e + ' s':>12}" for e in results)
    if {"embedded", "classic"} <= set(results):
        header += f" {'classic/embedded':>16}"
    old_new = [e for e in ("embedded", "classic") if {e, f"{e}-old"} <= set(results)]
    header += "".join(f" {e + ' old/new':>16}" for e in old_new)
    print(header)
    mismatch = False
    for scale in args.scales:
        done = {e: r[scale] for e, r in results.items() if "rows" in r[scale]}
        if len({r["rows"] for r in done.values()}) > 1:
            print(f"MISMATCH at scale {scale}: { {e: r['rows'] for e, r in done.items()} }", file=sys.stderr)
            mismatch = True
        any_result = next(iter(done.values()), {"rows": "-", "depth": "-"})
        line = f"{scale:>6} {sizes[scale]:>7} {len(deps[scale]):>9} {any_result['rows']:>11} {any_result['depth']:>5}"
        line += "".join(f" {r[scale]['seconds']:>12.2f}" if "seconds" in r[scale] else f" {'failed':>12}"
                        for r in results.values())
        if {"embedded", "classic"} <= set(done):
            line += f" {done['classic']['seconds'] / done['embedded']['seconds']:>15.1f}x"
        for e in old_new:
            line += (f" {done[e + '-old']['seconds'] / done[e]['seconds']:>15.1f}x"
                     if {e, e + "-old"} <= set(done) else f" {'-':>16}")
        if any(r.get("rows_equal") is False for r in done.values()):
            print(f"ROWS DIFFER at scale {scale}", file=sys.stderr)
            mismatch = True
        print(line)
    for engine in results:
        if engine != "networkx":
            print(f"{engine} session start-up: {next(iter(results[engine].values()))['startup']:.2f}s (not in the job times)")
    if args.json:
        args.json.write_text(json.dumps({e: {str(s): v for s, v in r.items()} for e, r in results.items()}, indent=2))
    return 1 if mismatch else 0


if __name__ == "__main__":
    sys.exit(main())
