"""The chaos harness.

Every scenario gets a scratch lakehouse copied from one bootstrapped base (built once per test
session) and a fresh in-process simulator with the base's seed, so the copy starts equal to the
simulator's ground truth. The scenario changes the sources with event faults on (30% of events
dropped, duplicates, SNS envelopes), lands the surviving events, and runs `mlg` as real child
processes (SIGKILLed at a named kill point through MLG_CHAOS_KILL_AT, or by a timer) while
readers poll every table. Then a normal rerun (and `mlg reconcile`, since events were dropped)
must bring the graph to the ground truth row for row.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from spark_jobs import tables
from spark_jobs.config import Settings
from tests.integration.hydration_support import Sim, mutations, start_sim

SEED = 11
POLLED = ("graph.entities", "graph.edges", "graph.entity_history", "graph.impact", "ops.hydration_failures",
          "ops.runs", "landing.events", "search.snapshots")
CHILD_ENV = {
    "MLG_SOURCE_RATE": "400", "MLG_HTTP_BACKOFF_BASE": "0.05", "MLG_HTTP_MAX_ATTEMPTS": "8",
    "MLG_ENRICH_LIMIT": "200", "MLG_HTTP_READ_TIMEOUT": "2", "MLG_HTTP_CONNECT_TIMEOUT": "1",
    "MLG_STAGE_CHUNK_ROWS": "150",  # several staging commits per batch: kill points between writes
    "MLG_LEASE_TTL_S": "8", "RUST_LOG": "error", "PYTHONUNBUFFERED": "1",
}


@dataclass
class Lake:
    """One scenario's lakehouse, state dir and simulator."""

    root: Path
    sim: Sim
    settings: Settings
    landed_ids: list[str] = field(default_factory=list)
    services: dict[str, str] = field(default_factory=dict)
    """Environment of every later `mlg` child: the services a scenario started (engine, search)."""

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MLG_", "AWS_"))}
        env.update(CHILD_ENV)
        env.update(MLG_LAKEHOUSE=self.settings.lakehouse, MLG_STATE_DIR=self.settings.state_dir,
                   MLG_REPORTS_DIR=self.settings.reports_dir, MLG_CONFIG=str(self.root / "absent.toml"))
        env.update({f"MLG_SOURCE_{p.upper()}_URL": url for p, url in self.sim.source_urls.items()})
        env.update(self.services)
        env.update(extra)
        return env

    def close(self) -> None:
        self.sim.close()


def settings_at(root: Path, sim: Sim | None = None) -> Settings:
    return Settings.load(env={}, lakehouse=str(root / "lakehouse"), state_dir=str(root / "state"),
                         reports_dir=str(root / "reports"),
                         source_urls=dict(sim.source_urls) if sim else None)


def build_base(root: Path) -> Path:
    """A lakehouse bootstrapped from the seed-`SEED` ecosystem by a real `mlg build`."""
    sim = start_sim(seed=SEED, scale=1)
    try:
        lake = Lake(root, sim, settings_at(root, sim))
        out = mlg(lake, "build", timeout=300)
        assert out.returncode == 0, out.stderr[-3000:]
    finally:
        sim.close()
    return root


def new_lake(base: Path, root: Path) -> Lake:
    """A copy of the base lakehouse and state, and a fresh simulator with the base's seed."""
    for part in ("lakehouse", "state"):
        shutil.copytree(base / part, root / part, symlinks=True)
    sim = start_sim(seed=SEED, scale=1)
    return Lake(root, sim, settings_at(root, sim))


def change_sources(lake: Lake, spark, *, source_faults: dict | None = None) -> int:
    """Mutate the sources with event faults on and land the events that survived (one commit)."""
    from tests.integration.hydration_support import land_events

    sim = lake.sim
    faults = {"drop_rate": 0.3, "duplicate_rate": 0.2, "sns_rate": 0.3}
    sim.admin("POST", "events", faults)
    sim.new_events()
    for m in mutations(sim.state.eco):
        sim.admin("POST", "mutations", m)
    add_reference(sim, faults)
    events = sim.new_events()
    if source_faults:
        sim.faults(source_faults)
    land_events(spark, lake.settings, events)
    return len(events)


