-- Metadata quality of every live asset (the live_assets view): one row per asset with each part of
-- its score as a column, the score (0-100: the weighted share of parts it has) and the parts it
-- misses in words, heaviest first (what to fix first). The quality stage appends these rows to
-- quality.entity_scores once per run (quality/scores.py).
-- Parts: a description that is not a placeholder (types in :description_types); at least one
-- active owner; every owner known to identity; tags (types in :tag_types); fresh metadata (the source
-- changed it, or lacking that the graph re-hydrated it, within the type's window); lineage where the
-- type should have it (an instance produced by a pipeline run, a feature derived from a dataset, a
-- dataset with a producer or a reader); no failed graph check on the entity (an active edge to a
-- missing or deleted entity, a timestamp in the future). A part a type cannot have counts as present.
-- Parameters: :now        the clock freshness and the future are judged against
--             :weights    part=weight pairs, e.g. 'description=25,owner=25,owners_known=10,fresh=15,...'
--             :windows    type=days pairs, '*' for any other type, e.g. 'Dataset=90,*=180'
--             :description_types  comma-separated types whose sources carry a description
--             :tag_types  comma-separated entity types that should have tags, e.g. 'Model,ModelInstance'
WITH settings AS (
  SELECT str_to_map(:weights, ',', '=') AS w, str_to_map(:windows, ',', '=') AS win,
         split(:tag_types, ',') AS tag_types, split(:description_types, ',') AS description_types
),
owners AS (
  SELECT asset_id, count_if(owner_active) AS active_owners, count_if(NOT owner_known) AS unknown_owners,
         count(*) AS owners
  FROM owner_assets GROUP BY asset_id
),
links AS (
  SELECT src AS id, rel = 'PRODUCED_BY' AND dst_type = 'PipelineRun' AS from_run,
         rel = 'DERIVED_FROM' AS from_source, rel = 'PRODUCED_BY' AND dst_type = 'Pipeline' AS producer,
         false AS reader
  FROM active_edges WHERE rel IN ('PRODUCED_BY', 'DERIVED_FROM')
  UNION ALL
  SELECT dst AS id, false, false, false, true FROM active_edges WHERE rel IN ('READS', 'DERIVED_FROM')
),
lineage AS (
  SELECT id, count_if(from_run) > 0 AS from_run, count_if(from_source) > 0 AS from_source,
         count_if(producer) > 0 AS producer, count_if(reader) > 0 AS reader
  FROM links GROUP BY id
),
check_failures AS (
  SELECT x.src AS id,
         CASE WHEN d.id IS NULL THEN 'edge to a missing entity'
              WHEN d.state = 'deleted' THEN 'edge to a deleted entity' END AS failure
  FROM active_edges x LEFT JOIN graph.entities d ON d.id = x.dst
  WHERE x.rel NOT IN ('OWNED_BY', 'MEMBER_OF')
  UNION ALL
  SELECT id, 'timestamp in the future' AS failure FROM live_assets
  WHERE greatest(created_at, updated_at) > timestampadd(HOUR, 1, :now)
),
checks AS (
  SELECT id, array_sort(collect_set(failure)) AS failed_checks
  FROM check_failures WHERE failure IS NOT NULL GROUP BY id
),
teams AS (
  SELECT asset_id, array_sort(collect_set(team)) AS teams FROM asset_teams GROUP BY asset_id
),
parts AS (
  SELECT a.id, a.entity_type, a.name, a.domain, coalesce(t.teams, array('(no team)')) AS teams,
         a.has_description OR NOT array_contains(s.description_types, a.entity_type) AS has_description,
         a.description_placeholder,
         coalesce(o.owners, 0) AS owners, coalesce(o.active_owners, 0) AS active_owners,
         coalesce(o.active_owners, 0) > 0 AS has_active_owner,
         coalesce(o.unknown_owners, 0) = 0 AS owners_known,
         a.has_tags OR NOT array_contains(s.tag_types, a.entity_type) AS has_tags,
         datediff(:now, coalesce(a.updated_at, a.last_hydrated_at)) AS age_days,
         CAST(coalesce(s.win[a.entity_type], s.win['*']) AS DOUBLE) AS window_days,
         CASE a.entity_type WHEN 'ModelInstance' THEN coalesce(l.from_run, false)
                            WHEN 'Feature' THEN coalesce(l.from_source, false)
                            WHEN 'Dataset' THEN coalesce(l.producer OR l.reader, false)
                            ELSE true END AS has_lineage,
         coalesce(c.failed_checks, CAST(array() AS ARRAY<STRING>)) AS failed_checks,
         s.w AS w
  FROM live_assets a
  CROSS JOIN settings s
  LEFT JOIN owners o ON o.asset_id = a.id
  LEFT JOIN lineage l ON l.id = a.id
  LEFT JOIN checks c ON c.id = a.id
  LEFT JOIN teams t ON t.asset_id = a.id
),
judged AS (
  SELECT p.*, coalesce(p.age_days <= p.window_days, false) AS is_fresh,
         size(p.failed_checks) = 0 AS passes_checks,
         CAST(coalesce(w['description'], '0') AS DOUBLE) AS w_description,
         CAST(coalesce(w['owner'], '0') AS DOUBLE) AS w_owner,
         CAST(coalesce(w['owners_known'], '0') AS DOUBLE) AS w_owners_known,
         CAST(coalesce(w['fresh'], '0') AS DOUBLE) AS w_fresh,
         CAST(coalesce(w['lineage'], '0') AS DOUBLE) AS w_lineage,
         CAST(coalesce(w['tags'], '0') AS DOUBLE) AS w_tags,
         CAST(coalesce(w['checks'], '0') AS DOUBLE) AS w_checks
  FROM parts p
)
SELECT id, entity_type, name, domain, teams,
       has_description, description_placeholder, has_active_owner, owners_known, has_tags, is_fresh, age_days,
       has_lineage, size(failed_checks) AS check_failures, failed_checks,
       round(100 * (w_description * CAST(has_description AS INT) + w_owner * CAST(has_active_owner AS INT)
                    + w_owners_known * CAST(owners_known AS INT) + w_fresh * CAST(is_fresh AS INT)
                    + w_lineage * CAST(has_lineage AS INT) + w_tags * CAST(has_tags AS INT)
                    + w_checks * CAST(passes_checks AS INT))
             / (w_description + w_owner + w_owners_known + w_fresh + w_lineage + w_tags + w_checks), 1) AS score,
       transform(array_sort(filter(array(
         named_struct('w', -w_description, 'part',
                      CASE WHEN has_description THEN NULL WHEN description_placeholder
                           THEN 'description (placeholder)' ELSE 'description' END),
         named_struct('w', -w_owner, 'part',
                      CASE WHEN has_active_owner THEN NULL WHEN owners = 0 THEN 'owner'
                           ELSE 'owner inactive' END),
         named_struct('w', -w_owners_known, 'part', CASE WHEN NOT owners_known THEN 'owner unknown to identity' END),
         named_struct('w', -w_fresh, 'part', CASE WHEN NOT is_fresh THEN 'freshness' END),
         named_struct('w', -w_lineage, 'part',
                      CASE WHEN has_lineage THEN NULL
                           WHEN entity_type = 'ModelInstance' THEN 'lineage (no pipeline run)'
                           WHEN entity_type = 'Feature' THEN 'lineage (no source dataset)'
                           ELSE 'lineage (no producer or reader)' END),
         named_struct('w', -w_tags, 'part', CASE WHEN NOT has_tags THEN 'tags' END),
         named_struct('w', -w_checks, 'part',
                      CASE WHEN NOT passes_checks THEN concat('checks (', array_join(failed_checks, ', '), ')') END)
       ), m -> m.part IS NOT NULL AND m.w < 0)), m -> m.part) AS missing,
       CAST(:now AS TIMESTAMP) AS scored_at
FROM judged
