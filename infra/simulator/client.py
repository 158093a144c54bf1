"""`SimulatorClient`: the simulator's admin API (`/_admin/...`) from Python.

Tests, `mlg up` and benchmarks drive the simulator through this client whether it runs in a
child process or in-process, so both modes behave the same. Standard library only (urllib):
importing it costs nothing and needs no HTTP package.

    client = SimulatorClient("http://127.0.0.1:8123")
    client.health()                                       # seed, scale, live counts, event counters
    client.update("instances", "ranking-model-v5-20XX0101", {"status": "ARCHIVED"})
    client.configure_faults({"registry": {"error_rate": 0.1}})
    for row in client.truth("entities"): ...              # streamed JSON lines
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from typing import Any, Literal
from urllib.parse import urlencode

from infra.simulator.collections import COLLECTIONS
from spark_jobs.uris import url_path_segment

Op = Literal["create", "update", "delete"]
TruthKind = Literal["entities", "edges", "deleted"]


class SimulatorError(RuntimeError):
    """The simulator answered with an HTTP error; `status` and `body` say which."""

    def __init__(self, status: int, body: Any, url: str) -> None:
        message = body.get("error") if isinstance(body, dict) else body
        super().__init__(f"simulator answered {status} for {url}: {message}")
        self.status = status
        self.body = body
        self.url = url


class SimulatorClient:
    """Thin wrapper over `/_admin`; every method is one HTTP request (truth/objects stream)."""

    def __init__(self, base_url: str, *, timeout_s: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    def __repr__(self) -> str:
        return f"SimulatorClient({self.base_url!r})"

    # ---- plumbing --------------------------------------------------------------------------

    def _request(self, method: str, path: str, body: Any = None, *,
                 query: Mapping[str, Any] | None = None, timeout_s: float | None = None):
        url = self.base_url + path
        if query:
            url += "?" + urlencode({k: v for k, v in query.items() if v is not None})
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            return urllib.request.urlopen(request, timeout=timeout_s or self.timeout_s)
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                parsed: Any = json.loads(raw)
            except ValueError:
                parsed = raw.decode(errors="replace")
            raise SimulatorError(exc.code, parsed, url) from None

    def _json(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        with self._request(method, path, body, **kwargs) as response:
            return json.loads(response.read())

    def _lines(self, path: str, query: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        with self._request("GET", path, query=query, timeout_s=max(self.timeout_s, 600)) as response:
            for line in response:
                if line.strip():
                    yield json.loads(line)

    # ---- admin API -------------------------------------------------------------------------

    def health(self, *, timeout_s: float | None = None) -> dict[str, Any]:
        """`{"status": "ok", "seed", "scale", "counts": {collection: live}, "events": counters}`."""
        return self._json("GET", "/_admin/health", timeout_s=timeout_s)

    def mutate(self, op: Op, collection: str, id: str | int | None = None,  # noqa: A002
               fields: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """One mutation; returns `{op, collection, id, object, events}` (the events it emitted)."""
        item: dict[str, Any] = {"op": op, "collection": collection, "fields": dict(fields or {})}
        if id is not None:
            item["id"] = id
        return self._json("POST", "/_admin/mutations", item)

    def mutate_many(self, mutations: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Several mutations in one request (`[{op, collection, id?, fields?}, ...]`)."""
        return self._json("POST", "/_admin/mutations", [dict(m) for m in mutations])

    def create(self, collection: str, obj: Mapping[str, Any]) -> dict[str, Any]:
        return self.mutate("create", collection, fields=obj)

    def update(self, collection: str, id: str | int, fields: Mapping[str, Any]) -> dict[str, Any]:  # noqa: A002
        return self.mutate("update", collection, id, fields)

    def delete(self, collection: str, id: str | int) -> dict[str, Any]:  # noqa: A002
        return self.mutate("delete", collection, id)

    def churn(self, count: int = 10, *, seed: int = 0) -> list[dict[str, Any]]:
        """Apply a deterministic batch of `count` plausible changes (infra/simulator/churn.py);
        each emits its thin event. Returns the applied mutations with their events."""
        # each mutation sends its event: a 1 % churn at scale 1000 (7,680) takes minutes
        return self._json("POST", "/_admin/churn", {"count": count, "seed": seed},
                          timeout_s=max(self.timeout_s, 120 + 0.2 * count))

    def stewardship(self, *, seed: int | str | None = None) -> list[dict[str, Any]]:
        """Apply one round of metadata stewardship across teams (infra/simulator/stewardship.py):
        owners leaving and coming back, assets documented or reset to a placeholder. The round's
        seed defaults to the number of rounds this simulator applied (deterministic per stack).
        Returns the applied mutations with their events and `why` (what happened, to which team)."""
        return self._json("POST", "/_admin/stewardship", {} if seed is None else {"seed": str(seed)})

    def faults(self) -> dict[str, Any]:
        """Current HTTP faults per source."""
        return self._json("GET", "/_admin/faults")

    def configure_faults(self, config: Mapping[str, Any], *, replace: bool = False) -> dict[str, Any]:
        """Set HTTP faults per source (`"*"` = every source); `replace` clears sources not named."""
        return self._json("POST", "/_admin/faults", {**dict(config), "replace": replace})

    def clear_faults(self) -> dict[str, Any]:
        return self.configure_faults({}, replace=True)

    def events(self, *, since: int = 0, limit: int = 10_000) -> dict[str, Any]:
        """Event faults, queues, counters and the event log (`log`: entries after `since`)."""
        return self._json("GET", "/_admin/events", query={"since": since, "limit": limit})

    def configure_events(self, config: Mapping[str, Any] | None = None, *,
                         queues: Mapping[str, str] | None = None,
                         sqs_endpoint_url: str | None = None) -> dict[str, Any]:
        """Event faults (duplicate_rate, reorder_window, drop_rate, sns_rate, ...) and/or queues."""
        body = dict(config or {})
        if queues is not None:
            body["queues"] = dict(queues)
        if sqs_endpoint_url is not None:
            body["sqs_endpoint_url"] = sqs_endpoint_url
        return self._json("POST", "/_admin/events", body)

    def flush_events(self) -> dict[str, Any]:
        """Send every held event now (reorder windows included)."""
        return self._json("POST", "/_admin/events/flush", {})

    def emit_all(self, platforms: list[str] | None = None) -> dict[str, Any]:
        """A `*_created`-style event for every live object (seeding the queues); returns counts."""
        return self._json("POST", "/_admin/emit-all", {"platforms": platforms} if platforms else {},
                          timeout_s=max(self.timeout_s, 600))

    def truth(self, kind: TruthKind = "entities") -> Iterator[dict[str, Any]]:
        """Ground truth, streamed: `entities` rows, declared `edges` {src, rel, dst, declared_by},
        or `deleted` {id, entity_type}."""
        return self._lines("/_admin/truth", {"kind": kind})

    def objects(self, collection: str) -> Iterator[dict[str, Any]]:
        """Every live object of a collection as its source serves it, streamed."""
        if collection not in COLLECTIONS:
            raise ValueError(f"unknown collection {collection!r}; known: {', '.join(COLLECTIONS)}")
        return self._lines("/_admin/objects", {"collection": collection})

    def access_log(self, *, since: int = 0, platform: str | None = None,
                   limit: int = 100_000) -> list[dict[str, Any]]:
        """Requests served after sequence number `since`: {seq, ts, method, path (raw), query,
        platform, status, fault}."""
        return self._json("GET", "/_admin/access-log",
                          query={"since": since, "platform": platform, "limit": limit})["entries"]

    def last_seq(self) -> int:
        """The access log's latest sequence number (to read only what follows)."""
        return int(self.health()["access_log_seq"])

    # ---- source APIs (for tests and tools; the providers have their own HTTP layer) ---------

    def source_url(self, platform: str) -> str:
        return f"{self.base_url}/{platform}"

    def get_object(self, platform: str, collection: str, obj_id: str | int) -> dict[str, Any] | None:
        """`GET /<platform>/api/v1/<collection>/<id>` with the id percent-encoded; None on 404."""
        path = f"/{platform}/api/v1/{collection}/{url_path_segment(str(obj_id))}"
        try:
            return self._json("GET", path)
        except SimulatorError as exc:
            if exc.status == 404:
                return None
            raise
