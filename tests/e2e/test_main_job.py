"""End to end: `mlg run` twice, as a user would, in temporary directories.

The first run starts the local stack (moto SQS + the source simulator), backfills every object
as events, and runs mlg_land, mlg_build and mlg_maintenance through `airflow dags test`; the
second applies a batch of simulator mutations and runs incrementally. We assert on the Delta
tables and on the example questions' answers, not on logs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
MLG = Path(sys.executable).parent / "mlg"

IMPACT_EXPECTED = {  # the article's chain, downstream of the dataset
    "aip://feature/featurestore/title_embedding",
    "aip://model-instance/registry/ranking-model-v5-20XX0101",
    "aip://model/registry/ranking-v5",
    "aip://ab-test/abtest/12345",
}
LINEAGE_EXPECTED = {  # upstream of the model instance
    "aip://pipeline-run/orchestrator/train-weekly-ranking-20XX0101",
    "aip://pipeline/orchestrator/weekly-ranking-trainer",
    "aip://feature/featurestore/title_embedding",
    "aip://dataset/datasets/warehouse.title_catalog",
}


LINEAGE_TOKEN = "e2e-lineage-token"
LINEAGE_NAMESPACE = "mlg-e2e"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """The runs' directories and environment. A real `mlg serve` (token on) over the same
    lakehouse takes the DAGs' own OpenLineage events: the Airflow provider is configured the
    documented way (AIRFLOW__OPENLINEAGE__TRANSPORT, HTTP to POST /api/v1/lineage)."""
    from spark_jobs.config import Settings
    from spark_jobs.portal.launch import start_serve

    root = tmp_path_factory.mktemp("mainjob")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLG_", "AIRFLOW_", "AIRFLOW__", "OPENLINEAGE"))}
    env.update(MLG_STATE_DIR=str(root / "state"), MLG_LAKEHOUSE=str(root / "lakehouse"),
               MLG_REPORTS_DIR=str(root / "reports"), RUST_LOG="warn")
    served = start_serve(Settings.load(env={**{k: v for k, v in env.items() if k.startswith("MLG_")},
                                            "MLG_API_TOKEN": LINEAGE_TOKEN}), root / "serve.log")
    try:
        env.update(AIRFLOW__OPENLINEAGE__NAMESPACE=LINEAGE_NAMESPACE,
                   AIRFLOW__OPENLINEAGE__EXECUTE_IN_THREAD="True",
                   AIRFLOW__OPENLINEAGE__TRANSPORT=json.dumps({
                       "type": "http", "url": served.url, "endpoint": "api/v1/lineage",
                       "auth": {"type": "api_key", "apiKey": LINEAGE_TOKEN}}))
        yield root, env
    finally:
        subprocess.run([str(MLG), "down"], cwd=root, env=env, capture_output=True, timeout=60, check=False)
        served.stop()


def _mlg_run(workdir, name: str) -> tuple[dict, str]:
    root, env = workdir
    out = root / f"{name}.json"
    done = subprocess.run([str(MLG), "run", "--scale", "1", "--json", str(out)], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    text = done.stdout + done.stderr
    assert done.returncode == 0, text[-4000:]
    return json.loads(out.read_text()), done.stdout


@pytest.fixture(scope="module")
def first(workdir):
    return _mlg_run(workdir, "first")


@pytest.fixture(scope="module")
def second(workdir, first):
    return _mlg_run(workdir, "second")


def _spark_settings(workdir):
    from spark_jobs.config import Settings

    root, env = workdir
    return Settings.load(env={k: v for k, v in env.items() if k.startswith("MLG_")})


def test_first_run_builds_the_whole_graph(workdir, first):
    summary, stdout = first
    assert summary["incremental"] is False
    assert {d: r["state"] for d, r in summary["dags"].items()} == \
        {"mlg_land": "success", "mlg_build": "success", "mlg_maintenance": "success"}
    build_tasks = summary["dags"]["mlg_build"]["tasks"]
    assert {t: s["state"] for t, s in build_tasks.items()} == dict.fromkeys(build_tasks, "success")
    rows = {name: count for name, _version, count in summary["tables"]}
    assert rows["landing.events"] >= 700 and rows["landing.quarantine"] == 0
    assert rows["graph.entities"] >= 700 and rows["graph.edges"] > rows["graph.entities"]
    assert rows["graph.impact"] > 0 and rows["quality.results"] > 0 and rows["search.snapshots"] == 1
    assert summary["gate"] == "pass"
    assert summary["snapshot"]["status"] in ("published", "success")
    assert Path(summary["report_path"]).is_file()
    assert not summary["notes"], summary["notes"]
    for heading in ("tables (Delta version, rows):", "quality gate: PASS", "Q1 impact", "Q2 lineage", "Q3 search"):
        assert heading in stdout


def test_first_run_answers_the_example_questions(first):
    summary, stdout = first
    impact = {r["id"]: r for r in summary["impact"]}
    assert IMPACT_EXPECTED <= set(impact), IMPACT_EXPECTED - set(impact)
    assert impact["aip://feature/featurestore/title_embedding"]["depth"] == 1
    assert "aip://team/identity/personalization" in impact["aip://model/registry/ranking-v5"]["teams"]
    lineage = {r["id"]: r["depth"] for r in summary["lineage"]}
    assert LINEAGE_EXPECTED <= set(lineage), LINEAGE_EXPECTED - set(lineage)
    assert lineage["aip://pipeline-run/orchestrator/train-weekly-ranking-20XX0101"] == 1
    assert lineage["aip://pipeline/orchestrator/weekly-ranking-trainer"] == 2
    assert "aip://model/registry/ranking-v5" in {h["id"] for h in summary["search"]}
    assert "AbTest" in stdout.split("Q1 impact", 1)[1].split("Q2 lineage", 1)[0]


def test_second_run_rehydrates_only_the_mutated_entities(workdir, first, second):
    summary, stdout = second
    assert summary["incremental"] is True
    # 4 changes at the example entities + one round of stewardship over 4 other teams
    assert "applied 8 simulator mutations" in stdout
    assert {d: r["state"] for d, r in summary["dags"].items()} == \
        {"mlg_land": "success", "mlg_build": "success", "mlg_maintenance": "success"}
    mutated = set(summary["mutated"])
    rehydrated = set(summary["rehydrated"])
    assert mutated <= rehydrated, f"not re-hydrated: {mutated - rehydrated}"
    total = dict((n, c) for n, _v, c in summary["tables"])["graph.entities"]
    assert len(mutated) == 8 and rehydrated == mutated and 100 * len(rehydrated) < total  # those: under 1% of the graph
    assert summary["stages"]["hydrate"]["entities"] == len(mutated)
    assert summary["gate"] == "pass"

    # the mutations are in the tables
    from pyspark.sql import functions as F

    from spark_jobs import tables
    from spark_jobs.session import spark_session

    settings = _spark_settings(workdir)
    new_feature = next(u for u in mutated if u.startswith("aip://feature/featurestore/title_length_"))
    with spark_session(settings) as spark:
        entities = tables.read(spark, settings, "graph.entities")
        model = entities.where(F.col("id") == "aip://model/registry/ranking-v5").first()
        assert model["description"].startswith("Ranks titles on the home page (revised ")
        assert entities.where(F.col("id") == new_feature).first()["state"] == "hydrated"
        edges = tables.read(spark, settings, "graph.edges")
        assert edges.where((F.col("src") == new_feature) & (F.col("rel") == "DERIVED_FROM")
                           & (F.col("dst") == "aip://dataset/datasets/warehouse.title_catalog")
                           & F.col("active")).count() == 1
        impact = tables.read(spark, settings, "graph.impact")
        assert impact.where((F.col("src") == "aip://dataset/datasets/warehouse.title_catalog")
                            & (F.col("dst") == new_feature)).count() == 1
        # maintenance compacted and checkpointed every table; every version stays readable
        first_version = {n: v for n, v, _c in first[0]["tables"]}["graph.entities"]
        first_rows = {n: c for n, _v, c in first[0]["tables"]}["graph.entities"]
        assert tables.read(spark, settings, "graph.entities", at_version=first_version).count() == first_rows
        for version in range(tables.version(settings, "graph.entities") + 1):
            tables.read(spark, settings, "graph.entities", at_version=version).count()


def test_second_run_moves_the_score_trend_of_several_teams(workdir, first, second):
    """The stewardship round (owners leave and come back, assets documented or reset to a placeholder)
    moves several teams' mean scores between the two builds, some up and some down: what the report's
    scorecard shows as each team's change and trend."""
    from spark_jobs.orchestration.tasks import build_run_id
    from spark_jobs.session import spark_session
    from spark_jobs.sqlrun import run_sql

    settings = _spark_settings(workdir)
    runs = [build_run_id(run[0]["dags"]["mlg_build"]["run_id"]) for run in (first, second)]
    with spark_session(settings) as spark:
        means = {(r.run_id, r.team): r.score for r in run_sql(
            spark, settings, "SELECT run_id, team, score FROM team_scores WHERE run_id IN (:a, :b)",
            {"a": runs[0], "b": runs[1]}).collect()}
    teams = {team for _run, team in means}
    change = {t: round(means[(runs[1], t)] - means[(runs[0], t)], 1) for t in teams
              if (runs[0], t) in means and (runs[1], t) in means}
    assert len(set(means.values())) > 3  # teams rank with different scores
    assert sum(c > 0 for c in change.values()) >= 2 and sum(c < 0 for c in change.values()) >= 2, change


