"""Events emitted by the simulator's event sink (with its duplicate, SNS, reorder and drop
faults) land once per delivery: SNS redeliveries collapse, dropped events never appear."""

from __future__ import annotations

import json

import pytest

from spark_jobs.landing import land
from spark_jobs.model import PLATFORMS
from tests.fixtures.sqs import event_bodies, landed

pytestmark = pytest.mark.integration


def test_simulator_events_with_faults_land_once_per_delivery(sqs_queues, settings):
    from infra.simulator.events import EventFaults, EventSink

    settings = sqs_queues.settings(settings)
    faults = EventFaults(duplicate_rate=0.3, sns_rate=0.5, reorder_window=5, drop_rate=0.1)
    sink = EventSink(seed=11, queues=dict(sqs_queues), endpoint_url=sqs_queues.endpoint_url, faults=faults)
    try:
        sink.emit_many((p, json.loads(b)) for p in PLATFORMS for b in event_bodies(p, 30, prefix="sim"))
    finally:
        sink.close()
    log = sink.entries()
    assert sink.counters["send_failed"] == 0
    sent = [e for e in log if e["sent"]]
    # the faults did happen, so the test means something
    assert sink.counters["dropped"] and sink.counters["sns_wrapped"]
    assert any(e["duplicate"] and e["body"].startswith('{"Type"') for e in sent)
    assert any(e["duplicate"] and not e["body"].startswith('{"Type"') for e in sent)

    report = land(settings, time_budget_s=60)

    def dedup_id(entry):
        body = json.loads(entry["body"])
        return body["MessageId"] if body.get("Type") == "Notification" else entry["sqs_message_id"]

    expected = {dedup_id(e) for e in sent}
    rows = landed(settings)
    assert len(rows) == len(expected) == report.landed
    assert {r["dedup_id"] for r in rows} == expected
    assert report.received == len(sent)
    assert report.duplicates == len(sent) - len(expected)  # exactly the SNS redeliveries
    assert report.quarantined == 0
    dropped = {json.dumps(e["event"], sort_keys=True) for e in log if e["dropped"]}
    landed_events = {json.dumps(json.loads(r["body"]), sort_keys=True) for r in rows}
    assert dropped and not dropped & landed_events
