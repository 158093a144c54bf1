-- current_entities: every entity that is not deleted (state reference/hydrated/enriched/failed).
-- live_assets: the assets governance counts: entities of ownable types (Model, ModelInstance,
-- Pipeline, Feature, Dataset, AbTest) in state hydrated or enriched, with has_owner / has_description /
-- has_tags flags and the value of their `team` tag (if any). Same population as the quality coverage suite.
CREATE OR REPLACE TEMP VIEW current_entities AS
SELECT * FROM graph.entities WHERE state <> 'deleted';

CREATE OR REPLACE TEMP VIEW live_assets AS
SELECT e.*,
       coalesce(size(e.owners), 0) > 0 AS has_owner,
       e.description IS NOT NULL AND trim(e.description) <> '' AS has_description,
       coalesce(size(e.tags), 0) > 0 AS has_tags,
       try_element_at(filter(e.tags, t -> t.tag = 'team'), 1).value AS team_tag
FROM graph.entities e
WHERE e.entity_type IN ('Model', 'ModelInstance', 'Pipeline', 'Feature', 'Dataset', 'AbTest')
  AND e.state IN ('hydrated', 'enriched')
