-- name: observatory_summary
-- version: 1
-- description: >
--   What each table holds: rows, the time span covered and distinct targets,
--   per observatory. The first thing to look at after a load.
-- owner: analytics
WITH summary AS (
    SELECT 'swift' AS observatory, 'bursts' AS table_name, count(*) AS row_count,
           min(trigger_time) AS first_utc, max(trigger_time) AS last_utc,
           count(DISTINCT grb_name) AS targets
    FROM swift.bursts
    UNION ALL
    SELECT 'swift', 'observations', count(*), min(start_time), max(start_time),
           count(DISTINCT target_id)
    FROM swift.observations
    UNION ALL
    SELECT 'swift', 'measurements', count(*), min(mid_time), max(mid_time),
           count(DISTINCT target_name)
    FROM swift.measurements
    UNION ALL
    SELECT 'chandra', 'observations', count(*), min(start_time), max(start_time),
           count(DISTINCT target_name)
    FROM chandra.observations
    UNION ALL
    SELECT 'chandra', 'detections', count(*), min(mid_time), max(mid_time),
           count(DISTINCT source_name)
    FROM chandra.detections
)
SELECT observatory, table_name, row_count, first_utc, last_utc, targets
FROM summary
ORDER BY observatory, table_name
