import pytest

from spark_jobs.model import PLATFORMS, RELATIONSHIPS, EntityType, relationship
from spark_jobs.providers.events import EVENT_SPECS, entity_key


def test_every_entity_type_matches_the_architecture_table():
    expected = {
        "Model": ("model", "registry"), "ModelInstance": ("model-instance", "registry"),
        "Pipeline": ("pipeline", "orchestrator"), "PipelineRun": ("pipeline-run", "orchestrator"),
        "Feature": ("feature", "featurestore"), "Dataset": ("dataset", "datasets"),
        "AbTest": ("ab-test", "abtest"), "AbTestCell": ("ab-test-cell", "abtest"),
        "User": ("user", "identity"), "Team": ("team", "identity"),
    }
    assert {t.value: (t.component, t.platform) for t in EntityType} == expected
    assert {t.platform for t in EntityType} == set(PLATFORMS)


@pytest.mark.parametrize("entity_type", list(EntityType))
def test_uri_identifies_its_entity_type(entity_type):
    assert EntityType.of_uri(entity_type.uri("x/y")) is entity_type


def test_impact_follows_dependency_meaning():
    # a dataset change reaches features derived from it; a feature change reaches instances
    assert relationship("DERIVED_FROM").impact == "src_depends_on_dst"
    assert relationship("USES_FEATURE").impact == "src_depends_on_dst"
    # an instance change reaches its model and the A/B tests testing it
    assert relationship("INSTANCE_OF").impact == "dst_depends_on_src"
    assert relationship("TESTED_IN").impact == "dst_depends_on_src"
    assert relationship("OWNED_BY").impact == "none"


def test_relationships_constrain_entity_types():
    rel = relationship("INSTANCE_OF")
    assert rel.allows(EntityType.MODEL_INSTANCE, EntityType.MODEL)
    assert not rel.allows(EntityType.MODEL, EntityType.MODEL_INSTANCE)
    assert relationship("OWNED_BY").allows(EntityType.DATASET, EntityType.TEAM)
    assert not relationship("OWNED_BY").allows(EntityType.USER, EntityType.TEAM)
    assert {r for r, v in RELATIONSHIPS.items() if v.inferred} >= {"TESTED_IN", "TRAINED_ON", "USED_BY"}
    with pytest.raises(ValueError, match="unknown relationship 'NOPE'"):
        relationship("NOPE")


def test_event_specs_cover_every_platform():
    assert {s.platform for s in EVENT_SPECS.values()} == set(PLATFORMS)
    assert EVENT_SPECS["model_instance_created"].id_field == "instance_id"


@pytest.mark.parametrize(("raw", "key"), [(12345, "12345"), ("12345", "12345"), (12345.0, "12345"),
                                          (1.5, None), (True, None), ("", None), ("  ", None),
                                          ({"a": 1}, None), (None, None), ("a/b", "a/b")])
def test_entity_key_normalises_ids(raw, key):
    assert entity_key(raw) == key
