"""The lineage / impact picture: nodes laid out in columns by depth (upstream to the left of the
entity, downstream to the right), edges between neighbouring columns that an active edge
joins. Coordinates only; the template draws them (no script, nothing inline but SVG)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spark_jobs.portal.readmodel import Snapshot

COL_W, ROW_H, NODE_W, NODE_H, PAD = 230, 46, 190, 30, 20
MAX_PER_COLUMN = 14


@dataclass
class Layout:
    width: int
    height: int
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    hidden: dict[int, int]  # depth -> nodes not drawn
    headers: list[dict[str, Any]]


def layout(snap: Snapshot, uri: str, upstream: list[dict[str, Any]], downstream: list[dict[str, Any]]) -> Layout:
    columns: dict[int, list[dict[str, Any]]] = {0: [{"id": uri, "depth": 0}]}
    for row in upstream:
        columns.setdefault(-row["depth"], []).append(row)
    for row in downstream:
        columns.setdefault(row["depth"], []).append(row)
    hidden: dict[int, int] = {}
    order = sorted(columns)
    tallest = 1
    nodes: list[dict[str, Any]] = []
    pos: dict[str, tuple[float, float, int]] = {}
    for ci, depth in enumerate(order):
        rows = sorted(columns[depth], key=lambda r: (str((snap.entity(r["id"]) or {}).get("entity_type")), r["id"]))
        if len(rows) > MAX_PER_COLUMN:
            hidden[depth] = len(rows) - MAX_PER_COLUMN
            rows = rows[:MAX_PER_COLUMN]
        tallest = max(tallest, len(rows) + (1 if depth in hidden else 0))
        for ri, row in enumerate(rows):
            x, y = PAD + ci * COL_W, PAD + 24 + ri * ROW_H
            entity = snap.entity(row["id"]) or {}
            label = entity.get("name") or row["id"]
            nodes.append({"id": row["id"], "x": x, "y": y, "w": NODE_W, "h": NODE_H, "depth": depth,
                          "label": label if len(label) <= 26 else label[:25] + "…", "title": f"{label} ({row['id']})",
                          "entity_type": entity.get("entity_type") or "", "center": depth == 0})
            pos[row["id"]] = (x, y, depth)
    edges = []
    for node in nodes:
        for e in snap.out_edges.get(node["id"], ()):
            other = pos.get(e["dst"])
            if other is None or abs(other[2] - node["depth"]) != 1:
                continue
            (x1, y1, d1), (x2, y2, _) = (pos[node["id"]], other) if node["depth"] < other[2] else (other, pos[node["id"]])
            edges.append({"x1": x1 + NODE_W, "y1": y1 + NODE_H / 2, "x2": x2, "y2": y2 + NODE_H / 2, "rel": e["rel"]})
    headers = [{"x": PAD + ci * COL_W, "depth": d} for ci, d in enumerate(order)]
    width = PAD * 2 + len(order) * COL_W
    height = PAD * 2 + 24 + tallest * ROW_H
    return Layout(width, height, nodes, edges, hidden, headers)
