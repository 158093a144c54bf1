"""The simulator's HTTP server: every source under `/<platform>/api/v1/...`, admin under `/_admin/`.

Each path segment is percent-decoded on its own, so `a%2Fb` is one id and `..` can never climb.
Source requests pass through the per-source fault injector first; every request (source or
admin) is written to the access log with its raw path.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote

from infra.simulator import truth
from infra.simulator.collections import COLLECTIONS, Collection
from infra.simulator.ecosystem import Ecosystem, MutationError
from infra.simulator.events import EventFaults, EventSink, event_for, events_for_change
from infra.simulator.faults import FaultInjector
from spark_jobs.model import PLATFORMS

BATCH_LIMIT = 100
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
ACCESS_LOG_SIZE = 500_000
_ROUTES: dict[str, dict[str, Collection]] = {
    p: {c.name: c for c in COLLECTIONS.values() if c.platform == p} for p in PLATFORMS}
_BATCH_ROUTES: dict[str, dict[str, Collection]] = {
    p: {c.batch_path: c for c in COLLECTIONS.values() if c.platform == p and c.batch_path}
    for p in PLATFORMS}
_BATCH_RESPONSE_KEY = {"instances": "instances", "features": "features", "users": "users"}


class HttpError(Exception):
    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": message, **extra}


class SimulatorState:
    """Everything the request handlers share."""

    def __init__(self, *, seed: int, scale: int, faults: Mapping[str, Any] | None = None,
                 queues: Mapping[str, str] | None = None, sqs_endpoint_url: str | None = None,
                 event_faults: Mapping[str, Any] | None = None) -> None:
        self.eco = Ecosystem(seed=seed, scale=scale)
        self.faults = FaultInjector(seed=seed, config=faults or {})
        self.events = EventSink(seed=seed, queues=queues, endpoint_url=sqs_endpoint_url,
                                faults=EventFaults.from_json(event_faults or {}))
        self.access_log: deque[dict[str, Any]] = deque(maxlen=ACCESS_LOG_SIZE)
        self._log_lock = threading.Lock()
        self._log_seq = 0
        self.started_at = time.time()
        self.stewardship_rounds = 0  # rounds applied: the next round's seed unless one is given

    def log_request(self, entry: dict[str, Any]) -> None:
        with self._log_lock:
            self._log_seq += 1
            entry["seq"] = self._log_seq
            self.access_log.append(entry)

    @property
    def access_log_seq(self) -> int:
        with self._log_lock:
            return self._log_seq

    def access_entries(self, *, since: int, platform: str | None, limit: int) -> list[dict[str, Any]]:
        with self._log_lock:
            rows = [e for e in self.access_log if e["seq"] > since and (platform is None or e["platform"] == platform)]
        return rows[:limit]


def encode_token(position: int) -> str:
    return base64.urlsafe_b64encode(f"pos:{position}".encode()).decode().rstrip("=")


def decode_token(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, _, number = text.partition(":")
        if prefix != "pos" or not number.isdigit():
            raise ValueError
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise HttpError(400, f"invalid page_token {token!r}") from None


class ConnectionReset(Exception):
    """The `reset` fault: answer nothing, reset the connection."""


class SimulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mlg-simulator/1"
    state: SimulatorState  # set on the subclass built by make_server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # the access log replaces stderr logging

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PUT(self) -> None:
        self._handle("PUT")

    # ---- plumbing --------------------------------------------------------------------------

    def _handle(self, method: str) -> None:
        raw_path, _, raw_query = self.path.partition("?")
        entry: dict[str, Any] = {"ts": time.time(), "method": method, "path": raw_path,
                                 "query": raw_query, "platform": None, "status": None, "fault": []}
        self._entry: dict[str, Any] | None = entry
        body = self._read_body()
        try:
            segments = [unquote(s, errors="strict") for s in raw_path.split("/")[1:]]
        except UnicodeDecodeError:
            segments = None
        try:
            if segments is None:
                raise HttpError(400, f"path is not valid percent-encoded UTF-8: {raw_path!r}")
            if any(s in (".", "..") for s in raw_path.split("/")):
                # RFC 3986 removes literal dot segments before routing; an id `..` must come
                # percent-encoded (`%2E%2E`), so a literal one is refused rather than guessed at
                raise HttpError(400, f"literal dot segment in path {raw_path!r}; percent-encode ids")
            query = {k: v[-1] for k, v in parse_qs(raw_query, keep_blank_values=True).items()}
            if segments and segments[0] == "_admin":
                entry["platform"] = "_admin"
                self._admin(method, segments[1:], query, body)
            elif segments and segments[0] in _ROUTES:
                entry["platform"] = segments[0]
                self._source(method, segments[0], segments[1:], query, body, entry)
            else:
                raise HttpError(404, f"no such path {raw_path!r}")
        except HttpError as exc:
            self._json(exc.status, exc.body, headers=getattr(exc, "headers", None))
        except ConnectionReset:
            self._reset()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:  # noqa: BLE001 - a simulator bug must still answer, and be visible
            self._json(500, {"error": f"simulator error: {type(exc).__name__}: {exc}", "simulated": False})
        self._record(getattr(self, "_status", None))

    def _record(self, status: int | None) -> None:
        """Log the request once, before its response goes out: a client that reads the access
        log right after its answer arrives must find the request there."""
        entry, self._entry = self._entry, None
        if entry is not None:
            entry["status"] = status
            self.state.log_request(entry)

    def _reset(self) -> None:
        """Close the connection with a TCP RST and no response (SO_LINGER 0), as a dying peer does."""
        import socket
        import struct

        self._status = 0
        self._record(0)
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _json(self, status: int, payload: Any, *, headers: Mapping[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self._status = status
        self._record(status)
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. on a hanging request)

    def _stream_lines(self, rows: Iterable[Any]) -> None:
        """JSON lines with chunked transfer encoding: never the whole export in memory."""
        self._status = 200
        self._record(200)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        buffer: list[str] = []
        size = 0
        try:
            for row in rows:
                line = json.dumps(row) + "\n"
                buffer.append(line)
                size += len(line)
                if size >= 64 * 1024:
                    self._chunk("".join(buffer).encode())
                    buffer, size = [], 0
            if buffer:
                self._chunk("".join(buffer).encode())
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    @staticmethod
    def _parse_json(body: bytes) -> Any:
        try:
            return json.loads(body or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise HttpError(400, f"request body is not JSON: {exc}") from None

    # ---- source APIs -----------------------------------------------------------------------

    def _source(self, method: str, platform: str, rest: list[str], query: dict[str, str],
                body: bytes, entry: dict[str, Any]) -> None:
        decision = self.state.faults.decide(platform)
        entry["fault"] = list(decision.faults)
        if decision.status == 429:
            error = HttpError(429, "rate limited (simulated)", simulated=True)
            error.headers = {"Retry-After": str(decision.retry_after_s)}  # type: ignore[attr-defined]
            raise error
        if decision.reset:
            raise ConnectionReset()
        if decision.delay_s:
            time.sleep(decision.delay_s)
        if decision.status is not None:
            raise HttpError(decision.status, "transient failure (simulated)", simulated=True)
        if rest[:2] != ["api", "v1"] or len(rest) < 3:
            raise HttpError(404, f"{platform} serves only /{platform}/api/v1/<collection>")
        rest = rest[2:]
        if len(rest) == 1 and rest[0] in _BATCH_ROUTES[platform]:
            if method != "POST":
                raise HttpError(405, f"{rest[0]} takes POST")
            self._batch(_BATCH_ROUTES[platform][rest[0]], self._parse_json(body))
            return
        spec = _ROUTES[platform].get(rest[0])
        if spec is None:
            raise HttpError(404, f"{platform} has no collection {rest[0]!r}; it has "
                                 f"{', '.join(_ROUTES[platform])}")
        if method != "GET":
            raise HttpError(405, f"{rest[0]} is read-only (use POST /_admin/mutations to change it)")
        if len(rest) == 1:
            self._listing(spec, query)
        elif len(rest) == 2 and rest[1]:
            obj = self.state.eco.get(spec.name, rest[1])
            if obj is None:
                raise HttpError(404, f"{spec.name} {rest[1]!r} not found")
            self._json(200, obj)
        else:
            raise HttpError(404, f"no such path under {spec.name}")

    def _listing(self, spec: Collection, query: dict[str, str]) -> None:
        try:
            page_size = int(query.get("page_size", DEFAULT_PAGE_SIZE))
        except ValueError:
            raise HttpError(400, f"page_size must be an integer, got {query.get('page_size')!r}") from None
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise HttpError(400, f"page_size must be within 1..{MAX_PAGE_SIZE}")
        token = query.get("page_token")
        position = decode_token(token) if token else 0
        items, next_position = self.state.eco.page(spec.name, page_size=page_size, position=position)
        self._json(200, {"items": items,
                         "next_page_token": None if next_position is None else encode_token(next_position)})

    def _batch(self, spec: Collection, request: Any) -> None:
        field = spec.batch_request_field
        ids = request.get(field) if isinstance(request, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
            raise HttpError(400, f"body must be {{{field!r}: [non-empty strings]}}")
        if len(ids) > BATCH_LIMIT:
            raise HttpError(400, f"at most {BATCH_LIMIT} {field} per request, got {len(ids)}")
        found, missing = [], []
        for obj_id in dict.fromkeys(ids):
            obj = self.state.eco.get(spec.name, obj_id)
            (found if obj is not None else missing).append(obj if obj is not None else obj_id)
        self._json(200, {_BATCH_RESPONSE_KEY[spec.name]: found, "missing": missing})

    # ---- admin API -------------------------------------------------------------------------

    def _admin(self, method: str, rest: list[str], query: dict[str, str], body: bytes) -> None:
        route = "/".join(rest)
        state = self.state
        try:
            if route == "health" and method == "GET":
                self._json(200, {"status": "ok", "seed": state.eco.seed, "scale": state.eco.scale,
                                 "counts": {c: state.eco.count(c) for c in COLLECTIONS},
                                 "events": state.events.counters,
                                 "access_log_seq": state.access_log_seq})
            elif route == "mutations" and method == "POST":
                self._mutations(self._parse_json(body))
            elif route == "churn" and method == "POST":
                request = self._parse_json(body)
                if not isinstance(request, dict):
                    raise HttpError(400, "body must be {\"count\": n, \"seed\": s}")
                from infra.simulator.churn import plan

                self._mutations(plan(state.eco, count=int(request.get("count", 10)),
                                     seed=int(request.get("seed", 0))), batch=True)
            elif route == "stewardship" and method == "POST":
                request = self._parse_json(body)
                if not isinstance(request, dict):
                    raise HttpError(400, "body must be {} or {\"seed\": s}")
                from infra.simulator.stewardship import plan as stewardship

                with state.eco._lock:  # noqa: SLF001 - one round at a time, numbered in order
                    seed = request.get("seed", state.stewardship_rounds)
                    state.stewardship_rounds += 1
                    changes = stewardship(state.eco, seed=str(seed))
                self._mutations(changes, batch=True)
            elif route == "faults" and method == "GET":
                self._json(200, state.faults.describe())
            elif route == "faults" and method == "POST":
                request = self._parse_json(body)
                replace = bool(request.pop("replace", False)) if isinstance(request, dict) else False
                self._json(200, state.faults.configure(request, replace=replace))
            elif route == "events" and method == "GET":
                since, limit = int(query.get("since", 0)), int(query.get("limit", 10_000))
                self._json(200, {**state.events.describe(),
                                 "log": state.events.entries(since=since, limit=limit)})
            elif route == "events" and method == "POST":
                self._json(200, state.events.configure(self._parse_json(body)))
            elif route == "events/flush" and method == "POST":
                state.events.flush(hold=False)
                self._json(200, state.events.describe())
            elif route == "emit-all" and method == "POST":
                self._emit_all(self._parse_json(body))
            elif route == "truth" and method == "GET":
                kind = query.get("kind", "entities")
                if kind not in ("entities", "edges", "deleted"):
                    raise HttpError(400, "kind must be entities, edges or deleted")
                self._stream_lines(truth.stream(state.eco, kind))  # type: ignore[arg-type]
            elif route == "objects" and method == "GET":
                self._objects(query)
            elif route == "access-log" and method == "GET":
                since, limit = int(query.get("since", 0)), int(query.get("limit", 100_000))
                self._json(200, {"entries": state.access_entries(
                    since=since, platform=query.get("platform"), limit=limit)})
            else:
                raise HttpError(404, f"no admin route {method} /_admin/{route}")
        except (ValueError, KeyError) as exc:
            raise HttpError(400, str(exc).strip("'\"")) from None

    def _mutations(self, request: Any, *, batch: bool = False) -> None:
        batch_items = request if isinstance(request, list) else [request]
        results = []
        for item in batch_items:
            if not isinstance(item, dict):
                raise HttpError(400, "a mutation is an object {op, collection, id?, fields?}")
            op, name = item.get("op"), item.get("collection")
            if name not in COLLECTIONS:
                raise HttpError(400, f"unknown collection {name!r}; known: {', '.join(COLLECTIONS)}")
            fields = item.get("fields") or {}
            if not isinstance(fields, dict):
                raise HttpError(400, "fields must be an object")
            eco = self.state.eco
            try:
                if op == "create":
                    id_field = COLLECTIONS[name].id_field
                    obj = {**fields, **({id_field: item["id"]} if item.get("id") is not None else {})}
                    change = eco.create(name, obj)
                elif op == "update":
                    change = eco.update(name, _required_id(item), fields)
                elif op == "delete":
                    change = eco.delete(name, _required_id(item))
                else:
                    raise HttpError(400, f"op must be create, update or delete, got {op!r}")
            except MutationError as exc:
                raise HttpError(exc.status, str(exc)) from None
            events = events_for_change(change, eco.get)
            for platform, event in events:
                self.state.events.emit(platform, event, flush=False)
            results.append({"op": change.op, "collection": name, "id": change.id,
                            "object": change.after, "events": [e for _p, e in events],
                            **({"why": str(item["why"])} if item.get("why") else {})})
        self.state.events.flush(hold=True)
        self._json(200, results if isinstance(request, list) or batch else results[0])

    def _emit_all(self, request: Any) -> None:
        platforms = request.get("platforms") if isinstance(request, dict) else None
        unknown = set(platforms or ()) - set(PLATFORMS)
        if unknown:
            raise HttpError(400, f"unknown source(s): {', '.join(sorted(unknown))}")
        eco = self.state.eco

        def created_events() -> Iterator[tuple[str, dict[str, Any]]]:
            for spec in COLLECTIONS.values():
                if platforms and spec.platform not in platforms:
                    continue
                for obj in eco.objects(spec.name):
                    obj_id = str(obj[spec.id_field])
                    yield spec.platform, event_for(spec.name, "create", obj_id, obj)

        before = dict(self.state.events.counters)
        emitted = self.state.events.emit_many(created_events())
        after = self.state.events.counters
        self._json(200, {"emitted": emitted, **{k: after[k] - before[k] for k in after if k != "emitted"}})

    def _objects(self, query: dict[str, str]) -> None:
        name = query.get("collection")
        if name not in COLLECTIONS:
            raise HttpError(400, f"collection must be one of {', '.join(COLLECTIONS)}")
        self._stream_lines(self.state.eco.objects(name))


def _required_id(item: Mapping[str, Any]) -> str:
    value = item.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        raise HttpError(400, "id is required for update and delete")
    return value


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True


def make_server(state: SimulatorState, *, host: str = "127.0.0.1", port: int = 0) -> SimulatorServer:
    handler = type("BoundSimulatorHandler", (SimulatorHandler,), {"state": state})
    return SimulatorServer((host, port), handler)


def base_urls(host: str, port: int) -> dict[str, str]:
    return {p: f"http://{host}:{port}/{p}" for p in PLATFORMS}
