"""OpenLineage run events as a source: validated against the spec, normalised into the graph.

OpenLineage events are self-describing: the event is its own payload, so nothing is fetched
(no hydration endpoint). A landed event is a `landing.events` row with source `openlineage`,
entity_type `PipelineRun`, entity_key the run id. The build's hydrate stage calls `stage` with
the events landed since its watermark; `stage` normalises the runs those events touch (each
with all of its events, earlier ones included) and nothing else, so a build's OpenLineage work
follows what changed, not everything ever landed. The normalisation is a pure function of a
set of runs' events:

- job (namespace, name)     -> Pipeline     `aip://pipeline/openlineage/<ns>/<name>`
- run (runId)               -> PipelineRun  `aip://pipeline-run/openlineage/<runId>`, RUN_OF its job;
  state = its latest lifecycle event (START < RUNNING < COMPLETE | FAIL | ABORT; OTHER never
  moves the state), started_at / ended_at from the START / terminal event times, parent run
  from the `parent` run facet;
- dataset (namespace, name) -> Dataset      `aip://dataset/openlineage/<ns>/<name>`; the job
  READS its inputs, an output dataset is PRODUCED_BY the run and its job.

Every edge is declared by the run whose events show it (`declared_by` = the run's URI): merge
retracts only what a re-staged entity no longer declares, so staging a job's new run adds its
edges without retracting those its earlier runs showed. A job's description is the newest
`documentation` facet seen (`described_at` keeps its time): a batch whose events carry none
keeps the one in the graph.

Because the result depends only on the set of events, the START / RUNNING / COMPLETE / FAIL
events of one run converge to the same run in any order, and a redelivered event changes
nothing. Every URI is under the `openlineage` platform, so nothing in an event can name, and so
change, an entity of another source. (The namespace is percent-encoded inside the resource id,
so `<ns>/<name>` splits at its first `/` and two datasets can never share a URI.)

Validation uses openlineage-python's own models (`openlineage.client.event_v2`): a body that
does not build a `RunEvent` — no producer, an eventTime without a time, a runId that is not a
UUID, an unknown eventType, a dataset without namespace or name — is rejected with the reason.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from spark_jobs.model import EntityType
from spark_jobs.providers.base import Normalised, properties
from spark_jobs.uris import format_uri

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from spark_jobs.config import Settings
    from spark_jobs.hydration.staging import StagingWriter
    from spark_jobs.landing.parse import ParsedEvent, Rejection

PLATFORM = "openlineage"
TERMINAL = ("COMPLETE", "FAIL", "ABORT")
# how far along its lifecycle an event puts a run; OTHER carries metadata only
RANK = {"START": 1, "RUNNING": 2, "COMPLETE": 3, "FAIL": 3, "ABORT": 3, "OTHER": 0}
STATUS = {"START": "RUNNING", "RUNNING": "RUNNING", "COMPLETE": "SUCCEEDED", "FAIL": "FAILED", "ABORT": "ABORTED"}


class InvalidEvent(ValueError):
    """The body is not an OpenLineage RunEvent; the message says why (one line)."""


# ---- validation ------------------------------------------------------------------------------

def _text(doc: Mapping[str, Any], key: str, where: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidEvent(f"{where}.{key} must be a non-empty string")
    return value


def _object(doc: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> dict[str, Any]:
    value = doc.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise InvalidEvent(f"{where}.{key} must be an object")
    return value


def validate(doc: Any) -> Any:
    """The body as openlineage-python's `RunEvent` (facets kept as raw objects); InvalidEvent if not."""
    from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState

    if not isinstance(doc, dict):
        raise InvalidEvent("an OpenLineage event is a JSON object")
    if "run" not in doc:
        raise InvalidEvent("not a RunEvent: no run (DatasetEvent and JobEvent are not accepted)")
    run, job = _object(doc, "run", "event"), _object(doc, "job", "event")
    _text(doc, "producer", "event")
    _text(doc, "schemaURL", "event")
    event_time = _text(doc, "eventTime", "event")
    event_type = doc.get("eventType")
    if event_type is not None and event_type not in RunState.__members__:
        raise InvalidEvent(f"eventType {str(event_type)[:40]!r} is not one of {', '.join(RunState.__members__)}")
    datasets = {}
    for side, cls in (("inputs", InputDataset), ("outputs", OutputDataset)):
        items = doc.get(side) or []
        if not isinstance(items, list):
            raise InvalidEvent(f"event.{side} must be a list")
        datasets[side] = [cls(namespace=_text(d, "namespace", f"{side}[{i}]") if isinstance(d, dict) else _bad(side, i),
                              name=_text(d, "name", f"{side}[{i}]"), facets=_object(d, "facets", side, required=False))
                          for i, d in enumerate(items)]
    facets = _object(run, "facets", "run", required=False)
    parent = facets.get("parent")
    if parent is not None:
        if not isinstance(parent, dict):
            raise InvalidEvent("run.facets.parent must be an object")
        _uuid(_text(_object(parent, "run", "parent"), "runId", "parent.run"), "parent.run.runId")
        parent_job = _object(parent, "job", "parent")
        _text(parent_job, "namespace", "parent.job")
        _text(parent_job, "name", "parent.job")
    try:
        return RunEvent(eventTime=event_time, producer=doc["producer"],
                        run=Run(runId=_uuid(_text(run, "runId", "run"), "run.runId"), facets=facets),
                        job=Job(namespace=_text(job, "namespace", "job"), name=_text(job, "name", "job"),
                                facets=_object(job, "facets", "job", required=False)),
                        eventType=RunState(event_type) if event_type else None, **datasets)
    except (ValueError, TypeError, OverflowError) as exc:  # the models' own validators (eventTime ...)
        raise InvalidEvent(f"{exc}".splitlines()[0][:200] or type(exc).__name__) from None


