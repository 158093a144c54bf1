-- Assets owned by inactive users (inactive in identity, or deleted there), with how many active
-- owners each asset still has (0: nobody active is accountable for it).
WITH active_owner_counts AS (
  SELECT asset_id, count_if(owner_active) AS active_owners FROM owner_assets GROUP BY asset_id
)
SELECT o.owner_id, o.owner_name, o.owner_status, o.asset_id, o.asset_type, o.asset_name, o.asset_domain,
       c.active_owners
FROM owner_assets o
JOIN active_owner_counts c ON c.asset_id = o.asset_id
WHERE NOT o.owner_active
ORDER BY o.owner_id, o.asset_type, o.asset_id
