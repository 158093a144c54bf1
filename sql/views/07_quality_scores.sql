-- latest_scores: each live asset's metadata score from the newest quality run (quality.entity_scores).
-- score_runs / domain_scores / team_scores: the mean score of each quality run as a whole, per domain
-- and per team (an asset with several accountable teams counts for each, as in asset_teams): the
-- trend across runs. The quality stage writes these roll-ups with each run (quality.score_rollups),
-- so reading them costs the same after 50 runs as after one.
CREATE OR REPLACE TEMP VIEW score_runs AS
SELECT run_id, scored_at, assets, score
FROM quality.score_rollups
WHERE scope = 'all';

CREATE OR REPLACE TEMP VIEW latest_scores AS
SELECT s.*
FROM quality.entity_scores s
JOIN (SELECT run_id FROM score_runs ORDER BY scored_at DESC, run_id DESC LIMIT 1) r ON r.run_id = s.run_id;

CREATE OR REPLACE TEMP VIEW domain_scores AS
SELECT run_id, scored_at, name AS domain, assets, score, assets_missing_something
FROM quality.score_rollups
WHERE scope = 'domain';

CREATE OR REPLACE TEMP VIEW team_scores AS
SELECT run_id, scored_at, name AS team, assets, score, assets_missing_something
FROM quality.score_rollups
WHERE scope = 'team'
