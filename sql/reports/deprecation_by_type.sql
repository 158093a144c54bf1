-- Deprecation candidates per entity type; reads the deprecation section (report_deprecation_candidates,
-- the result of sql/queries/deprecation_candidates.sql).
SELECT entity_type, count(*) AS candidates
FROM report_deprecation_candidates
GROUP BY entity_type
ORDER BY candidates DESC, entity_type
