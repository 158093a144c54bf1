-- Upstream lineage: everything :uri transitively depends on, nearest first, with owners.
-- "What datasets, features, pipelines and runs does this model instance come from?"
-- Parameters: :uri        AIP URI of the entity
--             :max_depth  most dependency hops to go up (e.g. 1000 for all)
--             :rel        '' for any chain, or a relation the shortest chains must go through (e.g. 'READS')
SELECT i.src AS id, e.entity_type, e.name, i.min_depth AS depth, i.relations, e.owners
FROM graph.impact i
LEFT JOIN graph.entities e ON e.id = i.src
WHERE i.dst = :uri
  AND i.src <> i.dst
  AND i.min_depth <= :max_depth
  AND (:rel = '' OR array_contains(i.relations, :rel))
ORDER BY depth, id
