"""Render the latest `mlg bench` result per scale as Markdown between markers in BENCHMARKS.md.

The hand-written parts of BENCHMARKS.md (goals, analysis) stay; only the generated block between
`<!-- bench:start -->` and `<!-- bench:end -->` is replaced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spark_jobs.bench.results import RESULTS, load

BENCHMARKS = RESULTS.parent.parent / "BENCHMARKS.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
# time growing faster than this multiple of the entity growth is called out as worse than linear
SUPERLINEAR = 1.5


def latest_by_scale(records: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for record in records:
        if record.get("kind") == "mlg-bench":
            out[int(record["scale"])] = record
    return dict(sorted(out.items()))


def _machine(record: dict[str, Any]) -> str:
    m = record.get("machine", {})
    return f"{m.get('cpus')} cores, {m.get('memory_gb')} GiB ({m.get('host')})"


def _entities(record: dict[str, Any]) -> int | None:
    for step in record["steps"]:
        if step["step"] == "stack.up":
            return step.get("extra", {}).get("entities")
    return None


def _fmt(value: Any, spec: str = "") -> str:
    if value is None:
        return "–"
    return format(value, spec) if spec else str(value)


def stage_table(by_scale: dict[int, dict[str, Any]]) -> list[str]:
    scales = list(by_scale)
    steps: list[str] = []
    for record in by_scale.values():
        steps += [s["step"] for s in record["steps"] if s["step"] not in steps]
    lines = ["| step | " + " | ".join(f"scale {s}: s · rows/s · peak MiB (build process)" for s in scales) + " |",
             "|---|" + "---|" * len(scales)]
    for name in steps:
        cells = []
        for record in by_scale.values():
            step = next((s for s in record["steps"] if s["step"] == name), None)
            cells.append("–" if step is None else
                         f"{step['seconds']:.2f} · {_fmt(step.get('rows_per_s'), ',.0f')} · {step['peak_rss_mb']:.0f}"
                         + (f" ({step['peak_self_rss_mb']:.0f})" if step.get("peak_self_rss_mb") else ""))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def growth(by_scale: dict[int, dict[str, Any]]) -> list[str]:
    """Time ratio against entity ratio between consecutive scales, per step; flags worse than linear."""
    items = list(by_scale.items())
    lines = []
    for (s1, r1), (s2, r2) in zip(items, items[1:]):
        e1, e2 = _entities(r1), _entities(r2)
        if not e1 or not e2:
            continue
        grow = e2 / e1
        worse = []
        for step in r2["steps"]:
            before = next((s for s in r1["steps"] if s["step"] == step["step"]), None)
            if before and before["seconds"] > 0.5 and step["seconds"] / before["seconds"] > SUPERLINEAR * grow:
                worse.append(f"{step['step']} ×{step['seconds'] / before['seconds']:.1f}")
        lines.append(f"- scale {s1} → {s2}: source objects ×{grow:.1f}; "
                     + (f"worse than linear: {', '.join(worse)}" if worse else "every step at most linear"))
    return lines


def render(records: list[dict[str, Any]] | None = None) -> str:
    by_scale = latest_by_scale(load() if records is None else records)
    if not by_scale:
        return "No `mlg bench` results yet: run `make bench`."
    out = ["Latest `mlg bench` run per scale (generated from `bench/results.jsonl`). Peak MiB is the peak RSS",
           "so far of the bench process (with the embedded engine in it) plus its children (the local stack's",
           "simulator and moto), not a per-step delta; in brackets the bench process alone (what a build",
           "worker needs: the embedded engine and the driver, without the local stack).", ""]
    for scale, record in by_scale.items():
        out.append(f"- scale {scale}: {_fmt(_entities(record), ',')} source objects, commit {record.get('commit')}, "
                   f"{record.get('date')}, {_machine(record)}")
    out += ["", *stage_table(by_scale), "", "Growth with scale:", "", *growth(by_scale), ""]
    for scale, record in by_scale.items():
        comparisons = record.get("comparisons") or {}
        queries = comparisons.get("queries", {})
        if "impact_precomputed" in queries:
            out.append(f"- scale {scale} queries: impact p50 {queries['impact_precomputed']['p50_ms']} ms "
                       f"/ p95 {queries['impact_precomputed']['p95_ms']} ms (precomputed), "
                       f"lineage p50 {queries['lineage_precomputed']['p50_ms']} ms, live traversal p50 "
                       f"{queries['impact_live']['p50_ms']} ms (×{queries.get('live_over_precomputed_p50')})")
        closure = comparisons.get("closure", {})
        times = {e: next(iter(v.values()), {}).get("seconds") for e, v in closure.items() if isinstance(v, dict)}
        if times.get("embedded") and times.get("classic"):
            out.append(f"- scale {scale} closure: embedded {times['embedded']:.2f}s, classic local "
                       f"{times['classic']:.2f}s (×{times['classic'] / times['embedded']:.1f}), networkx "
                       f"{_fmt(times.get('networkx'), '.2f')}s")
        engines = comparisons.get("engines") or {}
        if engines.get("spark_over_embedded"):
            ratio = engines["spark_over_embedded"]
            emb, jvm = engines["embedded"], engines["spark"]
            out.append(f"- scale {scale} engines (JVM Spark Connect / embedded): full build "
                       f"{jvm['full_s']:.1f}s / {emb['full_s']:.1f}s (×{_fmt(ratio.get('full_s'))}), incremental "
                       f"{jvm['incremental_s']:.1f}s / {emb['incremental_s']:.1f}s (×{_fmt(ratio.get('incremental_s'))}), "
                       f"closure {_fmt(jvm['closure_s'], '.1f')}s / {_fmt(emb['closure_s'], '.1f')}s "
                       f"(×{_fmt(ratio.get('closure_s'))}); JVM server start-up {_fmt(engines.get('spark_startup_s'), '.1f')}s")
        hydration = comparisons.get("hydration") or {}
        if "achieved_over_limit" in hydration:
            out.append(f"- scale {scale} hydration: {hydration['achieved_over_limit']} of the configured "
                       f"{hydration['configured_rps']:.0f} req/s per source achieved "
                       f"({hydration['workers']} workers; per source {hydration['achieved_rps']})")
    return "\n".join(out)


def update(path: Path = BENCHMARKS) -> None:
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    if START not in text:
        text += f"\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{START}\n{render()}\n{END}{tail}")
