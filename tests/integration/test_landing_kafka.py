"""Kafka landing against a real broker (one per test session) and real Delta tables: the same
guarantees as SQS — dedupe, quarantine with the offset, offsets committed only after the Delta
commit (crash tests), repeated failure to the dead-letter topic, and both transports in one run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spark_jobs import tables
from spark_jobs.landing import land
from tests.fixtures.landing_crash import SOURCES, CrashAt, land_and_crash, send_events
from tests.fixtures.sqs import event_bodies, landed

pytestmark = pytest.mark.integration


def message_id(kafka_topics, source: str, offset: int) -> str:
    """The landing message id of a Kafka record: topic/partition/offset (the test topics have one partition)."""
    return f"kafka:{kafka_topics.topic(source)}/0/{offset}"


def via_kafka(kafka_topics):
    """A `send_events` sender: produce to the source's topic, return the landing message ids."""
    return lambda source, bodies: [message_id(kafka_topics, source, o) for o in kafka_topics.send(source, bodies)]


def test_events_land_with_dedupe_by_event_id_and_quarantine_with_offset(kafka_topics, settings):
    settings = kafka_topics.settings(settings)
    good = event_bodies("registry", 5)
    kafka_topics.send("registry", good[:3], event_ids=["ev-0", "ev-1", "ev-2"])
    kafka_topics.send("registry", [good[1]], event_ids=["ev-1"])  # a producer retry: same event id
    kafka_topics.send("registry", good[3:])  # no id of its own: topic/partition/offset
    [bad_offset] = kafka_topics.send("registry", ["{{not json"])
    kafka_topics.send("identity", [json.dumps({"event_type": "model_created", "model_id": "m"})])

    report = land(settings, time_budget_s=30, wait_time_s=1)

    assert (report.landed, report.duplicates, report.quarantined) == (5, 1, 2)
    assert report.stopped_by == "drained"
    rows = landed(settings)
    assert sorted(r["dedup_id"] for r in rows) == sorted(
        ["ev-0", "ev-1", "ev-2", *(message_id(kafka_topics, "registry", o) for o in (4, 5))])
    assert {r["source"] for r in rows} == {"registry"}
    quarantined = {r["reason"]: r for r in landed(settings, "landing.quarantine")}
    assert set(quarantined) == {"not_json", "wrong_source"}
    assert quarantined["not_json"]["message_id"] == message_id(kafka_topics, "registry", bad_offset)
    assert quarantined["not_json"]["body"] == "{{not json"
    # every offset committed after the commit: the next run finds nothing
    assert kafka_topics.committed("registry") == 7 and kafka_topics.committed("identity") == 1
    again = land(settings, time_budget_s=10, wait_time_s=1)
    assert (again.received, again.events_version) == (0, report.events_version)
    assert report.sources["registry"].deleted == 7  # acknowledged = offsets committed


def test_crash_after_commit_before_offset_commit_never_duplicates(kafka_topics, settings):
    settings = kafka_topics.settings(settings)
    sent = send_events(via_kafka(kafka_topics))
    land_and_crash(settings, CrashAt("after_commit"))
    assert {r["message_id"] for r in landed(settings)} == set(sent)  # committed to Delta ...
    assert all(kafka_topics.committed(p) == 0 for p in SOURCES)  # ... but no offset moved

    report = land(settings, time_budget_s=20, sources=SOURCES)

    assert sorted(r["message_id"] for r in landed(settings)) == sorted(sent)  # no duplicate, nothing lost
    assert (report.received, report.duplicates, report.landed) == (len(sent), len(sent), 0)
    assert report.total("redelivered") == len(sent)
    assert report.events_version == 1  # the redelivery wrote no new version
    assert all(kafka_topics.committed(p) == 25 for p in SOURCES)


def test_crash_before_commit_loses_nothing(kafka_topics, settings):
    settings = kafka_topics.settings(settings)
    sent = send_events(via_kafka(kafka_topics))
    land_and_crash(settings, CrashAt("before_commit"))
    assert landed(settings) == []

    report = land(settings, time_budget_s=20, sources=SOURCES)

    assert sorted(r["message_id"] for r in landed(settings)) == sorted(sent)
    assert (report.landed, report.duplicates) == (len(sent), 0)


def test_crash_in_a_later_round_keeps_earlier_rounds(kafka_topics, settings):
    settings = kafka_topics.settings(settings)
    sent = send_events(via_kafka(kafka_topics))
    rounds = land_and_crash(settings, CrashAt("after_commit", round=2), commit_size=20).rounds
    assert len(landed(settings)) == sum(rounds) == 40

    land(settings, time_budget_s=20, sources=SOURCES)
    assert sorted(r["message_id"] for r in landed(settings)) == sorted(sent)