def _bad(side: str, i: int) -> str:
    raise InvalidEvent(f"{side}[{i}] must be an object")


def _uuid(value: str, where: str) -> str:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        raise InvalidEvent(f"{where} must be a UUID, got {value[:60]!r}") from None
    return value


def event_id(doc: Mapping[str, Any]) -> str:
    """The event's own identity: the same run transition at the same time is the same event,
    however often it is posted or redelivered."""
    parts = [doc["run"]["runId"], doc.get("eventType") or "", doc["eventTime"], doc["job"]["namespace"],
             doc["job"]["name"]]
    return "openlineage:" + hashlib.sha256("\0".join(parts).encode()).hexdigest()[:40]


def parse_run_event(body: str, doc: Any) -> ParsedEvent | Rejection:
    """Landing's verdict on one OpenLineage body (Kafka topic or HTTP)."""
    from spark_jobs.landing.parse import ParsedEvent, Rejection

    try:
        validate(doc)
    except InvalidEvent as exc:
        return Rejection("not_openlineage", str(exc))
    event_type = (doc.get("eventType") or "OTHER").lower()
    return ParsedEvent(event_id(doc), f"openlineage_{event_type}", EntityType.PIPELINE_RUN.value,
                       doc["run"]["runId"], body)


# ---- URIs ------------------------------------------------------------------------------------

def _qualified(namespace: str, name: str) -> str:
    return f"{quote(namespace, safe='')}/{name}"


def job_uri(namespace: str, name: str) -> str:
    return format_uri(EntityType.PIPELINE.component, PLATFORM, _qualified(namespace, name))


def run_uri(run_id: str) -> str:
    return format_uri(EntityType.PIPELINE_RUN.component, PLATFORM, run_id)


def dataset_uri(namespace: str, name: str) -> str:
    return format_uri(EntityType.DATASET.component, PLATFORM, _qualified(namespace, name))


# ---- normalisation ---------------------------------------------------------------------------

