"""The build lease: at most one writer of the graph at a time, across processes and hosts.

A build (CLI, Airflow task, bench), `mlg bootstrap` / `mlg reconcile` and maintenance take the
lease `<lakehouse>/_mlg_lease/build.<generation>.json` before writing. Staging holds one batch
and every stage reads what the previous one committed, so two writers would interleave their
batches and merge twice; landing only appends to landing.events and may run beside a build.

Generations make every change of holder one atomic create: the current lease is the file with
the highest generation, and whoever takes the lease over (first acquire, after a release, after
expiry, from a dead process) creates generation n+1, which exactly one contender can do —
locally a hard link of a fully written temp file (fails if the name exists, never exposes a
half-written file), on S3 a conditional put (`If-None-Match: *`). The holder renews its own
generation file from a background thread; a holder that finds a higher generation has lost the
lease and its build stops at the next stage.

A holder records host, pids, command, run id and expiry. A second writer is refused at once
(`LeaseHeld`, one line naming the holder and since when). The lease is taken over

- after it expires (its holder stopped renewing: killed, hung, host gone), or
- at once when its holder runs on this host, holds it per process, and every pid is dead.

An Airflow DAG run holds the lease for the whole run (`mode="dag"`): each task re-enters it under
the run's id and parks it between tasks (no pid, expiry `dag_gap_s`), so a CLI build cannot slip
in between two tasks of a DAG run; the last task (or the DAG's failure callback) releases it.

Taking over from a holder that did not release it, the new holder first makes the dead holder's
staged batch harmless: its rows (`<run_id>:<stage>`) are deleted from the staging tables, so
no later merge can pick them up (the dead run's watermark never moved: its events are hydrated
again by the new build), and `abandoned_run` says which run that was (recorded in `ops.runs`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Protocol

from spark_jobs.config import Settings
from spark_jobs.errors import MlgError

log = logging.getLogger(__name__)

LEASE_DIR = "_mlg_lease"
NAME = "build"
_GEN = re.compile(r"^(?P<name>[a-z_]+)\.(?P<gen>\d{12})\.json$")


class LeaseHeld(MlgError):
    """Another writer holds the lease (the message names it and since when)."""

    exit_code = 4


class LeaseLost(MlgError):
    """This process's lease was taken over (it stopped renewing for longer than its TTL)."""

    exit_code = 4


@dataclass(frozen=True)
class LeaseConfig:
    """Timings; explicit arguments override MLG_LEASE_* which override the defaults."""

    ttl_s: float = 60.0          # a running holder's lease expires this long after its last renewal
    renew_every_s: float = 15.0  # renewal period (well under ttl_s)
    dag_gap_s: float = 1200.0    # a parked DAG-run lease (between two tasks; > max retry delay)

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **overrides: float | None) -> LeaseConfig:
        env = os.environ if env is None else env
        values: dict[str, float] = {}
        for name in ("ttl_s", "renew_every_s", "dag_gap_s"):
            raw = env.get(f"MLG_LEASE_{name.upper()}")
            if raw:
                try:
                    values[name] = float(raw)
                except ValueError:
                    raise MlgError(f"MLG_LEASE_{name.upper()}={raw!r} is not a number of seconds") from None
        values.update({k: float(v) for k, v in overrides.items() if v is not None})
        config = cls(**values)
        if "renew_every_s" not in values:
            config = replace(config, renew_every_s=min(config.renew_every_s, config.ttl_s / 4))
        return config


