"""`mlg bootstrap` / `mlg reconcile` over the listing endpoints of a real simulator."""

from __future__ import annotations

import pytest

from spark_jobs import tables
from spark_jobs.model import EntityType as E
from tests.integration.hydration_support import rows, start_sim, versions


@pytest.fixture
def sim():
    s = start_sim(seed=5, scale=1)
    yield s
    s.close()


@pytest.fixture
def cli_env(monkeypatch, settings, sim):
    monkeypatch.setenv("MLG_LAKEHOUSE", settings.lakehouse)
    monkeypatch.setenv("MLG_STATE_DIR", settings.state_dir)
    for platform, url in sim.source_urls.items():
        monkeypatch.setenv(f"MLG_SOURCE_{platform.upper()}_URL", url)
    monkeypatch.setenv("MLG_SOURCE_RATE", "500")
    monkeypatch.setenv("MLG_HTTP_BACKOFF_BASE", "0.01")
    monkeypatch.setenv("MLG_STAGE_CHUNK_ROWS", "800")  # several staging writes per batch
    return settings


def test_bootstrap_then_reconcile_tombstones_vanished_and_is_idempotent(cli_env, sim, spark, capsys):
    from spark_jobs.cli import main

    assert main(["bootstrap", "--page-size", "250"]) == 0
    assert "bootstrap" in capsys.readouterr().out
    tables.register(spark, cli_env)
    live = {e["id"] for e in sim.truth("entities")}
    graph = {r["id"] for r in rows(spark, "select id from graph.entities where state = 'hydrated'")}
    assert graph == live

    b = sim.state.eco.base_id
    assert main(["build", "--only", "infer", "--only", "closure", "--only", "quality", "--only", "publish"]) == 0
    dataset = E.DATASET.uri(b("datasets", 9))
    assert main(["search", b("datasets", 9), "--format", "json"]) == 0
    assert dataset in capsys.readouterr().out  # published before the source deletes it
    # deleted at the sources, and no event ever landed for it: only reconcile can notice
    for name, index in (("instances", 7), ("tests", 3), ("datasets", 9)):
        sim.admin("POST", "mutations", {"op": "delete", "collection": name, "id": b(name, index)})
    assert main(["reconcile"]) == 0
    states = {r["id"]: r["state"] for r in rows(spark, "select id, state from graph.entities")}
    gone = {d["id"] for d in sim.truth("deleted")}
    assert len(gone) == 3 and all(states[g] == "deleted" for g in gone)
    test_uri = next(g for g in gone if g.startswith("aip://ab-test/"))
    cells = [i for i, s in states.items() if i.startswith(test_uri.replace("ab-test/", "ab-test-cell/") + ":")]
    assert cells and all(states[c] == "deleted" for c in cells)  # the test's cells went with it
    assert rows(spark, f"select count(*) c from graph.edges where active and (src in "
                       f"({', '.join(repr(g) for g in gone)}) or declared_by = '{test_uri}')")[0]["c"] == 0

    # the tombstones reached the closure and the search index in the same reconcile
    out = capsys.readouterr().out
    assert "refreshed infer, closure, quality, publish" in out, out
    assert dataset in gone
    # nothing depends through a tombstoned entity any more (its own dependency edges are inactive)
    assert rows(spark, f"select count(*) c from graph.impact where dst in ({', '.join(repr(g) for g in gone)})"
                )[0]["c"] == 0
    assert main(["search", b("datasets", 9), "--format", "json"]) == 0
    assert dataset not in capsys.readouterr().out

    before = versions(cli_env)
    assert main(["reconcile"]) == 0
    assert versions(cli_env) == before  # nothing changed at the sources: no new table version


def test_incomplete_listing_tombstones_nothing_and_fails_in_one_line(cli_env, sim, spark, capsys, monkeypatch):
    from spark_jobs.cli import main

    assert main(["bootstrap"]) == 0
    tables.register(spark, cli_env)
    b = sim.state.eco.base_id
    sim.admin("POST", "mutations", {"op": "delete", "collection": "datasets", "id": b("datasets", 4)})
    sim.faults({"datasets": {"error_rate": 1.0}})
    monkeypatch.setenv("MLG_HTTP_MAX_ATTEMPTS", "2")
    capsys.readouterr()
    assert main(["reconcile"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "incomplete listing" in err[0] and "datasets" in err[0]
    assert rows(spark, "select count(*) c from graph.entities where state = 'deleted'")[0]["c"] == 0


def test_build_after_a_bootstrap_skips_the_events_it_superseded(cli_env, sim, spark):
    from spark_jobs.cli import main
    from spark_jobs.config import Settings
    from tests.integration.hydration_support import build, land_events

    lake = Settings.load(env={}, lakehouse=cli_env.lakehouse, state_dir=cli_env.state_dir,
                         source_urls=sim.source_urls)
    b = sim.state.eco.base_id
    land_events(spark, lake, [("registry", {"event_type": "model_updated", "model_id": b("models", i)})
                                 for i in range(5)])
    assert main(["bootstrap"]) == 0
    out = build(spark, lake, bootstrap="never")
    assert out["hydrate"]["entities"] == 0  # the bootstrap already read their current state

    land_events(spark, lake, [("registry", {"event_type": "model_updated", "model_id": b("models", 1)})])
    assert build(spark, lake, bootstrap="never")["hydrate"]["entities"] == 1
