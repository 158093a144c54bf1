-- Stale and undocumented live assets by team. Stale is the metadata score's own judgement (the
-- `fresh` part of quality.entity_scores in the newest quality run: the source changed the asset, or
-- lacking that the graph re-hydrated it, within its type's window, quality setting
-- score_freshness_days), so the report and the scores have one definition of stale. Undocumented: no
-- description, or a placeholder (TODO, tbd, ...). Live assets the newest quality run did not score
-- (created since) are left out until the next run. The three problem columns are disjoint.
WITH flagged AS (
  SELECT a.id, t.team, NOT s.is_fresh AS stale, NOT a.has_description AS undocumented
  FROM live_assets a
  JOIN latest_scores s ON s.id = a.id
  JOIN asset_teams t ON t.asset_id = a.id
)
SELECT team,
       count(*) AS assets,
       count_if(stale AND NOT undocumented) AS stale_only,
       count_if(undocumented AND NOT stale) AS undocumented_only,
       count_if(stale AND undocumented) AS stale_and_undocumented,
       count_if(stale) AS stale,
       count_if(undocumented) AS undocumented
FROM flagged
GROUP BY team
ORDER BY stale_and_undocumented DESC, stale DESC, team
