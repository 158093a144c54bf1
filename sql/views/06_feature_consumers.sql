-- feature_consumers: features with the models (and model instances) consuming them and the teams
-- owning the feature (see asset_teams). One row per feature.
CREATE OR REPLACE TEMP VIEW feature_consumers AS
WITH consumers AS (
  SELECT u.dst AS feature_id, u.src AS instance_id, i.dst AS model_id
  FROM active_edges u
  LEFT JOIN active_edges i ON i.src = u.src AND i.rel = 'INSTANCE_OF'
  WHERE u.rel = 'USES_FEATURE'
),
teams AS (
  SELECT asset_id, array_sort(collect_set(team)) AS owning_teams FROM asset_teams GROUP BY asset_id
)
SELECT f.id AS feature_id, f.name AS feature_name, f.owners, t.owning_teams,
       array_sort(collect_set(c.model_id)) AS consuming_models,
       array_sort(collect_set(c.instance_id)) AS consuming_instances
FROM current_entities f
LEFT JOIN consumers c ON c.feature_id = f.id
LEFT JOIN teams t ON t.asset_id = f.id
WHERE f.entity_type = 'Feature'
GROUP BY f.id, f.name, f.owners, t.owning_teams
