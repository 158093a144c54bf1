-- asset_teams: the team(s) accountable for each live asset: the teams that own it, else the teams
-- its owning users are members of, else the team its `team` tag names, else '(no team)'. One row per
-- (asset, team). A tag value is resolved to the team entity whose team name or display name it
-- matches (case-insensitive), so one team has one spelling everywhere: its display name.
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
),
team_keys AS (
  SELECT id AS team_id, lower(url_decode(regexp_extract(id, '^aip://team/[^/]+/(.*)$', 1))) AS team_key
  FROM graph.entities WHERE entity_type = 'Team' AND state <> 'deleted'
  UNION
  SELECT id AS team_id, lower(trim(name)) AS team_key
  FROM graph.entities WHERE entity_type = 'Team' AND state <> 'deleted' AND name IS NOT NULL
),
tagged AS (
  SELECT a.id AS asset_id, min(k.team_id) AS team_id
  FROM live_assets a JOIN team_keys k ON k.team_key = lower(trim(a.team_tag))
  GROUP BY a.id
)
SELECT a.id AS asset_id, a.entity_type, a.domain,
       coalesce(c.team_id, g.team_id) AS team_id,
       coalesce(te.name, url_decode(regexp_extract(coalesce(c.team_id, g.team_id), '^aip://team/[^/]+/(.*)$', 1)),
                a.team_tag, '(no team)') AS team
FROM live_assets a
LEFT JOIN chosen c ON c.asset_id = a.id
LEFT JOIN tagged g ON g.asset_id = a.id AND c.team_id IS NULL
LEFT JOIN graph.entities te ON te.id = coalesce(c.team_id, g.team_id)
