-- name: target_position
-- version: 5
-- description: >
--   Resolve a target name to a sky position: every name any observatory
--   gives a target that has the same key as the one asked for (any case,
--   spacing or underscores; a constellation as genitive, nominative or IAU
--   abbreviation; SIMBAD's V* prefix: V404 Cygni, V* V404 Cyg, V404_CYG and
--   V404CYG are one name), with the mean position of their pointings (the
--   mean direction, right across RA 0/360).
-- owner: analytics
-- params:
--   target: {type: varchar, default: V404 Cyg, description: "target name, any spelling"}
--   observatories: {type: observatories, kinds: [observations], description: observatories whose pointings name targets (default every one with observations)}
WITH named AS (
    SELECT o.observatory, o.target_name, o.ra, o.dec
    FROM observatories.observations AS o
    WHERE target_key(o.target_name) = target_key(:target)
        AND target_key(:target) <> ''
)
SELECT
    sky_mean_ra(ra, dec) AS ra,
    sky_mean_dec(ra, dec) AS dec,
    count(*) AS pointings,
    array_join(array_agg(DISTINCT target_name ORDER BY target_name), ' | ') AS names,
    array_join(array_agg(DISTINCT observatory ORDER BY observatory), ' | ') AS observatories
FROM named
HAVING count(*) > 0
