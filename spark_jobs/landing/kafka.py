"""The Kafka side of landing: one topic per source (plus `openlineage`), one consumer group.

At least once, with the offsets as the only state: auto-commit is off, and a round's offsets are
committed only after its Delta commit (`acknowledge`). A run that dies before that leaves the
group's offsets where they were, and the next run is handed the same messages again (same
topic/partition/offset, so the dedupe lookup drops what was already landed).

Repeated failure. SQS counts receives on the server and moves a message to the DLQ after
maxReceiveCount; Kafka has no such count, so the transport keeps one in the group's own
offset commit: before a round is handed to the drain, each partition's committed offset is
re-committed unchanged with metadata `{"d": [[first, last, deliveries], ...]}` (offset ranges
and how often they were handed out without being acknowledged). A later run reads it back, so a
round that keeps failing, even by a crash, counts up; a message handed out more than
`kafka_max_receive_count` times is produced to the dead-letter topic (with its source topic,
partition, offset and count as headers) instead of the round, and its offset is committed.

Dedup id: the producer's own event id (the CloudEvents `ce_id` header) where it sent one, else
`kafka:<topic>/<partition>/<offset>` (which is also the landed row's `message_id`, so a
quarantined body says where it came from).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from spark_jobs.config import Settings
from spark_jobs.errors import MlgError
from spark_jobs.landing.report import LandingReport
from spark_jobs.landing.transport import OPENLINEAGE, ReceivedMessage
from spark_jobs.model import PLATFORMS

log = logging.getLogger(__name__)

EVENT_ID_HEADER = "ce_id"
CONSUME_BATCH = 500
POLL_STEP_S = 0.05
ASSIGN_TIMEOUT_S = 30.0
# librdkafka's synchronous commit and close take no timeout and can block for good when the
# broker or group coordinator goes away (confluent-kafka-python#1667, librdkafka#1002)
BLOCKING_CALL_TIMEOUT_S = 30.0
# offset.metadata.max.bytes defaults to 4096: keep the newest ranges that fit
METADATA_MAX = 4000


def landing_topics(settings: Settings) -> list[str]:
    """Every topic `mlg up --transport kafka` creates: the sources', OpenLineage's, the DLQ."""
    return [*(settings.kafka_topic(p) for p in PLATFORMS), settings.kafka_openlineage_topic,
            settings.kafka_dead_letter_topic]


def source_topics(settings: Settings, sources: Iterable[str]) -> dict[str, str]:
    """topic -> source for the sources landing drains from Kafka."""
    out = {}
    for source in sources:
        topic = settings.kafka_openlineage_topic if source == OPENLINEAGE else settings.kafka_topic(source)
        out[topic] = source
    return out


def position_id(topic: str, partition: int, offset: int) -> str:
    return f"kafka:{topic}/{partition}/{offset}"


class Deliveries:
    """How often each offset of one partition was handed out without being acknowledged."""

    def __init__(self, ranges: Iterable[Sequence[int]] = ()) -> None:
        self.ranges = [(int(a), int(b), int(n)) for a, b, n in ranges]

    @classmethod
    def parse(cls, metadata: str | None) -> Deliveries:
        if not metadata:
            return cls()
        try:
            return cls(json.loads(metadata).get("d", ()))
        except (ValueError, TypeError, AttributeError):
            log.warning("kafka landing: ignoring foreign offset metadata %r", metadata[:100])
            return cls()

    def count(self, offset: int) -> int:
        for first, last, n in self.ranges:
            if first <= offset <= last:
                return n
        return 0

    def record(self, counts: dict[int, int], committed: int) -> None:
        """Set the counts of `counts`' offsets, forget everything below `committed`."""
        merged = {o: n for a, b, n in self.ranges for o in range(max(a, committed), b + 1)}
        merged.update(counts)
        ranges: list[list[int]] = []
        for offset in sorted(o for o in merged if o >= committed):
            n = merged[offset]
            if ranges and ranges[-1][1] == offset - 1 and ranges[-1][2] == n:
                ranges[-1][1] = offset
            else:
                ranges.append([offset, offset, n])
        self.ranges = [tuple(r) for r in ranges]  # type: ignore[misc]

    def metadata(self) -> str:
        ranges = list(self.ranges)
        while True:
            text = json.dumps({"d": ranges}, separators=(",", ":"))
            if len(text) <= METADATA_MAX or not ranges:
                return text
            ranges = ranges[1:]  # the oldest range falls off: those count from 1 again


