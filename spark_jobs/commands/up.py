"""`mlg up`: start the local stack (moto SQS + source simulator) and write its state file."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("up", help="start the local stack: SQS endpoint + source simulator on 127.0.0.1")
    p.add_argument("--seed", type=int, default=7, help="ecosystem seed (default 7)")
    p.add_argument("--scale", type=int, default=1, help="ecosystem scale: about 1,000 entities per unit")
    p.add_argument("--max-receive-count", type=int, default=None,
                   help="receives before a message moves to its source's DLQ (default 5)")
    p.add_argument("--faults-json", help='HTTP faults per source, e.g. \'{"*": {"error_rate": 0.05}}\'')
    p.add_argument("--events-json", help='event faults, e.g. \'{"duplicate_rate": 0.1, "sns_rate": 0.5}\'')
    p.add_argument("--emit-events", action="store_true",
                   help="announce every object on its source's queue (a backfill for a first run)")
    p.add_argument("--search", choices=("embedded", "opensearch"), default="embedded",
                   help="opensearch: also start a local single-node OpenSearch (search snapshots are then "
                        "published to it and `mlg search` reads it); embedded needs no server (default)")
    p.add_argument("--transport", choices=["sqs", "kafka", "both"], default="sqs",
                   help="where the simulator's thin events go: SQS queues (default), a local Kafka "
                        "broker's topics instead (one per source + dead-letter + openlineage), or both")
    p.add_argument("--engine", choices=("embedded", "spark"), default="embedded",
                   help="spark: also start a JVM Spark Connect server with Delta Lake (127.0.0.1, local[2]); "
                        "later mlg commands run on it (default: the embedded pysail engine)")
    p.add_argument("--json", action="store_true", help="print the state file instead of a summary")
    p.set_defaults(handler=handle)


def _json_option(text: str | None, flag: str):
    from infra.simulator.faults import json_object_option
    from spark_jobs.errors import UsageError

    try:
        return json_object_option(text, flag)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _services(args: argparse.Namespace) -> tuple[str, ...]:
    """Optional services (infra.stack.OPTIONAL_SERVICES) the flags ask for."""
    return (("opensearch",) if args.search == "opensearch" else ()) + (("spark",) if args.engine == "spark" else ())


def handle(args: argparse.Namespace) -> int:
    from infra import stack
    from infra.sqs import DEFAULT_MAX_RECEIVE_COUNT
    from spark_jobs.config import Settings
    from spark_jobs.errors import UsageError

    if args.scale < 1:
        raise UsageError(f"--scale must be >= 1, got {args.scale}")
    settings = Settings.load()
    from spark_jobs import preflight

    full = [p for p in preflight.free_space_problems(settings) if p.table == "state_dir"]
    if full:  # the stack's logs and state file go there: refuse before starting anything
        raise preflight.AtRestError(full[0].line())
    state = stack.up(settings, seed=args.seed, scale=args.scale,
                     max_receive_count=args.max_receive_count or DEFAULT_MAX_RECEIVE_COUNT,
                     faults=_json_option(args.faults_json, "--faults-json"),
                     event_faults=_json_option(args.events_json, "--events-json"),
                     emit_events=args.emit_events, services=_services(args), transport=args.transport,
                     timeout_s=180.0 if args.search == "opensearch" else 60.0)
    if args.json:
        print(json.dumps(state.to_json(), indent=2))
        return 0
    if state.already_running:
        asked = (args.seed, args.scale)
        note = "" if asked == (state.seed, state.scale) else \
            f" (not restarted with seed {args.seed}, scale {args.scale}: run `mlg down` first)"
        print(f"already running: seed {state.seed}, scale {state.scale}{note}")
    else:
        print(f"started: seed {state.seed}, scale {state.scale}")
    print(f"  sqs        pid {state.sqs.pid:<8} {state.sqs_endpoint_url}")
    print(f"  simulator  pid {state.simulator.pid:<8} {state.simulator.url}")
    for name, info in state.services.items():
        if name != "kafka":  # printed below with its transport
            print(f"  {name:<10} pid {info.pid:<8} {info.url}")
    print(f"  queues     {len(state.queues)} (+ DLQs, maxReceiveCount {state.max_receive_count})")
    if "kafka" in state.services:
        print(f"  kafka      pid {state.services['kafka'].pid:<8} {state.service_settings.get('kafka_bootstrap')} "
              f"(events via {state.transport})")
    print(f"  state      {state.state_file}")
    print(f"  logs       {state.simulator.log.rsplit('/', 1)[0]}")
    return 0
