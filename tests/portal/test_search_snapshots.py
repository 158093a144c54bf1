"""The portal's search keeps its answers per embedded snapshot and follows each publish, also a
rebuild of the same snapshot id (a closure-only change republishes the graph versions' id)."""

from __future__ import annotations

from spark_jobs.config import Settings
from spark_jobs.portal.searching import PortalSearch
from spark_jobs.search.embedded import write_snapshot
from spark_jobs.search.ranking import SearchQuery

MODEL = "aip://model/registry/ranking"
SNAPSHOT = "v0000000001-e0000000000"


def _publish(settings: Settings, snapshot_id: str, description: str) -> None:
    doc = {"id": MODEL, "entity_type": "Model", "name": "ranking", "description": description}
    write_snapshot(settings, snapshot_id, {"entities": [doc], "owners": []})


def test_answers_are_kept_until_a_publish_even_under_the_same_snapshot_id(tmp_path):
    settings = Settings.load(env={}, lakehouse=str(tmp_path / "lh"), state_dir=str(tmp_path / "state"))
    _publish(settings, SNAPSHOT, "first words")
    search = PortalSearch(settings)
    query = SearchQuery(text="ranking", limit=10)
    first = search.search(query)
    assert [h.doc["description"] for h in first] == ["first words"]
    assert search.search(query) is first  # the same snapshot: the kept answer

    _publish(settings, SNAPSHOT, "second words")  # rebuilt under the same id
    assert [h.doc["description"] for h in search.search(query)] == ["second words"]
    _publish(settings, "v0000000002-e0000000000", "third words")
    assert [h.doc["description"] for h in search.search(query)] == ["third words"]
