-- active_edges: the relationships that hold now (declared by a source or inferred by a rule).
CREATE OR REPLACE TEMP VIEW active_edges AS
SELECT src, rel, dst, src_type, dst_type, provenance, rule, declared_by, first_seen_at, last_seen_at, run_id
FROM graph.edges
WHERE active
