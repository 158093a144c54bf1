"""Search benchmark: documents built (Spark, embedded engine) and indexed (embedded tantivy) per
second, and query latency p50 / p95 of the embedded engine, on synthetic organisations of
`scale` units (spark_jobs.graph.synthetic.scaled_lineage: ~30 entities per unit), with owners,
display names, descriptions and tags filled in.

Queries (each timed alone, including the per-rule "why" lookups `mlg search` prints): exact
names, 4-letter prefixes, one-letter typos, filtered (type + owner) and people by display name.

    .venv/bin/python bench/bench_search.py --scales 10 100 [--queries 200] [--record]
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


def run_scale(scale: int, work: Path, n_queries: int) -> dict[str, Any]:
    from spark_jobs import tables
    from spark_jobs.graph.synthetic import write_graph
    from spark_jobs.search.documents import build_documents, iter_documents
    from spark_jobs.search.embedded import EmbeddedSearcher, write_snapshot
    from spark_jobs.search.publish import documents_of, snapshot_id_for
    from spark_jobs.search.ranking import SearchQuery
    from spark_jobs.session import spark_session

    settings = Settings.load(env={}, lakehouse=str(work / f"lh-{scale}"), state_dir=str(work / f"state-{scale}"))
    graph = org_graph(scale)
    out: dict[str, Any] = {"scale": scale}
    with spark_session(settings) as spark:
        write_graph(spark, settings, graph)
        out["entities"] = spark.read.format("delta").load(tables.table("graph.entities").path(settings)).count()
        with measure("build") as m:
            built = build_documents(spark, settings)
        m.rows_out = built.documents + built.owner_documents
        out["build"] = m.as_dict()
    with measure("index") as m:
        written = write_snapshot(settings, snapshot_id_for(built), documents_of(settings, built))
    m.rows_out = sum(written.doc_counts.values())
    out["index"] = m.as_dict()
    out["documents"] = written.doc_counts

    docs = list(iter_documents(settings, "search.documents"))
    people = [d for d in iter_documents(settings, "search.owner_documents") if d["entity_type"] == "User"]
    searcher = EmbeddedSearcher(settings)
    rng = random.Random(5)
    timings: dict[str, list[float]] = {}
    found = 0
    for label, spec in query_set(docs, people, n_queries, rng):
        spec = dict(spec)
        kind = spec.pop("kind", "entities")
        query = SearchQuery(limit=10, **spec)
        start = time.perf_counter()
        hits = searcher.search(query, kind=kind)
        timings.setdefault(label, []).append(time.perf_counter() - start)
        found += bool(hits)
    out["queries"] = {"n": n_queries, "with_hits": found, **percentiles([t for ts in timings.values() for t in ts]),
                      "by_kind": {k: percentiles(v) for k, v in timings.items()}}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--record", action="store_true", help="append to bench/results.jsonl")
    args = parser.parse_args(argv)

    results = []
    with tempfile.TemporaryDirectory(prefix="mlg-bench-search-") as tmp:
        for scale in args.scales:
            r = run_scale(scale, Path(tmp), args.queries)
            results.append(r)
            print(f"  scale {scale:>5}: {r['entities']} entities, built {r['build']['rows_per_s']} docs/s, "
                  f"indexed {r['index']['rows_per_s']} docs/s, p50 {r['queries']['p50_ms']} ms", file=sys.stderr)
    print(f"{'scale':>6} {'entities':>8} {'docs':>6} {'build s':>8} {'build docs/s':>12} {'index s':>8} "
          f"{'index docs/s':>12} {'q p50 ms':>9} {'q p95 ms':>9} {'hits':>9} {'peak MB':>8}")
    for r in results:
        docs = sum(r["documents"].values())
        print(f"{r['scale']:>6} {r['entities']:>8} {docs:>6} {r['build']['seconds']:>8.2f} "
              f"{r['build']['rows_per_s']:>12.0f} {r['index']['seconds']:>8.2f} {r['index']['rows_per_s']:>12.0f} "
              f"{r['queries']['p50_ms']:>9.2f} {r['queries']['p95_ms']:>9.2f} "
              f"{r['queries']['with_hits']:>4}/{r['queries']['n']:<4} {r['build']['peak_rss_mb']:>8.0f}")
    for r in results:
        kinds = ", ".join(f"{k} {v['p50_ms']}/{v['p95_ms']}" for k, v in r["queries"]["by_kind"].items())
        print(f"scale {r['scale']} p50/p95 ms by query kind: {kinds}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    if args.record:
        from spark_jobs.bench import results as bench_results

        for r in results:
            bench_results.append({"bench": "search", **r})
    return 0


if __name__ == "__main__":
    sys.exit(main())
