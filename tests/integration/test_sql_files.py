"""Every file under sql/ executes on a built lakehouse, and parameters are bound as data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from spark_jobs import tables
from spark_jobs.sqlrun import run_sql, split_statements
from tests.integration import test_quality_lakehouse as lakehouse

pytestmark = pytest.mark.integration

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
SQL_FILES = sorted(SQL_DIR.rglob("*.sql"))

# A value for every parameter any sql/ file takes; each file gets the ones it references.
PARAMS = {
    "uri": lakehouse.DEPLOYED, "src": lakehouse.CLICKS, "dst": lakehouse.RANKING, "max_depth": 1000, "rel": "",
    "feature": lakehouse.CTR, "pipeline": lakehouse.TRAINER,
    "owner": lakehouse.TEAM_RANKING, "text": "click", "entity_type": "", "domain": "", "run_id": "",
    "now": lakehouse.NOW, "weights": "description=25,owner=25,owners_known=10,fresh=15,lineage=10,tags=10,checks=5",
    "windows": "Dataset=90,*=180", "tag_types": "Model,ModelInstance", "description_types": "Model,Dataset",
}
TRICKY = "O'Brien \"quoted\"; DROP TABLE graph.entities; --"


def referenced_params(text: str) -> set[str]:
    return {name for statement in split_statements(text)
            for name in re.findall(r"(?<![:\w]):([A-Za-z_]\w*)", re.sub(r"'(?:[^'\\]|\\.)*'", "''", statement))}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One lakehouse for the module: the governance fixture after a real build."""
    from spark_jobs.config import Settings
    from spark_jobs.session import spark_session

    root = tmp_path_factory.mktemp("sqlfiles")
    settings = Settings.load(env={}, lakehouse=str(root / "lakehouse"), state_dir=str(root / "state"),
                             reports_dir=str(root / "reports"))
    with spark_session(settings) as spark:
        tricky = lakehouse.entity(lakehouse.E.DATASET.uri(TRICKY), name=TRICKY, owners=[lakehouse.BOB])
        lakehouse.write(spark, settings, [tricky], [])
        lakehouse.build_lakehouse(spark, settings)
        yield spark, settings


def test_every_parameter_has_a_value():
    missing = {p.name: referenced_params(p.read_text()) - set(PARAMS) for p in SQL_FILES}
    assert not {k: v for k, v in missing.items() if v}


@pytest.mark.parametrize("path", SQL_FILES, ids=[str(p.relative_to(SQL_DIR)) for p in SQL_FILES])
def test_sql_file_executes_on_a_built_lakehouse(built, path):
    from quality.governance import register_report_views

    spark, settings = built
    text = path.read_text()
    if path.parent.name == "reports":
        register_report_views(spark, settings)  # the report's section views some report queries read
    params = {k: v for k, v in PARAMS.items() if k in referenced_params(text)}
    df = run_sql(spark, settings, text, params)
    if path.parent.name == "views":
        view = re.search(r"TEMP VIEW (\w+)", split_statements(text)[-1]).group(1)
        df = spark.table(view)
    rows = df.collect()
    assert df.columns and all(len(r) == len(df.columns) for r in rows)
    if path.parent.name in ("views", "reports"):
        assert rows, f"{path.name} returned nothing on a lakehouse that has data for it"


def test_views_answer_the_documented_questions(built):
    spark, settings = built
    rows = lambda q: [r.asDict() for r in run_sql(spark, settings, q).collect()]  # noqa: E731
    live_types = {r["entity_type"] for r in rows("SELECT DISTINCT entity_type FROM live_assets")}
    assert live_types == {"Model", "ModelInstance", "Pipeline", "Feature", "Dataset", "AbTest"}
    tests = rows(f"SELECT * FROM model_ab_tests WHERE model_id = '{lakehouse.RANKING}'")
    assert [r["ab_test_id"] for r in tests] == [lakehouse.TEST]
    assert tests[0]["tested_instances"] == [lakehouse.DEPLOYED]
    ctr = rows(f"SELECT * FROM feature_consumers WHERE feature_id = '{lakehouse.CTR}'")[0]
    assert ctr["consuming_models"] == [lakehouse.RANKING] and ctr["owning_teams"] == ["Ranking"]
    carol = rows(f"SELECT * FROM owner_assets WHERE owner_id = '{lakehouse.CAROL}' ORDER BY asset_id")
    assert [r["asset_id"] for r in carol] == sorted([lakehouse.IMPRESSIONS, lakehouse.ARCHIVED])
    assert not any(r["owner_active"] for r in carol)
    teams = {r["asset_id"]: r["team"] for r in rows("SELECT asset_id, team FROM asset_teams")}
    assert teams[lakehouse.TRAINER] == "Ranking"        # owned by a team: that team
    assert teams[lakehouse.ETL] == "Growth"             # owned by bob: bob's team
    assert teams[lakehouse.ORPHAN] == "(no team)"


def test_a_parameter_with_quotes_and_drop_is_data(built):
    spark, settings = built
    before = tables.read(spark, settings, "graph.entities").count()
    query = (SQL_DIR / "queries" / "find_assets.sql").read_text()
    found = run_sql(spark, settings, query, {"text": TRICKY, "entity_type": "Dataset"}).collect()
    assert [r.name for r in found] == [TRICKY]
    nothing = run_sql(spark, settings, query, {"text": "x'; DROP TABLE graph.entities; --",
                                               "entity_type": "' OR '1'='1"}).collect()
    assert nothing == []
    assert tables.read(spark, settings, "graph.entities").count() == before


def test_mlg_sql_binds_params_from_the_command_line(built, monkeypatch, capsys):
    from spark_jobs.cli import main

    spark, settings = built
    monkeypatch.setenv("MLG_LAKEHOUSE", settings.lakehouse)
    code = main(["sql", "-f", str(SQL_DIR / "queries" / "assets_by_owner.sql"),
                 "--param", f"owner={lakehouse.CAROL}", "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0
    assert lakehouse.IMPRESSIONS in out and lakehouse.ARCHIVED in out and lakehouse.CLICKS not in out
    code = main(["sql", "-f", str(SQL_DIR / "queries" / "find_assets.sql"), "--param", f"text={TRICKY}",
                 "--param", "entity_type=", "--format", "csv"])
    out = capsys.readouterr().out
    assert code == 0 and out.count("\n") == 2  # header + the one tricky dataset
