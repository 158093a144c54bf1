-- A/B tests and what they evaluate, both ways, from the active TESTED_IN edges:
-- for a model or model instance, the A/B tests it is tested in; for an A/B test, the models and
-- model instances tested in it.
-- Parameters: :uri  AIP URI of a model, model instance or A/B test
WITH hits AS (
  SELECT CASE WHEN t.src = :uri THEN t.dst ELSE t.src END AS id,
         CASE WHEN t.src = :uri THEN 'tested in' ELSE 'tests' END AS relation,
         t.provenance, t.rule
  FROM graph.edges t
  WHERE t.rel = 'TESTED_IN' AND t.active AND (t.src = :uri OR t.dst = :uri)
)
SELECT h.relation, h.id, e.entity_type, e.name, e.source_status, e.owners, h.provenance, h.rule
FROM hits h
LEFT JOIN graph.entities e ON e.id = h.id
ORDER BY h.relation, e.entity_type, h.id
