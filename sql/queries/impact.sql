-- Downstream impact: everything that transitively depends on :uri (breaks if it changes),
-- nearest first, with each impacted entity's owners and the teams to notify (teams that own it,
-- and the teams its owning users are members of).
-- Parameters: :uri  AIP URI of the entity that changes
WITH impacted AS (
  SELECT i.dst AS id, i.min_depth AS depth, i.relations
  FROM graph.impact i
  WHERE i.src = :uri AND i.dst <> i.src
),
owner_rows AS (
  SELECT m.id, owner
  FROM impacted m
  JOIN graph.entities e ON e.id = m.id
  LATERAL VIEW explode(e.owners) o AS owner
),
team_rows AS (
  SELECT id, owner AS team FROM owner_rows WHERE owner LIKE 'aip://team/%'
  UNION
  SELECT o.id, m.dst AS team
  FROM owner_rows o
  JOIN graph.edges m ON m.src = o.owner AND m.rel = 'MEMBER_OF' AND m.active
),
teams AS (
  SELECT id, array_sort(collect_set(team)) AS teams FROM team_rows GROUP BY id
)
SELECT m.id, e.entity_type, e.name, m.depth, m.relations,
       coalesce(e.owners, CAST(array() AS ARRAY<STRING>)) AS owners,
       coalesce(t.teams, CAST(array() AS ARRAY<STRING>)) AS teams
FROM impacted m
LEFT JOIN graph.entities e ON e.id = m.id
LEFT JOIN teams t ON t.id = m.id
ORDER BY m.depth, m.id
