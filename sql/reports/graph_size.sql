-- Graph size over Delta versions of graph.entities and graph.edges (time travel). Reads
-- report_graph_versions, which the report builds from each table's Delta history: one row per
-- (table, version, row) with `live` = entity not deleted / edge active.
SELECT table_name, version, committed_at, count(*) AS total_rows, count_if(live) AS live_rows
FROM report_graph_versions
GROUP BY table_name, version, committed_at
ORDER BY table_name, version