def _row(entity_type: EntityType, uri: str, *, name: str, description: Any = None, props: Mapping[str, str],
         status: str | None = None, updated_at: str | None = None) -> dict[str, Any]:
    return {"id": uri, "entity_type": entity_type.value, "domain": entity_type.domain, "provider": PLATFORM,
            "name": name, "description": description if isinstance(description, str) and description else None,
            "owners": [], "tags": [], "properties": dict(props), "source_status": status,
            "created_at": None, "updated_at": updated_at, "state": "hydrated"}


def _time(value: str) -> datetime:
    from spark_jobs.hydration.staging import parse_ts

    parsed = parse_ts(value)
    return parsed if parsed is not None and parsed.tzinfo is not None else datetime.fromisoformat("1970-01-01T00:00:00+00:00")


def _order(doc: Mapping[str, Any]) -> tuple:
    """Total order of one run's events: lifecycle rank, then time, then the body (a tie-break)."""
    return (RANK.get(doc.get("eventType") or "OTHER", 0), _time(doc["eventTime"]), json.dumps(doc, sort_keys=True))


def normalise(events: Iterable[Mapping[str, Any]]) -> Normalised:
    """The OpenLineage subgraph of a set of (valid) run events; the same for any order of them."""
    runs: dict[str, list[Mapping[str, Any]]] = {}
    for doc in events:
        runs.setdefault(doc["run"]["runId"], []).append(doc)
    out = Normalised()
    jobs: dict[str, dict[str, Any]] = {}
    datasets: dict[str, dict[str, Any]] = {}
    reads: dict[str, dict[str, str]] = {}  # job -> dataset -> the run that showed it
    produced: dict[str, dict[str, str]] = {}  # dataset -> producer (run or job) -> the run
    for run_id in sorted(runs):
        docs = sorted(runs[run_id], key=_order)
        lifecycle = [d for d in docs if d.get("eventType") in STATUS]
        latest = lifecycle[-1] if lifecycle else docs[-1]
        first = min(docs, key=lambda d: (_time(d["eventTime"]), json.dumps(d, sort_keys=True)))
        job = (next((d for d in docs if d.get("eventType") == "START"), None) or first)["job"]
        juri = job_uri(job["namespace"], job["name"])
        started = [d["eventTime"] for d in docs if d.get("eventType") == "START"]
        ended = [d["eventTime"] for d in docs if d.get("eventType") in TERMINAL]
        parent = next((d["run"]["facets"]["parent"] for d in reversed(docs)
                       if isinstance((d["run"].get("facets") or {}).get("parent"), dict)), None)
        uri = run_uri(run_id)
        props = [("run_id", run_id), ("job", f"{job['namespace']}/{job['name']}"),
                 ("started_at", min(started, key=_time) if started else first["eventTime"]),
                 ("ended_at", max(ended, key=_time) if ended else None),
                 ("event_type", latest.get("eventType")), ("producer", latest.get("producer")),
                 ("events", len(docs))]
        if parent is not None:
            props += [("parent_run", run_uri(parent["run"]["runId"])),
                      ("parent_job", job_uri(parent["job"]["namespace"], parent["job"]["name"]))]
        out.entities.append(_row(EntityType.PIPELINE_RUN, uri, name=run_id, props=properties(props),
                                 status=STATUS.get(latest.get("eventType") or "", None),
                                 updated_at=max((d["eventTime"] for d in docs), key=_time)))
        out.declare(uri, "RUN_OF", juri)
        current = jobs.setdefault(juri, {"job": job, "doc": None, "at": None})
        for doc in docs:
            described = ((doc["job"].get("facets") or {}).get("documentation") or {}).get("description")
            if isinstance(described, str) and described and \
                    (current["at"] is None or _time(doc["eventTime"]) >= _time(current["at"])):
                current.update(doc=described, at=doc["eventTime"])
            for side in ("inputs", "outputs"):
                for d in doc.get(side) or ():
                    duri = dataset_uri(d["namespace"], d["name"])
                    datasets.setdefault(duri, d)
                    if side == "inputs":
                        reads.setdefault(juri, {}).setdefault(duri, uri)
                    else:
                        produced.setdefault(duri, {}).update({uri: uri, juri: uri})
    for juri in sorted(jobs):
        job = jobs[juri]["job"]
        out.entities.append(_row(EntityType.PIPELINE, juri, name=f"{job['namespace']}/{job['name']}",
                                 description=jobs[juri]["doc"],
                                 props=properties([("namespace", job["namespace"]), ("job", job["name"]),
                                                   ("described_at", jobs[juri]["at"])])))
        for duri, run in sorted(reads.get(juri, {}).items()):
            out.declare(juri, "READS", duri, run)
    for duri in sorted(datasets):
        d = datasets[duri]
        out.entities.append(_row(EntityType.DATASET, duri, name=f"{d['namespace']}/{d['name']}",
                                 props=properties([("namespace", d["namespace"]), ("dataset", d["name"])])))
        for producer, run in sorted(produced.get(duri, {}).items()):
            out.declare(duri, "PRODUCED_BY", producer, run)
    return out