def test_the_dags_own_tasks_and_tables_are_in_the_graph(workdir, first, second):
    """Dogfooding: the first run's DAG events (posted by the Airflow OpenLineage provider to
    `mlg serve`) were built into the graph by the builds: the mlg tasks as Pipelines, the Delta
    tables they read and write as Datasets, with READS / PRODUCED_BY edges."""
    from pyspark.sql import functions as F

    from spark_jobs import tables
    from spark_jobs.providers import openlineage as ol
    from spark_jobs.session import spark_session

    settings = _spark_settings(workdir)
    lake = tables.lakehouse_root(settings)

    def job(name: str) -> str:
        return ol.job_uri(LINEAGE_NAMESPACE, name)

    def table(name: str) -> str:
        return ol.dataset_uri("file", tables.table(name).path(settings))

    with spark_session(settings) as spark:
        landed = tables.read(spark, settings, "landing.events").where(F.col("source") == "openlineage")
        assert landed.count() > 20  # START + COMPLETE of every task of both runs' DAGs, and the DAG runs
        assert tables.read(spark, settings, "landing.quarantine").where(F.col("source") == "openlineage").count() == 0
        entities = {r["id"]: r for r in tables.read(spark, settings, "graph.entities")
                    .where(F.col("provider") == "openlineage").collect()}
        edges = {(r["src"], r["rel"], r["dst"]) for r in tables.read(spark, settings, "graph.edges")
                 .where(F.col("active") & F.col("src").contains("/openlineage/")).collect()}
    for name in ("mlg_land.land", "mlg_build.hydrate", "mlg_build.merge", "mlg_build.publish", "mlg_maintenance"):
        assert entities[job(name)]["entity_type"] == "Pipeline" and entities[job(name)]["state"] == "hydrated"
    assert "mlg_build" in (entities[job("mlg_build")]["description"] or "")  # the DAG's doc_md
    datasets = [e["properties"] for e in entities.values() if e["entity_type"] == "Dataset"]
    assert datasets and all(d["namespace"] == "file" and d["dataset"].startswith(f"{lake}/") for d in datasets)
    for name in ("landing.events", "graph.entities", "graph.edges", "staging.entities", "search.snapshots"):
        assert entities[table(name)]["entity_type"] == "Dataset", name
    assert {(table("landing.events"), "PRODUCED_BY", job("mlg_land.land")),
            (job("mlg_build.hydrate"), "READS", table("landing.events")),
            (table("staging.entities"), "PRODUCED_BY", job("mlg_build.hydrate")),
            (job("mlg_build.merge"), "READS", table("staging.entities")),
            (table("graph.entities"), "PRODUCED_BY", job("mlg_build.merge")),
            (table("search.snapshots"), "PRODUCED_BY", job("mlg_build.publish"))} <= edges
    # one task's tables only: the in-process `airflow dags test` does not carry them to the next
    assert (job("mlg_build.merge"), "READS", table("landing.events")) not in edges
    runs = [e for e in entities.values() if e["entity_type"] == "PipelineRun"
            and e["properties"].get("job") == f"{LINEAGE_NAMESPACE}/mlg_build.merge"]
    assert runs and {r["source_status"] for r in runs} == {"SUCCEEDED"}
    assert all((ol.run_uri(r["properties"]["run_id"]), "RUN_OF", job("mlg_build.merge")) in edges for r in runs)


