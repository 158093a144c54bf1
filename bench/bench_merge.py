"""Merge benchmark: the batch merge (`hydration.apply.merge_batch`) alone, in a process of its own,
on copies of a built lakehouse whose staging tables still hold its bootstrap batch (a full build's
hydrate stage leaves them so): seconds and peak RSS of that process, for

- bootstrap: the staged batch merged into empty graph tables (the copy keeps only staging/ops);
- incremental: `--changed` entities of that batch re-staged as a new batch, three in four with an
  edited description, every tenth of their edges dropped, plus ten new entities, merged into the
  graph tables the lakehouse already holds.

The source lakehouse is only read. `--code` runs another checkout's `spark_jobs` (the before side
of a change, e.g. a `git worktree` of the previous commit) on the same copies.

    .venv/bin/python bench/bench_merge.py --lakehouse /tmp/s100/lakehouse --changed 200
    .venv/bin/python bench/bench_merge.py --lakehouse /tmp/s1000/lakehouse --changed 860 --code /tmp/before
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRAPH = ("graph/entities", "graph/edges", "graph/entity_history", "ops/hydration_failures")


def staged_batch(lakehouse: Path) -> str:
    from deltalake import DeltaTable

    batches = set(DeltaTable(str(lakehouse / "staging/entities")).to_pyarrow_table(columns=["batch"])
                  .column("batch").to_pylist())
    if len(batches) != 1:
        raise SystemExit(f"{lakehouse}: staging holds {len(batches)} batches, expected one")
    return batches.pop()


def copy_for(kind: str, source: Path, dest: Path) -> None:
    names = ("staging", "ops", "landing") if kind == "bootstrap" else ("staging", "ops", "landing", "graph")
    for name in names:
        if (source / name).exists():
            shutil.copytree(source / name, dest / name, ignore=shutil.ignore_patterns("impact", "similarity",
                                                                                        "deprecation_candidates"))
    if kind == "bootstrap":
        for table in GRAPH:
            shutil.rmtree(dest / table, ignore_errors=True)


def restage(lakehouse: Path, changed: int, batch: str, seed: int = 1) -> None:
    """Replace the staged batch by `changed` of its entities (most edited) and ten new ones."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from deltalake import DeltaTable, write_deltalake

    def read(name):
        return DeltaTable(str(lakehouse / "staging" / name)).to_pyarrow_table()

    entities, edges, outcomes = read("entities"), read("edges"), read("outcomes")
    pick = sorted(random.Random(seed).sample(entities.column("id").to_pylist(), changed))
    picked = pa.array(pick)
    rows = entities.filter(pc.is_in(entities["id"], picked))
    edited = [(d or "") + (" (edited)" if i % 4 else "") for i, d in enumerate(rows.column("description").to_pylist())]
    rows = rows.set_column(rows.schema.get_field_index("description"), "description", pa.array(edited, pa.string()))
    new = entities.filter(pc.is_in(entities["id"], pa.array(pick[:10])))
    new = new.set_column(new.schema.get_field_index("id"), "id",
                         pc.binary_join_element_wise(new["id"], pa.scalar("-new"), ""))
    declared = edges.filter(pc.is_in(edges["declared_by"], picked))
    declared = declared.filter(pa.array([i % 10 != 0 for i in range(declared.num_rows)]))
    tables = {"entities": pa.concat_tables([rows, new]), "edges": declared,
              "outcomes": outcomes.filter(pc.is_in(outcomes["id"], picked))}
    for name, table in tables.items():
        table = table.set_column(0, "batch", pa.array([batch] * table.num_rows, pa.string()))
        write_deltalake(str(lakehouse / "staging" / name), table, mode="overwrite")


def run_merge(lakehouse: Path, batch: str, code: Path) -> dict:
    """merge_batch in a child process: its seconds, the process's peak RSS (VmHWM) and the metrics."""
    child = (
        "import json, sys, time\n"
        f"sys.path.insert(0, {str(code)!r})\n"
        "from datetime import datetime, timezone\n"
        "from spark_jobs import tables\n"
        "from spark_jobs.config import Settings\n"
        "from spark_jobs.hydration.apply import merge_batch\n"
        "from spark_jobs.session import spark_session\n"
        f"lake = {str(lakehouse)!r}\n"
        "settings = Settings.load(env={}, lakehouse=lake, state_dir=lake + '_state', reports_dir=lake + '_reports')\n"
        "with spark_session(settings) as spark:\n"
        "    tables.register(spark, settings)\n"
        "    t = time.perf_counter()\n"
        f"    out = merge_batch(spark, settings, {batch!r}, run_id='bench-merge', now=datetime.now(timezone.utc))\n"
        "    seconds = round(time.perf_counter() - t, 2)\n"
        "hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "print(json.dumps({'seconds': seconds, 'peak_rss_mb': int(hwm) // 1024, **out}))\n"
    )
    load = os.getloadavg()[0]
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                          env={**os.environ, "RUST_LOG": "error"})
    if done.returncode:
        raise SystemExit(done.stderr[-2000:])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["load"] = f"{load:.1f}-{os.getloadavg()[0]:.1f}"
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lakehouse", type=Path, required=True, help="a built lakehouse (only read)")
    parser.add_argument("--kinds", nargs="+", default=["bootstrap", "incremental"],
                        choices=["bootstrap", "incremental"])
    parser.add_argument("--changed", type=int, default=200, help="entities re-staged for the incremental merge")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose spark_jobs runs the merge")
    parser.add_argument("--work", type=Path, help="where the copies go (default: a temporary directory)")
    args = parser.parse_args(argv)

    source = args.lakehouse.resolve()
    batch = staged_batch(source)
    work = Path(tempfile.mkdtemp(prefix="bench-merge-", dir=args.work))
    try:
        for kind in args.kinds:
            lake = work / kind
            copy_for(kind, source, lake)
            merged = batch
            if kind == "incremental":
                merged = "bench-incremental:hydrate"
                restage(lake, args.changed, merged)
            started = time.perf_counter()
            result = run_merge(lake, merged, args.code)
            result["process_seconds"] = round(time.perf_counter() - started, 2)
            print(json.dumps({"kind": kind, "code": str(args.code), **result}), flush=True)
            shutil.rmtree(lake, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
