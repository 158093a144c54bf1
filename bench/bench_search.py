"""Search benchmark: documents built (Spark) per second, then, per engine, documents indexed
per second and query latency p50 / p95, on synthetic organisations of `scale` units
(spark_jobs.graph.synthetic.scaled_lineage: ~30 entities per unit), with owners, display names,
descriptions and tags filled in.

Engines (`--engines`): `embedded` (tantivy, in-process) and `opensearch` (a local single-node
OpenSearch started for the run by infra/opensearch.py, 512 MB heap, server JIT; indexing is the
whole snapshot publish: template, new indices, bulk, refresh, count check, alias swap). Both get
the same documents and the same queries, through the same `SearchBackend` interface `mlg search`
uses (the OpenSearch timings include the HTTP round trip and JSON).

Each engine first publishes the snapshot once and runs the queries once untimed (steady state, as a
long-running server; OpenSearch's JIT is cold until then). Queries (each timed alone, including
the "why" each hit matched): exact names, 4-letter
prefixes, one-letter typos, filtered (type + owner) and people by display name.

    .venv/bin/python bench/bench_search.py --scales 10 100 [--engines embedded opensearch] [--queries 200] [--record]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("RUST_LOG", "error")

from spark_jobs.bench.measure import measure  # noqa: E402
from spark_jobs.config import Settings  # noqa: E402
from spark_jobs.graph.synthetic import Graph, scaled_lineage  # noqa: E402
from spark_jobs.model import EntityType, resource_id  # noqa: E402

WARM_UP_SNAPSHOT = "v0000000000-e0000000000"  # sorts before every real snapshot id
FIRST = ["Alice", "Bruno", "Chen", "Dara", "Emeka", "Farah", "Goran", "Hana", "Ines", "Jonas"]
LAST = ["Liddell", "Okafor", "Moreau", "Tanaka", "Silva", "Novak", "Haddad", "Berg", "Kowalski", "Quinn"]


def org_graph(scale: int, *, seed: int = 11) -> Graph:
    rng = random.Random(seed)
    edges = scaled_lineage(scale)
    graph = Graph(edges=list(edges))
    for e in edges:
        if e.rel == "OWNED_BY":
            graph.entities.setdefault(e.src, {}).setdefault("owners", []).append(e.dst)
    for uri in {*(e.src for e in edges), *(e.dst for e in edges)}:
        kind = EntityType.of_uri(uri)
        fields = graph.entities.setdefault(uri, {})
        if kind is EntityType.USER:
            fields["name"] = f"{rng.choice(FIRST)} {rng.choice(LAST)} {resource_id(uri)}"
        elif kind is EntityType.TEAM:
            fields["name"] = f"{resource_id(uri).replace('-', ' ').title()} Squad"
        else:
            fields["description"] = f"{kind.value} {resource_id(uri)} for the {rng.choice(['feed', 'search', 'ads'])} surface"
            fields["tags"] = [{"tag": "env", "value": rng.choice(["prod", "dev"])}]
    return graph


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50_ms": round(pick(0.50) * 1000, 2), "p95_ms": round(pick(0.95) * 1000, 2),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 2)}


def query_set(docs: list[dict], people: list[dict], n: int, rng: random.Random) -> list[tuple[str, dict]]:
    from spark_jobs.search.ranking import tokens

    out: list[tuple[str, dict]] = []
    for k in range(n):
        doc = rng.choice(docs)
        kind = k % 5
        if kind == 0:
            out.append(("exact", {"text": doc["name"]}))
        elif kind == 1:
            out.append(("prefix", {"text": tokens(doc["name"])[0][:4]}))
        elif kind == 2:
            name = doc["name"]
            i = rng.randrange(1, len(name) - 1) if len(name) > 3 else 0
            out.append(("typo", {"text": name[:i] + name[i + 1:]}))
        elif kind == 3:
            owner = (doc.get("owner_keys") or [None])[-1]
            out.append(("filtered", {"text": tokens(doc["name"])[0], "entity_type": doc["entity_type"],
                                     "owner": owner}))
        else:
            person = rng.choice(people)
            out.append(("people", {"text": person["name"].split()[1], "kind": "owners"}))
    return out


def _engine(name: str, settings: Settings, node):
    """The `SearchBackend` for an engine (OpenSearch: the run's node, a prefix per scale)."""
    import dataclasses

    from spark_jobs.search.backends import EmbeddedBackend, server_backend

    if name == "embedded":
        return EmbeddedBackend(settings)
    if node is None:
        raise SystemExit("--engines opensearch needs the node (started by main)")
    prefix = f"bench-{Path(settings.lakehouse).name}"
    return server_backend(dataclasses.replace(settings, opensearch_url=node.url, opensearch_index_prefix=prefix),
                          "opensearch")


def run_scale(scale: int, work: Path, n_queries: int, engines: list[str], node=None) -> dict[str, Any]:
    from spark_jobs import tables
    from spark_jobs.graph.synthetic import write_graph
    from spark_jobs.search.documents import build_documents, iter_documents
    from spark_jobs.search.publish import documents_of, snapshot_id_for
    from spark_jobs.search.ranking import SearchQuery
    from spark_jobs.session import spark_session

    settings = Settings.load(env={}, lakehouse=str(work / f"lh-{scale}"), state_dir=str(work / f"state-{scale}"))
    graph = org_graph(scale)
    out: dict[str, Any] = {"scale": scale, "engines": {}}
    with spark_session(settings) as spark:
        write_graph(spark, settings, graph)
        out["entities"] = spark.read.format("delta").load(tables.table("graph.entities").path(settings)).count()
        with measure("build") as m:
            built = build_documents(spark, settings)
        m.rows_out = built.documents + built.owner_documents
        out["build"] = m.as_dict()
    docs = list(iter_documents(settings, "search.documents"))
    people = [d for d in iter_documents(settings, "search.owner_documents") if d["entity_type"] == "User"]
    queries = query_set(docs, people, n_queries, random.Random(5))
    for name in engines:
        backend = _engine(name, settings, node)
        # steady state, as a long-running server is: one untimed publish and query pass first
        # (OpenSearch's JIT is cold until then; the embedded engine is native code, barely affected)
        backend.publish(WARM_UP_SNAPSHOT, documents_of(settings, built))
        with measure("index") as m:
            published = backend.publish(snapshot_id_for(built), documents_of(settings, built))
        if published.status != "published":
            raise SystemExit(f"{name}: the snapshot was not published: {published.problem}")
        m.rows_out = sum(published.doc_counts.values())
        result: dict[str, Any] = {"index": m.as_dict(), "documents": published.doc_counts}
        if name == "embedded":  # one searcher for the run, as a long-lived reader (the portal) keeps it
            from spark_jobs.search.embedded import EmbeddedSearcher

            searcher = EmbeddedSearcher(settings)
            run = lambda q, kind: searcher.search(q, kind=kind)  # noqa: E731
        else:
            run = lambda q, kind: backend.search(q, kind=kind)  # noqa: E731
        for _label, spec in queries:
            spec = dict(spec)
            kind = spec.pop("kind", "entities")
            run(SearchQuery(limit=10, **spec), kind)
        timings: dict[str, list[float]] = {}
        found = 0
        for label, spec in queries:
            spec = dict(spec)
            kind = spec.pop("kind", "entities")
            query = SearchQuery(limit=10, **spec)
            start = time.perf_counter()
            hits = run(query, kind)
            timings.setdefault(label, []).append(time.perf_counter() - start)
            found += bool(hits)
        result["queries"] = {"n": n_queries, "with_hits": found,
                             **percentiles([t for ts in timings.values() for t in ts]),
                             "by_kind": {k: percentiles(v) for k, v in timings.items()}}
        out["engines"][name] = result
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--engines", nargs="+", choices=("embedded", "opensearch"), default=["embedded"])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--record", action="store_true", help="append to bench/results.jsonl")
    args = parser.parse_args(argv)

    results = []
    with tempfile.TemporaryDirectory(prefix="mlg-bench-search-") as tmp:
        node = None
        if "opensearch" in args.engines:
            from infra.opensearch import start

            node = start(Path(tmp) / "opensearch", log_path=Path(tmp) / "opensearch.log", quick_start=False)
            print(f"  opensearch node ready in {node.started_in_s:.1f} s (server JIT)", file=sys.stderr)
        try:
            for scale in args.scales:
                r = run_scale(scale, Path(tmp), args.queries, args.engines, node)
                if node is not None:
                    r["opensearch_start_s"] = round(node.started_in_s, 1)
                results.append(r)
                for name, e in r["engines"].items():
                    print(f"  scale {scale:>5} {name}: {r['entities']} entities, built {r['build']['rows_per_s']} "
                          f"docs/s, indexed {e['index']['rows_per_s']} docs/s, p50 {e['queries']['p50_ms']} ms",
                          file=sys.stderr)
        finally:
            if node is not None:
                node.stop()
    print(f"{'scale':>6} {'engine':>10} {'entities':>8} {'docs':>6} {'build docs/s':>12} {'index s':>8} "
          f"{'index docs/s':>12} {'q p50 ms':>9} {'q p95 ms':>9} {'hits':>9} {'peak MB':>8}")
    for r in results:
        for name, e in r["engines"].items():
            docs = sum(e["documents"].values())
            print(f"{r['scale']:>6} {name:>10} {r['entities']:>8} {docs:>6} {r['build']['rows_per_s']:>12.0f} "
                  f"{e['index']['seconds']:>8.2f} {e['index']['rows_per_s']:>12.0f} "
                  f"{e['queries']['p50_ms']:>9.2f} {e['queries']['p95_ms']:>9.2f} "
                  f"{e['queries']['with_hits']:>4}/{e['queries']['n']:<4} {r['build']['peak_rss_mb']:>8.0f}")
    for r in results:
        for name, e in r["engines"].items():
            kinds = ", ".join(f"{k} {v['p50_ms']}/{v['p95_ms']}" for k, v in e["queries"]["by_kind"].items())
            print(f"scale {r['scale']} {name} p50/p95 ms by query kind: {kinds}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    if args.record:
        from spark_jobs.bench import results as bench_results

        for r in results:
            bench_results.append({"bench": "search", **r})
    return 0


if __name__ == "__main__":
    sys.exit(main())
