"""Stage `infer`: materialise the inference rules (`spark_jobs.graph.rules.RULES`) and the
SIMILAR_TO suggestions as inferred edges of graph.edges (one commit), and the similarity scores
as graph.similarity (one commit, only when the pairs or their scores changed).

Options (RunContext.options): `graph_engine` ('auto' | 'dataframe' | 'graphframes'),
`similarity_threshold` (Jaccard, default 0.5), `similarity_min_shared` (default 1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spark_jobs import killpoint, tables
from spark_jobs.config import Settings
from spark_jobs.stages import RunContext

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def run(spark: SparkSession, settings: Settings, ctx: RunContext) -> dict[str, Any]:
    from pyspark.sql import functions as F

    from spark_jobs.graph import similarity
    from spark_jobs.graph.closure import select_engine
    from spark_jobs.graph.inferred import merge_inferred
    from spark_jobs.graph.rules import RULES, infer
    from spark_jobs.graph.scratch import materialize, scratch_dir

    tables.register(spark, settings, ["graph.edges", "graph.similarity"])
    engine = select_engine(spark, ctx.options.get("graph_engine", "auto"))
    version = tables.version(settings, "graph.edges")
    edges = tables.read(spark, settings, "graph.edges", at_version=version).where(F.col("active"))

    if engine == "graphframes":
        from spark_jobs.graph.gf import infer_motifs

        implied = infer_motifs(edges, RULES)
    else:
        implied = infer(edges, RULES)

    with scratch_dir(settings, "infer") as scratch:
        # The pairs' plan reads the model features four times: read them from one Parquet copy
        # (3-4x faster at scale 100 than deriving them from graph.edges each time).
        pairs = similarity.jaccard_pairs(
            materialize(similarity.model_features(edges), f"{scratch}/features"),
            threshold=float(ctx.options.get("similarity_threshold", similarity.DEFAULT_THRESHOLD)),
            min_shared=int(ctx.options.get("similarity_min_shared", 1)),
        )
        similarity_written = similarity.write_similarity(spark, settings, pairs, run_id=ctx.run_id,
                                                         scratch=f"{scratch}/pairs")
    killpoint.reached("infer:after_similarity")
    scored = tables.read(spark, settings, "graph.similarity").where(F.col("src") < F.col("dst"))
    suggestions = similarity.similar_to_edges(scored.select("src", "dst", "score", "shared"))

    result = merge_inferred(
        spark, settings, implied.unionByName(suggestions),
        managed_rules=None,  # every inferred edge: those of a rule removed from RULES go inactive
        run_id=ctx.run_id, now=ctx.started_at,
    )
    return {"engine": engine, "rules": len(RULES), "similar_pairs": scored.count(),
            "similarity_written": similarity_written, **result.as_metrics()}