# ---- the build's hook ------------------------------------------------------------------------

def touched_runs(events: DataFrame | None) -> list[str]:
    """The run ids of the OpenLineage events in `events` (the ones landed since the watermark)."""
    from pyspark.sql import functions as F

    if events is None:
        return []
    rows = (events.where((F.col("source") == PLATFORM) & F.col("entity_key").isNotNull())
            .select("entity_key").distinct().collect())
    return sorted(r["entity_key"] for r in rows)


def landed_events(spark: SparkSession, settings: Settings, *, until: int | None,
                  runs: list[str] | None = None) -> list[dict[str, Any]]:
    """The landed OpenLineage events (bodies parsed) as of `landing.events` version `until`:
    those of `runs` (every event of each, however long ago it landed), or all of them."""
    from pyspark.sql import functions as F

    from spark_jobs import tables

    if until is None or runs == []:
        return []
    events = tables.read(spark, settings, "landing.events", at_version=until).where(F.col("source") == PLATFORM)
    if runs is not None:
        events = events.where(F.col("entity_key").isin(*runs))
    return [json.loads(r["body"]) for r in events.select("body").collect()]


def _keep_known_descriptions(spark: SparkSession, settings: Settings, normalised: Normalised) -> None:
    """A job staged from runs whose events carry no (or an older) description keeps the graph's."""
    from pyspark.sql import functions as F

    from spark_jobs import tables

    jobs = {row["id"]: row for row in normalised.entities if row["entity_type"] == EntityType.PIPELINE.value}
    if not jobs or not tables.exists(settings, "graph.entities"):
        return
    known = (tables.read(spark, settings, "graph.entities")
             .where(F.col("id").isin(*jobs) & F.col("description").isNotNull())
             .select("id", "description", F.col("properties").getItem("described_at").alias("at")).collect())
    for row in known:
        staged = jobs[row["id"]]
        at = staged["properties"].get("described_at")
        if row["at"] and (at is None or _time(row["at"]) > _time(at)):
            staged.update(description=row["description"])
            staged["properties"]["described_at"] = row["at"]


def stage(spark: SparkSession, settings: Settings, writer: StagingWriter, *, events: DataFrame | None,
          until: int | None) -> dict[str, int]:
    """Stage the runs that `events` (the new landed events) touch into the build's hydrate batch,
    each from all of its events, with their jobs and datasets; nothing is fetched, and no other
    run is normalised or staged again."""
    import threading

    from spark_jobs.hydration.hydrate import stage_payload

    runs = touched_runs(events)
    docs = landed_events(spark, settings, until=until, runs=runs)
    if not docs:
        return {"runs": 0, "events": 0, "entities": 0, "edges": 0}
    normalised = normalise(docs)
    _keep_known_descriptions(spark, settings, normalised)
    stage_payload(writer, threading.Lock(), normalised, state="hydrated")
    return {"runs": len(runs), "events": len(docs), "entities": len(normalised.entities),
            "edges": len(normalised.edges)}
