"""Deprecation candidates: live assets that no active entity depends on and nothing active uses,
each with the reason. The definition is the analyst query `sql/queries/deprecation_candidates.sql`;
the closure stage persists it as `graph.deprecation_candidates` so each build's list can be read by
time travel; the governance report reads that list when the latest closure run recorded the
current graph versions and runs the same query live otherwise, so it is current even when only
the quality and report stages run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from spark_jobs import tables
from spark_jobs.config import Settings
from spark_jobs.graph.queries import run_query

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def deprecation_candidates(spark: SparkSession, settings: Settings) -> DataFrame:
    """(id, entity_type, name, owners, reason) from the current entities and impact closure."""
    return run_query(spark, settings, "deprecation_candidates")


def write_deprecation_candidates(spark: SparkSession, settings: Settings, *, run_id: str) -> int:
    """Replace graph.deprecation_candidates in one commit when the list changed; return the number
    of candidates. An unchanged list writes no version (rows keep the run that last changed them).
    The query (a pass over graph.impact) runs once: its rows are kept in scratch for the comparison
    and the write."""
    from spark_jobs.graph.scratch import materialize, scratch_dir

    name = "graph.deprecation_candidates"
    tables.register(spark, settings, [name])
    with scratch_dir(settings, "deprecation") as scratch:
        fresh = materialize(deprecation_candidates(spark, settings).select(*tables.columns_except(name, ["run_id"])),
                            scratch)
        tables.overwrite_if_changed(spark, settings, name, fresh, run_id=run_id, sort_arrays=["owners"])
        return fresh.count()
