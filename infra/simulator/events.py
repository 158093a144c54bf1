"""Thin events (SOURCES.md) for changes, sent to each source's SQS queue with event-side faults.

Event faults (`--events-json` at start, `POST /_admin/events` at run time):

- `drop_rate`: the event is never sent (hydration must still converge by reconciliation).
- `duplicate_rate`: the same body is sent twice (an SNS-wrapped duplicate keeps its MessageId,
  as an SNS redelivery does).
- `reorder_window`: events are held and shuffled in windows of this many per queue.
- `sns_rate`: the body is wrapped in an SNS notification envelope.
- `numeric_test_id_rate`: a numeric abtest `test_id` is sent as a JSON number.

Events go out with `send_message_batch`, 10 at a time. With Kafka topics set (`kafka_bootstrap` +
`kafka_topics` `{platform: topic}`, through `POST /_admin/events`), each event is also
(or, with no queues, only) produced to its source's topic, with a `ce_id` header: the event's own
id, which a duplicated copy shares (as a producer retry would). Without queues or topics, events
are only recorded in the event log (`GET /_admin/events`), which always records what was (or was not) sent.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from random import Random
from typing import Any

from infra.simulator.collections import COLLECTIONS
from infra.simulator.ecosystem import Change
from spark_jobs.model import PLATFORMS

SQS_BATCH = 10
EVENT_LOG_SIZE = 200_000
HOLD_S = 0.5
"""How long a reorder window may wait for more events before it is sent anyway."""


@dataclass(frozen=True, kw_only=True)
class EventFaults:
    duplicate_rate: float = 0.0
    reorder_window: int = 0
    drop_rate: float = 0.0
    sns_rate: float = 0.0
    numeric_test_id_rate: float = 0.5

    @classmethod
    def from_json(cls, data: Mapping[str, Any], base: EventFaults | None = None) -> EventFaults:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown event fault setting(s): {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(sorted(known))}")
        out = replace(base or cls(), **dict(data))
        for rate in ("duplicate_rate", "drop_rate", "sns_rate", "numeric_test_id_rate"):
            if not 0.0 <= float(getattr(out, rate)) <= 1.0:
                raise ValueError(f"{rate} must be within [0, 1]")
        if int(out.reorder_window) < 0:
            raise ValueError("reorder_window must be >= 0")
        return out


# (created, updated, deleted) event types per collection; None = the source has no such event,
# so the change is announced with its 'updated' event (hydration then sees the 404).
_EVENT_TYPES: dict[str, tuple[str, str, str]] = {
    "models": ("model_created", "model_updated", "model_deleted"),
    "instances": ("model_instance_created", "model_instance_updated", "model_instance_deleted"),
    "pipelines": ("pipeline_created", "pipeline_updated", "pipeline_updated"),
    "tests": ("ab_test_created", "ab_test_updated", "ab_test_updated"),
    "features": ("feature_created", "feature_version_created", "feature_version_created"),
    "datasets": ("dataset_created", "dataset_version_created", "dataset_version_created"),
    "users": ("user_updated", "user_updated", "user_updated"),
    "teams": ("team_updated", "team_updated", "team_updated"),
}
_ID_FIELDS = {"models": "model_id", "instances": "instance_id", "pipelines": "pipeline",
              "pipeline-runs": "run_id", "tests": "test_id", "features": "feature_name",
              "datasets": "dataset", "users": "email", "teams": "team"}
_VERSION_FIELD = {"features": "latest_version", "datasets": "latest_version"}


def _run_event_type(run: Mapping[str, Any] | None) -> str:
    status = (run or {}).get("status")
    return {"SUCCEEDED": "pipeline_run_succeeded", "FAILED": "pipeline_run_failed"}.get(
        status, "pipeline_run_started")


def event_for(collection_name: str, op: str, obj_id: str, payload: Mapping[str, Any] | None) -> dict[str, Any]:
    """The thin event announcing `op` on one object (`payload` = its state after, or before a delete)."""
    if collection_name == "pipeline-runs":
        event_type = _run_event_type(payload)
    else:
        created, updated, deleted = _EVENT_TYPES[collection_name]
        event_type = {"create": created, "update": updated, "delete": deleted}[op]
    event: dict[str, Any] = {"event_type": event_type, _ID_FIELDS[collection_name]: obj_id}
    version_field = _VERSION_FIELD.get(collection_name)
    if version_field and payload and payload.get(version_field) is not None:
        event["version"] = payload[version_field]
    return event


def events_for_change(change: Change, lookup) -> list[tuple[str, dict[str, Any]]]:
    """(platform, event) for a change and for the objects whose derived fields it moved."""
    payload = change.after if change.after is not None else change.before
    out = [(COLLECTIONS[change.collection].platform,
            event_for(change.collection, change.op, change.id, payload))]
    for name, obj_id in change.touched:
        out.append((COLLECTIONS[name].platform, event_for(name, "update", obj_id, lookup(name, obj_id))))
    return out


class EventSink:
    """Applies event faults and sends bodies to SQS (or only logs them when no queue is set)."""

    def __init__(self, *, seed: int, queues: Mapping[str, str] | None = None,
                 endpoint_url: str | None = None, faults: EventFaults | None = None) -> None:
        self._rng = Random(f"{seed}:events")
        self._id_rng = Random(f"{seed}:event-ids")  # its own stream: fault decisions stay as they were
        self._lock = threading.RLock()
        self._send_lock = threading.Lock()
        self.faults = faults or EventFaults()
        self.queues: dict[str, str] = {}
        self.endpoint_url = endpoint_url
        self._client: Any = None
        self.kafka_bootstrap: str | None = None
        self.kafka_topics: dict[str, str] = {}
        self._producer: Any = None
        self._pending: dict[str, list[tuple[str, int]]] = {p: [] for p in PLATFORMS}
        self._pending_since: dict[str, float] = {}
        self.log: deque[dict[str, Any]] = deque(maxlen=EVENT_LOG_SIZE)
        self._seq = 0
        self.counters = {"emitted": 0, "sent": 0, "dropped": 0, "duplicated": 0, "sns_wrapped": 0,
                         "send_failed": 0, "kafka_sent": 0}
        self.last_error: str | None = None
        self.set_queues(queues or {}, endpoint_url=endpoint_url)
        self._stop = threading.Event()
        self._flusher = threading.Thread(target=self._flush_held, name="event-flusher", daemon=True)
        self._flusher.start()

    def configure(self, data: Mapping[str, Any]) -> dict[str, Any]:
        data = dict(data)
        queues = data.pop("queues", None)
        endpoint_url = data.pop("sqs_endpoint_url", None)
        bootstrap, topics = data.pop("kafka_bootstrap", None), data.pop("kafka_topics", None)
        with self._lock:
            self.faults = EventFaults.from_json(data, self.faults)
            if bootstrap is not None or topics is not None:
                self.set_kafka(bootstrap or self.kafka_bootstrap, topics if topics is not None else self.kafka_topics)
            if queues is not None or endpoint_url is not None:
                self.set_queues(queues if queues is not None else self.queues,
                                endpoint_url=endpoint_url or self.endpoint_url)
        return self.describe()

    def set_queues(self, queues: Mapping[str, str], *, endpoint_url: str | None) -> None:
        unknown = set(queues) - set(PLATFORMS)
        if unknown:
            raise ValueError(f"unknown source(s) in queues: {', '.join(sorted(unknown))}")
        self.queues = dict(queues)
        if endpoint_url != self.endpoint_url:
            self._client = None
        self.endpoint_url = endpoint_url

    def set_kafka(self, bootstrap: str | None, topics: Mapping[str, str]) -> None:
        unknown = set(topics) - set(PLATFORMS)
        if unknown:
            raise ValueError(f"unknown source(s) in kafka_topics: {', '.join(sorted(unknown))}")
        if topics and not bootstrap:
            raise ValueError("kafka_topics need kafka_bootstrap")
        if bootstrap != self.kafka_bootstrap:
            self._producer = None
        self.kafka_bootstrap, self.kafka_topics = bootstrap, dict(topics)

    def describe(self) -> dict[str, Any]:
        return {**asdict(self.faults), "queues": self.queues, "sqs_endpoint_url": self.endpoint_url,
                "kafka_bootstrap": self.kafka_bootstrap, "kafka_topics": self.kafka_topics,
                "counters": dict(self.counters), "last_error": self.last_error}

    # ---- emitting -------------------------------------------------------------------------

    def emit(self, platform: str, event: Mapping[str, Any], *, flush: bool = True) -> None:
        """Queue one event (after faults); `flush` sends it now unless a reorder window holds it."""
        with self._lock:
            self.counters["emitted"] += 1
            faults = self.faults
            body_event = dict(event)
            drop, dup, sns, numeric = (self._rng.random() for _ in range(4))
            if "test_id" in body_event and str(body_event["test_id"]).isdigit() \
                    and numeric < faults.numeric_test_id_rate:
                body_event["test_id"] = int(body_event["test_id"])
            if drop < faults.drop_rate:
                self.counters["dropped"] += 1
                self._record(platform, body_event, None, dropped=True)
                return
            body = json.dumps(body_event)
            if sns < faults.sns_rate:
                self.counters["sns_wrapped"] += 1
                body = json.dumps(self._sns_envelope(platform, body))
            copies = 2 if dup < faults.duplicate_rate else 1
            self.counters["duplicated"] += copies - 1
            event_id = str(uuid.UUID(int=self._id_rng.getrandbits(128), version=4))
            for copy_number in range(copies):
                seq = self._record(platform, body_event, body, duplicate=copy_number > 0, event_id=event_id)
                self._pending[platform].append((body, seq))
            self._pending_since.setdefault(platform, time.monotonic())
        if flush:
            self.flush(hold=True)

    def emit_many(self, items: Iterable[tuple[str, Mapping[str, Any]]]) -> int:
        """Emit a stream of events, sending full batches as they fill; returns the count."""
        count = 0
        for platform, event in items:
            self.emit(platform, event, flush=False)
            count += 1
            if len(self._pending[platform]) >= max(SQS_BATCH, self.faults.reorder_window):
                self._send_pending(platform)
        self.flush(hold=False)
        return count

    def flush(self, *, hold: bool = False) -> None:
        """Send pending events; with `hold`, a reorder window that is not full yet keeps waiting."""
        for platform in PLATFORMS:
            window = self.faults.reorder_window
            if hold and window > 1 and len(self._pending[platform]) < window:
                continue
            self._send_pending(platform)

    def close(self) -> None:
        self._stop.set()
        self.flush(hold=False)

    def _flush_held(self) -> None:
        while not self._stop.wait(HOLD_S / 2):
            for platform, since in list(self._pending_since.items()):
                if time.monotonic() - since >= HOLD_S:
                    self._send_pending(platform)

    def _send_pending(self, platform: str) -> None:
        with self._lock:
            pending, self._pending[platform] = self._pending[platform], []
            self._pending_since.pop(platform, None)
            window = self.faults.reorder_window
            if window > 1:
                for start in range(0, len(pending), window):
                    chunk = pending[start:start + window]
                    self._rng.shuffle(chunk)
                    pending[start:start + window] = chunk
        if not pending:
            return
        queue_url, topic = self.queues.get(platform), self.kafka_topics.get(platform)
        with self._send_lock:  # one sender at a time keeps each queue's order as decided
            if topic is not None:
                self._produce(topic, pending)
            if queue_url is None:
                return  # no queue configured: the event log (and Kafka) is the only record
            for start in range(0, len(pending), SQS_BATCH):
                chunk = pending[start:start + SQS_BATCH]
                self._send_batch(platform, queue_url, chunk)

    def _produce(self, topic: str, pending: list[tuple[str, int]]) -> None:
        """Produce to Kafka in order and wait for the broker's acknowledgements."""
        errors: dict[int, str] = {}
        offsets: dict[int, int] = {}

        def delivered(seq: int):
            def callback(err: Any, msg: Any) -> None:
                if err is not None:
                    errors[seq] = str(err)
                else:
                    offsets[seq] = msg.offset()
            return callback

        try:
            producer = self._kafka()
            for body, seq in pending:
                entry = self._entry(seq) or {}
                headers = [("ce_id", entry["event_id"].encode())] if entry.get("event_id") else None
                producer.produce(topic, value=body.encode(), headers=headers, on_delivery=delivered(seq))
            producer.flush(30)
        except Exception as exc:  # noqa: BLE001 - the broker's error is logged per event
            errors.update({seq: f"{type(exc).__name__}: {exc}" for _b, seq in pending if seq not in offsets})
        with self._lock:
            for _body, seq in pending:
                entry = self._entry(seq)
                if seq in errors or seq not in offsets:
                    self.counters["send_failed"] += 1
                    self.last_error = errors.get(seq, "not acknowledged by kafka")
                    if entry is not None:
                        entry["kafka_error"] = self.last_error
                else:
                    self.counters["kafka_sent"] += 1
                    if entry is not None:
                        entry.update(kafka_topic=topic, kafka_offset=offsets[seq])
                        if not self.queues.get(entry["platform"]):
                            entry["sent"] = True

    def _kafka(self) -> Any:
        if self._producer is None:
            from confluent_kafka import Producer  # lazy: the simulator starts fast without Kafka

            self._producer = Producer({"bootstrap.servers": self.kafka_bootstrap, "enable.idempotence": True,
                                       "linger.ms": 5})
        return self._producer

    def _send_batch(self, platform: str, queue_url: str, chunk: list[tuple[str, int]]) -> None:
        try:
            response = self._sqs().send_message_batch(QueueUrl=queue_url, Entries=[
                {"Id": str(i), "MessageBody": body} for i, (body, _seq) in enumerate(chunk)])
            failed = {int(f["Id"]): f.get("Message", "failed") for f in response.get("Failed", [])}
            message_ids = {int(s["Id"]): s["MessageId"] for s in response.get("Successful", [])}
        except Exception as exc:  # noqa: BLE001 - the endpoint's error is logged per event
            failed = {i: f"{type(exc).__name__}: {exc}" for i in range(len(chunk))}
            message_ids = {}
        with self._lock:
            for i, (_body, seq) in enumerate(chunk):
                entry = self._entry(seq)
                if i in failed:
                    self.counters["send_failed"] += 1
                    self.last_error = failed[i]
                    if entry is not None:
                        entry["error"] = failed[i]
                else:
                    self.counters["sent"] += 1
                    if entry is not None:
                        entry.update(sent=True, sqs_message_id=message_ids.get(i))

    def _sqs(self) -> Any:
        if self._client is None:
            import boto3  # lazy: the simulator starts fast without SQS

            self._client = boto3.session.Session().client("sqs", endpoint_url=self.endpoint_url)
        return self._client

    def _sns_envelope(self, platform: str, message: str) -> dict[str, Any]:
        return {
            "Type": "Notification",
            "MessageId": str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
            "TopicArn": f"arn:aws:sns:us-east-1:123456789012:{platform}-events",
            "Message": message,
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "SignatureVersion": "1",
        }

    # ---- the event log ---------------------------------------------------------------------

    def _record(self, platform: str, event: Mapping[str, Any], body: str | None, *,
                dropped: bool = False, duplicate: bool = False, event_id: str | None = None) -> int:
        self._seq += 1
        self.log.append({"seq": self._seq, "platform": platform, "event": dict(event), "body": body,
                         "dropped": dropped, "duplicate": duplicate, "sent": False, "event_id": event_id,
                         "queue_url": self.queues.get(platform)})
        return self._seq

    def _entry(self, seq: int) -> dict[str, Any] | None:
        # the log is append-only by seq: index from the right end
        if not self.log:
            return None
        offset = self.log[-1]["seq"] - seq
        if 0 <= offset < len(self.log):
            entry = self.log[-1 - offset]
            return entry if entry["seq"] == seq else None
        return None

    def entries(self, *, since: int = 0, limit: int = 10_000) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self.log if e["seq"] > since][:limit]
