"""Stage `publish`: build the search documents from the current graph and publish them as one
snapshot: always to the embedded tantivy index (under `<state_dir>/lakehouses/<key>/search/`), and to
Elasticsearch when `MLG_ES_URL` (Settings.es_url) is set. Every attempt is a `search.snapshots`
row; a failed backend fails the stage after recording it (the live snapshot does not move).

Options (RunContext.options): `search_keep` (snapshots kept, default 3), `search_embedded`
(default True), `search_max_related` (default 50), `search_impact_depth` (default 3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spark_jobs.config import Settings
from spark_jobs.stages import RunContext

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def run(spark: SparkSession, settings: Settings, ctx: RunContext) -> dict[str, Any]:
    from spark_jobs.graph.guard import require_live_graph
    from spark_jobs.search.documents import DocumentOptions
    from spark_jobs.search.publish import publish

    require_live_graph(settings, "publish")  # an empty build never replaces the live index
    options = DocumentOptions(max_related=int(ctx.options.get("search_max_related", 50)),
                              impact_depth=int(ctx.options.get("search_impact_depth", 3)))
    outcome = publish(spark, settings, embedded=bool(ctx.options.get("search_embedded", True)),
                      keep=int(ctx.options.get("search_keep", 3)), doc_options=options)
    return outcome.metrics
