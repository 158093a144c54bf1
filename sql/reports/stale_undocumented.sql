-- Stale and undocumented live assets by team. Stale: not updated at the source (or, lacking that,
-- re-hydrated) for more than :stale_days days. The three problem columns are disjoint.
-- Parameters: :stale_days  age in days after which an asset is stale (e.g. 90)
WITH flagged AS (
  SELECT a.id, t.team,
         coalesce(datediff(current_date(), to_date(coalesce(a.updated_at, a.last_hydrated_at))) > :stale_days,
                  true) AS stale,
         NOT a.has_description AS undocumented
  FROM live_assets a
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
