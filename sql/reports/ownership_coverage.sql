-- Ownership coverage by domain and team: live assets, how many have an owner, and the share.
-- An asset with several accountable teams counts once for each (see the asset_teams view).
SELECT a.domain, t.team,
       count(*) AS assets,
       count_if(a.has_owner) AS owned,
       count_if(NOT a.has_owner) AS unowned,
       round(count_if(a.has_owner) / count(*), 4) AS owned_share
FROM live_assets a
JOIN asset_teams t ON t.asset_id = a.id
GROUP BY a.domain, t.team
ORDER BY a.domain, t.team
