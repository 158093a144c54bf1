-- Failed expectations of one quality run (critical first) with what was observed and the table
-- versions checked. "Why did the gate fail?"
-- Parameters: :run_id  a run id, or '' for the latest run
WITH chosen AS (
  SELECT CASE WHEN :run_id = '' THEN (SELECT max_by(run_id, checked_at) FROM quality.run_summaries)
              ELSE :run_id END AS run_id
)
SELECT r.run_id, r.severity, r.suite, r.expectation, r.target, r.observed_value, r.table_versions, r.checked_at
FROM quality.results r
JOIN chosen c ON c.run_id = r.run_id
WHERE NOT r.success
ORDER BY CASE r.severity WHEN 'critical' THEN 0 ELSE 1 END, r.suite, r.expectation, r.target
