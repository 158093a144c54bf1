"""What one landing run did: per-source counts, commits, table versions and where the time went."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from spark_jobs.errors import MlgError

StopReason = Literal["drained", "max_messages", "time_budget", "error"]
COUNTS = ("received", "landed", "duplicates", "quarantined", "deleted", "delete_failed", "failed",
          "redelivered", "batches", "dead_lettered")


@dataclass
class SourceMetrics:
    """What one run did with one source's queue.

    received: messages received (redeliveries included); landed: new rows in landing.events;
    duplicates: messages whose event (SQS or SNS id) was already landed or came twice;
    quarantined: new rows in landing.quarantine; failed: received but left in the queue because
    the commit failed (SQS redelivers them, and moves them to the DLQ after maxReceiveCount);
    redelivered: received with ApproximateReceiveCount > 1; batches: receive calls that returned messages;
    deleted: acknowledged after the commit (SQS delete, Kafka offset commit); dead_lettered: moved
    to the dead-letter topic by landing itself (Kafka; SQS's redrive happens on the server).
    """

    received: int = 0
    landed: int = 0
    duplicates: int = 0
    quarantined: int = 0
    deleted: int = 0
    delete_failed: int = 0
    failed: int = 0
    redelivered: int = 0
    batches: int = 0
    dead_lettered: int = 0
    reasons: Counter = field(default_factory=Counter)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in COUNTS}
        out["reasons"] = dict(self.reasons)
        if self.error:
            out["error"] = self.error
        return out


@dataclass
class LandingReport:
    """Per-source metrics of one `land` run, plus the landing tables' versions after it."""

    sources: dict[str, SourceMetrics]
    commits: int = 0
    rounds: int = 0
    seconds: float = 0.0
    stopped_by: StopReason = "drained"
    events_version: int | None = None
    quarantine_version: int | None = None
    error: str | None = None
    timings: dict[str, float] = field(default_factory=lambda: dict.fromkeys(
        ("receive_s", "parse_s", "dedup_s", "write_s", "delete_s"), 0.0))

    def total(self, name: str) -> int:
        return sum(getattr(m, name) for m in self.sources.values())

    @property
    def received(self) -> int:
        return self.total("received")

    @property
    def landed(self) -> int:
        return self.total("landed")

    @property
    def duplicates(self) -> int:
        return self.total("duplicates")

    @property
    def quarantined(self) -> int:
        return self.total("quarantined")

    @property
    def errors(self) -> dict[str, str]:
        out = {p: m.error for p, m in self.sources.items() if m.error}
        if self.error:
            out["commit"] = self.error
        return out

    @property
    def endpoint_s(self) -> float:
        """Seconds spent waiting on SQS (receive + delete calls)."""
        return self.timings["receive_s"] + self.timings["delete_s"]

    @property
    def own_s(self) -> float:
        """Seconds of our own work: parse, dedupe lookup and Delta commits."""
        return self.timings["parse_s"] + self.timings["dedup_s"] + self.timings["write_s"]

    def raise_for_errors(self) -> None:
        """Fail (after what did succeed was committed and deleted) when a queue or commit failed."""
        if self.errors:
            raise MlgError("; ".join(f"{p}: {e}" for p, e in sorted(self.errors.items())))

    def rows(self) -> list[tuple]:
        """One row per source and a total row, for the CLI table."""
        out = [(p, m.received, m.landed, m.duplicates, m.quarantined, m.failed, m.error or "")
               for p, m in self.sources.items()]
        out.append(("TOTAL", self.received, self.landed, self.duplicates, self.quarantined,
                    self.total("failed"), self.error or ""))
        return out

    ROW_COLUMNS = ["source", "received", "landed", "duplicates", "quarantined", "failed", "error"]

    def as_metrics(self) -> dict[str, Any]:
        """Plain JSON-able metrics (Airflow XCom, ops.runs)."""
        return {
            "received": self.received, "landed": self.landed, "duplicates": self.duplicates,
            "quarantined": self.quarantined, "deleted": self.total("deleted"),
            "failed": self.total("failed"), "commits": self.commits, "rounds": self.rounds,
            "seconds": round(self.seconds, 3), "stopped_by": self.stopped_by,
            "events_version": self.events_version, "quarantine_version": self.quarantine_version,
            "landing_version": self.events_version,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "by_source": {p: m.as_dict() for p, m in self.sources.items()},
            **({"error": self.error} if self.error else {}),
        }
