"""Test-only kill points: `MLG_CHAOS_KILL_AT=<stage>:<point>[#n]` makes the process SIGKILL
itself the n-th time (default: first) it reaches that named point, so the chaos suite
(`tests/chaos/`) can stop a build exactly before a stage's first write, between its writes, or
after its last one. Unset (always, outside that suite), a point costs one dict lookup.

Points: `<stage>:before` / `<stage>:after` around every stage (`after`: its writes done, its
`ops.runs` row not yet written); `hydrate:after_staging_write`, `enrich:after_staging_write`
(each staging commit); `merge:after_entities`, `merge:after_edges` and the same for `enrich`
(inside the batch merge); `infer:after_similarity`; `closure:after_impact`; `quality:after_scores`
(the run's scores appended, their roll-ups not yet written); `quality:after_results` (its
results appended, their summary not yet);
`publish:after_index_commit` (embedded index written, pointer not yet switched);
`publish:after_cluster_chunk` (a search server has taken a bulk chunk, the rest not yet sent).
`MLG_CHAOS_STOP_AT` takes the same names and freezes the process there (SIGSTOP).
"""

from __future__ import annotations

import os
import signal

ENV = "MLG_CHAOS_KILL_AT"
STOP_ENV = "MLG_CHAOS_STOP_AT"  # SIGSTOP instead: a build frozen there (hung VM, GC pause) until SIGCONT
_hits: dict[tuple[str, str], int] = {}


def reached(point: str) -> None:
    for env, sig in ((ENV, signal.SIGKILL), (STOP_ENV, signal.SIGSTOP)):
        spec = os.environ.get(env)
        if not spec:
            continue
        name, _, nth = spec.partition("#")
        if name != point:
            continue
        _hits[(env, point)] = _hits.get((env, point), 0) + 1
        if _hits[(env, point)] == int(nth or 1):
            os.kill(os.getpid(), sig)
