-- Downstream impact: everything that transitively depends on :uri (breaks if it changes),
-- nearest first, with each impacted entity's owners and the teams to notify (teams that own it,
-- and the teams its active owning users are members of: an owner who is inactive in identity, or
-- unknown to it, notifies nobody, as in the owner_assets view).
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
active_owner_rows AS (
  SELECT o.id, o.owner, u.entity_type AS owner_type
  FROM owner_rows o
  JOIN graph.entities u ON u.id = o.owner
  WHERE u.state NOT IN ('reference', 'deleted')
    AND NOT (u.entity_type = 'User' AND upper(coalesce(u.source_status, '')) = 'INACTIVE')
),
team_rows AS (
  SELECT id, owner AS team FROM active_owner_rows WHERE owner_type = 'Team'
  UNION
  SELECT o.id, m.dst AS team
  FROM active_owner_rows o
  JOIN graph.edges m ON m.src = o.owner AND m.rel = 'MEMBER_OF' AND m.active
  WHERE o.owner_type = 'User'
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