class KafkaTransport:
    """The Kafka landing zones of `sources`, drained by one member of `settings.kafka_group`."""

    name = "kafka"

    def __init__(self, settings: Settings, sources: Sequence[str], *, wait_time_s: float = 1.0) -> None:
        from confluent_kafka import Consumer, Producer

        if not settings.kafka_bootstrap:
            raise MlgError("the kafka landing transport needs MLG_KAFKA_BOOTSTRAP "
                           "(or `mlg up --transport kafka`)")
        self._settings = settings
        self._topics = source_topics(settings, sources)
        self._wait_time_s = max(0.1, float(wait_time_s))
        self._max_receive_count = settings.kafka_max_receive_count
        self._assigned: set[tuple[str, int]] = set()
        self._at_end: set[tuple[str, int]] = set()
        self._deliveries: dict[tuple[str, int], Deliveries] = {}
        self._committed: dict[tuple[str, int], int] = {}
        self._pending_dead: dict[tuple[str, int], int] = {}  # dead-lettered, offset not yet committed
        self._buffer: list[Any] = []
        self._consumer = Consumer({
            "bootstrap.servers": settings.kafka_bootstrap,
            "group.id": settings.kafka_group,
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "auto.offset.reset": "earliest",
            "enable.partition.eof": True,
            "isolation.level": "read_committed",
            "session.timeout.ms": 10_000,  # a killed run's membership expires soon
            "fetch.wait.max.ms": 100,
            "socket.connection.setup.timeout.ms": 5_000,
        })
        self._producer = Producer({"bootstrap.servers": settings.kafka_bootstrap, "enable.idempotence": True,
                                   "acks": "all"})
        try:
            self._check_topics()
            self._consumer.subscribe(list(self._topics), on_assign=self._on_assign, on_revoke=self._on_revoke)
            self._wait_for_assignment()
        except BaseException:
            self.close()
            raise

    # ---- the group -----------------------------------------------------------------------

    def _check_topics(self) -> None:
        try:
            existing = self._consumer.list_topics(timeout=10).topics
        except Exception as exc:  # noqa: BLE001
            raise MlgError(f"cannot reach kafka at {self._settings.kafka_bootstrap}: {exc} "
                           "(is `mlg up --transport kafka` running?)") from None
        missing = sorted(t for t in self._topics if t not in existing)
        if missing:
            raise MlgError(f"kafka topic(s) {', '.join(missing)} do not exist: run `mlg up --transport kafka` "
                           "or set MLG_KAFKA_TOPIC_<SOURCE>")

    def _on_assign(self, consumer: Any, partitions: list[Any]) -> None:
        self._assigned.update((p.topic, p.partition) for p in partitions)

    def _on_revoke(self, consumer: Any, partitions: list[Any]) -> None:
        for p in partitions:
            key = (p.topic, p.partition)
            self._assigned.discard(key)
            self._at_end.discard(key)
            self._deliveries.pop(key, None)
            self._committed.pop(key, None)

    def _wait_for_assignment(self) -> None:
        deadline = time.monotonic() + ASSIGN_TIMEOUT_S
        expected = sum(len(t.partitions) for n, t in self._consumer.list_topics(timeout=10).topics.items()
                       if n in self._topics)
        while len(self._assigned) < expected and time.monotonic() < deadline:
            self._buffer.extend(self._consumer.consume(num_messages=CONSUME_BATCH, timeout=0.2))
        if len(self._assigned) < expected:
            raise MlgError(f"kafka group {self._settings.kafka_group!r} did not assign the landing topics "
                           f"within {ASSIGN_TIMEOUT_S:.0f}s (another `mlg land` running?)")

    def _load_deliveries(self, key: tuple[str, int]) -> Deliveries:
        if key not in self._deliveries:
            from confluent_kafka import TopicPartition

            [committed] = self._consumer.committed([TopicPartition(*key)], timeout=10)
            self._committed[key] = committed.offset if committed.offset >= 0 else 0
            self._deliveries[key] = Deliveries.parse(getattr(committed, "metadata", None))
        return self._deliveries[key]

    # ---- receive ---------------------------------------------------------------------------

    def receive(self, report: LandingReport, *, quota: int, deadline: float) -> list[ReceivedMessage]:
        start = time.perf_counter()
        out: list[ReceivedMessage] = []
        dead: list[tuple[Any, int]] = []
        idle_since: float | None = None
        while len(out) < quota and time.perf_counter() < deadline:
            if self._buffer:
                want = quota - len(out)
                batch, self._buffer = self._buffer[:want], self._buffer[want:]
            else:
                if self._assigned and self._assigned <= self._at_end:
                    break  # every partition is at its end: drained
                # consume() waits its whole timeout unless the batch fills: poll in short steps so a
                # partition's end (EOF) or the idle limit ends the round without a full wait
                wait = max(0.0, min(POLL_STEP_S, deadline - time.perf_counter()))
                batch = self._consumer.consume(num_messages=min(CONSUME_BATCH, quota - len(out)), timeout=wait)
            if not batch:
                idle_since = idle_since or time.perf_counter()
                if time.perf_counter() - idle_since >= self._wait_time_s:
                    break
                continue
            idle_since = None
            now = datetime.now(timezone.utc)
            for m in batch:
                self._take(m, now, report, out, dead)
            for source in {self._topics[m.topic()] for m in batch if m.error() is None}:
                report.sources[source].batches += 1
        if dead:
            self._dead_letter(dead, report)
        self._record_deliveries(out)
        if not out:
            self._commit_dead()  # nothing of this round is pending: the dead-lettered offsets are done
        report.timings["receive_s"] += time.perf_counter() - start
        return out

    def _take(self, m: Any, now: datetime, report: LandingReport, out: list[ReceivedMessage],
              dead: list[tuple[Any, int]]) -> None:
        from confluent_kafka import KafkaError

        key = (m.topic(), m.partition())
        error = m.error()
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                self._at_end.add(key)
            else:
                source = self._topics.get(m.topic() or "")
                detail = f"kafka: {error.str()}"[:500]
                if source is not None and not error.retriable():
                    report.sources[source].error = detail
                log.warning("kafka landing: %s", detail)
            return
        self._at_end.discard(key)
        source = self._topics[m.topic()]
        metrics = report.sources[source]
        deliveries = self._load_deliveries(key)
        receive_count = deliveries.count(m.offset()) + 1
        metrics.received += 1
        metrics.redelivered += receive_count > 1
        if receive_count > self._max_receive_count:
            dead.append((m, receive_count))
            return
        headers = dict(m.headers() or ())
        event_id = headers.get(EVENT_ID_HEADER)
        kind, ts = m.timestamp()
        sent_at = datetime.fromtimestamp(ts / 1000, timezone.utc) if kind and ts > 0 else None
        body = m.value()
        out.append(ReceivedMessage(
            source, position_id(*key, m.offset()), f"{key[0]}\0{key[1]}\0{m.offset()}",
            body.decode("utf-8", errors="replace") if body is not None else "", now, sent_at, receive_count,
            transport=self.name,
            event_id=event_id.decode("utf-8", errors="replace") if isinstance(event_id, bytes) and event_id else None))

    def _record_deliveries(self, out: Sequence[ReceivedMessage]) -> None:
        """Before the drain commits: this round's deliveries go into the group's offsets, so a
        crash from here on still counts them."""
        from confluent_kafka import TopicPartition

        counts: dict[tuple[str, int], dict[int, int]] = {}
        for message in out:
            topic, partition, offset = _position(message)
            counts.setdefault((topic, partition), {})[offset] = message.receive_count
        for key in self._pending_dead:  # recorded by _dead_letter already; commit them with the round's
            counts.setdefault(key, {})
        if not counts:
            return
        offsets = []
        for key, by_offset in counts.items():
            deliveries = self._load_deliveries(key)
            deliveries.record(by_offset, self._committed[key])
            offsets.append(TopicPartition(*key, self._committed[key], metadata=deliveries.metadata()))
        _bounded(lambda: self._consumer.commit(offsets=offsets, asynchronous=False), "offset commit")

    # ---- dead letters --------------------------------------------------------------------

    def _dead_letter(self, dead: list[tuple[Any, int]], report: LandingReport) -> None:
        topic = self._settings.kafka_dead_letter_topic
        for m, receive_count in dead:
            headers = [("mlg_source_topic", m.topic().encode()), ("mlg_source_partition", str(m.partition()).encode()),
                       ("mlg_source_offset", str(m.offset()).encode()),
                       ("mlg_receive_count", str(receive_count).encode()), *(m.headers() or ())]
            self._producer.produce(topic, value=m.value(), key=m.key(), headers=headers)
            key = (m.topic(), m.partition())
            deliveries = self._load_deliveries(key)
            deliveries.record({m.offset(): receive_count}, self._committed[key])
            self._pending_dead[key] = max(self._pending_dead.get(key, -1), m.offset())
            report.sources[self._topics[m.topic()]].dead_lettered += 1
        left = self._producer.flush(30)
        if left:
            raise MlgError(f"kafka: {left} message(s) could not be written to the dead-letter topic {topic!r}")
        log.warning("kafka landing: %d message(s) delivered more than %d times moved to %s",
                    len(dead), self._max_receive_count, topic)

    def _commit_dead(self) -> None:
        if self._pending_dead:
            self._commit({key: offset + 1 for key, offset in self._pending_dead.items()})

    # ---- acknowledge ---------------------------------------------------------------------

    def acknowledge(self, messages: Sequence[ReceivedMessage], report: LandingReport) -> None:
        start = time.perf_counter()
        ends: dict[tuple[str, int], int] = {key: offset + 1 for key, offset in self._pending_dead.items()}
        counted: dict[str, int] = {}
        for message in messages:
            if message.transport != self.name:
                continue
            topic, partition, offset = _position(message)
            ends[(topic, partition)] = max(ends.get((topic, partition), 0), offset + 1)
            counted[message.platform] = counted.get(message.platform, 0) + 1
        if ends:
            try:
                self._commit(ends)
            except Exception as exc:  # noqa: BLE001 - the messages come back and dedupe
                for source, n in counted.items():
                    report.sources[source].delete_failed += n
                log.warning("kafka landing: offset commit failed (the messages come back and dedupe): %s", exc)
            else:
                for source, n in counted.items():
                    report.sources[source].deleted += n
        report.timings["delete_s"] += time.perf_counter() - start

    def _commit(self, ends: dict[tuple[str, int], int]) -> None:
        from confluent_kafka import TopicPartition

        offsets = [TopicPartition(t, p, end, metadata="") for (t, p), end in ends.items()]
        _bounded(lambda: self._consumer.commit(offsets=offsets, asynchronous=False), "offset commit")
        for key, end in ends.items():
            self._committed[key] = end
            if key in self._deliveries:
                self._deliveries[key].record({}, end)
            self._pending_dead.pop(key, None)

    def close(self) -> None:
        consumer, self._consumer = getattr(self, "_consumer", None), None
        if consumer is not None:
            try:  # no auto-commit: nothing unacknowledged is committed here
                _bounded(consumer.close, "consumer close")
            except MlgError as exc:  # the group membership expires after session.timeout.ms anyway
                log.warning("kafka landing: %s", exc)
        producer = getattr(self, "_producer", None)
        if producer is not None:
            producer.flush(10)


def _bounded(call: Callable[[], Any], what: str, *, timeout_s: float = BLOCKING_CALL_TIMEOUT_S) -> Any:
    """`call()` on a daemon thread, waiting at most `timeout_s`: a hung librdkafka call raises
    MlgError here instead of hanging the run (the thread is abandoned with the client)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, name=f"kafka {what}", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        raise MlgError(f"kafka: {what} did not finish within {timeout_s:g}s (is the broker reachable?)")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _position(message: ReceivedMessage) -> tuple[str, int, int]:
    topic, partition, offset = message.receipt_handle.split("\0")
    return topic, int(partition), int(offset)
