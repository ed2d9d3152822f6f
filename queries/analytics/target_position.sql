-- name: target_position
-- version: 4
-- description: >
--   Resolve a target name to a sky position: every spelling any observatory
--   uses that normalises to the same letters and digits (V404 CYG, V404_CYG,
--   V404CYG), with the mean position of their pointings (the mean direction,
--   right across RA 0/360).
-- owner: analytics
-- params:
--   target: {type: varchar, default: V404 Cyg, description: "target name, any spelling"}
--   observatories: {type: observatories, kinds: [observations], description: observatories whose pointings name targets (default every one with observations)}
WITH named AS (
    SELECT o.observatory, o.target_name, o.ra, o.dec
    FROM observatories.observations AS o
    WHERE upper(regexp_replace(o.target_name, '[^A-Za-z0-9+]', ''))
        = upper(regexp_replace(:target, '[^A-Za-z0-9+]', ''))
)
SELECT
    sky_mean_ra(ra, dec) AS ra,
    sky_mean_dec(ra, dec) AS dec,
    count(*) AS pointings,
    array_join(array_agg(DISTINCT target_name ORDER BY target_name), ' | ') AS names,
    array_join(array_agg(DISTINCT observatory ORDER BY observatory), ' | ') AS observatories
FROM named
HAVING count(*) > 0
