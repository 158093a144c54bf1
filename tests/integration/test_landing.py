"""Landing against the real moto SQS server and real Delta tables: volume, duplicates,
reordering, SNS envelopes and quarantine."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from spark_jobs import tables
from spark_jobs.landing import QUARANTINE_REASONS, land
from spark_jobs.model import PLATFORMS
from tests.fixtures.sqs import event_bodies, landed

pytestmark = pytest.mark.integration


def sns(event: dict, message_id: str, timestamp: str = "2026-01-01T00:00:00.000Z") -> str:
    return json.dumps({"Type": "Notification", "MessageId": message_id, "Message": json.dumps(event),
                       "TopicArn": "arn:aws:sns:us-east-1:000000000000:mlg", "Timestamp": timestamp})


@pytest.mark.slow
def test_ten_thousand_events_across_six_queues_land_exactly(sqs_queues, settings, spark):
    """10,000 events land as exactly the expected rows, one Delta commit per round.

    moto's receive cost grows with queue depth (it recounts the whole queue for every message it
    returns), so the producer keeps each queue about 40 deep (sending, after each round, what the
    round took) and rounds hold 200 messages; the default 500 is measured in bench/bench_landing.py.
    """
    settings = sqs_queues.settings(settings)
    per_source = {p: event_bodies(p, 10_000 // len(PLATFORMS) + (i < 10_000 % len(PLATFORMS)))
                  for i, p in enumerate(PLATFORMS)}
    assert sum(map(len, per_source.values())) == 10_000
    pending = {p: list(b) for p, b in per_source.items()}
    sent: dict[str, str] = {}  # SQS message id -> body

    def send(platform: str, n: int) -> None:
        chunk, pending[platform] = pending[platform][:n], pending[platform][n:]
        if chunk:
            sent.update(zip(sqs_queues.send(platform, chunk), chunk))

    for p in PLATFORMS:
        send(p, 40)

    def replenish(point, messages):
        if point == "after_delete":
            for platform, n in Counter(m.platform for m in messages).items():
                send(platform, n)

    reports = [land(settings, time_budget_s=150, commit_size=200, commit_interval_s=60,
                    crash_hook=replenish)]
    while any(pending.values()) or any(sqs_queues.depth(p) for p in PLATFORMS):
        assert len(reports) < 4, [r.as_metrics() for r in reports]
        reports.append(land(settings, time_budget_s=60, commit_size=200, commit_interval_s=60,
                            crash_hook=replenish))
    assert len(sent) == 10_000

    assert sum(r.landed for r in reports) == 10_000
    assert sum(r.received for r in reports) == 10_000
    assert sum(r.duplicates + r.quarantined for r in reports) == 0
    # one Delta commit per round of up to 200 messages, not one per receive call (1,000 of them);
    # rounds shrink only at the end, when the queues run dry
    rounds = sum(r.rounds for r in reports)
    assert sum(r.commits for r in reports) == rounds == reports[-1].events_version  # v0 = create
    assert rounds <= 10_000 // 200 + 10

    # read back through the engine the build stages use
    tables.register(spark, settings, ["landing.events"])
    rows = tables.read(spark, settings, "landing.events").select(
        "message_id", "dedup_id", "source", "event_type", "entity_type", "entity_key", "body",
        "ingest_date").collect()
    assert len(rows) == 10_000
    expected = {}
    for message_id, body in sent.items():
        event = json.loads(body)
        key = next(v for k, v in event.items() if k != "event_type")
        expected[message_id] = (message_id, event["event_type"], key, body)
    got = {r.message_id: (r.dedup_id, r.event_type, r.entity_key, r.body) for r in rows}
    assert got == expected
    by_source = Counter(r.source for r in rows)
    assert by_source == {p: len(b) for p, b in per_source.items()}
    assert all(r.ingest_date is not None and r.entity_type for r in rows)


def test_duplicates_reordering_and_sns_envelopes(sqs_queues, settings):
    settings = sqs_queues.settings(settings)
    events = [{"event_type": "model_updated", "model_id": f"m{i}"} for i in range(30)]
    bodies = [json.dumps(e) for e in events]
    # the same body sent twice is two SQS messages: two events (hydration coalesces them)
    resent = bodies[:5]
    # one SNS notification delivered as three SQS messages lands once
    enveloped = [sns({"event_type": "model_created", "model_id": "s1"}, "sns-1")] * 3
    enveloped += [sns({"event_type": "model_instance_created",
                       "instance_id": "ranking-model-v5-20XX0101"}, "sns-2")]
    order = bodies + resent + enveloped
    random.Random(7).shuffle(order)
    sqs_queues.send("registry", order)
    sqs_queues.send("abtest", [json.dumps({"event_type": "ab_test_updated", "test_id": 12345})])

    report = land(settings, time_budget_s=30)

    assert report.sources["registry"].received == len(order)
    assert report.sources["registry"].duplicates == 2
    assert report.landed == 30 + 5 + 2 + 1
    rows = landed(settings)
    assert Counter(r["dedup_id"] for r in rows)["sns-1"] == 1
    by_dedup = {r["dedup_id"]: r for r in rows}
    assert json.loads(by_dedup["sns-2"]["body"]) == {"event_type": "model_instance_created",
                                                     "instance_id": "ranking-model-v5-20XX0101"}
    assert by_dedup["sns-2"]["entity_type"] == "ModelInstance"
    assert Counter(r["entity_key"] for r in rows if r["source"] == "registry")["m0"] == 2
    assert [r["entity_key"] for r in rows if r["source"] == "abtest"] == ["12345"]
    assert all(sqs_queues.depth(p) == 0 for p in PLATFORMS)

    # the same notification arriving again in a later run is still a duplicate
    sqs_queues.send("registry", [enveloped[0]])
    again = land(settings, time_budget_s=30)
    assert (again.landed, again.duplicates) == (0, 1)
    assert again.events_version == report.events_version  # nothing new: no Delta version
    assert len(landed(settings)) == len(rows)


def test_every_quarantine_reason_is_kept_and_deleted(sqs_queues, settings):
    settings = sqs_queues.settings(settings)
    bad = {
        "not_json": ("registry", "{{not json"),
        "not_an_object": ("registry", "[1, 2, 3]"),
        "bad_sns_envelope": ("registry", json.dumps({"Type": "Notification", "Message": "{}"})),
        "missing_event_type": ("orchestrator", json.dumps({"run_id": "r1"})),
        "unknown_event_type": ("orchestrator", json.dumps({"event_type": "run_exploded", "run_id": "r"})),
        "wrong_source": ("datasets", json.dumps({"event_type": "model_created", "model_id": "m"})),
        "missing_id_field": ("identity", json.dumps({"event_type": "user_updated", "name": "x"})),
        "bad_id_field": ("featurestore", json.dumps({"event_type": "feature_created", "feature_name": ""})),
    }
    # every reason an SQS body can get (OpenLineage's own is tested in tests/integration/test_openlineage.py)
    assert set(bad) == set(QUARANTINE_REASONS) - {"not_openlineage"}
    for platform, body in bad.values():
        sqs_queues.send(platform, [body])
    sqs_queues.send("identity", [json.dumps({"event_type": "team_updated", "team": "search"})])

    report = land(settings, time_budget_s=30)

    assert report.quarantined == len(bad)
    assert report.landed == 1
    assert sum((m.reasons for m in report.sources.values()), Counter()) == Counter(dict.fromkeys(bad, 1))
    rows = landed(settings, "landing.quarantine")
    assert {r["reason"]: (r["source"], r["body"]) for r in rows} == bad
    assert all(r["received_at"] and r["batch_id"] and r["message_id"] for r in rows)
    # deleted from the queues and nothing in the DLQs: no poison loop
    assert all(sqs_queues.depth(p) == 0 and sqs_queues.depth(p, dlq=True) == 0 for p in PLATFORMS)


def test_empty_queues_create_nothing(sqs_queues, settings):
    settings = sqs_queues.settings(settings)
    report = land(settings, time_budget_s=10, sources=["registry", "abtest"])
    assert (report.received, report.stopped_by, report.events_version) == (0, "drained", None)
    assert not tables.exists(settings, "landing.events")


def test_max_messages_bounds_the_run(sqs_queues, settings):
    settings = sqs_queues.settings(settings)
    sqs_queues.send("datasets", event_bodies("datasets", 35))
    first = land(settings, max_messages=12, time_budget_s=30, sources=["datasets"])
    assert (first.received, first.landed, first.stopped_by) == (12, 12, "max_messages")
    rest = land(settings, time_budget_s=30, sources=["datasets"])
    assert (rest.received, rest.landed) == (23, 23)
    assert len({r["message_id"] for r in landed(settings)}) == 35


def test_spark_writer_lands_the_same_rows(sqs_queues, settings, spark):
    """writer='spark' (for engines whose lakehouse this process cannot write) gives the same table."""
    settings = sqs_queues.settings(settings)
    sent = dict(zip(sqs_queues.send("abtest", event_bodies("abtest", 12) + ["{}"]),
                    event_bodies("abtest", 12) + ["{}"]))
    report = land(settings, time_budget_s=30, sources=["abtest"], writer="spark", spark=spark)
    assert (report.landed, report.quarantined, report.commits) == (12, 1, 2)
    rows = landed(settings)
    assert {r["message_id"]: r["body"] for r in rows} == {k: v for k, v in sent.items() if v != "{}"}
    assert [r["reason"] for r in landed(settings, "landing.quarantine")] == ["missing_event_type"]
    # and a delta-rs run appends to the table the Spark writer created
    sqs_queues.send("abtest", [sent[rows[0]["message_id"]]])
    assert land(settings, time_budget_s=30, sources=["abtest"]).landed == 1
