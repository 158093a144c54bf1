-- Quality across runs (newest 50): checks, failures by severity, the gate, the measured coverage
-- shares and the mean metadata score of the run's scored assets (score_runs). One row a run in
-- quality.run_summaries (written with each run's quality.results rows), with the graph.entities /
-- graph.edges versions it checked.
WITH newest AS (
  SELECT * FROM quality.run_summaries ORDER BY checked_at DESC, run_id DESC LIMIT 50
)
SELECT n.run_id, n.checked_at, n.table_versions['graph.entities'] AS entities_version,
       n.table_versions['graph.edges'] AS edges_version, n.checks, n.passed, n.failed_critical,
       n.failed_warning, CASE WHEN n.failed_critical > 0 THEN 'fail' ELSE 'pass' END AS gate,
       n.description_share, n.owner_share, n.tag_share, s.score AS mean_score
FROM newest n
LEFT JOIN score_runs s ON s.run_id = n.run_id
ORDER BY n.checked_at, n.run_id
