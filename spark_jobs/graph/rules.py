"""Inference rules as data: a path of relations (each followed forwards or backwards) and the
edge it implies between the path's two ends. Adding a rule is adding one `Rule(...)` to `RULES`.

Rules are evaluated in list order, and a rule may walk edges inferred by an earlier rule in the
same run (`Model TESTED_IN` walks the instance-level `TESTED_IN` edges), never stale ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from spark_jobs.model import RELATIONSHIPS, EntityType, relationship

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

Direction = Literal["out", "in"]
"""`out` follows an edge from its src to its dst; `in` walks it backwards (dst to src)."""

E = EntityType


@dataclass(frozen=True)
class Step:
    rel: str
    direction: Direction = "out"

    def __post_init__(self) -> None:
        relationship(self.rel)  # fail at import time on a typo, not at run time
        if self.direction not in ("out", "in"):
            raise ValueError(f"direction must be 'out' or 'in', got {self.direction!r}")


@dataclass(frozen=True)
class Rule:
    """`start` -(path)-> `end` implies `start -[implies]-> end`."""

    name: str
    path: tuple[Step, ...]
    implies: str
    start_type: EntityType
    end_type: EntityType
    description: str = ""

    def __post_init__(self) -> None:
        if not self.path:
            raise ValueError(f"rule {self.name!r} has an empty path")
        implied = relationship(self.implies)
        if not implied.inferred:
            raise ValueError(f"rule {self.name!r} implies {self.implies}, which is not an inferred relationship")
        if not implied.allows(self.start_type, self.end_type):
            raise ValueError(f"rule {self.name!r}: {self.start_type.value} {self.implies} "
                             f"{self.end_type.value} is not allowed by the vocabulary")

    @property
    def relations(self) -> frozenset[str]:
        return frozenset(step.rel for step in self.path)


def rule(name: str, start: EntityType, path: Sequence[tuple[str, Direction] | str], implies: str,
         end: EntityType, description: str = "") -> Rule:
    steps = tuple(Step(p) if isinstance(p, str) else Step(*p) for p in path)
    return Rule(name, steps, implies, start, end, description)


RULES: tuple[Rule, ...] = (
    rule("instance_tested_in_ab_test", E.MODEL_INSTANCE,
         ["PRODUCED_BY", "RAN_FOR", "CELL_OF"], "TESTED_IN", E.AB_TEST,
         "the instance's training run ran for a cell of the test"),
    rule("model_tested_in_ab_test", E.MODEL,
         [("INSTANCE_OF", "in"), "TESTED_IN"], "TESTED_IN", E.AB_TEST,
         "one of the model's instances is tested in the test"),
    rule("instance_trained_on_dataset", E.MODEL_INSTANCE,
         ["PRODUCED_BY", "RUN_OF", "READS"], "TRAINED_ON", E.DATASET,
         "the pipeline of the instance's training run reads the dataset"),
    rule("feature_used_by_model", E.FEATURE,
         [("USES_FEATURE", "in"), "INSTANCE_OF"], "USED_BY", E.MODEL,
         "some instance of the model uses the feature"),
)


def check_order(rules: Sequence[Rule]) -> None:
    """Every inferred relation a rule walks must be produced by an earlier rule (or none)."""
    produced: set[str] = set()
    names: set[str] = set()
    for r in rules:
        if r.name in names:
            raise ValueError(f"duplicate rule name {r.name!r}")
        names.add(r.name)
        for step in r.path:
            if RELATIONSHIPS[step.rel].inferred and step.rel not in produced:
                raise ValueError(f"rule {r.name!r} walks inferred {step.rel} before any rule produces it")
        produced.add(r.implies)


check_order(RULES)


INFERRED_COLUMNS = ("src", "rel", "dst", "src_type", "dst_type", "rule")


def apply_rule(edges: DataFrame, rule_: Rule) -> DataFrame:
    """The edges `rule_` implies, as joins over `edges` (src, rel, dst, src_type, dst_type).

    Each step turns the edges of its relation into (a, b) pairs in walking order; the path is a
    chain of equi-joins on b = a, then distinct (start, end) pairs of the declared end types.
    """
    from pyspark.sql import functions as F

    def hop(i: int, step: Step) -> DataFrame:
        rows = edges.where(F.col("rel") == step.rel)
        a, b = ("src", "dst") if step.direction == "out" else ("dst", "src")
        a_type, b_type = f"{a}_type", f"{b}_type"
        return rows.select(F.col(a).alias(f"n{i}"), F.col(b).alias(f"n{i + 1}"),
                           F.col(a_type).alias(f"t{i}"), F.col(b_type).alias(f"t{i + 1}"))

    first = hop(0, rule_.path[0]).where(F.col("t0") == rule_.start_type.value)
    walked = first.select("n0", "t0", "n1", "t1")
    for i, step in enumerate(rule_.path[1:], start=1):
        walked = walked.join(hop(i, step).drop(f"t{i}"), on=f"n{i}").select("n0", "t0", f"n{i + 1}", f"t{i + 1}")
    last = len(rule_.path)
    return (
        walked.where(F.col(f"t{last}") == rule_.end_type.value)
        .select(F.col("n0").alias("src"), F.lit(rule_.implies).alias("rel"), F.col(f"n{last}").alias("dst"),
                F.col("t0").alias("src_type"), F.col(f"t{last}").alias("dst_type"),
                F.lit(rule_.name).alias("rule"))
        .distinct()
    )


def infer(edges: DataFrame, rules: Sequence[Rule] = RULES) -> DataFrame:
    """All edges the rules imply from the active `edges`, one row per (src, rel, dst).

    Inferred relations in `edges` are ignored: they are recomputed here in rule order, so a
    rule chained on another sees this run's result. When two rules imply the same edge, the
    first rule's name is kept.
    """
    from pyspark.sql import functions as F
    from pyspark.sql import Window

    check_order(rules)
    inferred_rels = {r for r, spec in RELATIONSHIPS.items() if spec.inferred}
    base = edges.where(~F.col("rel").isin(*inferred_rels)).select("src", "rel", "dst", "src_type", "dst_type")
    walkable = base
    results: list[DataFrame] = []
    for order, r in enumerate(rules):
        implied = apply_rule(walkable, r).withColumn("_order", F.lit(order))
        results.append(implied)
        if any(r.implies in later.relations for later in rules[order + 1:]):
            walkable = walkable.unionByName(implied.select(*base.columns))
    if not results:
        return edges.sparkSession.createDataFrame([], "src string, rel string, dst string, src_type string, "
                                                      "dst_type string, rule string")
    union = results[0]
    for df in results[1:]:
        union = union.unionByName(df)
    first = Window.partitionBy("src", "rel", "dst").orderBy("_order")
    return (union.withColumn("_rank", F.row_number().over(first)).where("_rank = 1")
            .select(*INFERRED_COLUMNS))
