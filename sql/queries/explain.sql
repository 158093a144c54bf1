-- How :dst depends on :src, and who owns each link of the chain: the entities on the shortest
-- dependency chains from :src to :dst (at depth 0 .. n), with their owners. No rows: no dependency.
-- Parameters: :src  AIP URI of the upstream entity (e.g. a dataset)
--             :dst  AIP URI of the downstream entity (e.g. a model or an A/B test)
WITH total AS (
  SELECT min_depth FROM graph.impact WHERE src = :src AND dst = :dst
),
links AS (
  SELECT :src AS id, 0 AS depth FROM total
  UNION ALL
  SELECT a.dst AS id, a.min_depth AS depth
  FROM graph.impact a
  JOIN graph.impact b ON b.src = a.dst AND b.dst = :dst
  CROSS JOIN total
  WHERE a.src = :src AND a.dst <> :src AND a.dst <> :dst AND a.min_depth + b.min_depth = total.min_depth
  UNION ALL
  SELECT :dst AS id, min_depth AS depth FROM total
)
SELECT l.depth, l.id, e.entity_type, e.name, e.owners
FROM links l
LEFT JOIN graph.entities e ON e.id = l.id
ORDER BY l.depth, l.id
