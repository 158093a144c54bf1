-- run_versions: one row per (build run, table): the table's Delta version after that run (the
-- versions recorded by the run's last stage in ops.runs.metrics.table_versions). "The graph as of
-- run N" is then `SELECT … FROM graph.entities VERSION AS OF <version>` with the version this view
-- gives for run N. A run that changed nothing leaves every version where the previous run left it.
CREATE OR REPLACE TEMP VIEW run_versions AS
SELECT r.run_id, v.table_name, max(v.version) AS version, max(r.ended_at) AS ended_at
FROM ops.runs r
LATERAL VIEW explode(from_json(get_json_object(r.metrics, '$.table_versions'), 'map<string, bigint>')) v
  AS table_name, version
WHERE r.status <> 'failed'
GROUP BY r.run_id, v.table_name;
