"""The build lease on a local lakehouse: atomic create, refusal, expiry, dead holders, DAG runs."""

from __future__ import annotations

import multiprocessing
import os
import socket
import subprocess
import time

import pytest

from spark_jobs import lease
from spark_jobs.config import Settings

FAST = lease.LeaseConfig(ttl_s=30.0, renew_every_s=10.0, dag_gap_s=600.0)


@pytest.fixture
def lake(tmp_path) -> Settings:
    return Settings.load(env={}, lakehouse=str(tmp_path / "lake"), state_dir=str(tmp_path / "state"))


def plant(settings: Settings, **fields) -> lease.Holder:
    """Write a lease as another process would have left it."""
    store = lease.store_for(settings)
    generation = (store.generations() or [-1])[-1] + 1
    now = time.time()
    values = dict(run_id="other-run", command="mlg build", host=socket.gethostname(), pids=(1,),
                  mode="process", acquired_at=now - 5, expires_at=now + 30, generation=generation)
    values.update(fields)
    holder = lease.Holder(**values)
    assert store.create(generation, holder.to_json())
    return holder


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_a_second_build_is_refused_at_once_naming_the_holder(lake):
    with lease.hold(lake, "first", command="mlg build", config=FAST):
        started = time.perf_counter()
        with pytest.raises(lease.LeaseHeld) as refused:
            lease.Lease(lake, "second", config=FAST).acquire()
        assert time.perf_counter() - started < 1.0
    message = str(refused.value)
    assert "\n" not in message
    assert "run first (mlg build; pid " in message and f"on {socket.gethostname()}" in message
    assert "since 20" in message and "build.000000000000.json" in message
    assert refused.value.exit_code != 0


def test_released_lease_is_taken_without_takeover(lake):
    with lease.hold(lake, "first", config=FAST):
        pass
    taken = lease.Lease(lake, "second", config=FAST).acquire()
    assert taken.abandoned_run is None and taken.generation == 1
    taken.release()


def test_expired_lease_is_taken_over_and_live_one_is_not(lake):
    plant(lake, pids=(os.getpid(),), host="elsewhere", expires_at=time.time() + 30)
    with pytest.raises(lease.LeaseHeld):
        lease.Lease(lake, "mine", config=FAST).acquire()
    plant(lake, run_id="stale-run", host="elsewhere", expires_at=time.time() - 1)
    taken = lease.Lease(lake, "mine", config=FAST).acquire()
    assert (taken.abandoned_run, taken.taken_over) == ("stale-run", "expired")


def test_dead_local_holder_is_taken_over_at_once(lake):
    plant(lake, run_id="killed-run", pids=(dead_pid(),), expires_at=time.time() + 300)
    taken = lease.Lease(lake, "mine", config=FAST).acquire()
    assert (taken.abandoned_run, taken.taken_over) == ("killed-run", "holder process dead")


def test_dead_pid_on_another_host_waits_for_expiry(lake):
    plant(lake, run_id="remote-run", host="another-host", pids=(dead_pid(),))
    with pytest.raises(lease.LeaseHeld, match="remote-run"):
        lease.Lease(lake, "mine", config=FAST).acquire()


def test_dag_run_keeps_the_lease_between_tasks(lake):
    with lease.hold(lake, "af-run-1", mode="dag", final=False, config=FAST):
        pass  # task 1 ends: the lease is parked for task 2 (its pid is gone)
    parked = lease.current(lease.store_for(lake))
    assert parked.pids == () and not parked.released and parked.expires_at > time.time() + 500
    with pytest.raises(lease.LeaseHeld, match="between tasks"):
        lease.Lease(lake, "cli-build", config=FAST).acquire()
    with lease.hold(lake, "af-run-1", mode="dag", final=True, config=FAST) as last:
        assert last.abandoned_run is None  # the run's next task re-enters it
    assert lease.current(lease.store_for(lake)).released
    lease.Lease(lake, "cli-build", config=FAST).acquire().release()


def test_two_cli_builds_with_one_run_id_do_not_share(lake):
    with lease.hold(lake, "same-id", config=FAST):
        with pytest.raises(lease.LeaseHeld):
            lease.Lease(lake, "same-id", config=FAST).acquire()


def _contend(settings: Settings, start: float, queue, done) -> None:
    while time.time() < start:
        time.sleep(0.001)
    try:
        lease.Lease(settings, f"racer-{os.getpid()}", config=FAST).acquire()
        queue.put("won")
        done.wait(60)  # a winner that exits would be a dead holder, free again for a late racer
    except lease.LeaseHeld:
        queue.put("refused")


@pytest.mark.parametrize("previous", ["none", "expired"])
def test_exactly_one_of_many_racers_wins(lake, previous):
    if previous == "expired":
        plant(lake, run_id="stale", host="elsewhere", expires_at=time.time() - 1)
    ctx = multiprocessing.get_context("fork")
    queue, done = ctx.Queue(), ctx.Event()
    start = time.time() + 0.3
    procs = [ctx.Process(target=_contend, args=(lake, start, queue, done)) for _ in range(8)]
    for p in procs:
        p.start()
    try:
        results = sorted(queue.get(timeout=60) for _ in procs)
    finally:
        done.set()
        for p in procs:
            p.join(10)
    assert results == ["refused"] * 7 + ["won"]


def test_a_holder_that_lost_the_lease_stops(lake):
    held = lease.Lease(lake, "slow-run", config=FAST).acquire()
    plant(lake, run_id="usurper", host="elsewhere")  # it stopped renewing and was taken over
    with pytest.raises(lease.LeaseLost, match="usurper"):
        held.check()


def test_renewal_extends_the_expiry(lake):
    config = lease.LeaseConfig(ttl_s=1.0, renew_every_s=0.1)
    with lease.hold(lake, "renewing", config=config) as held:
        time.sleep(1.5)
        assert lease.current(held.store).expires_at > time.time()
        held.check()


def test_unreadable_lease_file_is_replaced_not_trusted(lake):
    held = lease.Lease(lake, "first", config=FAST).acquire()
    path = os.path.join(held.store.location, "build.000000000000.json")
    with open(path, "w") as fh:
        fh.write('{"run_id": "fir')  # torn by an outside hand
    taken = lease.Lease(lake, "second", config=FAST).acquire()
    assert taken.generation == 1 and "unreadable" in taken.abandoned_run


def test_break_frees_a_lease(lake):
    lease.Lease(lake, "stuck", mode="dag", config=FAST).acquire().park()
    assert lease.break_lease(lake).run_id == "stuck"
    lease.Lease(lake, "next", config=FAST).acquire().release()
