-- Quality across runs (newest 50): checks, failures by severity, the gate, and the measured coverage
-- shares. quality.results is append-only, so its current version holds every run; each row also
-- records the graph.entities / graph.edges versions it checked.
WITH runs AS (
  SELECT run_id,
         min(checked_at) AS checked_at,
         max(table_versions['graph.entities']) AS entities_version,
         max(table_versions['graph.edges']) AS edges_version,
         count(*) AS checks,
         count_if(success) AS passed,
         count_if(NOT success AND severity = 'critical') AS failed_critical,
         count_if(NOT success AND severity = 'warning') AS failed_warning,
         max(CASE WHEN expectation = 'share_with_description'
                  THEN CAST(get_json_object(observed_value, '$.coverage') AS DOUBLE) END) AS description_share,
         max(CASE WHEN expectation = 'share_with_owners'
                  THEN CAST(get_json_object(observed_value, '$.coverage') AS DOUBLE) END) AS owner_share,
         max(CASE WHEN expectation = 'share_with_tags'
                  THEN CAST(get_json_object(observed_value, '$.coverage') AS DOUBLE) END) AS tag_share
  FROM quality.results
  GROUP BY run_id
),
newest AS (
  SELECT * FROM runs ORDER BY checked_at DESC, run_id DESC LIMIT 50
)
SELECT run_id, checked_at, entities_version, edges_version, checks, passed, failed_critical, failed_warning,
       CASE WHEN failed_critical > 0 THEN 'fail' ELSE 'pass' END AS gate,
       description_share, owner_share, tag_share
FROM newest
ORDER BY checked_at, run_id
