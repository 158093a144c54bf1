"""What `mlg run` prints after the DAGs ran: the tables, the gate, the snapshot, the report,
and three example questions answered from the graph that was just built.

Each section reads the lakehouse (never the Airflow logs) and says plainly when the table or
result behind it is missing (a failed or skipped stage), so the summary is honest about a partial build.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from spark_jobs.config import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

# The article's example (SOURCES.md): a dataset feeds a feature used by a model instance
# that is tested in A/B test 12345. The simulator serves these ids at every scale.
IMPACT_EXAMPLE = "aip://dataset/datasets/warehouse.title_catalog"
LINEAGE_EXAMPLE = "aip://model-instance/registry/ranking-model-v5-20XX0101"
SEARCH_EXAMPLE = "ranking"
ARTICLE_ENTITIES = frozenset({
    "aip://dataset/datasets/warehouse.title_catalog", "aip://feature/featurestore/title_embedding",
    "aip://model-instance/registry/ranking-model-v5-20XX0101", "aip://model/registry/ranking-v5",
    "aip://ab-test/abtest/12345", "aip://ab-test-cell/abtest/12345:2",
    "aip://pipeline-run/orchestrator/train-weekly-ranking-20XX0101",
    "aip://pipeline/orchestrator/weekly-ranking-trainer",
})  # shown first in the answers, so the article's chain is visible at a glance
EXAMPLE_ROWS = 2000  # answers kept in the summary (the printout shows a few per entity type)


@dataclass
class Summary:
    """Everything printed, also kept as data so the end-to-end test can assert on it."""

    tables: list[tuple[str, int | None, int | None]] = field(default_factory=list)
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)
    gate: str | None = None
    snapshot: dict[str, Any] | None = None
    report_path: str | None = None
    impact: list[dict[str, Any]] | None = None
    lineage: list[dict[str, Any]] | None = None
    search: list[dict[str, Any]] | None = None
    rehydrated: list[str] | None = None
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return json.loads(json.dumps(self.__dict__, default=str))


def stage_metrics(spark: SparkSession, settings: Settings, run_id: str) -> dict[str, dict[str, Any]]:
    """`{stage: metrics}` recorded in ops.runs for one build run."""
    from pyspark.sql import functions as F

    from spark_jobs import tables

    if tables.version(settings, "ops.runs") is None:
        return {}
    rows = (tables.read(spark, settings, "ops.runs").where(F.col("run_id") == run_id)
            .select("stage", "status", "metrics", "started_at", "ended_at").collect())
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        metrics = json.loads(row["metrics"] or "{}")
        out[row["stage"]] = {"status": row["status"], "started_at": row["started_at"],
                             "ended_at": row["ended_at"], **metrics}
    return out


def collect(spark: SparkSession, settings: Settings, *, build_run_id: str | None,
            incremental: bool = False) -> Summary:
    from pyspark.sql import functions as F

    from spark_jobs import tables
    from spark_jobs.commands.tables import table_summary

    summary = Summary()
    tables.register(spark, settings)
    summary.tables = [(name, version, count) for name, version, count, _ in table_summary(spark, settings)]
    if build_run_id:
        summary.stages = stage_metrics(spark, settings, build_run_id)
    quality = summary.stages.get("quality")
    summary.gate = quality.get("gate") if quality else None
    report = summary.stages.get("report")
    summary.report_path = report.get("html") if report else None

    if tables.version(settings, "search.snapshots"):
        latest = (tables.read(spark, settings, "search.snapshots").orderBy(F.col("published_at").desc())
                  .limit(1).collect())
        summary.snapshot = latest[0].asDict(recursive=True) if latest else None

    summary.impact = _answer(summary, "impact", lambda: _impact(spark, settings))
    summary.lineage = _answer(summary, "lineage", lambda: _lineage(spark, settings))
    summary.search = _answer(summary, "search", lambda: _search(settings))

    if incremental and build_run_id and "hydrate" in summary.stages:
        from spark_jobs.providers import SELF_DESCRIBING

        # hydrated during this build (not by the maintenance DAG's reconcile that runs after it)
        started = summary.stages["hydrate"]["started_at"]
        ended = max(m["ended_at"] for m in summary.stages.values())
        rows = (tables.read(spark, settings, "graph.entities")
                .where(F.col("last_hydrated_at").between(F.lit(started), F.lit(ended))
                       # fetched from a source; OpenLineage runs staged from their own events are not
                       & ~F.col("provider").isin(*SELF_DESCRIBING))
                .select("id").orderBy("id").collect())
        summary.rehydrated = [r["id"] for r in rows]
    return summary


def _answer(summary: Summary, name: str, fn) -> list[dict[str, Any]] | None:
    from spark_jobs.errors import MlgError

    try:
        return fn()
    except MlgError as exc:
        summary.notes.append(f"{name}: {exc}")
        return None
    except Exception as exc:  # noqa: BLE001 - one broken question must not hide the others
        log.warning("%s example failed", name, exc_info=True)
        summary.notes.append(f"{name}: failed: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}")
        return None


def _impact(spark, settings) -> list[dict[str, Any]]:
    from spark_jobs.graph import queries

    df = queries.impact(spark, settings, IMPACT_EXAMPLE)
    return [r.asDict(recursive=True) for r in df.select("id", "entity_type", "depth", "teams")
            .limit(EXAMPLE_ROWS).collect()]


def _lineage(spark, settings) -> list[dict[str, Any]]:
    from spark_jobs.graph import queries

    df = queries.lineage(spark, settings, LINEAGE_EXAMPLE)
    return [r.asDict(recursive=True) for r in df.select("id", "entity_type", "depth").limit(EXAMPLE_ROWS).collect()]


def _search(settings) -> list[dict[str, Any]]:
    from spark_jobs.search.query import search
    from spark_jobs.search.ranking import SearchQuery

    hits = search(settings, SearchQuery(text=SEARCH_EXAMPLE, limit=5))
    return [{"id": h.id, "entity_type": h.entity_type, "name": h.name, "why": list(h.why)} for h in hits]


def render(summary: Summary, *, mutated: list[str] | None = None) -> list[str]:
    """The summary as printable lines."""
    lines = ["", "tables (Delta version, rows):"]
    for name, version, count in summary.tables:
        shown = "not created yet" if version is None else f"v{version:<4} {count:>9,} rows"
        lines.append(f"  {name:<30} {shown}")
    if summary.stages:
        lines.append("stages recorded in ops.runs: " + ", ".join(summary.stages))
    if summary.gate is None:
        lines.append("quality gate: no quality result for this run")
    else:
        q = summary.stages["quality"]
        lines.append(f"quality gate: {summary.gate.upper()} ({q.get('checks')} checks, "
                     f"{q.get('failed_critical')} critical / {q.get('failed_warning')} warning failures)")
    if summary.snapshot:
        s = summary.snapshot
        lines.append(f"search snapshot: {s.get('snapshot_id')} ({s.get('backend')}, {s.get('status')}, "
                     f"docs {s.get('doc_counts')}, entities v{s.get('entities_version')})")
    else:
        lines.append("search snapshot: none published (publish did not run, or the gate failed)")
    lines.append(f"governance report: {summary.report_path or 'not written (report stage did not run)'}")

    lines.append("")
    lines.append(f"Q1 impact: what breaks if {IMPACT_EXAMPLE} changes?")
    lines += _by_type(summary.impact, lambda r: f"    depth {r['depth']}  {r['id']}  "
                                                f"(notify {', '.join(r['teams']) or '-'})")
    lines.append(f"Q2 lineage: where does {LINEAGE_EXAMPLE} come from?")
    lines += _by_type(summary.lineage, lambda r: f"    depth {r['depth']}  {r['id']}")
    lines.append(f"Q3 search: \"{SEARCH_EXAMPLE}\"")
    lines += _rows(summary.search, lambda r: f"  {r['id']}  ({r['entity_type']}; matched {', '.join(r['why']) or '-'})")
    if summary.rehydrated is not None:
        lines.append("")
        hydrate = summary.stages.get("hydrate", {})
        shown = {k: v for k, v in hydrate.items() if isinstance(v, (int, float)) and k != "status"}
        lines.append(f"incremental run: hydrate metrics {shown}")
        lines.append(f"re-hydrated entities ({len(summary.rehydrated)}):")
        lines += [f"  {uri}{'  <- mutated' if mutated and uri in mutated else ''}" for uri in summary.rehydrated[:40]]
    for note in summary.notes:
        lines.append(f"note: {note}")
    return lines


def _rows(rows: list[dict[str, Any]] | None, fmt) -> list[str]:
    if rows is None:
        return ["  (not answerable yet: see the notes below)"]
    if not rows:
        return ["  (no rows)"]
    return [fmt(r) for r in rows[:12]] + ([f"  … {len(rows) - 12} more"] if len(rows) > 12 else [])


def _by_type(rows: list[dict[str, Any]] | None, fmt, *, per_type: int = 3) -> list[str]:
    """A count per entity type, then the nearest few of each type."""
    if rows is None:
        return ["  (not answerable yet: see the notes below)"]
    if not rows:
        return ["  (no rows)"]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_type.setdefault(row["entity_type"] or "?", []).append(row)
    out = [f"  {len(rows)} entities: " + ", ".join(f"{t} {len(v)}" for t, v in sorted(by_type.items()))]
    for entity_type, group in sorted(by_type.items()):
        group = sorted(group, key=lambda r: (r["id"] not in ARTICLE_ENTITIES, r.get("depth") or 0, r["id"]))
        out.append(f"  {entity_type}:")
        out += [fmt(r) for r in group[:per_type]]
        if len(group) > per_type:
            out.append(f"    … {len(group) - per_type} more")
    return out
