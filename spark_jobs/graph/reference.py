"""A single-machine reference closure with networkx: the property tests' oracle and the
benchmark's baseline. Same meaning as `closure.closure_dataframe`: shortest depth per pair and
the relations on all shortest paths; an entity on a cycle depends on itself."""

from __future__ import annotations

from collections.abc import Iterable


def networkx_closure(edges: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str], tuple[int, list[str]]]:
    """(src, dst) -> (min_depth, sorted relations) for dependency edges (src, dst, rel)."""
    import networkx as nx

    graph = nx.DiGraph()
    for u, v, rel in edges:
        if graph.has_edge(u, v):
            graph[u][v]["rels"].add(rel)
        else:
            graph.add_edge(u, v, rels={rel})
    closure: dict[tuple[str, str], tuple[int, list[str]]] = {}
    for s in graph.nodes:
        dist = nx.single_source_shortest_path_length(graph, s)
        rels: dict[str, set[str]] = {s: set()}
        for v in sorted((n for n in dist if n != s), key=dist.__getitem__):
            rels[v] = set().union(*(rels[p] | graph[p][v]["rels"] for p in graph.predecessors(v)
                                    if p in dist and dist[p] + 1 == dist[v]))
            closure[(s, v)] = (dist[v], sorted(rels[v]))
        back = [p for p in graph.predecessors(s) if p in dist]
        if back:  # s is on a cycle (or has a self loop): it depends on itself
            length = min(dist[p] for p in back) + 1
            closure[(s, s)] = (length, sorted(set().union(
                *(rels[p] | graph[p][s]["rels"] for p in back if dist[p] + 1 == length))))
    return closure
