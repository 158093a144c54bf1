"""`mlg bench`: the end-to-end benchmark of one scale.

Generate the ecosystem (simulator + local SQS in a scratch state dir), bootstrap the lakehouse and run
a full build, then mutate a share of the entities through the simulator (which announces them on SQS),
land those events and run an incremental build. Every stage is measured (wall time, rows, peak RSS)
and the comparisons the README promises are taken in the same run: the closure on the embedded engine
vs classic local PySpark vs networkx, hydration's achieved request rate vs its configured limit, and
impact/lineage answers from the precomputed closure vs a live traversal.

With `engines=("embedded", "spark")` the same full and incremental builds then run again on a JVM
Spark Connect server with Delta Lake (started beside the stack, its start-up measured as its own
step `spark.startup`) in a second lakehouse, with steps named `spark.full.<stage>` and
`spark.incremental.<stage>`; `comparisons["engines"]` holds the totals and JVM/embedded ratios.
"""

from __future__ import annotations

import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spark_jobs.bench.measure import Measurement, measure
from spark_jobs.config import Settings
from spark_jobs.stages import BUILD_STAGES, RunContext, run_stage

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

Log = Callable[[str], None]


@dataclass
class BenchRun:
    scale: int
    seed: int
    steps: list[Measurement] = field(default_factory=list)
    comparisons: dict[str, Any] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        return {"kind": "mlg-bench", "scale": self.scale, "seed": self.seed,
                "steps": [s.as_dict() for s in self.steps], "comparisons": self.comparisons}


