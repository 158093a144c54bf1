-- Deprecation candidates: live assets that no active entity depends on and nothing active uses.
-- Active: not deleted and not in a retired source status. Dependence comes from graph.impact (any
-- depth) and does not count when it runs through a model container (relations with INSTANCE_OF: a
-- model "depends" on each of its instances) or ends at a model (it uses things only through its
-- instances, which count themselves), a pipeline run or an A/B test cell (events, not users).
-- In use: a deployed instance, and a model with one.
-- No parameters. The closure stage persists this as graph.deprecation_candidates.
WITH active AS (
  SELECT id, entity_type
  FROM graph.entities
  WHERE state <> 'deleted'
    AND coalesce(upper(source_status), '') NOT IN
        ('RETIRED', 'ARCHIVED', 'DEPRECATED', 'DELETED', 'INACTIVE', 'ENDED', 'COMPLETED', 'STOPPED',
         'CANCELLED')
),
dependents AS (
  SELECT i.src AS id, count(*) AS active_dependents
  FROM graph.impact i
  JOIN active a ON a.id = i.dst
  WHERE i.src <> i.dst
    AND NOT array_contains(i.relations, 'INSTANCE_OF')
    AND a.entity_type NOT IN ('Model', 'PipelineRun', 'AbTestCell')
  GROUP BY i.src
),
deployed_instances AS (
  SELECT id
  FROM graph.entities
  WHERE entity_type = 'ModelInstance' AND state <> 'deleted'
    AND upper(source_status) IN ('DEPLOYED', 'SERVING', 'PRODUCTION', 'CANARY')
),
in_use AS (
  SELECT id FROM deployed_instances
  UNION
  SELECT e.dst AS id
  FROM graph.edges e
  JOIN deployed_instances d ON d.id = e.src
  WHERE e.rel = 'INSTANCE_OF' AND e.active
)
SELECT e.id, e.entity_type, e.name, e.owners,
       CASE e.entity_type
         WHEN 'Dataset' THEN 'no active pipeline, feature, model instance or A/B test depends on it'
         WHEN 'Feature' THEN 'no active model instance or A/B test depends on it'
         WHEN 'Pipeline' THEN 'nothing active depends on its runs or the datasets it produces'
         WHEN 'ModelInstance' THEN 'not deployed and in no active A/B test'
         WHEN 'Model' THEN 'no deployed instance and in no active A/B test'
       END AS reason
FROM graph.entities e
JOIN active a ON a.id = e.id
LEFT JOIN dependents d ON d.id = e.id
LEFT JOIN in_use u ON u.id = e.id
WHERE e.entity_type IN ('Dataset', 'Feature', 'Pipeline', 'ModelInstance', 'Model')
  AND d.id IS NULL
  AND u.id IS NULL
ORDER BY e.entity_type, e.id
