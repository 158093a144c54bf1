"""Which Delta tables each task of the mlg DAGs reads and writes, told to Airflow at run time.

`TASK_TABLES` is the one declarative map: `(dag_id, task_id) -> reads, writes` (table names of
`spark_jobs.tables`). A task body (`spark_jobs.orchestration.tasks`) calls `report(settings)`;
it resolves the tables against the lakehouse of this run (a local path as `file://`, or
`s3://`), and hands them to Airflow's hook-lineage collector (`airflow.sdk.lineage`). The
OpenLineage provider puts them on the task's COMPLETE / FAIL event as inputs and outputs, so
`mlg serve` (POST /api/v1/lineage) turns the mlg jobs and these tables into Pipeline and Dataset
entities with READS / PRODUCED_BY edges (README, "OpenLineage events in").

Nothing happens at DAG parse time (the lakehouse is only known at run time). When no lineage
reader is configured (no OpenLineage transport), Airflow's collector is a no-op and `report`
returns before resolving anything. Bookkeeping every task touches (ops.runs, the build lease)
is left out: lineage shows the data a task consumes and produces.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from spark_jobs.config import Settings

log = logging.getLogger(__name__)


class Tables(NamedTuple):
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()


_STAGING = ("staging.entities", "staging.edges", "staging.outcomes")
_GRAPH_MERGED = ("graph.entities", "graph.entity_history", "graph.edges", "ops.hydration_failures")
_GRAPH = ("graph.entities", "graph.edges")
_SCORES = ("quality.entity_scores", "quality.score_rollups")
_RESULTS = ("quality.results", "quality.run_summaries")
_REBUILT = ("graph.similarity", "graph.impact", *_RESULTS, *_SCORES, "search.snapshots")
_ALL_BUT_LANDING = (*_GRAPH_MERGED, "graph.impact", "graph.similarity", "graph.deprecation_candidates",
                    *_RESULTS, *_SCORES, "search.snapshots")

TASK_TABLES: dict[tuple[str, str], Tables] = {
    ("mlg_land", "land"): Tables(writes=("landing.events", "landing.quarantine")),
    ("mlg_build", "hydrate"): Tables(reads=("landing.events", "ops.hydration_failures", "graph.entities"),
                                     writes=_STAGING),
    ("mlg_build", "merge"): Tables(reads=(*_STAGING, *_GRAPH), writes=_GRAPH_MERGED),
    ("mlg_build", "enrich"): Tables(reads=_GRAPH, writes=(*_STAGING, *_GRAPH_MERGED)),
    ("mlg_build", "infer"): Tables(reads=_GRAPH, writes=("graph.edges", "graph.similarity")),
    ("mlg_build", "closure"): Tables(reads=_GRAPH, writes=("graph.impact",)),
    ("mlg_build", "quality"): Tables(reads=(*_GRAPH, "graph.impact", "landing.events"),
                                     writes=(*_RESULTS, *_SCORES)),
    ("mlg_build", "quality_gate"): Tables(),  # decides from quality's XCom, reads no table
    ("mlg_build", "publish"): Tables(reads=(*_GRAPH, "graph.impact", *_SCORES),
                                     writes=("search.snapshots",)),
    ("mlg_build", "report"): Tables(reads=(*_GRAPH, "graph.entity_history", *_RESULTS, *_SCORES)),
    ("mlg_maintenance", "reconcile"): Tables(reads=_GRAPH, writes=(*_STAGING, *_GRAPH_MERGED, *_REBUILT)),
    # compaction rewrites files (same rows); vacuum and checkpoint change no data: they only read
    ("mlg_maintenance", "compact_landing"): Tables(reads=("landing.events", "landing.quarantine"),
                                                   writes=("landing.events", "landing.quarantine")),
    ("mlg_maintenance", "optimize_tables"): Tables(reads=_ALL_BUT_LANDING, writes=_ALL_BUT_LANDING),
    ("mlg_maintenance", "vacuum_tables"): Tables(reads=("landing.events", "landing.quarantine", *_ALL_BUT_LANDING)),
    ("mlg_maintenance", "checkpoint_tables"): Tables(reads=("landing.events", "landing.quarantine",
                                                            *_ALL_BUT_LANDING)),
    ("mlg_maintenance", "expire_search_snapshots"): Tables(reads=("search.snapshots",)),
}


def table_uri(settings: Settings, name: str) -> str:
    """The table's location as an asset URI: `file:///abs/path` locally, as is for `s3://...`."""
    from spark_jobs import tables

    path = tables.table(name).path(settings)
    return path if "://" in path else Path(path).as_uri()


class _LineageOwner:
    """The `context` the collector files our assets under (one per process, so a table named
    twice in one task is one asset)."""


_OWNER = _LineageOwner()
_forgetting = False


def report(settings: Settings, *, dag_id: str | None = None, task_id: str | None = None) -> int:
    """Tell Airflow's hook-lineage collector the tables of the running task (or of `dag_id` /
    `task_id`); the number of assets added (0 when lineage is off or outside a task)."""
    collector = _collector()
    if collector is None:
        return 0
    if dag_id is None or task_id is None:
        try:
            from airflow.sdk import get_current_context

            ti = get_current_context()["ti"]
        except Exception:  # noqa: BLE001 - not inside a running task: nothing to report to
            return 0
        dag_id, task_id = ti.dag_id, ti.task_id
    declared = TASK_TABLES.get((dag_id, task_id))
    if declared is None:
        log.debug("no table lineage declared for %s.%s", dag_id, task_id)
        return 0
    _forget_after_each_task()
    for name in declared.reads:
        collector.add_input_asset(context=_OWNER, uri=table_uri(settings, name))
    for name in declared.writes:
        collector.add_output_asset(context=_OWNER, uri=table_uri(settings, name))
    return len(declared.reads) + len(declared.writes)


def _collector():
    """Airflow's collector, or None when no lineage reader is registered (lineage off)."""
    try:
        from airflow.sdk.lineage import NoOpCollector, get_hook_lineage_collector
    except ImportError:  # not running under Airflow
        return None
    collector = get_hook_lineage_collector()
    return None if isinstance(collector, NoOpCollector) else collector


def _forget_after_each_task() -> None:
    """Airflow keeps one collector per process. A worker runs each task in its own process, but
    `airflow dags test` (`mlg run`) runs them all in one: without this, every later task's
    events would carry the tables of the tasks before it. A task-runner listener drops the
    collector when the task's runner stops (after its COMPLETE / FAIL event went out)."""
    global _forgetting
    if _forgetting:
        return
    import pluggy
    from airflow.sdk.listener import get_listener_manager

    class ForgetCollectedLineage:
        @pluggy.HookimplMarker("airflow")
        def before_stopping(self, component) -> None:  # noqa: ARG002 - the hook's signature
            from airflow.sdk.lineage import get_hook_lineage_collector

            get_hook_lineage_collector.cache_clear()

    get_listener_manager().add_listener(ForgetCollectedLineage())
    _forgetting = True
