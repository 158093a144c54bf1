"""The SQS side of landing: client, queue URLs, and one round's receive and delete calls.

Receives and deletes run one thread per queue (boto3 clients are thread-safe), 10 messages per
call; the time spent here is the endpoint's share of a run (`receive_s`, `delete_s`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlparse

from spark_jobs.config import Settings
from spark_jobs.errors import MlgError
from spark_jobs.landing.report import LandingReport
from spark_jobs.landing.transport import ReceivedMessage

log = logging.getLogger(__name__)

SQS_MAX_BATCH = 10

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# moto and other local endpoints accept any key; real AWS never sees these.
LOCAL_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def is_local_endpoint(endpoint_url: str | None) -> bool:
    return bool(endpoint_url) and urlparse(endpoint_url).hostname in LOCAL_HOSTS


def sqs_client(settings: Settings, *, pool_size: int = 16) -> Any:
    """A boto3 SQS client for the configured endpoint (unset = AWS, standard credential chain).

    A loopback endpoint (the local stack) gets dummy credentials when the chain has none, so
    `mlg land` works against `mlg up` without any AWS setup.
    """
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(region_name=settings.sqs_region)
    credentials: dict[str, str] = {}
    if is_local_endpoint(settings.sqs_endpoint_url) and session.get_credentials() is None:
        credentials = LOCAL_CREDENTIALS
    config = Config(max_pool_connections=pool_size, retries={"mode": "standard", "max_attempts": 5},
                    connect_timeout=5, read_timeout=60)
    return session.client("sqs", endpoint_url=settings.sqs_endpoint_url, config=config, **credentials)


def queue_urls(client: Any, settings: Settings, platforms: Iterable[str]) -> dict[str, str]:
    """Each platform's queue URL (`Settings.queue` may be a URL or a name to look up)."""
    from botocore.exceptions import BotoCoreError, ClientError

    urls: dict[str, str] = {}
    for platform in platforms:
        queue = settings.queue(platform)
        if "://" in queue:
            urls[platform] = queue
            continue
        try:
            urls[platform] = client.get_queue_url(QueueName=queue)["QueueUrl"]
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if "NonExistentQueue" in code or "QueueDoesNotExist" in code:
                raise MlgError(
                    f"queue {queue!r} for source {platform} does not exist: run `mlg up` "
                    f"or set MLG_SQS_QUEUE_{platform.upper()}"
                ) from None
            raise MlgError(f"cannot resolve queue {queue!r} for source {platform}: {exc}") from None
        except BotoCoreError as exc:
            where = settings.sqs_endpoint_url or "AWS"
            raise MlgError(f"cannot reach SQS at {where}: {exc} (is `mlg up` running?)") from None
    return urls


class _Quota:
    """Messages the round may still receive, shared by the queue threads."""

    def __init__(self, total: int) -> None:
        self._left = total
        self._lock = threading.Lock()

    def take(self, most: int) -> int:
        with self._lock:
            n = min(most, self._left)
            self._left -= n
            return n

    def give_back(self, n: int) -> None:
        with self._lock:
            self._left += n


