-- asset_teams: the team(s) accountable for each live asset: the teams that own it, else the teams
-- its owning users are members of, else its `team` tag, else '(no team)'. One row per (asset, team).
CREATE OR REPLACE TEMP VIEW asset_teams AS
WITH owner_teams AS (
  SELECT asset_id, owner_id AS team_id, 1 AS priority FROM owner_assets WHERE owner_type = 'Team'
  UNION
  SELECT o.asset_id, m.dst AS team_id, 2 AS priority
  FROM owner_assets o
  JOIN active_edges m ON m.src = o.owner_id AND m.rel = 'MEMBER_OF'
  WHERE o.owner_type = 'User'
),
best AS (
  SELECT asset_id, min(priority) AS priority FROM owner_teams GROUP BY asset_id
),
chosen AS (
  SELECT t.asset_id, t.team_id
  FROM owner_teams t JOIN best b ON b.asset_id = t.asset_id AND b.priority = t.priority
)
SELECT a.id AS asset_id, a.entity_type, a.domain,
       c.team_id,
       coalesce(te.name, c.team_id, a.team_tag, '(no team)') AS team
FROM live_assets a
LEFT JOIN chosen c ON c.asset_id = a.id
LEFT JOIN graph.entities te ON te.id = c.team_id