def add_reference(sim: Sim, faults: dict) -> None:
    """A new model whose own event is lost, used by a new instance whose event lands: hydrate
    leaves the model a `reference` and the same build's `enrich` fetches it (so every enrich
    kill point has work). Last, so the seeded faults of the mutations above stay as they were."""
    sim.admin("POST", "events", {"drop_rate": 1.0})
    sim.admin("POST", "mutations", {"op": "create", "collection": "models", "id": "chaos/referenced-model",
                                    "fields": {"name": "Referenced only", "owner_emails": [],
                                               "labels": [{"key": "tier", "value": "2"}]}})
    sim.admin("POST", "events", {"drop_rate": 0.0})
    sim.admin("POST", "mutations", {"op": "create", "collection": "instances", "id": "chaos-referencing-instance",
                                    "fields": {"model_id": "chaos/referenced-model", "version": "1.0.0",
                                               "status": "STAGING", "owner_emails": [], "features": [],
                                               "labels": []}})
    sim.admin("POST", "events", faults)


def mlg(lake: Lake, *args: str, kill_at: str | None = None, timeout: float = 240,
        **env: str) -> subprocess.CompletedProcess:
    """`mlg ARGS` as a child process (SIGKILLed at `kill_at` when given)."""
    extra = dict(env)
    if kill_at:
        extra["MLG_CHAOS_KILL_AT"] = kill_at
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "spark_jobs.cli", *args], env=lake.env(**extra),
                         capture_output=True, text=True, timeout=timeout, cwd=lake.root)
    print(f"mlg {' '.join(args)}{f' (kill at {kill_at})' if kill_at else ''}: rc {out.returncode} "
          f"in {time.perf_counter() - started:.1f}s")
    return out


def start_mlg(lake: Lake, *args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "spark_jobs.cli", *args], env=lake.env(**env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=lake.root)


def run_id_of(output: str) -> str:
    """The run id a `mlg build` prints first (`build <run id>`)."""
    first = next(line for line in output.splitlines() if line.startswith("build "))
    return first.split()[1]


class Watched:
    """`mlg ARGS` as a child whose output lines are read as they come (to act at a stage boundary)."""

    def __init__(self, lake: Lake, *args: str, **env: str) -> None:
        self.args = args
        self.started = time.perf_counter()
        self.proc = start_mlg(lake, *args, **env)
        self.out: list[str] = []
        self.err: list[str] = []
        self._changed = threading.Condition()
        self._readers = [threading.Thread(target=self._pump, args=(stream, lines), daemon=True)
                         for stream, lines in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for reader in self._readers:
            reader.start()

    def _pump(self, stream, lines: list[str]) -> None:
        for line in stream:
            with self._changed:
                lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for_line(self, starts: str, timeout: float) -> float:
        """Until a stdout line starts with `starts`; returns when (perf_counter). Fails if the
        process ends or the time runs out first."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not any(line.startswith(starts) for line in self.out):
                left = deadline - time.monotonic()
                if left <= 0 or not self._readers[0].is_alive():  # timed out, or stdout closed
                    raise AssertionError(f"mlg {' '.join(self.args)}: no line {starts!r} (rc {self.proc.poll()}): "
                                         f"{''.join(self.out)[-1500:]}{''.join(self.err)[-1500:]}")
                self._changed.wait(min(left, 1.0))
        return time.perf_counter()

    def finish(self, timeout: float) -> tuple[int, str, str]:
        self.proc.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(30)
        print(f"mlg {' '.join(self.args)}: rc {self.proc.returncode} in {time.perf_counter() - self.started:.1f}s")
        return self.proc.returncode, "".join(self.out), "".join(self.err)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)


def wait_stopped(pid: int, timeout: float) -> None:
    """Until process `pid` is stopped (SIGSTOP at an MLG_CHAOS_STOP_AT point)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            raise AssertionError(f"process {pid} ended before it stopped") from None
        if state in ("T", "t"):
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} did not reach its stop point within {timeout:.0f}s")


def kill_after(proc: subprocess.Popen, seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, lambda: proc.poll() is None and os.kill(proc.pid, signal.SIGKILL))
    timer.start()
    return timer


class Poller:
    """A daemon thread calling `poll_once` every `period_s` while the block runs."""

    def __init__(self, period_s: float) -> None:
        self.period_s = period_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"chaos-{type(self).__name__}")

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll_once()
            self._stop.wait(self.period_s)

    def poll_once(self) -> None:
        raise NotImplementedError


