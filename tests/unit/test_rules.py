"""Inference rules are data: declarations are checked when made, chained in order, and each
compiles to the GraphFrames motif of its path; dependency directions follow the vocabulary."""

import pytest

from spark_jobs.graph import gf
from spark_jobs.graph.closure import impact_relations
from spark_jobs.graph.rules import RULES, Rule, Step, check_order, rule
from spark_jobs.model import RELATIONSHIPS, EntityType as E


def test_shipped_rules_cover_the_issue():
    implied = {(r.start_type, r.implies, r.end_type) for r in RULES}
    assert implied >= {
        (E.MODEL_INSTANCE, "TESTED_IN", E.AB_TEST),
        (E.MODEL, "TESTED_IN", E.AB_TEST),
        (E.MODEL_INSTANCE, "TRAINED_ON", E.DATASET),
        (E.FEATURE, "USED_BY", E.MODEL),
    }


def test_instance_tested_in_is_the_sources_md_path():
    tested = next(r for r in RULES if r.name == "instance_tested_in_ab_test")
    assert tested.path == (Step("PRODUCED_BY"), Step("RAN_FOR"), Step("CELL_OF"))


def test_a_rule_is_one_declaration_checked_against_the_vocabulary():
    added = rule("instance_tested_via_model", E.MODEL_INSTANCE, ["INSTANCE_OF", "TESTED_IN"],
                 "TESTED_IN", E.AB_TEST)
    check_order([*RULES, added])
    assert added.relations == {"INSTANCE_OF", "TESTED_IN"}
    with pytest.raises(ValueError, match="Dataset USED_BY Model is not allowed by the vocabulary"):
        rule("dataset_used_by_model", E.DATASET, [("DERIVED_FROM", "in"), ("USES_FEATURE", "in"), "INSTANCE_OF"],
             "USED_BY", E.MODEL)


def test_unknown_relation_fails_at_declaration():
    with pytest.raises(ValueError, match="unknown relationship 'RAN_FORR'"):
        rule("typo", E.MODEL_INSTANCE, ["PRODUCED_BY", "RAN_FORR"], "TESTED_IN", E.AB_TEST)


def test_implied_relation_must_be_an_inferred_one():
    with pytest.raises(ValueError, match="not an inferred relationship"):
        rule("bad", E.MODEL_INSTANCE, ["PRODUCED_BY", "RUN_OF"], "READS", E.PIPELINE)


def test_bad_direction_fails():
    with pytest.raises(ValueError, match="direction"):
        Step("READS", "sideways")  # type: ignore[arg-type]


def test_chained_rule_must_come_after_its_producer():
    model_rule = next(r for r in RULES if r.name == "model_tested_in_ab_test")
    instance_rule = next(r for r in RULES if r.name == "instance_tested_in_ab_test")
    with pytest.raises(ValueError, match="walks inferred TESTED_IN before any rule produces it"):
        check_order([model_rule, instance_rule])
    check_order([instance_rule, model_rule])


def test_duplicate_rule_names_fail():
    with pytest.raises(ValueError, match="duplicate rule name"):
        check_order([RULES[0], RULES[0]])


def test_motif_follows_each_steps_direction():
    model_rule = next(r for r in RULES if r.name == "model_tested_in_ab_test")
    assert gf.motif(model_rule) == "(n1)-[e0]->(n0); (n1)-[e1]->(n2)"
    tested = next(r for r in RULES if r.name == "instance_tested_in_ab_test")
    assert gf.motif(tested) == "(n0)-[e0]->(n1); (n1)-[e1]->(n2); (n2)-[e2]->(n3)"


def test_every_relation_with_an_impact_is_a_dependency_one_way():
    forward, backward = impact_relations()
    assert not set(forward) & set(backward)
    with_impact = {r for r, spec in RELATIONSHIPS.items() if spec.impact != "none"}
    assert set(forward) | set(backward) == with_impact
    # the article's directions: a dataset's change reaches the features derived from it and the
    # pipelines reading it; an instance's change reaches its model and the tests testing it
    assert {"DERIVED_FROM", "READS", "USES_FEATURE", "PRODUCED_BY", "RUN_OF", "TRAINED_ON"} <= set(backward)
    assert {"INSTANCE_OF", "CELL_OF", "RAN_FOR", "TESTED_IN", "USED_BY"} <= set(forward)
    assert "OWNED_BY" not in with_impact and "MEMBER_OF" not in with_impact


def test_rule_is_frozen_data():
    r = RULES[0]
    assert isinstance(r, Rule)
    with pytest.raises(AttributeError):
        r.name = "other"  # type: ignore[misc]
