-- Assets to fix first: every live asset of the newest quality run that misses part of its metadata,
-- lowest score first, with its teams and the missing parts (heaviest first).
SELECT id, entity_type, name, domain, teams, score, missing, age_days
FROM latest_scores
WHERE score < 100
ORDER BY score, id
