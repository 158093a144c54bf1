"""Exactly-once effect under crashes and failing commits (real moto SQS, real Delta)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from spark_jobs import tables
from spark_jobs.landing import land
from spark_jobs.model import PLATFORMS
from tests.fixtures.landing_crash import SOURCES, CrashAt, land_and_crash, send_events
from tests.fixtures.sqs import event_bodies, landed

pytestmark = pytest.mark.integration
# The crashed run's messages come back after this; long enough that a run slowed by a loaded machine
# never sees its own messages again (a third receive would send them to the dead-letter queue).
CRASHED_VISIBILITY_S = 4
CRASHED_RUN = {"visibility_timeout_s": CRASHED_VISIBILITY_S, "wait_time_s": 0}


def land_until_empty(settings, sqs_queues, *, runs: int = 6, **options):
    """Rerun landing (as the next scheduled run would) until the queues are empty."""
    reports = []
    time.sleep(CRASHED_VISIBILITY_S + 0.1)
    for _ in range(runs):
        reports.append(land(settings, time_budget_s=20, sources=SOURCES, wait_time_s=0, **options))
        if not any(sqs_queues.depth(p) for p in SOURCES):
            return reports
    raise AssertionError(f"queues not empty after {runs} runs: {[r.as_metrics() for r in reports]}")


def test_crash_after_commit_before_delete_never_duplicates(sqs_queues, settings):
    settings = sqs_queues.settings(settings)
    sent = send_events(sqs_queues.send)
    land_and_crash(settings, CrashAt("after_commit"), **CRASHED_RUN)
    assert {r["message_id"] for r in landed(settings)} == set(sent)  # committed ...
    assert sum(sqs_queues.depth(p) for p in SOURCES) == len(sent)  # ... but not deleted

    reports = land_until_empty(settings, sqs_queues)

    rows = landed(settings)
    assert sorted(r["message_id"] for r in rows) == sorted(sent)  # no duplicate, nothing lost
    assert sum(r.duplicates for r in reports) == len(sent)
    assert sum(r.landed for r in reports) == 0
    assert reports[-1].events_version == 1  # the redelivery wrote no new version


def test_crash_before_commit_loses_nothing(sqs_queues, settings):
    settings = sqs_queues.settings(settings)
    sent = send_events(sqs_queues.send)
    land_and_crash(settings, CrashAt("before_commit"), **CRASHED_RUN)
    assert landed(settings) == []

    reports = land_until_empty(settings, sqs_queues)

    assert sorted(r["message_id"] for r in landed(settings)) == sorted(sent)
    assert sum(r.landed for r in reports) == len(sent)
    assert sum(r.duplicates for r in reports) == 0


def test_crash_in_a_later_round_keeps_earlier_rounds(sqs_queues, settings):
    settings = sqs_queues.settings(settings)
    sent = send_events(sqs_queues.send)
    rounds = land_and_crash(settings, CrashAt("after_commit", round=2), commit_size=20, **CRASHED_RUN).rounds
    assert len(landed(settings)) == sum(rounds) == 40
    assert sum(sqs_queues.depth(p) for p in SOURCES) == len(sent) - rounds[0]

    land_until_empty(settings, sqs_queues)
    assert sorted(r["message_id"] for r in landed(settings)) == sorted(sent)


def test_failing_commit_keeps_messages_and_they_end_in_the_dlq(sqs_queues, settings):
    """A real Delta failure (a corrupt commit in the log): nothing is deleted, the run reports
    it, and after maxReceiveCount failed runs SQS moves the messages to the DLQ: no loop."""
    settings = sqs_queues.settings(settings)
    sqs_queues.send("registry", event_bodies("registry", 1, prefix="ok"))
    assert land(settings, time_budget_s=20, sources=["registry"]).landed == 1
    log_dir = Path(tables.table("landing.events").path(settings)) / "_delta_log"
    corrupt = log_dir / f"{2:020d}.json"
    corrupt.write_text("this is not a delta commit\n")

    poison = sqs_queues.send("registry", event_bodies("registry", 3, prefix="poison"))
    failures = []
    for _ in range(sqs_queues.max_receive_count + 2):
        report = land(settings, time_budget_s=20, sources=["registry"], visibility_timeout_s=1,
                      wait_time_s=0)
        if report.received == 0:
            break
        assert report.stopped_by == "error" and "commit failed" in report.error
        assert report.sources["registry"].failed == report.received == 3
        assert report.sources["registry"].deleted == 0
        with pytest.raises(Exception, match="commit failed"):
            report.raise_for_errors()
        failures.append(report)
        time.sleep(1.1)
    assert len(failures) == sqs_queues.max_receive_count
    assert sqs_queues.depth("registry") == 0
    assert sqs_queues.depth("registry", dlq=True) == len(poison)

    corrupt.unlink()  # the operator repairs the table; the DLQ is redriven by hand
    assert [r["entity_key"] for r in landed(settings)] == ["ok-registry-0"]
    assert all(sqs_queues.depth(p) == 0 for p in PLATFORMS)
