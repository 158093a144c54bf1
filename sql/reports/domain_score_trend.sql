-- Mean metadata score per domain for each of the newest 12 quality runs (the scorecard's chart).
WITH runs AS (
  SELECT run_id, scored_at, row_number() OVER (ORDER BY scored_at DESC, run_id DESC) AS age FROM score_runs
)
SELECT d.run_id, r.scored_at, d.domain, d.assets, d.score
FROM domain_scores d JOIN runs r ON r.run_id = d.run_id
WHERE r.age <= 12
ORDER BY r.scored_at, d.run_id, d.domain
