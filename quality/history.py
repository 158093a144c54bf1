"""One row per quality run (quality.run_summaries): when it ran, the table versions it checked, its
checks and failures by severity and the coverage shares it measured.

quality.results keeps every run's rows (an audit trail, no retention), so what later runs and the
report ask of the history (the latest passing run's versions, the runs that checked a table version,
the trend) reads this table instead: one row a run, not one row an expectation. It is written after
the results (a second commit); a run stopped between the two is caught by the next one, which
rebuilds the summaries from the results (`heal_summaries`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spark_jobs import tables
from spark_jobs.config import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

RESULTS, SUMMARIES = "quality.results", "quality.run_summaries"
#: the coverage expectations whose measured share each summary keeps, by column
SHARES = {"description_share": "share_with_description", "owner_share": "share_with_owners",
          "tag_share": "share_with_tags"}


def run_summaries(results: DataFrame) -> DataFrame:
    """quality.run_summaries' rows of the runs in `results` (rows of quality.results)."""
    from pyspark.sql import functions as F

    failed = ~F.col("success")
    shares = {column: F.max(F.when(F.col("expectation") == expectation, F.get_json_object(
        "observed_value", "$.coverage").cast("double"))).alias(column) for column, expectation in SHARES.items()}
    return (results.groupBy("run_id")
            .agg(F.min("checked_at").alias("checked_at"), F.first("table_versions").alias("table_versions"),
                 F.count(F.lit(1)).alias("checks"), F.count(F.when(F.col("success"), 1)).alias("passed"),
                 F.count(F.when(failed & (F.col("severity") == "critical"), 1)).alias("failed_critical"),
                 F.count(F.when(failed & (F.col("severity") == "warning"), 1)).alias("failed_warning"),
                 *shares.values())
            .select(*tables.table(SUMMARIES).column_names))


def summarize_run(spark: SparkSession, settings: Settings, run_id: str) -> None:
    """Append `run_id`'s summary (its results are written) in one commit."""
    from pyspark.sql import functions as F

    tables.append(run_summaries(tables.read(spark, settings, RESULTS).where(F.col("run_id") == run_id)),
                  settings, SUMMARIES)


def heal_summaries(spark: SparkSession, settings: Settings) -> bool:
    """Rebuild quality.run_summaries from quality.results when the checks they count differ from its
    rows: a run stopped between its results and its summary, or a lakehouse from before the
    summaries. True when it rebuilt them."""
    return tables.rebuild_when_uncounted(spark, settings, detail=RESULTS, summary=SUMMARIES, counted="checks",
                                         summarize=run_summaries)
