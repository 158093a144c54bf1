-- Find assets by text: current entities whose name, id or description contains :text (case-insensitive),
-- optionally of one type. "Is there already a dataset/feature/model for X that I can reuse?"
-- Parameters: :text         text to look for (matched literally, as data)
--             :entity_type  '' for any type, or one type (e.g. 'Feature')
SELECT id, entity_type, name, description, owners, tags, state, updated_at
FROM current_entities
WHERE (:entity_type = '' OR entity_type = :entity_type)
  AND (contains(lower(name), lower(:text))
       OR contains(lower(id), lower(:text))
       OR contains(lower(coalesce(description, '')), lower(:text)))
ORDER BY entity_type, name, id