class Readers(Poller):
    """Readers polling each table (delta-rs, as an analyst's tool would) while `mlg` runs.

    Each read records (table, version, rows, distinct keys); afterwards every observation must
    match that version read again (a reader saw a committed version, never a half-written one),
    versions never go backwards, and no version ever holds a duplicate key.
    """

    def __init__(self, settings: Settings, names: tuple[str, ...] = POLLED, period_s: float = 0.25) -> None:
        super().__init__(period_s)
        self.settings, self.names = settings, names
        self.seen: list[tuple[str, int, int, int]] = []
        self.errors: list[str] = []

    def _read(self, name: str, version: int | None = None) -> tuple[int, int, int] | None:
        import pyarrow.compute as pc
        from deltalake import DeltaTable

        path = tables.table(name).path(self.settings)
        if not DeltaTable.is_deltatable(path):
            return None
        dt = DeltaTable(path) if version is None else DeltaTable(path, version=version)
        key = list(tables.table(name).key)
        data = dt.to_pyarrow_table(columns=key)
        if len(key) == 1:
            distinct = pc.count_distinct(data.column(key[0])).as_py()
        else:
            distinct = data.group_by(key).aggregate([]).num_rows
        return dt.version(), data.num_rows, distinct

    def poll_once(self) -> None:
        for name in self.names:
            try:
                got = self._read(name)
            except Exception as exc:  # noqa: BLE001 - every failed read is a finding
                self.errors.append(f"{name}: {type(exc).__name__}: {exc}")
                continue
            if got is not None:
                self.seen.append((name, *got))

    def assert_consistent(self) -> int:
        """Check every observation; returns how many reads were checked."""
        assert self.errors == [], self.errors[:5]
        last: dict[str, int] = {}
        checked: dict[tuple[str, int], tuple[int, int]] = {}
        for name, version, n, distinct in self.seen:
            assert version >= last.get(name, -1), f"{name} went back from v{last[name]} to v{version}"
            last[name] = version
            if tables.table(name).key and name != "ops.runs" and name != "landing.events":
                assert distinct == n, f"{name} v{version}: {n} rows but {distinct} distinct keys"
            again = checked.get((name, version))
            if again is None:
                v, rows, keys = self._read(name, version)
                again = checked[(name, version)] = (rows, keys)
            assert (n, distinct) == again, f"{name} v{version} read {n} rows, the version holds {again[0]}"
        return len(self.seen)


def staged_batches(settings: Settings) -> set[str]:
    from deltalake import DeltaTable

    from spark_jobs.hydration.staging import STAGING

    out: set[str] = set()
    for name in STAGING:
        path = tables.table(name).path(settings)
        if DeltaTable.is_deltatable(path):
            out |= set(DeltaTable(path).to_pyarrow_table(columns=["batch"]).column("batch").unique().to_pylist())
    return out


def runs(settings: Settings) -> list[dict]:
    from deltalake import DeltaTable

    return DeltaTable(tables.table("ops.runs").path(settings)).to_pyarrow_table(
        columns=["run_id", "stage", "status", "metrics"]).to_pylist()


def landing_ids(settings: Settings) -> list[str]:
    from deltalake import DeltaTable

    return DeltaTable(tables.table("landing.events").path(settings)).to_pyarrow_table(
        columns=["message_id"]).column("message_id").to_pylist()


def assert_search_on_complete_snapshot(settings: Settings) -> str:
    """The embedded search pointer names a snapshot whose every index is complete and published."""
    import json

    from spark_jobs.search.embedded import current_snapshot, search_root

    sid = current_snapshot(settings)
    assert sid, "no live search snapshot"
    meta = json.loads((search_root(settings) / "snapshots" / sid / "snapshot.json").read_text())
    published = [r for r in _snapshot_rows(settings) if r["snapshot_id"] == sid and r["backend"] == "embedded"]
    assert any(r["status"] == "published" for r in published), (sid, published)
    import tantivy

    for kind, count in meta["doc_counts"].items():  # each index opens and holds every document
        index = tantivy.Index.open(str(search_root(settings) / "snapshots" / sid / kind))
        index.reload()
        assert index.searcher().num_docs == count, (sid, kind)
    return sid


def _snapshot_rows(settings: Settings) -> list[dict]:
    from deltalake import DeltaTable

    return DeltaTable(tables.table("search.snapshots").path(settings)).to_pyarrow_table(
        columns=["snapshot_id", "backend", "status"]).to_pylist()