def test_failing_commit_counts_deliveries_and_ends_in_the_dead_letter_topic(kafka_topics, settings):
    """A real Delta failure (a corrupt commit in the log): no offset moves, the run reports it,
    and after max_receive_count failed runs the messages go to the dead-letter topic: no loop."""
    settings = kafka_topics.settings(settings)
    kafka_topics.send("registry", event_bodies("registry", 1, prefix="ok"))
    assert land(settings, time_budget_s=20, sources=["registry"]).landed == 1
    log_dir = Path(tables.table("landing.events").path(settings)) / "_delta_log"
    corrupt = log_dir / f"{2:020d}.json"
    corrupt.write_text("this is not a delta commit\n")

    poison = event_bodies("registry", 3, prefix="poison")
    kafka_topics.send("registry", poison)
    failures = []
    for _ in range(kafka_topics.max_receive_count + 2):
        report = land(settings, time_budget_s=20, sources=["registry"])
        if report.total("dead_lettered"):
            break
        assert report.stopped_by == "error" and "commit failed" in report.error
        assert report.sources["registry"].failed == report.received == 3
        assert report.sources["registry"].deleted == 0
        failures.append(report)
    assert len(failures) == kafka_topics.max_receive_count
    assert report.sources["registry"].dead_lettered == 3 and report.landed == 0
    dead = kafka_topics.dead_letters(expect=3)
    assert [m.value().decode() for m in dead] == poison
    headers = dict(dead[0].headers())
    assert headers["mlg_source_topic"].decode() == kafka_topics.topic("registry")
    assert int(headers["mlg_receive_count"]) == kafka_topics.max_receive_count + 1
    assert kafka_topics.committed("registry") == 4  # past the dead letters: the next run is empty

    corrupt.unlink()  # the operator repairs the table; the dead letters are replayed by hand
    assert land(settings, time_budget_s=10, sources=["registry"]).received == 0
    assert [r["entity_key"] for r in landed(settings)] == ["ok-registry-0"]


def test_sqs_and_kafka_land_in_one_run(kafka_topics, sqs_queues, settings):
    settings = kafka_topics.settings(sqs_queues.settings(settings), transports=("sqs", "kafka"))
    from_sqs = dict(zip(sqs_queues.send("datasets", event_bodies("datasets", 4, prefix="sqs")),
                        event_bodies("datasets", 4, prefix="sqs")))
    kafka_topics.send("datasets", event_bodies("datasets", 3, prefix="kafka"))

    report = land(settings, time_budget_s=20, sources=["datasets"])

    assert (report.landed, report.rounds) == (7, 1)  # one round, one Delta commit for both
    keys = sorted(r["entity_key"] for r in landed(settings))
    assert keys == sorted([f"sqs-datasets-{i}" for i in range(4)] + [f"kafka-datasets-{i}" for i in range(3)])
    assert set(from_sqs) <= {r["message_id"] for r in landed(settings)}
    assert sqs_queues.depth("datasets") == 0 and kafka_topics.committed("datasets") == 3


def test_simulator_events_go_to_kafka_and_land(kafka_topics, simulator_factory, settings):
    """The simulator produces its thin events (with their own `ce_id`) to the source topics
    instead of SQS; a duplicated copy shares the id and lands once."""
    settings = kafka_topics.settings(settings)
    sim = simulator_factory(in_process=True, event_faults={"duplicate_rate": 1.0})
    sim.client.configure_events({"kafka_bootstrap": kafka_topics.bootstrap, "kafka_topics": kafka_topics.topics})
    sim.client.update("models", "ranking-v5", {"description": "new"})
    sim.client.flush_events()
    log = sim.client.events()["log"]
    assert log and all(e.get("kafka_offset") is not None for e in log)

    report = land(settings, time_budget_s=20)

    assert report.received == len(log) == 2 * report.landed and report.duplicates == report.landed
    rows = landed(settings)
    assert {r["dedup_id"] for r in rows} == {e["event_id"] for e in log}
    assert any(r["entity_key"] == "ranking-v5" for r in rows)


def test_mlg_up_with_kafka_transport_creates_the_topics_and_down_stops_the_broker(tmp_path):
    """`mlg up --transport kafka`: its own broker, one topic per source + dead-letter +
    openlineage, the backfill produced there (not to SQS), `mlg land` finds it all through
    the state file, `mlg down` stops the broker by pid."""
    from confluent_kafka.admin import AdminClient

    from infra import stack
    from spark_jobs.landing.kafka import landing_topics
    from infra.simulator.client import SimulatorClient
    from spark_jobs.config import Settings

    state_dir = tmp_path / "state"
    settings = Settings.load(env={"MLG_STATE_DIR": str(state_dir), "MLG_LAKEHOUSE": str(tmp_path / "lake")},
                             config_file="/nonexistent.toml")
    try:
        state = stack.up(settings, transport="kafka", emit_events=True)
        assert state.transport == "kafka" and "kafka" in state.services
        found = Settings.load(env={"MLG_STATE_DIR": str(state_dir), "MLG_LAKEHOUSE": str(tmp_path / "lake")},
                              config_file="/nonexistent.toml")
        assert found.kafka_bootstrap == state.service_settings["kafka_bootstrap"]
        assert found.transports() == ("sqs", "kafka")
        topics = AdminClient({"bootstrap.servers": found.kafka_bootstrap}).list_topics(timeout=10).topics
        assert set(landing_topics(found)) <= set(topics)
        assert {"mlg-registry", "mlg-dead-letter", "openlineage"} <= set(topics)

        emitted = SimulatorClient(state.simulator.url).events()["counters"]
        report = land(found, time_budget_s=60)
        assert report.landed == report.received == emitted["kafka_sent"] > 0
        assert emitted["sent"] == 0 and report.sources["openlineage"].received == 0
        assert all(m.error is None for m in report.sources.values())
        from infra.sqs import local_client, queue_depth

        client = local_client(state.sqs_endpoint_url)
        assert all(queue_depth(client, url) == 0 for url in state.queues.values())  # nothing went to SQS
        pid = state.services["kafka"].pid
    finally:
        lines = stack.down(settings)
    assert any(line.startswith("kafka: stopped pid") for line in lines)
    assert not stack.pid_alive(pid)
