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
    from pyspark.sql import functions as F

    from spark_jobs.graph.scratch import scratch_dir

    tables.register(spark, settings, ["graph.deprecation_candidates"])
    target = tables.table("graph.deprecation_candidates")
    compared = [c for c in target.column_names if c != "run_id"]
    with scratch_dir(settings, "deprecation") as scratch:
        computed = deprecation_candidates(spark, settings).select(*compared)
        computed.write.mode("overwrite").parquet(scratch)
        fresh = spark.read.schema(computed.schema).parquet(scratch)
        count = fresh.count()
        if tables.version(settings, target.name) is not None:
            current = tables.read(spark, settings, target.name).select(*compared)
            sort = {"owners": F.array_sort("owners")}
            a, b = fresh.withColumns(sort), current.withColumns(sort)
            if current.count() == count and a.exceptAll(b).limit(1).count() == 0:
                return count
        (fresh.withColumn("run_id", F.lit(run_id)).select(*target.column_names)
         .write.format("delta").mode("overwrite").save(target.path(settings)))
    return count
