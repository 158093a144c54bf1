"""Source-system simulator: the six source systems of SOURCES.md on one HTTP port.

Layout (stable interface; other areas code against it):

- `ecosystem`  `Ecosystem(seed=, scale=)`: the deterministic ML ecosystem plus a mutation overlay.
- `truth`      ground-truth entities / edges the graph must converge to (docs/normalisation.md).
- `faults`     per-source HTTP faults (token bucket, 5xx, latency, hangs), seeded.
- `events`     thin events to SQS with event-side faults (duplicates, reordering, drops, SNS).
- `server`     the HTTP server: `/<platform>/api/v1/...` and the admin API under `/_admin/`.
- `churn`      `plan(eco, count=, seed=)`: a deterministic batch of plausible mutations.
- `stewardship` `plan(eco, seed=)`: one round of metadata changes across teams (owners leave and come
               back, assets documented or reset to a placeholder): what moves quality scores.
- `client`     `SimulatorClient(admin_base_url)` wrapping the admin API.
- `launch`     `start_simulator(...)`: the simulator as a child process (tests, `mlg up`).
- `__main__`   `python -m infra.simulator --host 127.0.0.1 --port 0 --seed 7 --scale 1 ...`.

Admin API (`/_admin/...`): GET health | POST mutations ({op, collection, id?, fields} or a list)
| POST churn {count, seed} | POST stewardship {seed} | GET/POST faults | GET/POST events | POST events/flush | POST emit-all
| GET truth?kind=entities|edges|deleted (JSON lines) | GET objects?collection= (JSON lines)
| GET access-log?since=&platform=&limit=. The local stack (`mlg up`) is `infra/stack.py`.
"""

from infra.simulator.collections import COLLECTIONS, Collection, collections_of

__all__ = ["COLLECTIONS", "Collection", "collections_of"]
