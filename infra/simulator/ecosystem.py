"""A deterministic ML ecosystem generated from `(seed, scale)`, plus an overlay of mutations.

Nothing is materialised: object `i` of a collection is computed on demand from
`(seed, collection, i)`, ids embed their index (or are one of a few fixed special ids), so a
lookup parses the id and regenerates the object, and a listing walks indices. Mutations live
in a small overlay dict. Memory stays bounded at any scale (a bounded LRU of generated
objects keeps owner resolution and derived fields cheap).

Structure (N = per-scale counts in `collections.COLLECTIONS` times `scale`):

- pipeline `2m` is the weekly trainer of model `m`; pipeline `2j+1` is an ETL pipeline that
  produces datasets `6j .. 6j+4` (dataset `6j+5` is external: `produced_by` null).
- every pipeline has 6 weekly runs (run `6p+w`, week `w = 0` is the most recent);
  model `m` has 5 instances (instance `5m+k`) produced by its trainer's run of week `k`.
- A/B test `t` tests model `t` (`t < N_models`) or `t - N_models + 1`; its cell `c` (of 2 to 4)
  is served by the trainer run of week `n_cells - c`, unless the test is a DRAFT.
- features are drawn with a cubic skew, so a few features are used by many instances.
- index 0 of every collection is the fixed example of SOURCES.md; indices 1.. carry hostile ids.
- every asset belongs to a team (a model's team also owns its instances, trainer and A/B tests; an
  ETL pipeline's team its datasets), and each team keeps its metadata with its own care
  (`TEAM_CARE`): how often its assets are unowned, owned by people who left, undocumented or
  documented with a placeholder (`TODO`, `tbd`), unlabelled, and stale. So the governance report
  and the quality scores have real material, team by team, at scale 1.

Time: ids embed dates counted from the fixed `ANCHOR` (ids never move), while timestamps (updated_at,
run start and end, test dates) are counted back from the ecosystem's `clock`: by default three days
before today's date (UTC), so "updated 400 days ago" means the same on any day the simulator runs,
and the same seed gives the same payloads all day.
"""

from __future__ import annotations

import copy
import re
import threading
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from random import Random
from typing import Any, Literal

from infra.simulator.collections import COLLECTIONS, collection

Op = Literal["create", "update", "delete"]

ANCHOR = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)
"""The fixed date the ids embed (instance and run ids name their week counted from it)."""

# How carefully each team (index modulo 8) keeps its metadata: the probability that an asset is
# fresh, and (1 - care) scales how often it is unowned, undocumented, unlabelled or owned by people
# who left. Team 0 (personalization, the SOURCES.md example's team) is careful; some teams are not.
TEAM_CARE = (0.95, 0.6, 0.85, 0.35, 0.75, 0.5, 0.9, 0.25)
PLACEHOLDER_DESCRIPTIONS = ("TODO", "tbd", "TODO: describe this", "TBD - ask the owner", "n/a", "-",
                            "description")
FORMER_OWNER = "former.employee@example.com"
"""A co-owner of the example model who has left: identity no longer knows the address."""

RUNS_PER_PIPELINE = 6
INSTANCES_PER_MODEL = 5
DATASETS_PER_ETL = 6
# Above scale 1 the organisation is one domain per scale unit: an ETL pipeline reads its own
# domain's tables, and now and then one of a few shared raw "core" tables of domain 0. Lineage
# therefore stays layered the way real warehouses are (a random global wiring would chain every
# ETL pipeline to every other one and make impact closures grow with the square of the scale).
CORE_READ_SHARE = 0.05
CORE_DATASETS = 20

HOSTILE_IDS: tuple[str, ...] = (
    "with space",
    "slash/inside",
    "ünïcødé-名前",
    "../../admin",
    "%2e%2e",
    "?x=1",
    "..",
    "#frag&y=2",
    "long-" + "x" * 400,
)
"""Ids that break naive URL building; present in every id-by-name collection at every scale."""

