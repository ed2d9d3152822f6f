-- name: observatory_summary
-- version: 2
-- description: >
--   What each observatory's tables hold, kind by kind: rows, the time span
--   covered and distinct targets (sources, for detections; triggers, for
--   triggers). The first thing to look at after a load.
-- owner: analytics
-- params:
--   observatories: {type: observatories, kinds: [triggers, observations, measurements, detections], description: observatories summarised (default every one)}
WITH summary AS (
    SELECT t.observatory, 'triggers' AS kind, count(*) AS row_count,
           min(t.trigger_time) AS first_utc, max(t.trigger_time) AS last_utc,
           count(DISTINCT t.trigger_name) AS targets
    FROM observatories.triggers AS t
    GROUP BY t.observatory
    UNION ALL
    SELECT o.observatory, 'observations', count(*), min(o.start_time), max(o.start_time),
           count(DISTINCT o.target_name)
    FROM observatories.observations AS o
    GROUP BY o.observatory
    UNION ALL
    SELECT m.observatory, 'measurements', count(*), min(m.mid_time), max(m.mid_time),
           count(DISTINCT m.target_name)
    FROM observatories.measurements AS m
    GROUP BY m.observatory
    UNION ALL
    SELECT d.observatory, 'detections', count(*), min(d.mid_time), max(d.mid_time),
           count(DISTINCT d.source_name)
    FROM observatories.detections AS d
    GROUP BY d.observatory
)
SELECT observatory, kind, row_count, first_utc, last_utc, targets
FROM summary
ORDER BY observatory, kind
