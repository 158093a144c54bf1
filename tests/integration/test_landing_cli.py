"""`mlg land` against the real moto server: the per-source table, JSON, and one-line errors."""

from __future__ import annotations

import json

import pytest

from spark_jobs.cli import main
from tests.fixtures.sqs import event_bodies

pytestmark = pytest.mark.integration


@pytest.fixture
def mlg_env(sqs_queues, settings, monkeypatch):
    for key, value in sqs_queues.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("MLG_LAKEHOUSE", settings.lakehouse)
    monkeypatch.setenv("MLG_CONFIG", "/nonexistent/mlg.toml")
    return sqs_queues


def test_land_prints_per_source_metrics(mlg_env, capsys):
    mlg_env.send("orchestrator", event_bodies("orchestrator", 7) + ["garbage"])
    mlg_env.send("identity", event_bodies("identity", 3))

    assert main(["land", "--budget", "20", "--format", "table"]) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    header = [c.strip() for c in lines[0].split("|")]
    assert header[:6] == ["source", "received", "landed", "duplicates", "quarantined", "failed"]
    rows = {cells[0]: cells[1:5] for cells in ([c.strip() for c in line.split("|")] for line in lines[2:-1])}
    assert rows["orchestrator"] == ["8", "7", "0", "1"]
    assert rows["identity"] == ["3", "3", "0", "0"]
    assert rows["TOTAL"] == ["11", "10", "0", "1"]
    assert "landing.events version 1" in out.err

    mlg_env.send("identity", event_bodies("identity", 4, prefix="more"))
    assert main(["land", "--source", "identity", "--max-messages", "2", "--format", "json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert (metrics["received"], metrics["landed"], metrics["stopped_by"]) == (2, 2, "max_messages")
    assert list(metrics["by_source"]) == ["identity"]
    assert metrics["events_version"] == 2


def test_land_errors_are_one_line(mlg_env, monkeypatch, capsys):
    monkeypatch.setenv("MLG_SQS_QUEUE_DATASETS", "no-such-queue")
    assert main(["land", "--source", "datasets"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "no-such-queue" in err and "MLG_SQS_QUEUE_DATASETS" in err

    with pytest.raises(SystemExit) as exc:
        main(["land", "--budget", "0"])
    assert exc.value.code == 2
