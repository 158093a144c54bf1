"""Stage `report`: the governance report (HTML + one CSV per section) under `<reports_dir>/governance/`.

Options (RunContext.options): `report_max_versions` (default 30). Stale assets are judged by the quality
scores' freshness windows (quality setting `score_freshness_days`), not by a report option.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spark_jobs.config import Settings
from spark_jobs.stages import RunContext

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def run(spark: SparkSession, settings: Settings, ctx: RunContext) -> dict[str, Any]:
    from quality.governance import ReportOptions, build_report
    from spark_jobs.graph.guard import require_live_graph

    require_live_graph(settings, "report on")  # never overwrite a report with empty sections
    defaults = ReportOptions()
    options = ReportOptions(max_versions=int(ctx.options.get("report_max_versions", defaults.max_versions)))
    return build_report(spark, settings, run_id=ctx.run_id, options=options, now=ctx.started_at).metrics()
