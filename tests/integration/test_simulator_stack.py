"""`mlg up` / `mlg down` with real processes: the stack outlives the command, is found again
through its state file, and `down` stops exactly what `up` started (idempotently)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from spark_jobs.model import PLATFORMS

REPO = Path(__file__).resolve().parents[2]


def mlg(state_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLG_")}
    env.update(MLG_STATE_DIR=str(state_dir), RUST_LOG="error")
    return subprocess.run([sys.executable, "-m", "spark_jobs.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def alive(pid: int) -> bool:
    from infra.stack import pid_alive

    return pid_alive(pid)


@pytest.fixture
def state_dir(tmp_path):
    path = tmp_path / "state"
    yield path
    mlg(path, "down")  # never leave a stack behind, whatever the test did


def test_up_survives_the_command_is_idempotent_and_down_stops_exactly_it(state_dir):
    first = mlg(state_dir, "up", "--seed", "3", "--scale", "1", "--max-receive-count", "4")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("started: seed 3, scale 1")
    state = json.loads((state_dir / "stack.json").read_text())
    pids = [state["sqs"]["pid"], state["simulator"]["pid"]]
    assert all(alive(pid) for pid in pids)  # the command has exited; its stack has not
    assert (state_dir / "logs" / "moto.log").exists() and (state_dir / "logs" / "simulator.log").exists()

    again = mlg(state_dir, "up", "--seed", "4")
    assert again.returncode == 0 and again.stdout.startswith("already running: seed 3")
    assert "run `mlg down` first" in again.stdout
    assert json.loads((state_dir / "stack.json").read_text())["simulator"]["pid"] == pids[1]

    # every later command finds the stack through Settings, with no variable set
    from infra.simulator.client import SimulatorClient
    from infra.sqs import local_client
    from spark_jobs.config import Settings

    settings = Settings.load(env={"MLG_STATE_DIR": str(state_dir)}, config_file="/nonexistent.toml")
    assert set(settings.source_urls) == set(PLATFORMS)
    assert settings.sqs_endpoint_url == state["sqs_endpoint_url"]
    health = SimulatorClient(settings.source_url("registry").rsplit("/", 1)[0]).health()
    assert (health["seed"], health["scale"]) == (3, 1)
    # explicit environment still wins over the stack file
    assert Settings.load(env={"MLG_STATE_DIR": str(state_dir), "MLG_SOURCE_REGISTRY_URL": "http://x:1"},
                         config_file="/nonexistent.toml").source_urls == {"registry": "http://x:1"}

    # one queue per source with a DLQ and the configured redrive; mutations reach them
    sqs = local_client(settings.sqs_endpoint_url)
    for platform in PLATFORMS:
        attrs = sqs.get_queue_attributes(QueueUrl=settings.queue(platform),
                                         AttributeNames=["RedrivePolicy"])["Attributes"]
        redrive = json.loads(attrs["RedrivePolicy"])
        assert int(redrive["maxReceiveCount"]) == 4
        assert redrive["deadLetterTargetArn"].endswith(f"mlg-{platform}-dlq")
    SimulatorClient(state["simulator"]["url"]).update("teams", "personalization", {"org": "data"})
    messages = sqs.receive_message(QueueUrl=settings.queue("identity"), WaitTimeSeconds=5)["Messages"]
    assert json.loads(messages[0]["Body"]) == {"event_type": "team_updated", "team": "personalization"}

    down = mlg(state_dir, "down")
    assert down.returncode == 0, down.stderr
    assert down.stdout.splitlines() == [f"simulator: stopped pid {pids[1]}", f"sqs: stopped pid {pids[0]}"]
    assert not any(alive(pid) for pid in pids)
    assert not (state_dir / "stack.json").exists()
    assert mlg(state_dir, "down").stdout.strip() == "nothing running"


def test_down_never_signals_a_pid_that_is_no_longer_ours(state_dir):
    from infra import stack
    from spark_jobs.config import Settings

    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        state_dir.mkdir(parents=True)
        fake = {"pid": stranger.pid, "port": 1, "url": "http://127.0.0.1:1", "log": "x",
                "cmdline": "/usr/bin/python -m infra.simulator --port 0"}
        dead = dict(fake, pid=2 ** 22 + 12345)
        (state_dir / "stack.json").write_text(json.dumps({
            "seed": 7, "scale": 1, "sqs": dead, "simulator": fake, "sqs_endpoint_url": "http://127.0.0.1:1",
            "source_urls": {}, "queues": {}, "dlq_urls": {}, "max_receive_count": 5, "region": "us-east-1",
            "started_at": 0.0}))
        settings = Settings.load(env={"MLG_STATE_DIR": str(state_dir)}, config_file="/nonexistent.toml")
        assert not stack.status(settings).running
        lines = stack.down(settings)
        assert lines == [f"simulator: pid {stranger.pid} was not running",
                         f"sqs: pid {2 ** 22 + 12345} was not running"]
        assert stranger.poll() is None  # untouched
        assert not (state_dir / "stack.json").exists()
    finally:
        stranger.kill()
        stranger.wait()


def test_python_api_replaces_a_stale_stack(state_dir):
    from infra import stack
    from spark_jobs.config import Settings

    settings = Settings.load(env={"MLG_STATE_DIR": str(state_dir)}, config_file="/nonexistent.toml")
    state = stack.up(settings, seed=5, scale=1)
    try:
        assert not state.already_running and stack.status(settings).running
        # the simulator dies behind our back: the next `up` notices and starts a whole new stack
        stack._terminate(state.simulator.pid, timeout_s=10)
        assert stack.status(settings).partial
        fresh = stack.up(settings, seed=5, scale=1)
        assert not fresh.already_running and fresh.simulator.pid != state.simulator.pid
        assert not alive(state.sqs.pid)  # the half-dead stack's survivor was stopped
        assert stack.up(settings, seed=5, scale=1).already_running
    finally:
        stack.down(settings)
    assert not stack.status(settings).running and stack.down(settings) == []
