"""Graph checks GE cannot express directly, as Spark SQL aggregates producing `CheckResult`s.

Each check is one aggregate over the pinned table versions (joins, never per-row Python), so it
scales with the tables; only counts and, for a failed check, a handful of example ids reach the
driver.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from quality.config import QualityConfig
from quality.results import CheckResult, share
from quality.suites import LIVE_STATES
from spark_jobs.model import RELATIONSHIPS, SELF_DESCRIBING_PLATFORMS, EntityType

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# Session-local view names; the runner owns the session while it runs.
ENTITIES, EDGES, TYPES, LEGAL, WINDOWS = (
    "_quality_entities", "_quality_edges", "_quality_types", "_quality_legal", "_quality_windows",
)


@dataclass(frozen=True)
class Snapshot:
    """The table versions under validation, and the baselines drift is measured against."""

    entities: DataFrame
    edges: DataFrame
    entities_baseline: DataFrame | None
    edges_baseline: DataFrame | None
    entities_baseline_version: int | None
    edges_baseline_version: int | None


def graph_checks(spark: SparkSession, snapshot: Snapshot, config: QualityConfig, *,
                 now: datetime) -> list[CheckResult]:
    """Every Spark SQL check, in a stable order."""
    _register_views(spark, snapshot, config, now=now)
    checks = Checks(spark, config)
    return [*checks.not_empty(), *checks.id_matches_type(), *checks.edge_integrity(), *checks.freshness(), *checks.owners_active(),
            *drift(snapshot, config)]


def _register_views(spark: SparkSession, snapshot: Snapshot, config: QualityConfig, *, now: datetime) -> None:
    snapshot.entities.createOrReplaceTempView(ENTITIES)
    snapshot.edges.createOrReplaceTempView(EDGES)
    types = [(t.value, f"aip://{t.component}/{t.platform}/", t.component) for t in EntityType]
    spark.createDataFrame(types, "entity_type STRING, prefix STRING, component STRING").createOrReplaceTempView(TYPES)
    legal = [(r.name, s.value, d.value) for r in RELATIONSHIPS.values() for s in r.src_types for d in r.dst_types]
    spark.createDataFrame(legal, "rel STRING, src_type STRING, dst_type STRING").createOrReplaceTempView(LEGAL)
    windows = [(t.value, now - timedelta(hours=config.freshness_window(t.value)), config.freshness_window(t.value))
               for t in EntityType]
    spark.createDataFrame(windows, "entity_type STRING, cutoff TIMESTAMP, window_hours DOUBLE") \
        .createOrReplaceTempView(WINDOWS)


class Checks:
    def __init__(self, spark: SparkSession, config: QualityConfig) -> None:
        self.spark = spark
        self.config = config

    def _one(self, query: str) -> Any:
        return self.spark.sql(query).collect()[0]

    def _examples(self, query: str) -> list[str]:
        return [r[0] for r in self.spark.sql(f"{query} LIMIT {int(self.config.examples)}").collect()]

    def _result(self, suite: str, check: str, target: str, bad: int, of: int, description: str,
                examples_query: str | None = None, **extra: Any) -> CheckResult:
        observed: dict[str, Any] = {"unexpected": bad, "of": of, "share": share(bad, of), **extra}
        if bad and examples_query:
            observed["examples"] = self._examples(examples_query)
        return CheckResult(suite, check, target, bad == 0, self.config.severity(check), observed, description)

    def not_empty(self) -> Iterator[CheckResult]:
        """An empty graph (never built, or a wrong lakehouse) must not be published or reported."""
        states = ", ".join(f"'{s}'" for s in LIVE_STATES)
        row = self._one(f"SELECT count_if(state IN ({states})) AS live, count(*) AS total FROM {ENTITIES}")
        yield CheckResult("entities", "graph_not_empty", "state", bool(row.live), self.config.severity("graph_not_empty"),
                          {"live": row.live, "of": row.total}, "the graph has at least one live entity")

    def id_matches_type(self) -> Iterator[CheckResult]:
        # the type's own platform, or a self-describing source's (an OpenLineage Dataset is
        # aip://dataset/openlineage/...); the platform ids are the code's constants
        matches = " OR ".join(["startswith(e.id, t.prefix)", *(
            f"startswith(e.id, concat('aip://', t.component, '/{p}/'))" for p in SELF_DESCRIBING_PLATFORMS)])
        bad_rows = (f"FROM {ENTITIES} e JOIN {TYPES} t ON t.entity_type = e.entity_type "
                    f"WHERE e.id IS NOT NULL AND NOT ({matches})")
        row = self._one(f"SELECT (SELECT count(*) {bad_rows}) AS bad, (SELECT count(*) FROM {ENTITIES}) AS total")
        yield self._result("entities", "id_matches_type", "id", row.bad, row.total,
                           "an id's type and platform match its entity_type", f"SELECT e.id {bad_rows}")

    def edge_integrity(self) -> Iterator[CheckResult]:
        joined = (
            f"FROM {EDGES} x LEFT JOIN {ENTITIES} s ON s.id = x.src LEFT JOIN {ENTITIES} d ON d.id = x.dst "
            f"LEFT JOIN {LEGAL} l ON l.rel = x.rel AND l.src_type = coalesce(s.entity_type, x.src_type) "
            "AND l.dst_type = coalesce(d.entity_type, x.dst_type) WHERE x.active"
        )
        row = self._one(
            "SELECT count(*) AS active, count_if(s.id IS NULL) AS src_missing, count_if(d.id IS NULL) AS dst_missing, "
            "count_if(s.state = 'deleted') AS src_deleted, count_if(d.state = 'deleted') AS dst_deleted, "
            f"count_if(l.rel IS NULL) AS illegal {joined}"
        )
        pair = "concat(x.src, ' ', x.rel, ' ', x.dst)"
        for end, alias in (("src", "s"), ("dst", "d")):
            yield self._result("edges", "edge_ends_exist", end, row[f"{end}_missing"], row.active,
                               f"the {end} of every active edge is an entity (a `reference` one counts)",
                               f"SELECT {pair} {joined} AND {alias}.id IS NULL")
        for end, alias in (("src", "s"), ("dst", "d")):
            yield self._result("edges", "edge_ends_not_deleted", end, row[f"{end}_deleted"], row.active,
                               f"no active edge has a deleted {end}",
                               f"SELECT {pair} {joined} AND {alias}.state = 'deleted'")
        yield self._result("edges", "relation_legal_for_types", "rel", row.illegal, row.active,
                           "the relation is legal between the two entity types",
                           "SELECT concat(coalesce(s.entity_type, x.src_type), ' ', x.rel, ' ', "
                           f"coalesce(d.entity_type, x.dst_type), ': ', {pair}) {joined} AND l.rel IS NULL")

    def freshness(self) -> Iterator[CheckResult]:
        states = ", ".join(f"'{s}'" for s in LIVE_STATES)
        hydrated = "greatest(e.last_hydrated_at, e.last_enriched_at)"
        stale = f"({hydrated} IS NULL OR {hydrated} < w.cutoff)"
        base = f"FROM {ENTITIES} e JOIN {WINDOWS} w ON w.entity_type = e.entity_type WHERE e.state IN ({states})"
        rows = self.spark.sql(
            f"SELECT e.entity_type, first(w.window_hours) AS window_hours, count(*) AS live, "
            f"count_if({stale}) AS stale {base} GROUP BY e.entity_type ORDER BY e.entity_type"
        ).collect()
        for row in rows:
            stale_share = share(row.stale, row.live) or 0.0
            observed = {"unexpected": row.stale, "of": row.live, "share": share(row.stale, row.live),
                        "window_hours": row.window_hours}
            success = stale_share <= self.config.freshness_max_stale_share
            if not success:
                observed["examples"] = self._examples(
                    f"SELECT e.id {base} AND e.entity_type = '{row.entity_type}' AND {stale}")
            yield CheckResult("freshness", "hydrated_within_window", row.entity_type, success,
                              self.config.severity("hydrated_within_window"), observed,
                              "live entities were hydrated within the freshness window of their type")

    def owners_active(self) -> Iterator[CheckResult]:
        # Same rule as the owner_assets view: an owner identity does not know (never hydrated, or
        # deleted there) is as inactive as a user identity marks inactive.
        owned = (
            f"FROM (SELECT id, explode(owners) AS owner FROM {ENTITIES} WHERE state <> 'deleted') o "
            f"LEFT JOIN {ENTITIES} u ON u.id = o.owner "
            "WHERE u.id IS NULL OR u.state IN ('reference', 'deleted') "
            "OR (u.entity_type = 'User' AND upper(coalesce(u.source_status, '')) = 'INACTIVE')"
        )
        row = self._one(f"SELECT count(DISTINCT o.id) AS assets, count(DISTINCT o.owner) AS users {owned}")
        total = self._one(f"SELECT count(*) AS n FROM {ENTITIES} WHERE state <> 'deleted' AND size(owners) > 0").n
        observed: dict[str, Any] = {"unexpected": row.assets, "of": total, "share": share(row.assets, total),
                                    "inactive_users": row.users}
        success = row.assets <= self.config.inactive_owned_max
        if row.assets:
            observed["examples"] = self._examples(f"SELECT DISTINCT concat(o.id, ' owned by ', o.owner) {owned}")
        yield CheckResult("freshness", "owners_active", "owners", success, self.config.severity("owners_active"),
                          observed, "no current asset is owned by a user who is inactive in, unknown to or deleted from identity")


def drift(snapshot: Snapshot, config: QualityConfig) -> list[CheckResult]:
    """Per-type live entity counts and per-relation inferred edge counts against the baselines."""
    from pyspark.sql import functions as F

    def entity_counts(df: DataFrame) -> dict[str, int]:
        return _counts(df.where(F.col("state") != "deleted"), "entity_type")

    def inferred_counts(df: DataFrame) -> dict[str, int]:
        return _counts(df.where(F.col("active") & (F.col("provenance") == "inferred")), "rel")

    out = []
    for check, current, baseline, version, count in (
        ("entity_count_drop", snapshot.entities, snapshot.entities_baseline, snapshot.entities_baseline_version,
         entity_counts),
        ("inferred_edge_count_drop", snapshot.edges, snapshot.edges_baseline, snapshot.edges_baseline_version,
         inferred_counts),
    ):
        out.extend(_drift_results(check, count(current), None if baseline is None else count(baseline),
                                  version, config))
    return out


def _counts(df: DataFrame, column: str) -> dict[str, int]:
    return {r[0]: r[1] for r in df.groupBy(column).count().collect()}


def _drift_results(check: str, current: dict[str, int], baseline: dict[str, int] | None,
                   baseline_version: int | None, config: QualityConfig) -> list[CheckResult]:
    description = (f"a count may fall by at most {config.drift_max_drop_share:.0%} against the baseline "
                   f"version (baselines under {config.drift_min_baseline} are not judged)")
    if baseline is None:
        return [CheckResult("drift", check, "*", True, config.severity(check),
                            {"baseline_version": None, "note": "no baseline version to compare with"}, description)]
    results = []
    for key in sorted(set(current) | set(baseline)):
        before, after = baseline.get(key, 0), current.get(key, 0)
        drop = (before - after) / before if before else 0.0
        judged = before >= config.drift_min_baseline
        success = not judged or drop <= config.drift_max_drop_share
        results.append(CheckResult("drift", check, key, success, config.severity(check),
                                   {"previous": before, "current": after, "drop_share": round(drop, 6),
                                    "baseline_version": baseline_version, "judged": judged}, description))
    return results
