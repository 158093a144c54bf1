"""Body validation: every quarantine reason, SNS unwrapping and the dedup id (pure, no services)."""

import json
from datetime import datetime, timezone

import pytest

from spark_jobs.landing.parse import QUARANTINE_REASONS, ParsedEvent, Rejection, parse_message
from spark_jobs.providers.events import EVENT_SPECS


def sns(message: str, message_id: str = "sns-1", **extra) -> str:
    return json.dumps({"Type": "Notification", "MessageId": message_id, "Message": message,
                       "TopicArn": "arn:aws:sns:us-east-1:123456789012:t", **extra})


# (platform, body, expected reason): one case per reason, some reasons through an SNS envelope too
BAD = [
    ("registry", "not json at all", "not_json"),
    ("registry", "", "not_json"),
    ("registry", sns("{broken"), "not_json"),
    ("registry", "[1, 2]", "not_an_object"),
    ("registry", '"model_created"', "not_an_object"),
    ("registry", json.dumps({"Type": "Notification", "Message": "{}"}), "bad_sns_envelope"),
    ("registry", json.dumps({"Type": "Notification", "MessageId": "x", "Message": {"a": 1}}), "bad_sns_envelope"),
    ("registry", json.dumps({"model_id": "m1"}), "missing_event_type"),
    ("registry", json.dumps({"event_type": 7, "model_id": "m1"}), "missing_event_type"),
    ("registry", json.dumps({"event_type": "model_exploded", "model_id": "m1"}), "unknown_event_type"),
    ("registry", sns(json.dumps({"event_type": "nope", "model_id": "m1"})), "unknown_event_type"),
    ("registry", json.dumps({"event_type": "pipeline_created", "pipeline": "p"}), "wrong_source"),
    ("abtest", json.dumps({"event_type": "model_created", "model_id": "m"}), "wrong_source"),
    ("registry", json.dumps({"event_type": "model_created"}), "missing_id_field"),
    ("registry", json.dumps({"event_type": "model_created", "model_id": None}), "missing_id_field"),
    ("registry", json.dumps({"event_type": "model_created", "instance_id": "i"}), "missing_id_field"),
    ("registry", json.dumps({"event_type": "model_created", "model_id": ""}), "bad_id_field"),
    ("registry", json.dumps({"event_type": "model_created", "model_id": ["a"]}), "bad_id_field"),
    ("abtest", json.dumps({"event_type": "ab_test_created", "test_id": 1.5}), "bad_id_field"),
    ("abtest", json.dumps({"event_type": "ab_test_created", "test_id": True}), "bad_id_field"),
    ("openlineage", json.dumps({"eventType": "START", "eventTime": "2026-01-01T00:00:00Z"}), "not_openlineage"),
]


@pytest.mark.parametrize(("platform", "body", "reason"), BAD)
def test_bad_bodies_are_rejected_with_their_reason(platform, body, reason):
    verdict = parse_message(platform, "sqs-1", body)
    assert isinstance(verdict, Rejection)
    assert verdict.reason == reason
    assert verdict.detail


def test_every_reason_has_a_case():
    assert {r for _, _, r in BAD} == set(QUARANTINE_REASONS)


@pytest.mark.parametrize("spec", list(EVENT_SPECS.values()), ids=lambda s: s.event_type)
def test_every_declared_event_lands_on_its_own_queue(spec):
    body = json.dumps({"event_type": spec.event_type, spec.id_field: "a b/ü"})
    parsed = parse_message(spec.platform, "sqs-1", body)
    assert parsed == ParsedEvent("sqs-1", spec.event_type, spec.entity_type.value, "a b/ü", body)


def test_article_example_and_numeric_test_id():
    body = '{"event_type": "model_instance_created", "instance_id": "ranking-model-v5-20XX0101"}'
    parsed = parse_message("registry", "m-1", body)
    assert (parsed.entity_type, parsed.entity_key) == ("ModelInstance", "ranking-model-v5-20XX0101")
    parsed = parse_message("abtest", "m-2", '{"event_type": "ab_test_updated", "test_id": 12345}')
    assert parsed.entity_key == "12345"
    parsed = parse_message("abtest", "m-3", '{"event_type": "ab_test_updated", "test_id": 12345.0}')
    assert parsed.entity_key == "12345"


def test_sns_envelope_is_unwrapped_and_dedupes_by_sns_message_id():
    inner = json.dumps({"event_type": "feature_version_created", "feature_name": "f1", "version": 3})
    body = sns(inner, "sns-42", Timestamp="2026-01-02T03:04:05.678Z")
    parsed = parse_message("featurestore", "sqs-7", body)
    assert isinstance(parsed, ParsedEvent)
    assert parsed.dedup_id == "sns-42"  # not the SQS id: two SQS copies of one notification collapse
    assert parsed.body == inner  # the event itself is landed, not the envelope
    assert parsed.sns
    assert parsed.published_at == datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
    # same notification delivered as another SQS message: same dedup id
    assert parse_message("featurestore", "sqs-8", body).dedup_id == "sns-42"


def test_sns_without_timestamp_has_no_publish_bound():
    parsed = parse_message("identity", "q", sns(json.dumps({"event_type": "team_updated", "team": "t"})))
    assert parsed.sns and parsed.published_at is None


def test_an_event_that_has_a_type_field_is_not_an_envelope():
    body = json.dumps({"Type": "Notification", "event_type": "model_created", "model_id": "m"})
    parsed = parse_message("registry", "sqs-1", body)
    assert isinstance(parsed, ParsedEvent) and parsed.dedup_id == "sqs-1" and not parsed.sns
