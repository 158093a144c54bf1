"""Landing for events posted over HTTP (`POST /api/v1/lineage`): the same validation, dedupe,
quarantine and Delta commit as a drained round (`drain._commit_round`), transport `http`.

A request is answered only after its event is committed (durable before 2xx). Requests that
arrive together share one commit: a writer thread takes everything queued (up to
`max_batch`) as one round, so the commit cost is paid per group, not per event (a Delta
commit is ~20 ms; one per request would cap the endpoint near 50 events/s).
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from spark_jobs.config import Settings
from spark_jobs.landing import store
from spark_jobs.landing.parse import Rejection, parse_message
from spark_jobs.landing.report import LandingReport, SourceMetrics
from spark_jobs.landing.transport import ReceivedMessage

log = logging.getLogger(__name__)

TRANSPORT = "http"


@dataclass(frozen=True)
class Verdict:
    """What happened to one posted body: accepted (landed, or already landed) or rejected."""

    accepted: bool
    message_id: str
    dedup_id: str | None = None
    reason: str | None = None
    detail: str | None = None


class CommitFailed(RuntimeError):
    """The group's Delta commit failed: nothing of it landed; the client should retry."""


class HttpLanding:
    """Group-committing landing of posted bodies for one source (a daemon writer thread)."""

    def __init__(self, settings: Settings, source: str, *, max_batch: int = 500) -> None:
        self.settings, self.source, self.max_batch = settings, source, max_batch
        self._queue: queue.Queue[tuple[ReceivedMessage, Future]] = queue.Queue()
        self._known: store.KnownIds | None = None
        self._open_tables: dict[str, Any] = {}
        self.report = LandingReport({source: SourceMetrics()})
        self._thread = threading.Thread(target=self._run, name=f"mlg-http-landing-{source}", daemon=True)
        self._thread.start()

    def submit(self, body: str, *, timeout_s: float = 60.0) -> Verdict:
        """Land one body; blocks until its group is committed. Raises CommitFailed."""
        now = datetime.now(timezone.utc)
        message = ReceivedMessage(self.source, f"http:{uuid.uuid4()}", "", body, now, now, transport=TRANSPORT)
        parsed = parse_message(self.source, message.message_id, body)
        done: Future = Future()
        self._queue.put((message, done))
        done.result(timeout=timeout_s)
        if isinstance(parsed, Rejection):
            return Verdict(False, message.message_id, reason=parsed.reason, detail=parsed.detail)
        return Verdict(True, message.message_id, dedup_id=parsed.dedup_id)

    def _run(self) -> None:
        from spark_jobs.landing.drain import _commit_round

        while True:
            batch = [self._queue.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                if self._known is None:
                    store.ensure_tables(self.settings)
                    self._known = store.KnownIds(self.settings)
                _commit_round(self.settings, [m for m, _ in batch], self.report, writer="delta-rs", spark=None,
                              known=self._known, open_tables=self._open_tables)
                self.report.rounds += 1
            except Exception as exc:  # noqa: BLE001 - every waiting request is told, none is lost silently
                log.error("http landing: commit of %d event(s) failed: %s", len(batch), exc)
                self._open_tables.clear()
                self._known = None
                error = CommitFailed(f"commit failed: {exc}".splitlines()[0][:300])
                for _, done in batch:
                    done.set_exception(error)
                continue
            for _, done in batch:
                done.set_result(None)