def test_failed_quality_gate_skips_publish_but_still_reports(workdir, second):
    """mlg_build again, triggered with a critical check that cannot pass: publish is short-circuited."""
    from spark_jobs import tables
    from spark_jobs.orchestration import airflow_local
    from spark_jobs.session import spark_session

    settings = _spark_settings(workdir)
    home = airflow_local.prepare_home(settings)  # already migrated by `mlg run`: no work
    snapshots_before = tables.version(settings, "search.snapshots")
    # run config -> DAG param `options` -> RunContext.options["quality"] -> QualityConfig
    result = airflow_local.dags_test(home, settings, "mlg_build", conf={"options": {"quality": {
        "min_description_share": 1.0, "severities": {"share_with_description": "critical"}}}})
    states = {t: s["state"] for t, s in result.tasks.items()}
    assert result.state == "success", result.failure_excerpt()
    assert states["quality"] == "success" and states["quality_gate"] == "success"
    assert states["publish"] == "skipped"
    assert states["report"] == "success"
    assert result.xcom(home, "quality")["gate"] == "fail"
    assert tables.version(settings, "search.snapshots") == snapshots_before  # nothing published
    with spark_session(settings) as spark:
        from spark_jobs.orchestration.summary import stage_metrics
        from spark_jobs.orchestration.tasks import build_run_id

        recorded = stage_metrics(spark, settings, build_run_id(result.run_id))
    assert recorded["quality"]["gate"] == "fail" and "publish" not in recorded and "report" in recorded