def assert_scores_rolled_up(settings: Settings) -> None:
    """quality.score_rollups counts every run quality.entity_scores holds, with its assets."""
    from deltalake import DeltaTable

    def read(name: str, columns: list[str]) -> list[dict]:
        path = tables.table(name).path(settings)
        return DeltaTable(path).to_pyarrow_table(columns=columns).to_pylist() if DeltaTable.is_deltatable(path) else []

    scored: dict[str, int] = {}
    for row in read("quality.entity_scores", ["run_id"]):
        scored[row["run_id"]] = scored.get(row["run_id"], 0) + 1
    rolled = {r["run_id"]: r["assets"] for r in read("quality.score_rollups", ["run_id", "scope", "assets"])
              if r["scope"] == "all"}
    assert rolled == scored, (rolled, scored)


def converged(lake: Lake, spark_settings: Settings | None = None) -> None:
    """graph == ground truth row for row (a fresh Spark session on this lakehouse)."""
    from spark_jobs.session import spark_session
    from tests.integration.hydration_support import assert_matches_truth

    settings = spark_settings or lake.settings
    with spark_session(settings) as spark:
        tables.register(spark, settings, ["graph.entities", "graph.edges"])
        assert_matches_truth(spark, lake.sim)


def with_sources(settings: Settings, sim: Sim) -> Settings:
    return replace(settings, source_urls=dict(sim.source_urls))


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - started


def search_server(url: str):
    from spark_jobs.search import opensearch

    return opensearch.wrap(opensearch.connect(url, request_timeout=10))


def assert_cluster_on_complete_snapshot(settings: Settings, url: str, prefix: str) -> str:
    """Each of the server's aliases points at exactly one index, of the snapshot the embedded
    pointer is on, holding every document that snapshot's published row counted."""
    from spark_jobs.search import cluster

    server = search_server(url)
    embedded = assert_search_on_complete_snapshot(settings)
    rows = [r for r in _published_rows(settings, "opensearch") if r["snapshot_id"] == embedded]
    assert rows, f"snapshot {embedded} was never published to the search server"
    names, counts = rows[-1]["index_names"], dict(rows[-1]["doc_counts"])
    for kind, alias in cluster.alias_names(prefix).items():
        targets = server.alias_targets(alias)
        assert len(targets) == 1 and targets[0] in names, (alias, targets, names)
        assert server.count(alias) == counts[kind], (alias, server.count(alias), counts)
    return embedded


def _published_rows(settings: Settings, backend: str) -> list[dict]:
    from deltalake import DeltaTable

    rows = DeltaTable(tables.table("search.snapshots").path(settings)).to_pyarrow_table(
        columns=["snapshot_id", "backend", "index_names", "doc_counts", "status", "published_at"]).to_pylist()
    return sorted((r for r in rows if r["backend"] == backend and r["status"] in ("published", "unchanged")),
                  key=lambda r: r["published_at"])


class AliasReaders(Poller):
    """A reader of the search server's aliases while `mlg` runs: each answer (the index that served
    a search of the alias, the documents it holds) must be one a complete publish left (checked
    afterwards); the node being down (killed) is counted, not an error."""

    def __init__(self, url: str, prefix: str, period_s: float = 0.2) -> None:
        from spark_jobs.search import cluster

        super().__init__(period_s)
        self.server, self.aliases, self.prefix = search_server(url), cluster.alias_names(prefix), prefix
        self.seen: list[tuple[str, str, int]] = []
        self.down = 0

    def poll_once(self) -> None:
        # one search per alias, answering which index served it and with how many documents (an
        # alias lookup then a count would be two answers: the alias may move between them)
        body = {"size": 0, "aggs": {"served_by": {"terms": {"field": "_index", "size": 10}}}}
        for kind, alias in self.aliases.items():
            try:
                answer = self.server.client.search(index=alias, body=body)
            except Exception:  # noqa: BLE001 - the node is down (killed) or restarting, or no alias yet
                self.down += 1
                continue
            for bucket in answer["aggregations"]["served_by"]["buckets"]:
                self.seen.append((kind, bucket["key"], bucket["doc_count"]))

    def assert_consistent(self, settings: Settings) -> int:
        complete = {}  # index name (`<prefix>-<kind>-<snapshot>…`) -> the documents its publish counted
        for r in _published_rows(settings, "opensearch"):
            counts = dict(r["doc_counts"])
            for name in r["index_names"]:
                complete[name] = counts[name[len(self.prefix) + 1:].split("-", 1)[0]]
        for kind, target, count in self.seen:
            assert target in complete, f"alias of {kind} on {target}: not an index a complete publish left"
            assert count == complete[target], f"alias of {kind} on {target} held {count} of {complete[target]}"
        return len(self.seen)
