-- Quality across runs (newest 50): checks, failures by severity, the gate, the measured coverage
-- shares and the mean metadata score of the run's scored assets (score_runs). quality.results is append-only, so its current version holds every run; each row also
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
SELECT n.run_id, n.checked_at, n.entities_version, n.edges_version, n.checks, n.passed, n.failed_critical,
       n.failed_warning, CASE WHEN n.failed_critical > 0 THEN 'fail' ELSE 'pass' END AS gate,
       n.description_share, n.owner_share, n.tag_share, s.score AS mean_score
FROM newest n
LEFT JOIN score_runs s ON s.run_id = n.run_id
ORDER BY n.checked_at, n.run_id
