-- Metadata quality scorecard per team (quality.entity_scores through the team_scores view): the
-- newest run's mean score and its assets, the previous run's score and the change, the trend over
-- the newest 12 runs (oldest first), and the three worst assets with the parts they miss.
WITH runs AS (
  SELECT run_id, scored_at, row_number() OVER (ORDER BY scored_at DESC, run_id DESC) AS age FROM score_runs
),
team_runs AS (
  SELECT t.team, t.run_id, r.age, r.scored_at, t.score, t.assets, t.assets_missing_something
  FROM team_scores t JOIN runs r ON r.run_id = t.run_id
  WHERE r.age <= 12
),
trend AS (
  SELECT team, transform(array_sort(collect_list(named_struct('at', scored_at, 'run', run_id, 'score', score))),
                         x -> x.score) AS trend
  FROM team_runs GROUP BY team
),
ranked AS (
  SELECT x.team, s.id, s.score,
         concat(coalesce(s.name, s.id), ' (', CAST(s.score AS STRING), '): ', array_join(s.missing, ', ')) AS item,
         row_number() OVER (PARTITION BY x.team ORDER BY s.score, s.id) AS rk
  FROM latest_scores s LATERAL VIEW explode(s.teams) x AS team
  WHERE s.score < 100
),
worst AS (
  SELECT team, transform(array_sort(collect_list(named_struct('rk', rk, 'item', item))), x -> x.item) AS worst_assets
  FROM ranked WHERE rk <= 3 GROUP BY team
)
SELECT l.team, l.assets, l.score, p.score AS previous_score, round(l.score - p.score, 1) AS change,
       l.assets_missing_something, t.trend,
       coalesce(w.worst_assets, CAST(array() AS ARRAY<STRING>)) AS worst_assets
FROM team_runs l
LEFT JOIN team_runs p ON p.team = l.team AND p.age = 2
LEFT JOIN trend t ON t.team = l.team
LEFT JOIN worst w ON w.team = l.team
WHERE l.age = 1
ORDER BY l.score DESC, l.team
