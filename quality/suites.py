"""Great Expectations suites as code: entities, edges and coverage.

Each expectation carries `meta = {"check": <name>, "target": <column or scope>}`, so its result
becomes one quality.results row under a stable name, and its GE `severity` comes from
`QualityConfig`. The suites validate *prepared* frames (`prepare_entities`): plain projections
that add the derived columns GE needs (owner and tag counts, a trimmed name, who is "live and
ownable"), computed by Spark next to the data.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from quality.config import QualityConfig
from spark_jobs.model import ENTITY_STATES, RELATIONSHIPS, EntityType

if TYPE_CHECKING:
    import great_expectations as gx
    from pyspark.sql import DataFrame

# Structure of a canonical AIP URI (spark_jobs.uris): two lowercase names, then a resource id of
# RFC 3986 unreserved characters, ':' and upper-case percent escapes.
AIP_URI_REGEX = r"^aip://[a-z][a-z0-9-]*/[a-z][a-z0-9-]*/(?:[A-Za-z0-9_.~:-]|%[0-9A-F]{2})+$"
TIMESTAMP_COLUMNS: tuple[str, ...] = ("created_at", "updated_at", "first_seen_at", "last_hydrated_at",
                                      "last_enriched_at")
LIVE_STATES: tuple[str, ...] = ("hydrated", "enriched")
PROVENANCES: tuple[str, ...] = ("declared", "inferred")
# Spark SQL condition GE applies (row_condition) to the prepared entities frame.
LIVE_OWNABLE = "live_ownable = true"


def ownable_types() -> list[str]:
    return [t.value for t in EntityType if t.ownable]


def prepare_entities(entities: DataFrame) -> DataFrame:
    """The entities frame plus the derived columns the suites check (no rows added or dropped)."""
    from pyspark.sql import functions as F

    return entities.select(
        "*",
        F.size(F.coalesce("owners", F.array())).alias("owner_count"),
        F.size(F.coalesce("tags", F.array())).alias("tag_count"),
        F.nullif(F.trim("name"), F.lit("")).alias("name_trimmed"),
        # a description that says something: not blank, not a placeholder (quality/placeholders.py)
        F.when(F.trim("description") == "", None).when(_placeholder(F.lower(F.trim("description"))), None)
        .otherwise(F.col("description")).alias("description_real"),
        (F.col("entity_type").isin(ownable_types()) & F.col("state").isin(list(LIVE_STATES)))
        .alias("live_ownable"),
    )


def _placeholder(text):
    from functools import reduce

    from quality.placeholders import PLACEHOLDER_PATTERNS

    return reduce(lambda a, b: a | b, [text.rlike(p) for p in PLACEHOLDER_PATTERNS])


def _with(config: QualityConfig, check: str, target: str, description: str) -> dict[str, Any]:
    return {"severity": config.severity(check), "meta": {"check": check, "target": target},
            "description": description}


def entities_suite(config: QualityConfig, *, now: datetime) -> gx.ExpectationSuite:
    """Identity, vocabulary, names, owners and timestamps of graph.entities."""
    import great_expectations as gx

    x = gx.expectations
    future = now + timedelta(hours=config.future_tolerance_hours)
    expectations = [
        x.ExpectColumnValuesToNotBeNull(column="id", **_with(config, "id_not_null", "id", "every entity has an id")),
        x.ExpectColumnValuesToBeUnique(column="id", **_with(config, "id_unique", "id", "one row per entity id")),
        x.ExpectColumnValuesToMatchRegex(column="id", regex=AIP_URI_REGEX,
                                         **_with(config, "id_is_aip_uri", "id", "ids are canonical AIP URIs")),
        x.ExpectColumnValuesToBeInSet(column="entity_type", value_set=[t.value for t in EntityType],
                                      **_with(config, "entity_type_in_vocabulary", "entity_type",
                                              "entity types come from the vocabulary")),
        x.ExpectColumnValuesToBeInSet(column="state", value_set=list(ENTITY_STATES),
                                      **_with(config, "state_in_vocabulary", "state", "lifecycle states are known")),
        x.ExpectColumnValuesToNotBeNull(column="name_trimmed",
                                        **_with(config, "name_present", "name", "every entity has a non-blank name")),
        x.ExpectColumnValuesToBeBetween(column="owner_count", min_value=1, mostly=config.owners_required_share,
                                        row_condition=LIVE_OWNABLE, condition_parser="spark",
                                        **_with(config, "owners_present", "owners",
                                                "live entities of ownable types have an owner")),
    ]
    for column in TIMESTAMP_COLUMNS:
        expectations.append(x.ExpectColumnValuesToBeBetween(
            column=column, max_value=future,
            **_with(config, "timestamp_not_in_future", column, f"{column} is not in the future")))
    return _suite("entities", expectations)


def edges_suite(config: QualityConfig) -> gx.ExpectationSuite:
    """Keys and vocabulary of graph.edges (endpoint and type checks are graph checks in Spark SQL)."""
    import great_expectations as gx

    x = gx.expectations
    expectations = [
        x.ExpectCompoundColumnsToBeUnique(column_list=["src", "rel", "dst"],
                                          **_with(config, "edge_key_unique", "src,rel,dst",
                                                  "one row per (src, rel, dst)")),
        *[x.ExpectColumnValuesToMatchRegex(column=end, regex=AIP_URI_REGEX,
                                           **_with(config, "edge_ends_are_aip_uris", end,
                                                   f"edge {end} is a canonical AIP URI"))
          for end in ("src", "dst")],
        x.ExpectColumnValuesToBeInSet(column="rel", value_set=list(RELATIONSHIPS),
                                      **_with(config, "relation_in_vocabulary", "rel",
                                              "relations come from the vocabulary")),
        x.ExpectColumnValuesToBeInSet(column="provenance", value_set=list(PROVENANCES),
                                      **_with(config, "provenance_in_vocabulary", "provenance",
                                              "edges are declared or inferred")),
        x.ExpectColumnValuesToNotBeNull(column="rule", row_condition="provenance = 'inferred'",
                                        condition_parser="spark",
                                        **_with(config, "inferred_edge_has_rule", "rule",
                                                "an inferred edge names the rule that made it")),
    ]
    return _suite("edges", expectations)


def coverage_suite(config: QualityConfig) -> gx.ExpectationSuite:
    """Measured shares of live ownable entities with a description, an owner, a tag."""
    import great_expectations as gx

    x = gx.expectations
    live = {"row_condition": LIVE_OWNABLE, "condition_parser": "spark"}
    expectations = [
        x.ExpectColumnValuesToNotBeNull(column="description_real", mostly=config.min_description_share, **live,
                                        **_with(config, "share_with_description", "description",
                                                "share of live assets with a description (not blank, not a placeholder)")),
        x.ExpectColumnValuesToBeBetween(column="owner_count", min_value=1, mostly=config.min_owner_share, **live,
                                        **_with(config, "share_with_owners", "owners",
                                                "share of live assets with an owner")),
        x.ExpectColumnValuesToBeBetween(column="tag_count", min_value=1, mostly=config.min_tag_share, **live,
                                        **_with(config, "share_with_tags", "tags",
                                                "share of live assets with at least one tag")),
    ]
    return _suite("coverage", expectations)


def _suite(name: str, expectations: list) -> gx.ExpectationSuite:
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=name)
    for expectation in expectations:
        suite.add_expectation(expectation)
    return suite
