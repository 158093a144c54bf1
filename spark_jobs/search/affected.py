"""Which search documents a graph change can touch, so a build rewrites only those.

A document's content is a function of: its entity's row; the display names of its owners, of the
entities one active edge away and of those the impact closure links it to (up to `impact_depth`
hops, either direction); for a person, what they own and their teams / members; its newest
quality score. So between the versions the documents were last built from (`DocumentsBase`,
recorded next to the tables) and now, the documents that can change are those of:

- entities whose row changed (added, removed, or any indexed column);
- the links of an entity whose display name changed (its edge neighbours, its impact pairs, the
  assets it owns), and the owners, old and new, of a changed entity;
- both ends of an active edge added or removed, and every entity within `impact_depth` impact
  hops of those ends, in the old and the new closure (an impact pair within the depth that
  appears, goes or changes depth has a shortest path through a changed edge);
- entities whose newest quality score differs from their document's.

That is a superset: documents in it whose content did not change are compared and left alone.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spark_jobs import tables
from spark_jobs.config import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

BASE_FILE = "_mlg_documents_base.json"
#: The entity columns a document is built from.
INDEXED_COLUMNS = ("entity_type", "domain", "name", "description", "owners", "tags", "state", "source_status",
                   "last_enriched_at", "updated_at")


@dataclass(frozen=True)
class DocumentsBase:
    """The graph versions and options the documents tables were last brought up to."""

    entities_version: int
    edges_version: int | None
    impact_version: int | None
    documents_version: int | None
    owner_documents_version: int | None
    options: dict[str, Any]


def _base_path(settings: Settings) -> Path | None:
    root = tables.lakehouse_root(settings)
    return None if "://" in root else Path(root) / "search" / BASE_FILE


def read_base(settings: Settings, options: dict[str, Any]) -> DocumentsBase | None:
    """The recorded base, when the documents tables are still what it says and the options match."""
    path = _base_path(settings)
    try:
        base = DocumentsBase(**json.loads(path.read_text(encoding="utf-8"))) if path else None
    except (OSError, ValueError, TypeError):
        return None
    if base is None or base.options != options:
        return None
    if (base.documents_version != tables.version(settings, "search.documents")
            or base.owner_documents_version != tables.version(settings, "search.owner_documents")):
        return None  # written by something else since
    return base


def write_base(settings: Settings, base: DocumentsBase) -> None:
    path = _base_path(settings)
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(base)), encoding="utf-8")
    tmp.replace(path)


def affected_ids(spark: SparkSession, settings: Settings, base: DocumentsBase, *, entities_version: int,
                 edges_version: int | None, impact_version: int | None, impact_depth: int,
                 include_deleted: bool, scores: DataFrame, scratch: str) -> DataFrame:
    """(id) of every document the change since `base` can touch, written to `scratch` (small)."""
    from pyspark.sql import functions as F

    def entities_at(version: int) -> DataFrame:
        df = tables.read(spark, settings, "graph.entities", at_version=version)
        if not include_deleted:
            df = df.where(F.col("state").isNull() | (F.col("state") != "deleted"))
        return df.select("id", *INDEXED_COLUMNS)

    old, new = entities_at(base.entities_version).alias("o"), entities_at(entities_version).alias("n")
    joined = old.join(new, F.col("o.id") == F.col("n.id"), "full_outer")
    differs = F.col("o.id").isNull() | F.col("n.id").isNull()
    for c in INDEXED_COLUMNS:
        differs = differs | ~F.col(f"o.{c}").eqNullSafe(F.col(f"n.{c}"))
    renamed = (F.col("o.id").isNull() | F.col("n.id").isNull() | ~F.col("o.name").eqNullSafe(F.col("n.name")))
    changed_path = f"{scratch}/changed"
    joined.where(differs).select(F.coalesce("n.id", "o.id").alias("id"), renamed.alias("renamed"),
                                 F.col("o.owners").alias("old_owners"), F.col("n.owners").alias("new_owners")) \
        .write.mode("overwrite").parquet(changed_path)
    changed = spark.read.schema("id STRING, renamed BOOLEAN, old_owners ARRAY<STRING>, new_owners ARRAY<STRING>") \
        .parquet(changed_path)
    renamed_ids = changed.where("renamed").select("id")

    def edges_at(version: int | None) -> DataFrame | None:
        if version is None:
            return None
        return tables.read(spark, settings, "graph.edges", at_version=version).where("active") \
            .select("src", "rel", "dst")

    parts = [changed.select("id"),
             changed.select(F.explode_outer("old_owners").alias("id")),
             changed.select(F.explode_outer("new_owners").alias("id"))]
    edges_new = edges_at(edges_version)
    # the links of a renamed entity: edge neighbours, the assets it owns
    if edges_new is not None:
        parts += [edges_new.join(renamed_ids.select(F.col("id").alias("src")), "src", "left_semi")
                  .select(F.col("dst").alias("id")),
                  edges_new.join(renamed_ids.select(F.col("id").alias("dst")), "dst", "left_semi")
                  .select(F.col("src").alias("id"))]
    owned = new.select(F.col("n.id").alias("id"), F.explode("n.owners").alias("owner"))
    parts.append(owned.join(renamed_ids.select(F.col("id").alias("owner")), "owner", "left_semi").select("id"))
    # both ends of the active edges added or removed
    ends = None
    if base.edges_version != edges_version:
        edges_old = edges_at(base.edges_version)
        if edges_old is None or edges_new is None:
            gone = edges_old if edges_new is None else edges_new
        else:
            keys = ["src", "rel", "dst"]
            gone = edges_old.join(edges_new, keys, "left_anti").unionByName(edges_new.join(edges_old, keys, "left_anti"))
        if gone is not None:
            ends_path = f"{scratch}/ends"
            gone.select(F.col("src").alias("id")).unionByName(gone.select(F.col("dst").alias("id"))).distinct() \
                .write.mode("overwrite").parquet(ends_path)
            ends = spark.read.schema("id STRING").parquet(ends_path)
            parts.append(ends)
    # impact pairs of renamed entities (now) and of the changed edges' ends (before and now)
    if impact_depth > 1:
        probes = [(impact_version, renamed_ids if ends is None else renamed_ids.unionByName(ends))]
        if ends is not None:
            probes.append((base.impact_version, ends))
        for version, ids in probes:
            if version is None:
                continue
            impact = tables.read(spark, settings, "graph.impact", at_version=version) \
                .where(F.col("min_depth") <= impact_depth).select("src", "dst")
            parts += [impact.join(ids.select(F.col("id").alias("src")), "src", "left_semi")
                      .select(F.col("dst").alias("id")),
                      impact.join(ids.select(F.col("id").alias("dst")), "dst", "left_semi")
                      .select(F.col("src").alias("id"))]
    # a new quality score
    if base.documents_version is not None:
        stored = tables.read(spark, settings, "search.documents", at_version=base.documents_version) \
            .select("id", F.col("quality_score").alias("stored"))
        parts.append(stored.join(scores, "id", "full_outer")
                     .where(~F.col("stored").eqNullSafe(F.col("quality_score"))).select("id"))
    union = parts[0]
    for part in parts[1:]:
        union = union.unionByName(part)
    out = f"{scratch}/affected"
    union.where(F.col("id").isNotNull()).distinct().write.mode("overwrite").parquet(out)
    return spark.read.schema("id STRING").parquet(out)
