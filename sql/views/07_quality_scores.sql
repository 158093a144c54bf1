-- latest_scores: each live asset's metadata score from the newest quality run (quality.entity_scores).
-- team_scores / domain_scores: the mean score per team (an asset with several accountable teams counts
-- for each, as in asset_teams) and per domain, for every quality run: the trend across runs.
CREATE OR REPLACE TEMP VIEW score_runs AS
SELECT run_id, max(scored_at) AS scored_at, count(*) AS assets, round(avg(score), 1) AS score
FROM quality.entity_scores
GROUP BY run_id;

CREATE OR REPLACE TEMP VIEW latest_scores AS
SELECT s.*
FROM quality.entity_scores s
JOIN (SELECT run_id FROM score_runs ORDER BY scored_at DESC, run_id DESC LIMIT 1) r ON r.run_id = s.run_id;

CREATE OR REPLACE TEMP VIEW domain_scores AS
SELECT run_id, max(scored_at) AS scored_at, domain, count(*) AS assets, round(avg(score), 1) AS score,
       count_if(score < 100) AS assets_missing_something
FROM quality.entity_scores
GROUP BY run_id, domain;

CREATE OR REPLACE TEMP VIEW team_scores AS
SELECT s.run_id, max(s.scored_at) AS scored_at, t.team, count(*) AS assets, round(avg(s.score), 1) AS score,
       count_if(s.score < 100) AS assets_missing_something
FROM quality.entity_scores s
LATERAL VIEW explode(s.teams) t AS team
GROUP BY s.run_id, t.team
