-- name: target_names
-- version: 1
-- description: >
--   Every name the observatories give their targets, with the key any
--   spelling of it resolves by (target_position; docs/queries.md, "Target
--   names"): names with one key are one target. For browsing, and for the
--   closest known names when a name matches nothing.
-- owner: analytics
-- params:
--   observatories: {type: observatories, kinds: [observations], description: observatories whose pointings name targets (default every one with observations)}
WITH names AS (
    SELECT o.target_name, o.observatory, count(*) AS pointings
    FROM observatories.observations AS o
    GROUP BY o.target_name, o.observatory
)
SELECT
    target_key(n.target_name) AS target_key,
    n.target_name,
    array_join(array_agg(n.observatory ORDER BY n.observatory), ' | ') AS observatories,
    CAST(sum(n.pointings) AS bigint) AS pointings
FROM names AS n
GROUP BY n.target_name
ORDER BY target_key, n.target_name
