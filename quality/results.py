"""One outcome per expectation, whichever engine checked it (GE or Spark SQL), and the gate."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from quality.config import Severity

Gate = Literal["pass", "fail"]


@dataclass(frozen=True)
class CheckResult:
    """One expectation's outcome; becomes one quality.results row."""

    suite: str
    expectation: str
    target: str
    success: bool
    severity: Severity
    observed: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""

    @property
    def blocking(self) -> bool:
        return not self.success and self.severity == "critical"

    def row(self, *, run_id: str, table_versions: Mapping[str, int], checked_at: datetime) -> tuple:
        """The row in quality.results column order."""
        observed = json.dumps(dict(self.observed), default=str, sort_keys=True)
        return (run_id, self.suite, self.expectation, self.target, self.success, observed, self.severity,
                dict(table_versions), checked_at)


def gate(results: Iterable[CheckResult]) -> Gate:
    """`fail` when any critical expectation failed."""
    return "fail" if any(r.blocking for r in results) else "pass"


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None
