-- What does this owner own? Every current asset owned by a user or team, with its domain and state,
-- and (for a team) the assets owned by its members too.
-- Parameters: :owner  AIP URI of a user or team (e.g. aip://user/identity/alice, aip://team/identity/ranking)
WITH members AS (
  SELECT src AS member_id FROM active_edges WHERE rel = 'MEMBER_OF' AND dst = :owner
)
SELECT o.asset_id, o.asset_type, o.asset_name, o.asset_domain, o.asset_state,
       CASE WHEN o.owner_id = :owner THEN 'owner' ELSE concat('via member ', o.owner_id) END AS ownership
FROM owner_assets o
WHERE o.owner_id = :owner OR o.owner_id IN (SELECT member_id FROM members)
ORDER BY ownership, o.asset_type, o.asset_id
