-- name: pointings_in_circle
-- version: 1
-- description: >
--   Every observation, of every observatory with observations, pointed inside
--   a circle (a trigger's error region) since a moment, or scheduled there
--   without a start yet: what a duty scientist asks of a new trigger ("is a
--   follow-up done or planned?"). Four HEALPix index ranges covering the
--   circle prune the hpx-sorted tables; the exact haversine decides.
-- owner: analytics
-- params:
--   ra: {type: double, default: 306.0159, min: 0, below: 360, description: circle centre RA (ICRS degrees)}
--   dec: {type: double, default: 33.8672, min: -90, max: 90, description: circle centre Dec (ICRS degrees)}
--   radius_arcsec: {type: double, default: 300, above: 0, max: 36000, description: circle radius (arcsec)}
--   since: {type: timestamp, default: '2000-01-01T00:00:00', description: pointings that start at or after this (UTC); scheduled ones without a start count too}
--   observatories: {type: observatories, kinds: [observations], description: observatories searched (default every one with observations)}
WITH candidates AS (
    SELECT
        o.observatory,
        o.observation_id,
        o.target_name,
        o.instrument,
        o.obs_type,
        o.status,
        o.start_time,
        o.exposure_s,
        o.ra,
        o.dec
    FROM observatories.observations AS o
    WHERE in_cone_cover(o.hpx, :ra, :dec, :radius_arcsec)
      AND (o.start_time IS NULL OR o.start_time >= :since)
),
measured AS (
    SELECT
        c.*,
        sky_distance_arcsec(:ra, :dec, c.ra, c.dec) AS separation_arcsec
    FROM candidates AS c
)
SELECT
    observatory,
    observation_id,
    target_name,
    instrument,
    obs_type,
    status,
    start_time,
    exposure_s,
    round(separation_arcsec, 3) AS separation_arcsec
FROM measured
WHERE separation_arcsec <= :radius_arcsec
ORDER BY start_time NULLS LAST, observatory, observation_id
