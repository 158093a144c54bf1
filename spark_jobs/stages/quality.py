"""Stage `quality`: GE suites + graph checks over the current table versions -> quality.results.

Returns metrics with `gate` ('pass' | 'fail'); the build skips `publish` on 'fail'.
Options (RunContext.options): `quality` (a mapping of `quality.config.QualityConfig` fields, e.g.
`{"drift_max_drop_share": 0.5}`), `quality_data_docs` (default True).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spark_jobs.config import Settings
from spark_jobs.stages import RunContext

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def run(spark: SparkSession, settings: Settings, ctx: RunContext) -> dict[str, Any]:
    from quality.config import QualityConfig
    from quality.runner import run_quality

    config = QualityConfig.load(ctx.options.get("quality"))
    outcome = run_quality(spark, settings, run_id=ctx.run_id, config=config, now=ctx.started_at,
                          data_docs=bool(ctx.options.get("quality_data_docs", True)))
    return outcome.metrics()
