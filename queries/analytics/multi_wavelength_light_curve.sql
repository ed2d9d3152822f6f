-- name: multi_wavelength_light_curve
-- version: 3
-- description: >
--   Time-ordered rates and fluxes, with errors, per instrument and band, from
--   both observatories for one object given by position and radius (resolve a
--   name first with target_position, or use `plot light-curve --target NAME`).
--   Goes through the object's position: four HEALPix index ranges covering the
--   circle prune the hpx-sorted tables.
-- owner: analytics
-- params:
--   ra: {type: double, default: 306.0159, description: object RA (ICRS degrees); default V404 Cygni}
--   dec: {type: double, default: 33.8672, description: object Dec (ICRS degrees)}
--   radius_arcsec: {type: double, default: 10, description: match radius (arcsec)}
--   start_time: {type: timestamp, default: '2000-01-01T00:00:00', description: from (UTC)}
--   end_time: {type: timestamp, default: '2100-01-01T00:00:00', description: until (UTC)}
-- derived:
--   hpx_lo1: {function: cone_hpx_lo1, args: [ra, dec, radius_arcsec]}
--   hpx_hi1: {function: cone_hpx_hi1, args: [ra, dec, radius_arcsec]}
--   hpx_lo2: {function: cone_hpx_lo2, args: [ra, dec, radius_arcsec]}
--   hpx_hi2: {function: cone_hpx_hi2, args: [ra, dec, radius_arcsec]}
--   hpx_lo3: {function: cone_hpx_lo3, args: [ra, dec, radius_arcsec]}
--   hpx_hi3: {function: cone_hpx_hi3, args: [ra, dec, radius_arcsec]}
--   hpx_lo4: {function: cone_hpx_lo4, args: [ra, dec, radius_arcsec]}
--   hpx_hi4: {function: cone_hpx_hi4, args: [ra, dec, radius_arcsec]}
WITH points AS (
    SELECT
        'swift' AS observatory,
        m.instrument,
        m.band,
        m.mid_time AS time_utc,
        m.exposure_s,
        m.rate,
        m.rate_error,
        m.flux_erg_cm2_s,
        m.flux_error,
        m.quality,
        m.ra,
        m.dec
    FROM swift.measurements AS m
    WHERE (m.hpx BETWEEN :hpx_lo1 AND :hpx_hi1
        OR m.hpx BETWEEN :hpx_lo2 AND :hpx_hi2
        OR m.hpx BETWEEN :hpx_lo3 AND :hpx_hi3
        OR m.hpx BETWEEN :hpx_lo4 AND :hpx_hi4)
      AND m.mid_time BETWEEN :start_time AND :end_time
    UNION ALL
    SELECT
        'chandra' AS observatory,
        'CXO' AS instrument,
        d.band,
        d.mid_time AS time_utc,
        CAST(NULL AS double) AS exposure_s,
        d.rate,
        d.rate_error,
        d.flux_erg_cm2_s,
        d.flux_error,
        CASE WHEN d.pileup_flag OR d.streak_src_flag THEN 'flagged' ELSE 'good' END AS quality,
        d.ra,
        d.dec
    FROM chandra.detections AS d
    WHERE (d.hpx BETWEEN :hpx_lo1 AND :hpx_hi1
        OR d.hpx BETWEEN :hpx_lo2 AND :hpx_hi2
        OR d.hpx BETWEEN :hpx_lo3 AND :hpx_hi3
        OR d.hpx BETWEEN :hpx_lo4 AND :hpx_hi4)
      AND d.mid_time BETWEEN :start_time AND :end_time
)
SELECT
    observatory,
    instrument,
    band,
    time_utc,
    exposure_s,
    rate,
    rate_error,
    flux_erg_cm2_s,
    flux_error,
    quality
FROM points AS p
WHERE sky_distance_arcsec(:ra, :dec, p.ra, p.dec) <= :radius_arcsec
ORDER BY time_utc, observatory, instrument, band
