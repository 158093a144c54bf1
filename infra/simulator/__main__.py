"""`python -m infra.simulator`: serve the six source systems on one port until SIGTERM/SIGINT.

    python -m infra.simulator --host 127.0.0.1 --port 0 --seed 7 --scale 1 \\
        [--faults-json '{"*": {"error_rate": 0.05}}'] [--events-json '{"sns_rate": 0.2}'] \\
        [--queues-json '{"registry": "http://..."}' --sqs-endpoint-url http://127.0.0.1:5000] \\
        [--port-file PATH]

With `--port 0` the OS picks a free port; `--port-file` receives it (written atomically once
the socket listens), which is how `launch.start_simulator` learns it without a race.
On SIGTERM the server stops accepting requests and sends any held events before exiting.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from infra.simulator.faults import json_object_option


def _json_arg(text: str | None, what: str) -> dict | None:
    try:
        return json_object_option(text, what)
    except ValueError as exc:
        raise SystemExit(f"simulator: {exc}") from None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m infra.simulator", description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--scale", type=int, default=1)
    p.add_argument("--faults-json", help="HTTP faults per source (see infra/simulator/faults.py)")
    p.add_argument("--events-json", help="event faults (see infra/simulator/events.py)")
    p.add_argument("--queues-json", help='{"<platform>": "<queue url>"}: where thin events go')
    p.add_argument("--sqs-endpoint-url", help="SQS endpoint for the queues (moto's server locally)")
    p.add_argument("--port-file", help="write the bound port here once listening")
    p.add_argument("--parent-pid", type=int, help="exit when this process (the launcher) is gone")
    return p.parse_args(argv)


def _watch_parent(parent_pid: int, stop: threading.Event) -> None:
    while not stop.wait(1.0):
        if os.getppid() != parent_pid:
            stop.set()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from infra.simulator.server import SimulatorState, make_server

    try:
        state = SimulatorState(seed=args.seed, scale=args.scale,
                               faults=_json_arg(args.faults_json, "--faults-json"),
                               event_faults=_json_arg(args.events_json, "--events-json"),
                               queues=_json_arg(args.queues_json, "--queues-json"),
                               sqs_endpoint_url=args.sqs_endpoint_url)
        server = make_server(state, host=args.host, port=args.port)
    except (ValueError, OSError) as exc:
        print(f"simulator: {exc}", file=sys.stderr)
        return 2
    host, port = server.server_address[:2]
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              name="simulator-http", daemon=True)
    thread.start()
    if args.parent_pid:
        threading.Thread(target=_watch_parent, args=(args.parent_pid, stop), daemon=True).start()
    if args.port_file:
        tmp = Path(args.port_file + ".tmp")
        tmp.write_text(str(port))
        os.replace(tmp, args.port_file)
    print(f"mlg-simulator listening on http://{host}:{port} seed={args.seed} scale={args.scale} "
          f"pid={os.getpid()}", flush=True)
    stop.wait()
    server.shutdown()
    server.server_close()
    state.events.close()
    print("mlg-simulator stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
