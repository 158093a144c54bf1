"""`mlg serve [--host 127.0.0.1] [--port 8765]`: the portal (pages + JSON API) under uvicorn,
read-only over the lakehouse and the search snapshot, one engine session for its life."""

from __future__ import annotations

import argparse

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="the portal: search, entity pages, lineage and impact in a browser, and its API",
                       description="Serves the portal and its JSON API (/api/v1, /openapi.json) over the lakehouse "
                                   "(MLG_LAKEHOUSE) and the live search snapshot.")
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = any free port)")
    p.add_argument("--workers", type=int, default=1,
                   help="server processes sharing the port (default 1); each reads its own copy of the graph "
                        "and holds its own engine session, so N workers use N cores and N times the memory")
    p.add_argument("--log-level", default="warning", choices=("critical", "error", "warning", "info", "debug"))
    p.set_defaults(handler=handle)


WORKER_HEALTHCHECK_S = 300


def open_hint(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> str:
    """The line `mlg run` ends with."""
    return f"open the portal: `mlg serve` then http://{host}:{port}/ (or `mlg serve --port N`)"


def handle(args: argparse.Namespace) -> int:
    import socket

    import uvicorn

    from spark_jobs.config import Settings
    from spark_jobs.errors import UsageError
    from spark_jobs.portal import create_app

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0..65535, got {args.port}")
    if not 1 <= args.workers <= 64:
        raise UsageError(f"--workers must be 1..64, got {args.workers}")
    settings = Settings.load()
    sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    sock.listen(2048)  # connections wait in the backlog while the app starts, instead of being refused
    host, port = sock.getsockname()[:2]
    # The bound port is printed before serving so a caller that passed --port 0 can find it.
    workers = f", {args.workers} workers" if args.workers > 1 else ""
    print(f"mlg serve: portal on http://{host}:{port}/ (lakehouse {settings.lakehouse}{workers}); Ctrl-C stops it",
          flush=True)
    if args.workers == 1:
        config = uvicorn.Config(create_app(settings), log_level=args.log_level, access_log=False, lifespan="on")
        uvicorn.Server(config).run(sockets=[sock])
        return 0
    from uvicorn.supervisors import Multiprocess

    # Worker processes are spawned: each builds the app from the same environment (the factory).
    # A worker reading the graph (at start and on each new version) holds its interpreter for
    # tens of seconds at scale 100 on a busy machine; uvicorn's default 5 s health check then
    # kills and restarts it forever. A hung worker is still replaced, after WORKER_HEALTHCHECK_S.
    config = uvicorn.Config("spark_jobs.portal.app:app_from_environment", factory=True, workers=args.workers,
                            log_level=args.log_level, access_log=False, lifespan="on",
                            timeout_worker_healthcheck=WORKER_HEALTHCHECK_S)
    Multiprocess(config, sockets=[sock]).run()
    return 0
