"""Damaged and hostile inputs at rest: a torn Delta log entry, a deleted one, a staging table
from an older schema, a stack state file naming dead pids, a full state directory. Each writing
command refuses with one line naming the file and the repair command, and leaves every file as
it was; `mlg repair` moves the damage aside (never deletes) and the next build works."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import time
from pathlib import Path

import pytest

from spark_jobs import tables
from tests.chaos import harness

pytestmark = [pytest.mark.integration]

WRITERS = (("build",), ("reconcile",), ("maintain",))


def files(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under the lakehouse but the lease (path -> size, mtime)."""
    out = {}
    for path in root.rglob("*"):
        if path.is_file() and "_mlg_lease" not in path.parts:
            st = path.stat()
            out[str(path.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return out


def refused_everywhere(lake, expected: list[str], commands=WRITERS) -> None:
    root = Path(lake.settings.lakehouse)
    before = files(root)
    for args in commands:
        out = harness.mlg(lake, *args)
        line = out.stderr.strip()
        assert out.returncode == 5, (args, out.returncode, out.stderr[-2000:])
        assert "\n" not in line, line
        for part in expected:
            assert part in line, (part, line)
    assert files(root) == before  # nothing written on top of the damage


def _log(lake, name: str) -> Path:
    return Path(tables.table(name).path(lake.settings)) / "_delta_log"


def _last_entry(lake, name: str) -> Path:
    return sorted(_log(lake, name).glob("0" * 10 + "*.json"))[-1]


@pytest.mark.chaos_core
def test_torn_delta_log_entry(lake):
    entry = _last_entry(lake, "graph.entities")
    version = int(entry.name[:20])
    entry.write_bytes(entry.read_bytes()[:57])  # torn mid-line
    refused_everywhere(lake, [f"graph.entities: Delta log entry {version} is torn", str(entry),
                              "repair: `mlg repair --table graph.entities`"])

    check = harness.mlg(lake, "repair", "--check")
    assert check.returncode == 5 and str(entry) in check.stdout
    fixed = harness.mlg(lake, "repair", "--table", "graph.entities")
    assert fixed.returncode == 0, fixed.stderr
    assert f"graph.entities is back at version {version - 1}" in fixed.stdout and "mlg reconcile" in fixed.stdout
    kept = list((_log(lake, "graph.entities") / "_quarantine").glob(entry.name + ".*"))
    assert len(kept) == 1 and len(kept[0].read_bytes()) == 57  # moved aside, not deleted
    assert tables.version(lake.settings, "graph.entities") == version - 1
    assert harness.mlg(lake, "repair", "--check").stdout.strip() == "nothing to repair"


@pytest.mark.chaos_core
def test_deleted_delta_log_entry(lake):
    log = _log(lake, "ops.runs")
    versions = sorted(int(p.name[:20]) for p in log.glob("0" * 10 + "*.json"))
    assert len(versions) >= 3
    gone = log / f"{versions[-2]:020d}.json"
    gone.unlink()
    refused_everywhere(lake, [f"ops.runs: Delta log entry {versions[-2]} is missing", str(gone),
                              "`mlg repair --table ops.runs`"])
    fixed = harness.mlg(lake, "repair")
    assert fixed.returncode == 0 and f"ops.runs is back at version {versions[-2] - 1}" in fixed.stdout
    assert tables.version(lake.settings, "ops.runs") == versions[-2] - 1


def test_staging_table_from_an_older_schema(lake):
    import pyarrow as pa
    from deltalake import write_deltalake

    path = tables.table("staging.entities").path(lake.settings)
    old = pa.table({"id": ["aip://model/registry/x"], "payload": ['{"name": "x"}']})  # the v0 layout
    write_deltalake(path, old, mode="overwrite", schema_mode="overwrite")
    refused_everywhere(lake, ["staging.entities: staging table from an older version", "missing batch",
                              path, "`mlg repair --table staging.entities`"], commands=(("build",),))
    fixed = harness.mlg(lake, "repair", "--table", "staging.entities")
    assert fixed.returncode == 0 and f"moved {path} to " in fixed.stdout
    assert list((Path(lake.settings.lakehouse) / "_quarantine" / "staging").glob("entities.*"))
    rebuilt = harness.mlg(lake, "build", "--only", "hydrate", "--only", "merge")
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]


@pytest.mark.chaos_core
def test_stack_state_file_pointing_at_dead_pids(lake):
    import json

    from infra import stack

    dead = [_dead_pid(), _dead_pid()]
    info = [stack.ProcessInfo(pid=p, port=1, url="http://127.0.0.1:1", log="/dev/null") for p in dead]
    state = stack.StackState(seed=11, scale=1, sqs=info[0], simulator=info[1], sqs_endpoint_url=info[0].url,
                             source_urls=dict(lake.sim.source_urls), queues={}, dlq_urls={},
                             max_receive_count=3, region="us-east-1", started_at=time.time())
    state_file = Path(lake.settings.state_dir) / "stack.json"
    state_file.write_text(json.dumps(dataclasses.asdict(state) | {"already_running": False}))
    lake_env = lake.env()
    no_sources = {k: "" for k in lake_env if k.startswith("MLG_SOURCE_") and k.endswith("_URL")}
    out = harness.mlg(lake, "build", **no_sources)  # the sources come from the stack file
    line = out.stderr.strip()
    assert out.returncode == 5 and "\n" not in line, out.stderr
    assert f"stack: the local stack is not running (simulator pid {dead[1]}, sqs pid {dead[0]})" in line
    assert str(state_file) in line and "`mlg up` restarts it" in line
    down = harness.mlg(lake, "down", **no_sources)
    assert down.returncode == 0, down.stderr
    assert not state_file.exists()


@contextlib.contextmanager
def small_filesystem(path: Path, size_kib: int):
    """A tmpfs of `size_kib` mounted at `path` (the test runs as root on the CI and dev machines)."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(path)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs (needs root): {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _fill(path: Path, leave_bytes: int) -> None:
    import shutil

    free = shutil.disk_usage(path).free
    with open(path / "filler", "wb") as fh:
        fh.write(b"\0" * max(0, free - leave_bytes))


@pytest.mark.chaos_core
def test_full_state_directory_refuses_before_writing(lake, tmp_path):
    state = tmp_path / "full-state"
    with small_filesystem(state, 1024):
        _fill(state, 16 * 1024)
        full = {"MLG_STATE_DIR": str(state)}
        for args in (("build",), ("up",)):
            out = harness.mlg(lake, *args, **full)
            line = out.stderr.strip()
            assert out.returncode == 5 and "\n" not in line, out.stderr
            assert "state_dir: the filesystem is full" in line and str(state) in line and "df -h" in line
        assert sorted(os.listdir(state)) == ["filler"]


def test_state_directory_filling_up_during_publish(lake, spark, tmp_path):
    state = tmp_path / "small-state"
    with small_filesystem(state, 4096):
        env = {"MLG_STATE_DIR": str(state), "MLG_MIN_FREE_BYTES": "65536"}
        first = harness.mlg(lake, "build", **env)
        assert first.returncode == 0, first.stderr[-2000:]
        from spark_jobs.search.embedded import current_snapshot

        settings = dataclasses.replace(lake.settings, state_dir=str(state))
        live = current_snapshot(settings)
        harness.change_sources(lake, spark)  # new events: the next publish writes a new snapshot
        _fill(state, 200 * 1024)
        out = harness.mlg(lake, "build", **env)
        line = out.stderr.strip()
        assert out.returncode != 0 and "\n" not in line, out.stderr
        assert "no space left on device writing " + str(state) in line and "rerun the same command" in line
        assert current_snapshot(settings) == live  # the live snapshot never moved
        harness.assert_search_on_complete_snapshot(settings)
        from spark_jobs.search.embedded import search_root

        snapshots = search_root(settings) / "snapshots"
        assert not [p for p in os.listdir(snapshots) if ".tmp-" in p]  # the partial index is gone

        (state / "filler").unlink()
        again = harness.mlg(lake, "build", **env)
        assert again.returncode == 0, again.stderr[-2000:]
        assert current_snapshot(settings) != live
        harness.assert_search_on_complete_snapshot(settings)


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid
