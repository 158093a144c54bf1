"""Render the figures `make chaos` appends to MLG_CHAOS_REPORT as the RELIABILITY.md table:
`python -m tests.chaos.reliability chaos-report.jsonl`."""

from __future__ import annotations

import json
import sys


def table(lines: list[str]) -> str:
    rows = [json.loads(line) for line in lines if line.strip()]
    out = ["| scenario | converged | landed events lost / duplicated | recovery (build + reconcile) | reader checks |",
           "|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['scenario']} | {'yes' if r['converged'] else 'NO'} | {r['lost_events']} / "
                   f"{r['duplicated_events']} | {r['recovery_s']:.0f} s | {r['reader_checks']} |")
    return "\n".join(out)


if __name__ == "__main__":
    with open(sys.argv[1]) as fh:
        print(table(fh.readlines()))
