from datetime import datetime, timezone

import pytest

from spark_jobs import merge, tables

pytestmark = pytest.mark.integration

ENTITY_COLS = tables.table("graph.entities").column_names


def _rows(spark, rows):
    full = []
    for r in rows:
        base = dict.fromkeys(ENTITY_COLS)
        base.update(r)
        full.append(tuple(base[c] for c in ENTITY_COLS))
    return spark.createDataFrame(full, tables.table("graph.entities").ddl).drop("content_hash")


HASHED = ["entity_type", "name", "description", "owners", "tags", "properties", "state"]


def _upsert(spark, settings, rows, when):
    return merge.upsert(
        spark, settings, "graph.entities", _rows(spark, rows), hash_columns=HASHED,
        preserve_on_update=["first_seen_at"], history_table="graph.entity_history",
        valid_from=when, run_id=when.isoformat(),
    )


T1 = datetime(2026, 1, 1, tzinfo=timezone.utc)
T2 = datetime(2026, 1, 2, tzinfo=timezone.utc)
A = {"id": "aip://model/registry/a", "entity_type": "Model", "name": "a", "state": "hydrated",
     "properties": {"x": "1"}, "first_seen_at": T1}
B = {"id": "aip://model/registry/b", "entity_type": "Model", "name": "b", "state": "hydrated",
     "first_seen_at": T1}


def test_two_merges_give_two_versions_and_time_travel(spark, settings):
    first = _upsert(spark, settings, [A, B], T1)
    assert (first.inserted, first.updated) == (2, 0)
    second = _upsert(spark, settings, [{**A, "name": "a2", "first_seen_at": T2}], T2)
    assert (second.inserted, second.updated) == (0, 1)
    assert second.version == first.version + 1

    now = {r.id: r for r in tables.read(spark, settings, "graph.entities").collect()}
    assert now[A["id"]].name == "a2"
    assert now[A["id"]].first_seen_at.replace(tzinfo=timezone.utc) == T1  # preserved on update
    then = {r.id: r.name for r in tables.read(spark, settings, "graph.entities", at_version=first.version).collect()}
    assert then == {A["id"]: "a", B["id"]: "b"}

    history = tables.read(spark, settings, "graph.entity_history").where(f"id = '{A['id']}'").orderBy("valid_from").collect()
    assert len(history) == 2
    assert history[0].valid_to is not None and history[1].valid_to is None


def test_merging_same_rows_again_writes_nothing(spark, settings):
    first = _upsert(spark, settings, [A, B], T1)
    history_version = tables.version(settings, "graph.entity_history")
    again = _upsert(spark, settings, [A, B], T2)
    assert again.changed == 0
    assert again.version == first.version
    assert tables.version(settings, "graph.entity_history") == history_version
    assert tables.read(spark, settings, "graph.entity_history").count() == 2


def test_map_order_does_not_change_the_hash(spark, settings):
    _upsert(spark, settings, [{**A, "properties": {"x": "1", "y": "2"}}], T1)
    again = _upsert(spark, settings, [{**A, "properties": {"y": "2", "x": "1"}}], T2)
    assert again.changed == 0


def _crash_before_the_table_commit(monkeypatch):
    """The upsert stops after its history commit and before the table's (a killed process)."""
    def crash(*args, **kwargs):
        raise RuntimeError("killed after the history commit")
    monkeypatch.setattr(merge, "write_rows", crash)


def _history_of(spark, settings, uri):
    return tables.read(spark, settings, "graph.entity_history").where(f"id = '{uri}'").collect()


