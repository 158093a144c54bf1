"""The empty-graph guard of the quality gate: nothing is published or reported from a graph with
no live entity (a lakehouse that was never built, a wrong `MLG_LAKEHOUSE`), so an empty build
can never replace a live search index or a governance report with empty sections.

The quality suites carry the same rule as the critical check `graph_not_empty`, so a build's gate
fails on an empty graph; this guard also stops `mlg build --only publish` and `mlg report`, which
run without a quality stage of their own. Read through delta-rs: no engine needed.
"""

from __future__ import annotations

from spark_jobs import tables
from spark_jobs.config import Settings
from spark_jobs.errors import MlgError

LIVE_STATES = ("hydrated", "enriched")
GATE_REFUSED_EXIT = 3  # as a failed quality gate


class EmptyGraph(MlgError):
    """Refused by the quality gate: the graph has no live entity."""

    exit_code = GATE_REFUSED_EXIT


def live_entities(settings: Settings) -> int:
    """Live (hydrated or enriched) entities in the current graph.entities; 0 when there is none."""
    if not tables.exists(settings, "graph.entities"):
        return 0
    from spark_jobs.graph.lookup import GraphLookup

    graph = GraphLookup(settings)
    graph.use("graph.entities")
    states = ", ".join(f"'{s}'" for s in LIVE_STATES)
    return int(graph.rows(f"SELECT count(*) FROM graph_entities WHERE state IN ({states})")[0][0])


def require_live_graph(settings: Settings, action: str) -> int:
    """The number of live entities, or EmptyGraph naming the lakehouse and what to do."""
    count = live_entities(settings)
    if count == 0:
        raise EmptyGraph(
            f"quality gate: refusing to {action} an empty graph (no live entity in graph.entities at "
            f"{tables.lakehouse_root(settings)}); build it first (`mlg build`), or check MLG_LAKEHOUSE")
    return count
