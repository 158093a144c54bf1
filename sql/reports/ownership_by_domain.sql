-- Ownership coverage by domain (each live asset once): the chart of the ownership section.
SELECT domain, count(*) AS assets, count_if(has_owner) AS owned, count_if(NOT has_owner) AS unowned,
       round(count_if(has_owner) / count(*), 4) AS owned_share
FROM live_assets
GROUP BY domain
ORDER BY domain
