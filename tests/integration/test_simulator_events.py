"""Thin events from a real simulator process to real moto queues: each mutation announces itself
on its own source's queue; event faults (drops, duplicates, reordering, SNS envelopes) show up
in what the queues actually hold."""

from __future__ import annotations

import json

import pytest

from infra.simulator.collections import COLLECTIONS

COLLECTION_PLATFORM = {name: spec.platform for name, spec in COLLECTIONS.items()}


def drain(queues, platform: str) -> list[str]:
    """Every body now on a source's queue, in receive order (deleted as read)."""
    bodies: list[str] = []
    empty = 0
    while empty < 2:
        response = queues.client.receive_message(QueueUrl=queues[platform], MaxNumberOfMessages=10,
                                                 WaitTimeSeconds=0)
        messages = response.get("Messages", [])
        empty = empty + 1 if not messages else 0
        bodies.extend(m["Body"] for m in messages)
        if messages:
            queues.client.delete_message_batch(QueueUrl=queues[platform], Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
    return bodies


def unwrap(body: str) -> dict:
    event = json.loads(body)
    if event.get("Type") == "Notification":
        return json.loads(event["Message"])
    return event


def test_mutations_emit_their_thin_event_to_their_own_queue(simulator_factory, sqs_queues):
    sim = simulator_factory(queues=sqs_queues, event_faults={"numeric_test_id_rate": 1.0})
    client = sim.client
    result = client.update("instances", "ranking-model-v5-20XX0101", {"status": "ARCHIVED"})
    assert result["events"] == [{"event_type": "model_instance_updated",
                                 "instance_id": "ranking-model-v5-20XX0101"}]
    client.update("tests", 12345, {"status": "COMPLETED"})
    client.create("datasets", {"name": "warehouse.new table/β", "produced_by": "weekly-ranking-trainer",
                               "latest_version": 1, "owner_emails": ["alice@example.com"]})
    client.delete("models", "ranking-v5")
    client.create("pipeline-runs", {"run_id": "manual run 1", "pipeline": "weekly-ranking-trainer",
                                    "status": "FAILED", "ab_test_cells": []})
    client.flush_events()
    received = {p: [json.loads(b) for b in drain(sqs_queues, p)] for p in sqs_queues}
    assert received["registry"] == [
        {"event_type": "model_instance_updated", "instance_id": "ranking-model-v5-20XX0101"},
        {"event_type": "model_deleted", "model_id": "ranking-v5"}]
    assert received["abtest"] == [{"event_type": "ab_test_updated", "test_id": 12345}]  # a JSON number
    assert received["datasets"] == [{"event_type": "dataset_created", "dataset": "warehouse.new table/β",
                                     "version": 1}]
    # the new dataset moved the producing pipeline's outputs: its source announces that too
    assert {"event_type": "pipeline_updated", "pipeline": "weekly-ranking-trainer"} in received["orchestrator"]
    assert {"event_type": "pipeline_run_failed", "run_id": "manual run 1"} in received["orchestrator"]
    assert received["featurestore"] == [] and received["identity"] == []
    # the mutated state is what the source now serves
    assert client.get_object("registry", "models", "ranking-v5") is None
    assert client.get_object("abtest", "tests", "12345")["status"] == "COMPLETED"
    assert client.get_object("datasets", "datasets", "warehouse.new table/β")["produced_by"] == \
        "weekly-ranking-trainer"


def test_bad_mutations_are_refused_and_emit_nothing(simulator_factory, sqs_queues):
    from infra.simulator.client import SimulatorError

    sim = simulator_factory(queues=sqs_queues, in_process=True)
    with pytest.raises(SimulatorError) as missing:
        sim.client.update("models", "no such model", {"name": "x"})
    assert missing.value.status == 404
    with pytest.raises(SimulatorError) as duplicate:
        sim.client.create("models", {"id": "ranking-v5"})
    assert duplicate.value.status == 409
    with pytest.raises(SimulatorError) as unknown:
        sim.client.mutate("create", "nothing", fields={"id": "x"})
    assert unknown.value.status == 400
    sim.client.flush_events()
    assert all(drain(sqs_queues, p) == [] for p in sqs_queues)


def test_event_faults_show_in_the_queues_at_their_rates(simulator_factory, sqs_queues):
    faults = {"drop_rate": 0.1, "duplicate_rate": 0.2, "sns_rate": 0.5}
    sim = simulator_factory(queues=sqs_queues, event_faults=faults)
    result = sim.client.emit_all(platforms=["orchestrator", "featurestore", "datasets"])
    emitted = result["emitted"]
    assert emitted == sum(sim.client.health()["counts"][c]
                          for c in ("pipelines", "pipeline-runs", "features", "datasets"))
    bodies = [b for p in ("orchestrator", "featurestore", "datasets") for b in drain(sqs_queues, p)]
    assert len(bodies) == emitted - result["dropped"] + result["duplicated"]
    assert 0.05 <= result["dropped"] / emitted <= 0.15
    assert 0.13 <= result["duplicated"] / (emitted - result["dropped"]) <= 0.27
    envelopes = [json.loads(b) for b in bodies if json.loads(b).get("Type") == "Notification"]
    assert 0.4 <= len(envelopes) / len(bodies) <= 0.6
    assert all(e["MessageId"] and json.loads(e["Message"])["event_type"] for e in envelopes)
    # a duplicate is the very same body (an SNS redelivery keeps its MessageId)
    counts: dict[str, int] = {}
    for body in bodies:
        counts[body] = counts.get(body, 0) + 1
    assert sum(n - 1 for n in counts.values()) == result["duplicated"]
    # what arrived is what the simulator logged as sent, and dropped events never arrive
    log = sim.client.events(limit=100_000)["log"]
    dropped = {json.dumps(e["event"], sort_keys=True) for e in log if e["dropped"]}
    arrived = {json.dumps(unwrap(b), sort_keys=True) for b in bodies}
    assert dropped and not dropped & arrived


def test_reordering_keeps_every_event_but_not_the_order(simulator_factory, sqs_queues):
    sim = simulator_factory(queues=sqs_queues, event_faults={"reorder_window": 10})
    names = [f"feature-{i:02d}" for i in range(30)]
    sim.client.mutate_many([{"op": "create", "collection": "features",
                             "fields": {"name": n, "latest_version": 1}} for n in names])
    sim.client.flush_events()
    received = [json.loads(b)["feature_name"] for b in drain(sqs_queues, "featurestore")]
    assert sorted(received) == names
    assert received != names
    # each window of 10 is shuffled within itself: order across windows holds
    assert [sorted(received[i:i + 10]) for i in range(0, 30, 10)] == [names[i:i + 10] for i in range(0, 30, 10)]


def test_churn_is_deterministic_and_every_change_reaches_its_queue(simulator_factory, sqs_queues):
    sim = simulator_factory(queues=sqs_queues, event_faults={"numeric_test_id_rate": 0.0})
    twin = simulator_factory(in_process=True)
    applied = sim.client.churn(25, seed=3)
    assert [(m["op"], m["collection"], m["id"]) for m in applied] == \
        [(m["op"], m["collection"], m["id"]) for m in twin.client.churn(25, seed=3)]
    assert len(applied) == 25 and {m["op"] for m in applied} == {"create", "update", "delete"}
    assert "ranking-model-v5-20XX0101" not in {m["id"] for m in applied}  # the example stays
    sim.client.flush_events()
    expected = sorted(json.dumps(e, sort_keys=True) for m in applied for e in m["events"])
    received = sorted(json.dumps(json.loads(b), sort_keys=True) for p in sqs_queues for b in drain(sqs_queues, p))
    assert received == expected
    deleted = {m["id"] for m in applied if m["op"] == "delete"}
    assert all(sim.client.get_object(COLLECTION_PLATFORM[m["collection"]], m["collection"], m["id"]) is None
               for m in applied if m["op"] == "delete") and deleted