_SPECIAL_IDS: dict[str, dict[int, str]] = {
    "models": {0: "ranking-v5", **{i + 1: h for i, h in enumerate(HOSTILE_IDS)}},
    "instances": {0: "ranking-model-v5-20XX0101", **{i + 1: h for i, h in enumerate(HOSTILE_IDS)}},
    "pipelines": {0: "weekly-ranking-trainer", **{i + 1: h for i, h in enumerate(HOSTILE_IDS)}},
    "pipeline-runs": {0: "train-weekly-ranking-20XX0101",
                      **{i + 1: h for i, h in enumerate(HOSTILE_IDS)}},
    "features": {0: "title_embedding", **{i + 1: h for i, h in enumerate(HOSTILE_IDS)}},
    "datasets": {0: "warehouse.title_catalog", **{i + 1: h for i, h in enumerate(HOSTILE_IDS)}},
    "tests": {0: "12345", 1: "exp 7/β"},
    "users": {0: "alice@example.com", 1: "o'brien+ml@example.com", 2: "zoë.müller@example.com",
              3: "first last@example.com", 4: "a/b@example.com", 5: "../../admin@example.com"},
    "teams": {0: "personalization", 1: "ml platform/core", 2: "équipe données"},
}

_INDEX_PATTERNS: dict[str, re.Pattern[str]] = {
    "users": re.compile(r"(\d+)@example\.com$"),
    "tests": re.compile(r"^1(\d{5,})$"),
}
_TRAILING_INDEX = re.compile(r"(\d+)$")
_TEST_ID_BASE = 100_000

_MODEL_WORDS = ("churn", "fraud", "ctr", "search", "recs", "eta", "pricing", "spam", "ltv",
                "intent", "demand", "ranking")
_DATA_WORDS = ("clicks", "impressions", "sessions", "orders", "payments", "profiles", "catalog",
               "events", "searches", "ratings")
_FEATURE_WORDS = ("embedding", "count_7d", "ratio_30d", "recency", "affinity", "score", "bucket",
                  "velocity", "ctr_1d", "dwell")
_FIRST = ("bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
          "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter")
_LAST = ("smith", "jones", "garcia", "chen", "kumar", "novak", "silva", "okafor", "tanaka", "muller")
_TEAM_WORDS = ("search", "growth", "trust", "ads", "payments", "platform", "discovery", "risk")
_ORGS = ("ml", "data", "product")
_DTYPES = ("float", "int", "string", "vector<float>", "bool")
_MASK = (1 << 64) - 1


def _mix(*parts: int) -> int:
    """splitmix64 over the parts: a cheap, well-spread, platform-independent hash."""
    x = 0
    for p in parts:
        x = (x + (p & _MASK) + 0x9E3779B97F4A7C15) & _MASK
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
        x ^= x >> 31
    return x


_SALT = {name: zlib.crc32(name.encode()) for name in COLLECTIONS}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_iso() -> str:
    return iso(datetime.now(UTC))


class MutationError(ValueError):
    """A mutation the simulator refuses; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Change:
    """One applied mutation: what changed, and which other objects' derived fields moved."""

    op: Op
    collection: str
    id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    touched: list[tuple[str, str]] = field(default_factory=list)
    """(collection, id) of other objects whose served payload changed as a consequence."""


