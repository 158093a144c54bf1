-- Live assets not updated at the source for more than :days days (or never), oldest first,
-- with their owners and accountable teams.
-- Parameters: :days  age in days (e.g. 90)
SELECT a.id, a.entity_type, a.name, a.owners, a.updated_at,
       datediff(current_date(), to_date(coalesce(a.updated_at, a.last_hydrated_at))) AS age_days,
       array_sort(collect_set(t.team)) AS teams
FROM live_assets a
LEFT JOIN asset_teams t ON t.asset_id = a.id
WHERE coalesce(datediff(current_date(), to_date(coalesce(a.updated_at, a.last_hydrated_at))) > :days, true)
GROUP BY a.id, a.entity_type, a.name, a.owners, a.updated_at, a.last_hydrated_at
ORDER BY age_days DESC NULLS FIRST, a.id
