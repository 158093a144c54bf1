"""Turn one SQS message body into a landed event or a quarantine verdict (pure, no I/O).

A body is either the thin event JSON itself or an SNS notification envelope whose `Message`
is the event JSON as a string (SOURCES.md, "Events"). The dedup id is the SNS MessageId when
there is an envelope (SNS may deliver the same notification as two SQS messages) and the SQS
MessageId otherwise (SQS redelivers the same message id after a visibility timeout).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from spark_jobs.landing.transport import OPENLINEAGE
from spark_jobs.providers.events import EVENT_SPECS, entity_key

QuarantineReason = Literal[
    "not_json",            # the body (or the SNS Message) is not valid JSON
    "not_an_object",       # valid JSON, but not a JSON object
    "bad_sns_envelope",    # Type=Notification without a usable MessageId / string Message
    "missing_event_type",  # no `event_type`, or it is not a string
    "unknown_event_type",  # `event_type` is not declared by any source
    "wrong_source",        # the event type belongs to another source's queue
    "missing_id_field",    # the event type's id field is absent or null
    "bad_id_field",        # the id field is present but not an id (empty, bool, list, 1.5 ...)
    "not_openlineage",     # an OpenLineage RunEvent that does not validate against the spec
]
QUARANTINE_REASONS: tuple[str, ...] = QuarantineReason.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class ParsedEvent:
    """A valid event, ready to be a `landing.events` row."""

    dedup_id: str
    event_type: str
    entity_type: str
    entity_key: str
    body: str
    # SNS publish time of an enveloped event: every SQS copy of it was landed after this, so
    # the dedupe lookup can prune older partitions (None: no envelope or no usable Timestamp).
    published_at: datetime | None = None
    sns: bool = False


@dataclass(frozen=True, slots=True)
class Rejection:
    """A body that cannot land; it goes to `landing.quarantine` with `reason`."""

    reason: QuarantineReason
    detail: str


def parse_message(platform: str, message_id: str, body: str, *,
                  event_id: str | None = None) -> ParsedEvent | Rejection:
    """Validate one message received on `platform`'s zone against the declared events.

    The dedup id is the SNS MessageId of an envelope, else the producer's own `event_id` (Kafka
    `ce_id`), else `message_id`; OpenLineage run events carry their own identity (`openlineage`).
    """
    doc = _load_object(body)
    if isinstance(doc, Rejection):
        return doc
    if platform == OPENLINEAGE:
        from spark_jobs.providers.openlineage import parse_run_event

        return parse_run_event(body, doc)
    if not _is_sns_envelope(doc):
        return validate_event(platform, event_id or message_id, body, doc)
    sns_id, message = doc.get("MessageId"), doc.get("Message")
    if not isinstance(sns_id, str) or not sns_id.strip() or not isinstance(message, str):
        return Rejection("bad_sns_envelope", "SNS notification needs a string MessageId and Message")
    inner = _load_object(message)
    if isinstance(inner, Rejection):
        return inner
    parsed = validate_event(platform, sns_id, message, inner)
    if isinstance(parsed, Rejection):
        return parsed
    return ParsedEvent(parsed.dedup_id, parsed.event_type, parsed.entity_type, parsed.entity_key,
                       parsed.body, published_at=_timestamp(doc.get("Timestamp")), sns=True)


def _load_object(text: str) -> dict | Rejection:
    try:
        doc = json.loads(text)
    except (ValueError, TypeError) as exc:
        return Rejection("not_json", str(exc)[:200])
    if not isinstance(doc, dict):
        return Rejection("not_an_object", f"JSON {type(doc).__name__}, expected an object")
    return doc


def _is_sns_envelope(doc: dict) -> bool:
    # An event never has `Type: Notification`; an envelope never has `event_type`.
    return doc.get("Type") == "Notification" and "event_type" not in doc


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def validate_event(platform: str, dedup_id: str, text: str, doc: dict) -> ParsedEvent | Rejection:
    """The one place an event is checked against the declared events (`EVENT_SPECS`).

    A provider registry can replace the lookup here without touching the rest of landing.
    """
    event_type = doc.get("event_type")
    if not isinstance(event_type, str) or not event_type:
        return Rejection("missing_event_type", "no string event_type")
    spec = EVENT_SPECS.get(event_type)
    if spec is None:
        return Rejection("unknown_event_type", f"event_type {event_type[:100]!r} is not declared")
    if spec.platform != platform:
        return Rejection("wrong_source", f"{event_type} belongs to {spec.platform}, not {platform}")
    if doc.get(spec.id_field) is None:
        return Rejection("missing_id_field", f"{event_type} needs {spec.id_field}")
    key = entity_key(doc[spec.id_field])
    if key is None:
        return Rejection("bad_id_field", f"{spec.id_field} is not a usable id")
    return ParsedEvent(dedup_id, event_type, spec.entity_type.value, key, text)
