-- owner_assets: owners with what they own, one row per (owner, asset) over current entities.
-- owner_known is false for an owner identity does not know (never hydrated: a `reference`, or
-- deleted there, e.g. the `former.employee*` owners); owner_active is false for an unknown owner
-- and for a user who is inactive in identity (has left). owner_status says which in words.
CREATE OR REPLACE TEMP VIEW owner_assets AS
WITH owned AS (
  SELECT a.id AS asset_id, a.entity_type AS asset_type, a.name AS asset_name, a.domain AS asset_domain,
         a.state AS asset_state, explode(a.owners) AS owner_id
  FROM current_entities a
),
resolved AS (
  SELECT o.*, u.entity_type AS known_type, u.name AS known_name, u.source_status, u.state AS owner_state,
         coalesce(u.state NOT IN ('reference', 'deleted'), false) AS owner_known
  FROM owned o
  LEFT JOIN graph.entities u ON u.id = o.owner_id
)
SELECT owner_id,
       coalesce(known_type, CASE WHEN owner_id LIKE 'aip://team/%' THEN 'Team' ELSE 'User' END) AS owner_type,
       known_name AS owner_name,
       CASE WHEN owner_state = 'deleted' THEN 'deleted in identity'
            WHEN NOT owner_known THEN 'unknown to identity'
            ELSE source_status END AS owner_status,
       owner_known,
       owner_known AND NOT (coalesce(known_type, '') = 'User'
                            AND upper(coalesce(source_status, '')) = 'INACTIVE') AS owner_active,
       asset_id, asset_type, asset_name, asset_domain, asset_state
FROM resolved
