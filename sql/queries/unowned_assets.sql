-- Live assets with no owner at all, with their accountable team if a team tag names one.
-- "What is unowned, and who should adopt it?"
-- Parameters: :domain  '' for every domain, or one domain (models, pipelines, features, data, experiments)
SELECT a.id, a.entity_type, a.domain, a.name, a.team_tag, a.updated_at
FROM live_assets a
WHERE NOT a.has_owner
  AND (:domain = '' OR a.domain = :domain)
ORDER BY a.domain, a.entity_type, a.id
