-- name: cone_search
-- version: 2
-- description: >
--   Every Swift measurement and Chandra detection within a radius of a sky
--   position and inside a time range. The HEALPix range covering the cone
--   prunes the scan (tables are sorted by hpx); the exact haversine decides.
-- owner: analytics
-- params:
--   ra: {type: double, default: 306.0159, description: cone centre RA (ICRS degrees)}
--   dec: {type: double, default: 33.8672, description: cone centre Dec (ICRS degrees)}
--   radius_arcsec: {type: double, default: 300, description: cone radius (arcsec)}
--   start_time: {type: timestamp, default: '2000-01-01T00:00:00', description: from (UTC)}
--   end_time: {type: timestamp, default: '2100-01-01T00:00:00', description: until (UTC)}
-- derived:
--   hpx_lo: {function: cone_hpx_lo, args: [ra, dec, radius_arcsec]}
--   hpx_hi: {function: cone_hpx_hi, args: [ra, dec, radius_arcsec]}
WITH points AS (
    SELECT
        'swift' AS observatory,
        m.obs_id AS observation,
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
    FROM swift.measurements AS m
    WHERE m.hpx BETWEEN :hpx_lo AND :hpx_hi
      AND m.mid_time BETWEEN :start_time AND :end_time
    UNION ALL
    SELECT
        'chandra' AS observatory,
        CAST(d.obsid AS varchar) AS observation,
        d.source_name AS name,
        'CXO' AS instrument,
        d.band,
        d.mid_time AS time_utc,
        d.ra,
        d.dec,
        d.err_radius_arcsec,
        d.rate,
        d.rate_error,
        d.flux_erg_cm2_s
    FROM chandra.detections AS d
    WHERE d.hpx BETWEEN :hpx_lo AND :hpx_hi
      AND d.mid_time BETWEEN :start_time AND :end_time
),
measured AS (
    SELECT
        p.*,
        sky_distance_arcsec(:ra, :dec, p.ra, p.dec) AS separation_arcsec
    FROM points AS p
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
ORDER BY time_utc, observatory, observation, instrument, band
