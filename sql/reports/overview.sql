-- Headline numbers of the governance report (reads the views and the report's section views).
SELECT (SELECT count(*) FROM live_assets) AS live_assets,
       (SELECT count_if(has_owner) FROM live_assets) AS owned_assets,
       (SELECT count(DISTINCT asset_id) FROM report_inactive_owners) AS assets_with_inactive_owner,
       (SELECT count_if(NOT has_description) FROM live_assets) AS undocumented_assets,
       (SELECT count(*) FROM report_deprecation_candidates) AS deprecation_candidates,
       (SELECT count(*) FROM current_entities) AS current_entities,
       (SELECT count(*) FROM active_edges) AS active_edges,
       (SELECT round(avg(score), 1) FROM latest_scores) AS mean_score
