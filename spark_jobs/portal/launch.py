"""`mlg serve` as a child process on a free port (the browser and fuzz tests, the load benchmark)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from spark_jobs.config import Settings

MLG = Path(sys.executable).parent / "mlg"
_LISTENING = re.compile(r"portal on (http://[\d.]+:\d+)/")


@dataclass
class Served:
    url: str
    process: subprocess.Popen

    def stop(self) -> None:
        from infra.sqs import stop_process

        stop_process(self.process)


def env_for(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLG_")}
    env.update(MLG_LAKEHOUSE=settings.lakehouse, MLG_STATE_DIR=settings.state_dir,
               MLG_REPORTS_DIR=settings.reports_dir, RUST_LOG="error")
    if settings.api_token:  # the write endpoint (POST /api/v1/lineage) is on only with a token
        env["MLG_API_TOKEN"] = settings.api_token
    return env


def start_serve(settings: Settings, log: Path, *, timeout_s: float = 60.0, workers: int = 1) -> Served:
    """Start `mlg serve --port 0` (its own process group, output to `log`) and wait until it
    answers; the caller stops it."""
    import httpx

    with open(log, "w") as out:
        process = subprocess.Popen([str(MLG), "serve", "--host", "127.0.0.1", "--port", "0", "--workers", str(workers)], env=env_for(settings),
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    served = None
    try:
        deadline = time.monotonic() + timeout_s
        while served is None:
            match = _LISTENING.search(log.read_text())
            if match:
                served = Served(match.group(1), process)
            elif process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mlg serve did not start: {log.read_text()[-2000:]}")
            else:
                time.sleep(0.1)
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{served.url}/openapi.json", timeout=5).status_code == 200:
                    return served
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                raise RuntimeError(f"mlg serve exited with {process.returncode}")
            time.sleep(0.2)
        raise TimeoutError(f"mlg serve did not answer within {timeout_s:.0f}s")
    except BaseException:
        (served.stop() if served else process.kill())
        raise
