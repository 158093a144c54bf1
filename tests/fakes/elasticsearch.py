"""FakeElasticsearch: a small HTTP server that answers the Elasticsearch REST calls the search
publisher makes, with the documented response shapes, so the official `elasticsearch` client
talks to it over real HTTP.

Covered: `GET /`, index templates, create / exists / get / delete index (wildcards),
`_mapping`, `_settings`, `_refresh`, `_count`, `_bulk` (per-item results; documents are checked
against the index mapping: `dynamic: strict` rejects unknown fields, `date` and `long` fields must
parse, as Elasticsearch's `mapper_parsing_exception` / `strict_dynamic_mapping_exception`),
`_aliases` (all actions validated first, then applied at once) and `_alias/<name>`.
Not covered: `_search` (ranking is tested on the embedded engine and on a real cluster).

Failure injection for tests: `throttle[id] = n` answers that document's next n bulk items with
429 `es_rejected_execution_exception`; `reject_bulk_requests = n` answers the next n `_bulk`
requests with a whole-request 429. `requests` records (method, path, body) of every call.
"""

from __future__ import annotations

import fnmatch
import json
import socket
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


def _error(status: int, etype: str, reason: str, **extra: Any) -> tuple[int, dict[str, Any]]:
    cause = {"type": etype, "reason": reason, **extra}
    return status, {"error": {"root_cause": [cause], **cause}, "status": status}


def _merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