@contextmanager
def _workdir(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    path = Path(tempfile.mkdtemp(prefix="mlg-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


ENGINES = ("embedded", "spark")


def run_bench(scale: int, *, seed: int = 7, mutate_share: float = 0.01, workdir: Path | None = None,
              compare: Sequence[str] = ("closure", "queries", "hydration"), engines: Sequence[str] = ("embedded",),
              log: Log = print) -> BenchRun:
    """Run the whole benchmark at one scale and return its measurements."""
    from infra import stack

    run = BenchRun(scale, seed)
    with _workdir(workdir) as work:
        base = Settings.load(lakehouse=str(work / "lakehouse"), state_dir=str(work / "state"),
                             reports_dir=str(work / "reports"))
        with _step(run, "stack.up", log) as m:
            stack.up(base, seed=seed, scale=scale)
        try:
            settings = Settings.load(lakehouse=base.lakehouse, state_dir=base.state_dir,
                                     reports_dir=base.reports_dir)
            m.extra["entities"] = _simulator_entities(settings)
            _build(run, settings, "full", RunContext.new(bootstrap="always"), log)
            changed = _mutate(run, settings, mutate_share, seed, log)
            _land(run, settings, log)
            _build(run, settings, "incremental", RunContext.new(bootstrap="never"), log)
            run.comparisons["incremental_mutated"] = changed
            if "hydration" in compare:
                run.comparisons["hydration"] = _hydration_rates(log)
            if "queries" in compare:
                run.comparisons["queries"] = _query_latency(settings, seed, log)
            if "closure" in compare:
                run.comparisons["closure"] = _closure_engines(settings, work, log)
            if "spark" in engines:
                _jvm_builds(run, base, work, mutate_share, seed, log)
                run.comparisons["engines"] = engine_totals(run)
        finally:
            stack.down(base)
    return run


@contextmanager
def _step(run: BenchRun, name: str, log: Log) -> Iterator[Measurement]:
    # the local stack (simulator, moto) runs as children: its memory is part of what a run costs
    with measure(name, include_children=True) as m:
        yield m
    run.steps.append(m)
    rows = f"  rows_out={m.rows_out}" if m.rows_out is not None else ""
    log(f"  {name:<28} {m.seconds:8.2f}s  peak {m.peak_rss_mb:7.0f} MiB (build process {m.peak_self_rss_mb:.0f}){rows}")


def _simulator(settings: Settings):
    from infra.simulator.client import SimulatorClient
    from infra.stack import read_state

    state = read_state(settings)
    if state is None:
        raise RuntimeError(f"no local stack under {settings.state_dir}")
    return SimulatorClient(state.simulator.url)


def _simulator_entities(settings: Settings) -> int:
    return sum(_simulator(settings).health()["counts"].values())


# Which metric of each stage counts its output rows (rows/s in BENCHMARKS.md is computed from it).
STAGE_OUTPUT_ROWS: dict[str, tuple[str, ...]] = {
    "hydrate": ("entities",),
    "merge": ("entities_inserted", "entities_updated", "edges_inserted", "edges_updated"),
    "enrich": ("references",),
    "infer": ("inferred_inserted", "inferred_unchanged", "inferred_reactivated"),
    "closure": ("impact_pairs",),
    "quality": ("checks",),
    "publish": ("documents", "owner_documents"),
    "report": ("current_entities",),
}


def stage_rows(stage: str, metrics: dict[str, Any]) -> tuple[int | None, int | None]:
    """(rows in, rows out) of a stage from its metrics."""
    values = [metrics.get(k) for k in STAGE_OUTPUT_ROWS.get(stage, ())]
    out = sum(v for v in values if isinstance(v, int)) if any(isinstance(v, int) for v in values) else None
    rows_in = metrics.get("entities_from_events") if stage == "hydrate" else None
    return rows_in, out


def _build(run: BenchRun, settings: Settings, phase: str, ctx: RunContext, log: Log) -> None:
    from spark_jobs import lease, tables
    from spark_jobs.build import record_run
    from spark_jobs.session import spark_session

    log(f"{phase} build")
    with lease.hold(settings, ctx.run_id, command=f"mlg bench ({phase} build)"), spark_session(settings) as spark:
        tables.register(spark, settings)
        for stage in BUILD_STAGES:
            started = _now()
            with _step(run, f"{phase}.{stage}", log) as m:
                result = run_stage(stage, spark, settings, ctx)
                m.rows_in, m.rows_out = stage_rows(stage, result.metrics)
                m.extra["metrics"] = {k: v for k, v in result.metrics.items() if not isinstance(v, (list,))}
            record_run(spark, settings, ctx.run_id, stage, result.status, started, result.metrics)


def _jvm_builds(run: BenchRun, base: Settings, work: Path, share: float, seed: int, log: Log) -> None:
    """The same full + incremental builds on a JVM Spark Connect server, in their own lakehouse."""
    import dataclasses

    from infra import stack

    log("JVM Spark Connect server")
    with _step(run, "spark.startup", log):
        state = stack.up(base, services=("spark",))
    settings = dataclasses.replace(
        Settings.load(lakehouse=str(work / "lakehouse-spark"), state_dir=base.state_dir,
                      reports_dir=str(work / "reports-spark")),
        spark_remote=state.service_settings["spark_remote"])
    _build(run, settings, "spark.full", RunContext.new(bootstrap="always"), log)
    _mutate(run, settings, share, seed + 1, log, name="spark.incremental.mutate")
    _land(run, settings, log, name="spark.incremental.land")
    _build(run, settings, "spark.incremental", RunContext.new(bootstrap="never"), log)


def _phase_seconds(run: BenchRun, phase: str) -> float:
    return round(sum(m.seconds for m in run.steps if m.step.startswith(f"{phase}.")
                     and m.step.rsplit(".", 1)[1] in BUILD_STAGES), 2)


def engine_totals(run: BenchRun) -> dict[str, Any]:
    """Build and closure seconds per engine, and JVM / embedded ratios (> 1: the JVM is slower)."""
    step = {m.step: m.seconds for m in run.steps}
    out: dict[str, Any] = {"spark_startup_s": step.get("spark.startup")}
    for engine, prefix in (("embedded", ""), ("spark", "spark.")):
        out[engine] = {"full_s": _phase_seconds(run, f"{prefix}full"),
                       "incremental_s": _phase_seconds(run, f"{prefix}incremental"),
                       "closure_s": step.get(f"{prefix}full.closure")}
    out["spark_over_embedded"] = {
        key: round(out["spark"][key] / out["embedded"][key], 2)
        for key in ("full_s", "incremental_s", "closure_s") if out["embedded"][key] and out["spark"][key]}
    return out


def _now():
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


def _mutate(run: BenchRun, settings: Settings, share: float, seed: int, log: Log, *,
            name: str = "incremental.mutate") -> int:
    """Update `share` of the simulator's objects through its mutation API (each emits its event)."""
    client = _simulator(settings)
    entities = sum(client.health()["counts"].values())
    with _step(run, name, log) as m:
        m.rows_out = len(client.churn(max(1, round(entities * share)), seed=seed))
    return m.rows_out or 0


def _land(run: BenchRun, settings: Settings, log: Log, *, name: str = "incremental.land") -> None:
    from spark_jobs.landing import land

    with _step(run, name, log) as m:
        report = land(settings, time_budget_s=600)
        report.raise_for_errors()
        m.rows_out = report.landed
        m.extra["report"] = report.as_metrics()


def _hydration_rates(log: Log, *, rate: float = 100.0, workers: int = 32, requests_n: int = 400) -> dict[str, Any]:
    """Achieved request rate per source against its configured limit (bench/bench_hydration.py's
    rate test: two sources fetched at once through the real fetch path, 20 ms source latency)."""
    import importlib
    import sys

    # an importable module, so its simulator child process (spawned) can import it too
    bench_dir = str(Path(__file__).resolve().parents[2] / "bench")
    if bench_dir not in sys.path:
        sys.path.insert(0, bench_dir)
    [row] = importlib.import_module("bench_hydration").bench_rate(rate, [workers], 20.0, requests_n)
    log(f"  hydration rate / limit    {row['fraction']:.2f} (limit {rate:.0f} req/s per source, {workers} workers)")
    return {"configured_rps": rate, "workers": workers, "achieved_rps": row["achieved_rps"],
            "achieved_over_limit": row["fraction"]}


def _query_latency(settings: Settings, seed: int, log: Log, *, samples: int = 20) -> dict[str, Any]:
    """p50/p95 of impact and lineage answers: precomputed closure vs a live traversal of the edges."""
    from spark_jobs import tables
    from spark_jobs.graph import queries
    from spark_jobs.session import spark_session

    out: dict[str, Any] = {}
    with spark_session(settings) as spark:
        tables.register(spark, settings)
        ids = [r[0] for r in spark.sql(
            "SELECT src, count(*) AS n FROM graph.impact GROUP BY src ORDER BY n DESC, src LIMIT 200").collect()]
        if not ids:
            return {"error": "graph.impact is empty"}
        rng = random.Random(seed)
        picks = rng.sample(ids, min(samples, len(ids)))
        for name, fn in (("impact_precomputed", lambda u: queries.impact(spark, settings, u)),
                         ("lineage_precomputed", lambda u: queries.lineage(spark, settings, u)),
                         ("impact_live", lambda u: live_impact(spark, u))):
            out[name] = _latencies(lambda u: fn(u).count(), picks)
            log(f"  query {name:<22} p50 {out[name]['p50_ms']:7.1f} ms  p95 {out[name]['p95_ms']:7.1f} ms")
    if out["impact_precomputed"]["p50_ms"]:
        out["live_over_precomputed_p50"] = round(out["impact_live"]["p50_ms"] / out["impact_precomputed"]["p50_ms"], 1)
    return out


def _latencies(fn: Callable[[str], Any], picks: Sequence[str]) -> dict[str, float]:
    fn(picks[0])  # warm the plan cache the way a second query from the same session would
    times = []
    for uri in picks:
        start = time.perf_counter()
        fn(uri)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"n": len(times), "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1)}


def live_impact(spark: SparkSession, uri: str, *, max_depth: int = 30):
    """Everything that depends on `uri`, found by walking the active edges at query time."""
    from pyspark.sql import functions as F

    from spark_jobs.graph.closure import dependency_edges

    deps = dependency_edges(spark.table("graph.edges").where("active")).select("src", "dst")
    seen = {uri}
    frontier = [uri]
    for _ in range(max_depth):
        nxt = [r[0] for r in deps.where(F.col("src").isin(frontier)).select("dst").distinct().collect()]
        frontier = [d for d in nxt if d not in seen]
        if not frontier:
            break
        seen.update(frontier)
    return spark.createDataFrame([(d,) for d in sorted(seen - {uri})] or [("",)], "dst string").where("dst != ''")


def _closure_engines(settings: Settings, work: Path, log: Log) -> dict[str, Any]:
    """The closure job on this lakehouse's edges: embedded vs classic local PySpark vs networkx."""
    import subprocess
    import sys

    from deltalake import DeltaTable

    from spark_jobs import tables

    import pyarrow.parquet as pq

    parquet = work / "edges.parquet"
    pq.write_table(DeltaTable(tables.table("graph.edges").path(settings)).to_pyarrow_table(), parquet)
    script = Path(__file__).resolve().parents[2] / "bench" / "bench_closure.py"
    out_json = work / "closure.json"
    proc = subprocess.run([sys.executable, str(script), "--edges-parquet", str(parquet), "--json", str(out_json)],
                          capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0 or not out_json.exists():
        return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["failed"]}
    import json

    result = json.loads(out_json.read_text())
    for engine, by_scale in result.items():
        for row in by_scale.values():
            if "seconds" in row:
                log(f"  closure {engine:<9} {row['seconds']:8.2f}s  {row.get('rows')} rows")
    return result
