"""Drain the landing zones (SQS queues, Kafka topics: `landing.transport`) into `landing.events`
with an exactly-once effect.

A run works in commit rounds. A round receives from every configured transport (SQS: one thread
per queue, 10 messages per call, long polling; Kafka: one consumer-group member over the source
topics) until it holds `commit_size` messages (default 500), `commit_interval_s` (default 5 s)
has passed, the run's message count or time budget is used up, or every zone answered with
nothing. Then it validates the bodies, appends the new events to `landing.events` and the
rejected bodies to `landing.quarantine` (one Delta commit per table per round), and only then
acknowledges the round's messages (SQS: delete; Kafka: commit the offsets). 500 messages / 5 s
keeps the Delta log short (a drain of 10,000 messages is 20 versions, not 1,000) while bounding
what a crash has to redeliver and how long messages stay invisible to other consumers.

Why this is exactly-once over at-least-once delivery:
- a crash before the commit writes nothing; the messages are handed out again (SQS after the
  visibility timeout, Kafka from the group's last committed offset);
- a crash after the commit and before the acknowledgement redelivers messages whose dedup id
  (SNS MessageId, else the producer's event id, else SQS MessageId / Kafka topic/partition/offset)
  is already in the table: the lookup drops them, the acknowledgement then removes them;
- duplicates within one round (SNS fan-out, an in-run redelivery) keep their first copy;
- a commit that fails leaves the round's messages unacknowledged; a message that keeps failing is
  moved to the dead-letter queue (by SQS after maxReceiveCount; by the Kafka transport after
  `kafka_max_receive_count` deliveries), so it never loops.
Two `land` runs at the same time are not supported (each could land a message the other has
not committed yet); Airflow runs the landing task with max_active_runs=1.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from spark_jobs import tables
from spark_jobs.config import Settings
from spark_jobs.errors import UsageError
from spark_jobs.landing import store
from spark_jobs.landing.parse import ParsedEvent, Rejection, parse_message
from spark_jobs.landing.report import LandingReport, SourceMetrics
from spark_jobs.landing.transport import OPENLINEAGE, ReceivedMessage, open_transports
from spark_jobs.model import PLATFORMS

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

DEFAULT_COMMIT_SIZE = 500
DEFAULT_COMMIT_INTERVAL_S = 5.0
# Our clock (received_at) against SQS's / SNS's clocks (SentTimestamp, Timestamp).
CLOCK_SKEW = timedelta(hours=1)
# Without a SentTimestamp, a message can still be redelivered up to SQS's longest retention.
REDELIVERY_HORIZON = timedelta(days=15)
# Time for the commit and the deletes after a round's receive window; the visibility timeout
# must outlast both or another consumer would see the messages while this run still holds them.
COMMIT_MARGIN_S = 60

CrashPoint = Literal["before_commit", "after_commit", "after_delete"]


CrashHook = Callable[[CrashPoint, Sequence[ReceivedMessage]], None]


def land(
    settings: Settings,
    *,
    max_messages: int | None = None,
    time_budget_s: float = 60.0,
    sources: Sequence[str] | None = None,
    crash_hook: CrashHook | None = None,
    commit_size: int = DEFAULT_COMMIT_SIZE,
    commit_interval_s: float = DEFAULT_COMMIT_INTERVAL_S,
    wait_time_s: int = 1,
    visibility_timeout_s: int | None = None,
    writer: store.Writer = "delta-rs",
    spark: SparkSession | None = None,
) -> LandingReport:
    """Drain the configured landing zones into `landing.events` (bad bodies into `landing.quarantine`).

    Stops at `max_messages` received (None: no count limit), when `time_budget_s` has passed
    (the commit and deletes of what was received still run), when a round got nothing from any
    queue (each answered a poll with nothing), or when a commit fails (its messages stay in
    their queues; the report says why and `raise_for_errors()` turns it into an MlgError).
    `crash_hook(point, messages)` is called before the commit, after it and after the delete
    of every round: tests raise from it to simulate a crash at that point.
    `visibility_timeout_s` defaults to `commit_interval_s` + 60 s.
    """
    platforms = _check_sources(sources, settings)
    if (max_messages is not None and max_messages < 1) or time_budget_s <= 0:
        raise UsageError("max_messages and the time budget must be positive")
    if commit_size < 1 or commit_interval_s <= 0:
        raise UsageError("commit_size and commit_interval_s must be positive")
    if not 0 <= wait_time_s <= 20:
        raise UsageError("wait_time_s must be between 0 and 20 (SQS long-poll limit)")
    if writer not in ("delta-rs", "spark"):
        raise UsageError(f"unknown writer {writer!r}: delta-rs or spark")
    visibility = visibility_timeout_s if visibility_timeout_s is not None else \
        min(43_200, int(commit_interval_s) + COMMIT_MARGIN_S)

    started = time.perf_counter()
    deadline = started + time_budget_s
    report = LandingReport({p: SourceMetrics() for p in platforms})
    remaining = max_messages
    known = store.KnownIds(settings)  # dedup ids landed since the first round's bound, kept for the run
    open_tables: dict[str, Any] = {}  # DeltaTables kept loaded between rounds (delta-rs writer)

    with ExitStack() as stack:
        transports = open_transports(settings, platforms, wait_time_s=wait_time_s,
                                     visibility_timeout_s=visibility)
        for transport in transports:
            stack.callback(transport.close)
        session, ready = spark, False
        while True:
            quota = commit_size if remaining is None else min(commit_size, remaining)
            window_end = min(deadline, time.perf_counter() + commit_interval_s)
            received = []
            for transport in transports:
                if len(received) < quota:
                    received += transport.receive(report, quota=quota - len(received), deadline=window_end)
            if remaining is not None:
                remaining -= len(received)
            if received:
                if not ready:  # nothing is created (and no Spark started) when every queue is empty
                    session = _prepare(settings, writer, session, stack)
                    ready = True
                if crash_hook:
                    crash_hook("before_commit", received)
                try:
                    _commit_round(settings, received, report, writer=writer, spark=session, known=known,
                                  open_tables=open_tables)
                except Exception as exc:  # noqa: BLE001 - the messages stay queued; reported, not lost
                    log.error("landing: commit failed, %d message(s) left unacknowledged: %s",
                              len(received), exc)
                    log.debug("landing: commit failure", exc_info=True)
                    report.error = f"commit failed: {exc}".splitlines()[0][:500]
                    for m in received:
                        report.sources[m.platform].failed += 1
                    report.stopped_by = "error"
                    break
                if crash_hook:
                    crash_hook("after_commit", received)
                for transport in transports:
                    transport.acknowledge([m for m in received if m.transport == transport.name], report)
                report.rounds += 1
                if crash_hook:
                    crash_hook("after_delete", received)
            if not received or all(m.error for m in report.sources.values()):
                report.stopped_by = "drained"  # every zone answered with nothing
                break
            if remaining is not None and remaining <= 0:
                report.stopped_by = "max_messages"
                break
            if time.perf_counter() >= deadline:
                report.stopped_by = "time_budget"
                break
    report.events_version = _version(settings, store.EVENTS)
    report.quarantine_version = _version(settings, store.QUARANTINE)
    report.seconds = time.perf_counter() - started
    log.info("landing: %s", report.as_metrics())
    return report


def _version(settings: Settings, name: str) -> int | None:
    try:
        return tables.version(settings, name)
    except Exception:  # noqa: BLE001 - an unreadable table is already reported as the commit error
        return None


def landing_sources(settings: Settings) -> tuple[str, ...]:
    """The sources landing can drain: every platform, and OpenLineage where Kafka is configured
    (its other way in is `POST /api/v1/lineage`, which lands directly)."""
    return (*PLATFORMS, OPENLINEAGE) if "kafka" in settings.transports() else PLATFORMS


def _check_sources(sources: Iterable[str] | None, settings: Settings) -> list[str]:
    known = landing_sources(settings)
    chosen = list(sources) if sources else list(known)
    unknown = sorted(set(chosen) - set(known))
    if unknown == [OPENLINEAGE]:
        raise UsageError("the openlineage source lands from Kafka: set MLG_KAFKA_BOOTSTRAP "
                         "(or `mlg up --transport kafka`); over HTTP it lands through `mlg serve`")
    if unknown:
        raise UsageError(f"unknown source(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return list(dict.fromkeys(chosen))


def _prepare(settings: Settings, writer: store.Writer, session: Any, stack: ExitStack) -> Any:
    if writer == "delta-rs":
        store.ensure_tables(settings)
        return session
    if session is None:
        from spark_jobs.session import spark_session

        session = stack.enter_context(spark_session(settings))
    tables.register(session, settings, store.LANDING_TABLES)
    return session


def _landed_since(message: ReceivedMessage, parsed: ParsedEvent | None) -> datetime | None:
    """The earliest time an earlier copy of this message's event can have been landed (None: any)."""
    bound = message.sent_at or message.received_at - REDELIVERY_HORIZON
    if parsed is not None and parsed.sns:
        if parsed.published_at is None:
            return None  # SNS may redeliver for weeks; without its Timestamp look everywhere
        bound = min(bound, parsed.published_at)
    return bound - CLOCK_SKEW