class Ecosystem:
    """The simulated sources' state: generated on demand, deterministic for `(seed, scale)`."""

    def __init__(self, *, seed: int = 7, scale: int = 1, cache_size: int = 1 << 17,
                 clock: datetime | None = None) -> None:
        if scale < 1:
            raise ValueError(f"scale must be >= 1, got {scale}")
        self.seed = int(seed)
        self.scale = int(scale)
        self.clock = clock or default_clock()
        self._n = {name: c.per_scale * self.scale for name, c in COLLECTIONS.items()}
        self._special_index = {c: {v: k for k, v in ids.items()} for c, ids in _SPECIAL_IDS.items()}
        self._overlay: dict[str, dict[str, dict[str, Any] | None]] = {c: {} for c in COLLECTIONS}
        self._created: dict[str, list[str]] = {c: [] for c in COLLECTIONS}
        self._lock = threading.RLock()
        self._generate = lru_cache(maxsize=cache_size)(self._generate_uncached)

    # ---- sizes and ids -------------------------------------------------------------------

    def base_count(self, name: str) -> int:
        collection(name)
        return self._n[name]

    def count(self, name: str) -> int:
        """Objects currently live in the collection."""
        overlay = self._overlay[name]
        live = self._n[name]
        for obj_id, obj in list(overlay.items()):
            in_base = self._index_of_base(name, obj_id) is not None
            if obj is None and in_base:
                live -= 1
            elif obj is not None and not in_base:
                live += 1
        return live

    def _h(self, name: str, index: int, salt: int = 0) -> int:
        return _mix(self.seed, _SALT[name], index, salt)

    def _rng(self, name: str, index: int) -> Random:
        return Random(self._h(name, index, 1))

    def base_id(self, name: str, index: int) -> str:
        """The id of generated object `index` (cheap: no object is generated)."""
        special = _SPECIAL_IDS[name].get(index)
        if special is not None:
            return special
        h = self._h(name, index)
        if name == "models":
            return f"{_MODEL_WORDS[h % len(_MODEL_WORDS)]}-v{1 + (h >> 8) % 9}-{index}"
        if name == "instances":
            m, k = divmod(index, INSTANCES_PER_MODEL)
            word = _MODEL_WORDS[self._h("models", m) % len(_MODEL_WORDS)]
            return f"{word}-model-{_week_start(k):%Y%m%d}-{index}"
        if name == "pipelines":
            word = _MODEL_WORDS[h % len(_MODEL_WORDS)] if index % 2 == 0 else _DATA_WORDS[h % len(_DATA_WORDS)]
            return f"{'train' if index % 2 == 0 else 'etl'}-{word}-{index}"
        if name == "pipeline-runs":
            p, w = divmod(index, RUNS_PER_PIPELINE)
            return f"{'train' if p % 2 == 0 else 'etl'}-run-{_week_start(w):%Y%m%d}-{index}"
        if name == "tests":
            return str(_TEST_ID_BASE + index)
        if name == "features":
            return f"{_FEATURE_WORDS[h % len(_FEATURE_WORDS)]}_{_DATA_WORDS[(h >> 8) % len(_DATA_WORDS)]}_{index}"
        if name == "datasets":
            return f"warehouse.{_DATA_WORDS[h % len(_DATA_WORDS)]}_{'daily' if h & 256 else 'hourly'}_{index}"
        if name == "users":
            return f"{_FIRST[h % len(_FIRST)]}.{_LAST[(h >> 8) % len(_LAST)]}{index}@example.com"
        if name == "teams":
            return f"{_TEAM_WORDS[h % len(_TEAM_WORDS)]}-{index}"
        raise KeyError(name)

    def _index_of_base(self, name: str, obj_id: str) -> int | None:
        special = self._special_index[name].get(obj_id)
        if special is not None:
            return special if special < self._n[name] else None
        match = _INDEX_PATTERNS.get(name, _TRAILING_INDEX).search(obj_id)
        if not match:
            return None
        index = int(match.group(1)) if name != "tests" else int(obj_id) - _TEST_ID_BASE
        if index >= self._n[name] or index in _SPECIAL_IDS[name] or self.base_id(name, index) != obj_id:
            return None
        return index

    # ---- reads ---------------------------------------------------------------------------

    def get(self, name: str, obj_id: str) -> dict[str, Any] | None:
        """The object's current payload as its source serves it, or None (404)."""
        collection(name)
        overlay = self._overlay[name]
        if obj_id in overlay:
            obj = overlay[obj_id]
        else:
            index = self._index_of_base(name, obj_id)
            obj = None if index is None else self._generate(name, index)
        return None if obj is None else self._with_derived(name, obj)

    def exists(self, name: str, obj_id: str) -> bool:
        if obj_id in self._overlay[name]:
            return self._overlay[name][obj_id] is not None
        return self._index_of_base(name, obj_id) is not None

    def ids(self, name: str) -> Iterator[str]:
        """Live ids in listing order: generated objects by index, then created ones."""
        for _position, obj_id in self._walk(name, 0):
            yield obj_id

    def objects(self, name: str) -> Iterator[dict[str, Any]]:
        for _position, obj_id in self._walk(name, 0):
            obj = self.get(name, obj_id)
            if obj is not None:
                yield obj

    def page(self, name: str, *, page_size: int, position: int) -> tuple[list[dict[str, Any]], int | None]:
        """Up to `page_size` live objects from listing position `position`, and the next position."""
        items: list[dict[str, Any]] = []
        for pos, obj_id in self._walk(name, position):
            if len(items) == page_size:
                return items, pos
            obj = self.get(name, obj_id)
            if obj is not None:
                items.append(obj)
        return items, None

    def _walk(self, name: str, position: int) -> Iterator[tuple[int, str]]:
        """(position, id) of live objects from `position`; positions never move, so a listing
        that pages while objects are created or deleted still sees every survivor once."""
        n = self._n[name]
        overlay = self._overlay[name]
        for index in range(position, n):
            obj_id = self.base_id(name, index)
            if obj_id in overlay and overlay[obj_id] is None:
                continue
            yield index, obj_id
        created = self._created[name]
        i = max(0, position - n)
        while i < len(created):  # may grow while we walk: by index, not by iterator
            obj_id = created[i]
            if overlay.get(obj_id) is not None:
                yield n + i, obj_id
            i += 1

    # ---- mutations -----------------------------------------------------------------------

    def create(self, name: str, obj: Mapping[str, Any]) -> Change:
        spec = collection(name)
        obj_id = _id_value(obj.get(spec.id_field), spec.id_field)
        with self._lock:
            if self.exists(name, obj_id):
                raise MutationError(f"{name} {obj_id!r} already exists", 409)
            stored = {**copy.deepcopy(dict(obj)), spec.id_field: obj_id}
            _stamp(name, stored, created=True)
            in_base = self._index_of_base(name, obj_id) is not None
            self._overlay[name][obj_id] = stored
            if not in_base and obj_id not in self._created[name]:
                self._created[name].append(obj_id)
            change = Change("create", name, obj_id, None, self.get(name, obj_id))
            change.touched = self._touched_by(name, None, stored)
            return change

    def update(self, name: str, obj_id: str, fields: Mapping[str, Any]) -> Change:
        spec = collection(name)
        with self._lock:
            before = self.get(name, obj_id)
            if before is None:
                raise MutationError(f"{name} {obj_id!r} not found", 404)
            if spec.id_field in fields and _id_value(fields[spec.id_field], spec.id_field) != obj_id:
                raise MutationError(f"{spec.id_field} cannot change (delete and create instead)")
            stored = {**copy.deepcopy(self._stored(name, obj_id)), **copy.deepcopy(dict(fields))}
            stored[spec.id_field] = obj_id
            _stamp(name, stored, created=False)
            self._overlay[name][obj_id] = stored
            change = Change("update", name, obj_id, before, self.get(name, obj_id))
            change.touched = self._touched_by(name, before, stored)
            return change

    def delete(self, name: str, obj_id: str) -> Change:
        collection(name)
        with self._lock:
            before = self.get(name, obj_id)
            if before is None:
                raise MutationError(f"{name} {obj_id!r} not found", 404)
            self._overlay[name][obj_id] = None
            change = Change("delete", name, obj_id, before, None)
            change.touched = self._touched_by(name, before, None)
            return change

    def mutated(self, name: str) -> dict[str, dict[str, Any] | None]:
        """The overlay of a collection: id -> stored payload, or None when deleted."""
        return dict(self._overlay[name])

    def _stored(self, name: str, obj_id: str) -> dict[str, Any]:
        overlay = self._overlay[name]
        if obj_id in overlay and overlay[obj_id] is not None:
            return overlay[obj_id]  # type: ignore[return-value]
        index = self._index_of_base(name, obj_id)
        assert index is not None
        return self._generate(name, index)

    def _touched_by(self, name: str, before: Mapping[str, Any] | None,
                    after: Mapping[str, Any] | None) -> list[tuple[str, str]]:
        """Objects whose derived fields (pipeline outputs, team members) this change moves."""
        def ref(obj: Mapping[str, Any] | None, key: str) -> str | None:
            value = obj.get(key) if obj else None
            return value if isinstance(value, str) and value else None

        if name == "datasets":
            target, key = "pipelines", "produced_by"
        elif name == "users":
            target, key = "teams", "team"
        else:
            return []
        old, new = ref(before, key), ref(after, key)
        if old == new and before is not None and after is not None:
            return []
        return [(target, v) for v in dict.fromkeys((old, new)) if v and self.exists(target, v)]

    # ---- derived fields ------------------------------------------------------------------

    def _with_derived(self, name: str, obj: dict[str, Any]) -> dict[str, Any]:
        if name == "pipelines":
            return {**obj, "outputs": [{"dataset": d} for d in self._outputs_of(obj["name"])]}
        if name == "teams":
            return {**obj, "members": self._members_of(obj["team"])}
        return obj

    def _outputs_of(self, pipeline: str) -> list[str]:
        out: list[str] = []
        index = self._index_of_base("pipelines", pipeline)
        if index is not None and index % 2 == 1:
            first = (index // 2) * DATASETS_PER_ETL
            for d in range(first, min(first + DATASETS_PER_ETL, self._n["datasets"])):
                dataset_id = self.base_id("datasets", d)
                if dataset_id not in self._overlay["datasets"] and \
                        self._generate("datasets", d)["produced_by"] == pipeline:
                    out.append(dataset_id)
        for dataset_id, dataset in list(self._overlay["datasets"].items()):
            if dataset is not None and dataset.get("produced_by") == pipeline:
                out.append(dataset_id)
        return out

    def _members_of(self, team: str) -> list[str]:
        out: list[str] = []
        index = self._index_of_base("teams", team)
        if index is not None:
            for u in range(index, self._n["users"], self._n["teams"]):
                email = self.base_id("users", u)
                if email not in self._overlay["users"] and self._generate("users", u)["team"] == team:
                    out.append(email)
        for email, user in list(self._overlay["users"].items()):
            if user is not None and user.get("team") == team:
                out.append(email)
        return out

    # ---- generation ----------------------------------------------------------------------

    def _generate_uncached(self, name: str, index: int) -> dict[str, Any]:
        return getattr(self, "_gen_" + name.replace("-", "_"))(index, self._rng(name, index))

    def _user_email(self, rng: Random) -> str:
        """An owner: usually a known user (skewed to a few prolific owners), sometimes a
        former employee identity no longer knows."""
        if rng.random() < 0.05:
            return f"former.employee{self._n['users'] + rng.randrange(1000)}@example.com"
        return self.base_id("users", int(self._n["users"] * rng.random() ** 2))

    def _owners(self, rng: Random, team: int | None = None) -> list[str]:
        """Owners of an asset of team `team`: sometimes none, usually members of the team."""
        care = self._care(team)
        if team is not None and rng.random() < 0.3 * (1 - care):
            return []
        owners = set()
        for _ in range(1 + (rng.random() < 0.3)):
            roll = rng.random()
            if team is not None and roll < 0.02 + 0.1 * (1 - care):
                owners.add(f"former.employee{self._n['users'] + rng.randrange(1000)}@example.com")
            elif team is None or roll < 0.2:
                owners.add(self._user_email(rng))
            else:
                owners.add(self._member(rng, team))
        return sorted(owners)

    def _member(self, rng: Random, team: int) -> str:
        """A user of team `team` (users `u` with `u % teams == team`), skewed to a few prolific ones."""
        n_users, n_teams = self._n["users"], self._n["teams"]
        members = max(1, (n_users - team + n_teams - 1) // n_teams)
        return self.base_id("users", min(n_users - 1, team + n_teams * int(members * rng.random() ** 2)))

    def _team(self, rng: Random) -> str:
        return self.base_id("teams", rng.randrange(self._n["teams"]))

    def _team_index(self, name: str, index: int) -> int:
        """The team an object of `name` belongs to (models, ETL pipelines, features: by hash)."""
        if index == 0 and name in ("models", "features"):
            return 0  # the SOURCES.md example belongs to personalization
        return self._h(name, index, 3) % self._n["teams"]

    def _care(self, team: int | None) -> float:
        return 0.7 if team is None else TEAM_CARE[team % len(TEAM_CARE)]

    def _description(self, rng: Random, text: str, team: int | None = None) -> str | None:
        missing = 0.3 * (1 - self._care(team))
        roll = rng.random()
        if roll < missing * 0.7:
            return None
        if roll < missing:
            return ""
        if roll < missing + 0.25 * (1 - self._care(team)):
            return rng.choice(PLACEHOLDER_DESCRIPTIONS)
        return text

    def _updated(self, rng: Random, team: int | None) -> datetime:
        """When the source last changed the object: recently, or long ago for a team that lets it go."""
        if rng.random() < self._care(team):
            days = rng.randrange(60)
        else:
            days = 200 + rng.randrange(400)
        return self.clock - timedelta(days=days, hours=rng.randrange(24))

    def _week_start(self, week: int) -> datetime:
        """Monday-like start of week `week` before the clock (week 0 is the clock's week)."""
        return self.clock.replace(hour=0, minute=0) - timedelta(days=7 * week)

    def _feature_index(self, rng: Random) -> int:
        return int(self._n["features"] * rng.random() ** 3)

    def _dataset_index(self, rng: Random) -> int:
        return int(self._n["datasets"] * rng.random() ** 2)

    def _etl_input_index(self, pipeline: int, rng: Random) -> int:
        if self.scale == 1:
            return self._dataset_index(rng)
        if rng.random() < CORE_READ_SHARE:
            # a raw table (last slot of an ETL block: produced by no pipeline) of domain 0
            return int(CORE_DATASETS * rng.random() ** 2) * DATASETS_PER_ETL + DATASETS_PER_ETL - 1
        per_unit = COLLECTIONS["datasets"].per_scale
        domain = pipeline // COLLECTIONS["pipelines"].per_scale
        return domain * per_unit + int(per_unit * rng.random() ** 2)

    def _tests_of_model(self, m: int) -> list[int]:
        n_models, n_tests = self._n["models"], self._n["tests"]
        tests = [m] if m < n_tests else []
        if 1 <= m and n_models + m - 1 < n_tests:
            tests.append(n_models + m - 1)
        return tests

    def _model_of_test(self, t: int) -> int:
        n_models = self._n["models"]
        return t if t < n_models else t - n_models + 1

    def _gen_models(self, i: int, rng: Random) -> dict[str, Any]:
        model_id = self.base_id("models", i)
        t = self._team_index("models", i)
        team = self.base_id("teams", t)
        updated = self._updated(rng, t)
        created = updated - timedelta(days=7 * RUNS_PER_PIPELINE + rng.randrange(400), hours=rng.randrange(24))
        labels = [{"key": "team", "value": team}, {"key": "tier", "value": str(1 + rng.randrange(3))}]
        obj = {
            "id": model_id,
            "name": model_id.replace("-", " ").title() if i else "Ranking v5",
            "description": self._description(rng, f"Predicts {model_id.split('-')[0]} outcomes.", t),
            "owner_emails": self._owners(rng, t),
            "labels": [] if rng.random() < 0.3 * (1 - self._care(t)) else labels,
            "created_at": iso(created),
            "updated_at": iso(updated),
        }
        if i == 0:
            # the example model lacks something a governance lead would ask about: a co-owner who
            # has left (identity does not know the address) and metadata untouched for months
            updated = self.clock - timedelta(days=240)
            obj.update(description="Ranks titles on the home page.",
                       owner_emails=["alice@example.com", FORMER_OWNER],
                       labels=[{"key": "team", "value": "personalization"}],
                       created_at=iso(updated - timedelta(days=300)), updated_at=iso(updated))
        return obj

    def _gen_instances(self, i: int, rng: Random) -> dict[str, Any]:
        m, k = divmod(i, INSTANCES_PER_MODEL)
        model_rng = self._rng("models", m)
        model_features = sorted({self._feature_index(model_rng) for _ in range(2 + model_rng.randrange(5))})
        features = [f for f in model_features if rng.random() < 0.85] or model_features[:1]
        run = self._run_times(2 * m, k)
        t = self._team_index("models", m)
        status = ("DEPLOYED" if rng.random() < 0.7 else "STAGING") if k == 0 else \
                 ("DEPLOYED" if rng.random() < 0.3 else "ARCHIVED") if k == 1 else "ARCHIVED"
        feature_versions = []
        for f in features:
            latest = self._generate("features", f)["latest_version"]
            feature_versions.append({"name": self.base_id("features", f),
                                     "version": max(1, latest - rng.randrange(2))})
        major = 1 + (self._h("models", m) >> 8) % 9  # matches the model id's `-v<major>`
        obj = {
            "id": self.base_id("instances", i),
            "model_id": self.base_id("models", m),
            "version": f"{major}.0.{INSTANCES_PER_MODEL - 1 - k}",
            "pipeline_run_id": self.base_id("pipeline-runs", 2 * m * RUNS_PER_PIPELINE + k),
            "owner_emails": self._owners(rng, t),
            "labels": [{"key": "team", "value": self.base_id("teams", t)}],
            "features": feature_versions,
            "status": status,
            "created_at": iso(run[1] or run[0]),
            "updated_at": iso((run[1] or run[0]) + timedelta(hours=rng.randrange(48))),
        }
        if rng.random() < 0.05 + 0.2 * (1 - self._care(t)):  # registered by hand, not by a run
            obj.update(pipeline_run_id=None, labels=[])
        if i == 0:
            obj.update(model_id="ranking-v5", version="5.0.3",
                       pipeline_run_id="train-weekly-ranking-20XX0101",
                       owner_emails=["alice@example.com"],
                       labels=[{"key": "team", "value": "personalization"}],
                       features=[{"name": "title_embedding", "version": 3}], status="DEPLOYED")
        return obj

    def _gen_pipelines(self, i: int, rng: Random) -> dict[str, Any]:
        trainer = i % 2 == 0
        t = self._team_index("models", i // 2) if trainer else self._team_index("pipelines", i)
        inputs: list[str] = []
        for _ in range(1 + rng.randrange(3)):
            d = self._dataset_index(rng) if trainer else self._etl_input_index(i, rng)
            # an ETL pipeline never reads its own outputs (no self-loop in lineage)
            if trainer or d // DATASETS_PER_ETL != i // 2:
                inputs.append(self.base_id("datasets", d))
        obj = {
            "name": self.base_id("pipelines", i),
            "description": self._description(rng, "Weekly training." if trainer else "Daily ETL.", t),
            "owner_emails": self._owners(rng, t),
            "schedule": "@weekly" if trainer else ("@daily" if rng.random() < 0.7 else "0 * * * *"),
            "inputs": [{"dataset": d} for d in dict.fromkeys(inputs)],
            "outputs": [],  # derived on read from the datasets that name this pipeline
            "updated_at": iso(self._updated(rng, t)),
        }
        if i == 0:
            obj.update(description="Trains the home-page ranking model every week.",
                       owner_emails=["alice@example.com"],
                       inputs=[{"dataset": "warehouse.title_catalog"}])
        return obj

    def _run_times(self, p: int, w: int) -> tuple[datetime, datetime | None, str]:
        """(started_at, ended_at, status) of pipeline `p`'s run of week `w`."""
        h = _mix(self.seed, _SALT["pipeline-runs"], p * RUNS_PER_PIPELINE + w, 2)
        started = self._week_start(w) + timedelta(hours=2 + h % 5, minutes=(h >> 8) % 60)
        duration = timedelta(minutes=20 + (h >> 16) % 240)
        roll = ((h >> 32) % 1000) / 1000
        if p % 2 == 0 and w < INSTANCES_PER_MODEL:
            status = "SUCCEEDED"  # it produced an instance
        elif p % 2 == 0:
            status = "FAILED" if roll < 0.5 else "SUCCEEDED"
        elif w == 0 and roll < 0.1:
            status = "RUNNING"
        else:
            status = "FAILED" if roll < 0.2 else "SUCCEEDED"
        return started, None if status == "RUNNING" else started + duration, status

    def _gen_pipeline_runs(self, i: int, rng: Random) -> dict[str, Any]:
        p, w = divmod(i, RUNS_PER_PIPELINE)
        started, ended, status = self._run_times(p, w)
        cells: list[dict[str, Any]] = []
        if p % 2 == 0:
            for t in self._tests_of_model(p // 2):
                test = self._generate("tests", t)
                n_cells = len(test["cells"])
                if test["status"] != "DRAFT" and w < n_cells:
                    cell = test["cells"][n_cells - w - 1]
                    cells.append({"test_id": test["test_id"], "cell_number": cell["cell_number"],
                                  "cell_name": cell["name"]})
        return {
            "run_id": self.base_id("pipeline-runs", i),
            "pipeline": self.base_id("pipelines", p),
            "status": status,
            "started_at": iso(started),
            "ended_at": iso(ended) if ended else None,
            "ab_test_cells": cells,
        }

    def _gen_tests(self, i: int, rng: Random) -> dict[str, Any]:
        m = self._model_of_test(i)
        model_id = self.base_id("models", m)
        t = self._team_index("models", m)
        n_cells = 2 + rng.randrange(3)
        status = rng.choices(("DRAFT", "ACTIVE", "COMPLETED"), (0.2, 0.4, 0.4))[0]
        slug = re.sub(r"[^a-z0-9]+", "_", model_id.lower()).strip("_") or "model"
        cells = [{"cell_number": 1, "name": f"control_{slug}_previous"}] + [
            {"cell_number": c, "name": f"treatment_{slug}_{c - 1}"} for c in range(2, n_cells + 1)]
        start = self.clock + timedelta(days=7 + rng.randrange(30)) if status == "DRAFT" else \
            self._updated(rng, t)
        obj = {
            "test_id": self.base_id("tests", i),
            "name": f"{model_id} experiment {i}",
            "status": status,
            "owner_email": (self._owners(rng, t) or [None])[0],
            "cells": cells,
            "start_date": start.strftime("%Y-%m-%d"),
            "end_date": (start + timedelta(days=14)).strftime("%Y-%m-%d") if status == "COMPLETED" else None,
            "updated_at": iso(min(start, self.clock)),
        }
        if i == 0:
            obj.update(name="Ranking Model v5 vs v4", status="ACTIVE", owner_email="alice@example.com",
                       cells=[{"cell_number": 1, "name": "control_ranking_v4"},
                              {"cell_number": 2, "name": "treatment_ranking_v5"}],
                       start_date="2025-05-20", end_date=None)
        return obj

    def _gen_features(self, i: int, rng: Random) -> dict[str, Any]:
        t = self._team_index("features", i)
        sources = sorted({self._dataset_index(rng) for _ in range(1 + rng.randrange(3))})
        if rng.random() < 0.2 * (1 - self._care(t)):
            sources = []  # computed ad hoc: nobody recorded where it comes from
        obj = {
            "name": self.base_id("features", i),
            "description": self._description(rng, "A model feature.", t),
            "owner_team": None if rng.random() < 0.2 * (1 - self._care(t)) else self.base_id("teams", t),
            "latest_version": 1 + rng.randrange(6),
            "source_datasets": [self.base_id("datasets", d) for d in sources],
            "dtype": rng.choice(_DTYPES),
            "updated_at": iso(self._updated(rng, t)),
        }
        if i == 0:
            obj.update(description="Text embedding of the title.", owner_team="personalization",
                       latest_version=3, source_datasets=["warehouse.title_catalog"],
                       dtype="vector<float>")
        return obj

    def _gen_datasets(self, i: int, rng: Random) -> dict[str, Any]:
        j, slot = divmod(i, DATASETS_PER_ETL)
        produced_by = self.base_id("pipelines", 2 * j + 1) if slot < DATASETS_PER_ETL - 1 else None
        t = self._team_index("pipelines", 2 * j + 1)
        return {
            "name": self.base_id("datasets", i),
            "description": self._description(rng, "A warehouse table.", t),
            "owner_emails": self._owners(rng, t),
            "latest_version": 1 + rng.randrange(40),
            "produced_by": produced_by,
            "updated_at": iso(self._updated(rng, t)),
        }

    def _gen_users(self, i: int, rng: Random) -> dict[str, Any]:
        email = self.base_id("users", i)
        local = email.rpartition("@")[0]
        h = self._h("users", i)
        first, last = _FIRST[h % len(_FIRST)], _LAST[(h >> 8) % len(_LAST)]
        # usernames usually equal the local part, but not always: hydration must resolve them
        username = f"{first[0]}{last}{i}" if i >= len(_SPECIAL_IDS["users"]) and rng.random() < 0.3 else local
        team_index = i % self._n["teams"]
        obj = {
            "username": username,
            "email": email,
            "display_name": f"{first.title()} {last.title()}" if i >= len(_SPECIAL_IDS["users"]) else local,
            "team": None if rng.random() < 0.1 else self.base_id("teams", team_index),
            "active": rng.random() >= 0.03 + 0.25 * (1 - self._care(team_index)),
        }
        if i == 0:
            obj.update(username="alice", display_name="Alice Example", team="personalization", active=True)
        return obj

    def _gen_teams(self, i: int, rng: Random) -> dict[str, Any]:
        team = self.base_id("teams", i)
        return {
            "team": team,
            "display_name": team.replace("-", " ").title(),
            "members": [],  # derived on read from the users that name this team
            "org": "ml" if i == 0 else rng.choice(_ORGS),
        }


def default_clock() -> datetime:
    """Three days before today (UTC), 06:00: every generated timestamp (runs end up to ~2.5 days
    after their week starts) stays in the past, and the payloads stay the same all day."""
    today = datetime.now(UTC).replace(hour=6, minute=0, second=0, microsecond=0)
    return today - timedelta(days=3)


def _week_start(week: int) -> datetime:
    """Monday of week `week` before the anchor (week 0 is the anchor's week): the dates in ids."""
    return ANCHOR.replace(hour=0, minute=0) - timedelta(days=7 * week)


def _id_value(value: Any, id_field: str) -> str:
    if isinstance(value, bool) or value is None:
        raise MutationError(f"{id_field} is required (a non-empty string)")
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str) or not value:
        raise MutationError(f"{id_field} must be a non-empty string, got {value!r}")
    return value


_TIMESTAMPED = {"models": ("created_at", "updated_at"), "instances": ("created_at", "updated_at"),
                "pipelines": ("updated_at",), "tests": ("updated_at",), "features": ("updated_at",),
                "datasets": ("updated_at",)}


def _stamp(name: str, obj: dict[str, Any], *, created: bool) -> None:
    """Set the source's own change timestamps, as a real source would on write."""
    stamp = now_iso()
    for column in _TIMESTAMPED.get(name, ()):
        if column == "updated_at" or (created and not obj.get(column)):
            obj[column] = stamp
