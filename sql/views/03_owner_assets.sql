-- owner_assets: owners with what they own, one row per (owner, asset) over current entities.
-- owner_active is false for a user who is inactive in identity or deleted there (has left).
CREATE OR REPLACE TEMP VIEW owner_assets AS
WITH owned AS (
  SELECT a.id AS asset_id, a.entity_type AS asset_type, a.name AS asset_name, a.domain AS asset_domain,
         a.state AS asset_state, explode(a.owners) AS owner_id
  FROM current_entities a
)
SELECT o.owner_id,
       coalesce(u.entity_type, CASE WHEN o.owner_id LIKE 'aip://team/%' THEN 'Team' ELSE 'User' END) AS owner_type,
       u.name AS owner_name,
       u.source_status AS owner_status,
       NOT (coalesce(u.entity_type, '') = 'User'
            AND (upper(coalesce(u.source_status, '')) = 'INACTIVE' OR u.state = 'deleted')) AS owner_active,
       o.asset_id, o.asset_type, o.asset_name, o.asset_domain, o.asset_state
FROM owned o
LEFT JOIN graph.entities u ON u.id = o.owner_id