class FakeElasticsearch:
    def __init__(self, *, version: str = "8.15.0") -> None:
        self.version = version
        self.templates: dict[str, dict[str, Any]] = {}
        self.indices: dict[str, dict[str, Any]] = {}  # name -> {mappings, settings, aliases:set, docs:dict}
        self.requests: list[tuple[str, str, Any]] = []
        self.throttle: dict[str, int] = {}
        self.reject_bulk_requests = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> FakeElasticsearch:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def setup(self) -> None:
                super().setup()
                # headers and body go out in two writes: without this, Nagle + delayed ACK
                # cost ~40 ms per keep-alive request
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, body = fake.handle(self.command, self.path, raw)
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("X-Elastic-Product", "Elasticsearch")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # --- test helpers -----------------------------------------------------------------------
    def aliases(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name, ix in self.indices.items():
            for alias in ix["aliases"]:
                out.setdefault(alias, []).append(name)
        return {a: sorted(v) for a, v in out.items()}

    def calls(self, method: str, path_contains: str) -> list[tuple[str, str, Any]]:
        return [r for r in self.requests if r[0] == method and path_contains in r[1]]

    # --- dispatch ---------------------------------------------------------------------------
    def handle(self, method: str, target: str, raw: bytes) -> tuple[int, Any]:
        parts = urlsplit(target)
        path = [p for p in parts.path.split("/") if p]
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        body: Any = None
        if raw and not (path and path[-1] == "_bulk"):
            body = json.loads(raw)
        with self._lock:
            self.requests.append((method, parts.path, body if body is not None else raw.decode() or None))
            try:
                return self._route(method, path, params, body, raw)
            except KeyError as exc:
                return _error(404, "index_not_found_exception", f"no such index [{exc.args[0]}]",
                              index=exc.args[0])

    def _route(self, method: str, path: list[str], params: dict, body: Any, raw: bytes) -> tuple[int, Any]:
        if not path:
            return 200, {"name": "fake", "cluster_name": "fake", "tagline": "You Know, for Search",
                         "version": {"number": self.version, "build_flavor": "default"}}
        head = path[0]
        if head == "_index_template" and len(path) == 2:
            if method == "PUT":
                self.templates[path[1]] = body
                return 200, {"acknowledged": True}
            if path[1] not in self.templates:
                return _error(404, "resource_not_found_exception", f"index template matching [{path[1]}] not found")
            return 200, {"index_templates": [{"name": path[1], "index_template": self.templates[path[1]]}]}
        if head == "_bulk" or (len(path) == 2 and path[1] == "_bulk"):
            return self._bulk(raw, default_index=None if head == "_bulk" else head)
        if head == "_aliases" and method == "POST":
            return self._update_aliases(body["actions"])
        if head == "_alias" and len(path) == 2:
            found = {n: {"aliases": {path[1]: {}}} for n, ix in self.indices.items() if path[1] in ix["aliases"]}
            if not found:
                return 404, {"error": f"alias [{path[1]}] missing", "status": 404}
            return 200, found
        if len(path) == 1:
            return self._index(method, head, params, body)
        op = path[1]
        names = self._resolve(head)
        if op == "_mapping":
            return 200, {n: {"mappings": self.indices[n]["mappings"]} for n in names}
        if op == "_settings" and method == "PUT":
            for n in names:
                self.indices[n]["settings"] = _merge(self.indices[n]["settings"], body.get("index", body))
            return 200, {"acknowledged": True}
        if op == "_refresh":
            return 200, {"_shards": {"total": len(names), "successful": len(names), "failed": 0}}
        if op == "_count":
            return 200, {"count": sum(len(self.indices[n]["docs"]) for n in names),
                         "_shards": {"total": len(names), "successful": len(names), "skipped": 0, "failed": 0}}
        return _error(400, "illegal_argument_exception", f"fake does not implement {method} /{'/'.join(path)}")

    def _resolve(self, expr: str) -> list[str]:
        out: list[str] = []
        for part in expr.split(","):
            if "*" in part:
                out += [n for n in self.indices if fnmatch.fnmatchcase(n, part)]
            elif part in self.indices:
                out.append(part)
            else:
                aliased = [n for n, ix in self.indices.items() if part in ix["aliases"]]
                if not aliased:
                    raise KeyError(part)
                out += aliased
        return sorted(set(out))

    def _index(self, method: str, name: str, params: dict, body: Any) -> tuple[int, Any]:
        if method == "PUT":
            if name in self.indices:
                return _error(400, "resource_already_exists_exception", f"index [{name}/x] already exists",
                              index=name)
            template: dict[str, Any] = {}
            for t in sorted(self.templates.values(), key=lambda t: t.get("priority", 0)):
                if any(fnmatch.fnmatchcase(name, p) for p in t["index_patterns"]):
                    template = t.get("template", {})
            body = body or {}
            self.indices[name] = {
                "mappings": _merge(template.get("mappings", {}), body.get("mappings", {})),
                "settings": _merge(template.get("settings", {}), body.get("settings", {})),
                "aliases": set(body.get("aliases", {})), "docs": {},
            }
            return 200, {"acknowledged": True, "shards_acknowledged": True, "index": name}
        if method == "HEAD":
            return (200 if name in self.indices else 404), None
        if method == "DELETE":
            try:
                names = self._resolve(name)
            except KeyError:
                if params.get("ignore_unavailable") == "true":
                    return 200, {"acknowledged": True}
                raise
            for n in names:
                del self.indices[n]
            return 200, {"acknowledged": True}
        if method == "GET":
            names = self._resolve(name)
            return 200, {n: {"aliases": {a: {} for a in self.indices[n]["aliases"]},
                             "mappings": self.indices[n]["mappings"], "settings": {"index": self.indices[n]["settings"]}}
                         for n in names}
        return _error(405, "method_not_allowed", f"{method} not allowed")

    def _update_aliases(self, actions: list[dict[str, Any]]) -> tuple[int, Any]:
        for action in actions:  # validate everything first: the request is atomic
            (kind, spec), = action.items()
            if spec["index"] not in self.indices:
                return _error(404, "index_not_found_exception", f"no such index [{spec['index']}]",
                              index=spec["index"])
            if kind == "remove" and spec["alias"] not in self.indices[spec["index"]]["aliases"]:
                return _error(404, "aliases_not_found_exception", f"aliases [{spec['alias']}] missing")
        for action in actions:
            (kind, spec), = action.items()
            aliases = self.indices[spec["index"]]["aliases"]
            aliases.add(spec["alias"]) if kind == "add" else aliases.discard(spec["alias"])
        return 200, {"acknowledged": True, "errors": False}

    # --- bulk -------------------------------------------------------------------------------
    def _bulk(self, raw: bytes, default_index: str | None) -> tuple[int, Any]:
        if self.reject_bulk_requests > 0:
            self.reject_bulk_requests -= 1
            return _error(429, "es_rejected_execution_exception", "rejected execution of coordinating operation")
        lines = [json.loads(line) for line in raw.decode().splitlines() if line.strip()]
        items, errors, i = [], False, 0
        while i < len(lines):
            (op, meta), = lines[i].items()
            source = lines[i + 1] if op in ("index", "create", "update") else None
            i += 2 if source is not None else 1
            index, doc_id = meta.get("_index", default_index), meta.get("_id")
            status, error = self._bulk_item(op, index, doc_id, source)
            item: dict[str, Any] = {"_index": index, "_id": doc_id, "status": status}
            if error:
                errors = True
                item["error"] = error
            else:
                item.update(result="created", _version=1, _shards={"total": 1, "successful": 1, "failed": 0})
            items.append({op: item})
        return 200, {"took": 1, "errors": errors, "items": items}

    def _bulk_item(self, op: str, index: str, doc_id: str, source: dict | None) -> tuple[int, dict | None]:
        if index not in self.indices:
            return 404, {"type": "index_not_found_exception", "reason": f"no such index [{index}]", "index": index}
        if self.throttle.get(doc_id, 0) > 0:
            self.throttle[doc_id] -= 1
            return 429, {"type": "es_rejected_execution_exception",
                         "reason": "rejected execution of primary operation"}
        ix = self.indices[index]
        if op == "delete":
            return (200 if ix["docs"].pop(doc_id, None) is not None else 404), None
        problem = self._check(ix["mappings"], source or {})
        if problem:
            return 400, problem
        ix["docs"][doc_id] = source
        return 201, None

    @staticmethod
    def _check(mappings: dict[str, Any], source: dict[str, Any]) -> dict | None:
        props = mappings.get("properties", {})
        for key, value in source.items():
            spec = props.get(key)
            if spec is None:
                if mappings.get("dynamic") == "strict":
                    return {"type": "strict_dynamic_mapping_exception",
                            "reason": f"[1:2] mapping set to strict, dynamic introduction of [{key}] within [_doc] is not allowed"}
                continue
            values = value if isinstance(value, list) else [value]
            for v in values:
                if v is None:
                    continue
                try:
                    if spec.get("type") == "date":
                        datetime.fromisoformat(str(v).replace("Z", "+00:00"))
                    elif spec.get("type") == "long":
                        int(v)
                except (TypeError, ValueError):
                    return {"type": "document_parsing_exception",
                            "reason": f"[1:2] failed to parse field [{key}] of type [{spec['type']}] in document",
                            "caused_by": {"type": "illegal_argument_exception", "reason": f"failed to parse [{v}]"}}
        return None
