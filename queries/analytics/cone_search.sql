-- name: cone_search
-- version: 9
-- description: >
--   Every measurement and detection, from every observatory that has either,
--   within a radius of a sky position and inside a time range. Reads the
--   points (the sky index where the stack keeps one, docs/data.md). Four
--   HEALPix index ranges covering the cone prune the scan (tables are sorted
--   by hpx, so each range is a few row groups); the exact haversine decides.
-- owner: analytics
-- params:
--   ra: {type: double, default: 306.0159, min: 0, below: 360, description: cone centre RA (ICRS degrees)}
--   dec: {type: double, default: 33.8672, min: -90, max: 90, description: cone centre Dec (ICRS degrees)}
--   radius_arcsec: {type: double, default: 300, above: 0, max: 36000, description: cone radius (arcsec)}
--   start_time: {type: timestamp, default: '2000-01-01T00:00:00', description: from (UTC)}
--   end_time: {type: timestamp, default: '2100-01-01T00:00:00', min: start_time, description: until (UTC)}
--   observatories: {type: observatories, kinds: [points], description: observatories searched (default every one with measurements or detections)}
SELECT
    observatory,
    observation,
    name,
    instrument,
    band,
    time_utc,
    ra,
    dec,
    err_radius_arcsec,
    rate,
    rate_error,
    flux_erg_cm2_s,
    round(separation_arcsec, 3) AS separation_arcsec
FROM (
    -- sky_distance_arcsec in two steps: the same arithmetic, planned faster (docs/queries.md)
    SELECT
        h.*,
        haversine_arcsec(h.haversine) AS separation_arcsec
    FROM (
        SELECT
            p.observatory,
            p.observation,
            p.name,
            p.instrument,
            p.band,
            p.time_utc,
            p.ra,
            p.dec,
            p.err_radius_arcsec,
            p.rate,
            p.rate_error,
            p.flux_erg_cm2_s,
            sky_haversine(:ra, :dec, p.ra, p.dec) AS haversine
        FROM observatories.points AS p
        WHERE in_cone_cover(p.hpx, :ra, :dec, :radius_arcsec)
          AND p.time_utc BETWEEN :start_time AND :end_time
    ) AS h
) AS measured
WHERE separation_arcsec <= :radius_arcsec
ORDER BY time_utc, observatory, observation, instrument, band, name, separation_arcsec
