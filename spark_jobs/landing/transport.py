"""The one interface landing drains: a transport hands out a round of messages and, once the
round is committed to Delta, acknowledges them (SQS: delete; Kafka: commit the offsets).

`open_transports(settings, sources)` builds the configured ones (`Settings.transports()`:
SQS, plus Kafka when `MLG_KAFKA_BOOTSTRAP` is set, or exactly `MLG_LANDING_TRANSPORTS`), so the
drain never branches on which zone a message came from. Both can run in one deployment: one
round holds messages of every transport, one Delta commit lands them, and each transport then
acknowledges its own.

What a transport promises (the drain's exactly-once effect rests on it):
- a message handed out and not acknowledged is handed out again by a later run (at least once);
- `receive_count` counts those deliveries, also across crashed runs, and a message delivered
  more than the zone's maximum goes to the zone's dead-letter queue / topic instead of the round;
- `message_id` is stable across redeliveries of the same message; `event_id`, when the
  producer gave the event an id of its own, is stable across the producer's retries too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from spark_jobs.errors import UsageError
from spark_jobs.model import PLATFORMS

if TYPE_CHECKING:
    from spark_jobs.config import Settings
    from spark_jobs.landing.report import LandingReport

OPENLINEAGE = "openlineage"
"""The source name of OpenLineage run events (Kafka topic `Settings.kafka_openlineage_topic`,
or `POST /api/v1/lineage`)."""


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    platform: str
    message_id: str
    receipt_handle: str
    body: str
    received_at: datetime
    sent_at: datetime | None = None
    receive_count: int = 1
    transport: str = "sqs"
    event_id: str | None = None
    """The producer's own id for the event (Kafka `ce_id` header), the dedup id before `message_id`."""


class Transport(Protocol):
    name: str

    def receive(self, report: LandingReport, *, quota: int, deadline: float) -> list[ReceivedMessage]:
        """Up to `quota` messages before `deadline` (perf_counter); [] when every zone is empty."""

    def acknowledge(self, messages: Sequence[ReceivedMessage], report: LandingReport) -> None:
        """The round of these messages is committed: never hand them out again."""

    def close(self) -> None:
        """Release the client; what was not acknowledged is handed out again later."""


def open_transports(settings: Settings, sources: Sequence[str], *, wait_time_s: int,
                    visibility_timeout_s: int) -> list[Transport]:
    """The configured transports over `sources` (their clients connected, zones resolved)."""
    out: list[Transport] = []
    try:
        for name in settings.transports():
            if name == "sqs":
                from spark_jobs.landing.sqs import SqsTransport

                out.append(SqsTransport(settings, [s for s in sources if s in PLATFORMS],
                                        wait_time_s=wait_time_s, visibility_timeout_s=visibility_timeout_s))
            elif name == "kafka":
                from spark_jobs.landing.kafka import KafkaTransport

                out.append(KafkaTransport(settings, sources, wait_time_s=wait_time_s))
            else:
                raise UsageError(f"unknown landing transport {name!r}: sqs or kafka")
    except BaseException:
        for transport in out:
            transport.close()
        raise
    return out
