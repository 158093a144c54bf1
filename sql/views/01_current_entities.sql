-- current_entities: every entity that is not deleted (state reference/hydrated/enriched/failed).
-- live_assets: the assets governance counts: entities of ownable types (Model, ModelInstance,
-- Pipeline, Feature, Dataset, AbTest) in state hydrated or enriched, with has_owner / has_description /
-- has_tags flags and the value of their `team` tag (if any). Same population as the quality coverage suite.
-- has_description is false for a placeholder (`TODO`, `tbd`, `n/a`, `-`, ...): description_placeholder
-- says which. The patterns are quality/placeholders.py's (the coverage suite uses the same ones).
CREATE OR REPLACE TEMP VIEW current_entities AS
SELECT * FROM graph.entities WHERE state <> 'deleted';

CREATE OR REPLACE TEMP VIEW live_assets AS
WITH flagged AS (
  SELECT e.*,
         e.description IS NOT NULL AND trim(e.description) <> '' AS has_text,
         lower(trim(e.description)) rlike '^[-_.?!*#/ ]*$'
           OR lower(trim(e.description)) rlike '^[^a-z0-9]*(todo|tbd|tba|fixme|wip|xxx)([^a-z].*)?$'
           OR lower(trim(e.description)) rlike '^[^a-z0-9]*(n/a|na|none|null|nil|placeholder|description|desc|coming soon|to be (added|defined|documented|written))[^a-z0-9]*$'
           AS placeholder
  FROM graph.entities e
  WHERE e.entity_type IN ('Model', 'ModelInstance', 'Pipeline', 'Feature', 'Dataset', 'AbTest')
    AND e.state IN ('hydrated', 'enriched')
)
SELECT f.id, f.entity_type, f.domain, f.provider, f.name, f.description, f.owners, f.tags, f.properties,
       f.source_status, f.created_at, f.updated_at, f.state, f.first_seen_at, f.last_hydrated_at,
       f.last_enriched_at, f.content_hash, f.run_id,
       coalesce(size(f.owners), 0) > 0 AS has_owner,
       f.has_text AND NOT f.placeholder AS has_description,
       f.has_text AND f.placeholder AS description_placeholder,
       coalesce(size(f.tags), 0) > 0 AS has_tags,
       try_element_at(filter(f.tags, t -> t.tag = 'team'), 1).value AS team_tag
FROM flagged f