def _commit_round(settings: Settings, received: list[ReceivedMessage], report: LandingReport, *,
                  writer: store.Writer, spark: Any, known: store.KnownIds | None = None,
                  open_tables: dict[str, Any] | None = None) -> None:
    """Validate, dedupe and append one round: one commit per landing table, none if all known."""
    import pyarrow as pa

    t0 = time.perf_counter()
    batch_id = uuid.uuid4().hex
    events: dict[str, tuple[ReceivedMessage, ParsedEvent]] = {}
    rejected: dict[str, tuple[ReceivedMessage, Rejection]] = {}
    for message in received:
        metrics = report.sources[message.platform]
        parsed = parse_message(message.platform, message.message_id, message.body, event_id=message.event_id)
        if isinstance(parsed, Rejection):
            if message.message_id in rejected:
                metrics.duplicates += 1
            else:
                rejected[message.message_id] = (message, parsed)
        elif parsed.dedup_id in events:
            metrics.duplicates += 1
        else:
            events[parsed.dedup_id] = (message, parsed)
    t1 = time.perf_counter()
    report.timings["parse_s"] += t1 - t0

    since = _oldest(_landed_since(m, p) for m, p in events.values())
    known_events = known.lookup(list(events), since=since) if known is not None else \
        store.known_ids(settings, store.EVENTS, "dedup_id", list(events), since=since,
                        date_column="ingest_date")
    known_rejects = store.known_ids(settings, store.QUARANTINE, "message_id", list(rejected),
                                    since=_oldest(_landed_since(m, None) for m, _ in rejected.values()),
                                    date_column="received_at")
    t2 = time.perf_counter()
    report.timings["dedup_s"] += t2 - t1

    new_events = [(m, p) for d, (m, p) in events.items() if d not in known_events]
    new_rejects = [(m, r) for i, (m, r) in rejected.items() if i not in known_rejects]
    for d in known_events:
        report.sources[events[d][0].platform].duplicates += 1
    for i in known_rejects:
        report.sources[rejected[i][0].platform].duplicates += 1

    ts = pa.timestamp("us", tz="UTC")
    if new_events:
        rows = pa.table({
            "message_id": [m.message_id for m, _ in new_events],
            "dedup_id": [p.dedup_id for _, p in new_events],
            "source": [m.platform for m, _ in new_events],
            "event_type": [p.event_type for _, p in new_events],
            "entity_type": [p.entity_type for _, p in new_events],
            "entity_key": [p.entity_key for _, p in new_events],
            "body": [p.body for _, p in new_events],
            "received_at": pa.array([m.received_at for m, _ in new_events], ts),
            "ingest_date": pa.array([m.received_at.date() for m, _ in new_events], pa.date32()),
            "batch_id": [batch_id] * len(new_events),
        })
        store.append(settings, store.EVENTS, rows, writer=writer, spark=spark, batch_id=batch_id,
                     open_tables=open_tables)
        report.commits += 1
        if known is not None:
            known.add([p.dedup_id for _, p in new_events])
        for m, _ in new_events:
            report.sources[m.platform].landed += 1
    if new_rejects:
        rows = pa.table({
            "message_id": [m.message_id for m, _ in new_rejects],
            "source": [m.platform for m, _ in new_rejects],
            "body": [m.body for m, _ in new_rejects],
            "reason": [r.reason for _, r in new_rejects],
            "received_at": pa.array([m.received_at for m, _ in new_rejects], ts),
            "batch_id": [batch_id] * len(new_rejects),
        })
        store.append(settings, store.QUARANTINE, rows, writer=writer, spark=spark, batch_id=batch_id,
                     open_tables=open_tables)
        report.commits += 1
        for m, r in new_rejects:
            report.sources[m.platform].quarantined += 1
            report.sources[m.platform].reasons[r.reason] += 1
        log.warning("landing: quarantined %d message(s): %s", len(new_rejects),
                    dict(Counter(r.reason for _, r in new_rejects)))
    report.timings["write_s"] += time.perf_counter() - t2


def _oldest(bounds: Iterable[datetime | None]) -> datetime | None:
    out: datetime | None = None
    for bound in bounds:
        if bound is None:
            return None
        out = bound if out is None else min(out, bound)
    return out