@dataclass(frozen=True)
class Holder:
    """One generation of the lease, as stored."""

    run_id: str
    command: str
    host: str
    pids: tuple[int, ...]
    mode: str            # "process": a dead pid frees it; "dag": only expiry or release does
    acquired_at: float
    expires_at: float
    released: bool = False
    generation: int = 0

    def to_json(self) -> str:
        body = {k: v for k, v in self.__dict__.items() if k != "generation"}
        body["pids"] = list(self.pids)
        return json.dumps(body, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, generation: int) -> Holder:
        data = json.loads(text)
        return cls(run_id=str(data["run_id"]), command=str(data.get("command", "?")),
                   host=str(data.get("host", "?")), pids=tuple(int(p) for p in data.get("pids", [])),
                   mode=str(data.get("mode", "process")), acquired_at=float(data["acquired_at"]),
                   expires_at=float(data["expires_at"]), released=bool(data.get("released", False)),
                   generation=generation)

    def describe(self, now: float | None = None) -> str:
        now = time.time() if now is None else now
        since = datetime.fromtimestamp(self.acquired_at, timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
        who = f"pid {','.join(map(str, self.pids))} on {self.host}" if self.pids else \
            f"between tasks, last on {self.host}"
        left = max(0, round(self.expires_at - now))
        return f"run {self.run_id} ({self.command}; {who}) since {since}, expires in {left}s"

    def free(self, now: float, host: str) -> str | None:
        """Why this lease may be taken over now (None: it is held)."""
        if self.released:
            return "released"
        if now >= self.expires_at:
            return "expired"
        if self.mode == "process" and self.host == host and self.pids and not any(map(_pid_alive, self.pids)):
            return "holder process dead"
        return None


def _pid_alive(pid: int) -> bool:
    from infra.stack import pid_alive  # one liveness check (zombies count as dead) for stack and lease

    return pid_alive(pid)


# ---- where the lease is stored -----------------------------------------------------------------

class LeaseStore(Protocol):
    location: str

    def generations(self) -> list[int]: ...
    def read(self, generation: int) -> str | None: ...
    def create(self, generation: int, body: str) -> bool: ...
    def overwrite(self, generation: int, body: str) -> None: ...
    def delete(self, generation: int) -> None: ...


class LocalStore:
    """A directory: create = hard link of a complete temp file (atomic, fails if it exists)."""

    def __init__(self, directory: str) -> None:
        self.location = directory

    def _path(self, generation: int) -> str:
        return os.path.join(self.location, f"{NAME}.{generation:012d}.json")

    def generations(self) -> list[int]:
        try:
            names = os.listdir(self.location)
        except FileNotFoundError:
            return []
        return sorted(int(m["gen"]) for m in map(_GEN.match, names) if m and m["name"] == NAME)

    def read(self, generation: int) -> str | None:
        try:
            with open(self._path(generation)) as fh:
                return fh.read()
        except FileNotFoundError:
            return None

    def _temp(self, body: str) -> str:
        os.makedirs(self.location, exist_ok=True)
        tmp = os.path.join(self.location, f".tmp-{uuid.uuid4().hex}")
        try:
            with open(tmp, "x") as fh:
                fh.write(body)
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:  # a full disk: leave no partial temp file behind
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return tmp

    def create(self, generation: int, body: str) -> bool:
        tmp = self._temp(body)
        try:
            os.link(tmp, self._path(generation))
            return True
        except FileExistsError:
            return False
        finally:
            os.unlink(tmp)

    def overwrite(self, generation: int, body: str) -> None:
        os.replace(self._temp(body), self._path(generation))

    def delete(self, generation: int) -> None:
        try:
            os.unlink(self._path(generation))
        except FileNotFoundError:
            pass


class S3Store:
    """An S3 prefix: create = PutObject with If-None-Match: * (S3 and moto honour it; a store
    that ignores the header would let two contenders both win a takeover race)."""

    def __init__(self, url: str) -> None:
        self.location = url.rstrip("/")
        bucket_and_prefix = self.location.split("://", 1)[1]
        self.bucket, _, self.prefix = bucket_and_prefix.partition("/")

    def _client(self):
        import boto3

        return boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None)

    def _key(self, generation: int) -> str:
        return f"{self.prefix}/{NAME}.{generation:012d}.json"

    def generations(self) -> list[int]:
        pages = self._client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=f"{self.prefix}/")
        names = [obj["Key"].rsplit("/", 1)[-1] for page in pages for obj in page.get("Contents", [])]
        return sorted(int(m["gen"]) for m in map(_GEN.match, names) if m and m["name"] == NAME)

    def read(self, generation: int) -> str | None:
        from botocore.exceptions import ClientError

        try:
            return self._client().get_object(Bucket=self.bucket, Key=self._key(generation))["Body"].read().decode()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise

    def create(self, generation: int, body: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._client().put_object(Bucket=self.bucket, Key=self._key(generation), Body=body.encode(),
                                      IfNoneMatch="*")
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("PreconditionFailed", "ConditionalRequestConflict"):
                return False
            raise

    def overwrite(self, generation: int, body: str) -> None:
        self._client().put_object(Bucket=self.bucket, Key=self._key(generation), Body=body.encode())

    def delete(self, generation: int) -> None:
        self._client().delete_object(Bucket=self.bucket, Key=self._key(generation))


def store_for(settings: Settings) -> LeaseStore:
    from spark_jobs import tables

    root = tables.lakehouse_root(settings)
    if root.startswith(("s3://", "s3a://")):
        return S3Store(f"{root}/{LEASE_DIR}")
    if "://" in root and not root.startswith("file://"):
        raise MlgError(f"no build lease for {root}: only local paths and s3:// lakehouses support one")
    return LocalStore(os.path.join(root.removeprefix("file://"), LEASE_DIR))


# ---- the lease ---------------------------------------------------------------------------------

def _command() -> str:
    argv = [os.path.basename(sys.argv[0] or "python"), *sys.argv[1:]]
    return " ".join(argv)[:200]


@dataclass
class Lease:
    """This process's hold on the lease (see the module docstring)."""

    settings: Settings
    run_id: str
    command: str = field(default_factory=_command)
    mode: str = "process"
    config: LeaseConfig = field(default_factory=LeaseConfig.load)
    store: LeaseStore | None = None
    generation: int | None = None
    abandoned_run: str | None = None   # the run whose lease was taken over without a release
    taken_over: str | None = None      # why the previous holder's lease was free
    lost: str | None = None
    discarded: dict[str, int] = field(default_factory=dict)  # staging rows of the abandoned run deleted
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.store = self.store or store_for(self.settings)
        self.host = socket.gethostname()
        self.pid = os.getpid()

    # -- reading
    def current(self) -> Holder | None:
        return current(self.store)

    # -- acquiring
    def acquire(self) -> Lease:
        """Take the lease or raise `LeaseHeld` at once; a free lease is taken in one atomic create."""
        for _ in range(20):  # a lost race re-reads the winner, who is then refused or re-entered
            now = time.time()
            holder = self.current()
            if holder is not None and not holder.released and self._same_run(holder):
                if self._write(holder, pids=(*self._others(holder), self.pid), expires_at=now + self.config.ttl_s,
                               command=self.command):
                    self.generation = holder.generation
                    return self
                continue
            why = "no lease" if holder is None else holder.free(now, self.host)
            if why is None:
                raise LeaseHeld(f"refused: the build lease {self._where(holder)} is held by {holder.describe(now)} "
                                "(a killed holder's lease is taken over when it expires; `mlg lease --break` "
                                "frees it by hand)")
            generation = 0 if holder is None else holder.generation + 1
            mine = Holder(self.run_id, self.command, self.host, (self.pid,), self.mode, now,
                          now + self.config.ttl_s, generation=generation)
            if self.store.create(generation, mine.to_json()):
                self.generation = generation
                if holder is not None and not holder.released:
                    self.abandoned_run, self.taken_over = holder.run_id, why
                    log.warning("took over the build lease from %s (%s)", holder.describe(now), why)
                self._tidy(generation)
                return self
        raise LeaseHeld(f"could not take the build lease in {self.store.location}: it changes hands constantly")

    def _same_run(self, holder: Holder) -> bool:
        """Tasks of one DAG run share its lease; two CLI builds never do, even with one run id."""
        return holder.run_id == self.run_id and holder.mode == self.mode == "dag"

    def _others(self, holder: Holder) -> tuple[int, ...]:
        """The holder's other pids still running (pids on another host are kept: we cannot tell)."""
        return tuple(p for p in holder.pids if p != self.pid and (holder.host != self.host or _pid_alive(p)))

    def _where(self, holder: Holder) -> str:
        return f"{self.store.location}/{NAME}.{holder.generation:012d}.json"

    def _tidy(self, generation: int) -> None:
        for old in self.store.generations():
            if old < generation - 1:
                self.store.delete(old)

    def _write(self, holder: Holder, *, pids: tuple[int, ...], expires_at: float, released: bool = False,
               command: str | None = None) -> bool:
        """Rewrite the holder's generation, only while it is still the newest (else it was lost)."""
        if self.store.generations()[-1:] != [holder.generation]:
            return False
        updated = replace(holder, pids=pids, expires_at=expires_at, released=released,
                          command=command or holder.command, host=self.host)
        self.store.overwrite(holder.generation, updated.to_json())
        return True

    # -- holding
    def _mine(self) -> Holder | None:
        holder = self.current()
        if holder is None or holder.generation != self.generation or holder.run_id != self.run_id:
            return None
        return holder

    def renew(self) -> None:
        with self._lock:
            if self.generation is None or self.lost:
                return
            holder = self._mine()
            if holder is not None and not holder.released:
                pids = (*self._others(holder), self.pid)
                if self._write(holder, pids=pids, expires_at=time.time() + self.config.ttl_s):
                    return
            newest = self.current()
            self.lost = f"now held by {newest.describe()}" if newest else "the lease file was deleted"
            log.error("build lease of run %s lost: %s", self.run_id, self.lost)

    def check(self) -> None:
        """Renew now, and raise `LeaseLost` if another writer took the lease over (between stages:
        a holder that was frozen past its expiry never starts another stage)."""
        self.renew()
        if self.lost:
            raise LeaseLost(f"the build lease of run {self.run_id} was lost ({self.lost}): stopping before "
                            "the next stage")

    def start_renewing(self) -> None:
        def loop() -> None:
            while not self._stop.wait(self.config.renew_every_s):
                try:
                    self.renew()
                except Exception:  # noqa: BLE001 - a failed renewal is retried; expiry is the backstop
                    log.warning("build lease renewal failed", exc_info=True)

        self._thread = threading.Thread(target=loop, name="mlg-lease", daemon=True)
        self._thread.start()

    def _stop_renewing(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def release(self) -> None:
        """Give the lease up (the run is over; a sibling task of the run still running keeps it)."""
        self._leave(park=False)

    def park(self) -> None:
        """A DAG task ends: keep the lease for the run's next task (it expires after `dag_gap_s`)."""
        self._leave(park=True)

    def _leave(self, *, park: bool) -> None:
        self._stop_renewing()
        with self._lock:
            holder = self._mine() if self.generation is not None and not self.lost else None
            if holder is not None:
                others = self._others(holder)
                if park:
                    self._write(holder, pids=others, expires_at=max(holder.expires_at,
                                                                    time.time() + self.config.dag_gap_s))
                else:
                    self._write(holder, pids=others, expires_at=holder.expires_at, released=not others)
            self.generation = None


def current(store: LeaseStore) -> Holder | None:
    """The newest generation, or None."""
    generations = store.generations()
    if not generations:
        return None
    generation = generations[-1]
    text = store.read(generation)
    if text is None:
        return current(store) if store.generations()[-1:] != [generation] else None
    try:
        return Holder.from_json(text, generation)
    except (ValueError, KeyError, TypeError):
        # our writers never leave a torn file (complete temp file, then link / replace): one edited
        # or truncated by hand holds nothing, and the next holder replaces it with generation n+1
        return Holder("unknown (unreadable lease file)", "?", "?", (), "process", 0.0, 0.0, generation=generation)


def break_lease(settings: Settings) -> Holder | None:
    """`mlg lease --break`: end whatever lease is there (its holder's build stops at its next stage)."""
    store = store_for(settings)
    holder = current(store)
    if holder is None or holder.released:
        return None
    now = time.time()
    released = Holder(f"broken:{holder.run_id}", f"mlg lease --break ({_command()})", socket.gethostname(), (),
                      "process", now, now, released=True, generation=holder.generation + 1)
    if not store.create(holder.generation + 1, released.to_json()):
        raise MlgError("the lease changed hands while breaking it; run `mlg lease` to see the holder")
    return holder


# ---- making a dead holder's batch harmless -------------------------------------------------------

def discard_staged(settings: Settings, run_id: str) -> dict[str, int]:
    """Delete the staging rows of run `run_id` (its batches `<run_id>:<stage>`), through delta-rs."""
    from deltalake import DeltaTable

    from spark_jobs import tables
    from spark_jobs.hydration.staging import STAGING

    deleted: dict[str, int] = {}
    prefix = run_id.replace("'", "''") + ":"
    for name in STAGING:
        if not tables.exists(settings, name):
            continue
        dt = DeltaTable(tables.table(name).path(settings), storage_options=tables.storage_options())
        if "batch" not in dt.schema().to_arrow().names:
            continue  # an older layout: the next batch overwrites it (merge reads only its own batch)
        metrics = dt.delete(f"starts_with(batch, '{prefix}')")
        if metrics.get("num_deleted_rows"):
            deleted[name] = int(metrics["num_deleted_rows"])
    return deleted


@contextmanager
def hold(settings: Settings, run_id: str, *, command: str | None = None, mode: str = "process",
         final: bool = True, config: LeaseConfig | None = None) -> Iterator[Lease]:
    """Hold the build lease around a block: acquire (or refuse at once), clean up after a dead
    holder, renew in the background, then release (or park, for a DAG task that is not `final`)."""
    lease = Lease(settings, run_id, mode=mode, config=config or LeaseConfig.load(),
                  **({"command": command} if command else {}))
    lease.acquire()
    try:
        if lease.abandoned_run:
            lease.discarded = discard_staged(settings, lease.abandoned_run)
        lease.start_renewing()
        yield lease
    except BaseException:
        if mode == "dag" and not final:
            lease.park()  # Airflow may retry this task; the run keeps the lease until it ends
        else:
            lease.release()
        raise
    else:
        lease.park() if mode == "dag" and not final else lease.release()


def takeover_record(lease: Lease) -> dict[str, Any] | None:
    """The `ops.runs` metrics of a takeover (None when the lease was free)."""
    if not lease.abandoned_run:
        return None
    return {"taken_over_by": lease.run_id, "reason": lease.taken_over,
            "staged_rows_discarded": lease.discarded}
