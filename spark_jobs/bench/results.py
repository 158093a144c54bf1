"""Benchmark results as JSON lines (one per run) and their summary in BENCHMARKS.md."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results.jsonl"


def machine() -> dict[str, Any]:
    import psutil

    return {
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


def commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             cwd=RESULTS.parent.parent, check=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def append(record: dict[str, Any], path: Path = RESULTS) -> dict[str, Any]:
    """Stamp a result with commit, date and machine, and append it as one JSON line."""
    stamped = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "commit": commit(),
               "machine": machine(), **record}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fh.write(json.dumps(stamped, default=str) + "\n")
    return stamped


def load(path: Path = RESULTS) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
