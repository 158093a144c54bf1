"""HTTP to the sources: pooled sessions, a per-source rate limiter shared by every worker,
retries with exponential backoff and full jitter that honour Retry-After, and timeouts.

Ids are percent-encoded with `safe=""` (dots too when an id is only dots), and the prepared URL
is sent as built, so `requests` cannot re-interpret an id (`%2e%2e`, `a/b`, `?x=1`) into a path
or query change.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from requests.adapters import HTTPAdapter

from spark_jobs.hydration.config import HydrationConfig
from spark_jobs.uris import url_path_segment

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class RateLimiter:
    """Token bucket (capacity = 1 s of budget) shared by all threads calling one source.

    A 429's Retry-After pauses the whole source, not just the worker that saw it."""

    def __init__(self, rate: float) -> None:
        self.rate = max(rate, 0.001)
        self.capacity = max(1.0, self.rate)
        self._tokens = 1.0
        self._at = time.monotonic()
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self.acquired = 0

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
                self._at = now
                wait = max(0.0, self._paused_until - now)
                if wait == 0.0 and self._tokens >= 1.0:
                    self._tokens -= 1.0
                    self.acquired += 1
                    return
                if wait == 0.0:
                    wait = (1.0 - self._tokens) / self.rate
            time.sleep(wait)

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)
            self._tokens = 0.0


class HttpFailure(Exception):
    """Retries exhausted (or a non-retryable answer); the message says what happened last."""


@dataclass
class Response:
    status: int
    body: Any


class SourceClient:
    """One source's HTTP client; thread-safe, shared by all workers of a run."""

    def __init__(self, platform: str, base_url: str, config: HydrationConfig,
                 limiter: RateLimiter | None = None) -> None:
        self.platform = platform
        self.base = base_url.rstrip("/") + "/api/v1"
        self.config = config
        self.limiter = limiter or RateLimiter(config.rate(platform))
        self._local = threading.local()
        self.requests = 0
        self.retries = 0
        self._count_lock = threading.Lock()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=1, pool_maxsize=4, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self._local.session = session
        return session

    def get(self, collection: str, key: str) -> Response:
        return self._call("GET", f"{self.base}/{collection}/{url_path_segment(key)}")

    def batch(self, path: str, field: str, keys: list[str]) -> Response:
        return self._call("POST", f"{self.base}/{path}", json={field: keys})

    def page(self, collection: str, *, page_size: int, token: str | None) -> Response:
        query = {"page_size": page_size, **({"page_token": token} if token else {})}
        return self._call("GET", f"{self.base}/{collection}?{urlencode(query)}")

    def _call(self, method: str, url: str, json: Any = None) -> Response:
        cfg = self.config
        last = "no attempt"
        attempt = throttled = 0
        # a 429 is the source pacing us (Retry-After pauses the whole source): it has its own,
        # larger budget, so a rate-limit storm does not exhaust the retries meant for failures
        while attempt < cfg.max_attempts and throttled < cfg.max_attempts * 4:
            self.limiter.acquire()
            with self._count_lock:
                self.requests += 1
                self.retries += attempt + throttled > 0
            try:
                prepared = requests.Request(method, url, json=json).prepare()
                prepared.url = url  # exactly as encoded: no requoting of %2E / %2F
                resp = self._session().send(prepared, timeout=(cfg.connect_timeout, cfg.read_timeout))
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = f"{type(exc).__name__}: {str(exc)[:200]}"
                self._sleep_backoff(attempt)
                attempt += 1
                continue
            if resp.status_code in RETRY_STATUSES:
                last = f"HTTP {resp.status_code}"
                if resp.status_code == 429:
                    delay = _retry_after(resp.headers.get("Retry-After"), cfg.retry_after_max)
                    self.limiter.pause(delay + random.uniform(0, 0.1))
                    throttled += 1
                else:
                    self._sleep_backoff(attempt)
                    attempt += 1
                continue
            if resp.status_code == 404:
                return Response(404, None)
            if resp.status_code >= 400:
                raise HttpFailure(f"{method} {self.platform} {resp.status_code}: {resp.text[:200]}")
            try:
                return Response(resp.status_code, resp.json())
            except ValueError:
                last = f"HTTP {resp.status_code} with a body that is not JSON"
                self._sleep_backoff(attempt)
                attempt += 1
        raise HttpFailure(f"{self.platform}: gave up after {attempt} attempts and {throttled} rate-limited "
                          f"answers: {last}")

    def _sleep_backoff(self, attempt: int) -> None:
        cap = min(self.config.backoff_max, self.config.backoff_base * 2 ** attempt)
        time.sleep(random.uniform(0, cap))


def _retry_after(value: str | None, most: float) -> float:
    try:
        return min(most, max(0.0, float(value))) if value else 1.0
    except ValueError:
        return 1.0
