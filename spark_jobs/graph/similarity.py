"""SIMILAR_TO suggestions: models that share most of their features, by Jaccard similarity of
their feature sets (|A ∩ B| / |A ∪ B|), so the graph recommends reuse.

A model's features are those used by any of its instances (USES_FEATURE + INSTANCE_OF). Pairs
come from a self-join on the feature, so work grows with how many models share a feature;
features used by more than `max_models_per_feature` models (ubiquitous ones, e.g. a user id
embedding) are left out of pair generation, though they still count in each set's size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spark_jobs.model import EntityType

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from spark_jobs.config import Settings

RULE_NAME = "jaccard_features"
DEFAULT_THRESHOLD = 0.5


def model_features(edges: DataFrame) -> DataFrame:
    """(model, feature) for every feature some active instance of the model uses."""
    from pyspark.sql import functions as F

    active = edges.where(F.col("active")) if "active" in edges.columns else edges
    uses = active.where(F.col("rel") == "USES_FEATURE").select(F.col("src").alias("instance"),
                                                               F.col("dst").alias("feature"))
    of = active.where((F.col("rel") == "INSTANCE_OF") & (F.col("dst_type") == EntityType.MODEL.value)).select(
        F.col("src").alias("instance"), F.col("dst").alias("model"))
    return uses.join(of, on="instance").select("model", "feature").distinct()


def jaccard_pairs(features: DataFrame, *, threshold: float = DEFAULT_THRESHOLD, min_shared: int = 1,
                  max_models_per_feature: int = 1000) -> DataFrame:
    """(src, dst, score, shared) for each pair of models with src < dst and score >= threshold."""
    from pyspark.sql import functions as F

    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    sizes = features.groupBy("model").agg(F.count("*").alias("size"))
    popularity = features.groupBy("feature").agg(F.count("*").alias("models"))
    pairable = features.join(popularity.where(F.col("models") <= max_models_per_feature), on="feature").select(
        "model", "feature")
    a, b = pairable.alias("a"), pairable.alias("b")
    shared = (
        a.join(b, (F.col("a.feature") == F.col("b.feature")) & (F.col("a.model") < F.col("b.model")))
        .groupBy(F.col("a.model").alias("src"), F.col("b.model").alias("dst"))
        .agg(F.count("*").alias("shared"))
    )
    scored = (
        shared.join(sizes.select(F.col("model").alias("src"), F.col("size").alias("src_size")), on="src")
        .join(sizes.select(F.col("model").alias("dst"), F.col("size").alias("dst_size")), on="dst")
        .withColumn("score", F.col("shared") / (F.col("src_size") + F.col("dst_size") - F.col("shared")))
    )
    return scored.where((F.col("score") >= threshold) & (F.col("shared") >= min_shared)).select(
        "src", "dst", F.col("score").cast("double").alias("score"), F.col("shared").cast("int").alias("shared"))


def similarity_rows(pairs: DataFrame, run_id: str) -> DataFrame:
    """Both directions of each pair, as graph.similarity rows (look-ups need only `src`)."""
    from pyspark.sql import functions as F

    both = pairs.unionByName(pairs.select(F.col("dst").alias("src"), F.col("src").alias("dst"), "score", "shared"))
    return both.withColumn("run_id", F.lit(run_id))


def write_similarity(spark: SparkSession, settings: Settings, pairs: DataFrame, *, run_id: str,
                     scratch: str) -> bool:
    """Replace graph.similarity with `pairs` (both directions) in one commit when they differ from
    the stored rows; an unchanged list writes no version (its rows keep the run that wrote them).
    The pairs are computed once, into `scratch`, for the comparison and the write."""
    from spark_jobs import tables
    from spark_jobs.graph.scratch import materialize

    name = "graph.similarity"
    fresh = materialize(similarity_rows(pairs, run_id).select(*tables.columns_except(name, ["run_id"])), scratch)
    return tables.overwrite_if_changed(spark, settings, name, fresh, run_id=run_id)


def similar_to_edges(pairs: DataFrame) -> DataFrame:
    """One SIMILAR_TO edge per pair (src < dst), in the shape `inferred.merge_inferred` takes."""
    from pyspark.sql import functions as F

    model = EntityType.MODEL.value
    return pairs.select("src", F.lit("SIMILAR_TO").alias("rel"), "dst", F.lit(model).alias("src_type"),
                        F.lit(model).alias("dst_type"), F.lit(RULE_NAME).alias("rule"))
