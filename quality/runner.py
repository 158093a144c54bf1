"""The quality runner: validate the current table versions, record, render, decide the gate.

1. pin the current versions of graph.entities and graph.edges (everything reads those versions,
   so a concurrent writer cannot make the checks disagree with each other);
2. run the GE suites (entities, coverage on the prepared entities frame; edges) through an
   ephemeral GE context with a Spark datasource over this session's DataFrames, counts first and
   then examples for the expectations that found unexpected rows;
3. run the graph checks (Spark SQL) including drift against the baseline versions;
4. score every live asset's metadata (quality.entity_scores, quality/scores.py) and judge the
   per-domain score drift;
5. append every outcome to quality.results in one commit, with the versions checked, then the
   run's one-row summary to quality.run_summaries (quality/history.py: what later runs read of
   the history);
6. render GE Data Docs and a summary page of all checks under `<reports_dir>/quality/`;
7. return the gate: `fail` when any critical expectation failed.

The drift baseline of a table is the version checked by the most recent run whose gate passed
(what was last accepted), falling back to the previous Delta version when no run passed yet.

A GE suite over a table version the newest run that validated it ran with the same suite (same
expectations, thresholds and severities: `suite_digest` in each result's observed value) is not
run again: its results are that run's, written again as this run's quality.results rows. The
entities suite's "not in the future" bound moves with the clock, so its results are reused only
when they all passed at an earlier clock (a later one cannot fail them).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quality import suites
from quality.checks import Snapshot, graph_checks
from quality.config import QualityConfig
from quality.results import CheckResult, Gate, gate, share
from quality.scores import ScoreOutcome, score_run
from quality.history import SUMMARIES, heal_summaries, summarize_run
from spark_jobs import killpoint, tables
from spark_jobs.config import Settings

if TYPE_CHECKING:
    import great_expectations as gx
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

ENTITIES, EDGES, RESULTS = "graph.entities", "graph.edges", "quality.results"
DOCS_SITE = "data_docs"


@dataclass(frozen=True)
class QualityOutcome:
    run_id: str
    gate: Gate
    results: list[CheckResult]
    table_versions: dict[str, int]
    results_version: int | None
    docs_dir: Path | None
    scores: ScoreOutcome | None = None

    @property
    def failed_critical(self) -> list[CheckResult]:
        return [r for r in self.results if not r.success and r.severity == "critical"]

    @property
    def failed_warning(self) -> list[CheckResult]:
        return [r for r in self.results if not r.success and r.severity == "warning"]

    def metrics(self) -> dict[str, Any]:
        return {"gate": self.gate, "checks": len(self.results), "failed_critical": len(self.failed_critical),
                "failed_warning": len(self.failed_warning), "entities_version": self.table_versions.get(ENTITIES),
                "edges_version": self.table_versions.get(EDGES), "results_version": self.results_version,
                "docs": str(self.docs_dir) if self.docs_dir else None,
                "scored_assets": self.scores.assets if self.scores else 0,
                "mean_score": self.scores.mean if self.scores else None}


def run_quality(
    spark: SparkSession,
    settings: Settings,
    *,
    run_id: str,
    config: QualityConfig | None = None,
    now: datetime | None = None,
    data_docs: bool = True,
) -> QualityOutcome:
    """Validate the current versions, write quality.results, render docs, return the gate."""
    config = config or QualityConfig.load()
    now = now or datetime.now(timezone.utc)
    tables.register(spark, settings, [ENTITIES, EDGES, RESULTS, SUMMARIES])
    heal_summaries(spark, settings)
    versions = {ENTITIES: tables.version(settings, ENTITIES), EDGES: tables.version(settings, EDGES)}
    snapshot = _snapshot(spark, settings, versions)
    table_versions = dict(versions)
    for name, baseline in ((ENTITIES, snapshot.entities_baseline_version), (EDGES, snapshot.edges_baseline_version)):
        if baseline is not None:
            table_versions[f"{name}@baseline"] = baseline

    docs_dir = Path(settings.reports_dir) / "quality" if data_docs else None
    digests = suite_digests(config)
    reuse = reusable_ge_results(spark, settings, digests, versions, now=now)
    results = validate_with_ge(snapshot, config, run_id=run_id, now=now, docs_dir=docs_dir, reuse=reuse,
                               digests=digests)
    results += graph_checks(spark, snapshot, config, now=now)
    scores = None
    if versions[ENTITIES] is not None:
        scores = score_run(spark, settings, config, run_id=run_id, now=now, entities_version=versions[ENTITIES])
        results += scores.results

    rows = [r.row(run_id=run_id, table_versions=table_versions, checked_at=now) for r in results]
    tables.append(spark.createDataFrame(rows, tables.table(RESULTS).ddl), settings, RESULTS)
    killpoint.reached("quality:after_results")
    summarize_run(spark, settings, run_id)
    outcome = QualityOutcome(run_id, gate(results), results, table_versions, tables.version(settings, RESULTS),
                             docs_dir, scores)
    if docs_dir is not None:
        from quality.summary import write_summary

        write_summary(outcome, docs_dir / "index.html", data_docs_index=docs_dir / DOCS_SITE / "index.html")
    return outcome


def _snapshot(spark: SparkSession, settings: Settings, versions: Mapping[str, int | None]) -> Snapshot:
    def at(name: str, version: int | None) -> DataFrame | None:
        return None if version is None else tables.read(spark, settings, name, at_version=version)

    entities_base = baseline_version(spark, settings, ENTITIES, versions[ENTITIES])
    edges_base = baseline_version(spark, settings, EDGES, versions[EDGES])
    return Snapshot(
        entities=at(ENTITIES, versions[ENTITIES]), edges=at(EDGES, versions[EDGES]),
        entities_baseline=at(ENTITIES, entities_base), edges_baseline=at(EDGES, edges_base),
        entities_baseline_version=entities_base, edges_baseline_version=edges_base,
    )


def baseline_version(spark: SparkSession, settings: Settings, name: str, current: int | None) -> int | None:
    """Version of `name` checked by the latest passing run (not newer than `current`), else current - 1."""
    from pyspark.sql import functions as F

    if current is None:
        return None
    version = F.col("table_versions").getItem(name)
    runs = (tables.read(spark, settings, SUMMARIES)
            .where((F.col("failed_critical") == 0) & version.isNotNull() & (version <= current))
            .orderBy(F.col("checked_at").desc(), version.desc()).limit(1).select(version.alias("version")).collect())
    if runs:
        return int(runs[0]["version"])
    return current - 1 if current >= 1 else None


#: Which table each GE suite validates.
SUITE_TABLES = {"entities": ENTITIES, "coverage": ENTITIES, "edges": EDGES}
#: Suites whose expectations depend on the clock (`now`), and the checks that do.
CLOCKED_SUITES = {"entities": "timestamp_not_in_future"}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def ge_suites(config: QualityConfig, *, now: datetime) -> dict[str, gx.ExpectationSuite]:
    return {"entities": suites.entities_suite(config, now=now), "coverage": suites.coverage_suite(config),
            "edges": suites.edges_suite(config)}


def ephemeral_context() -> Any:
    """A new in-memory GE context, without the INFO line GE logs for each one ("Created temporary
    directory ... for ephemeral docs site"): its module pins that logger at INFO when imported."""
    import great_expectations as gx
    import great_expectations.data_context.types.base  # noqa: F401 - it sets the level on import

    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    return gx.get_context(mode="ephemeral")


def suite_digests(config: QualityConfig) -> dict[str, str]:
    """Per suite, what it checks (expectations, thresholds, severities), not when: the clock is fixed."""
    import hashlib
    import json

    ephemeral_context()  # suites are built in a context
    out = {}
    for name, suite in ge_suites(config, now=_EPOCH).items():
        expectations = [{k: v for k, v in e.configuration.to_json_dict().items() if k not in ("id", "rendered_content")}
                        for e in suite.expectations]
        out[name] = hashlib.sha256(json.dumps(expectations, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return out


def reusable_ge_results(spark: SparkSession, settings: Settings, digests: Mapping[str, str],
                        versions: Mapping[str, int | None], *, now: datetime) -> dict[str, list[CheckResult]]:
    """Per suite, the results of the newest earlier run that validated the same table version, when
    it ran the same suite; suites without one are absent."""
    import json

    from pyspark.sql import functions as F

    wanted = [(name, digests[name], versions[table]) for name, table in SUITE_TABLES.items()
              if versions.get(table) is not None]
    if not wanted:
        return {}
    match = F.lit(False)
    for name, digest, version in wanted:
        match = match | ((F.col("suite") == name)
                         & (F.get_json_object("observed_value", "$.suite_digest") == digest)
                         & (F.col("table_versions").getItem(SUITE_TABLES[name]) == version))
    # the newest run that checked each table's version, then only its rows (quality.results holds
    # every run): a suite it ran with other settings is validated again
    summaries, runs = tables.read(spark, settings, SUMMARIES), set()
    for table in sorted({SUITE_TABLES[name] for name, _, _ in wanted}):
        runs.update(r["run_id"] for r in summaries.where(
            (F.col("table_versions").getItem(table) == versions[table]) & (F.col("checked_at") <= F.lit(now)))
            .orderBy(F.col("checked_at").desc(), F.col("run_id").desc()).limit(1).select("run_id").collect())
    if not runs:
        return {}
    rows = tables.read(spark, settings, RESULTS).where(
        F.col("run_id").isin(sorted(runs)) & match & (F.col("checked_at") <= F.lit(now))).collect()
    newest: dict[str, tuple] = {}
    for row in rows:
        key = (row["checked_at"], row["run_id"])
        if row["suite"] not in newest or key > newest[row["suite"]]:
            newest[row["suite"]] = key
    out: dict[str, list[CheckResult]] = {}
    for name, (_, run) in newest.items():
        mine = [r for r in rows if r["suite"] == name and r["run_id"] == run]
        clocked = CLOCKED_SUITES.get(name)
        if clocked and not all(r["success"] for r in mine if r["expectation"] == clocked):
            continue  # a future timestamp then may not be one now: validate again
        observed = [json.loads(r["observed_value"] or "{}") for r in mine]
        if any("error" in o for o in observed):
            continue  # an expectation that raised may not raise again
        out[name] = [CheckResult(name, r["expectation"], r["target"], bool(r["success"]), r["severity"], o)
                     for r, o in zip(mine, observed)]
    return out


def validate_with_ge(snapshot: Snapshot, config: QualityConfig, *, run_id: str, now: datetime,
                     docs_dir: Path | None, reuse: Mapping[str, list[CheckResult]] | None = None,
                     digests: Mapping[str, str] | None = None) -> list[CheckResult]:
    """Run the GE suites over the snapshot's frames; Data Docs go to `docs_dir/data_docs` when given.
    A suite in `reuse` is not run: its given results stand (with the current descriptions).

    Two passes: every expectation is first validated for its counts only (`COUNTS`), then the ones
    with unexpected rows again for their examples (`SUMMARY`, named by the frame's id columns),
    which are put into the first pass's results before they are recorded and rendered. GE's
    example queries are a filter with a limit: with no unexpected row each of them reads the whole
    frame for nothing, and a healthy lakehouse has few expectations with any."""
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = ephemeral_context()
    if docs_dir is not None:
        from quality.ge_templates import share_compiled_templates

        share_compiled_templates()
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    if docs_dir is not None:
        site_dir = docs_dir / DOCS_SITE
        site_dir.mkdir(parents=True, exist_ok=True)
        prune_data_docs(site_dir, keep_runs=config.docs_keep_runs, current_run=run_id)
        context.add_data_docs_site(site_name="mlg", site_config={
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        })
    # No persist(): caching every column of a large entities table costs more memory than re-reading it.
    source = context.data_sources.add_spark(name="lakehouse", persist=False)
    identifier = RunIdentifier(run_name=run_id, run_time=now)

    reuse = reuse or {}
    all_suites = ge_suites(config, now=now)
    frames = {
        "entities": (lambda: suites.prepare_entities(snapshot.entities), ["entities", "coverage"], ["id"]),
        "edges": (lambda: snapshot.edges, ["edges"], ["src", "rel", "dst"]),
    }
    digests = digests or {}
    results: list[CheckResult] = []
    for asset_name, (frame_of, names, keys) in frames.items():
        for name in names:
            if name in reuse:
                described = {_check_key(e.meta): e.description or "" for e in all_suites[name].expectations}
                results.extend(CheckResult(r.suite, r.expectation, r.target, r.success, r.severity, r.observed,
                                           described.get((r.expectation, r.target), "")) for r in reuse[name])
        asset_suites = [all_suites[n] for n in names if n not in reuse]
        if not asset_suites:
            continue
        frame = frame_of()
        batch = source.add_dataframe_asset(name=asset_name).add_batch_definition_whole_dataframe(asset_name)

        def validate(checked: list[gx.ExpectationSuite], result_format: dict[str, Any], label: str = "",
                     *, batch=batch, asset_name=asset_name, frame=frame):
            definitions = [context.validation_definitions.add(gx.ValidationDefinition(
                name=f"{asset_name}:{s.name}{label}", data=batch, suite=context.suites.add(s))) for s in checked]
            checkpoint = context.checkpoints.add(gx.Checkpoint(
                name=f"mlg-{asset_name}{label}", validation_definitions=definitions, result_format=result_format))
            return checkpoint.run(batch_parameters={"dataframe": frame}, run_id=identifier).run_results

        counted = validate(asset_suites, COUNTS)
        if config.examples > 0:
            _add_examples(counted, validate, all_suites, keys, config.examples)
        for key, validation in counted.items():
            suite_name = validation.suite_name
            results.extend(_from_ge(suite_name, r, config, digests.get(suite_name)) for r in validation.results)
            if docs_dir is not None:
                _render_docs(context, key, validation)
    return results


#: The first pass: counts and success, no example rows (GE's example queries get a limit of 0).
COUNTS: dict[str, Any] = {"result_format": "BASIC", "partial_unexpected_count": 0}


def _check_key(meta: Mapping[str, Any] | None) -> tuple[Any, Any]:
    return (meta or {}).get("check"), (meta or {}).get("target")


def _add_examples(counted: Mapping[Any, Any], validate, all_suites: Mapping[str, gx.ExpectationSuite],
                  keys: list[str], examples: int) -> None:
    """Validate again, in one checkpoint, the expectations of `counted` (the first pass's results)
    that found unexpected rows, asking for `examples` of them named by `keys`, and put those
    examples into the first pass's results."""
    import copy

    import great_expectations as gx

    wanted: dict[str, dict[tuple, Any]] = {}
    for validation in counted.values():
        for r in validation.results:
            if (r.result or {}).get("unexpected_count"):
                wanted.setdefault(validation.suite_name, {})[_check_key(r.expectation_config.meta)] = r
    if not wanted:
        return
    again = []
    for name, found in wanted.items():
        suite = gx.ExpectationSuite(name=f"{name}.examples")
        for expectation in all_suites[name].expectations:
            if _check_key(expectation.meta) in found:
                duplicate = copy.copy(expectation)
                duplicate.id = None  # a copy, so that it can join another suite
                suite.add_expectation(duplicate)
        again.append(suite)
    located = validate(again, {"result_format": "SUMMARY", "partial_unexpected_count": examples,
                               "unexpected_index_column_names": keys}, ".examples")
    for validation in located.values():
        found = wanted[validation.suite_name.removesuffix(".examples")]
        for r in validation.results:
            target = found.get(_check_key(r.expectation_config.meta))
            if target is not None and r.result:
                target.result.update({k: v for k, v in r.result.items()
                                      if k.startswith(("partial_unexpected", "unexpected_index"))})


def prune_data_docs(site_dir: Path, *, keep_runs: int, current_run: str) -> list[str]:
    """Remove the validation pages (`validations/<suite>/<run>/<time>/`) of the runs beyond the
    newest `keep_runs`, the current one counted and never removed (0: remove none); returns the
    runs removed. A run's age is its newest run time, across suites."""
    import shutil

    if keep_runs <= 0:
        return []
    run_dirs: dict[str, list[Path]] = {}
    for run_dir in (site_dir / "validations").glob("*/*"):
        if run_dir.is_dir():
            run_dirs.setdefault(run_dir.name, []).append(run_dir)

    def newest(run: str) -> str:  # run times are named like 20261202T042545.896697Z: they sort
        return max((t.name for d in run_dirs[run] for t in d.iterdir() if t.is_dir()), default="")

    others = sorted((r for r in run_dirs if r != current_run), key=lambda r: (newest(r), r), reverse=True)
    expired = others[keep_runs - 1:]
    for run in expired:
        for run_dir in run_dirs[run]:
            shutil.rmtree(run_dir, ignore_errors=True)
    return expired


def _render_docs(context: Any, key: Any, validation: Any) -> None:
    """Data Docs pages of one validation (with its examples) and the site index."""
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    context.validation_results_store.set(key, validation)
    context.build_data_docs(site_names=["mlg"],
                            resource_identifiers=[key, ExpectationSuiteIdentifier(name=validation.suite_name)])


def _from_ge(suite: str, result: Any, config: QualityConfig, digest: str | None = None) -> CheckResult:
    expectation = result.expectation_config
    meta = expectation.meta or {}
    details = result.result or {}
    observed: dict[str, Any] = {"ge": expectation.type}
    if digest:
        observed["suite_digest"] = digest
    error = _exception(result.exception_info)
    if error:
        observed["error"] = error
    if "observed_value" in details:
        observed["observed_value"] = details["observed_value"]
    if "element_count" in details:
        bad, of = int(details.get("unexpected_count") or 0), int(details["element_count"])
        observed.update(unexpected=bad, of=of, share=share(bad, of))
        if suite == "coverage":
            observed["coverage"] = None if not of else round(1 - bad / of, 6)
        keys = details.get("unexpected_index_column_names") or []
        located = details.get("partial_unexpected_index_list") or []
        # Name the offending rows by key (an owner count of 0 says little; the entity id does).
        examples = ([" ".join(str(item.get(k)) for k in keys) for item in located] if keys and located
                    else [str(v) for v in details.get("partial_unexpected_list") or []])
        if examples:
            observed["examples"] = examples[: config.examples]
    severity = getattr(expectation.severity, "value", expectation.severity) or "critical"
    return CheckResult(suite, meta.get("check", expectation.type), meta.get("target", ""),
                       bool(result.success) and not error, severity, observed, expectation.description or "")


def _exception(info: Any) -> str | None:
    """GE reports exceptions either flat or keyed by metric; any raised one fails the check."""
    if not info:
        return None
    entries = [info] if "raised_exception" in info else list(info.values())
    for entry in entries:
        entry = entry if isinstance(entry, Mapping) else getattr(entry, "to_json_dict", lambda: {})()
        if entry.get("raised_exception"):
            return str(entry.get("exception_message") or "expectation raised an exception")[:500]
    return None

