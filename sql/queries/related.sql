-- Everything one hop from :uri, both directions, over the active edges (declared and inferred).
-- Parameters: :uri  AIP URI of the entity
SELECT 'out' AS direction, t.rel, t.dst AS id, e.entity_type, e.name, t.provenance, t.rule
FROM graph.edges t
LEFT JOIN graph.entities e ON e.id = t.dst
WHERE t.src = :uri AND t.active
UNION ALL
SELECT 'in' AS direction, t.rel, t.src AS id, e.entity_type, e.name, t.provenance, t.rule
FROM graph.edges t
LEFT JOIN graph.entities e ON e.id = t.src
WHERE t.dst = :uri AND t.active
ORDER BY direction DESC, rel, id