def receive_round(client: Any, urls: dict[str, str], report: LandingReport, *, quota: int,
                   deadline: float, wait_time_s: int,
                   visibility_timeout_s: int) -> list[ReceivedMessage]:
    """Receive up to `quota` messages across the queues (a queue that answers empty is done for
    this round only: producers keep sending while a run drains)."""
    shared = _Quota(quota)
    active = [p for p in urls if not report.sources[p].error]
    per_queue: dict[str, list[ReceivedMessage]] = {p: [] for p in active}

    def drain_one(platform: str) -> None:
        metrics, out = report.sources[platform], per_queue[platform]
        while time.perf_counter() < deadline:
            want = shared.take(SQS_MAX_BATCH)
            if want == 0:
                return
            try:
                response = client.receive_message(
                    QueueUrl=urls[platform], MaxNumberOfMessages=want, WaitTimeSeconds=wait_time_s,
                    VisibilityTimeout=visibility_timeout_s,
                    MessageSystemAttributeNames=["SentTimestamp", "ApproximateReceiveCount"])
            except Exception as exc:  # noqa: BLE001 - reported per source; other queues go on
                shared.give_back(want)
                metrics.error = f"receive failed: {exc}".splitlines()[0][:500]
                return
            messages = response.get("Messages", [])
            shared.give_back(want - len(messages))
            if not messages:
                return
            now = datetime.now(timezone.utc)
            for m in messages:
                message = _received(platform, m, now)
                out.append(message)
                metrics.redelivered += message.receive_count > 1
            metrics.received += len(messages)
            metrics.batches += 1

    start = time.perf_counter()
    if active:
        with ThreadPoolExecutor(max_workers=len(active), thread_name_prefix="mlg-land") as pool:
            list(pool.map(drain_one, active))
    report.timings["receive_s"] += time.perf_counter() - start
    return [m for p in active for m in per_queue[p]]


def _received(platform: str, m: dict[str, Any], now: datetime) -> ReceivedMessage:
    attributes = m.get("Attributes", {})
    sent_ms = attributes.get("SentTimestamp")
    sent_at = datetime.fromtimestamp(int(sent_ms) / 1000, timezone.utc) if sent_ms else None
    return ReceivedMessage(platform, m["MessageId"], m["ReceiptHandle"], m.get("Body", ""), now,
                           sent_at, int(attributes.get("ApproximateReceiveCount", 1)))


def delete_round(client: Any, urls: dict[str, str], received: list[ReceivedMessage],
                  report: LandingReport) -> None:
    """Delete every message of a committed round, 10 per call, queues in parallel."""
    by_queue: dict[str, list[ReceivedMessage]] = {}
    for m in received:
        by_queue.setdefault(m.platform, []).append(m)

    def delete_queue(platform: str) -> None:
        messages, metrics = by_queue[platform], report.sources[platform]
        for start in range(0, len(messages), SQS_MAX_BATCH):
            chunk = messages[start:start + SQS_MAX_BATCH]
            entries = [{"Id": str(i), "ReceiptHandle": m.receipt_handle} for i, m in enumerate(chunk)]
            try:
                response = client.delete_message_batch(QueueUrl=urls[platform], Entries=entries)
            except Exception as exc:  # noqa: BLE001 - undeleted messages come back and dedupe
                metrics.delete_failed += len(chunk)
                log.warning("landing: delete failed on %s (the messages come back and dedupe): %s",
                            platform, exc)
                continue
            failed = len(response.get("Failed", []))
            metrics.delete_failed += failed
            metrics.deleted += len(chunk) - failed

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(by_queue), thread_name_prefix="mlg-delete") as pool:
        list(pool.map(delete_queue, by_queue))
    report.timings["delete_s"] += time.perf_counter() - start


class SqsTransport:
    """The SQS landing zones: one queue per source (SQS moves a message that was received
    maxReceiveCount times without a delete to the queue's DLQ)."""

    name = "sqs"

    def __init__(self, settings: Settings, platforms: Sequence[str], *, wait_time_s: int,
                 visibility_timeout_s: int) -> None:
        self._client = sqs_client(settings, pool_size=max(10, 2 * len(platforms)))
        self._urls = queue_urls(self._client, settings, platforms) if platforms else {}
        self._wait_time_s = wait_time_s
        self._visibility_timeout_s = visibility_timeout_s

    def receive(self, report: LandingReport, *, quota: int, deadline: float) -> list[ReceivedMessage]:
        if not self._urls:
            return []
        return receive_round(self._client, self._urls, report, quota=quota, deadline=deadline,
                             wait_time_s=self._wait_time_s, visibility_timeout_s=self._visibility_timeout_s)

    def acknowledge(self, messages: Sequence[ReceivedMessage], report: LandingReport) -> None:
        if messages:
            delete_round(self._client, self._urls, list(messages), report)

    def close(self) -> None:
        self._client.close()
