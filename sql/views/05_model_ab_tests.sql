-- model_ab_tests: models with their A/B tests (from the inferred TESTED_IN edges of the model or of
-- any of its instances); a model in no A/B test has one row with a null ab_test_id.
CREATE OR REPLACE TEMP VIEW model_ab_tests AS
WITH tested AS (
  SELECT src AS model_id, dst AS ab_test_id, CAST(NULL AS STRING) AS instance_id
  FROM active_edges WHERE rel = 'TESTED_IN' AND src_type = 'Model'
  UNION
  SELECT i.dst AS model_id, t.dst AS ab_test_id, t.src AS instance_id
  FROM active_edges t
  JOIN active_edges i ON i.src = t.src AND i.rel = 'INSTANCE_OF'
  WHERE t.rel = 'TESTED_IN' AND t.src_type = 'ModelInstance'
)
SELECT m.id AS model_id, m.name AS model_name, m.owners AS model_owners,
       t.ab_test_id, a.name AS ab_test_name, a.source_status AS ab_test_status,
       array_sort(collect_set(t.instance_id)) AS tested_instances
FROM current_entities m
LEFT JOIN tested t ON t.model_id = m.id
LEFT JOIN current_entities a ON a.id = t.ab_test_id
WHERE m.entity_type = 'Model'
GROUP BY m.id, m.name, m.owners, t.ab_test_id, a.name, a.source_status
