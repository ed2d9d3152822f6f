-- name: cone_search
-- version: 7
-- description: >
--   Every measurement and detection, from every observatory that has either,
--   within a radius of a sky position and inside a time range. Four HEALPix
--   index ranges covering the cone prune the scan (tables are sorted by hpx,
--   so each range is a few row groups); the exact haversine decides.
-- owner: analytics
-- params:
--   ra: {type: double, default: 306.0159, min: 0, below: 360, description: cone centre RA (ICRS degrees)}
--   dec: {type: double, default: 33.8672, min: -90, max: 90, description: cone centre Dec (ICRS degrees)}
--   radius_arcsec: {type: double, default: 300, above: 0, max: 36000, description: cone radius (arcsec)}
--   start_time: {type: timestamp, default: '2000-01-01T00:00:00', description: from (UTC)}
--   end_time: {type: timestamp, default: '2100-01-01T00:00:00', min: start_time, description: until (UTC)}
--   observatories: {type: observatories, kinds: [measurements, detections], description: observatories searched (default every one with measurements or detections)}
WITH points AS (
    SELECT
        m.observatory,
        m.observation_id AS observation,
        m.target_name AS name,
        m.instrument,
        m.band,
        m.mid_time AS time_utc,
        m.ra,
        m.dec,
        m.err_radius_arcsec,
        m.rate,
        m.rate_error,
        m.flux_erg_cm2_s
    FROM observatories.measurements AS m
    WHERE in_cone_cover(m.hpx, :ra, :dec, :radius_arcsec)
      AND m.mid_time BETWEEN :start_time AND :end_time
    UNION ALL
    SELECT
        d.observatory,
        d.observation_id AS observation,
        d.source_name AS name,
        d.instrument,
        d.band,
        d.mid_time AS time_utc,
        d.ra,
        d.dec,
        d.err_radius_arcsec,
        d.rate,
        d.rate_error,
        d.flux_erg_cm2_s
    FROM observatories.detections AS d
    WHERE in_cone_cover(d.hpx, :ra, :dec, :radius_arcsec)
      AND d.mid_time BETWEEN :start_time AND :end_time
),
haversines AS (
    SELECT
        p.*,
        sky_haversine(:ra, :dec, p.ra, p.dec) AS haversine
    FROM points AS p
),
measured AS (
    -- sky_distance_arcsec in two steps: the same arithmetic, planned faster (docs/queries.md)
    SELECT
        h.*,
        haversine_arcsec(h.haversine) AS separation_arcsec
    FROM haversines AS h
)
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
FROM measured
WHERE separation_arcsec <= :radius_arcsec
ORDER BY time_utc, observatory, observation, instrument, band, name, separation_arcsec
