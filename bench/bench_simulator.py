"""Simulator benchmark: generation time and peak RSS per scale, streamed (never materialised).

Each scale runs in a fresh child process, so its peak RSS is its own (not the largest earlier
scale's). Steps per scale:

- `truth`: build the ecosystem and stream its full ground truth (every entity and declared
  edge, through identity owner resolution): what a convergence test or benchmark reads.
- `listing`: page through every collection 1,000 at a time (what full reconciliation asks of
  the sources), payloads generated on the fly.
- `http_listing` (scales <= --http-max-scale): the same listing over HTTP from a simulator child
  process; RSS includes that child.

    .venv/bin/python bench/bench_simulator.py                  # scales 1 10 100
    .venv/bin/python bench/bench_simulator.py --scale 1000     # adds scale 1000 (about 860k entities)

Results are appended to bench/results.jsonl (`"bench": "simulator"`) and printed as a table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def run_scale(scale: int, seed: int, http: bool) -> list[dict[str, Any]]:
    """Measure one scale in this process (called in a fresh child by `main`)."""
    from infra.simulator import truth
    from infra.simulator.collections import COLLECTIONS
    from infra.simulator.ecosystem import Ecosystem
    from spark_jobs.bench.measure import measure

    out = []
    with measure("truth") as m:
        eco = Ecosystem(seed=seed, scale=scale)
        n_entities = n_edges = 0
        for entity_rows, edge_rows in truth.records(eco):
            n_entities += len(entity_rows)
            n_edges += len(edge_rows)
        m.rows_out = n_entities
        m.extra = {"entities": n_entities, "edges": n_edges}
    out.append(m.as_dict())

    with measure("listing") as m:
        eco = Ecosystem(seed=seed, scale=scale)
        objects = pages = 0
        for name in COLLECTIONS:
            position: int | None = 0
            while position is not None:
                items, position = eco.page(name, page_size=1000, position=position)
                objects += len(items)
                pages += 1
        m.rows_out = objects
        m.extra = {"objects": objects, "pages": pages}
    out.append(m.as_dict())

    if http:
        from infra.simulator.launch import start_simulator
        from infra.simulator.server import MAX_PAGE_SIZE

        with measure("http_listing") as m:
            import urllib.request

            sim = start_simulator(seed=seed, scale=scale)
            try:
                objects = requests = 0
                for name, spec in COLLECTIONS.items():
                    token = None
                    while True:
                        url = f"{sim.source_urls[spec.platform]}/api/v1/{name}?page_size={MAX_PAGE_SIZE}"
                        if token:
                            url += f"&page_token={token}"
                        with urllib.request.urlopen(url, timeout=120) as response:
                            page = json.loads(response.read())
                        requests += 1
                        objects += len(page["items"])
                        token = page["next_page_token"]
                        if token is None:
                            break
            finally:
                sim.stop()
            m.rows_out = objects
            m.extra = {"objects": objects, "requests": requests}
        out.append(m.as_dict())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--scale", type=int, action="append", default=[],
                        help="add a scale (e.g. --scale 1000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--http-max-scale", type=int, default=10)
    parser.add_argument("--no-record", action="store_true", help="do not append to bench/results.jsonl")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child is not None:
        print(json.dumps(run_scale(args.child, args.seed, args.child <= args.http_max_scale)))
        return 0

    from spark_jobs.bench import results

    print(f"{'scale':>6} {'step':<13} {'seconds':>9} {'peak MB':>8} {'rows':>9} {'rows/s':>10}  extra")
    for scale in dict.fromkeys(args.scales + args.scale):
        proc = subprocess.run([sys.executable, __file__, "--child", str(scale), "--seed", str(args.seed),
                               "--http-max-scale", str(args.http_max_scale)],
                              capture_output=True, text=True, cwd=REPO,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return proc.returncode
        steps = json.loads(proc.stdout.strip().splitlines()[-1])
        for s in steps:
            print(f"{scale:>6} {s['step']:<13} {s['seconds']:>9.2f} {s['peak_rss_mb']:>8.1f} "
                  f"{s['rows_out'] or 0:>9} {s['rows_per_s'] or 0:>10.0f}  {s['extra']}")
        if not args.no_record:
            results.append({"bench": "simulator", "scale": scale, "seed": args.seed, "steps": steps})
    return 0


if __name__ == "__main__":
    sys.exit(main())
