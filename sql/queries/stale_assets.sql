-- Live assets whose metadata is stale, oldest first, with their owners and accountable teams.
-- Stale is the metadata score's definition (the newest quality run's `fresh` part in
-- quality.entity_scores): not changed at the source, or lacking that re-hydrated, within the type's
-- window (quality setting score_freshness_days), the same definition the governance report uses.
SELECT a.id, a.entity_type, a.name, a.owners, a.updated_at, s.age_days, s.teams, s.scored_at
FROM latest_scores s
JOIN live_assets a ON a.id = s.id
WHERE NOT s.is_fresh
ORDER BY s.age_days DESC NULLS FIRST, a.id
