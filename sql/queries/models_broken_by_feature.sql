-- Which models (and model instances and A/B tests) break if this feature changes, with owners.
-- Parameters: :feature  AIP URI of the feature (e.g. aip://feature/featurestore/title_embedding)
SELECT i.dst AS id, e.entity_type, e.name, i.min_depth AS depth, i.relations, e.owners
FROM graph.impact i
JOIN graph.entities e ON e.id = i.dst
WHERE i.src = :feature
  AND e.entity_type IN ('Model', 'ModelInstance', 'AbTest')
  AND e.state <> 'deleted'
ORDER BY CASE e.entity_type WHEN 'Model' THEN 0 WHEN 'ModelInstance' THEN 1 ELSE 2 END, depth, id
