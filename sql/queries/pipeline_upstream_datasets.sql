-- Which datasets a pipeline transitively depends on (datasets it reads, the pipelines producing
-- those, the datasets they read, ...), nearest first, with owners.
-- Parameters: :pipeline  AIP URI of the pipeline
SELECT i.src AS id, e.name, i.min_depth AS depth, i.relations, e.owners
FROM graph.impact i
JOIN graph.entities e ON e.id = i.src
WHERE i.dst = :pipeline AND e.entity_type = 'Dataset'
ORDER BY depth, id