def test_history_rewrite_is_idempotent_after_a_crash(spark, settings, monkeypatch):
    _upsert(spark, settings, [A], T1)
    with monkeypatch.context() as m:
        _crash_before_the_table_commit(m)
        with pytest.raises(RuntimeError, match="killed"):
            _upsert(spark, settings, [{**A, "name": "a2"}], T2)
    assert len(_history_of(spark, settings, A["id"])) == 2  # the history commit happened
    result = _upsert(spark, settings, [{**A, "name": "a2"}], T2)
    assert (result.inserted, result.updated) == (0, 1)
    history = _history_of(spark, settings, A["id"])
    assert len(history) == 2
    assert sum(1 for h in history if h.valid_to is None) == 1
    assert tables.read(spark, settings, "graph.entities").collect()[0].name == "a2"


def test_history_append_is_idempotent_after_a_crash(spark, settings, monkeypatch):
    """A batch of only new keys appends its history rows; after a crash before the table's commit
    the next run must not give those keys a second open row."""
    _upsert(spark, settings, [A], T1)
    with monkeypatch.context() as m:
        _crash_before_the_table_commit(m)
        with pytest.raises(RuntimeError, match="killed"):
            _upsert(spark, settings, [B], T2)
    result = _upsert(spark, settings, [B], T2)
    assert (result.inserted, result.updated) == (1, 0)
    history = _history_of(spark, settings, B["id"])
    assert len(history) == 1 and history[0].valid_to is None
    assert {r.id for r in tables.read(spark, settings, "graph.entities").collect()} == {A["id"], B["id"]}


T3 = datetime(2026, 1, 3, 12, tzinfo=timezone.utc)


def _history_files(settings) -> dict[str, set[str]]:
    """The data files of graph.entity_history by closed_on partition."""
    from deltalake import DeltaTable

    actions = DeltaTable(tables.table("graph.entity_history").path(settings)).get_add_actions(flatten=True)
    out: dict[str, set[str]] = {}
    for path in actions.column("path").to_pylist():
        out.setdefault(path.split("/", 1)[0], set()).add(path)
    return out


def test_closing_a_version_rewrites_only_the_open_rows_and_that_days(spark, settings):
    _upsert(spark, settings, [A, B], T1)
    _upsert(spark, settings, [{**A, "name": "a2"}], T2)
    before = _history_files(settings)
    _upsert(spark, settings, [{**B, "name": "b2"}, {**A, "name": "a3"}], T3)
    after = _history_files(settings)
    # A's version closed on 2026-01-02 is not rewritten; the open rows and 2026-01-03's are new files
    assert after["closed_on=2026-01-02"] == before["closed_on=2026-01-02"]
    assert set(after) == {"closed_on=__HIVE_DEFAULT_PARTITION__", "closed_on=2026-01-02", "closed_on=2026-01-03"}
    rows = {(r.run_id, r.id): (r.valid_to, r.closed_on) for r in tables.read(spark, settings, "graph.entity_history")
            .collect()}
    assert len(rows) == 5
    for (run, _uri), (valid_to, closed_on) in rows.items():
        assert (valid_to is None) == (closed_on is None)
        assert closed_on is None or closed_on == valid_to.date()
    assert sum(1 for valid_to, _ in rows.values() if valid_to is None) == 2  # one open version each


def test_a_history_table_from_before_closed_on_is_partitioned_once(spark, settings):
    _upsert(spark, settings, [A, B], T1)
    _upsert(spark, settings, [{**A, "name": "a2"}], T2)
    history = tables.table("graph.entity_history")
    old = tables.read(spark, settings, history.name).drop("closed_on")
    old.write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(history.path(settings))
    from deltalake import DeltaTable

    assert DeltaTable(history.path(settings)).metadata().partition_columns == []
    _upsert(spark, settings, [{**A, "name": "a3"}], T3)
    assert DeltaTable(history.path(settings)).metadata().partition_columns == ["closed_on"]
    rows = sorted((r.valid_from, r.valid_to, r.closed_on) for r in _history_of(spark, settings, A["id"]))
    assert [(vf.date(), vt and vt.date(), c) for vf, vt, c in rows] == [
        (T1.date(), T2.date(), T2.date()), (T2.date(), T3.date(), T3.date()), (T3.date(), None, None)]
