"""The dedupe lookup on real Delta tables: partition pruning by the redelivery bound, the per-run
index, and that the bound is derived from SentTimestamp / the SNS publish time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pytest

from spark_jobs import tables
from spark_jobs.landing import drain, store
from spark_jobs.landing.parse import parse_message
from spark_jobs.landing.sqs import ReceivedMessage

pytestmark = pytest.mark.integration

NOW = datetime.now(timezone.utc)


def rows(ids_and_days: list[tuple[str, int]]) -> pa.Table:
    at = [NOW - timedelta(days=d) for _, d in ids_and_days]
    n = len(ids_and_days)
    return pa.table({
        "message_id": [i for i, _ in ids_and_days], "dedup_id": [i for i, _ in ids_and_days],
        "source": ["registry"] * n, "event_type": ["model_created"] * n, "entity_type": ["Model"] * n,
        "entity_key": ["m"] * n, "body": ["{}"] * n,
        "received_at": pa.array(at, pa.timestamp("us", tz="UTC")),
        "ingest_date": pa.array([a.date() for a in at], pa.date32()), "batch_id": ["b"] * n})


def test_lookup_reads_only_partitions_since_the_bound(settings):
    store.ensure_tables(settings)
    store.append(settings, store.EVENTS, rows([("old", 10), ("new", 0)]))
    store.append(settings, store.EVENTS, rows([("newer", 0)]))
    ids = ["old", "new", "newer", "unknown"]
    lookup = store.known_ids
    assert lookup(settings, store.EVENTS, "dedup_id", ids, since=NOW - timedelta(hours=1),
                  date_column="ingest_date") == {"new", "newer"}
    assert lookup(settings, store.EVENTS, "dedup_id", ids, since=NOW - timedelta(days=11),
                  date_column="ingest_date") == {"old", "new", "newer"}
    assert lookup(settings, store.EVENTS, "dedup_id", ids, since=None,
                  date_column="ingest_date") == {"old", "new", "newer"}

    index = store.KnownIds(settings)
    assert index.lookup(ids, since=NOW - timedelta(hours=1)) == {"new", "newer"}
    index.add(["landed-by-this-run"])
    assert index.lookup(["landed-by-this-run", "x"], since=NOW) == {"landed-by-this-run"}
    # an older bound than the loaded one falls back to a scan from that bound
    assert index.lookup(ids, since=NOW - timedelta(days=11)) == {"old", "new", "newer"}
    # and the tables written by delta-rs are the registry's tables
    assert tables.version(settings, store.EVENTS) == 2


def test_quarantine_lookup_prunes_on_received_at(settings):
    store.ensure_tables(settings)
    at = [NOW - timedelta(days=3), NOW]
    store.append(settings, store.QUARANTINE, pa.table({
        "message_id": ["q-old", "q-new"], "source": ["registry"] * 2, "body": ["x"] * 2,
        "reason": ["not_json"] * 2, "received_at": pa.array(at, pa.timestamp("us", tz="UTC")),
        "batch_id": ["b"] * 2}))
    found = store.known_ids(settings, store.QUARANTINE, "message_id", ["q-old", "q-new"],
                            since=NOW - timedelta(days=1), date_column="received_at")
    assert found == {"q-new"}


def test_redelivery_bound_comes_from_sent_and_publish_times():
    sent = NOW - timedelta(days=2)
    plain = ReceivedMessage("registry", "m1", "rh", '{"event_type": "model_created", "model_id": "a"}',
                            NOW, sent)
    parsed = parse_message("registry", "m1", plain.body)
    assert drain._landed_since(plain, parsed) == sent - drain.CLOCK_SKEW
    no_sent = ReceivedMessage("registry", "m2", "rh", plain.body, NOW, None)
    assert drain._landed_since(no_sent, parsed) == NOW - drain.REDELIVERY_HORIZON - drain.CLOCK_SKEW

    envelope = ('{"Type": "Notification", "MessageId": "s1", "Timestamp": "2020-01-01T00:00:00Z", '
                '"Message": "{\\"event_type\\": \\"model_created\\", \\"model_id\\": \\"a\\"}"}')
    sns = parse_message("registry", "m3", envelope)
    bound = drain._landed_since(ReceivedMessage("registry", "m3", "rh", envelope, NOW, sent), sns)
    assert bound == datetime(2020, 1, 1, tzinfo=timezone.utc) - drain.CLOCK_SKEW  # SNS published earlier
    untimed = parse_message("registry", "m4", envelope.replace('"Timestamp": "2020-01-01T00:00:00Z", ', ""))
    assert drain._landed_since(ReceivedMessage("registry", "m4", "rh", "", NOW, sent), untimed) is None
    assert drain._oldest([NOW, sent]) == sent and drain._oldest([NOW, None]) is None
