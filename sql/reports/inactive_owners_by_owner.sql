-- Per inactive owner: assets they own, and how many of those have no active owner left.
-- Reads the inactive_owners section (registered by the report as report_inactive_owners).
SELECT coalesce(owner_name, owner_id) AS owner, count(*) AS assets,
       count_if(active_owners = 0) AS without_active_owner
FROM report_inactive_owners
GROUP BY coalesce(owner_name, owner_id)
ORDER BY assets DESC, owner
